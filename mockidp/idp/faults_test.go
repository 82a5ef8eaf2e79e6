package idp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// addFault posts a fault and returns it as listed.
func (s *apiServer) addFault(t testing.TB, body string) map[string]any {
	t.Helper()
	w := s.control(t, http.MethodPost, "/tenantless/faults", body)
	f := decode[map[string]any](t, w, http.StatusCreated)
	assert.Equal(t, testIssuer+"tenantless/faults/"+f["id"].(string), w.Header().Get("Location"))
	return f
}

func (s *apiServer) clientCredentials(t testing.TB, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	return s.post(t, "/oauth/token", form("grant_type", "client_credentials", "client_id", "demo-m2m",
		"client_secret", "demo-m2m-secret", "audience", "https://api.example.com"), headers...)
}

// TestFaultRateLimit: a 429 fault answers Auth0's error with its rate-limit headers, once by
// default, to a browser too (CORS), and is journalled with its id; then the endpoint recovers.
func TestFaultRateLimit(t *testing.T) {
	s, _ := newControlServer(t, nil)
	f := s.addFault(t, `{"path":"/oauth/token","status":429,"error":"too_many_requests","error_description":"Global limit has been reached"}`)
	assert.Equal(t, map[string]any{"id": f["id"], "path": "/oauth/token", "status": float64(429), "error": "too_many_requests",
		"error_description": "Global limit has been reached", "times": float64(1), "remaining": float64(1), "hits": float64(0)}, f)

	w := s.clientCredentials(t, "Origin", "http://localhost:3000")
	assertError(t, w, http.StatusTooManyRequests, "too_many_requests", "Global limit has been reached")
	assert.Equal(t, "10", w.Header().Get("X-RateLimit-Limit"))
	assert.Equal(t, "0", w.Header().Get("X-RateLimit-Remaining"))
	assert.Equal(t, strconv.FormatInt(testStart.Unix()+1, 10), w.Header().Get("X-RateLimit-Reset"))
	assert.Equal(t, "http://localhost:3000", w.Header().Get("Access-Control-Allow-Origin"), "the page can read the 429")
	assert.Equal(t, f["id"], s.requests(t, "?limit=1")[0].Fault)
	assert.Equal(t, http.StatusTooManyRequests, s.requests(t, "?limit=1")[0].Status)

	tokenOK(t, s.clientCredentials(t))
	assert.JSONEq(t, `{"faults":[]}`, s.control(t, http.MethodGet, "/tenantless/faults", "").Body.String(), "used up")
	assert.Empty(t, s.requests(t, "?limit=1")[0].Fault)
}

// TestFaultMatching: a fault answers only the requests it matches.
func TestFaultMatching(t *testing.T) {
	password := func(username string) string {
		return form("grant_type", "password", "client_id", "demo-web", "client_secret", "demo-web-secret",
			"username", username, "password", "x")
	}
	cc := form("grant_type", "client_credentials", "client_id", "demo-m2m", "client_secret", "demo-m2m-secret",
		"audience", "https://api.example.com")
	tests := []struct {
		name, fault, path, body string
		headers                 []string
		hit                     bool
	}{
		{"path", `{"path":"/oauth/token","status":500}`, "/oauth/token", cc, nil, true},
		{"another path", `{"path":"/oauth/revoke","status":500}`, "/oauth/token", cc, nil, false},
		{"grant type", `{"path":"/oauth/token","grant_type":"client_credentials","status":500}`, "/oauth/token", cc, nil, true},
		{"another grant type", `{"path":"/oauth/token","grant_type":"refresh_token","status":500}`, "/oauth/token", cc, nil, false},
		{"client id", `{"path":"/oauth/token","client_id":"demo-m2m","status":500}`, "/oauth/token", cc, nil, true},
		{"another client", `{"path":"/oauth/token","client_id":"demo-web","status":500}`, "/oauth/token", cc, nil, false},
		{"client of basic auth", `{"path":"/oauth/token","client_id":"demo-m2m","status":500}`, "/oauth/token",
			form("grant_type", "client_credentials", "audience", "https://api.example.com"), []string{"Authorization", basic("demo-m2m", "demo-m2m-secret")}, true},
		{"user by email", `{"path":"/oauth/token","user":"alice@example.com","status":500}`, "/oauth/token", password("alice@example.com"), nil, true},
		{"user by user_id", `{"path":"/oauth/token","user":"auth0|alice","status":500}`, "/oauth/token", password("ALICE@example.com"), nil, true},
		{"another user", `{"path":"/oauth/token","user":"auth0|bob","status":500}`, "/oauth/token", password("alice@example.com"), nil, false},
		{"user of a grant naming none", `{"path":"/oauth/token","user":"auth0|alice","status":500}`, "/oauth/token", cc, nil, false},
		{"user not in the tenant", `{"path":"/oauth/token","user":"zed@example.com","status":500}`, "/oauth/token", password("zed@example.com"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newControlServer(t, nil)
			s.addFault(t, tt.fault)
			w := s.post(t, tt.path, tt.body, tt.headers...)
			if tt.hit {
				assertError(t, w, http.StatusInternalServerError, "server_error", "Internal Server Error")
				assert.Empty(t, s.Faults())
				return
			}
			assert.NotEqual(t, http.StatusInternalServerError, w.Code, w.Body.String())
			require.Len(t, s.Faults(), 1, "a request the fault does not match leaves it")
			assert.Equal(t, 1, s.Faults()[0].Remaining)
		})
	}
}

