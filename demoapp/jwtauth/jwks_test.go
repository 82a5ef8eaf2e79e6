package jwtauth

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func requireUnavailable(t *testing.T, rec *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	assert.Equal(t, retryAfter, rec.Header().Get("Retry-After"))
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"), "a key outage is not a credentials problem")
	assert.JSONEq(t, `{"error":"temporarily_unavailable","error_description":"The signing keys are temporarily unavailable"}`, rec.Body.String())
}

func failing(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", status) }
}

// hanging answers only when the client gives up.
func hanging(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// A13: an unknown kid costs one refetch, then 401; the limiter holds back the next one.
func TestUnknownKIDRefetchesOnce(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	require.Equal(t, int64(1), f.jwks.Hits())

	unknown := func(kid string) string { return f.token(t, func(h, _ map[string]any) { h["kid"] = kid }) }
	refusedToken(t, f, unknown("new-1"), errUnknownKey)
	assert.Equal(t, int64(2), f.jwks.Hits())
	refusedToken(t, f, unknown("new-2"), errUnknownKey)
	assert.Equal(t, int64(2), f.jwks.Hits(), "second unknown kid inside the interval: no fetch")

	f.clock.Advance(DefaultRefetchInterval)
	refusedToken(t, f, unknown("new-3"), errUnknownKey)
	assert.Equal(t, int64(3), f.jwks.Hits())
}

// A33 (decision): keys never fetched and the JWKS is down → 503 temporarily_unavailable with
// Retry-After, not 401: the token has not been judged. Failed fetches are not retried before
// RefetchInterval, so an outage does not make every request wait.
func TestJWKSDownAtFirstUse(t *testing.T) {
	f := newFixture(t)
	f.jwks.setResponse(failing(http.StatusInternalServerError))
	token := f.token(t, nil)

	requireUnavailable(t, f.get("/protected", bearer(token)), "10")
	assert.Equal(t, int64(1), f.jwks.Hits())

	f.clock.Advance(4 * time.Second)
	requireUnavailable(t, f.get("/protected", bearer(token)), "6")
	assert.Equal(t, int64(1), f.jwks.Hits(), "no new fetch before RefetchInterval")

	_, err := f.v.Validate(t.Context(), token)
	require.ErrorIs(t, err, ErrKeysUnavailable)
	assert.NotErrorIs(t, err, ErrInvalidToken)
	assert.Contains(t, err.Error(), "500", "the cause reaches the log")

	f.jwks.publish(t, "", jwk(rsaKey(t, "victim"), victimKID))
	f.clock.Advance(6 * time.Second)
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code, "recovers without a restart")
	assert.Equal(t, int64(2), f.jwks.Hits())
}

func TestJWKSUnreachableAtFirstUse(t *testing.T) {
	f := newFixture(t)
	f.jwks.Close()
	requireUnavailable(t, f.get("/protected", bearer(f.token(t, nil))), "10")
	// A bad request is still a bad request: no key is needed to refuse it.
	refusedToken(t, f, "not-a-token", errMalformed)
}

// A33, A35: a JWKS slower than the timeout; 50 concurrent requests share one fetch and all
// answer within the timeout.
func TestSlowJWKSBoundedAndShared(t *testing.T) {
	const timeout = 200 * time.Millisecond
	f := newFixture(t, func(c *Config) { c.FetchTimeout = timeout })
	f.jwks.setResponse(hanging)
	token := f.token(t, nil)

	var wg sync.WaitGroup
	codes := make(chan int, 50)
	elapsed := make(chan time.Duration, 50)
	for range 50 {
		wg.Go(func() {
			start := time.Now()
			codes <- f.get("/protected", bearer(token)).Code
			elapsed <- time.Since(start)
		})
	}
	wg.Wait()
	close(codes)
	close(elapsed)
	for code := range codes {
		assert.Equal(t, http.StatusServiceUnavailable, code)
	}
	for d := range elapsed {
		assert.Less(t, d, timeout+2*time.Second, "bounded by the fetch timeout")
	}
	assert.Equal(t, int64(1), f.jwks.Hits())
}

