package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/demoapp/api"
)

// TestMain runs the program itself when a test starts this binary with DEMOAPP_RUN_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("DEMOAPP_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestConfigDefaultsMatchTheDefaultTenant(t *testing.T) {
	addr, cfg, err := configFromEnv(env(nil))
	require.NoError(t, err)
	assert.Equal(t, "localhost:3000", addr)
	assert.Equal(t, api.Config{
		Issuer:   "http://localhost:4000/",
		Audience: "https://api.example.com",
		ClientID: "demo-spa",
	}, cfg)
}

func TestConfigFromEnv(t *testing.T) {
	addr, cfg, err := configFromEnv(env(map[string]string{
		"DEMOAPP_ADDR": "0.0.0.0:8080",
		"ISSUER":       "https://dev-abc.us.auth0.com/",
		"AUDIENCE":     "https://orders.example.com",
		"CLIENT_ID":    "Xyz123",
		"JWKS_URI":     "http://idp.internal/.well-known/jwks.json",
	}))
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:8080", addr)
	assert.Equal(t, api.Config{
		Issuer:   "https://dev-abc.us.auth0.com/",
		Audience: "https://orders.example.com",
		ClientID: "Xyz123",
		JWKSURI:  "http://idp.internal/.well-known/jwks.json",
	}, cfg)
}

// A bad setting stops the program at start, naming the variable to fix.
func TestRunRefusesBadSettings(t *testing.T) {
	cases := map[string]struct {
		vars map[string]string
		want []string
	}{
		"issuer without trailing slash": {map[string]string{"ISSUER": "http://localhost:4000"}, []string{"ISSUER: ", "add the trailing slash"}},
		"issuer not a URL":              {map[string]string{"ISSUER": "dev-abc.us.auth0.com/"}, []string{"ISSUER: ", "not an absolute http(s) URL"}},
		"issuer with a query":           {map[string]string{"ISSUER": "https://t.example.com/?x=1"}, []string{"ISSUER: ", "query"}},
		"audience with a space":         {map[string]string{"AUDIENCE": "https://api.example.com "}, []string{"AUDIENCE: ", "white space"}},
		"client id with a space":        {map[string]string{"CLIENT_ID": " demo-spa"}, []string{"CLIENT_ID: ", "white space"}},
		"JWKS URI relative":             {map[string]string{"JWKS_URI": "/jwks.json"}, []string{"JWKS_URI: ", "not an absolute http(s) URL"}},
		"address without port":          {map[string]string{"DEMOAPP_ADDR": "localhost"}, []string{"DEMOAPP_ADDR: ", "host:port"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := run(t.Context(), env(tc.vars), quiet)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	t.Run("address taken", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		err = run(t.Context(), env(map[string]string{"DEMOAPP_ADDR": ln.Addr().String()}), quiet)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "DEMOAPP_ADDR: ")
	})
}

func TestRunStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.NoError(t, run(ctx, env(map[string]string{"DEMOAPP_ADDR": "127.0.0.1:0"}), quiet))
}

func TestServerLimits(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	assert.Positive(t, srv.ReadHeaderTimeout)
	assert.Positive(t, srv.ReadTimeout)
	assert.Positive(t, srv.WriteTimeout)
	assert.Positive(t, srv.IdleTimeout)
	assert.Equal(t, 32<<10, srv.MaxHeaderBytes)
}

// A29: a header block over MaxHeaderBytes is refused by net/http with 431, before any handler.
func TestOversizedHeaderIs431(t *testing.T) {
	var reached atomic.Bool
	addr := start(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Store(true) }))

	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "GET /api/members-only HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", strings.Repeat("a", 64<<10))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
	assert.False(t, reached.Load())
}

// Shutdown lets a request in flight finish, then serve returns without error.
func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := newServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "finished")
	}))
	shuttingDown := make(chan struct{})
	srv.RegisterOnShutdown(func() { close(shuttingDown) })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, srv, quiet) }()

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- string(b)
	}()
	<-started
	cancel()
	<-shuttingDown
	close(release)
	assert.Equal(t, "finished", <-answer)
	require.NoError(t, <-done)

	_, err = net.Dial("tcp", ln.Addr().String())
	assert.Error(t, err, "no longer listening")
}

func start(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, newServer(h), quiet) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	return ln.Addr().String()
}

func TestBrowserURL(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3000}
	cases := map[string]string{
		"localhost:3000": "http://localhost:3000",
		"0.0.0.0:3000":   "http://localhost:3000",
		":3000":          "http://localhost:3000",
		"[::]:3000":      "http://localhost:3000",
		"127.0.0.1:3000": "http://127.0.0.1:3000",
		"demo.test:3000": "http://demo.test:3000",
	}
	for configured, want := range cases {
		t.Run(configured, func(t *testing.T) {
			assert.Equal(t, want, browserURL(configured, bound))
		})
	}
}

// The first SIGTERM lets a request in flight finish; a second one ends the program at once rather
// than after the request (here one waiting up to 5 s for a JWKS that never answers).
func TestSecondSignalStopsAtOnce(t *testing.T) {
	jwks, err := net.Listen("tcp", "127.0.0.1:0") // accepts connections, never answers
	require.NoError(t, err)
	defer jwks.Close()
	fetching := make(chan net.Conn, 1)
	go func() {
		if c, err := jwks.Accept(); err == nil {
			fetching <- c
		}
	}()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DEMOAPP_RUN_MAIN=1", "DEMOAPP_ADDR=127.0.0.1:0", "ISSUER=http://"+jwks.Addr().String()+"/")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	lines := make(chan string, 16)
	go func() {
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitLine := func(pattern string) []string {
		t.Helper()
		re := regexp.MustCompile(pattern)
		for line := range lines {
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		}
		t.Fatalf("the program ended before logging %s", pattern)
		return nil
	}

	url := waitLine(`msg="demoapp listening" url=(\S+)`)[1]
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k1"}`))
	go func() {
		req, _ := http.NewRequest(http.MethodGet, url+"/api/members-only", nil)
		req.Header.Set("Authorization", "Bearer "+header+".e30.AAAA")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	conn := <-fetching // the request now waits for the signing keys
	defer conn.Close()

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitLine(`msg="demoapp shutting down"`)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "ended by the signal: %v", err)
		status, ok := exit.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		assert.Equal(t, syscall.SIGTERM, status.Signal())
	case <-time.After(3 * time.Second):
		t.Fatal("a second SIGTERM did not end the program before the request in flight")
	}
}
