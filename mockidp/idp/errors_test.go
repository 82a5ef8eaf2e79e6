package idp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/signing"
	"github.com/tenantless/tenantless/mockidp/store"
)

// newLoggedServer serves a tenant file with its log, as JSON lines, in the returned buffer.
func newLoggedServer(t testing.TB, fsys fs.FS, name string) (*apiServer, *bytes.Buffer) {
	t.Helper()
	base := newAPIServerFor(t, fsys, name)
	var logs bytes.Buffer
	srv, err := New(Config{Issuer: testIssuer, Tenant: base.tenant, Keys: base.keys, Now: base.Clock().Now,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	require.NoError(t, err)
	return &apiServer{Server: srv}, &logs
}

// lastRequestLine is the log line of the last request served.
func lastRequestLine(t testing.TB, logs *bytes.Buffer) map[string]any {
	t.Helper()
	var last map[string]any
	sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
	for sc.Scan() {
		var line map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		if line["msg"] == "request" {
			last = line
		}
	}
	require.NotNil(t, last, "no request line in the log:\n%s", logs)
	return last
}

// assertCause asserts that the last request's log line names the error and its cause.
func assertCause(t testing.TB, logs *bytes.Buffer, code, cause string) {
	t.Helper()
	line := lastRequestLine(t, logs)
	assert.Equal(t, code, line["error"], "error= of %v", line)
	assert.Equal(t, cause, line["cause"], "cause= of %v", line)
}

// signed signs claims with the tenant's key, as the emulator signs its tokens.
func signed(t testing.TB, keys *signing.KeySet, claims map[string]any) string {
	t.Helper()
	tok, err := keys.Sign(claims)
	require.NoError(t, err)
	return tok
}

// userinfoToken is an access token /userinfo accepts, for alice; kv replaces
// claims, or removes one when its value is nil.
func userinfoToken(t testing.TB, keys *signing.KeySet, kv ...any) string {
	t.Helper()
	claims := map[string]any{
		"iss": testIssuer, "sub": "auth0|alice", "azp": spaClient, "scope": "openid email",
		"aud": []string{"https://api.example.com", testIssuer + "userinfo"},
		"iat": testStart.Unix(), "exp": testStart.Add(time.Hour).Unix(),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(claims, kv[i].(string))
		} else {
			claims[kv[i].(string)] = kv[i+1]
		}
	}
	return signed(t, keys, claims)
}

// storeRefresh stores a refresh token of demo-web's for alice, live unless change says otherwise.
func (s *apiServer) storeRefresh(t testing.TB, token string, change func(*store.RefreshToken)) {
	t.Helper()
	rt := store.RefreshToken{Token: token, ClientID: webClient, UserID: "auth0|alice", Audience: "https://api.example.com",
		Scope: "openid offline_access", Grant: "grant-" + token,
		Expires: testStart.Add(time.Hour), IdleExpires: testStart.Add(time.Hour)}
	if change != nil {
		change(&rt)
	}
	s.putRefresh(t, rt)
}

// storeOpaque stores an opaque access token of demo-web's for alice under grant, live unless
// expires says otherwise.
func (s *apiServer) storeOpaque(t testing.TB, token, grant string, expires time.Time) {
	t.Helper()
	require.NoError(t, s.store.PutOpaqueToken(context.Background(), store.OpaqueToken{Token: token, ClientID: webClient,
		UserID: "auth0|alice", Scope: "openid profile", Grant: grant, Expires: expires}, s.Clock().Now()))
}

// loginTakenMeanwhile is a store on which another post of a login form completes the login
// between the handler's look at it and its own take.
type loginTakenMeanwhile struct{ store.Store }

func (l loginTakenMeanwhile) TakeLogin(ctx context.Context, id string, now time.Time) (store.PendingLogin, error) {
	if _, err := l.Store.TakeLogin(ctx, id, now); err != nil {
		return store.PendingLogin{}, err
	}
	return l.Store.TakeLogin(ctx, id, now)
}

// otherRealmTenant has a user in a connection that is not the default one.
const otherRealmTenant = `
clients:
  - name: Web
    client_id: web
    client_secret: web-secret
    app_type: regular_web
    grant_types: [http://auth0.com/oauth/grant-type/password-realm]
databases:
  - name: Username-Password-Authentication
  - name: Contractors
users:
  - email: erin@example.com
    password: erin-password
    connection: Contractors
`

// TestJSONErrorCauses drives each failure that shares Auth0's wire text with others, or whose
// text does not say why, through the real handler: the answer is Auth0's, byte for byte, and
// the request's log line names the error and the cause.
func TestJSONErrorCauses(t *testing.T) {
	const (
		badCode     = `{"error":"invalid_grant","error_description":"Invalid authorization code"}`
		badVerifier = `{"error":"invalid_grant","error_description":"Failed to verify code verifier"}`
		badRefresh  = `{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}`
		wrongLogin  = `{"error":"invalid_grant","error_description":"Wrong email or password."}`
		badClient   = `{"error":"access_denied","error_description":"Unauthorized"}`
		invalidAT   = `{"error":"invalid_token","error_description":"The access token is invalid"}`
		expiredAT   = `{"error":"invalid_token","error_description":"The access token expired"}`
		goneUser    = `{"error":"invalid_token","error_description":"The user of the access token does not exist or is blocked"}`
		noToken     = `{"error":"unauthorized","error_description":"No access token was found"}`

		invalidChallenge = `Bearer error="invalid_token", error_description="The access token is invalid"`
		expiredChallenge = `Bearer error="invalid_token", error_description="The access token expired"`
		goneChallenge    = `Bearer error="invalid_token", error_description="The user of the access token does not exist or is blocked"`
	)
	userinfo := func(authorization ...string) func(*testing.T, *apiServer) *httptest.ResponseRecorder {
		return func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			var headers []string
			for _, a := range authorization {
				headers = append(headers, "Authorization", a)
			}
			return s.send(t, http.MethodGet, "/userinfo", "", "", headers...)
		}
	}
	token := func(body func(*testing.T, *apiServer) string, headers ...string) func(*testing.T, *apiServer) *httptest.ResponseRecorder {
		return func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			return s.post(t, "/oauth/token", body(t, s), headers...)
		}
	}
	fixed := func(body string) func(*testing.T, *apiServer) string {
		return func(*testing.T, *apiServer) string { return body }
	}
	code := func(change func(*store.AuthCode), kv ...string) func(*testing.T, *apiServer) string {
		return func(t *testing.T, s *apiServer) string {
			ac := spaCode()
			if change != nil {
				change(&ac)
			}
			c := s.issueCode(t, ac)
			if len(kv) > 0 {
				return form(append([]string{"grant_type", "authorization_code", "client_id", spaClient, "code", c}, kv...)...)
			}
			return spaRedeem(c)
		}
	}
	tests := []struct {
		name      string
		tenant    string // tenant file; empty is the default tenant
		send      func(*testing.T, *apiServer) *httptest.ResponseRecorder
		status    int
		body      string
		challenge string
		code      string
		cause     string
	}{
		// The reasons a code is "Invalid authorization code", and the others of its grant.
		{name: "code unknown", send: token(fixed(spaRedeem("no-such-code"))),
			status: 403, body: badCode, code: "invalid_grant", cause: "code unknown"},
		{name: "code expired", send: token(code(func(ac *store.AuthCode) { ac.Expires = testStart.Add(-time.Second) })),
			status: 403, body: badCode, code: "invalid_grant", cause: "code expired"},
		{name: "code expired at its deadline", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			body := code(nil)(t, s)
			s.Clock().Advance(DefaultCodeLifetime)
			return s.post(t, "/oauth/token", body)
		}, status: 403, body: badCode, code: "invalid_grant", cause: "code expired"},
		{name: "code redeemed after it expired", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			body := code(func(ac *store.AuthCode) { ac.Expires = testStart })(t, s)
			s.post(t, "/oauth/token", body)
			return s.post(t, "/oauth/token", body)
		}, status: 403, body: badCode, code: "invalid_grant", cause: "code already redeemed; the tokens it issued are revoked"},
		{name: "code reused", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			body := code(nil)(t, s)
			tokenOK(t, s.post(t, "/oauth/token", body))
			return s.post(t, "/oauth/token", body)
		}, status: 403, body: badCode, code: "invalid_grant", cause: "code already redeemed; the tokens it issued are revoked"},
		{name: "code of another client", send: token(code(func(ac *store.AuthCode) { ac.ClientID = webClient })),
			status: 403, body: badCode, code: "invalid_grant", cause: "code issued to client " + webClient},
		{name: "redirect_uri differs", send: token(code(nil, "redirect_uri", "http://localhost:3000/other", "code_verifier", testVerifier)),
			status: 403, body: badCode, code: "invalid_grant", cause: "redirect_uri differs from the one sent to /authorize"},
		{name: "public client's code without PKCE", send: token(code(func(ac *store.AuthCode) { ac.Challenge = "" }, "redirect_uri", "http://localhost:3000")),
			status: 403, body: badCode, code: "invalid_grant", cause: "a public client's code without a code_challenge"},
		{name: "code of a user gone", send: token(code(func(ac *store.AuthCode) { ac.UserID = "auth0|gone" })),
			status: 403, body: badCode, code: "invalid_grant", cause: "the user it was issued to is no longer in the tenant"},
		{name: "code_verifier missing", send: token(code(nil, "redirect_uri", "http://localhost:3000")),
			status: 403, body: badVerifier, code: "invalid_grant", cause: "code_verifier missing"},
		{name: "code_verifier malformed", send: token(code(nil, "redirect_uri", "http://localhost:3000", "code_verifier", "short")),
			status: 403, body: badVerifier, code: "invalid_grant", cause: "code_verifier is not 43 to 128 characters of [A-Za-z0-9-._~]"},
		{name: "code_verifier wrong", send: token(code(nil, "redirect_uri", "http://localhost:3000", "code_verifier", strings.Repeat("v", 43))),
			status: 403, body: badVerifier, code: "invalid_grant", cause: "code_verifier does not match the code_challenge"},

		// The reasons a refresh token is "Unknown or invalid refresh token."
		{name: "refresh token unknown", send: token(fixed(refreshForm("no-such-token"))),
			status: 403, body: badRefresh, code: "invalid_grant", cause: "refresh token unknown"},
		{name: "refresh token of another client", send: token(func(t *testing.T, s *apiServer) string {
			s.storeRefresh(t, "rt", nil)
			return form("grant_type", "refresh_token", "client_id", spaClient, "refresh_token", "rt")
		}), status: 403, body: badRefresh, code: "invalid_grant", cause: "refresh token issued to another client"},
		{name: "refresh token of another client, down-scoped", send: token(func(t *testing.T, s *apiServer) string {
			s.storeRefresh(t, "rt", nil)
			return form("grant_type", "refresh_token", "client_id", spaClient, "refresh_token", "rt", "scope", "openid")
		}), status: 403, body: badRefresh, code: "invalid_grant", cause: "refresh token issued to another client"},
		{name: "refresh token revoked", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			s.storeRefresh(t, "rt", nil)
			require.Equal(t, http.StatusOK, s.post(t, "/oauth/revoke", form("client_id", webClient, "client_secret", "demo-web-secret", "token", "rt")).Code)
			return s.post(t, "/oauth/token", refreshForm("rt"))
		}, status: 403, body: badRefresh, code: "invalid_grant", cause: "refresh token revoked (logout, /oauth/revoke, or reuse in its family)"},
		{name: "refresh token of a family revoked for reuse", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			s.storeRefresh(t, "rt", func(rt *store.RefreshToken) { rt.Used, rt.RotatedAt = true, testStart.Add(-time.Hour) })
			s.storeRefresh(t, "rt2", func(rt *store.RefreshToken) { rt.Grant = "grant-rt" })
			s.post(t, "/oauth/token", refreshForm("rt"))
			return s.post(t, "/oauth/token", refreshForm("rt2"))
		}, status: 403, body: badRefresh, code: "invalid_grant", cause: "refresh token revoked (logout, /oauth/revoke, or reuse in its family)"},
		{name: "refresh token expired", send: token(func(t *testing.T, s *apiServer) string {
			s.storeRefresh(t, "rt", func(rt *store.RefreshToken) { rt.Expires = testStart })
			return refreshForm("rt")
		}), status: 403, body: badRefresh, code: "invalid_grant", cause: "refresh token expired (its absolute lifetime or its family's is over)"},
		{name: "refresh token idle", send: token(func(t *testing.T, s *apiServer) string {
			s.storeRefresh(t, "rt", func(rt *store.RefreshToken) { rt.IdleExpires = testStart })
			return refreshForm("rt")
		}), status: 403, body: badRefresh, code: "invalid_grant", cause: "refresh token past its idle lifetime"},
		{name: "refresh token reused", send: token(func(t *testing.T, s *apiServer) string {
			s.storeRefresh(t, "rt", func(rt *store.RefreshToken) { rt.Used, rt.RotatedAt = true, testStart.Add(-time.Hour) })
			return refreshForm("rt")
		}), status: 403, body: badRefresh, code: "invalid_grant", cause: causeRefreshReused},
		{name: "refresh token of an API gone", send: token(func(t *testing.T, s *apiServer) string {
			s.storeRefresh(t, "rt", func(rt *store.RefreshToken) { rt.Audience = "https://gone.example.com" })
			return refreshForm("rt")
		}), status: 403, body: badRefresh, code: "invalid_grant", cause: "the refresh token's API is no longer in the tenant"},
		{name: "refresh token of a user gone", send: token(func(t *testing.T, s *apiServer) string {
			s.storeRefresh(t, "rt", func(rt *store.RefreshToken) { rt.UserID = "auth0|gone" })
			return refreshForm("rt")
		}), status: 403, body: badRefresh, code: "invalid_grant", cause: "the user it was issued to is no longer in the tenant"},

		// Client authentication: one "Unauthorized" for four failures.
		{name: "client unknown", send: token(fixed(form("grant_type", "client_credentials", "client_id", "nope", "client_secret", "x"))),
			status: 401, body: badClient, code: "access_denied", cause: "no client nope in the tenant"},
		{name: "client secret missing", send: token(fixed(form("grant_type", "client_credentials", "client_id", "demo-m2m"))),
			status: 401, body: badClient, code: "access_denied", cause: "client secret missing"},
		{name: "client secret wrong", send: token(fixed(form("grant_type", "client_credentials", "client_id", "demo-m2m", "client_secret", "wrong"))),
			status: 401, body: badClient, code: "access_denied", cause: "client secret does not match"},
		{name: "Basic credentials malformed", send: token(fixed(form("grant_type", "client_credentials")), "Authorization", "Basic !!!"),
			status: 401, body: badClient, challenge: `Basic realm="localhost:4000"`, code: "access_denied", cause: "Authorization: Basic credentials malformed"},
		{name: "revocation with a wrong secret", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			return s.post(t, "/oauth/revoke", form("client_id", webClient, "client_secret", "wrong", "token", "x"))
		}, status: 401, body: `{"error":"invalid_client","error_description":"Unauthorized"}`, code: "invalid_client", cause: "client secret does not match"},

		// The password grant's "Wrong email or password." and its lockout.
		{name: "password grant, no such user", send: token(fixed(passwordForm("nobody@example.com", "x"))),
			status: 403, body: wrongLogin, code: "invalid_grant", cause: "no user with that login"},
		{name: "password grant, wrong password", send: token(fixed(passwordForm("alice@example.com", "wrong"))),
			status: 403, body: wrongLogin, code: "invalid_grant", cause: "wrong password"},
		{name: "password grant, user of another realm", tenant: otherRealmTenant, send: token(fixed(form(
			"grant_type", "http://auth0.com/oauth/grant-type/password-realm", "client_id", "web", "client_secret", "web-secret",
			"username", "erin@example.com", "password", "erin-password", "realm", "Username-Password-Authentication"))),
			status: 403, body: wrongLogin, code: "invalid_grant", cause: "the user is in connection Contractors, not realm Username-Password-Authentication"},
		{name: "password grant, login locked", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			for range store.MaxFailedLogins {
				s.post(t, "/oauth/token", passwordForm("alice@example.com", "wrong"))
			}
			return s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password"))
		}, status: 429, body: `{"error":"too_many_attempts","error_description":"Your account has been blocked after multiple consecutive login attempts."}`,
			code: "too_many_attempts", cause: "login name locked after repeated failures"},

		// /userinfo: RFC 6750 answers, one text for many failures.
		{name: "no Authorization header", send: userinfo(),
			status: 401, body: noToken, challenge: "Bearer", code: "unauthorized", cause: "no Authorization header"},
		{name: "another scheme", send: userinfo("Basic YWxpY2U6c2VjcmV0"),
			status: 401, body: noToken, challenge: "Bearer", code: "unauthorized", cause: "Authorization scheme is not Bearer"},
		{name: "Authorization repeated", send: userinfo("Bearer a", "Bearer b"),
			status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token", cause: "Authorization header repeated"},
		{name: "bearer token empty", send: userinfo("Bearer "),
			status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token", cause: "bearer token empty"},
		{name: "bearer token too long", send: userinfo("Bearer " + strings.Repeat("a", maxAccessTokenLen+1)),
			status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token", cause: "bearer token longer than the emulator's tokens can be"},
		{name: "bearer token with whitespace", send: userinfo("Bearer a b"),
			status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token", cause: "bearer token holds whitespace"},
		{name: "opaque token unknown", send: userinfo("Bearer no-such-opaque-token"),
			status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token", cause: "opaque access token unknown"},
		{name: "opaque token expired", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			s.storeOpaque(t, "ot", "grant-ot", testStart.Add(time.Hour))
			s.Clock().Advance(time.Hour)
			return userinfo("Bearer ot")(t, s)
		}, status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token", cause: "opaque access token expired"},
		{name: "opaque token revoked", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			s.storeRefresh(t, "rt", nil)
			s.storeOpaque(t, "ot", "grant-rt", testStart.Add(time.Hour))
			require.Equal(t, http.StatusOK, s.post(t, "/oauth/revoke", form("client_id", webClient, "client_secret", "demo-web-secret", "token", "rt")).Code)
			return userinfo("Bearer ot")(t, s)
		}, status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token",
			cause: "opaque access token revoked with its grant (logout, /oauth/revoke, or a reused code or refresh token)"},
		{name: "token signed by another key", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			other, err := signing.Generate("localhost")
			require.NoError(t, err)
			return userinfo("Bearer "+userinfoToken(t, other))(t, s)
		}, status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token",
			cause: "signature or format: " + signing.ErrUnknownKey.Error()},
		{name: "token of another issuer", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			return userinfo("Bearer "+userinfoToken(t, s.keys, "iss", "https://other.example.com/"))(t, s)
		}, status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token", cause: "iss is not this tenant's issuer"},
		{name: "token without sub", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			return userinfo("Bearer "+userinfoToken(t, s.keys, "sub", nil))(t, s)
		}, status: 401, body: invalidAT, challenge: invalidChallenge, code: "invalid_token", cause: "sub missing"},
		{name: "token without exp", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			return userinfo("Bearer "+userinfoToken(t, s.keys, "exp", nil))(t, s)
		}, status: 401, body: expiredAT, challenge: expiredChallenge, code: "invalid_token", cause: "exp missing"},
		{name: "token of a user gone", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			return userinfo("Bearer "+userinfoToken(t, s.keys, "sub", "auth0|gone"))(t, s)
		}, status: 401, body: goneUser, challenge: goneChallenge, code: "invalid_token", cause: "the token's user is no longer in the tenant"},
		{name: "token of a blocked user", send: func(t *testing.T, s *apiServer) *httptest.ResponseRecorder {
			return userinfo("Bearer "+userinfoToken(t, s.keys, "sub", "auth0|blocked"))(t, s)
		}, status: 401, body: goneUser, challenge: goneChallenge, code: "invalid_token", cause: "the token's user is blocked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys, name := fs.FS(fixtures.FS), fixtures.DefaultTenant
			if tt.tenant != "" {
				fsys, name = fstest.MapFS{"tenant.yaml": {Data: []byte(tt.tenant)}}, "tenant.yaml"
			}
			s, logs := newLoggedServer(t, fsys, name)
			w := tt.send(t, s)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.body+"\n", w.Body.String())
			assertTokenHeaders(t, w)
			assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			assertCause(t, logs, tt.code, tt.cause)
			assert.NotContains(t, w.Body.String(), tt.cause, "a cause never reaches the client")
		})
	}
}

