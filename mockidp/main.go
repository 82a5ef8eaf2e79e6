// Command mockidp is an Auth0-compatible identity provider for a laptop or a CI job: it serves
// a tenant described by a Deploy CLI tenant.yaml (by default the embedded demo tenant).
//
//	mockidp [serve] [--addr localhost:4000] [--issuer http://localhost:4000/] [--tenant FILE] [--watch]
//	                [--ca-dir DIR] [--tls-host NAME]... [--tls-cert FILE --tls-key FILE]
//	                [--store memory|redis://HOST:PORT/DB] [--max-connections N] [--max-...]
//	                [--control=false | --control-token TOKEN] [--journal-size N]
//	mockidp token [--user EMAIL|ID] [--client ID] [--audience API] [--scope S] [--expires-in D] [--claim k=v]... [--json]
//	mockidp check [--tenant FILE]
//	mockidp healthcheck [--url http://localhost:4000/healthz] [--ca-dir DIR] [--tls-cert FILE]
//	mockidp ca [--path | --bundle] [--ca-dir DIR] [--tls-host NAME]...
//
// Flags fall back to MOCKIDP_ADDR, MOCKIDP_ISSUER, MOCKIDP_TENANT, MOCKIDP_CA_DIR,
// MOCKIDP_TLS_CERT, MOCKIDP_TLS_KEY, MOCKIDP_STORE, the bounds' variables (state.go),
// MOCKIDP_CONTROL, MOCKIDP_CONTROL_TOKEN and MOCKIDP_WATCH, then to the defaults. SIGHUP reloads
// the tenant file. An https:// issuer serves https,
// with a certificate from a local CA (see package localca) unless --tls-cert is given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/netutil"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

const (
	defaultAddr   = "localhost:4000"
	defaultIssuer = "http://localhost:4000/"
)

// Server limits: generous for browsers and SDKs, small enough that a slow or hostile client
// cannot hold the emulator.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 10 * time.Second
)

