package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envMap is an environment for run.
func envMap(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// runCmd runs a command that ends by itself and returns its exit code and output.
func runCmd(t *testing.T, env func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = run(t.Context(), args, env, &out, &errOut)
	return code, out.String(), errOut.String()
}

// served is a running `mockidp serve`.
type served struct {
	addr   string
	banner []string
	cancel context.CancelFunc
	done   chan int
}

// startServe runs serve until the test ends and waits for its start-up block. The listen
// address is 127.0.0.1:0 unless args or env name one.
func startServe(t *testing.T, env func(string) string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	s := &served{cancel: cancel, done: make(chan int, 1)}
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), env, io.Discard, pw)
		pw.Close()
		s.done <- code
	}()
	// The start-up block is one write, so one read gets all of it.
	buf := make([]byte, 64<<10)
	n, err := pr.Read(buf)
	require.NoError(t, err)
	s.banner = strings.Split(strings.TrimSpace(string(buf[:n])), "\n")
	for _, line := range s.banner {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "listening"); ok {
			s.addr = strings.TrimSpace(rest)
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// readyJSON is the "mockidp ready" record of a start-up block logged as JSON.
func (s *served) readyJSON(t *testing.T) map[string]any {
	t.Helper()
	var ready map[string]any
	for _, line := range s.banner {
		if strings.Contains(line, `"mockidp ready"`) {
			require.NoError(t, json.Unmarshal([]byte(line), &ready))
		}
	}
	require.NotNil(t, ready, strings.Join(s.banner, "\n"))
	return ready
}

// stop cancels the server's context (as SIGTERM would) and returns its exit code.
func (s *served) stop(t *testing.T) int {
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
		return -1
	}
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"stray argument", []string{"check", "x.yaml"}, 2, `unexpected argument "x.yaml"`},
		{"bad log format", []string{"--log-format", "xml"}, 2, `--log-format "xml": want text or json`},
		{"bad log level", []string{"--log-level", "loud"}, 2, `--log-level "loud"`},
		{"token -h lists its flags", []string{"token", "-h"}, 0, "Usage of mockidp token"},
		{"serve -h lists its flags", []string{"serve", "-h"}, 0, "Usage of mockidp serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, envMap(), tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, stderr, tt.err)
		})
	}
}

// TestRunHelp: asking for help prints one line per command on stdout and exits 0; a command
// that does not exist gets the same list on stderr and exit 2.
func TestRunHelp(t *testing.T) {
	commands := []string{"serve", "token", "check", "healthcheck", "ca"}
	tests := []struct {
		name string
		args []string
		code int
		help func(stdout, stderr string) string
	}{
		{"help", []string{"help"}, 0, func(stdout, _ string) string { return stdout }},
		{"--help", []string{"--help"}, 0, func(stdout, _ string) string { return stdout }},
		{"-help", []string{"-help"}, 0, func(stdout, _ string) string { return stdout }},
		{"-h", []string{"-h"}, 0, func(stdout, _ string) string { return stdout }},
		{"unknown command", []string{"frobnicate"}, 2, func(_, stderr string) string { return stderr }},
		{"misspelt command", []string{"server", "--addr", "x"}, 2, func(_, stderr string) string { return stderr }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, envMap(), tt.args...)
			assert.Equal(t, tt.code, code)
			help := tt.help(stdout, stderr)
			for _, cmd := range commands {
				lines := 0
				for line := range strings.Lines(help) {
					if f := strings.Fields(line); len(f) > 1 && f[0] == cmd {
						lines++
					}
				}
				assert.Equal(t, 1, lines, "one line for %s in:\n%s", cmd, help)
			}
			if tt.code == 0 {
				assert.Empty(t, stderr)
			} else {
				assert.Empty(t, stdout)
			}
		})
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("clients:\n  - name: A\n    app_type: rocket\n"), 0o644))
	tests := []struct {
		name string
		env  []string
		args []string
		err  string
	}{
		{"issuer without trailing slash, flag", nil, []string{"--issuer", "http://localhost:4000"},
			`mockidp: --issuer (MOCKIDP_ISSUER): "http://localhost:4000" must end with "/", as Auth0 issuers do (tokens' iss is compared byte for byte): use "http://localhost:4000/"` + "\n"},
		{"issuer without trailing slash, env", []string{"MOCKIDP_ISSUER", "http://localhost:4000"}, nil,
			`mockidp: --issuer (MOCKIDP_ISSUER): "http://localhost:4000" must end with "/"`},
		{"relative issuer", nil, []string{"--issuer", "localhost:4000/"},
			`mockidp: --issuer (MOCKIDP_ISSUER): "localhost:4000/" must be an absolute http(s) URL, such as http://localhost:4000/` + "\n"},
		{"issuer with a query", nil, []string{"--issuer", "http://localhost:4000/?tenant=a"},
			`mockidp: --issuer (MOCKIDP_ISSUER): "http://localhost:4000/?tenant=a" must not have a query or fragment: use "http://localhost:4000/"` + "\n"},
		{"empty issuer", nil, []string{"--issuer", ""},
			"mockidp: --issuer (MOCKIDP_ISSUER): is empty; set it to the URL the tenant is reached at, such as http://localhost:4000/\n"},
		{"tenant file with errors", nil, []string{"--tenant", bad}, bad + ":3:15: clients[0].app_type:"},
		{"missing tenant file", []string{"MOCKIDP_TENANT", filepath.Join(dir, "none.yaml")}, nil, "none.yaml"},
		{"unusable address", nil, []string{"--addr", "256.0.0.1:1"}, "mockidp: listen tcp"},
		{"unknown store", nil, []string{"--store", "mysql://u:p@localhost/db"},
			`mockidp: --store (MOCKIDP_STORE): store: "mysql" is not a store; use memory or redis://HOST:PORT/DB` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, envMap(tt.env...), append([]string{"serve"}, tt.args...)...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, tt.err)
		})
	}
}

