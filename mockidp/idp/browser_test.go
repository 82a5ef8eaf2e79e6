package idp

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The browser tests drive the emulator as a browser does: a cookie jar, redirects looked at one
// by one, forms read from the served HTML. They run in-process (handlerTransport) unless they
// need a listener for a real client library.

// Fixed values of the default tenant's SPA and of auth0-spa-js's request shape (src/utils.ts,
// createRandomString and encode):
// state and nonce are padded standard base64 with "+", "/" and "="; the PKCE pair is
// testVerifier and testChallenge.
const (
	spaClient   = "demo-spa"
	spaCallback = "http://localhost:3000/"
	webClient   = "demo-web"
	webCallback = "http://localhost:3000/callback"
	spaState    = "+/+/+/+/+/+/+/+/+/+/YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMg=="
	spaNonce    = "+D7/+D7/+D7/+D7/bm9uY2UtdmFsdWUtb2YtYXV0aDAtc3BhLWpzLXh5eg=="
)

// handlerTransport answers requests with a handler in-process, as the network would.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.Host = r.URL.Host
	in.RequestURI = r.URL.RequestURI()
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, in)
	resp := w.Result()
	resp.Request = r
	return resp, nil
}

// browser is a user agent with a cookie jar that never follows redirects by itself.
type browser struct {
	t      testing.TB
	client *http.Client
}

// page is one answer as the browser got it.
type page struct {
	Status   int
	Header   http.Header
	Body     string
	Cookies  []*http.Cookie
	Location *url.URL
}

func newBrowser(t testing.TB, h http.Handler) *browser {
	return newBrowserWith(t, handlerTransport{h})
}

func newBrowserWith(t testing.TB, rt http.RoundTripper) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, client: &http.Client{
		Transport:     rt,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get fetches a URL; headers alternate names and values.
func (b *browser) get(rawURL string, headers ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	require.NoError(b.t, err)
	return b.do(req, headers)
}

// post submits a form as a page of the issuer's origin does, unless headers say otherwise.
func (b *browser) post(rawURL string, form url.Values, headers ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req, headers)
}

func (b *browser) do(req *http.Request, headers []string) page {
	b.t.Helper()
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	p := page{Status: resp.StatusCode, Header: resp.Header, Body: string(body), Cookies: resp.Cookies()}
	if loc := resp.Header.Get("Location"); loc != "" {
		p.Location, err = url.Parse(loc)
		require.NoError(b.t, err)
	}
	return p
}

