package idp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/internal/redistest"
	"github.com/tenantless/tenantless/mockidp/store"
)

// newStateServer serves the default tenant on the Config change makes, logging JSON.
func newStateServer(t testing.TB, change func(*Config)) (*apiServer, *bytes.Buffer) {
	t.Helper()
	base := newAPIServer(t)
	var logs bytes.Buffer
	cfg := Config{Issuer: testIssuer, Tenant: base.tenant, Keys: base.keys, Now: base.Clock().Now,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	change(&cfg)
	srv, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	return &apiServer{Server: srv}, &logs
}

// revokeByCodeReuse makes one revocation the cheap way an attacker would: a code of demo-web's
// without an API or openid (nothing to sign) redeemed twice. It returns the statuses.
func revokeByCodeReuse(t testing.TB, s *apiServer) (first, second int) {
	code := s.issueCode(t, store.AuthCode{ClientID: "demo-web", UserID: "auth0|alice"})
	redeem := form("grant_type", "authorization_code", "client_id", "demo-web", "client_secret", "demo-web-secret", "code", code)
	return s.post(t, "/oauth/token", redeem).Code, s.post(t, "/oauth/token", redeem).Code
}

// Revoked grants used to sit in a table of their own that a flood of cheap revocations
// pushed an earlier revocation out of. A revocation is now a flag on its grant, kept while
// anything of the grant lives, and at the bound on grants new ones are refused instead.
func TestRevocationSurvivesRevocationFlood(t *testing.T) {
	tests := []struct {
		name   string
		limits store.Limits
		flood  int
		short  bool // runs under -short
	}{
		{name: "small bounds", limits: store.Limits{Grants: 50, RefreshTokens: 50, AccessGrants: 50, OpaqueTokens: 50}, flood: 200, short: true},
		{name: "default bounds, 100,001 revocations", flood: 100_001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() && !tt.short {
				t.Skip("100,001 revocations take a while")
			}
			s, logs := newStateServer(t, func(c *Config) {
				c.Limits = tt.limits
				c.LimitFlags = map[string]string{"Grants": "--max-grants"}
			})
			victim := aliceOffline(t, s)
			require.Equal(t, http.StatusOK, s.post(t, "/oauth/revoke", form("client_id", "demo-web", "client_secret", "demo-web-secret",
				"token", victim.RefreshToken)).Code)

			statuses := map[[2]int]int{}
			for range tt.flood {
				first, second := revokeByCodeReuse(t, s)
				statuses[[2]int{first, second}]++
			}
			// A redemption refused at the bound leaves the code as it was, so its second one is
			// refused too.
			revoked, refused := statuses[[2]int{http.StatusOK, http.StatusForbidden}], statuses[[2]int{http.StatusTooManyRequests, http.StatusTooManyRequests}]
			assert.Equal(t, tt.flood, revoked+refused, "every redemption is either a revocation or refused at the bound: %v", statuses)
			assert.Positive(t, refused, "the flood reaches the bound on grants")
			if tt.limits.Grants == 0 {
				assert.Less(t, revoked, store.DefaultGrants)
			}

			assertError(t, s.post(t, "/oauth/token", refreshForm(victim.RefreshToken)), http.StatusForbidden, "invalid_grant", "Unknown or invalid refresh token.")
			assert.Equal(t, http.StatusUnauthorized, s.userinfoStatus(t, victim.AccessToken), "its access token stays revoked")

			w := s.post(t, "/oauth/token", form("grant_type", "authorization_code", "client_id", "demo-web", "client_secret", "demo-web-secret",
				"code", s.issueCode(t, store.AuthCode{ClientID: "demo-web", UserID: "auth0|alice"})))
			assertError(t, w, http.StatusTooManyRequests, "too_many_requests", errStoreFull.Description)
			cause, _ := lastRequestLine(t, logs)["cause"].(string)
			assert.Contains(t, cause, "Grants bound of")
			assert.Contains(t, cause, "raise it with --max-grants")
		})
	}
}

