package idp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a rule that makes the tenant misbehave for the requests it matches, before their
// handler runs: an Auth0 error answer, a delay, or for /authorize a denied login sent back to the
// application. It matches Path and, when set, the request's client and, at /oauth/token, its
// grant type and user.
type Fault struct {
	// Path is an endpoint of the tenant, such as /oauth/token or /.well-known/jwks.json.
	Path string
	// ClientID matches the client_id parameter, or the client of a Basic Authorization.
	ClientID string
	// GrantType matches /oauth/token's grant_type.
	GrantType string
	// User matches /oauth/token's username: the user's user_id, email or username.
	User string

	// Status and Error make the answer an Auth0 error: {"error", "error_description"} with the
	// status; a 429 carries Auth0's x-ratelimit-* headers. At /authorize, an Error without a
	// Status is a denied login, returned to the application's redirect_uri in its response
	// mode with error, error_description and state, as when an Action denies access.
	Status           int
	Error            string
	ErrorDescription string
	// Delay holds the request that long first (at most MaxFaultDelay), then answers the
	// error, or lets the endpoint answer when there is none.
	Delay time.Duration

	// Times is how many requests the fault answers; 0 means once. UntilRemoved keeps it until
	// it is removed.
	Times        int
	UntilRemoved bool
}

// FaultStatus is a fault as listed: its id, the rule, and what is left of it.
type FaultStatus struct {
	ID string
	Fault
	// Remaining is how many more requests it answers; -1 with UntilRemoved.
	Remaining int
	// Hits is how many requests it has answered.
	Hits int
}

// Bounds of the faults: a delay longer than a request's patience is a hang, which the server's
// write timeout cuts anyway.
const (
	MaxFaultDelay = 5 * time.Minute
	maxFaults     = 1000
)

// faults are the rules in force, matched in the order they were added.
type faults struct {
	mu    sync.Mutex
	rules []*FaultStatus
	seq   int // ids are never reused, so a stale DELETE cannot remove a newer rule
}

// FaultError is a Fault the Server refuses, saying why.
type FaultError struct{ Problem string }

func (e *FaultError) Error() string { return "idp: fault: " + e.Problem }

// AddFault puts a fault in force after those already added, and returns its id.
func (s *Server) AddFault(f Fault) (FaultStatus, error) {
	if err := s.current().checkFault(&f); err != nil {
		return FaultStatus{}, err
	}
	fs := s.live.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.rules) >= maxFaults {
		return FaultStatus{}, &FaultError{fmt.Sprintf("%d faults are in force already; remove some first", maxFaults)}
	}
	fs.seq++
	st := &FaultStatus{ID: strconv.Itoa(fs.seq), Fault: f, Remaining: f.Times}
	if f.UntilRemoved {
		st.Times, st.Remaining = 0, -1
	}
	fs.rules = append(fs.rules, st)
	return *st, nil
}

// Faults lists the faults in force, in the order they match.
func (s *Server) Faults() []FaultStatus {
	fs := s.live.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]FaultStatus, len(fs.rules))
	for i, f := range fs.rules {
		out[i] = *f
	}
	return out
}

// RemoveFault removes a fault; false when no fault in force has that id.
func (s *Server) RemoveFault(id string) bool {
	fs := s.live.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.rules {
		if f.ID == id {
			fs.rules = append(fs.rules[:i], fs.rules[i+1:]...)
			return true
		}
	}
	return false
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	fs := s.live.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rules = nil
}

