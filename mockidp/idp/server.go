package idp

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/actions"
	"github.com/tenantless/tenantless/mockidp/mgmt"
	"github.com/tenantless/tenantless/mockidp/signing"
	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Defaults for the bounds in Config.
const (
	DefaultCodeLifetime = 60 * time.Second
	DefaultMaxBodyBytes = 64 << 10
	DefaultJournalSize  = 1000
)

// Config is everything a Server needs; main builds it from flags, tests from fixtures.
type Config struct {
	// Issuer is the tenant URL as tokens carry it in `iss`: absolute http(s), ending in "/".
	// Every endpoint is served at Issuer + path, from the origin root.
	Issuer string
	Tenant *tenant.Tenant
	// Keys sign tokens and fill the JWKS. Nil means the tenant's: the keys it names, else one
	// generated for this Server, which no other Server publishes (tokens it signs stop verifying
	// when it is gone). A tenant names keys when len(Tenant.SigningKeys) > 0.
	Keys *signing.KeySet
	// Logger gets one line per request and the errors clients never see; nil discards.
	Logger *slog.Logger
	// Now is the base of the Server's Clock, for every lifetime (codes, sessions, tokens); nil
	// means time.Now.
	Now func() time.Time
	// CodeLifetime bounds an authorization code's life (default 60 s).
	CodeLifetime time.Duration
	// MaxBodyBytes bounds request bodies (default 64 KiB).
	MaxBodyBytes int64
	// Store holds the live state: pending logins, codes, sessions, tokens, revocations and
	// lockouts. Nil means a memory store bounded by Limits and collecting on the Server's
	// clock, which the Server owns and Close closes; a store given here is the caller's to
	// close.
	Store store.Store
	// Limits bound the memory store made when Store is nil; zero fields take their defaults.
	Limits store.Limits
	// LimitFlags names, for each bound of store.Limits (by field name), the setting that
	// raises it, for the log line of a request refused at that bound.
	LimitFlags map[string]string

	// Reload reads the tenant again, for the control API's reload and reset (control.go): main
	// builds it from the tenant file, so that the Server itself reads no file. Nil means the
	// tenant cannot be read again: reload is refused and reset restores Tenant as it was given,
	// without what the Management API has written to it since.
	Reload func() (*tenant.Tenant, error)
	// ControlDisabled turns the control API under /tenantless/ off: its paths answer 404.
	ControlDisabled bool
	// ControlToken, when set, is the Bearer token the control API requires.
	ControlToken string
	// JournalSize bounds the request journal (default 1000 requests).
	JournalSize int
	// ActionTimeout bounds one run of a trigger's Actions (default Auth0's 20 s,
	// actions.DefaultTimeout).
	ActionTimeout time.Duration
}

// Server is the emulator: an http.Handler serving a tenant's Authentication API endpoints.
type Server struct {
	issuer    string
	issuerURL *url.URL
	tenant    *tenant.Tenant
	keys      *signing.KeySet
	log       *slog.Logger
	clock     *Clock
	now       func() time.Time // clock.Now
	codeTTL   time.Duration
	maxBody   int64
	store     store.Store
	ownsStore bool
	// limitFlags: Config.LimitFlags.
	limitFlags map[string]string
	mux        *http.ServeMux
	// mgmt is the Management API on the snapshot's tenant and keys.
	mgmt *mgmt.Handler
	// actions runs the snapshot's tenant's Actions: a reload compiles them again, with
	// actionTimeout (Config.ActionTimeout).
	actions       *actions.Engine
	actionTimeout time.Duration
	// live is what every snapshot of the Server shares across reloads (control.go).
	live *live
}

// ConfigError names the Config field New refuses and says what to set instead.
type ConfigError struct {
	Field   string
	Problem string
}

func (e *ConfigError) Error() string { return "idp: " + e.Field + ": " + e.Problem }

