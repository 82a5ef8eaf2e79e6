package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bounds of the browser tests. Every wait is bounded by one of these contexts, so a page that
// never reaches a state fails in seconds with a screenshot, instead of hanging the run.
const (
	browserLifetime = 2 * time.Minute  // the whole Chromium process of one test
	stepTimeout     = 15 * time.Second // one step: a navigation, a click and its result
	artifactTimeout = 10 * time.Second // the screenshot and HTML of a failed test
	docsWidth       = 1100
	docsHeight      = 800
)

// findChromium is CHROME_PATH, else the first of Debian's and Google's names on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CHROME_PATH=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium, chromium-browser or google-chrome on PATH and no CHROME_PATH (apt-get install chromium)")
}

// chromiumOrSkip returns Chromium's path; without one, a newcomer's run skips and CI's fails.
func chromiumOrSkip(t *testing.T) string {
	t.Helper()
	p, err := findChromium()
	if err != nil {
		skipOrFail(t, "E2E_REQUIRE_BROWSER", "headless Chromium: %v", err)
	}
	return p
}

// newBrowser starts headless Chromium with a fresh profile for this test and returns a context
// for new tabs. The flags keep it from reaching for the internet, which a CI machine may not
// have and where Chromium would otherwise stall on background fetches.
//
// opts add to the flags or replace them; trustCA makes the browser trust a local CA the way a
// developer's does.
func newBrowser(t *testing.T, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	chromium := chromiumOrSkip(t)
	life, cancelLife := context.WithTimeout(context.Background(), browserLifetime)
	alloc, cancelAlloc := chromedp.NewExecAllocator(life, append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // containers and CI runners often forbid the sandbox's namespaces
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(docsWidth, docsHeight),
	}, opts...)...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelLife() })
	// The first run starts Chromium and ties it to this context, which has no step timeout.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return browser
}

// certutilTimeout bounds each certutil run.
const certutilTimeout = 30 * time.Second

// trustCA makes Chromium trust the CA in caFile as a developer's browser would after importing
// it, with no --ignore-certificate-errors: the browser runs with nssHome's HOME.
func trustCA(t *testing.T, caFile string) chromedp.ExecAllocatorOption {
	t.Helper()
	// Added after the test's own environment, so this HOME is the one the browser sees.
	return chromedp.Env("HOME=" + nssHome(t, caFile))
}

// nssHome is a HOME for Chromium whose NSS database trusts the CA in caFile for servers:
// Chromium on Linux reads $HOME/.pki/nssdb. It is made with certutil, from Debian's
// libnss3-tools.
func nssHome(t *testing.T, caFile string) string {
	t.Helper()
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		skipOrFail(t, "E2E_REQUIRE_BROWSER", "certutil is not on PATH (apt-get install libnss3-tools): Chromium cannot be made to trust the local CA")
	}
	home := t.TempDir()
	db := "sql:" + filepath.Join(home, ".pki", "nssdb")
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".pki", "nssdb"), 0o700))
	for _, args := range [][]string{
		{"-N", "-d", db, "--empty-password"},
		// C,,: a CA trusted to issue server certificates; nothing else.
		{"-A", "-d", db, "-t", "C,,", "-n", "tenantless local CA", "-i", caFile},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), certutilTimeout)
		out, err := exec.CommandContext(ctx, certutil, args...).CombinedOutput()
		cancel()
		require.NoError(t, err, "certutil %s: %s", strings.Join(args, " "), out)
	}
	return home
}

// chromeCookiePolicy is a user data directory whose profile handles third-party cookies as Google
// Chrome's does by default, blocking them in Incognito windows only (its preference
// profile.cookie_controls_mode 2). Debian's Chromium blocks them everywhere, which would hide
// from the silent-authentication iframe the session cookie that a developer's Chrome sends.
func chromeCookiePolicy(t *testing.T) chromedp.ExecAllocatorOption {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "Default"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(`{"profile":{"cookie_controls_mode":2}}`), 0o600))
	return chromedp.UserDataDir(dir)
}

// tab is one page in its own browser context (own cookies and storage, like a private window),
// which saves a screenshot and its HTML if the test fails.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []string
}

func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	tb := &tab{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			tb.saveArtifacts()
		}
		cancel()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	// Console messages and uncaught exceptions explain most front-end failures.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, m.String())
			tb.mu.Unlock()
		}
	}()
	return tb
}

// do runs one step under stepTimeout and fails the test with its name if it does not complete.
func (tb *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", step, err)
	}
}

func run[T any](tb *tab, step string, action chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tb.t.Fatalf("%s: %v", step, err)
	}
	return v
}

// waitState waits for the SPA's body[data-state] (logged-out, logged-in, loading).
func (tb *tab) waitState(state string) {
	tb.t.Helper()
	tb.do("wait for data-state="+state, chromedp.WaitReady(chromedp.CSS(`body[data-state="`+state+`"]`)))
}

