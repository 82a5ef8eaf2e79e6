package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The browser tests run the real front end in headless Chromium against fakeTenant: the handful
// of Auth0 endpoints app.js uses, answering as Auth0 does, and checking what the page sends
// (PKCE, state, nonce, redirect_uri, returnTo). Login needs no form: /authorize logs the current
// user in at once.

// Failure modes of the fake tenant.
const (
	modeNormal     = ""
	modeDeny       = "deny"        // /authorize answers error=access_denied, as when the user cancels
	modeDenyMarkup = "deny-markup" // the same, with markup in error_description
	modeBadNonce   = "bad-nonce"   // the ID token carries another nonce
	modeNullClaims = "null-claims" // the ID token's payload is JSON null
	modeTokenError = "token-error" // /oauth/token refuses the code
)

type fakeTenant struct {
	t         *testing.T
	srv       *httptest.Server
	appOrigin string

	mu        sync.Mutex
	mode      string
	user      string
	codes     map[string]url.Values // code → the /authorize query that produced it
	authorize []url.Values
	tokens    []url.Values
	logouts   []url.Values
}

var users = map[string]map[string]any{
	"alice": {"sub": "auth0|alice", "name": "Alice Example", "email": "alice@example.com", "permissions": []string{"read:protected"}},
	"bob":   {"sub": "auth0|bob", "name": "Bob Example", "email": "bob@example.com", "permissions": []string{}},
}

func newFakeTenant(t *testing.T) *fakeTenant {
	f := &fakeTenant{t: t, user: "alice", codes: map[string]url.Values{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"issuer": f.issuer()})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &signingKey().PublicKey, KeyID: testKID, Algorithm: "RS256", Use: "sig"},
		}})
	})
	mux.HandleFunc("GET /picture.svg", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = io.WriteString(w, `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="32" fill="teal"/></svg>`)
	})
	mux.HandleFunc("GET /authorize", f.handleAuthorize)
	mux.HandleFunc("/oauth/token", f.handleToken)
	mux.HandleFunc("GET /v2/logout", f.handleLogout)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTenant) issuer() string { return f.srv.URL + "/" }

func (f *fakeTenant) set(mode, user string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode, f.user = mode, user
}

func (f *fakeTenant) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.authorize = append(f.authorize, q)
	mode, user := f.mode, f.user
	f.mu.Unlock()

	// Checked before anything is sent back to redirect_uri, as Auth0 does.
	if q.Get("client_id") != "demo-spa" || q.Get("redirect_uri") != f.appOrigin {
		http.Error(w, "unknown client or callback URL mismatch", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 ||
		q.Get("audience") != testAudience || q.Get("scope") != "openid profile email" || q.Get("state") == "" || q.Get("nonce") == "" {
		http.Error(w, "request not as auth0-spa-js sends it", http.StatusBadRequest)
		return
	}

	if q.Get("prompt") == "none" {
		if q.Get("response_mode") != "web_message" {
			http.Error(w, "silent authentication must use web_message", http.StatusBadRequest)
			return
		}
		response := map[string]string{"state": q.Get("state")}
		if c, err := r.Cookie("session"); err == nil && users[c.Value] != nil {
			response["code"] = f.newCode(q, c.Value)
		} else {
			response["error"], response["error_description"] = "login_required", "Login required"
		}
		webMessage(w, f.appOrigin, response)
		return
	}

	back := url.Values{"state": {q.Get("state")}, "iss": {f.issuer()}}
	switch mode {
	case modeDeny:
		back.Set("error", "access_denied")
		back.Set("error_description", "The user cancelled the login")
	case modeDenyMarkup:
		back.Set("error", "access_denied")
		back.Set("error_description", markup)
	default:
		back.Set("code", f.newCode(q, user))
		if mode == modeNormal {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: user, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

// markup is tenant-supplied text that would run script if the page inserted it as HTML.
const markup = `<img src="x" onerror="window.__injected = true">`

func (f *fakeTenant) newCode(q url.Values, user string) string {
	code := randomCode()
	q = cloneValues(q)
	q.Set("user", user)
	f.mu.Lock()
	f.codes[code] = q
	f.mu.Unlock()
	return code
}

// webMessage is Auth0's response_mode=web_message page: it posts the result to the window that
// opened the frame, for the callback's origin only.
var webMessagePage = template.Must(template.New("wm").Parse(`<!DOCTYPE html><html><head><title>Authorization Response</title></head><body>
<script>(window.opener || window.parent).postMessage({type: "authorization_response", response: {{.Response}}}, {{.Origin}});</script>
</body></html>`))

func webMessage(w http.ResponseWriter, origin string, response map[string]string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = webMessagePage.Execute(w, map[string]any{"Response": response, "Origin": origin})
}

func (f *fakeTenant) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", f.appOrigin)
	w.Header().Set("Vary", "Origin")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	form := r.PostForm
	f.mu.Lock()
	f.tokens = append(f.tokens, form)
	request, found := f.codes[form.Get("code")]
	delete(f.codes, form.Get("code"))
	mode := f.mode
	f.mu.Unlock()

	digest := sha256.Sum256([]byte(form.Get("code_verifier")))
	switch {
	case mode == modeTokenError:
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "invalid_grant", "error_description": "Invalid authorization code"})
		return
	case form.Get("grant_type") != "authorization_code" || form.Get("client_id") != "demo-spa" || !found ||
		form.Get("redirect_uri") != request.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(digest[:]) != request.Get("code_challenge"):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "invalid_grant", "error_description": "PKCE or code check failed"})
		return
	}

	user := users[request.Get("user")]
	now := time.Now()
	nonce := request.Get("nonce")
	if mode == modeBadNonce {
		nonce = "some-other-nonce"
	}
	access := f.sign(map[string]any{
		"iss": f.issuer(), "sub": user["sub"], "aud": []string{testAudience, f.issuer() + "userinfo"},
		"azp": "demo-spa", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"scope": "openid profile email", "permissions": user["permissions"],
	})
	id := f.sign(map[string]any{
		"iss": f.issuer(), "sub": user["sub"], "aud": "demo-spa", "iat": now.Unix(), "exp": now.Add(10 * time.Hour).Unix(),
		"nonce": nonce, "name": user["name"], "email": user["email"], "picture": f.issuer() + "picture.svg",
	})
	if mode == modeNullClaims {
		id = f.signPayload([]byte("null"))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "id_token": id, "token_type": "Bearer", "expires_in": 3600, "scope": "openid profile email",
	})
}