// checkFault refuses a fault that could never match or would do nothing, and fills in the
// defaults: once, and the error code of a status given alone.
func (s *Server) checkFault(f *Fault) error {
	bad := func(format string, a ...any) error { return &FaultError{fmt.Sprintf(format, a...)} }
	switch {
	case f.Path == "":
		return bad("path is required, such as /oauth/token")
	case f.Path+"/" == controlPrefix || strings.HasPrefix(f.Path, controlPrefix):
		return bad("path %s is the control API's; faults apply to the tenant's endpoints", f.Path)
	case !s.serves(f.Path):
		return bad("path %s is not an endpoint of the tenant", f.Path)
	case (f.GrantType != "" || f.User != "") && f.Path != "/oauth/token":
		return bad("grant_type and user only match at /oauth/token")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return bad("status %d is not an error status (400 to 599)", f.Status)
	case f.Status == 0 && f.Error == "" && f.ErrorDescription != "":
		return bad("error_description needs an error or a status")
	case f.Status == 0 && f.Error == "" && f.Delay == 0:
		return bad("the fault does nothing: give a status, an error or a delay")
	case f.Delay < 0:
		return bad("delay %s is negative", f.Delay)
	case f.Delay > MaxFaultDelay:
		return bad("delay %s is longer than %s", f.Delay, MaxFaultDelay)
	case f.Times < 0:
		return bad("times %d is negative; 0 keeps the fault until it is removed", f.Times)
	}
	if f.Status == 0 && f.Error != "" && f.Path != "/authorize" {
		f.Status = http.StatusBadRequest
	}
	if f.Status != 0 && f.Error == "" {
		f.Error = defaultFaultError(f.Status)
	}
	if f.Status != 0 && f.ErrorDescription == "" {
		f.ErrorDescription = http.StatusText(f.Status)
	}
	if f.Times == 0 {
		f.Times = 1
	}
	return nil
}

// defaultFaultError is the error code of a status given without one: Auth0's for a rate limit,
// RFC 6749 §4.1.2.1's for an unavailable or failing server.
func defaultFaultError(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "too_many_requests"
	case status == http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request"
}

// serves reports whether path is one of the snapshot's routes.
func (s *Server) serves(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	_, pattern := s.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}})
	return pattern != "/" && pattern != ""
}

// take finds the first fault matching a request to path, counts the request against it, and
// returns what it does; a fault used up is removed at once, so that concurrent requests never
// get more of it than Times.
func (fs *faults) take(path string, c *captured, user func(login string) []string) (Fault, string, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.rules {
		if !f.matches(path, c, user) {
			continue
		}
		f.Hits++
		if !f.UntilRemoved {
			if f.Remaining--; f.Remaining == 0 {
				fs.rules = append(fs.rules[:i], fs.rules[i+1:]...)
			}
		}
		return f.Fault, f.ID, true
	}
	return Fault{}, "", false
}

func (f *FaultStatus) matches(path string, c *captured, user func(login string) []string) bool {
	if f.Path != path || (f.ClientID != "" && f.ClientID != c.clientID) ||
		(f.GrantType != "" && f.GrantType != c.param("grant_type")) {
		return false
	}
	if f.User == "" {
		return true
	}
	for _, name := range user(c.param("username")) {
		if strings.EqualFold(name, f.User) {
			return true
		}
	}
	return false
}

// userNames are the names a fault's user may match for a login name: the login name itself,
// and the user_id, email and username of the tenant's user it names.
func (s *Server) userNames(login string) []string {
	if login == "" {
		return nil
	}
	names := []string{login}
	if u, ok := s.tenant.UserByLogin(login); ok {
		names = append(names, u.UserID, u.Email, u.Username)
	}
	return names
}

// faulty runs the fault matching a request, if any, before h.
func (s *Server) faulty(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := capturedOf(r.Context())
		if c == nil {
			h(w, r)
			return
		}
		f, id, ok := s.live.faults.take(r.URL.Path, c, s.userNames)
		if !ok {
			h(w, r)
			return
		}
		c.fault = id
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				// The client gave up, which is what a delay tests. Nobody reads the answer;
				// it is for the journal and the log.
				t.Stop()
				writeError(w, r, errClientLeft.because("fault "+id+": the client left during its delay"))
				return
			}
		}
		switch {
		case f.Error == "":
			h(w, r)
		case f.Status == 0:
			s.browser(s.deniedLogin(f, id))(w, r)
		default:
			if f.Status == http.StatusTooManyRequests {
				rateLimited(w.Header(), s.now())
			}
			writeError(w, r, newError(f.Status, f.Error, f.ErrorDescription).because("fault "+id))
		}
	}
}

// errClientLeft ends a request whose client left while a fault delayed it: the endpoint never
// ran.
var errClientLeft = newError(http.StatusServiceUnavailable, "temporarily_unavailable", "The client closed the request")

// rateLimited sets Auth0's rate-limit headers, as its SDKs read them (ruby-auth0
// lib/auth0/exception.rb: x-ratelimit-reset in Unix seconds): the limit is spent, and resets a
// second later on the emulator's clock.
func rateLimited(h http.Header, now time.Time) {
	h.Set("X-RateLimit-Limit", "10")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Second).Unix(), 10))
}

