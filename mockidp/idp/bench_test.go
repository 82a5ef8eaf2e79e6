package idp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/internal/redistest"
	"github.com/tenantless/tenantless/mockidp/store"
)

// BenchmarkClientCredentials is the whole handler for one client-credentials request with
// Basic authentication, the emulator's hottest path. It also reports its cost as a multiple of
// one raw RS256 signature with the same key (handler/sign; the target is at most 1.10): after
// the timed loop, requests and raw signatures alternate, so that both see the same machine.
func BenchmarkClientCredentials(b *testing.B) {
	s := newAPIServer(b)
	request := clientCredentialsRequest(b, s)
	b.ReportAllocs()
	for b.Loop() {
		request()
	}

	reportRatio(b, s, request, 1, 500, "handler/sign")
}

// reportRatio reports op's cost as a multiple of signs raw RS256 signatures with the tenant's
// key, under unit. It runs after a benchmark's timed loop: op and the signatures alternate, at
// most rounds times (and never more than the loop ran), so that both see the same machine.
func reportRatio(b *testing.B, s *apiServer, op func(), signs, rounds int, unit string) {
	key, digest := rawSignInput(s)
	var opTime, rawTime time.Duration
	for range min(b.N, rounds) {
		start := time.Now()
		op()
		mid := time.Now()
		for range signs {
			signRaw(b, key, digest)
		}
		opTime, rawTime = opTime+mid.Sub(start), rawTime+time.Since(mid)
	}
	b.ReportMetric(float64(opTime)/float64(rawTime), unit)
}

// clientCredentialsRequest returns a function that serves one client-credentials request.
func clientCredentialsRequest(b *testing.B, s *apiServer) func() {
	authz := basic("demo-m2m", "demo-m2m-secret")
	const body = "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.com"
	return func() {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", authz)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkRawRS256Sign is the floor: one PKCS #1 v1.5 signature over a SHA-256 digest with
// the tenant's key, what every access token costs at least.
func BenchmarkRawRS256Sign(b *testing.B) {
	key, digest := rawSignInput(newAPIServer(b))
	b.ReportAllocs()
	for b.Loop() {
		signRaw(b, key, digest)
	}
}

// rawSignInput is the tenant's signing key and the digest of about an access token's signing
// input.
func rawSignInput(s *apiServer) (*rsa.PrivateKey, []byte) {
	digest := sha256.Sum256(make([]byte, 600))
	return s.keys.Keys()[0].Private, digest[:]
}

func signRaw(b *testing.B, key *rsa.PrivateKey, digest []byte) {
	if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStores is a login (as BenchmarkBrowserLogin) and a rotating refresh on each store,
// each also reported as a multiple of the two RS256 signatures it needs (op/raw). The Redis
// store's figures include a round trip per store call to a server on the loopback.
func BenchmarkStores(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) store.Store // nil: the Server's own memory store
	}{
		{"memory", func(*testing.B) store.Store { return nil }},
		{"redis", func(b *testing.B) store.Store {
			st, err := store.OpenRedis(context.Background(), redistest.New(b).URL, store.RedisOptions{Prefix: redistest.Prefix(b)})
			require.NoError(b, err)
			b.Cleanup(func() { st.Close() })
			return st
		}},
	}
	for _, sc := range stores {
		b.Run("login/"+sc.name, func(b *testing.B) {
			s, _ := newStateServer(b, func(c *Config) { c.Store = sc.open(b) })
			authorize := spaAuthorize(testIssuer)
			login := func() {
				code := codeOf(b, newBrowser(b, s).login(authorize, "alice@example.com", "alice-password"), spaCallback, spaState)
				if w := s.exchange(b, code); w.Code != http.StatusOK {
					b.Fatal(w.Body.String())
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				login()
			}
			reportRatio(b, s, login, 2, 200, "login/raw")
		})
		b.Run("refresh/"+sc.name, func(b *testing.B) {
			s, _ := newStateServer(b, func(c *Config) { c.Store = sc.open(b) })
			rt := tokenOK(b, s.post(b, "/oauth/token", passwordForm("alice@example.com", "alice-password",
				"audience", "https://api.example.com", "scope", "openid offline_access"))).RefreshToken
			refresh := func() { rt = tokenOK(b, s.post(b, "/oauth/token", refreshForm(rt))).RefreshToken }
			b.ReportAllocs()
			for b.Loop() {
				refresh()
			}
			reportRatio(b, s, refresh, 2, 200, "refresh/raw")
		})
	}
}
