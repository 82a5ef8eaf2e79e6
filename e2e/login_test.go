package e2e

// Helpers that act like the demo app's front end (demoapp/web/app.js) over plain HTTP: the
// authorization request with PKCE, state and nonce, the login page's form, the code exchange,
// and calls to the API.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

type user struct {
	email, password, sub, name string
}

var (
	alice   = user{"alice@example.com", "alice-password", "auth0|alice", "Alice Example"}
	bob     = user{"bob@example.com", "bob-password", "auth0|bob", "Bob Example"}
	blocked = user{"blocked@example.com", "blocked-password", "auth0|blocked", "Blocked User"}
)

const (
	m2mClientID     = "demo-m2m"
	m2mClientSecret = "demo-m2m-secret"
	webClientID     = "demo-web"
	webClientSecret = "demo-web-secret"
	spaScope        = "openid profile email" // app.js's SCOPE
)

// transaction is what app.js keeps in sessionStorage between the redirect and the callback.
type transaction struct {
	state, nonce, verifier, challenge string
}

func randomString(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func newTransaction(t testing.TB) transaction {
	tx := transaction{state: randomString(t), nonce: randomString(t), verifier: randomString(t)}
	sum := sha256.Sum256([]byte(tx.verifier))
	tx.challenge = base64.RawURLEncoding.EncodeToString(sum[:])
	return tx
}

// spaRedirectURI is the redirect URI app.js sends: window.location.origin, without a slash.
func spaRedirectURI(env *Env) string { return env.AppOrigin }

// authorizeURL is app.js's authorizeUrl: the SPA's parameters plus extra.
func authorizeURL(env *Env, tx transaction, extra url.Values) string {
	q := url.Values{
		"client_id":             {SPAClientID},
		"redirect_uri":          {spaRedirectURI(env)},
		"audience":              {Audience},
		"scope":                 {spaScope},
		"response_type":         {"code"},
		"state":                 {tx.state},
		"nonce":                 {tx.nonce},
		"code_challenge":        {tx.challenge},
		"code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return env.IDPOrigin + "/authorize?" + q.Encode()
}

// response is a read HTTP response.
type response struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

func (r response) location(t testing.TB) *url.URL {
	t.Helper()
	loc := r.header.Get("Location")
	require.NotEmpty(t, loc, "no Location in %d response from %s: %s", r.status, r.url, r.body)
	u, err := r.url.Parse(loc)
	require.NoError(t, err)
	return u
}

func do(t testing.TB, c *http.Client, req *http.Request) response {
	t.Helper()
	res, err := c.Do(req)
	require.NoError(t, err, "%s %s", req.Method, req.URL)
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	require.NoError(t, err)
	return response{status: res.StatusCode, header: res.Header, body: string(body), url: req.URL}
}

func get(t testing.TB, c *http.Client, rawURL string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	return do(t, c, req)
}

func postForm(t testing.TB, c *http.Client, rawURL string, form url.Values) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

// loginPage is the emulator's login form as a browser would submit it.
type loginPage struct {
	action *url.URL
	fields url.Values // the hidden inputs
}

// readLoginPage parses the login page and checks it has the Universal Login form's hooks that
// scripts written against a real tenant use.
func readLoginPage(t testing.TB, r response) loginPage {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "login page %s: %s", r.url, r.body)
	doc, err := html.Parse(strings.NewReader(r.body))
	require.NoError(t, err)
	form := find(doc, func(n *html.Node) bool {
		return n.Data == "form" && find(n, func(c *html.Node) bool { return c.Data == "input" && attr(c, "id") == "username" }) != nil
	})
	require.NotNil(t, form, "no form with input#username on %s:\n%s", r.url, r.body)
	for _, hook := range []struct {
		what string
		ok   func(*html.Node) bool
	}{
		{"input#username", func(n *html.Node) bool {
			return n.Data == "input" && attr(n, "id") == "username" && attr(n, "name") == "username"
		}},
		{"input#password", func(n *html.Node) bool {
			return n.Data == "input" && attr(n, "id") == "password" && attr(n, "type") == "password"
		}},
		{"button[type=submit][name=action][value=default]", func(n *html.Node) bool {
			return n.Data == "button" && attr(n, "type") == "submit" && attr(n, "name") == "action" && attr(n, "value") == "default"
		}},
	} {
		require.NotNil(t, find(form, hook.ok), "login form has no %s", hook.what)
	}
	page := loginPage{fields: url.Values{}}
	page.action, err = r.url.Parse(attr(form, "action"))
	require.NoError(t, err)
	walk(form, func(n *html.Node) {
		if n.Data == "input" && attr(n, "type") == "hidden" {
			page.fields.Add(attr(n, "name"), attr(n, "value"))
		}
	})
	return page
}

// submit posts the form with a user's credentials, as clicking Continue does.
func (p loginPage) submit(t testing.TB, c *http.Client, u user) response {
	t.Helper()
	form := url.Values{}
	for k, v := range p.fields {
		form[k] = v
	}
	form.Set("username", u.email)
	form.Set("password", u.password)
	form.Set("action", "default")
	return postForm(t, c, p.action.String(), form)
}

func find(n *html.Node, ok func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && ok(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, ok); f != nil {
			return f
		}
	}
	return nil
}

