package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tenantless/tenantless/demoapp/api"
	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// What the fixture tenants and the compose file configure the demo app with.
const (
	// FixtureAppOrigin is the demo app's origin as the fixture tenants list it in callbacks,
	// logout URLs and web origins.
	FixtureAppOrigin = "http://localhost:3000"
	// Audience is the demo API's identifier.
	Audience = "https://api.example.com"
	// SPAClientID is the demo app front end's client.
	SPAClientID = "demo-spa"
)

// Kinds of harness.
const (
	KindInProcess = "in-process"
	KindProcesses = "processes"
)

// Tenant names a tenant file in a file system that also holds the files it refers to (its
// signing keys).
type Tenant struct {
	FS   fs.FS
	File string
}

// DefaultTenant is the tenant `go run ./mockidp` serves.
func DefaultTenant() Tenant { return Tenant{FS: fixtures.FS, File: fixtures.DefaultTenant} }

// For returns a copy of the tenant in which every YAML file has FixtureAppOrigin replaced by
// appOrigin, so the demo app on a random port is the tenant's callback, logout URL and web
// origin. It is a plain text substitution, so it is deterministic and the tenant loader still
// sees the file as a tester wrote it. A tenant file that never mentions FixtureAppOrigin is an
// error: the substitution would silently do nothing and every login would fail later, far from
// the cause.
func (t Tenant) For(appOrigin string) (Tenant, error) {
	out, rewritten, err := rewriteOrigin(t.FS, appOrigin)
	if err != nil {
		return Tenant{}, err
	}
	if !rewritten[t.File] {
		return Tenant{}, fmt.Errorf("e2e: tenant file %s does not mention %s, so it cannot be pointed at the demo app", t.File, FixtureAppOrigin)
	}
	return Tenant{FS: out, File: t.File}, nil
}

// fixtureOrigin matches FixtureAppOrigin as a whole origin: not the prefix of
// http://localhost:30001.
var fixtureOrigin = regexp.MustCompile(regexp.QuoteMeta(FixtureAppOrigin) + `\b`)

// rewriteOrigin copies every file of fsys, replacing FixtureAppOrigin by appOrigin in the YAML
// files, and reports which files it changed.
func rewriteOrigin(fsys fs.FS, appOrigin string) (fstest.MapFS, map[string]bool, error) {
	if u, err := url.Parse(appOrigin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		return nil, nil, fmt.Errorf("e2e: app origin %q is not scheme://host:port", appOrigin)
	}
	out, rewritten := fstest.MapFS{}, map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if ext := path.Ext(name); (ext == ".yaml" || ext == ".yml") && fixtureOrigin.Match(data) {
			data = fixtureOrigin.ReplaceAllLiteral(data, []byte(appOrigin))
			rewritten[name] = true
		}
		out[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("e2e: copying tenant files: %w", err)
	}
	return out, rewritten, nil
}

// TenantFor is the default tenant with its demo app origin rewritten to appOrigin.
func TenantFor(appOrigin string) (fs.FS, error) {
	t, err := DefaultTenant().For(appOrigin)
	return t.FS, err
}

// Env is a running emulator and demo app.
type Env struct {
	// Kind is KindInProcess or KindProcesses.
	Kind string
	// Issuer is the emulator's issuer as browsers and tokens see it: http://localhost:<port>/,
	// or https:// for an https emulator.
	Issuer string
	// IDPOrigin is Issuer without the trailing slash: auth0-spa-js's "domain".
	IDPOrigin string
	// AppOrigin is the demo app's origin, http://localhost:<port>.
	AppOrigin string
	// JWKSURI is where the demo app fetches keys: Issuer's JWKS in process; for processes, as
	// in compose, another address than the issuer's (the back channel).
	JWKSURI string
	// Tenant is the tenant the emulator serves, its app origin rewritten.
	Tenant Tenant
	// IDP is the emulator, in process only (nil for processes): for MintToken.
	IDP *idp.Server
	// CAFile is the certificate of the local CA that signs an https emulator's certificate, ""
	// for http.
	CAFile string
	// roots holds CAFile's certificate, and transport trusts it alone.
	roots     *x509.CertPool
	transport *http.Transport

	files *tenantFiles // in process only
}

// Client returns an HTTP client like a fresh browser profile: its own cookie jar, no redirects
// followed (each hop is the test's to check), and a timeout so no test hangs on a server. For an
// https emulator it trusts the local CA and nothing else, so a test that passes proves the
// certificate the emulator serves.
func (e *Env) Client() *http.Client {
	jar, _ := cookiejar.New(nil) // New never fails without options
	c := &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if e.transport != nil {
		c.Transport = e.transport
	}
	return c
}

