package idp

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantless/tenantless/mockidp/signing"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// The control API serves under controlPrefix what a real tenant cannot offer a test: its clock,
// faults, a reset, a reload of the tenant file and the journal of requests. Auth0 has no path
// /tenantless/, so no client of the Authentication API can collide with it.
const controlPrefix = "/tenantless/"

// live is what every snapshot of a Server shares. A Server value is a snapshot: the tenant, its
// keys and what derives from them (discovery, JWKS, CORS, routes) are fixed in it, and a reload
// stores a new one in current. A request is served by the snapshot current when it arrived, so
// it sees one tenant from start to end, while sessions, codes and tokens (the store), the clock
// and the journal carry over: a user or client still in the new tenant keeps its sessions and
// tokens, because the handlers look users and clients up in their snapshot's tenant.
type live struct {
	current atomic.Pointer[Server]

	// mu serialises reloads and resets, so that two of them cannot interleave their stores.
	mu     sync.Mutex
	reload func() (*tenant.Tenant, error)
	// initial is Config.Tenant as it was given, when there is no Reload: a reset serves a
	// clone of it, so that the Management API's writes never reach it.
	initial *tenant.Tenant
	// fixedKeys is Config.Keys: every tenant is signed with them. Otherwise a tenant is signed
	// with the keys it names, or, when it names none, with generated, made once per Server so
	// that a reload does not invalidate every token issued.
	fixedKeys *signing.KeySet
	generated *signing.KeySet

	journal *journal
	faults  *faults
	// logins counts each user's logins, for the Actions' event.stats.logins_count; a reset
	// starts it again.
	logins sync.Map

	control http.Handler // nil when the control API is off
	token   [sha256.Size]byte
	tokenOn bool
}

func newLive(cfg Config, s *Server) *live {
	l := &live{reload: cfg.Reload, fixedKeys: cfg.Keys,
		journal: newJournal(cmp.Or(cfg.JournalSize, DefaultJournalSize)), faults: &faults{}}
	if cfg.Reload == nil {
		// The tenant served takes the Management API's writes; a reset goes back to it as
		// it was given.
		l.initial = cfg.Tenant.Clone()
	}
	if cfg.Keys == nil && len(cfg.Tenant.SigningKeys) == 0 {
		l.generated = s.keys
	}
	if !cfg.ControlDisabled {
		l.control = s.controlRoutes()
	}
	if cfg.ControlToken != "" {
		l.token, l.tokenOn = sha256.Sum256([]byte(cfg.ControlToken)), true
	}
	l.current.Store(s)
	return l
}

// current is the snapshot serving requests now.
func (s *Server) current() *Server { return s.live.current.Load() }

// keysFor is the key set that signs for t: see live.fixedKeys. Callers hold l.mu.
func (l *live) keysFor(t *tenant.Tenant, host string) (*signing.KeySet, error) {
	switch {
	case l.fixedKeys != nil:
		return l.fixedKeys, nil
	case len(t.SigningKeys) > 0:
		return tenantKeys(t, host)
	case l.generated == nil:
		keys, err := signing.Generate(host)
		if err != nil {
			return nil, err
		}
		l.generated = keys
	}
	return l.generated, nil
}

// withTenant is a snapshot of s serving t, with its keys, documents, routes, Actions and
// Management API, which writes to t. Actions whose code does not compile refuse t as a tenant
// file with problems does (tenant.Errors). Callers hold s.live.mu.
func (s *Server) withTenant(t *tenant.Tenant) (*Server, error) {
	if err := t.BindIssuer(s.issuer); err != nil {
		return nil, err
	}
	keys, err := s.live.keysFor(t, s.issuerURL.Hostname())
	if err != nil {
		return nil, err
	}
	engine, err := s.compileActions(t)
	if err != nil {
		return nil, err
	}
	next := *s
	next.tenant, next.keys, next.actions = t, keys, engine
	if next.mgmt, err = next.management(); err != nil {
		return nil, err
	}
	next.mux = http.NewServeMux()
	next.routes()
	return &next, nil
}

// dispatch hands a request to the control API or to the snapshot serving now, and notes it in
// the journal. The faults run in the snapshot's routes (Server.faulty), after CORS, so that a
// browser sees a faulted answer rather than a CORS failure.
func (s *Server) dispatch(w *statusRecorder, r *http.Request) {
	if r.URL.Path+"/" == controlPrefix || strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.live.serveControl(w, r)
		return
	}
	cur := s.current()
	if !journalled(r.URL.Path) {
		cur.mux.ServeHTTP(w, r)
		return
	}
	at := s.clock.Now()
	r, c := capture(r, s.maxBody)
	cur.mux.ServeHTTP(w, r)
	code := ""
	if o, ok := r.Context().Value(outcomeKey{}).(*outcome); ok {
		code = o.code
	}
	s.live.journal.add(c.entry(r, at, w.status, code))
}