// Concurrent first uses collapse into one fetch when the JWKS answers too.
func TestConcurrentFirstUseFetchesOnce(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	body := mustJSON(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk(rsaKey(t, "victim"), victimKID)}})
	f.jwks.setResponse(func(w http.ResponseWriter, _ *http.Request) {
		<-release
		_, _ = w.Write([]byte(body))
	})
	token := f.token(t, nil)

	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for range 50 {
		wg.Go(func() { codes <- f.get("/protected", bearer(token)).Code })
	}
	close(release)
	wg.Wait()
	close(codes)
	for code := range codes {
		assert.Equal(t, http.StatusOK, code)
	}
	assert.Equal(t, int64(1), f.jwks.Hits())
}

// A34: once keys are cached, a JWKS outage does not stop verification.
func TestJWKSDownAfterWarmCache(t *testing.T) {
	for name, respond := range map[string]http.HandlerFunc{
		"500":     failing(http.StatusInternalServerError),
		"hanging": hanging,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.FetchTimeout = 100 * time.Millisecond; c.TokenCacheSize = -1 })
			token := f.token(t, nil)
			require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code)

			f.jwks.setResponse(respond)
			f.clock.Advance(DefaultKeyTTL)
			fresh := f.token(t, nil)
			assert.Equal(t, http.StatusOK, f.get("/protected", bearer(fresh)).Code)
			f.v.keys.settle()
			assert.Equal(t, int64(2), f.jwks.Hits(), "the stale set was refetched once")
			assert.Equal(t, http.StatusOK, f.get("/protected", bearer(fresh)).Code)
			assert.Equal(t, int64(2), f.jwks.Hits(), "no refetch before RefetchInterval")
		})
	}
}

// A36: whatever a broken JWKS answers, the cached keys stay; with no cache it is a 503. Bodies
// are read up to MaxJWKSBytes only.
func TestBrokenJWKSResponses(t *testing.T) {
	victim := jwk(rsaKey(t, "victim"), victimKID)
	body := func(ct, s string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ct)
			_, _ = w.Write([]byte(s))
		}
	}
	huge := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[` + mustJSON(t, victim) + `],"pad":"`))
		_, _ = w.Write([]byte(strings.Repeat("x", 5<<20)))
		_, _ = w.Write([]byte(`"}`))
	}
	cases := map[string]struct {
		respond http.HandlerFunc
		cause   string
		hits    int64 // requests one fetch makes
	}{
		"HTML":             {body("text/html", "<html><body>Service Unavailable</body></html>"), "not a JSON Web Key Set", 1},
		"bad JSON":         {body("application/json", `{"keys":[`), "not a JSON Web Key Set", 1},
		"keys is a string": {body("application/json", `{"keys":"x"}`), "not a JSON Web Key Set", 1},
		"keys twice":       {body("application/json", `{"keys":[],"keys":[`+mustJSON(t, victim)+`]}`), "not a JSON Web Key Set", 1},
		"no keys":          {body("application/json", `{"keys":[]}`), "no usable RS256 signing key", 1},
		"empty object":     {body("application/json", `{}`), "no usable RS256 signing key", 1},
		"500":              {failing(http.StatusInternalServerError), "500", 1},
		"404":              {failing(http.StatusNotFound), "404", 1},
		// net/http stops at the tenth request of a redirect chain.
		"redirect loop": {func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/again", http.StatusFound) }, "redirects", 10},
		"5 MB":          {huge, "more than 1048576 bytes", 1},
	}
	for name, tc := range cases {
		t.Run(name+" with a warm cache", func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.TokenCacheSize = -1 })
			require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
			f.jwks.setResponse(tc.respond)
			f.clock.Advance(DefaultKeyTTL)
			assert.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
			f.v.keys.settle()
			assert.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
			assert.Equal(t, 1+tc.hits, f.jwks.Hits(), "one failed refresh, then no retry before RefetchInterval")
		})
		t.Run(name+" with no cache", func(t *testing.T) {
			f := newFixture(t)
			f.jwks.setResponse(tc.respond)
			_, err := f.v.Validate(t.Context(), f.token(t, nil))
			require.ErrorIs(t, err, ErrKeysUnavailable)
			assert.Contains(t, err.Error(), tc.cause)
			assert.Equal(t, tc.hits, f.jwks.Hits())
		})
	}
}

