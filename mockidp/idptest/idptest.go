// Package idptest runs the emulator for Go tests, as net/http/httptest runs a handler: a real
// Auth0-compatible tenant on a loopback port, with its issuer known before it starts, helpers
// that mint tokens its JWKS verifies, and the controls of its control API: the clock, faults,
// reset, reload and the journal of requests.
//
//	func TestAPI(t *testing.T) {
//		tenant := idptest.New(t) // the default demo tenant; closed when the test ends
//		token := tenant.UserToken(t, "alice@example.com", "https://api.example.com", "read:protected")
//		// point the code under test at tenant.Issuer(), call it with token ...
//	}
package idptest

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Server is a running emulator.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port (https:// with WithTLS), without a trailing
	// slash (as httptest.Server.URL): what auth0-spa-js's domain option takes.
	URL string
	// IDP is the emulator itself, for what the helpers do not cover.
	IDP  *idp.Server
	http *httptest.Server
}

// Option configures a Server.
type Option func(*config)

type config struct {
	load   func() (*tenant.Tenant, error)
	now    func() time.Time
	logger *slog.Logger
	tls    bool
}

// WithTenant serves the tenant file name of fsys instead of the default tenant.
func WithTenant(fsys fs.FS, name string) Option {
	return func(c *config) { c.load = func() (*tenant.Tenant, error) { return tenant.Load(fsys, name) } }
}

// WithTenantFile serves a tenant file from disk; its signing key files are found relative to it.
func WithTenantFile(path string) Option {
	return WithTenant(os.DirFS(filepath.Dir(path)), filepath.Base(path))
}

// WithClock makes now the emulator's time source for tokens, codes and sessions; Server.Clock
// can still move the emulator away from it. A Clock's Now, shared with the code under test,
// keeps both on one time.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithLogger gives the emulator a logger: one line per request, and the causes of errors its
// answers do not tell. By default nothing is logged.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) { c.logger = logger }
}

// WithTLS serves the tenant over https, as httptest.NewTLSServer does, with HTTP/2: the issuer
// is https://127.0.0.1:port/, its cookies are Secure, and Client trusts the server's certificate
// (httptest's own, for 127.0.0.1, ::1 and example.com), which no other client does.
func WithTLS() Option {
	return func(c *config) { c.tls = true }
}

// New starts an emulator serving the default tenant (fixtures/tenant.yaml) unless an option
// names another, and closes it when the test ends. It fails the test if the emulator cannot
// start.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("idptest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start is New for code that has no testing.TB, such as examples; the caller must Close the
// server. The emulator signs with the keys the tenant names, or with one generated for this
// server when it names none.
func Start(opts ...Option) (*Server, error) {
	c := config{load: func() (*tenant.Tenant, error) { return tenant.Load(fixtures.FS, fixtures.DefaultTenant) }}
	for _, o := range opts {
		o(&c)
	}
	t, err := c.load()
	if err != nil {
		return nil, err
	}
	// The listener exists before the handler, so the issuer is known when the emulator is built.
	hs := httptest.NewUnstartedServer(nil)
	scheme := "http"
	if c.tls {
		scheme = "https"
	}
	s, err := idp.New(idp.Config{Issuer: scheme + "://" + hs.Listener.Addr().String() + "/", Tenant: t, Now: c.now,
		Logger: c.logger, Reload: c.load})
	if err != nil {
		hs.Close()
		return nil, err
	}
	hs.Config.Handler = s
	if c.tls {
		hs.EnableHTTP2 = true
		hs.StartTLS()
	} else {
		hs.Start()
	}
	return &Server{URL: hs.URL, IDP: s, http: hs}, nil
}

// Issuer is the issuer URL, with Auth0's trailing slash: the `iss` of every token, and what a
// JWT middleware must expect.
func (s *Server) Issuer() string { return s.IDP.Issuer() }

// Clock is the emulator's clock, which a test moves to age the tenant's codes, sessions and
// tokens, or to mint tokens in the past or the future.
func (s *Server) Clock() *idp.Clock { return s.IDP.Clock() }

// Client is an HTTP client for the server; with WithTLS it trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.http.Client() }

// Close shuts the server down and releases its state; New registers it with t.Cleanup.
func (s *Server) Close() {
	s.http.Close()
	// The memory store's Close only stops its sweeper: it cannot fail.
	_ = s.IDP.Close()
}

// Token mints tokens as idp.Server.MintToken does, failing the test on error.
func (s *Server) Token(t testing.TB, req idp.MintRequest) *idp.TokenResponse {
	t.Helper()
	resp, err := s.IDP.MintToken(req)
	if err != nil {
		t.Fatalf("idptest: %v", err)
	}
	return resp
}

// UserToken returns an access token for a user (email, username or user_id) and an API, with
// the scopes asked for that the user holds: the token a login would give through the tenant's
// first application that may use the authorization_code grant. With no scopes it carries all
// the user holds on the API.
func (s *Server) UserToken(t testing.TB, user, audience string, scopes ...string) string {
	t.Helper()
	return s.Token(t, idp.MintRequest{User: user, Audience: audience, Scope: strings.Join(scopes, " ")}).AccessToken
}

// ClientToken returns a machine-to-machine access token for a client and an API, as the
// client-credentials grant would give it: the scopes must be granted; none means all granted.
// An empty clientID means the tenant's first application with a client grant for the API.
func (s *Server) ClientToken(t testing.TB, clientID, audience string, scopes ...string) string {
	t.Helper()
	return s.Token(t, idp.MintRequest{ClientID: clientID, Audience: audience, Scope: strings.Join(scopes, " ")}).AccessToken
}