// New validates cfg and builds a Server; a setting that cannot work is a *ConfigError. It
// compiles the Actions bound to the tenant's triggers: a problem in their code is tenant.Errors
// positioned in the code file.
func New(cfg Config) (*Server, error) {
	u, err := checkIssuer(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	if cfg.Tenant == nil {
		return nil, &ConfigError{"Tenant", "is nil; load one with tenant.Load"}
	}
	if err := cfg.Tenant.BindIssuer(cfg.Issuer); err != nil {
		return nil, &ConfigError{"Tenant", err.Error() + "; load it again for this issuer"}
	}
	keys := cfg.Keys
	if keys == nil {
		if keys, err = tenantKeys(cfg.Tenant, u.Hostname()); err != nil {
			return nil, err
		}
	}
	s := &Server{
		issuer:    cfg.Issuer,
		issuerURL: u,
		tenant:    cfg.Tenant,
		keys:      keys,
		log:       cfg.Logger,
		clock:     newClock(cfg.Now),
		codeTTL:   cfg.CodeLifetime,
		maxBody:   cfg.MaxBodyBytes,
		store:     cfg.Store,

		limitFlags: cfg.LimitFlags,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.now = s.clock.Now
	if s.codeTTL <= 0 {
		s.codeTTL = DefaultCodeLifetime
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if cfg.ActionTimeout < 0 {
		return nil, &ConfigError{"ActionTimeout", fmt.Sprintf("is %s; use 0 for Auth0's %s", cfg.ActionTimeout, actions.DefaultTimeout)}
	}
	s.actionTimeout = cfg.ActionTimeout
	if s.actions, err = s.compileActions(cfg.Tenant); err != nil {
		return nil, err
	}
	if s.store == nil {
		s.store, s.ownsStore = store.NewMemoryOn(cfg.Limits, s.clock.Now), true
	}
	if s.mgmt, err = s.management(); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.routes()
	s.live = newLive(cfg, s)
	return s, nil
}

// checkIssuer refuses an issuer Auth0 would never have, saying what to use instead: tokens' iss
// is compared byte for byte, so a missing trailing slash is an error rather than something to fix
// silently.
func checkIssuer(issuer string) (*url.URL, error) {
	const example = "http://localhost:4000/"
	if issuer == "" {
		return nil, &ConfigError{"Issuer", "is empty; set it to the URL the tenant is reached at, such as " + example}
	}
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &ConfigError{"Issuer", fmt.Sprintf("%q must be an absolute http(s) URL, such as %s", issuer, example)}
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		bare := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
		return nil, &ConfigError{"Issuer", fmt.Sprintf("%q must not have a query or fragment: use %q", issuer, strings.TrimSuffix(bare.String(), "/")+"/")}
	}
	if !strings.HasSuffix(issuer, "/") {
		return nil, &ConfigError{"Issuer", fmt.Sprintf("%q must end with \"/\", as Auth0 issuers do (tokens' iss is compared byte for byte): use %q", issuer, issuer+"/")}
	}
	return u, nil
}

// tenantKeys is the key set of the keys the tenant names, or of one generated when it names none.
// host is the issuer's, for the certificates' common name.
func tenantKeys(t *tenant.Tenant, host string) (*signing.KeySet, error) {
	if len(t.SigningKeys) == 0 {
		return signing.Generate(host)
	}
	keys, err := signing.New(host, t.SigningKeys...)
	if err != nil {
		return nil, fmt.Errorf("idp: the tenant's signing keys: %w", err)
	}
	return keys, nil
}

// Issuer is the issuer URL, ending in "/".
func (s *Server) Issuer() string { return s.issuer }

// Tenant is the tenant served now: a reload replaces it.
func (s *Server) Tenant() *tenant.Tenant { return s.current().tenant }

// Keys is the key set tokens are signed with now: a reload of a tenant naming other keys
// replaces it.
func (s *Server) Keys() *signing.KeySet { return s.current().keys }

// Clock is the Server's clock: moving it moves every lifetime the Server checks.
func (s *Server) Clock() *Clock { return s.clock }

// Store is the live state the Server reads and writes.
func (s *Server) Store() store.Store { return s.store }

// Close releases the store when the Server made it (Config.Store nil); a store passed in
// Config is left to its owner.
func (s *Server) Close() error {
	if !s.ownsStore {
		return nil
	}
	return s.store.Close()
}

// endpoint is the absolute URL of a path on this tenant.
func (s *Server) endpoint(path string) string { return s.issuer + strings.TrimPrefix(path, "/") }

// ServeHTTP logs one line per request around the routed handler. A failed request's line
// also names the error and its cause (errors.go); an internal failure's is at error level.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	var out outcome
	s.dispatch(rec, withOutcome(r, &out))
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.Duration("latency", time.Since(start)),
	}
	if out.code != "" {
		attrs = append(attrs, slog.String("error", out.code), slog.String("cause", out.cause))
	}
	level := slog.LevelInfo
	if rec.status == http.StatusInternalServerError {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// randomString returns n random bytes as unpadded base64url. crypto/rand.Read never returns an
// error: since Go 1.24 it crashes the program instead.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
