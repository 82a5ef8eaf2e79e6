package idp

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzTokenRequest drives POST /oauth/token with arbitrary bodies, content types and
// Authorization headers: it must never panic and never answer 5xx (S31, S32).
func FuzzTokenRequest(f *testing.F) {
	seeds := []struct{ contentType, authz, body string }{
		{"application/x-www-form-urlencoded", "", ccForm},
		{"application/json", "", ccJSON},
		{"application/x-www-form-urlencoded", basic("demo-m2m", "demo-m2m-secret"), "grant_type=client_credentials&audience=https://api.example.com"},
		{"application/x-www-form-urlencoded", "", passwordForm("alice@example.com", "alice-password", "scope", "openid offline_access", "audience", "https://api.example.com")},
		{"application/x-www-form-urlencoded", "", "grant_type=http%3A%2F%2Fauth0.com%2Foauth%2Fgrant-type%2Fpassword-realm&client_id=demo-web&client_secret=demo-web-secret&username=bob@example.com&password=bob-password&realm=Username-Password-Authentication"},
		{"application/x-www-form-urlencoded", "", refreshForm("x", "scope", "openid")},
		{"application/x-www-form-urlencoded", "", spaRedeem("code")},
		{"application/json", "", `{"grant_type":"authorization_code","client_id":"demo-spa","code":"c","code_verifier":"` + testVerifier + `"}`},
		{"application/json", "", `{"grant_type":"client_credentials","grant_type":"x"}`},
		{"application/json", "", `{"client_id":{"a":[1,2,{"b":null}]}}`},
		{"application/json; charset=utf-8", "", `{"grant_type":1e999}`},
		{"application/json", "", `[` + strings.Repeat("[", 100)},
		{"application/x-www-form-urlencoded", "", "a=%zz"},
		{"application/x-www-form-urlencoded", "", "a=1;b=2"},
		{"application/x-www-form-urlencoded", "", "grant_type=client_credentials&grant_type=client_credentials"},
		{"application/x-www-form-urlencoded", "Basic !!", ccForm},
		{"application/x-www-form-urlencoded", "Basic ZGVtby1tMm06", ccForm},
		{"text/plain", "", ccForm},
		{"", "", ""},
		{"application/x-www-form-urlencoded; charset=\"", "", ccForm},
	}
	for _, sd := range seeds {
		f.Add(sd.contentType, sd.authz, sd.body)
	}
	s := newAPIServer(f)
	f.Fuzz(func(t *testing.T, contentType, authz, body string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		switch w.Code {
		case 200, 400, 401, 403, 413, 429:
		default:
			t.Fatalf("status %d for %q %q %q: %s", w.Code, contentType, authz, body, w.Body)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("no Cache-Control: no-store on %d", w.Code)
		}
	})
}
