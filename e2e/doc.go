// Package e2e runs the emulator (mockidp) and the demo app together and tests them end to end:
// the browser login flow over HTTP with a cookie jar, the same flow clicked through in headless
// Chromium, the compose file's wiring, and the real Auth0 SDKs (Go here, Node in e2e/sdk).
//
// It is the only package that imports both programs. The harness is in non-test files so
// tests elsewhere can reuse it:
//
//   - StartInProcess serves both on httptest servers in this process;
//   - StartProcesses builds the two binaries and runs them with the environment that
//     docker-compose.yml gives their containers, only the addresses rewritten to free loopback
//     ports; StartProcessesHTTPS does the same with docker-compose.https.yml, whose emulator
//     serves https with a certificate from a local CA that both share.
//
// Both bind 127.0.0.1 and are reached as http://localhost:<port>: one host name for both
// origins makes them same-site, so the emulator's SameSite=Lax session cookie reaches the
// silent-authentication iframe, and Chromium treats http://localhost as a secure context,
// which the SPA's Web Crypto (PKCE) needs.
package e2e
