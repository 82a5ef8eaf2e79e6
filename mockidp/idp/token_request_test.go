package idp

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A valid client-credentials request, in both encodings, for the cases below to break.
const (
	ccForm = "grant_type=client_credentials&client_id=demo-m2m&client_secret=demo-m2m-secret&audience=https%3A%2F%2Fapi.example.com"
	ccJSON = `{"grant_type":"client_credentials","client_id":"demo-m2m","client_secret":"demo-m2m-secret","audience":"https://api.example.com"}`
)

func TestTokenRequestEncodings(t *testing.T) {
	s := newAPIServer(t)
	tests := []struct {
		name        string
		contentType string
		body        string
	}{
		{"form", "application/x-www-form-urlencoded", ccForm},
		{"form with charset", "application/x-www-form-urlencoded; charset=UTF-8", ccForm},
		{"json", "application/json", ccJSON},
		{"json with charset", "application/json; charset=utf-8", ccJSON},
		{"json unknown members of any type ignored", "application/json",
			`{"grant_type":"client_credentials","client_id":"demo-m2m","client_secret":"demo-m2m-secret","audience":"https://api.example.com","max_age":0,"extra":{"a":[1,{"b":null}]},"flag":true}`},
		{"form unknown parameters ignored", "application/x-www-form-urlencoded", ccForm + "&redirect_uri=x&foo=bar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.send(t, http.MethodPost, "/oauth/token", tt.contentType, tt.body)
			resp := tokenOK(t, w)
			assert.NotEmpty(t, resp.AccessToken)
		})
	}
}

func TestTokenRequestMalformed(t *testing.T) {
	s := newAPIServer(t)
	big := ccForm + "&pad=" + strings.Repeat("a", DefaultMaxBodyBytes)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		description string
	}{
		{"no content type", "", ccForm, 400, "Content-Type must be application/x-www-form-urlencoded or application/json"},
		{"text/plain", "text/plain", ccForm, 400, "Content-Type must be application/x-www-form-urlencoded or application/json"},
		{"multipart", "multipart/form-data; boundary=x", ccForm, 400, "Content-Type must be application/x-www-form-urlencoded or application/json"},
		{"unparsable content type", "application/json; =", ccJSON, 400, "Content-Type must be application/x-www-form-urlencoded or application/json"},
		{"bad escape %zz (S31)", "application/x-www-form-urlencoded", ccForm + "&x=%zz", 400, "Malformed form body"},
		{"semicolon separator (S31)", "application/x-www-form-urlencoded", "grant_type=client_credentials;client_id=demo-m2m", 400, "Malformed form body"},
		{"100k parameters (S31)", "application/x-www-form-urlencoded", strings.Repeat("a=&", 20_000), 400, "Malformed form body"},
		{"repeated parameter", "application/x-www-form-urlencoded", ccForm + "&client_id=demo-m2m", 400, "Parameter 'client_id' is repeated"},
		{"repeated grant_type", "application/x-www-form-urlencoded", ccForm + "&grant_type=password", 400, "Parameter 'grant_type' is repeated"},
		{"body over 64 KiB (S31)", "application/x-www-form-urlencoded", big, 413, "Request body too large"},
		{"json body over 64 KiB", "application/json", `{"x":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}`, 413, "Request body too large"},
		{"json duplicate key (S32)", "application/json", `{"grant_type":"client_credentials","grant_type":"password"}`, 400, "Parameter 'grant_type' is repeated"},
		{"json duplicate unknown key", "application/json", `{"x":1,"x":2}`, 400, "Parameter 'x' is repeated"},
		{"json number for a string parameter", "application/json", `{"grant_type":"client_credentials","client_id":42}`, 400, "Parameter 'client_id' must be a string"},
		{"json object for a string parameter", "application/json", `{"grant_type":{"a":"b"}}`, 400, "Parameter 'grant_type' must be a string"},
		{"json null for a string parameter", "application/json", `{"scope":null}`, 400, "Parameter 'scope' must be a string"},
		{"json array for a string parameter", "application/json", `{"audience":["a","b"]}`, 400, "Parameter 'audience' must be a string"},
		{"json array body", "application/json", `[{"grant_type":"client_credentials"}]`, 400, "Malformed JSON body"},
		{"json string body", "application/json", `"grant_type"`, 400, "Malformed JSON body"},
		{"json empty body", "application/json", ``, 400, "Malformed JSON body"},
		{"json truncated", "application/json", `{"grant_type":"client_credentials"`, 400, "Malformed JSON body"},
		{"json trailing data", "application/json", ccJSON + `{}`, 400, "Malformed JSON body"},
		{"json trailing garbage", "application/json", ccJSON + `x`, 400, "Malformed JSON body"},
		{"json bad value", "application/json", `{"grant_type":tru}`, 400, "Malformed JSON body"},
		{"json non-string key", "application/json", `{1:"a"}`, 400, "Malformed JSON body"},
		{"form as json", "application/json", ccForm, 400, "Malformed JSON body"},
		{"json as form", "application/x-www-form-urlencoded", ccJSON, 400, "Missing required parameter: grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.send(t, http.MethodPost, "/oauth/token", tt.contentType, tt.body)
			assertError(t, w, tt.status, "invalid_request", tt.description)
		})
	}
}

// TestTokenRequestQueryIgnored: parameters in the URL are not the request's (RFC 6749 §3.2, S30).
func TestTokenRequestQueryIgnored(t *testing.T) {
	s := newAPIServer(t)
	t.Run("all parameters in the query", func(t *testing.T) {
		w := s.send(t, http.MethodPost, "/oauth/token?"+ccForm, "application/x-www-form-urlencoded", "")
		assertError(t, w, 400, "invalid_request", "Missing required parameter: grant_type")
	})
	t.Run("secret in the query only", func(t *testing.T) {
		w := s.send(t, http.MethodPost, "/oauth/token?client_secret=demo-m2m-secret", "application/x-www-form-urlencoded",
			form("grant_type", "client_credentials", "client_id", "demo-m2m", "audience", "https://api.example.com"))
		assertError(t, w, 401, "access_denied", "Unauthorized")
	})
	t.Run("query duplicates a body parameter", func(t *testing.T) {
		w := s.send(t, http.MethodPost, "/oauth/token?grant_type=password", "application/x-www-form-urlencoded", ccForm)
		tokenOK(t, w)
	})
}

func TestTokenMethods(t *testing.T) {
	s := newAPIServer(t)
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		t.Run(method, func(t *testing.T) {
			w := s.send(t, method, "/oauth/token?"+ccForm, "", "")
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
			assert.Equal(t, "POST", w.Header().Get("Allow"))
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			if method != http.MethodHead {
				assertError(t, w, 405, "invalid_request")
			}
		})
	}
}

func TestParseJSONParams(t *testing.T) {
	p, e := parseJSONParams([]byte(` { "client_id" : "a\u00e9\"b" , "n": 1.5e3, "o": {"client_id": 3} } `))
	require.Nil(t, e)
	assert.Equal(t, params{"client_id": "aé\"b"}, p)
}
