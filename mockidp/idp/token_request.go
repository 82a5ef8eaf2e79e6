package idp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// params are the parameters of a token-endpoint or revocation request, read from the body only:
// a parameter in the query string is never a token request's (RFC 6749 §3.2, S30).
type params map[string]string

// stringParams are the parameters the emulator reads. In a JSON body their values must be
// strings; any other member is ignored whatever its type, as unknown form parameters are
// (SDKs add fields of their own: auth0-spa-js src/Auth0Client.ts sends redirect_uri and the
// application's authorizationParams with a refresh).
var stringParams = map[string]bool{
	"grant_type": true, "client_id": true, "client_secret": true, "client_assertion": true,
	"client_assertion_type": true, "code": true, "code_verifier": true, "redirect_uri": true,
	"refresh_token": true, "scope": true, "audience": true, "username": true, "password": true,
	"realm": true, "token": true, "token_type_hint": true, "organization": true,
}

// readParams parses a request body as Auth0 accepts it: application/x-www-form-urlencoded or
// application/json (auth0-spa-js MIGRATION_GUIDE.md: "Auth0's token endpoint supports both
// application/x-www-form-urlencoded and application/json"). The body is capped at maxBody; past
// it the answer is 413.
// Everything else that is wrong with the body is a 400 invalid_request, never a 500 (S31, S32).
func readParams(w http.ResponseWriter, r *http.Request, maxBody int64) (params, *oauthError) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mediaType != "application/x-www-form-urlencoded" && mediaType != "application/json") {
		return nil, newError(http.StatusBadRequest, "invalid_request",
			"Content-Type must be application/x-www-form-urlencoded or application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, newError(http.StatusRequestEntityTooLarge, "invalid_request", "Request body too large")
		}
		return nil, newError(http.StatusBadRequest, "invalid_request", "Could not read the request body").
			because("reading the body: " + err.Error())
	}
	if mediaType == "application/json" {
		return parseJSONParams(body)
	}
	return parseFormParams(body)
}

// parseFormParams decodes a form body. A parameter given twice is refused (RFC 6749 §3.2:
// "Request and response parameters MUST NOT be included more than once"), as are bad escapes
// and ";" separators, which url.ParseQuery reports.
func parseFormParams(body []byte) (params, *oauthError) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, newError(http.StatusBadRequest, "invalid_request", "Malformed form body")
	}
	p := make(params, len(values))
	for k, vs := range values {
		if len(vs) > 1 {
			return nil, repeatedParam(k)
		}
		p[k] = vs[0]
	}
	return p, nil
}

// parseJSONParams decodes a JSON body: one object, each member once. encoding/json would keep
// the last of two duplicate members silently, so members are read one by one.
func parseJSONParams(body []byte) (params, *oauthError) {
	malformed := newError(http.StatusBadRequest, "invalid_request", "Malformed JSON body")
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, malformed
	}
	p := params{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed
		}
		key := tok.(string) // inside an object, encoding/json only yields string keys
		if seen[key] {
			return nil, repeatedParam(key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed
		}
		if !stringParams[key] {
			continue
		}
		var v string
		if raw = bytes.TrimSpace(raw); raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
			return nil, newError(http.StatusBadRequest, "invalid_request", "Parameter '"+key+"' must be a string")
		}
		p[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformed
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed
	}
	return p, nil
}

func repeatedParam(name string) *oauthError {
	return newError(http.StatusBadRequest, "invalid_request", "Parameter '"+name+"' is repeated")
}

func missingParam(name string) *oauthError {
	return newError(http.StatusBadRequest, "invalid_request", "Missing required parameter: "+name)
}