// errControlToken answers a control request without the control token. The challenge follows
// RFC 6750 §3: no error code when no token was sent, invalid_token for a wrong one.
var (
	errControlNoToken = newError(http.StatusUnauthorized, "unauthorized",
		"The control API requires the control token: send Authorization: Bearer <token>").
		withChallenge(`Bearer realm="tenantless"`)
	errControlBadToken = newError(http.StatusUnauthorized, "invalid_token", "The control token is wrong").
				withChallenge(`Bearer realm="tenantless", error="invalid_token"`)
)

// serveControl answers the control API: 404 when it is off, as for any path a tenant lacks.
func (l *live) serveControl(w http.ResponseWriter, r *http.Request) {
	if l.control == nil {
		writeError(w, r, errNotFound.because("the control API is turned off"))
		return
	}
	if l.tokenOn {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			writeError(w, r, errControlNoToken)
			return
		}
		// Hashing first makes the comparison's time independent of the token's length too.
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], l.token[:]) != 1 {
			writeError(w, r, errControlBadToken)
			return
		}
	}
	l.control.ServeHTTP(w, r)
}

// ClockState is the control API's view of the clock.
type ClockState struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"` // a Go duration, such as "1h30m0s"
}

func (s *Server) clockState() ClockState {
	return ClockState{Now: s.clock.Now().UTC(), Offset: s.clock.Offset().String()}
}

// getClock is GET /tenantless/clock.
func (s *Server) getClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.clockState())
}

// clockRequest is the body of POST /tenantless/clock: exactly one of its members.
type clockRequest struct {
	Advance *string `json:"advance"`
	Set     *string `json:"set"`
	Reset   bool    `json:"reset"`
}

// setClock is POST /tenantless/clock. Advance only goes forward: going back is a set, so that a
// sign slip in a test ("-90m" for "90m") is an error rather than a clock an hour and a half
// off.
func (s *Server) setClock(w http.ResponseWriter, r *http.Request) {
	var req clockRequest
	if e := decodeControl(w, r, s.maxBody, &req); e != nil {
		writeError(w, r, e)
		return
	}
	given := 0
	for _, set := range []bool{req.Advance != nil, req.Set != nil, req.Reset} {
		if set {
			given++
		}
	}
	if given != 1 {
		writeError(w, r, badControl(`Send exactly one of {"advance": "90m"}, {"set": "2030-01-01T00:00:00Z"} or {"reset": true}`))
		return
	}
	switch {
	case req.Advance != nil:
		d, e := parseDuration("advance", *req.Advance)
		if e != nil {
			writeError(w, r, e)
			return
		}
		s.clock.Advance(d)
	case req.Set != nil:
		t, err := time.Parse(time.RFC3339Nano, *req.Set)
		if err != nil {
			writeError(w, r, badControl(fmt.Sprintf("set: %q is not an RFC 3339 time, such as 2030-01-01T00:00:00Z", *req.Set)))
			return
		}
		s.clock.Set(t)
	default:
		s.clock.Reset()
	}
	writeJSON(w, http.StatusOK, s.clockState())
}

// parseDuration reads a non-negative Go duration ("90m", "1h30m", "250ms") for a member.
func parseDuration(member, v string) (time.Duration, *oauthError) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, badControl(fmt.Sprintf("%s: %q is not a duration, such as \"90m\" or \"1h30m\"", member, v))
	case d < 0:
		return 0, badControl(fmt.Sprintf("%s: %q is negative; durations must be zero or more (to move the clock back, set it)", member, v))
	}
	return d, nil
}

// errNoReload answers a reload when the Server was given a tenant it cannot read again.
var errNoReload = newError(http.StatusConflict, "reload_unavailable",
	"The emulator was started with a tenant it cannot read again (no tenant file)")