// usage is what `mockidp help` prints: one line per command. Each command's flags are listed by
// `mockidp COMMAND -h`.
const usage = `mockidp is an Auth0-compatible identity provider for development and tests.

usage: mockidp [command] [flags]

commands:
  serve        serve the tenant's Authentication API (the default command)
  token        print a signed access token for a user or an application, offline
  check        validate a tenant file and print what it holds
  healthcheck  exit 0 when a running emulator answers on /healthz
  ca           print the local CA certificate for https issuers (--path: its file; --bundle: with the system roots)

Run "mockidp COMMAND -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program: it returns the exit code, 2 for a usage error.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	switch {
	case len(args) == 0:
	case slices.Contains([]string{"-h", "-help", "--help"}, args[0]):
		// Help asked of the program lists the commands; after a command, -h lists its flags.
		cmd = "help"
	case !strings.HasPrefix(args[0], "-"):
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, env, stderr)
	case "token":
		return mintToken(args, env, stdout, stderr)
	case "check":
		return check(args, env, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args, env, stderr)
	case "ca":
		return caCommand(args, env, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "mockidp: unknown command %q\n%s", cmd, usage)
		return 2
	}
}

// newFlagSet is a flag set that reports to stderr and returns errors rather than exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mockidp "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and turns a flag error into exit code 2 (0 for -h).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, false
	}
	return 0, true
}

// envOr is the environment variable, else the default: a flag's default, which the flag
// itself overrides (flag > env > default).
func envOr(env func(string) string, name, def string) string {
	if v := env(name); v != "" {
		return v
	}
	return def
}

// tenantSource is where a tenant comes from: a file, or the embedded default.
type tenantSource struct{ path string }

func (ts tenantSource) String() string {
	if ts.path == "" {
		return "embedded " + fixtures.DefaultTenant
	}
	return ts.path
}

// load reads and validates the tenant. Errors found in a file name the path as given.
func (ts tenantSource) load() (*tenant.Tenant, error) { return ts.loadRecording(nil) }

// loadRecording is load that notes in rec, when not nil, the files the tenant's load opened.
func (ts tenantSource) loadRecording(rec *openedFS) (*tenant.Tenant, error) {
	if ts.path == "" {
		return tenant.Load(fixtures.FS, fixtures.DefaultTenant)
	}
	var fsys fs.FS = os.DirFS(filepath.Dir(ts.path))
	if rec != nil {
		rec.FS, fsys = fsys, rec
	}
	t, err := tenant.Load(fsys, filepath.Base(ts.path))
	if err != nil {
		return nil, ts.locate(err)
	}
	return t, nil
}

// locate names the files of a tenant's problems as given on the command line: the tenant file,
// and its Actions' code files beside it. Other errors are prefixed with the source.
func (ts tenantSource) locate(err error) error {
	var errs tenant.Errors
	if !errors.As(err, &errs) {
		return fmt.Errorf("%s: %w", ts, err)
	}
	if ts.path != "" {
		for _, e := range errs {
			e.File = filepath.Join(filepath.Dir(ts.path), filepath.FromSlash(e.File))
		}
	}
	return errs
}

// emulator is what serve and token share: the idp.Server and where its tenant came from.
type emulator struct {
	server *idp.Server
	source tenantSource
	// controlOff and controlToken say how the control API is served, for the start-up block.
	controlOff, controlToken bool
	// loaded records the files the latest load of the tenant opened, for --watch.
	mu     sync.Mutex
	loaded *openedFS
}

// newEmulator loads the tenant and builds the Server of cfg for it, able to read the tenant
// again (reload).
func newEmulator(cfg idp.Config, src tenantSource) (*emulator, error) {
	em := &emulator{source: src, loaded: &openedFS{}, controlOff: cfg.ControlDisabled, controlToken: cfg.ControlToken != ""}
	t, err := src.loadRecording(em.loaded)
	if err != nil {
		return nil, err
	}
	cfg.Tenant, cfg.Reload = t, em.reload
	s, err := idp.New(cfg)
	if ce, ok := errors.AsType[*idp.ConfigError](err); ok && ce.Field == "Issuer" {
		return nil, fmt.Errorf("--issuer (MOCKIDP_ISSUER): %s", ce.Problem)
	}
	if errs, ok := errors.AsType[tenant.Errors](err); ok {
		return nil, src.locate(errs)
	}
	if err != nil {
		return nil, err
	}
	em.server = s
	return em, nil
}

// reload is idp.Config.Reload: the tenant read again from its source.
func (em *emulator) reload() (*tenant.Tenant, error) {
	rec := &openedFS{}
	t, err := em.source.loadRecording(rec)
	em.mu.Lock()
	em.loaded = rec
	em.mu.Unlock()
	return t, err
}

// files are the files the latest load opened, the tenant file first.
func (em *emulator) files() []string {
	em.mu.Lock()
	defer em.mu.Unlock()
	files := em.loaded.files(filepath.Dir(em.source.path))
	if !slices.Contains(files, em.source.path) {
		files = append([]string{em.source.path}, files...)
	}
	return files
}

// generatedKey reports that the tenant names no signing key, so idp.New made one for this
// process alone.
func (em *emulator) generatedKey() bool { return len(em.server.Tenant().SigningKeys) == 0 }

func serve(ctx context.Context, args []string, env func(string) string, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	addr := fs.String("addr", envOr(env, "MOCKIDP_ADDR", defaultAddr), "listen address [MOCKIDP_ADDR]")
	issuer := fs.String("issuer", envOr(env, "MOCKIDP_ISSUER", defaultIssuer), "issuer URL, ending in / [MOCKIDP_ISSUER]")
	tenantPath := fs.String("tenant", env("MOCKIDP_TENANT"), "tenant YAML file (default: the embedded demo tenant) [MOCKIDP_TENANT]")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	caDir := caDirFlag(fs, env)
	var tlsHosts hostsFlag
	fs.Var(&tlsHosts, "tls-host", tlsHostUsage)
	tlsCert := fs.String("tls-cert", env("MOCKIDP_TLS_CERT"), "PEM certificate (chain) to serve instead of one from the local CA, with --tls-key [MOCKIDP_TLS_CERT]")
	tlsKey := fs.String("tls-key", env("MOCKIDP_TLS_KEY"), "PEM private key of --tls-cert [MOCKIDP_TLS_KEY]")
	state, err := addStateFlags(fs, env)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp: %v\n", err)
		return 2
	}
	control := fs.Bool("control", envOr(env, "MOCKIDP_CONTROL", "true") != "false", "serve the control API under {issuer}tenantless/ (clock, faults, reset, reload, requests) [MOCKIDP_CONTROL]")
	controlToken := fs.String("control-token", env("MOCKIDP_CONTROL_TOKEN"), "Bearer token the control API requires (default: none) [MOCKIDP_CONTROL_TOKEN]")
	journalSize := fs.Int("journal-size", idp.DefaultJournalSize, "how many requests the control API's journal keeps")
	watch := fs.Bool("watch", envOr(env, "MOCKIDP_WATCH", "false") == "true", "reload the tenant when --tenant or a file it names changes (SIGHUP always reloads) [MOCKIDP_WATCH]")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := state.check(); err != nil {
		fmt.Fprintf(stderr, "mockidp: %v\n", err)
		return 2
	}
	if *watch && *tenantPath == "" {
		fmt.Fprintln(stderr, "mockidp: --watch needs --tenant: the embedded tenant never changes")
		return 2
	}
	if *journalSize <= 0 {
		fmt.Fprintf(stderr, "mockidp: --journal-size %d: want a positive number\n", *journalSize)
		return 2
	}
	logger, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp: %v\n", err)
		return 2
	}
	tf := tlsFlags{caDir: *caDir, hosts: tlsHosts, certFile: *tlsCert, keyFile: *tlsKey}
	if err := tf.check(*issuer); err != nil {
		fmt.Fprintf(stderr, "mockidp: %v\n", err)
		return 2
	}
	st, err := state.open(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp: %v\n", err)
		return 1
	}
	if st != nil {
		defer st.Close()
	}
	src := tenantSource{path: *tenantPath}
	em, err := newEmulator(idp.Config{
		Issuer: *issuer, Logger: logger,
		Store: st, Limits: state.limits, LimitFlags: limitFlagNames(),
		ControlDisabled: !*control, ControlToken: *controlToken, JournalSize: *journalSize,
	}, src)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp: %v\n", err)
		return 1
	}
	defer em.server.Close()
	var stls *serverTLS
	if isHTTPS(*issuer) {
		if stls, err = newServerTLS(*issuer, tf, time.Now()); err != nil {
			fmt.Fprintf(stderr, "mockidp: %v\n", err)
			return 1
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp: %v\n", err)
		return 1
	}
	// Every open connection costs memory whether or not it sends anything.
	ln = netutil.LimitListener(ln, *state.maxConnections)
	srv := &http.Server{
		Handler:           em.server,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if stls != nil {
		srv.TLSConfig = stls.config
	}
	announce(stderr, logger, *logFormat, em, ln.Addr().String(), stls)

	var w *watcher
	if *watch {
		w = newWatcher(em.files)
	}
	reloadCtx, stopReloads := context.WithCancel(ctx)
	defer stopReloads()
	go reloadOnSignals(reloadCtx, em.server, w, logger)

	served := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
			return
		}
		served <- srv.Serve(ln)
	}()
	select {
	case err := <-served:
		logger.Error("server stopped", slog.String("error", err.Error()))
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}