func (f *fakeTenant) sign(claims map[string]any) string {
	payload, err := json.Marshal(claims)
	require.NoError(f.t, err)
	return f.signPayload(payload)
}

func (f *fakeTenant) signPayload(payload []byte) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: signingKey()},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), testKID))
	require.NoError(f.t, err)
	jws, err := signer.Sign(payload)
	require.NoError(f.t, err)
	raw, err := jws.CompactSerialize()
	require.NoError(f.t, err)
	return raw
}

func (f *fakeTenant) handleLogout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.logouts = append(f.logouts, q)
	f.mu.Unlock()
	if q.Get("client_id") != "demo-spa" || q.Get("returnTo") != f.appOrigin {
		http.Error(w, `The "returnTo" querystring parameter is not defined as a valid URL in "Allowed Logout URLs".`, http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "session", Path: "/", MaxAge: -1})
	http.Redirect(w, r, q.Get("returnTo"), http.StatusFound)
}

// interactiveLogins counts the /authorize requests that were not silent authentication.
func (f *fakeTenant) interactiveLogins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, q := range f.authorize {
		if q.Get("prompt") != "none" {
			n++
		}
	}
	return n
}

func (f *fakeTenant) lastAuthorize() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(f.t, f.authorize)
	return f.authorize[len(f.authorize)-1]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomCode() string {
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString([]byte(time.Now().String())), "=") + fmt.Sprint(time.Now().UnixNano())
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// startDemoApp serves the demo app for issuer on a real listener, as the browser needs one;
// wrap, if given, stands between the two.
func startDemoApp(t *testing.T, issuer string, wrap ...func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	e, err := New(Config{
		Issuer: issuer, Audience: testAudience, ClientID: "demo-spa",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	var h http.Handler = e
	for _, w := range wrap {
		h = w(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newBrowser starts headless Chromium, or skips when there is none, unless E2E_REQUIRE_BROWSER
// says the browser tests must run (as in CI).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROME_PATH")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("E2E_REQUIRE_BROWSER") != "" {
			t.Fatal("E2E_REQUIRE_BROWSER is set but no Chromium was found (set CHROME_PATH)")
		}
		t.Skip("no Chromium found; set CHROME_PATH to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx), "starting Chromium")
	return ctx
}

// page wraps the browser with the steps the tests repeat, each bounded in time.
type page struct {
	t   *testing.T
	ctx context.Context
	url string
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, steps...))
}

func (p *page) eval(expr string) any {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	require.NoError(p.t, err)
	return v
}

// waitFor polls a predicate in the page until it holds. A poll that a navigation interrupts (the
// login and logout redirects) is started again in the new document.
func (p *page) waitFor(predicate string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate))
		if err == nil {
			return
		}
		require.NoError(p.t, ctx.Err(), "waiting for %s: %v", predicate, err)
	}
}