// deniedLogin answers /authorize as Auth0 does when a rule or an Action denies the login
// (https://auth0.com/docs/customize/actions/reference/post-login/post-login-api-object:
// api.access.deny): the error goes back to the application, once its client and redirect_uri
// are trusted; before that, the request's own error is shown as usual.
func (s *Server) deniedLogin(f Fault, id string) browserHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, req, e := s.authorizeRequest(r)
		if e != nil {
			return e
		}
		return req.fail(newError(http.StatusBadRequest, f.Error, f.ErrorDescription).because("fault " + id))
	}
}

// faultJSON is a fault on the wire, as POST /tenantless/faults takes it and GET lists it.
type faultJSON struct {
	ID               string `json:"id,omitempty"`
	Path             string `json:"path"`
	ClientID         string `json:"client_id,omitempty"`
	GrantType        string `json:"grant_type,omitempty"`
	User             string `json:"user,omitempty"`
	Status           int    `json:"status,omitempty"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
	Delay            string `json:"delay,omitempty"`
	Times            *int   `json:"times,omitempty"`
	Remaining        *int   `json:"remaining,omitempty"`
	Hits             *int   `json:"hits,omitempty"`
}

func faultOut(st FaultStatus) faultJSON {
	out := faultJSON{ID: st.ID, Path: st.Path, ClientID: st.ClientID, GrantType: st.GrantType, User: st.User,
		Status: st.Status, Error: st.Error, ErrorDescription: st.ErrorDescription, Times: &st.Times, Hits: &st.Hits}
	if st.Delay > 0 {
		out.Delay = st.Delay.String()
	}
	if !st.UntilRemoved {
		out.Remaining = &st.Remaining
	}
	return out
}

// faultRequest is the body of POST /tenantless/faults.
type faultRequest struct {
	Path             string `json:"path"`
	ClientID         string `json:"client_id"`
	GrantType        string `json:"grant_type"`
	User             string `json:"user"`
	Status           int    `json:"status"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Delay            string `json:"delay"`
	Times            *int   `json:"times"`
}

// addFault is POST /tenantless/faults: 201 with the fault as listed.
func (s *Server) addFault(w http.ResponseWriter, r *http.Request) {
	var req faultRequest
	if e := decodeControl(w, r, s.maxBody, &req); e != nil {
		writeError(w, r, e)
		return
	}
	f := Fault{Path: req.Path, ClientID: req.ClientID, GrantType: req.GrantType, User: req.User,
		Status: req.Status, Error: req.Error, ErrorDescription: req.ErrorDescription}
	if req.Delay != "" {
		d, e := parseDuration("delay", req.Delay)
		if e != nil {
			writeError(w, r, e)
			return
		}
		f.Delay = d
	}
	if req.Times != nil {
		if *req.Times < 0 {
			writeError(w, r, badControl(fmt.Sprintf("times %d is negative; 0 keeps the fault until it is removed", *req.Times)))
			return
		}
		f.Times, f.UntilRemoved = *req.Times, *req.Times == 0
	}
	st, err := s.AddFault(f)
	if err != nil {
		writeError(w, r, badControl(strings.TrimPrefix(err.Error(), "idp: fault: ")))
		return
	}
	w.Header().Set("Location", s.endpoint("tenantless/faults/"+st.ID))
	writeJSON(w, http.StatusCreated, faultOut(st))
}

// faultList is the answer of GET /tenantless/faults.
type faultList struct {
	Faults []faultJSON `json:"faults"`
}

// listFaults is GET /tenantless/faults.
func (s *Server) listFaults(w http.ResponseWriter, _ *http.Request) {
	out := faultList{Faults: []faultJSON{}}
	for _, st := range s.Faults() {
		out.Faults = append(out.Faults, faultOut(st))
	}
	writeJSON(w, http.StatusOK, out)
}

// errNoFault answers a fault id not in force (never added, used up or removed).
var errNoFault = newError(http.StatusNotFound, "not_found", "No fault in force has this id")

// removeFault is DELETE /tenantless/faults/{id}.
func (s *Server) removeFault(w http.ResponseWriter, r *http.Request) {
	if !s.RemoveFault(r.PathValue("id")) {
		writeError(w, r, errNoFault)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// clearFaults is DELETE /tenantless/faults.
func (s *Server) clearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

// MarshalJSON writes a FaultStatus as the control API lists it.
func (st FaultStatus) MarshalJSON() ([]byte, error) { return json.Marshal(faultOut(st)) }
