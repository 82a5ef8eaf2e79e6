package mgmt

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/signing"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Prefix is where the Management API is served, from the issuer's origin root.
const Prefix = "/api/v2/"

// DefaultMaxBodyBytes bounds request bodies when Config leaves it unset.
const DefaultMaxBodyBytes = 64 << 10

// Config is what a Handler serves and with what it checks tokens.
type Config struct {
	// Issuer is the tenant's issuer URL, ending in "/": tokens' iss, and with "api/v2/" their
	// audience.
	Issuer string
	Tenant *tenant.Tenant
	// Keys are the keys the tenant signs with; a token signed by another key is refused.
	Keys *signing.KeySet
	// Now is the emulator's clock, for tokens' exp; nil means time.Now.
	Now func() time.Time
	// Blocks are the brute-force locks of the tenant's logins; nil answers the user-blocks
	// endpoints with 501.
	Blocks Blocks
	// Logger gets the causes of refusals that answers do not tell; nil discards.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies (default 64 KiB).
	MaxBodyBytes int64
}

// Handler serves the Management API. Mount it at Prefix.
type Handler struct {
	issuer   string
	audience string
	tenant   *tenant.Tenant
	keys     *signing.KeySet
	now      func() time.Time
	blocks   Blocks
	log      *slog.Logger
	maxBody  int64
	mux      *http.ServeMux
}

// New checks cfg and builds a Handler.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Issuer == "" || !strings.HasSuffix(cfg.Issuer, "/"):
		return nil, fmt.Errorf("mgmt: Issuer %q must be the tenant's issuer URL, ending in /", cfg.Issuer)
	case cfg.Tenant == nil:
		return nil, errors.New("mgmt: Tenant is nil")
	case cfg.Keys == nil:
		return nil, errors.New("mgmt: Keys is nil; give the key set the tenant signs with")
	}
	h := &Handler{
		issuer:   cfg.Issuer,
		audience: cfg.Issuer + "api/v2/",
		tenant:   cfg.Tenant,
		keys:     cfg.Keys,
		now:      cfg.Now,
		blocks:   cfg.Blocks,
		log:      cfg.Logger,
		maxBody:  cfg.MaxBodyBytes,
		mux:      http.NewServeMux(),
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	h.routes()
	return h, nil
}

// endpoint is a handler that returns its error, which serve writes.
type endpoint func(w http.ResponseWriter, r *http.Request) error

// handle registers an endpoint that needs scope.
func (h *Handler) handle(pattern, scope string, e endpoint) {
	method, path, _ := strings.Cut(pattern, " ")
	h.mux.HandleFunc(method+" "+strings.TrimSuffix(Prefix, "/")+path, func(w http.ResponseWriter, r *http.Request) {
		if err := h.authorize(r, scope); err != nil {
			h.fail(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
		if err := e(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

// ServeHTTP answers every request with Auth0's rate-limit headers, then routes it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The emulator does not throttle, so the budget is always whole; the headers are there for
	// clients that read them (node-auth0 waits for x-ratelimit-reset on a 429).
	hdr := w.Header()
	hdr.Set("X-RateLimit-Limit", strconv.Itoa(rateLimit))
	hdr.Set("X-RateLimit-Remaining", strconv.Itoa(rateLimit))
	hdr.Set("X-RateLimit-Reset", strconv.FormatInt(h.now().Add(time.Second).Unix(), 10))
	h.mux.ServeHTTP(w, r)
}

// rateLimit is the per-second budget the headers announce.
const rateLimit = 50

// fail writes err: an *apiError as it is, anything else as a 500 whose cause is logged.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			e = newError(http.StatusRequestEntityTooLarge, "", "Request entity too large").because(err.Error())
		} else {
			e = newError(http.StatusInternalServerError, "", "Internal Server Error").because(err.Error())
		}
	}
	if e.cause != "" {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "management API refusal",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", e.Status), slog.String("cause", e.cause))
	}
	writeError(w, e)
}
