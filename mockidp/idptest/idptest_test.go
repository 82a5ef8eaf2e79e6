package idptest

import (
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
)

// verify checks a token against the running server's discovery document and JWKS.
func verify(t *testing.T, s *Server, token, audience string, now func() time.Time) *oidc.IDToken {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), s.Client())
	provider, err := oidc.NewProvider(ctx, s.Issuer())
	require.NoError(t, err)
	tok, err := provider.Verifier(&oidc.Config{ClientID: audience, Now: now}).Verify(ctx, token)
	require.NoError(t, err)
	return tok
}

func TestNew(t *testing.T) {
	s := New(t)
	assert.Equal(t, s.URL+"/", s.Issuer())
	resp, err := s.Client().Get(s.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	t.Run("UserToken", func(t *testing.T) {
		tok := verify(t, s, s.UserToken(t, "alice@example.com", "https://api.example.com", "read:protected"), "https://api.example.com", nil)
		assert.Equal(t, "auth0|alice", tok.Subject)
		var c struct {
			Permissions []string `json:"permissions"`
			Scope       string   `json:"scope"`
		}
		require.NoError(t, tok.Claims(&c))
		assert.Equal(t, []string{"read:protected"}, c.Permissions)
		assert.Equal(t, "read:protected", c.Scope)
	})
	t.Run("UserToken without scopes", func(t *testing.T) {
		tok := verify(t, s, s.UserToken(t, "bob@example.com", ""), "https://api.example.com", nil)
		assert.Equal(t, "auth0|bob", tok.Subject)
	})
	t.Run("ClientToken", func(t *testing.T) {
		tok := verify(t, s, s.ClientToken(t, "demo-m2m", "https://api.example.com"), "https://api.example.com", nil)
		assert.Equal(t, "demo-m2m@clients", tok.Subject)
	})
	t.Run("Token with an ID token", func(t *testing.T) {
		resp := s.Token(t, idp.MintRequest{User: "alice@example.com", Scope: "openid profile"})
		tok := verify(t, s, resp.IDToken, "demo-spa", nil)
		assert.Equal(t, "auth0|alice", tok.Subject)
	})
}

func TestNewClosesWithTheTest(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		url = New(t).URL
	})
	_, err := http.Get(url + "/healthz")
	assert.Error(t, err)
}