// TestFaultTimes: times counts the requests a fault answers, 0 keeps it until removed, and
// faults are listed, removed one by one or all at once.
func TestFaultTimes(t *testing.T) {
	s, _ := newControlServer(t, nil)
	twice := s.addFault(t, `{"path":"/oauth/token","status":503,"times":2}`)
	forever := s.addFault(t, `{"path":"/.well-known/jwks.json","status":500,"times":0}`)
	assert.NotContains(t, forever, "remaining")
	assert.NotEqual(t, twice["id"], forever["id"])

	assertError(t, s.clientCredentials(t), http.StatusServiceUnavailable, "temporarily_unavailable", "Service Unavailable")
	list := decode[faultList](t, s.control(t, http.MethodGet, "/tenantless/faults", ""), http.StatusOK).Faults
	require.Len(t, list, 2)
	assert.Equal(t, 1, *list[0].Remaining)
	assert.Equal(t, 1, *list[0].Hits)
	assertError(t, s.clientCredentials(t), http.StatusServiceUnavailable, "temporarily_unavailable")
	tokenOK(t, s.clientCredentials(t))

	for range 3 {
		assertError(t, s.send(t, http.MethodGet, "/.well-known/jwks.json", "", ""), http.StatusInternalServerError, "server_error")
	}
	list = decode[faultList](t, s.control(t, http.MethodGet, "/tenantless/faults", ""), http.StatusOK).Faults
	require.Len(t, list, 1)
	assert.Equal(t, 3, *list[0].Hits)
	assert.Equal(t, 0, *list[0].Times)

	assert.Equal(t, http.StatusNoContent, s.control(t, http.MethodDelete, "/tenantless/faults/"+forever["id"].(string), "").Code)
	assert.Equal(t, http.StatusOK, s.send(t, http.MethodGet, "/.well-known/jwks.json", "", "").Code)
	assertError(t, s.control(t, http.MethodDelete, "/tenantless/faults/"+forever["id"].(string), ""), http.StatusNotFound, "not_found")
	assertError(t, s.control(t, http.MethodDelete, "/tenantless/faults/nope", ""), http.StatusNotFound, "not_found")

	s.addFault(t, `{"path":"/oauth/token","status":500}`)
	s.addFault(t, `{"path":"/userinfo","status":500}`)
	assert.Equal(t, http.StatusNoContent, s.control(t, http.MethodDelete, "/tenantless/faults", "").Code)
	assert.Empty(t, s.Faults())
	tokenOK(t, s.clientCredentials(t))
}