// A store that cannot be reached stops the start, naming its URL without the password.
func TestServeUnreachableStore(t *testing.T) {
	url := "redis://user:hunter2@" + freeAddr(t) + "/0"
	code, _, stderr := runCmd(t, envMap("MOCKIDP_STORE", url), "serve")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "mockidp: --store (MOCKIDP_STORE): store: cannot reach Redis")
	assert.Contains(t, stderr, strings.Replace(url, "hunter2", "xxxxx", 1))
	assert.NotContains(t, stderr, "hunter2")
}

func TestServeRefusesBadBounds(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		err  string
	}{
		{"zero flag", nil, []string{"--max-refresh-tokens", "0"}, "mockidp: --max-refresh-tokens (MOCKIDP_MAX_REFRESH_TOKENS) must be positive\n"},
		{"negative env", []string{"MOCKIDP_MAX_LOGIN_FAILURES", "-1"}, nil, "mockidp: --max-login-failures (MOCKIDP_MAX_LOGIN_FAILURES) must be positive\n"},
		{"env not a number", []string{"MOCKIDP_MAX_GRANTS", "lots"}, nil, `mockidp: MOCKIDP_MAX_GRANTS="lots": want a whole number` + "\n"},
		{"no connections", []string{"MOCKIDP_MAX_CONNECTIONS", "0"}, nil, "mockidp: --max-connections (MOCKIDP_MAX_CONNECTIONS) must be positive\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, envMap(tt.env...), append([]string{"serve"}, tt.args...)...)
			assert.Equal(t, 2, code)
			assert.Equal(t, tt.err, stderr)
		})
	}
}

