package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/internal/redistest"
)

// replica is one mockidp process of a tenant served by several, all on one Redis store.
type replica struct {
	name   string
	bin    string
	env    []string
	origin string // where this process listens: http://127.0.0.1:PORT
	cmd    *exec.Cmd
	exited chan error
	out    *tailBuffer
}

// startReplica runs mockidp on port with the shared issuer and store, and waits until it
// answers /healthz. It is stopped with SIGTERM when the test ends, unless killed before.
func startReplica(t *testing.T, name, bin string, port int, issuer, storeURL string) *replica {
	t.Helper()
	r := &replica{
		name: name, bin: bin, origin: fmt.Sprintf("http://127.0.0.1:%d", port),
		env: []string{"MOCKIDP_ADDR=127.0.0.1:" + fmt.Sprint(port), "MOCKIDP_ISSUER=" + issuer, "MOCKIDP_STORE=" + storeURL},
	}
	if raceEnabled {
		r.env = append(r.env, "GORACE=atexit_sleep_ms=0")
	}
	r.start(t)
	t.Cleanup(func() {
		if r.cmd == nil {
			return
		}
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-r.exited:
			assert.NoError(t, err, "%s exits cleanly on SIGTERM\n%s", r.name, r.out)
		case <-time.After(stopTimeout):
			_ = r.cmd.Process.Kill()
			<-r.exited
			t.Errorf("%s still running %v after SIGTERM\n%s", r.name, stopTimeout, r.out)
		}
	})
	return r
}

func (r *replica) start(t *testing.T) {
	t.Helper()
	r.out = &tailBuffer{max: processOutputMax}
	r.cmd = exec.Command(r.bin, "serve")
	r.cmd.Env = r.env
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	require.NoError(t, r.cmd.Start())
	r.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, exited chan<- error) { exited <- cmd.Wait() }(r.cmd, r.exited)

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.origin+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-r.exited:
			r.cmd = nil
			t.Fatalf("%s exited before it was healthy: %v\n%s", r.name, err, r.out)
		case <-ctx.Done():
			t.Fatalf("%s not healthy within %v\n%s", r.name, readyTimeout, r.out)
		case <-tick.C:
		}
	}
}

// kill ends the process with SIGKILL: nothing of it is flushed or closed.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Kill())
	<-r.exited
	r.cmd = nil
}