// A37: keys that are not RS256 signing keys are ignored, and so is an ambiguous kid.
func TestUnusableJWKSKeys(t *testing.T) {
	victim := rsaKey(t, "victim")
	other := rsaKey(t, "other")
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	secret := []byte("0123456789abcdef0123456789abcdef")

	f := newFixture(t)
	f.jwks.publish(t, "",
		jwk(victim, victimKID),
		jose.JSONWebKey{Key: secret, KeyID: "oct", Algorithm: string(jose.HS256)},
		jose.JSONWebKey{Key: &other.PublicKey, KeyID: "enc", Algorithm: string(jose.RS256), Use: "enc"},
		jose.JSONWebKey{Key: &other.PublicKey, KeyID: "hs-labelled", Algorithm: string(jose.HS256)},
		jose.JSONWebKey{Key: &other.PublicKey, KeyID: "rs384", Algorithm: string(jose.RS384)},
		jose.JSONWebKey{Key: other, KeyID: "private", Algorithm: string(jose.RS256), Use: "sig"},
		jose.JSONWebKey{Key: &small.PublicKey, KeyID: "small", Algorithm: string(jose.RS256), Use: "sig"},
		jwk(other, "twice"),
		jwk(victim, "twice"),
		jose.JSONWebKey{Key: &other.PublicKey, Algorithm: string(jose.RS256), Use: "sig"},
	)
	claims := mustJSON(t, f.claims())
	for _, kid := range []string{"enc", "hs-labelled", "rs384", "private", "twice", "oct"} {
		t.Run(kid, func(t *testing.T) {
			refusedToken(t, f, signRaw(t, other, crypto.SHA256, `{"alg":"RS256","kid":"`+kid+`"}`, claims), errUnknownKey)
		})
	}
	t.Run("small", func(t *testing.T) {
		refusedToken(t, f, signRaw(t, small, crypto.SHA256, `{"alg":"RS256","kid":"small"}`, claims), errUnknownKey)
	})
	t.Run("twice, signed by either key", func(t *testing.T) {
		refusedToken(t, f, signRaw(t, victim, crypto.SHA256, `{"alg":"RS256","kid":"twice"}`, claims), errUnknownKey)
	})
	t.Run("the usable key still works", func(t *testing.T) {
		assert.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	})
	t.Run("a set of only unusable keys is a failed fetch", func(t *testing.T) {
		g := newFixture(t)
		g.jwks.publish(t, "", jose.JSONWebKey{Key: secret, KeyID: victimKID, Algorithm: string(jose.HS256)})
		_, err := g.v.Validate(t.Context(), g.token(t, nil))
		assert.ErrorIs(t, err, ErrKeysUnavailable)
	})
}

// A38: a storm of made-up kids costs at most one JWKS request per limiter window.
func TestKIDMissStorm(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	random := make([]byte, 8)
	for range 1000 {
		_, _ = rand.Read(random)
		kid := hex.EncodeToString(random)
		token := f.token(t, func(h, _ map[string]any) { h["kid"] = kid })
		_, err := f.v.Validate(t.Context(), token)
		require.ErrorIs(t, err, errUnknownKey)
		f.clock.Advance(time.Millisecond)
	}
	assert.Equal(t, int64(2), f.jwks.Hits(), "warm-up plus one refetch in one second")

	f.clock.Advance(DefaultRefetchInterval)
	refusedToken(t, f, f.token(t, func(h, _ map[string]any) { h["kid"] = "next-window" }), errUnknownKey)
	assert.Equal(t, int64(3), f.jwks.Hits())
}

// A39: a rotation is picked up without a restart: the new key after one refetch; the dropped key
// is refused as soon as the refresh that dropped it ends, even from the verified-token cache,
// and until then the stale set answers for it.
func TestKeyRotation(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.TokenCacheTTL = time.Hour
		c.FetchTimeout = 10 * time.Second
		// The unknown-kid limiter then stays shut after the refetch for k2, so the refusals of k1
		// below come from the refresh alone.
		c.RefetchInterval = time.Hour
	})
	k1, k2 := rsaKey(t, "victim"), rsaKey(t, "rotated")
	signed := func(key *rsa.PrivateKey, kid string) string {
		return signRaw(t, key, crypto.SHA256, `{"alg":"RS256","typ":"JWT","kid":"`+kid+`"}`, mustJSON(t, f.claims()))
	}
	byK1 := signed(k1, victimKID)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(byK1)).Code)
	require.Equal(t, int64(1), f.jwks.Hits())

	f.jwks.publish(t, "", jwk(k1, victimKID), jwk(k2, rotatedKID))
	byK2 := signed(k2, rotatedKID)
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(byK2)).Code)
	assert.Equal(t, int64(2), f.jwks.Hits(), "one refetch for the new kid")

	arrived, release := blockJWKS(t, f, jwk(k2, rotatedKID))
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(byK1)).Code, "k1 is trusted until the set is refreshed")

	f.clock.Advance(DefaultKeyTTL)
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(byK1)).Code, "the stale set answers while it is refreshed")
	done := f.v.keys.running()
	require.NotNil(t, done)
	requireReached(t, arrived, done)
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(signed(k1, victimKID))).Code)
	release()
	<-done
	refusedToken(t, f, byK1, errUnknownKey)
	assert.Equal(t, int64(3), f.jwks.Hits())
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(byK2)).Code)
	refusedToken(t, f, signed(k1, victimKID), errUnknownKey)
}