func TestServe(t *testing.T) {
	addr := freeAddr(t)
	issuer := "http://" + addr + "/"
	// The flag wins over the environment for --issuer; the environment gives the address.
	s := startServe(t, envMap("MOCKIDP_ADDR", addr, "MOCKIDP_ISSUER", "http://env.example/"), "--issuer", issuer)
	assert.Equal(t, addr, s.addr)
	banner := strings.Join(s.banner, "\n")
	assert.Contains(t, banner, `mockidp ready: tenant "Tenantless Demo" (3 users, 4 applications, 1 API)`)
	assert.Contains(t, banner, "issuer     "+issuer)
	assert.Contains(t, banner, "curl -s "+issuer+"oauth/token -d grant_type=client_credentials --data-urlencode client_id=demo-m2m --data-urlencode client_secret=demo-m2m-secret --data-urlencode audience=https://api.example.com")

	resp, err := http.Get(issuer + "healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	t.Run("healthcheck finds it from MOCKIDP_ADDR", func(t *testing.T) {
		code, _, stderr := runCmd(t, envMap("MOCKIDP_ADDR", addr), "healthcheck")
		assert.Equal(t, 0, code, stderr)
	})
	t.Run("an offline token verifies against its JWKS", func(t *testing.T) {
		code, stdout, stderr := runCmd(t, envMap("MOCKIDP_ISSUER", issuer), "token", "--user", "alice@example.com", "--scope", "read:protected")
		require.Equal(t, 0, code, stderr)
		provider, err := oidc.NewProvider(t.Context(), issuer)
		require.NoError(t, err)
		tok, err := provider.Verifier(&oidc.Config{ClientID: "https://api.example.com"}).Verify(t.Context(), strings.TrimSpace(stdout))
		require.NoError(t, err)
		assert.Equal(t, "auth0|alice", tok.Subject)
		var claims struct {
			Permissions []string `json:"permissions"`
		}
		require.NoError(t, tok.Claims(&claims))
		assert.Equal(t, []string{"read:protected"}, claims.Permissions)
	})
	t.Run("the banner's curl works", func(t *testing.T) {
		resp, err := http.PostForm(issuer+"oauth/token", map[string][]string{"grant_type": {"client_credentials"},
			"client_id": {"demo-m2m"}, "client_secret": {"demo-m2m-secret"}, "audience": {"https://api.example.com"}})
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	assert.Equal(t, 0, s.stop(t), "graceful shutdown")
}

func TestServeJSONLogs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keyless.yaml")
	require.NoError(t, os.WriteFile(path, []byte("pages: []\nclients:\n  - {name: M, client_id: m, client_secret: m-secret-from-the-file, app_type: non_interactive}\n"+
		"resourceServers:\n  - {name: A, identifier: https://a.example.com}\nclientGrants:\n  - {client_id: m, audience: https://a.example.com, scope: []}\n"), 0o644))
	addr := freeAddr(t)
	s := startServe(t, envMap("MOCKIDP_TENANT", path), "--addr", addr, "--issuer", "http://"+addr+"/", "--log-format", "json")
	ready := s.readyJSON(t)
	assert.Equal(t, "http://"+addr+"/", ready["issuer"])
	assert.Equal(t, 1.0, ready["applications"])
	assert.Contains(t, ready["try"], "client_id=m")
	// A tenant file's secret stays out of the log; only the embedded demo tenant's published
	// one is shown (TestServe).
	assert.Contains(t, ready["try"], "client_secret=<the client_secret of m in keyless.yaml>")
	assert.NotContains(t, strings.Join(s.banner, "\n"), "m-secret-from-the-file")
	assert.Equal(t, 0, s.stop(t))
}