// trustCA reads CAFile and makes the transport Client uses for the emulator.
func (e *Env) trustCA() error {
	roots, err := caRoots(e.CAFile)
	if err != nil {
		return err
	}
	e.roots = roots
	e.transport = &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true,
	}
	return nil
}

// caRoots reads a CA certificate file into a pool of its own.
func caRoots(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// StartInProcess serves the emulator and the demo app on httptest servers and closes them when
// the test ends. The servers are created unstarted, so their ports, and with them the issuer
// and the app origin, are known before either handler is built.
func StartInProcess(t testing.TB, ten Tenant) *Env {
	t.Helper()
	logger := testLogger(t)
	idpSrv := httptest.NewUnstartedServer(nil)
	appSrv := httptest.NewUnstartedServer(nil)
	// Cleanups run last-registered first: this one, after testLogger's, runs before the log is
	// shut, and Close waits for requests in flight, so no request logs into a finished test.
	t.Cleanup(func() { idpSrv.Close(); appSrv.Close() })

	issuer := "http://" + localhostAddr(idpSrv.Listener) + "/"
	appOrigin := "http://" + localhostAddr(appSrv.Listener)
	ten, err := ten.For(appOrigin)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := tenant.Load(ten.FS, ten.File)
	if err != nil {
		t.Fatalf("mockidp: %v", err)
	}
	files := &tenantFiles{fsys: ten.FS.(fstest.MapFS), name: ten.File}
	emulator, err := idp.New(idp.Config{Issuer: issuer, Tenant: loaded, Logger: logger.With("server", "mockidp"),
		Reload: files.load})
	if err != nil {
		t.Fatalf("mockidp: %v", err)
	}
	t.Cleanup(func() { _ = emulator.Close() })
	app, err := api.New(api.Config{
		Issuer:   issuer,
		Audience: Audience,
		ClientID: SPAClientID,
		Logger:   logger.With("server", "demoapp"),
	})
	if err != nil {
		t.Fatalf("demoapp: %v", err)
	}
	idpSrv.Config.Handler = emulator
	appSrv.Config.Handler = app
	idpSrv.Start()
	appSrv.Start()
	return &Env{
		Kind:      KindInProcess,
		Issuer:    issuer,
		IDPOrigin: strings.TrimSuffix(issuer, "/"),
		AppOrigin: appOrigin,
		JWKSURI:   issuer + ".well-known/jwks.json",
		Tenant:    ten,
		IDP:       emulator,
		files:     files,
	}
}

// tenantFiles is the in-process emulator's tenant file system, which a test edits and the
// emulator reads again on reload and reset.
type tenantFiles struct {
	mu   sync.Mutex
	fsys fstest.MapFS
	name string
}

func (f *tenantFiles) load() (*tenant.Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return tenant.Load(f.fsys, f.name)
}

// EditTenant replaces old with new in the in-process emulator's tenant file; the emulator
// serves the edit after a reload (POST {issuer}tenantless/reload).
func (e *Env) EditTenant(old, new string) error {
	if e.files == nil {
		return fmt.Errorf("e2e: only an in-process emulator's tenant can be edited")
	}
	e.files.mu.Lock()
	defer e.files.mu.Unlock()
	file := e.files.fsys[e.files.name]
	if !strings.Contains(string(file.Data), old) {
		return fmt.Errorf("e2e: the tenant file has no %q", old)
	}
	e.files.fsys[e.files.name] = &fstest.MapFile{Data: []byte(strings.Replace(string(file.Data), old, new, 1)), Mode: file.Mode}
	return nil
}

// localhostAddr is localhost:<port> of a loopback listener. The name, not 127.0.0.1, goes into
// the URLs: see the package documentation.
func localhostAddr(ln net.Listener) string {
	return net.JoinHostPort("localhost", fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
}

// testLogger logs the servers' lines into the test's output (shown with -v or on failure)
// until the test's cleanup shuts it.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{w: t.Output()}
	t.Cleanup(w.shut)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	mu   sync.Mutex
	w    io.Writer
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	return w.w.Write(p)
}

func (w *testWriter) shut() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// tailBuffer keeps the last max bytes written to it: a process's output, for the log on failure.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if extra := b.buf.Len() - b.max; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var errNoModule = errors.New("e2e: no go.mod of github.com/tenantless/tenantless above the working directory")