// A40: Cache-Control max-age is honoured within [MinKeyTTL, MaxKeyTTL].
func TestKeyTTLClamp(t *testing.T) {
	cases := map[string]time.Duration{
		"":                                  DefaultKeyTTL,
		"public":                            DefaultKeyTTL,
		"max-age=0":                         MinKeyTTL,
		"max-age=15":                        MinKeyTTL,
		"public, max-age=600":               10 * time.Minute,
		"public, max-age=3600, s-maxage=10": time.Hour,
		"max-age=315360000":                 MaxKeyTTL,
		"max-age=9223372036854775807":       MaxKeyTTL,
		"max-age=99999999999999999999":      DefaultKeyTTL,
		"max-age=-5":                        DefaultKeyTTL,
		"max-age=abc":                       DefaultKeyTTL,
		`max-age="120"`:                     2 * time.Minute,
		"MAX-AGE=120":                       2 * time.Minute,
		"no-store":                          MinKeyTTL,
		"no-cache, max-age=3600":            MinKeyTTL,
	}
	for header, want := range cases {
		t.Run(header, func(t *testing.T) { assert.Equal(t, want, keyTTL(header)) })
	}

	for header, ttl := range map[string]time.Duration{"max-age=0": MinKeyTTL, "max-age=315360000": MaxKeyTTL} {
		t.Run("served "+header, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.TokenCacheSize = -1 })
			f.jwks.publish(t, header, jwk(rsaKey(t, "victim"), victimKID))
			require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)

			f.clock.Advance(ttl - time.Second)
			require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
			assert.Equal(t, int64(1), f.jwks.Hits(), "still fresh")

			f.clock.Advance(time.Second)
			require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
			f.v.keys.settle()
			assert.Equal(t, int64(2), f.jwks.Hits(), "stale: refetched")
		})
	}
}

// running returns the channel the running fetch closes when it ends, or nil when none runs.
func (s *keySet) running() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

// settle waits for the running fetch, if any, to end; the fetch timeout bounds the wait.
func (s *keySet) settle() {
	if done := s.running(); done != nil {
		<-done
	}
}

// fetchGoroutines counts the goroutines inside a JWKS download, from their stacks.
func fetchGoroutines() int {
	download := runtime.FuncForPC(reflect.ValueOf((*keySet).download).Pointer()).Name()
	stacks := make([]byte, 4<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	return strings.Count(string(stacks), download+"(")
}

// blockJWKS makes f's JWKS hold every request until release is called, then serve keys. arrived
// receives a value as each request reaches the server.
func blockJWKS(t *testing.T, f *fixture, keys ...jose.JSONWebKey) (arrived <-chan struct{}, release func()) {
	t.Helper()
	body := mustJSON(t, jose.JSONWebKeySet{Keys: keys})
	arrivals := make(chan struct{}, 64)
	gate := make(chan struct{})
	f.jwks.setResponse(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrivals <- struct{}{}:
		default:
		}
		select {
		case <-gate:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		case <-r.Context().Done():
		}
	})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	// Cleanups run last-in first-out: the server's Close, which waits for its handlers, comes after.
	t.Cleanup(release)
	return arrivals, release
}

// requireReached waits until the running fetch has reached the JWKS server, and fails if it ended
// first.
func requireReached(t *testing.T, arrived <-chan struct{}, done <-chan struct{}) {
	t.Helper()
	select {
	case <-arrived:
	case <-done:
		t.Fatal("the fetch ended before it reached the JWKS")
	}
}