func TestOptions(t *testing.T) {
	t.Run("WithTenant and WithClock", func(t *testing.T) {
		at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
		now := func() time.Time { return at }
		s := New(t, WithTenant(fixtures.FS, fixtures.QATenant), WithClock(now))
		tok := verify(t, s, s.ClientToken(t, "qa-m2m", "https://billing.example.com"), "https://billing.example.com", now)
		assert.Equal(t, at, tok.IssuedAt.UTC())
		assert.Equal(t, 2*time.Hour, tok.Expiry.Sub(tok.IssuedAt))
	})
	t.Run("WithTenantFile, keyless", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "t.yaml")
		require.NoError(t, os.WriteFile(path, []byte("resourceServers:\n  - {name: A, identifier: https://a.example.com}\n"+
			"users:\n  - {email: u@example.com, password: p}\nclients:\n  - {name: W, client_id: w, client_secret: s, app_type: regular_web}\n"), 0o644))
		s := New(t, WithTenantFile(path))
		tok := verify(t, s, s.UserToken(t, "u@example.com", ""), "https://a.example.com", nil)
		assert.Equal(t, "auth0|u", tok.Subject)
	})
	t.Run("WithLogger", func(t *testing.T) {
		var logs syncBuffer
		s := New(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		resp, err := s.Client().Get(s.URL + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		s.Close() // waits for the request's log line
		assert.Contains(t, logs.String(), "msg=request method=GET path=/healthz status=200")
	})
	t.Run("bad tenant", func(t *testing.T) {
		_, err := Start(WithTenant(fstest.MapFS{"t.yaml": {Data: []byte("clients: 3\n")}}, "t.yaml"))
		assert.ErrorContains(t, err, "t.yaml:1:10: clients:")
	})
	t.Run("missing tenant file", func(t *testing.T) {
		_, err := Start(WithTenantFile(filepath.Join(t.TempDir(), "none.yaml")))
		assert.ErrorContains(t, err, "none.yaml")
	})
}

// syncBuffer is a log destination the test reads while the server may write.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestClocks: a Clock given with WithClock drives the emulator as it moves, and the emulator's
// own clock moves it further without touching the test's.
func TestClocks(t *testing.T) {
	start := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	clock := NewClock(start)
	s := New(t, WithClock(clock.Now))
	iat := func() time.Time {
		t.Helper()
		return verify(t, s, s.ClientToken(t, "demo-m2m", "https://api.example.com"), "https://api.example.com", s.Clock().Now).IssuedAt.UTC()
	}
	assert.Equal(t, start, iat())

	clock.Advance(time.Hour)
	assert.Equal(t, start.Add(time.Hour), iat(), "the emulator follows the test's clock")

	s.Clock().Advance(-3 * time.Hour)
	assert.Equal(t, start.Add(-2*time.Hour), iat(), "the emulator's own clock moves it further")
	assert.Equal(t, start.Add(time.Hour), clock.Now(), "the test's clock stays where it was")

	s.Clock().Reset()
	assert.Equal(t, start.Add(time.Hour), iat(), "back on the test's clock")
}

func TestClock(t *testing.T) {
	start := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		name string
		move func(c *Clock)
		want time.Time
	}{
		{"stands at its start", func(*Clock) {}, start},
		{"advance", func(c *Clock) { c.Advance(90 * time.Second) }, start.Add(90 * time.Second)},
		{"advances add up", func(c *Clock) { c.Advance(time.Hour); c.Advance(-3 * time.Hour) }, start.Add(-2 * time.Hour)},
		{"set", func(c *Clock) { c.Advance(time.Hour); c.Set(start.AddDate(1, 0, 0)) }, start.AddDate(1, 0, 0)},
		{"set, then advance", func(c *Clock) { c.Set(start.AddDate(-1, 0, 0)); c.Advance(time.Minute) }, start.AddDate(-1, 0, 0).Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClock(start)
			tt.move(c)
			assert.Equal(t, tt.want, c.Now())
			assert.Equal(t, tt.want, c.Now(), "it stands still")
		})
	}
	t.Run("concurrent use", func(t *testing.T) {
		const goroutines, steps = 8, 500
		c := NewClock(start)
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range steps {
					c.Advance(time.Second)
					_ = c.Now()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, start.Add(goroutines*steps*time.Second), c.Now())
	})
}

// TestWithTLS: the tenant answers over real TLS with HTTP/2, every URL it hands out is https,
// its cookies are Secure, and only Client trusts it.
func TestWithTLS(t *testing.T) {
	s := New(t, WithTLS())
	require.True(t, strings.HasPrefix(s.URL, "https://127.0.0.1:"), s.URL)
	assert.Equal(t, s.URL+"/", s.Issuer())

	t.Run("discovery over HTTP/2", func(t *testing.T) {
		resp, err := s.Client().Get(s.URL + "/.well-known/openid-configuration")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, 2, resp.ProtoMajor, "HTTP/2 is negotiated, as mockidp serve offers it")
		var doc map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
		for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"} {
			assert.True(t, strings.HasPrefix(doc[k].(string), s.URL+"/"), "%s = %v", k, doc[k])
		}
	})
	t.Run("tokens verify through Client", func(t *testing.T) {
		tok := verify(t, s, s.ClientToken(t, "demo-m2m", "https://api.example.com"), "https://api.example.com", nil)
		assert.Equal(t, "demo-m2m@clients", tok.Subject)
		assert.Equal(t, s.Issuer(), tok.Issuer)
	})
	t.Run("cookies are Secure", func(t *testing.T) {
		c := s.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Get(s.URL + "/authorize?" + url.Values{
			"client_id": {"demo-web"}, "response_type": {"code"}, "redirect_uri": {"http://localhost:3000/callback"},
			"scope": {"openid"}, "state": {"s"},
		}.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode)
		require.NotEmpty(t, resp.Cookies())
		for _, ck := range resp.Cookies() {
			assert.True(t, ck.Secure, "cookie %s", ck.Name)
		}
	})
	t.Run("a client that does not trust it is refused", func(t *testing.T) {
		_, err := (&http.Client{Timeout: 5 * time.Second}).Get(s.URL + "/healthz")
		var unknown x509.UnknownAuthorityError
		assert.ErrorAs(t, err, &unknown, "the system roots do not vouch for the test certificate")
	})
	t.Run("plain http is not served", func(t *testing.T) {
		resp, err := http.Get("http://" + strings.TrimPrefix(s.URL, "https://") + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "Go's TLS server answers plain HTTP with 400")
	})
}