func TestServeGeneratedKeyWarning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.yaml")
	require.NoError(t, os.WriteFile(path, []byte("pages: []\n"), 0o644))
	s := startServe(t, envMap(), "--addr", "127.0.0.1:0", "--tenant", path)
	banner := strings.Join(s.banner, "\n")
	assert.Contains(t, banner, "warning    t.yaml: sections not modelled, ignored: pages")
	assert.Contains(t, banner, "warning    the tenant names no signing key: one was generated for this run")
	assert.NotContains(t, banner, "try", "no client grant, no curl")
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("clients:\n  - name: A\n    app_type: rocket\n    callbacks: [nope]\n"), 0o644))
	t.Run("embedded default", func(t *testing.T) {
		code, stdout, _ := runCmd(t, envMap(), "check")
		assert.Equal(t, 0, code)
		assert.Equal(t, "embedded tenant.yaml: tenant \"Tenantless Demo\" is valid: 3 users, 4 applications, 1 API, 1 role, 2 client grants\n", stdout)
	})
	t.Run("QA tenant with warnings", func(t *testing.T) {
		code, stdout, stderr := runCmd(t, envMap(), "check", "--tenant", filepath.Join("..", "fixtures", "qa-tenant.yaml"))
		assert.Equal(t, 0, code)
		assert.Contains(t, stdout, `tenant "Tenantless QA" is valid: 4 users, 3 applications, 2 APIs, 3 roles, 2 client grants, 5 actions`)
		assert.Contains(t, stderr, "warning: qa-tenant.yaml: sections not modelled, ignored: pages")
	})
	t.Run("errors, one per line, from the environment's file", func(t *testing.T) {
		code, stdout, stderr := runCmd(t, envMap("MOCKIDP_TENANT", bad), "check")
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		require.Len(t, lines, 3, stderr)
		assert.True(t, strings.HasPrefix(lines[0], bad+":2:5: clients[0].client_id: required"), lines[0])
		assert.True(t, strings.HasPrefix(lines[1], bad+":3:15: clients[0].app_type: "), lines[1])
		assert.True(t, strings.HasPrefix(lines[2], bad+":4:17: clients[0].callbacks[0]: "), lines[2])
	})
	t.Run("problems in the Actions' code files, at their paths", func(t *testing.T) {
		export := filepath.Join(dir, "export")
		require.NoError(t, os.MkdirAll(filepath.Join(export, "actions", "roles"), 0o755))
		require.NoError(t, os.MkdirAll(filepath.Join(export, "actions", "plan"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(export, "actions", "roles", "code.js"),
			[]byte("exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('x' 1);\n};\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(export, "tenant.yaml"), []byte(strings.Join([]string{
			"actions:",
			"  - name: roles",
			"    code: ./actions/roles/code.js",
			"    supported_triggers: [{id: post-login, version: v3}]",
			"  - name: plan",
			"    code: ./actions/plan/code.js",
			"    supported_triggers: [{id: post-login, version: v3}]",
			"triggers:",
			"  post-login:",
			"    - action_name: roles",
		}, "\n")+"\n"), 0o644))
		code, stdout, stderr := runCmd(t, envMap(), "check", "--tenant", filepath.Join(export, "tenant.yaml"))
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		assert.Equal(t, filepath.Join(export, "tenant.yaml")+":6:11: actions[1].code: no file actions/plan/code.js: the code file is read relative to the tenant file\n", stderr)

		require.NoError(t, os.WriteFile(filepath.Join(export, "actions", "plan", "code.js"), []byte("exports.onExecutePostLogin = async () => {};\n"), 0o644))
		code, _, stderr = runCmd(t, envMap(), "check", "--tenant", filepath.Join(export, "tenant.yaml"))
		assert.Equal(t, 1, code)
		assert.Equal(t, filepath.Join(export, "actions", "roles", "code.js")+`:2:34: action "roles": SyntaxError: Unexpected number`+"\n", stderr)
	})
	t.Run("missing file", func(t *testing.T) {
		code, _, stderr := runCmd(t, envMap(), "check", "--tenant", filepath.Join(dir, "none.yaml"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "none.yaml")
	})
}

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	okAddr := strings.TrimPrefix(ok.URL, "http://")
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		err  string
	}{
		{"--url", nil, []string{"--url", ok.URL + "/healthz"}, 0, ""},
		{"--url wins over MOCKIDP_ADDR", []string{"MOCKIDP_ADDR", freeAddr(t)}, []string{"--url", ok.URL + "/healthz"}, 0, ""},
		{"default from MOCKIDP_ADDR", []string{"MOCKIDP_ADDR", okAddr}, nil, 0, ""},
		{"default from --addr", nil, []string{"--addr", okAddr}, 0, ""},
		{"wildcard address probes loopback", nil, []string{"--addr", "0.0.0.0:" + strings.Split(okAddr, ":")[1]}, 0, ""},
		{"not 200", nil, []string{"--url", down.URL}, 1, "503 Service Unavailable"},
		{"wrong path", nil, []string{"--url", ok.URL + "/nope"}, 1, "404 Not Found"},
		{"nothing listening", nil, []string{"--addr", freeAddr(t)}, 1, "connection refused"},
		{"bad address", nil, []string{"--addr", "nohost"}, 2, `--addr "nohost"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, envMap(tt.env...), append([]string{"healthcheck"}, tt.args...)...)
			assert.Equal(t, tt.code, code, stderr)
			assert.Contains(t, stderr, tt.err)
		})
	}
}