// Reload reads the tenant again with Config.Reload and serves it from the next request on, with
// its Actions compiled again. A tenant that fails to load, whose keys are unusable or whose
// Actions do not compile changes nothing and is the error (tenant.Errors for a file or an
// Action's code with problems). The Management API's writes since the tenant was read are
// gone. Sessions, codes and tokens carry over; those of users and clients the new tenant lacks
// stop working.
func (s *Server) Reload() error {
	l := s.live
	if l.reload == nil {
		return errNoReload
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.reload()
	if err != nil {
		return err
	}
	next, err := s.current().withTenant(t)
	if err != nil {
		return err
	}
	l.current.Store(next)
	return nil
}

// Reset returns the emulator to its start: the tenant as read again with Config.Reload (else
// Config.Tenant as it was given, without the Management API's writes) with its keys, no sessions, codes, tokens, lockouts, journal or faults, and the
// clock on real time. A tenant that fails to load is the error, and then nothing is reset.
func (s *Server) Reset(ctx context.Context) error {
	l := s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	var t *tenant.Tenant
	if l.reload != nil {
		var err error
		if t, err = l.reload(); err != nil {
			return err
		}
	} else {
		t = l.initial.Clone()
	}
	next, err := s.current().withTenant(t)
	if err != nil {
		return err
	}
	l.current.Store(next)
	if err := s.store.Reset(ctx); err != nil {
		return err
	}
	l.journal.clear()
	l.logins.Clear()
	s.ClearFaults()
	s.clock.Reset()
	return nil
}

// handleReload is POST /tenantless/reload.
func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	if e := emptyControlBody(w, r, s.maxBody); e != nil {
		writeError(w, r, e)
		return
	}
	if err := s.Reload(); err != nil {
		s.writeTenantError(w, r, "reload", err)
		return
	}
	s.log.Info("tenant reloaded", "tenant", s.Tenant().Name)
	writeJSON(w, http.StatusOK, s.tenantState())
}

// handleReset is POST /tenantless/reset.
func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	if e := emptyControlBody(w, r, s.maxBody); e != nil {
		writeError(w, r, e)
		return
	}
	if err := s.Reset(r.Context()); err != nil {
		s.writeTenantError(w, r, "reset", err)
		return
	}
	writeJSON(w, http.StatusOK, s.tenantState())
}

// tenantState is what reload and reset answer: the tenant now served.
type tenantState struct {
	Tenant  string   `json:"tenant"`
	Clients int      `json:"clients"`
	Users   int      `json:"users"`
	APIs    int      `json:"apis"`
	KeyIDs  []string `json:"kids"`
}

func (s *Server) tenantState() tenantState {
	cur := s.current()
	st := tenantState{Tenant: cur.tenant.Name, Clients: len(cur.tenant.Clients()), Users: cur.tenant.UserCount(), APIs: len(cur.tenant.APIs())}
	for _, k := range cur.keys.Keys() {
		st.KeyIDs = append(st.KeyIDs, k.KID)
	}
	return st
}

// tenantError is the answer to a reload or reset whose tenant did not load: 422, the request
// being well-formed and the file not, with each problem as file:line:column: field: message.
type tenantError struct {
	*oauthError
	Problems []string `json:"problems"`
}

// writeTenantError answers a failed reload or reset; the running tenant is unchanged, and the
// log gets the problems too, for whoever watches the emulator rather than the test.
func (s *Server) writeTenantError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if e, ok := errors.AsType[*oauthError](err); ok {
		writeError(w, r, e)
		return
	}
	var problems []string
	if errs, ok := errors.AsType[tenant.Errors](err); ok {
		for _, e := range errs {
			problems = append(problems, e.Error())
		}
	} else {
		problems = []string{err.Error()}
	}
	s.log.Warn("tenant "+what+" refused; the running tenant is unchanged", "problems", problems)
	count := "1 problem"
	if len(problems) != 1 {
		count = fmt.Sprintf("%d problems", len(problems))
	}
	e := newError(http.StatusUnprocessableEntity, "invalid_tenant",
		"The tenant did not load ("+count+"); the running tenant is unchanged").
		because(strings.Join(problems, "; "))
	record(r, e)
	writeJSON(w, e.Status, tenantError{oauthError: e, Problems: problems})
}

// badControl is a control request the API cannot act on.
func badControl(description string) *oauthError {
	return newError(http.StatusBadRequest, "invalid_request", description)
}

// decodeControl reads a JSON object into v, refusing what a typo would produce: unknown members,
// members of the wrong type, trailing data, another content type.
func decodeControl(w http.ResponseWriter, r *http.Request, maxBody int64, v any) *oauthError {
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mediaType != "application/json" {
		return badControl("Content-Type must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badControl("The body must be one JSON object and nothing after it")
	}
	return nil
}

// emptyControlBody refuses a body on requests that take none, so that a test sending options
// that are not there learns so.
func emptyControlBody(w http.ResponseWriter, r *http.Request, maxBody int64) *oauthError {
	n, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBody))
	switch {
	case err != nil:
		return jsonProblem(err)
	case n == 0:
		return nil
	}
	return badControl("This request takes no body")
}

// jsonProblem says what is wrong with a control body in the API's words, not Go's.
func jsonProblem(err error) *oauthError {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return newError(http.StatusRequestEntityTooLarge, "invalid_request", "Request body too large")
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return badControl(fmt.Sprintf("%s: must be %s, not %s", te.Field, jsonKind(te.Type), te.Value))
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return badControl("The body is not a JSON object")
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badControl("Unknown member " + field)
	}
	return badControl("The body could not be read: " + strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go type as JSON calls its values.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	}
	return "an object"
}