func (p *page) waitState(state string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`document.readyState === "complete" && document.body.dataset.state === %q`, state))
}

func (p *page) text(id string) string {
	p.t.Helper()
	return p.eval(fmt.Sprintf(`document.getElementById(%q).textContent`, id)).(string)
}

func (p *page) hidden(id string) bool {
	p.t.Helper()
	return p.eval(fmt.Sprintf(`document.getElementById(%q).hidden`, id)).(bool)
}

// call clicks an API button and waits for the status it shows.
func (p *page) call(button string) (status, body string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.ID(button)))
	p.waitFor(`/^\d{3}$/.test(document.getElementById("result-status").textContent)`)
	return p.text("result-status"), p.text("result-body")
}

// cspWatcher records each Content-Security-Policy violation in the document it runs in.
const cspWatcher = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));`

// watchCSP runs cspWatcher in every document the tab opens from now on, before the page's own
// script, so that a test can assert the policy let the page do everything it did.
func (p *page) watchCSP() {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatcher})
		return err
	}))
}

func (p *page) cspViolations() []any {
	p.t.Helper()
	v, ok := p.eval(`window.__cspViolations || ["the watcher is not installed"]`).([]any)
	require.True(p.t, ok)
	return v
}

func (p *page) errorShown() string {
	p.t.Helper()
	if p.hidden("error") {
		return ""
	}
	return p.text("error")
}

// startFlow starts Chromium, a fake tenant, the demo app that trusts it, and a page for the app.
func startFlow(t *testing.T) (*fakeTenant, *httptest.Server, *page) {
	t.Helper()
	ctx := newBrowser(t)
	tenant := newFakeTenant(t)
	app := startDemoApp(t, tenant.issuer())
	tenant.appOrigin = app.URL
	return tenant, app, &page{t: t, ctx: ctx, url: app.URL}
}

func TestBrowserLoginFlow(t *testing.T) {
	tenant, app, p := startFlow(t)
	p.watchCSP()

	t.Run("logged out, the open API works", func(t *testing.T) {
		p.t = t
		p.do(chromedp.Navigate(app.URL))
		p.waitState("logged-out")
		assert.Empty(t, p.errorShown(), "no session is not an error")
		assert.False(t, p.hidden("login"))
		assert.True(t, p.hidden("logout"))
		assert.True(t, p.hidden("profile"))
		assert.True(t, p.hidden("call-members"))
		assert.True(t, p.hidden("call-protected"))
		silent := tenant.lastAuthorize()
		assert.Equal(t, "none", silent.Get("prompt"))
		assert.Equal(t, "web_message", silent.Get("response_mode"))

		status, body := p.call("call-open")
		assert.Equal(t, "200", status)
		assert.Contains(t, body, `"message": "Open Endpoint"`)
		assert.Empty(t, p.cspViolations(), "the silent-authentication frame and the reachability check are allowed")
	})

	t.Run("log in with the keyboard", func(t *testing.T) {
		p.t = t
		p.do(chromedp.Focus(chromedp.ID("login")), chromedp.KeyEvent("\r"))
		p.waitState("logged-in")
		assert.Empty(t, p.errorShown())
		assert.Equal(t, "Alice Example", p.text("profile-name"))
		assert.Equal(t, "alice@example.com", p.text("profile-email"))
		assert.Equal(t, tenant.issuer()+"picture.svg", p.eval(`document.getElementById("profile-picture").src`))
		assert.Equal(t, app.URL+"/", p.eval(`location.href`), "code and state are gone from the address bar")
		assert.True(t, p.hidden("login"))
		assert.False(t, p.hidden("logout"))
		assert.False(t, p.hidden("call-protected"))
		assert.True(t, p.hidden("protected-hint"))

		login := tenant.lastAuthorize()
		assert.Equal(t, "query", login.Get("response_mode"))
		assert.Empty(t, login.Get("prompt"))
		assert.Equal(t, app.URL, login.Get("redirect_uri"))
		assert.Equal(t, "null", p.eval(`JSON.stringify(sessionStorage.getItem("demoapp.transaction"))`), "transaction is single use")
		assert.Equal(t, "0", fmt.Sprint(p.eval(`localStorage.length`)), "nothing is persisted")

		status, body := p.call("call-protected")
		assert.Equal(t, "200", status)
		assert.Contains(t, body, "Protected Endpoint")
		status, body = p.call("call-members")
		assert.Equal(t, "200", status)
		assert.Contains(t, body, "Members Only Endpoint")
		p.waitFor(`document.getElementById("profile-picture").complete`)
		assert.Equal(t, float64(64), p.eval(`document.getElementById("profile-picture").naturalWidth`), "the tenant's picture loaded")
		assert.Empty(t, p.cspViolations(), "the token request and the tenant's picture are allowed")
	})

	t.Run("fits a phone", func(t *testing.T) {
		p.t = t
		p.do(chromedp.EmulateViewport(320, 640))
		defer p.do(chromedp.EmulateReset())
		p.waitFor(`window.innerWidth === 320`)
		assert.Equal(t, true, p.eval(`document.documentElement.scrollWidth <= window.innerWidth`), "no sideways scrolling")
		for _, id := range []string{"logout", "call-open", "call-members", "call-protected", "profile-email"} {
			assert.Equal(t, true, p.eval(fmt.Sprintf(`(() => { const r = document.getElementById(%q).getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; })()`, id)), id)
		}
	})

	t.Run("the policy is enforced", func(t *testing.T) {
		p.t = t
		p.eval(`new Image().src = "http://192.0.2.1/elsewhere.png"; true`)
		p.waitFor(`window.__cspViolations.length > 0`)
		assert.Equal(t, []any{"img-src http://192.0.2.1/elsewhere.png"}, p.cspViolations(), "a plain-http image from another host is refused")
	})

	t.Run("reload restores the session silently", func(t *testing.T) {
		p.t = t
		p.do(chromedp.Reload())
		p.waitState("logged-in")
		assert.Equal(t, "none", tenant.lastAuthorize().Get("prompt"))
		assert.Equal(t, "Alice Example", p.text("profile-name"))
		assert.Zero(t, p.eval(`document.querySelectorAll("iframe").length`), "the frame is removed")
		assert.Empty(t, p.cspViolations(), "Cross-Origin-Opener-Policy and the CSP let the frame answer")
	})

	t.Run("log out", func(t *testing.T) {
		p.t = t
		p.do(chromedp.Click(chromedp.ID("logout")))
		p.waitState("logged-out")
		tenant.mu.Lock()
		logout := tenant.logouts[len(tenant.logouts)-1]
		tenant.mu.Unlock()
		assert.Equal(t, "demo-spa", logout.Get("client_id"))
		assert.Equal(t, app.URL, logout.Get("returnTo"))
		assert.True(t, p.hidden("call-members"))
	})

	t.Run("a user without read:protected, after a double click", func(t *testing.T) {
		p.t = t
		tenant.set(modeNormal, "bob")
		before := tenant.interactiveLogins()
		p.eval(`document.getElementById("login").click(); document.getElementById("login").click(); true`)
		p.waitState("logged-in")
		assert.Equal(t, before+1, tenant.interactiveLogins(), "one login, not two racing for the stored state")
		assert.Empty(t, p.errorShown())
		assert.Equal(t, "Bob Example", p.text("profile-name"))
		assert.True(t, p.hidden("call-protected"))
		assert.False(t, p.hidden("protected-hint"))
		status, _ := p.call("call-members")
		assert.Equal(t, "200", status)
		p.do(chromedp.Click(chromedp.ID("logout")))
		p.waitState("logged-out")
	})

	failures := []struct {
		name, mode, want string
	}{
		{"cancelled login", modeDeny, "Login was cancelled or refused: The user cancelled the login."},
		{"ID token for another login", modeBadNonce, "nonce does not match"},
		{"ID token whose claims are null", modeNullClaims, "The ID token was rejected: its header or claims are not JSON objects."},
		{"token endpoint refuses", modeTokenError, "The identity provider refused the login (HTTP 403: Invalid authorization code)"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			p.t = t
			tenant.set(tc.mode, "alice")
			p.do(chromedp.Click(chromedp.ID("login")))
			p.waitState("logged-out")
			p.waitFor(`!document.getElementById("error").hidden`)
			assert.Contains(t, p.errorShown(), tc.want)
			assert.True(t, p.hidden("call-members"))
			assert.Equal(t, app.URL+"/", p.eval(`location.href`))
		})
	}

	t.Run("tenant text is shown as text", func(t *testing.T) {
		p.t = t
		tenant.set(modeDenyMarkup, "alice")
		p.do(chromedp.Click(chromedp.ID("login")))
		p.waitState("logged-out")
		p.waitFor(`!document.getElementById("error").hidden`)
		assert.Equal(t, "Login was cancelled or refused: "+markup+".", p.errorShown())
		assert.Zero(t, p.eval(`document.querySelectorAll("#error *").length`), "no element made from it")
		assert.Equal(t, "undefined", p.eval(`typeof window.__injected`))
	})

	t.Run("a callback this tab did not ask for", func(t *testing.T) {
		p.t = t
		tenant.set(modeNormal, "alice")
		p.do(chromedp.Navigate(app.URL + "/?code=stolen&state=forged&error=x&error_description=Call+555-0100"))
		p.waitState("logged-out")
		assert.Contains(t, p.errorShown(), "does not match a login started in this tab")
		assert.NotContains(t, p.errorShown(), "555", "text from an unsolicited response is not shown")
	})
}

func TestBrowserIdentityProviderDown(t *testing.T) {
	ctx := newBrowser(t)
	down := httptest.NewServer(http.NotFoundHandler())
	issuer := down.URL + "/"
	down.Close()
	app := startDemoApp(t, issuer)
	p := &page{t: t, ctx: ctx, url: app.URL}

	p.do(chromedp.Navigate(app.URL))
	p.waitState("logged-out")
	want := "Cannot reach the identity provider at " + strings.TrimSuffix(issuer, "/")
	assert.Contains(t, p.errorShown(), want)

	// Screen readers announce new text in a role="alert" element only while it is shown.
	p.eval(`window.__alertChanges = [];