// TestFaultOrder: faults answer in the order they were added, each as often as it says.
func TestFaultOrder(t *testing.T) {
	s, _ := newControlServer(t, nil)
	s.addFault(t, `{"path":"/oauth/token","status":429}`)
	s.addFault(t, `{"path":"/oauth/token","status":502}`)
	assertError(t, s.clientCredentials(t), http.StatusTooManyRequests, "too_many_requests", "Too Many Requests")
	assertError(t, s.clientCredentials(t), http.StatusBadGateway, "server_error")
	tokenOK(t, s.clientCredentials(t))
}

// TestFaultConcurrent: concurrent requests get a fault exactly as many times as it says.
func TestFaultConcurrent(t *testing.T) {
	s, _ := newControlServer(t, nil)
	s.addFault(t, `{"path":"/oauth/token","status":500,"times":5}`)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			w := s.clientCredentials(t)
			mu.Lock()
			defer mu.Unlock()
			statuses[w.Code]++
		})
	}
	wg.Wait()
	assert.Equal(t, map[int]int{http.StatusInternalServerError: 5, http.StatusOK: 15}, statuses)
}

// TestFaultDelay: a delay holds the request, then lets the endpoint answer or answers the
// fault's error; a client that leaves ends the wait and the endpoint never runs.
func TestFaultDelay(t *testing.T) {
	s, _ := newControlServer(t, nil)
	s.addFault(t, `{"path":"/oauth/token","delay":"30ms"}`)
	start := time.Now()
	tokenOK(t, s.clientCredentials(t))
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)

	s.addFault(t, `{"path":"/oauth/token","delay":"20ms","status":504}`)
	start = time.Now()
	assertError(t, s.clientCredentials(t), http.StatusGatewayTimeout, "server_error")
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)

	s.addFault(t, `{"path":"/oauth/token","delay":"5m"}`)
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/oauth/token", nil)
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ServeHTTP(w, r)
	}()
	cancel()
	<-done
	assert.NotContains(t, w.Body.String(), "access_token", "the endpoint never ran")
	last := s.Requests(RequestFilter{Limit: 1})[0]
	assert.Equal(t, http.StatusServiceUnavailable, last.Status)
	assert.Equal(t, "temporarily_unavailable", last.Error)
}