// cookie returns the cookie the answer set, nil if none.
func (p page) cookie(name string) *http.Cookie {
	for _, c := range p.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// spaAuthorize is auth0-spa-js's /authorize request for the default tenant's SPA; each pair of
// kv replaces a parameter, or removes it when the value is "".
func spaAuthorize(issuer string, kv ...string) string {
	q := url.Values{
		"client_id":             {spaClient},
		"redirect_uri":          {spaCallback},
		"response_type":         {"code"},
		"response_mode":         {"query"},
		"scope":                 {"openid profile email offline_access"},
		"audience":              {"https://api.example.com"},
		"state":                 {spaState},
		"nonce":                 {spaNonce},
		"code_challenge":        {testChallenge},
		"code_challenge_method": {"S256"},
		"auth0Client":           {"eyJuYW1lIjoiYXV0aDAtc3BhLWpzIiwidmVyc2lvbiI6IjIuMjQuMSJ9"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return issuer + "authorize?" + q.Encode()
}

// hiddenInput matches the hidden fields of the emulator's forms.
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// formFields returns the hidden fields of the first form in a page.
func formFields(body string) url.Values {
	form, _, _ := strings.Cut(body, "</form>")
	out := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(form, -1) {
		out.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return out
}

// openLogin follows /authorize to the login page; it returns the page, the URL its forms post
// to, and the hidden fields of its password form.
func (b *browser) openLogin(authorizeURL string) (login page, action string, fields url.Values) {
	b.t.Helper()
	r := b.get(authorizeURL)
	require.Equal(b.t, http.StatusFound, r.Status, r.Body)
	require.NotNil(b.t, r.Location)
	require.Equal(b.t, "/u/login", r.Location.Path)
	login = b.get(r.Location.String())
	require.Equal(b.t, http.StatusOK, login.Status, login.Body)
	require.Contains(b.t, login.Body, `<form method="post" action="/u/login"`)
	action = r.Location.ResolveReference(&url.URL{Path: "/u/login"}).String()
	return login, action, formFields(login.Body)
}

// login goes through /authorize and the password form, and returns the answer to the POST.
func (b *browser) login(authorizeURL, username, password string) page {
	b.t.Helper()
	_, action, fields := b.openLogin(authorizeURL)
	fields.Set("username", username)
	fields.Set("password", password)
	fields.Set("action", "default")
	return b.post(action, fields)
}

// codeOf asserts a query-mode success redirect to callback and returns its code; the state must
// come back byte for byte.
func codeOf(t testing.TB, p page, callback, state string) string {
	t.Helper()
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, p.Status, p.Body)
	require.NotNil(t, p.Location)
	base, _, _ := strings.Cut(p.Location.String(), "?")
	assert.Equal(t, callback, base)
	q := p.Location.Query()
	assert.Empty(t, q.Get("error"), q.Get("error_description"))
	assert.Equal(t, state, q.Get("state"))
	require.NotEmpty(t, q.Get("code"))
	return q.Get("code")
}

// errorOf asserts a query-mode error redirect to callback and returns error and description.
func errorOf(t testing.TB, p page, callback string) (code, description string) {
	t.Helper()
	require.Equal(t, http.StatusFound, p.Status, p.Body)
	require.NotNil(t, p.Location)
	base, _, _ := strings.Cut(p.Location.String(), "?")
	assert.Equal(t, callback, base)
	q := p.Location.Query()
	assert.Empty(t, q.Get("code"))
	return q.Get("error"), q.Get("error_description")
}

// assertErrorPage asserts an HTML error page that sends the browser nowhere.
func assertErrorPage(t testing.TB, p page, status int, text string) {
	t.Helper()
	assert.Equal(t, status, p.Status, p.Body)
	assert.Nil(t, p.Location, "an error page must not redirect")
	assert.Equal(t, "text/html; charset=utf-8", p.Header.Get("Content-Type"))
	assertPageHeaders(t, p)
	assert.Contains(t, p.Body, html.EscapeString(text))
}

// assertPageHeaders checks the headers of every page of the emulator's own (S39).
func assertPageHeaders(t testing.TB, p page) {
	t.Helper()
	csp := p.Header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.Contains(t, csp, "default-src 'none'")
	assert.NotContains(t, csp, "script-src")
	assert.Equal(t, "DENY", p.Header.Get("X-Frame-Options"))
	assert.Equal(t, "no-store", p.Header.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", p.Header.Get("Referrer-Policy"))
	assert.Equal(t, "nosniff", p.Header.Get("X-Content-Type-Options"))
}

// exchange redeems a code of the SPA's at the token endpoint, as auth0-spa-js does.
func (s *apiServer) exchange(t testing.TB, code string) *httptest.ResponseRecorder {
	t.Helper()
	return s.post(t, "/oauth/token", form("grant_type", "authorization_code", "client_id", spaClient,
		"code", code, "code_verifier", testVerifier, "redirect_uri", spaCallback))
}

// loginTokens logs alice in to the SPA and returns her browser and token response.
func (s *apiServer) loginTokens(t testing.TB) (*browser, TokenResponse) {
	t.Helper()
	b := newBrowser(t, s)
	code := codeOf(t, b.login(spaAuthorize(testIssuer), "alice@example.com", "alice-password"), spaCallback, spaState)
	return b, tokenOK(t, s.exchange(t, code))
}

// refresh spends a refresh token of the SPA's.
func (s *apiServer) refresh(t testing.TB, token string) *httptest.ResponseRecorder {
	t.Helper()
	return s.post(t, "/oauth/token", form("grant_type", "refresh_token", "client_id", spaClient,
		"refresh_token", token, "redirect_uri", spaCallback))
}