// TestBrowserErrorCauses does the same for the browser endpoints, whose errors are a page or a
// redirect back to the application: the answer is unchanged, the log line says why.
func TestBrowserErrorCauses(t *testing.T) {
	loginPage := func(t *testing.T, s *apiServer) (*browser, string, url.Values) {
		b := newBrowser(t, s)
		_, action, fields := b.openLogin(spaAuthorize(testIssuer))
		return b, action, fields
	}
	submit := func(username, password string) func(*testing.T, *apiServer) page {
		return func(t *testing.T, s *apiServer) page {
			b, action, fields := loginPage(t, s)
			fields.Set("username", username)
			fields.Set("password", password)
			return b.post(action, fields)
		}
	}
	// withSession is a browser holding a session that logged in at authTime as user.
	withSession := func(t *testing.T, s *apiServer, user string, authTime time.Time) *browser {
		b := newBrowser(t, s)
		const secret = "a-session-cookie-secret-for-the-test"
		s.putSession(t, store.Session{ID: sessionID(secret), UserID: user, AuthTime: authTime,
			Expires: testStart.Add(time.Hour), IdleExpires: testStart.Add(time.Hour)})
		u, err := url.Parse(testIssuer)
		require.NoError(t, err)
		b.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: secret, Path: "/"}})
		return b
	}
	get := func(rawURL string) func(*testing.T, *apiServer) page {
		return func(t *testing.T, s *apiServer) page { return newBrowser(t, s).get(rawURL) }
	}
	notInLogoutURLs := func(param, value string) string {
		return `The "` + param + `" querystring parameter "` + value + `" is not defined as a valid URL in "Allowed Logout URLs".`
	}
	tests := []struct {
		name  string
		visit func(*testing.T, *apiServer) page
		// status is the answer's; a 302 must carry shows as its error_description, any other
		// answer must show it on its page.
		status int
		shows  string
		code   string
		cause  string
	}{
		{name: "callback not registered", visit: get(spaAuthorize(testIssuer, "redirect_uri", "https://evil.example/cb")),
			status: 400, shows: "Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.",
			code: "unauthorized_client", cause: "redirect_uri is not among client demo-spa's callbacks"},
		{name: "silent, no session", visit: get(spaAuthorize(testIssuer, "prompt", "none")),
			status: 302, shows: "Login required", code: "login_required", cause: "no SSO session in this browser"},
		{name: "silent, session older than max_age", visit: func(t *testing.T, s *apiServer) page {
			return withSession(t, s, "auth0|alice", testStart.Add(-time.Hour)).get(spaAuthorize(testIssuer, "prompt", "none", "max_age", "60"))
		}, status: 302, shows: "Login required", code: "login_required", cause: "the SSO session's login is older than max_age"},
		{name: "silent, session of a user gone", visit: func(t *testing.T, s *apiServer) page {
			return withSession(t, s, "auth0|gone", testStart).get(spaAuthorize(testIssuer, "prompt", "none"))
		}, status: 302, shows: "Login required", code: "login_required", cause: "the SSO session's user is no longer in the tenant"},

		{name: "login, wrong password", visit: submit("alice@example.com", "wrong"),
			status: 400, shows: "Wrong email or password.", code: "invalid_grant", cause: "wrong password"},
		{name: "login, no such user", visit: submit("nobody@example.com", "x"),
			status: 400, shows: "Wrong email or password.", code: "invalid_grant", cause: "no user with that login"},
		{name: "login, password missing", visit: submit("alice@example.com", ""),
			status: 400, shows: "Enter your email address and password.", code: "invalid_request", cause: "password missing"},
		{name: "login, transaction unknown", visit: get(testIssuer + "u/login?state=no-such-transaction"),
			status: 400, shows: errLoginUnknown.Description, code: "invalid_request", cause: "login transaction unknown"},
		{name: "login, transaction expired", visit: func(t *testing.T, s *apiServer) page {
			b := newBrowser(t, s)
			r := b.get(spaAuthorize(testIssuer))
			require.NotNil(t, r.Location)
			s.Clock().Advance(loginLifetime)
			return b.get(r.Location.String())
		}, status: 400, shows: errLoginUnknown.Description, code: "invalid_request", cause: "login transaction expired"},
		{name: "login, form posted again meanwhile", visit: func(t *testing.T, s *apiServer) page {
			b, action, fields := loginPage(t, s)
			s.store = loginTakenMeanwhile{s.store}
			fields.Set("username", "alice@example.com")
			fields.Set("password", "alice-password")
			return b.post(action, fields)
		}, status: 400, shows: errLoginUnknown.Description, code: "invalid_request", cause: "login transaction already completed"},
		{name: "login, another browser", visit: func(t *testing.T, s *apiServer) page {
			r := newBrowser(t, s).get(spaAuthorize(testIssuer))
			require.NotNil(t, r.Location)
			return newBrowser(t, s).get(r.Location.String())
		}, status: 400, shows: errLoginUnknown.Description, code: "invalid_request", cause: "login cookie missing or from another browser"},
		{name: "login, CSRF token missing", visit: func(t *testing.T, s *apiServer) page {
			b, action, fields := loginPage(t, s)
			fields.Del("_csrf")
			return b.post(action, fields)
		}, status: 403, shows: "The login form's CSRF token is invalid.", code: "access_denied", cause: "_csrf missing"},
		{name: "login, CSRF token wrong", visit: func(t *testing.T, s *apiServer) page {
			b, action, fields := loginPage(t, s)
			fields.Set("_csrf", "forged")
			return b.post(action, fields)
		}, status: 403, shows: "The login form's CSRF token is invalid.", code: "access_denied", cause: "_csrf is not the login page's"},
		{name: "login, posted from another site", visit: func(t *testing.T, s *apiServer) page {
			b, action, fields := loginPage(t, s)
			return b.post(action, fields, "Sec-Fetch-Site", "cross-site")
		}, status: 403, shows: "Cross-site login requests are refused.", code: "access_denied",
			cause: "cross-origin request detected from Sec-Fetch-Site header"},
		{name: "login, form over the size limit", visit: func(t *testing.T, s *apiServer) page {
			b, action, fields := loginPage(t, s)
			fields.Set("password", strings.Repeat("p", DefaultMaxBodyBytes))
			return b.post(action, fields)
		}, status: 400, shows: "The login form could not be read.", code: "invalid_request", cause: "form body over the size limit"},

		{name: "logout, returnTo not the client's", visit: get(testIssuer + "v2/logout?client_id=demo-spa&returnTo=" + url.QueryEscape("https://evil.example/")),
			status: 400, shows: notInLogoutURLs("returnTo", "https://evil.example/"), code: "invalid_request",
			cause: "returnTo is not in client demo-spa's allowed_logout_urls"},
		{name: "logout, returnTo not the tenant's", visit: get(testIssuer + "v2/logout?returnTo=" + url.QueryEscape("https://evil.example/")),
			status: 400, shows: notInLogoutURLs("returnTo", "https://evil.example/"), code: "invalid_request",
			cause: "returnTo is not in the tenant's allowed_logout_urls (no client_id)"},
		{name: "logout, id_token_hint of another key", visit: func(t *testing.T, s *apiServer) page {
			other, err := signing.Generate("localhost")
			require.NoError(t, err)
			hint := signed(t, other, map[string]any{"iss": testIssuer, "sub": "auth0|alice", "aud": spaClient})
			return newBrowser(t, s).get(testIssuer + "oidc/logout?id_token_hint=" + hint)
		}, status: 400, shows: errBadHint.Description, code: "invalid_request",
			cause: "id_token_hint signature or format: " + signing.ErrUnknownKey.Error()},
		{name: "logout, id_token_hint of another issuer", visit: func(t *testing.T, s *apiServer) page {
			hint := signed(t, s.keys, map[string]any{"iss": "https://other.example.com/", "sub": "auth0|alice", "aud": spaClient})
			return newBrowser(t, s).get(testIssuer + "oidc/logout?id_token_hint=" + hint)
		}, status: 400, shows: errBadHint.Description, code: "invalid_request", cause: "id_token_hint iss is not this tenant's issuer"},
		{name: "logout, id_token_hint without aud", visit: func(t *testing.T, s *apiServer) page {
			hint := signed(t, s.keys, map[string]any{"iss": testIssuer, "sub": "auth0|alice"})
			return newBrowser(t, s).get(testIssuer + "oidc/logout?id_token_hint=" + hint)
		}, status: 400, shows: errBadHint.Description, code: "invalid_request", cause: "id_token_hint has no aud"},
		{name: "logout, post_logout_redirect_uri not the client's", visit: get(testIssuer + "oidc/logout?client_id=demo-spa&post_logout_redirect_uri=" + url.QueryEscape("https://evil.example/")),
			status: 400, shows: notInLogoutURLs("post_logout_redirect_uri", "https://evil.example/"), code: "invalid_request",
			cause: "post_logout_redirect_uri is not in client demo-spa's allowed_logout_urls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newLoggedServer(t, fixtures.FS, fixtures.DefaultTenant)
			p := tt.visit(t, s)
			require.Equal(t, tt.status, p.Status, p.Body)
			if tt.status == http.StatusFound {
				require.NotNil(t, p.Location)
				assert.Equal(t, tt.code, p.Location.Query().Get("error"))
				assert.Equal(t, tt.shows, p.Location.Query().Get("error_description"))
				assert.Equal(t, spaState, p.Location.Query().Get("state"))
			} else {
				assert.Nil(t, p.Location)
				assertPageHeaders(t, p)
				assert.Contains(t, p.Body, html.EscapeString(tt.shows))
			}
			assertCause(t, logs, tt.code, tt.cause)
			assert.NotContains(t, p.Body, html.EscapeString(tt.cause), "a cause never reaches the browser")
			if p.Location != nil {
				assert.NotContains(t, p.Location.String(), url.QueryEscape(tt.cause))
			}
		})
	}
}