// TestFaultDeniedLogin: at /authorize an error without a status goes back to the application
// in its response mode, with its state, once client and redirect_uri are trusted.
func TestFaultDeniedLogin(t *testing.T) {
	authorize := func(mode, redirect string) string {
		q := url.Values{"client_id": {"demo-spa"}, "redirect_uri": {redirect}, "response_type": {"code"},
			"state": {"st+/="}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
		if mode != "" {
			q.Set("response_mode", mode)
		}
		return "/authorize?" + q.Encode()
	}
	const fault = `{"path":"/authorize","error":"access_denied","error_description":"Members only"}`

	t.Run("query", func(t *testing.T) {
		s, _ := newControlServer(t, nil)
		s.addFault(t, fault)
		w := s.send(t, http.MethodGet, authorize("", "http://localhost:3000"), "", "")
		assert.Equal(t, http.StatusFound, w.Code)
		assert.Equal(t, "http://localhost:3000?error=access_denied&error_description=Members+only&state=st%2B%2F%3D", w.Header().Get("Location"))
	})
	t.Run("fragment", func(t *testing.T) {
		s, _ := newControlServer(t, nil)
		s.addFault(t, fault)
		w := s.send(t, http.MethodGet, authorize("fragment", "http://localhost:3000"), "", "")
		assert.Equal(t, "http://localhost:3000#error=access_denied&error_description=Members+only&state=st%2B%2F%3D", w.Header().Get("Location"))
	})
	t.Run("form_post", func(t *testing.T) {
		s, _ := newControlServer(t, nil)
		s.addFault(t, fault)
		w := s.send(t, http.MethodGet, authorize("form_post", "http://localhost:3000"), "", "")
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Contains(t, w.Body.String(), `name="error" value="access_denied"`)
		assert.Contains(t, w.Body.String(), `name="state" value="st&#43;/="`)
	})
	t.Run("untrusted redirect_uri", func(t *testing.T) {
		s, _ := newControlServer(t, nil)
		s.addFault(t, fault)
		w := s.send(t, http.MethodGet, authorize("", "http://evil.example"), "", "")
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assert.Empty(t, w.Header().Get("Location"), "never redirected to an unregistered URI")
		assert.Contains(t, w.Body.String(), "Callback URL mismatch")
	})
	t.Run("login_required on silent authentication", func(t *testing.T) {
		s, _ := newControlServer(t, nil)
		s.addFault(t, `{"path":"/authorize","client_id":"demo-spa","error":"login_required","error_description":"Login required"}`)
		w := s.send(t, http.MethodGet, authorize("", "http://localhost:3000")+"&prompt=none", "", "")
		assert.Equal(t, "http://localhost:3000?error=login_required&error_description=Login+required&state=st%2B%2F%3D", w.Header().Get("Location"))
		w = s.send(t, http.MethodGet, authorize("", "http://localhost:3000"), "", "")
		assert.Contains(t, w.Header().Get("Location"), "/u/login?state=", "the next request logs in as usual")
	})
}

// TestFaultRefuses: a fault that cannot match or would do nothing is a 400 that says why.
func TestFaultRefuses(t *testing.T) {
	tests := []struct{ name, body, description string }{
		{"no path", `{"status":500}`, "path is required, such as /oauth/token"},
		{"unknown path", `{"path":"/oauth/tokens","status":500}`, "path /oauth/tokens is not an endpoint of the tenant"},
		{"relative path", `{"path":"oauth/token","status":500}`, "path oauth/token is not an endpoint of the tenant"},
		{"control path", `{"path":"/tenantless/clock","status":500}`, "path /tenantless/clock is the control API's; faults apply to the tenant's endpoints"},
		{"grant type elsewhere", `{"path":"/authorize","grant_type":"password","status":500}`, "grant_type and user only match at /oauth/token"},
		{"user elsewhere", `{"path":"/userinfo","user":"alice@example.com","status":500}`, "grant_type and user only match at /oauth/token"},
		{"success status", `{"path":"/oauth/token","status":200}`, "status 200 is not an error status (400 to 599)"},
		{"status too high", `{"path":"/oauth/token","status":600}`, "status 600 is not an error status (400 to 599)"},
		{"does nothing", `{"path":"/oauth/token"}`, "the fault does nothing: give a status, an error or a delay"},
		{"description alone", `{"path":"/oauth/token","error_description":"x"}`, "error_description needs an error or a status"},
		{"negative delay", `{"path":"/oauth/token","delay":"-1s"}`, `delay: "-1s" is negative; durations must be zero or more`},
		{"delay too long", `{"path":"/oauth/token","delay":"6m"}`, "delay 6m0s is longer than 5m0s"},
		{"delay not a duration", `{"path":"/oauth/token","delay":"soon"}`, `delay: "soon" is not a duration`},
		{"delay as a number", `{"path":"/oauth/token","delay":5}`, "delay: must be a string, not number"},
		{"negative times", `{"path":"/oauth/token","status":500,"times":-1}`, "times -1 is negative; 0 keeps the fault until it is removed"},
		{"times as a string", `{"path":"/oauth/token","status":500,"times":"1"}`, "times: must be a number, not string"},
		{"unknown member", `{"path":"/oauth/token","status":500,"hits":3}`, `Unknown member "hits"`},
		{"not an object", `"500"`, "must be an object, not string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newControlServer(t, nil)
			w := s.control(t, http.MethodPost, "/tenantless/faults", tt.body)
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.Contains(t, w.Body.String(), `"error":"invalid_request"`)
			assert.Contains(t, decode[map[string]string](t, w, http.StatusBadRequest)["error_description"], tt.description)
			assert.Empty(t, s.Faults())
		})
	}
}

// TestFaultsReset: a reset removes every fault and empties the journal.
func TestFaultsReset(t *testing.T) {
	s, _ := newControlServer(t, nil)
	s.addFault(t, `{"path":"/oauth/token","status":500,"times":0}`)
	s.clientCredentials(t)
	decode[tenantState](t, s.control(t, http.MethodPost, "/tenantless/reset", ""), http.StatusOK)
	assert.Empty(t, s.Faults())
	assert.Empty(t, s.Requests(RequestFilter{}))
	tokenOK(t, s.clientCredentials(t))
}