// visibility reports, for each id, whether the element is shown: not hidden and laid out.
func (tb *tab) visibility(ids ...string) map[string]bool {
	tb.t.Helper()
	js := fmt.Sprintf(`Object.fromEntries(%s.map((id) => {
		const el = document.getElementById(id);
		return [id, !!el && !el.hidden && el.getClientRects().length > 0];
	}))`, jsonList(ids))
	return run(tb, "read visibility", chromedp.Evaluate[map[string]bool](js))
}

// assertShown checks the SPA's view: shown ids and hidden ids.
func (tb *tab) assertShown(shown, hidden []string) {
	tb.t.Helper()
	got := tb.visibility(append(append([]string{}, shown...), hidden...)...)
	for _, id := range shown {
		assert.True(tb.t, got[id], "#%s should be shown", id)
	}
	for _, id := range hidden {
		assert.False(tb.t, got[id], "#%s should be hidden", id)
	}
}

func (tb *tab) text(id string) string {
	tb.t.Helper()
	return run(tb, "read #"+id, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).textContent`, id)))
}

// callAPI clicks one of the SPA's API buttons and waits for its answer.
func (tb *tab) callAPI(button string) (status, body string) {
	tb.t.Helper()
	tb.do("click #"+button, chromedp.Click(chromedp.CSS("#"+button)))
	// app.js shows "calling…" until the answer is there; the status is then a number.
	status = run(tb, "wait for the answer to #"+button, chromedp.Poll[string](
		`/^\d{3}$/.test(document.getElementById('result-status').textContent) && document.getElementById('result-status').textContent`,
		chromedp.WithPollingTimeout(stepTimeout)))
	return status, tb.text("result-body")
}

func (tb *tab) location() string {
	tb.t.Helper()
	return run(tb, "read the location", chromedp.Location())
}

// logIn clicks Log in on the demo app and fills the emulator's login page with the selectors of
// Auth0's Universal Login, then waits for the app's logged-in view. shot, if set, is called on
// the login page before it is filled.
func (tb *tab) logIn(env *Env, u user, shot func()) {
	tb.t.Helper()
	tb.do("click Log in", chromedp.Click(chromedp.CSS("#login")))
	tb.do("wait for the login page", chromedp.WaitVisible(chromedp.CSS("input#username")))
	assert.True(tb.t, strings.HasPrefix(tb.location(), env.IDPOrigin+"/u/login?"), "login page at %s", tb.location())
	if shot != nil {
		shot()
	}
	tb.do("log in as "+u.email,
		chromedp.SendKeys(chromedp.CSS("input#username"), u.email),
		chromedp.SendKeys(chromedp.CSS("input#password"), u.password),
		chromedp.Click(chromedp.CSS("button[value=default]")),
	)
	tb.waitState("logged-in")
	assert.Equal(tb.t, env.AppOrigin+"/", tb.location(), "the code and state are taken out of the address bar")
}

// saveArtifacts writes a full-page screenshot and the page's HTML for a failed test.
func (tb *tab) saveArtifacts() {
	t := tb.t
	dir, err := filepath.Abs(filepath.Join("artifacts", filepath.FromSlash(t.Name())))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Logf("artifacts: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, artifactTimeout)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		err = os.WriteFile(filepath.Join(dir, "screenshot.png"), png, 0o644)
		if err != nil {
			t.Logf("artifacts: %v", err)
		}
	} else {
		t.Logf("artifacts: screenshot: %v", err)
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			html = "<!-- " + loc + " -->\n" + html
		}
		if err := os.WriteFile(filepath.Join(dir, "page.html"), []byte(html), 0o644); err != nil {
			t.Logf("artifacts: %v", err)
		}
	} else {
		t.Logf("artifacts: page HTML: %v", err)
	}
	tb.mu.Lock()
	console := strings.Join(tb.console, "\n")
	tb.mu.Unlock()
	t.Logf("screenshot and page HTML saved in %s\nbrowser console:\n%s", dir, console)
}

// screenshotTo saves the viewport, docsWidth×docsHeight, as a README image.
func (tb *tab) screenshotTo(name string) {
	tb.t.Helper()
	root, err := moduleRoot()
	require.NoError(tb.t, err)
	png := run(tb, "screenshot "+name, chromedp.CaptureScreenshot())
	file := filepath.Join(root, "docs", name)
	require.NoError(tb.t, os.MkdirAll(filepath.Dir(file), 0o755))
	require.NoError(tb.t, os.WriteFile(file, png, 0o644))
	tb.t.Logf("wrote %s", file)
}

func jsonList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// The SPA's elements by role in its views.
var (
	loggedOutShown  = []string{"login", "call-open"}
	loggedOutHidden = []string{"logout", "profile", "call-members", "call-protected", "protected-hint", "error"}
)

// TestBrowser clicks through the demo app in headless Chromium: the logged-out view, login on
// the emulator's page, members-only and protected content for alice and the protected part
// withheld for bob, a reload that stays logged in (silent authentication in a hidden iframe),
// and logout. With -update-docs (or E2E_UPDATE_DOCS=1) it also refreshes the README's
// screenshots.
func TestBrowser(t *testing.T) {
	browser := newBrowser(t)
	env := StartInProcess(t, DefaultTenant())
	docs := *updateDocs || envFlag("E2E_UPDATE_DOCS")

	t.Run("alice", func(t *testing.T) { aliceInBrowser(t, newTab(t, browser), env, docs) })

	t.Run("bob", func(t *testing.T) {
		tb := newTab(t, browser)
		tb.do("open the demo app", chromedp.Navigate(env.AppOrigin+"/"))
		tb.waitState("logged-out")
		tb.logIn(env, bob, nil)
		tb.assertShown(
			[]string{"logout", "profile", "call-members", "protected-hint"},
			[]string{"login", "call-protected", "error"})
		assert.Equal(t, bob.name, tb.text("profile-name"))
		status, body := tb.callAPI("call-members")
		assert.Equal(t, "200", status, body)
		assert.Contains(t, body, membersBody)
	})
}

// TestBrowserHTTPS clicks through the demo of docker-compose.https.yml, run as processes: the
// demo app on http, the emulator on https with a certificate from the local CA that the browser
// trusts through its NSS database and the demo app through SSL_CERT_FILE.
func TestBrowserHTTPS(t *testing.T) {
	env := StartProcessesHTTPS(t)
	browser := newBrowser(t, trustCA(t, env.CAFile), chromeCookiePolicy(t))
	t.Run("alice", func(t *testing.T) {
		// The emulator's session cookie is a third-party cookie in the silent-authentication
		// iframe of the http app, as a tenant's is: a browser that blocks those shows the app
		// logged out after a reload, with the emulator as with Auth0.
		tb := newTab(t, browser)
		aliceInBrowser(t, tb, env, false)
		assert.True(t, strings.HasPrefix(env.IDPOrigin, "https://"), env.IDPOrigin)
	})
}

// aliceInBrowser is the demo as a person clicks it: the logged-out view, login on the emulator's
// page, members-only and protected content, a reload that stays logged in (silent authentication
// in a hidden iframe), and logout. With docs it refreshes the README's screenshots.
func aliceInBrowser(t *testing.T, tb *tab, env *Env, docs bool) {
	if docs {
		tb.do("set the viewport", chromedp.EmulateViewport(docsWidth, docsHeight))
	}
	tb.do("open the demo app", chromedp.Navigate(env.AppOrigin+"/"))
	tb.waitState("logged-out")
	tb.assertShown(loggedOutShown, loggedOutHidden)
	status, body := tb.callAPI("call-open")
	assert.Equal(t, "200", status)
	assert.Contains(t, body, openBody)

	var loginShot func()
	if docs {
		loginShot = func() { tb.screenshotTo("login-page.png") }
	}
	tb.logIn(env, alice, loginShot)
	tb.assertShown(
		[]string{"logout", "profile", "call-open", "call-members", "call-protected"},
		[]string{"login", "protected-hint", "error"})
	assert.Equal(t, alice.name, tb.text("profile-name"))
	assert.Equal(t, alice.email, tb.text("profile-email"))

	status, body = tb.callAPI("call-members")
	assert.Equal(t, "200", status, body)
	assert.Contains(t, body, membersBody)
	status, body = tb.callAPI("call-protected")
	assert.Equal(t, "200", status, body)
	assert.Contains(t, body, protectedBody)
	if docs {
		tb.screenshotTo("demo-logged-in.png")
	}

	// The access token lives in memory only: a reload logs in again through the hidden
	// iframe (prompt=none, web_message) on the emulator's session cookie.
	tb.do("reload", chromedp.Reload())
	tb.waitState("logged-in")
	assert.Equal(t, alice.name, tb.text("profile-name"), "still alice after a reload")
	status, body = tb.callAPI("call-protected")
	assert.Equal(t, "200", status, "the token from silent authentication works: %s", body)

	tb.do("click Log out", chromedp.Click(chromedp.CSS("#logout")))
	tb.waitState("logged-out")
	assert.Equal(t, env.AppOrigin+"/", tb.location(), "logout returns to the app")
	tb.assertShown(loggedOutShown, loggedOutHidden)

	// The emulator's session is gone too, not only the page's memory.
	tb.do("reload after logout", chromedp.Reload())
	tb.waitState("logged-out")
	tb.assertShown(loggedOutShown, loggedOutHidden)
}