// TestInternalErrorIsLoggedNotSent: a failure that is not a protocol error reaches the client
// as a bare server_error, its text only the log, on an error-level request line.
func TestInternalErrorIsLoggedNotSent(t *testing.T) {
	failure := errors.New("the key store is unreadable")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		body    string
		ctype   string
	}{
		{"JSON endpoint", func(w http.ResponseWriter, r *http.Request) { writeFailure(w, r, failure) },
			`{"error":"server_error","error_description":"Internal error"}` + "\n", "application/json; charset=utf-8"},
		{"browser endpoint", nil, "server_error: the emulator failed; see its log\n", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newLoggedServer(t, fixtures.FS, fixtures.DefaultTenant)
			h := tt.handler
			if h == nil {
				h = s.browser(func(http.ResponseWriter, *http.Request) error { return failure })
			}
			s.mux.HandleFunc("POST /failing", h)
			w := s.post(t, "/failing", "")
			assert.Equal(t, http.StatusInternalServerError, w.Code)
			assert.Equal(t, tt.body, w.Body.String())
			assert.Equal(t, tt.ctype, w.Header().Get("Content-Type"))
			assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			line := lastRequestLine(t, logs)
			assert.Equal(t, "ERROR", line["level"])
			assert.Equal(t, "server_error", line["error"])
			assert.Equal(t, failure.Error(), line["cause"])
		})
	}
}

// TestSuccessLogsNoError: a request that succeeds has no error or cause on its line.
func TestSuccessLogsNoError(t *testing.T) {
	s, logs := newLoggedServer(t, fixtures.FS, fixtures.DefaultTenant)
	tokenOK(t, s.post(t, "/oauth/token", ccForm))
	line := lastRequestLine(t, logs)
	assert.Equal(t, "INFO", line["level"])
	assert.EqualValues(t, 200, line["status"])
	assert.NotContains(t, line, "error")
	assert.NotContains(t, line, "cause")
}