// Past its lifetime the key set still answers for the kids in it, at once, while one refetch
// runs in the background: a JWKS that hangs costs the requests nothing. The JWKS here holds the
// refetch until released and the fetch timeout is ten seconds, so a request that waited for the
// refetch could only be answered after it ended.
func TestStaleKeysAnswerWhileRefetching(t *testing.T) {
	for name, cacheSize := range map[string]int{"token cache on": DefaultTokenCacheSize, "token cache off": -1} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.FetchTimeout = 10 * time.Second; c.TokenCacheSize = cacheSize })
			token := f.token(t, nil)
			require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code)
			before := fetchGoroutines()

			arrived, release := blockJWKS(t, f, jwk(rsaKey(t, "victim"), victimKID))
			f.clock.Advance(DefaultKeyTTL)
			require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code)
			done := f.v.keys.running()
			require.NotNil(t, done, "the stale set is being refetched")
			requireReached(t, arrived, done)

			fresh := make([]string, 20)
			for i := range fresh {
				fresh[i] = f.token(t, func(_, c map[string]any) { c["jti"] = strconv.Itoa(i) })
			}
			var wg sync.WaitGroup
			codes := make(chan int, len(fresh))
			for _, token := range fresh {
				wg.Go(func() { codes <- f.get("/protected", bearer(token)).Code })
			}
			wg.Wait()
			close(codes)
			for code := range codes {
				assert.Equal(t, http.StatusOK, code)
			}
			select {
			case <-done:
				t.Fatal("the refetch ended before the requests were answered")
			default:
			}
			assert.Equal(t, int64(2), f.jwks.Hits(), "one refetch for all the requests")
			assert.Equal(t, before+1, fetchGoroutines(), "exactly one fetch in flight")

			release()
			<-done
			assert.Equal(t, before, fetchGoroutines(), "no fetch outlives its answer")
			require.Equal(t, http.StatusOK, f.get("/protected", bearer(token)).Code)
			assert.Nil(t, f.v.keys.running(), "the refetched set is fresh")
			assert.Equal(t, int64(2), f.jwks.Hits())
		})
	}
}

// A background refetch that gets no answer ends at FetchTimeout and leaves no goroutine behind;
// the cached keys stay, and the next attempt waits RefetchInterval.
func TestBackgroundRefetchEndsAtTimeout(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.FetchTimeout = 100 * time.Millisecond; c.TokenCacheSize = -1 })
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	before := fetchGoroutines()

	f.jwks.setResponse(hanging)
	f.clock.Advance(DefaultKeyTTL)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	done := f.v.keys.running()
	require.NotNil(t, done)
	<-done
	assert.Equal(t, before, fetchGoroutines(), "the timed-out fetch left no goroutine")
	assert.Equal(t, int64(2), f.jwks.Hits())

	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code, "the cached keys stay")
	assert.Nil(t, f.v.keys.running(), "no refetch before RefetchInterval")
	assert.Equal(t, int64(2), f.jwks.Hits())

	f.jwks.publish(t, "", jwk(rsaKey(t, "victim"), victimKID))
	f.clock.Advance(DefaultRefetchInterval)
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	f.v.keys.settle()
	assert.Equal(t, int64(3), f.jwks.Hits())
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	assert.Equal(t, int64(3), f.jwks.Hits(), "the set is fresh again")
}

// A kid the stale set lacks waits for the refetch, which is due anyway, without the unknown-kid
// limiter's permission: a key published since the last fetch verifies on its first request.
func TestUnknownKIDInStaleSetWaitsForRefetch(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.RefetchInterval = time.Hour; c.TokenCacheSize = -1 })
	k1, k2 := rsaKey(t, "victim"), rsaKey(t, "rotated")
	require.Equal(t, http.StatusOK, f.get("/protected", bearer(f.token(t, nil))).Code)
	refusedToken(t, f, f.token(t, func(h, _ map[string]any) { h["kid"] = "made-up" }), errUnknownKey)
	require.Equal(t, int64(2), f.jwks.Hits(), "the limiter's one refetch is spent for the hour")

	f.jwks.publish(t, "", jwk(k1, victimKID), jwk(k2, rotatedKID))
	f.clock.Advance(DefaultKeyTTL)
	byK2 := signRaw(t, k2, crypto.SHA256, `{"alg":"RS256","kid":"`+rotatedKID+`"}`, mustJSON(t, f.claims()))
	assert.Equal(t, http.StatusOK, f.get("/protected", bearer(byK2)).Code)
	assert.Equal(t, int64(3), f.jwks.Hits())
}