func walk(n *html.Node, fn func(*html.Node)) {
	if n.Type == html.ElementNode {
		fn(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// authorizeToLogin sends the browser to /authorize and follows the emulator to its login page.
func authorizeToLogin(t testing.TB, c *http.Client, authURL string) loginPage {
	t.Helper()
	r := get(t, c, authURL)
	require.Equal(t, http.StatusFound, r.status, "GET %s: %s", authURL, r.body)
	loginURL := r.location(t)
	require.Equal(t, "/u/login", loginURL.Path, "authorize should send the browser to the login page")
	return readLoginPage(t, get(t, c, loginURL.String()))
}

// callback checks a redirect to the SPA's redirect URI with ?code=&state= and returns the code.
func callback(t testing.TB, env *Env, r response, tx transaction) string {
	t.Helper()
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, r.status, "want a redirect back to the app: %s", r.body)
	loc := r.location(t)
	require.Equal(t, spaRedirectURI(env), loc.Scheme+"://"+loc.Host+strings.TrimSuffix(loc.Path, "/"), "redirect target")
	q := loc.Query()
	require.Empty(t, q.Get("error"), "authorization error: %s", q.Get("error_description"))
	require.Equal(t, tx.state, q.Get("state"), "state must come back unchanged")
	require.NotEmpty(t, q.Get("code"))
	return q.Get("code")
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// exchange is app.js's exchangeCode: the PKCE token request of a public client.
func exchange(t testing.TB, env *Env, c *http.Client, code, verifier string) (int, tokenResponse) {
	t.Helper()
	r := postForm(t, c, env.IDPOrigin+"/oauth/token", url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {SPAClientID},
		"code":          {code},
		"code_verifier": {verifier},
		"redirect_uri":  {spaRedirectURI(env)},
	})
	var tok tokenResponse
	require.NoError(t, json.Unmarshal([]byte(r.body), &tok), "token response %d: %s", r.status, r.body)
	return r.status, tok
}

// idClaims are the ID token claims the tests look at.
type idClaims struct {
	Nonce    string `json:"nonce"`
	SID      string `json:"sid"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	AZP      string `json:"azp"`
	Picture  string `json:"picture"`
	Subject  string `json:"sub"`
	Verified bool   `json:"email_verified"`
}

// verifyIDToken checks the ID token's signature, issuer, audience and expiry with go-oidc, and
// its nonce against the transaction's.
func verifyIDToken(t testing.TB, env *Env, raw, nonce string) idClaims {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ctx = oidc.ClientContext(ctx, env.Client())
	provider, err := oidc.NewProvider(ctx, env.Issuer)
	require.NoError(t, err, "discovery at %s", env.Issuer)
	tok, err := provider.Verifier(&oidc.Config{ClientID: SPAClientID}).Verify(ctx, raw)
	require.NoError(t, err, "ID token")
	var c idClaims
	require.NoError(t, tok.Claims(&c))
	require.Equal(t, nonce, c.Nonce, "ID token nonce")
	return c
}

// spaLogin is the whole interactive login of the SPA, from the Log in button to the tokens.
func spaLogin(t testing.TB, env *Env, c *http.Client, u user) (tokenResponse, idClaims) {
	t.Helper()
	tx := newTransaction(t)
	page := authorizeToLogin(t, c, authorizeURL(env, tx, url.Values{"response_mode": {"query"}}))
	code := callback(t, env, page.submit(t, c, u), tx)
	status, tok := exchange(t, env, c, code, tx.verifier)
	require.Equal(t, http.StatusOK, status, "token exchange: %+v", tok)
	require.Equal(t, "Bearer", tok.TokenType)
	require.NotEmpty(t, tok.AccessToken)
	claims := verifyIDToken(t, env, tok.IDToken, tx.nonce)
	require.Equal(t, u.sub, claims.Subject)
	require.Equal(t, u.email, claims.Email)
	require.NotEmpty(t, claims.SID, "ID token sid")
	return tok, claims
}

// apiResult is an answer of the demo app's API.
type apiResult struct {
	status    int
	challenge string // WWW-Authenticate
	body      map[string]string
}

func callAPI(t testing.TB, env *Env, path, accessToken string) apiResult {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, env.AppOrigin+path, nil)
	require.NoError(t, err)
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	r := do(t, http.DefaultClient, req)
	res := apiResult{status: r.status, challenge: r.header.Get("WWW-Authenticate")}
	require.NoError(t, json.Unmarshal([]byte(r.body), &res.body), "%s: %d %s", path, r.status, r.body)
	return res
}

// webMessage reads the authorization response out of a response_mode=web_message page, as the
// SPA's message listener receives it.
var webMessageResponse = regexp.MustCompile(`authorizationResponse = \{type: "authorization_response", response: (\{.*?\})\};`)

func webMessage(t testing.TB, r response) map[string]string {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "web_message page: %s", r.body)
	m := webMessageResponse.FindStringSubmatch(r.body)
	require.NotNil(t, m, "no authorization response in the web_message page:\n%s", r.body)
	var resp map[string]string
	require.NoError(t, json.Unmarshal([]byte(m[1]), &resp), "response %s", m[1])
	return resp
}

// m2mToken is a client-credentials token for the M2M client.
func m2mToken(t testing.TB, env *Env) tokenResponse {
	t.Helper()
	r := postForm(t, env.Client(), env.IDPOrigin+"/oauth/token", url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {m2mClientID},
		"client_secret": {m2mClientSecret},
		"audience":      {Audience},
	})
	require.Equal(t, http.StatusOK, r.status, "client_credentials: %s", r.body)
	var tok tokenResponse
	require.NoError(t, json.Unmarshal([]byte(r.body), &tok))
	return tok
}

// jwtClaims decodes a JWT's payload without checking it, for assertions on its content.
func jwtClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, "not a JWT")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	return claims
}

func describe(r apiResult) string { return fmt.Sprintf("%d %s %v", r.status, r.challenge, r.body) }