// replicaClient keeps one browser's cookies across both processes (cookies are per host, not
// per port) and never follows redirects.
func replicaClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func send(t *testing.T, c *http.Client, method, rawURL string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	require.NoError(t, err)
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestReplicasShareOneTenant runs two mockidp processes on one Redis store and one issuer, as
// behind a load balancer: every piece of state one of them writes, the other honours, and a
// process killed and started again has lost nothing.
func TestReplicasShareOneTenant(t *testing.T) {
	// A private server: a lockout or a session left in a shared one would outlive the test.
	storeURL := redistest.Start(t).URL
	bin := buildPrograms(t, mustRoot(t))["mockidp"]
	ports := [2]int{}
	for i := range ports {
		p, err := freePort()
		require.NoError(t, err)
		ports[i] = p
	}
	issuer := fmt.Sprintf("http://localhost:%d/", ports[0])
	a := startReplica(t, "mockidp A", bin, ports[0], issuer, storeURL)
	b := startReplica(t, "mockidp B", bin, ports[1], issuer, storeURL)
	browser := replicaClient(t)

	const callback = "http://localhost:3000"
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	authorize := func(origin string, extra ...string) string {
		q := url.Values{"client_id": {SPAClientID}, "redirect_uri": {callback}, "response_type": {"code"},
			"scope": {"openid offline_access"}, "audience": {Audience}, "state": {"st"}, "nonce": {"n"},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return origin + "/authorize?" + q.Encode()
	}
	codeFrom := func(resp *http.Response) string {
		t.Helper()
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, callback, loc.Scheme+"://"+loc.Host, "redirected to the application")
		require.NotEmpty(t, loc.Query().Get("code"), "code in %s", loc)
		return loc.Query().Get("code")
	}
	type tokens struct {
		Status       int
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
	}
	token := func(origin string, form url.Values) tokens {
		t.Helper()
		resp, body := send(t, http.DefaultClient, http.MethodPost, origin+"/oauth/token", form)
		var tk tokens
		require.NoError(t, json.Unmarshal([]byte(body), &tk), body)
		tk.Status = resp.StatusCode
		return tk
	}
	redeem := func(origin, code string) tokens {
		return token(origin, url.Values{"grant_type": {"authorization_code"}, "client_id": {SPAClientID},
			"code": {code}, "code_verifier": {verifier}, "redirect_uri": {callback}})
	}
	refresh := func(origin, rt string) tokens {
		return token(origin, url.Values{"grant_type": {"refresh_token"}, "client_id": {SPAClientID}, "refresh_token": {rt}})
	}
	password := func(origin, user, pw string) tokens {
		return token(origin, url.Values{"grant_type": {"password"}, "client_id": {"demo-web"}, "client_secret": {"demo-web-secret"},
			"username": {user}, "password": {pw}})
	}

	var login tokens
	t.Run("authorize on A, log in on B, redeem on B", func(t *testing.T) {
		resp, _ := send(t, browser, http.MethodGet, authorize(a.origin), nil)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		loginURL, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		onB := b.origin + loginURL.Path + "?" + loginURL.RawQuery
		resp, page := send(t, browser, http.MethodGet, onB, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, page)
		m := csrfField.FindStringSubmatch(page)
		require.NotNil(t, m, "the login form's CSRF token")
		resp, _ = send(t, browser, http.MethodPost, b.origin+"/u/login", url.Values{"state": {loginURL.Query().Get("state")},
			"_csrf": {m[1]}, "username": {"alice@example.com"}, "password": {"alice-password"}, "action": {"default"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		login = redeem(b.origin, codeFrom(resp))
		require.Equal(t, http.StatusOK, login.Status, login.Error)
		require.NotEmpty(t, login.RefreshToken)
	})

	t.Run("the session started on B answers prompt=none on A", func(t *testing.T) {
		resp, _ := send(t, browser, http.MethodGet, authorize(a.origin, "prompt", "none"), nil)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		assert.Equal(t, http.StatusOK, redeem(a.origin, codeFrom(resp)).Status)
	})

	var spent string
	t.Run("a rotation on A is reuse on B", func(t *testing.T) {
		rotated := refresh(a.origin, login.RefreshToken)
		require.Equal(t, http.StatusOK, rotated.Status)
		spent = login.RefreshToken
		assert.Equal(t, http.StatusForbidden, refresh(b.origin, spent).Status, "the rotated token comes back at B")
		assert.Equal(t, http.StatusForbidden, refresh(a.origin, rotated.RefreshToken).Status, "its family is revoked on A too")
	})

	t.Run("a lockout set on A holds on B", func(t *testing.T) {
		for range 10 {
			require.Equal(t, http.StatusForbidden, password(a.origin, "bob@example.com", "guess").Status)
		}
		assert.Equal(t, http.StatusTooManyRequests, password(b.origin, "bob@example.com", "bob-password").Status)
	})

	t.Run("A killed and started again has lost nothing", func(t *testing.T) {
		a.kill(t)
		a.start(t)
		assert.Equal(t, http.StatusTooManyRequests, password(a.origin, "bob@example.com", "bob-password").Status, "the lockout")
		assert.Equal(t, http.StatusForbidden, refresh(a.origin, spent).Status, "the revoked family")
		resp, _ := send(t, browser, http.MethodGet, authorize(a.origin, "prompt", "none"), nil)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		again := redeem(a.origin, codeFrom(resp))
		require.Equal(t, http.StatusOK, again.Status, "the SSO session")
		assert.Equal(t, http.StatusOK, refresh(b.origin, again.RefreshToken).Status, "a refresh token issued by the restarted A, on B")
	})
}

func mustRoot(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	require.NoError(t, err)
	return root
}