new MutationObserver((records) => records.forEach((r) => window.__alertChanges.push(r.type)))
  .observe(document.getElementById("error"), { attributes: true, attributeFilter: ["hidden"], childList: true });
true`)
	p.do(chromedp.Click(chromedp.ID("login")))
	p.waitFor(`!document.getElementById("error").hidden && window.__alertChanges.length === 4`)
	assert.Equal(t, []any{"attributes", "childList", "attributes", "childList"}, p.eval(`window.__alertChanges`),
		"hidden and emptied, then shown and only then filled")
	assert.Contains(t, p.errorShown(), want)
	assert.Equal(t, app.URL+"/", p.eval(`location.href`), "no navigation to a dead page")
	assert.Equal(t, false, p.eval(`document.getElementById("login").disabled`), "the button works again for a retry")

	status, _ := p.call("call-open")
	assert.Equal(t, "200", status, "the open API still works")
}

// The authorization code leaves the address bar before anything can fail, even when the page
// cannot load its configuration and so never gets as far as redeeming it.
func TestBrowserCallbackLeavesTheAddressBarFirst(t *testing.T) {
	ctx := newBrowser(t)
	tenant := newFakeTenant(t)
	noConfig := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/auth_config.json" {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	app := startDemoApp(t, tenant.issuer(), noConfig)
	p := &page{t: t, ctx: ctx, url: app.URL}

	p.do(chromedp.Navigate(app.URL + "/?code=c0de-from-the-tenant&state=st4te"))
	p.waitState("logged-out")
	assert.Contains(t, p.errorShown(), "configuration (/auth_config.json) is unusable: HTTP 503")
	assert.Equal(t, app.URL+"/", p.eval(`location.href`))
}

// Logging out while the tenant is down ends the session here and says the tenant's session could
// not be ended, instead of sending the browser to an error page.
func TestBrowserLogoutWhileIdentityProviderDown(t *testing.T) {
	tenant, app, p := startFlow(t)

	p.do(chromedp.Navigate(app.URL))
	p.waitState("logged-out")
	p.do(chromedp.Click(chromedp.ID("login")))
	p.waitState("logged-in")

	tenant.srv.Close()
	p.do(chromedp.Click(chromedp.ID("logout")))
	p.waitFor(`!document.getElementById("error").hidden`)
	assert.Equal(t, "logged-out", p.eval(`document.body.dataset.state`))
	assert.Contains(t, p.errorShown(), "You are logged out of this app, but the identity provider at "+strings.TrimSuffix(tenant.issuer(), "/")+" could not be reached")
	assert.Equal(t, app.URL+"/", p.eval(`location.href`))
	assert.True(t, p.hidden("profile"))
	assert.True(t, p.hidden("call-members"))
	assert.False(t, p.hidden("login"))
	assert.Equal(t, "login", p.eval(`document.activeElement.id`), "focus moves from the vanished Log out to Log in")
	status, _ := p.call("call-open")
	assert.Equal(t, "200", status, "the page still works")
}