// Failed-login counts used to sit in a table that 10,000 made-up names flushed, lock and all.
func TestLockoutSurvivesFailureFlood(t *testing.T) {
	tests := []struct {
		name   string
		limits store.Limits
		flood  int
		full   bool // the flood reaches the bound on failures
	}{
		{name: "default bounds, 10,000 names", flood: 10_000},
		{name: "small bound", limits: store.Limits{Failures: 100}, flood: 300, full: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStateServer(t, func(c *Config) { c.Limits = tt.limits })
			for range store.MaxFailedLogins {
				assertError(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "guess")), http.StatusForbidden, "invalid_grant")
			}
			statuses := map[int]int{}
			for i := range tt.flood {
				statuses[s.post(t, "/oauth/token", passwordForm(fmt.Sprintf("made-up-%d@example.com", i), "x")).Code]++
			}
			if tt.full {
				assert.Positive(t, statuses[http.StatusTooManyRequests], "failures of new names are refused at the bound: %v", statuses)
			} else {
				assert.Equal(t, map[int]int{http.StatusForbidden: tt.flood}, statuses)
			}

			assertError(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password")), http.StatusTooManyRequests, "too_many_attempts")
			s.Clock().Advance(store.LockoutDuration - time.Second)
			assertError(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password")), http.StatusTooManyRequests, "too_many_attempts")
			s.Clock().Advance(time.Second)
			tokenOK(t, s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password")))
		})
	}
}

// Pending logins keep what /authorize was sent until they expire: a flood of them is bounded,
// a 15 KiB state is refused outright, and memory comes back once they have expired and been
// swept.
func TestAuthorizeFloodBoundedAndSwept(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap after a flood")
	}
	s := newAPIServer(t)
	assertErrorPage(t, newBrowser(t, s).get(spaAuthorize(testIssuer, "state", strings.Repeat("s", 15<<10))),
		http.StatusBadRequest, "Parameter 'state' is too long")

	base := heapInUse()
	const flood = 5 * store.DefaultLogins
	long := spaAuthorize(testIssuer, "state", strings.Repeat("s", maxStateBytes), "nonce", strings.Repeat("n", maxNonceBytes),
		"scope", "openid "+strings.Repeat("x", maxScopeBytes-len("openid ")))
	for range flood {
		r := s.send(t, http.MethodGet, long, "", "")
		require.Equal(t, http.StatusFound, r.Code)
	}
	flooded := heapInUse()
	// Each pending login holds about 6 KiB of parameters; the store keeps DefaultLogins.
	assert.Less(t, flooded, base+store.DefaultLogins*32<<10, "the flood is bounded by the store's bound on pending logins")

	s.Clock().Advance(loginLifetime + store.ExpiryMargin)
	s.store.(*recordingStore).Store.(*store.Memory).Sweep()
	// The control API's journal keeps the last JournalSize requests, parameters and all, by
	// design (they are what a test asserts on); it is not live state, so it is emptied here.
	s.ClearRequests()
	after := heapInUse()
	t.Logf("heap: %d KiB before, %d KiB flooded, %d KiB swept", base>>10, flooded>>10, after>>10)
	assert.Less(t, after, base+(flooded-base)/5, "the swept logins give their memory back")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// A store that goes away gives 503s, never a token, and the emulator serves again once it
// is back.
func TestStoreOutage(t *testing.T) {
	srv := redistest.Start(t)
	st, err := store.OpenRedis(context.Background(), srv.URL, store.RedisOptions{Prefix: redistest.Prefix(t)})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	s, logs := newStateServer(t, func(c *Config) { c.Store = st })
	login := aliceOffline(t, s)

	srv.Stop(t)
	down := []struct {
		name string
		do   func() *http.Response
	}{
		{"password grant", func() *http.Response {
			return s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password", "scope", "openid offline_access")).Result()
		}},
		{"refresh", func() *http.Response { return s.post(t, "/oauth/token", refreshForm(login.RefreshToken)).Result() }},
		{"userinfo", func() *http.Response {
			return s.send(t, http.MethodGet, "/userinfo", "", "", "Authorization", "Bearer "+login.AccessToken).Result()
		}},
		{"revoke", func() *http.Response {
			return s.post(t, "/oauth/revoke", form("client_id", "demo-web", "client_secret", "demo-web-secret", "token", login.RefreshToken)).Result()
		}},
	}
	for _, tc := range down {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.do()
			var body map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			assert.Equal(t, map[string]any{"error": "temporarily_unavailable", "error_description": errStoreUnavailable.Description}, body)
			cause, _ := lastRequestLine(t, logs)["cause"].(string)
			assert.Contains(t, cause, "store: unavailable")
		})
	}
	t.Run("authorize shows the error page", func(t *testing.T) {
		p := newBrowser(t, s).get(spaAuthorize(testIssuer))
		assertErrorPage(t, p, http.StatusServiceUnavailable, errStoreUnavailable.Description)
	})

	srv.Restart(t)
	// A pooled connection to the old server fails once; the next request dials anew.
	var w int
	for range 3 {
		if w = s.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password", "scope", "openid offline_access")).Code; w == http.StatusOK {
			break
		}
	}
	assert.Equal(t, http.StatusOK, w, "the emulator serves again once the store is back")
}
