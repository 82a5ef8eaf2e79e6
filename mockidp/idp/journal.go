package idp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The request journal keeps the last requests to the Authentication API, so that a test can
// assert what its application sent ("the SPA asked for audience=... with prompt=none"). It
// never keeps a secret: the values of secretParams, the Authorization header and cookies are
// shown as present and masked.
//
// JournalEntry is one request, as GET /tenantless/requests lists it.
type JournalEntry struct {
	// Time is the emulator's clock when the request arrived.
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	// Query and Form are the query and body parameters (a form or a JSON object): a string
	// each, a list for a repeated form parameter, any JSON value for a JSON member.
	Query map[string]any `json:"query,omitempty"`
	Form  map[string]any `json:"form,omitempty"`
	// Headers are the request headers a test asserts on: Authorization (its scheme, the
	// credentials masked), Origin, Content-Type and Auth0-Client.
	Headers map[string]string `json:"headers,omitempty"`
	// Cookies are the names of the cookies sent, their values masked.
	Cookies map[string]string `json:"cookies,omitempty"`
	Status  int               `json:"status"`
	// Error is the protocol error answered, if any.
	Error string `json:"error,omitempty"`
	// ClientID and User are the application and the login name the request names.
	ClientID string `json:"client_id,omitempty"`
	User     string `json:"user,omitempty"`
	// Fault is the id of the fault that answered or delayed the request.
	Fault string `json:"fault,omitempty"`
	// Actions are the tenant's Actions the request ran, in order.
	Actions []ActionRun `json:"actions,omitempty"`
}

// ActionRun is one run of an Action, as the journal shows it.
type ActionRun struct {
	Name    string `json:"name"`
	Trigger string `json:"trigger"`
	// Duration is how long the run took, as time.Duration's String writes it.
	Duration string `json:"duration"`
	// Outcome is "success" or "failed"; Error says why a run failed.
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// Masked stands in the journal for a secret that was sent.
const Masked = "[masked]"

// secretParams are parameters whose values are credentials, codes or tokens, in any request's
// query, form or JSON body (compared ignoring case).
var secretParams = map[string]bool{
	"client_secret": true, "client_assertion": true, "password": true, "code": true,
	"code_verifier": true, "refresh_token": true, "access_token": true, "id_token": true,
	"id_token_hint": true, "token": true, "subject_token": true, "actor_token": true,
	"mfa_token": true, "otp": true, "oob_code": true, "binding_code": true, "recovery_code": true,
	"device_code": true, "_csrf": true,
}

// journalHeaders are the request headers the journal keeps; Authorization is masked.
var journalHeaders = []string{"Authorization", "Origin", "Content-Type", "Auth0-Client"}

// Bounds of one entry: a journal of DefaultJournalSize entries stays within a few megabytes
// whatever the requests hold.
const (
	maxJournalValue  = 1024
	maxJournalParams = 64
)

// journalled reports whether requests to path go to the journal: the Authentication API's,
// not the health check or the login page's stylesheet.
func journalled(path string) bool {
	return path != "/healthz" && !strings.HasPrefix(path, "/u/static/")
}

// captured is what the journal and the faults read of a request before its handler runs.
type captured struct {
	query    url.Values
	form     map[string]any
	clientID string
	user     string
	fault    string      // set by the fault that answered or delayed the request
	actions  []ActionRun // set by the Actions the handler ran
}

type capturedKey struct{}

func capturedOf(ctx context.Context) *captured {
	c, _ := ctx.Value(capturedKey{}).(*captured)
	return c
}

// capture reads the request's parameters, leaving its body for the handler to read again. A
// body over maxBody is not parsed; the handler still sees all of it and refuses it.
func capture(r *http.Request, maxBody int64) (*http.Request, *captured) {
	c := &captured{}
	c.query, _ = url.ParseQuery(r.URL.RawQuery)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body != nil && (mediaType == "application/x-www-form-urlencoded" || mediaType == "application/json") {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		rest := io.MultiReader(bytes.NewReader(body), r.Body)
		r.Body = struct {
			io.Reader
			io.Closer
		}{rest, r.Body}
		if err == nil && int64(len(body)) <= maxBody {
			c.form = parseBody(mediaType, body)
		}
	}
	c.clientID = c.param("client_id")
	if c.clientID == "" {
		if id, _, ok := r.BasicAuth(); ok {
			c.clientID, _ = url.QueryUnescape(id)
		}
	}
	c.user = c.param("username")
	if c.user == "" {
		c.user = c.param("user_id")
	}
	return r.WithContext(context.WithValue(r.Context(), capturedKey{}, c)), c
}

func parseBody(mediaType string, body []byte) map[string]any {
	if mediaType == "application/json" {
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return nil
		}
		return m
	}
	values, _ := url.ParseQuery(string(body))
	return paramMap(values)
}

// param is a parameter's value in the body, else in the query, "" when absent or not a string.
func (c *captured) param(name string) string {
	if v, ok := c.form[name].(string); ok {
		return v
	}
	return c.query.Get(name)
}

func paramMap(values url.Values) map[string]any {
	if len(values) == 0 {
		return nil
	}
	m := make(map[string]any, len(values))
	for k, vs := range values {
		if len(vs) == 1 {
			m[k] = vs[0]
		} else {
			m[k] = vs
		}
	}
	return m
}

// entry is the journal's record of a request answered with status.
func (c *captured) entry(r *http.Request, at time.Time, status int, errorCode string) JournalEntry {
	e := JournalEntry{
		Time: at.UTC(), Method: r.Method, Path: r.URL.Path,
		Query: maskParams(paramMap(c.query)), Form: maskParams(c.form),
		Status: status, Error: errorCode, ClientID: clip(c.clientID), User: clip(c.user), Fault: c.fault,
		Actions: c.actions,
	}
	for _, name := range journalHeaders {
		v := r.Header.Get(name)
		if v == "" {
			continue
		}
		if name == "Authorization" {
			v = maskCredentials(v)
		}
		if e.Headers == nil {
			e.Headers = map[string]string{}
		}
		e.Headers[strings.ToLower(name)] = clip(v)
	}
	for _, ck := range r.Cookies() {
		if e.Cookies == nil {
			e.Cookies = map[string]string{}
		}
		if len(e.Cookies) < maxJournalParams {
			e.Cookies[clip(ck.Name)] = Masked
		}
	}
	return e
}

// maskCredentials keeps an Authorization header's scheme, which a test may assert on (Basic or
// Bearer), and masks the credentials.
func maskCredentials(v string) string {
	if scheme, _, ok := strings.Cut(v, " "); ok && scheme != "" && len(scheme) <= 16 {
		return scheme + " " + Masked
	}
	return Masked
}

// maskParams copies params with secrets masked, long values clipped and nested JSON masked as
// deeply as it goes.
func maskParams(params map[string]any) map[string]any {
	if len(params) == 0 {
		return nil
	}
	out := make(map[string]any, min(len(params), maxJournalParams))
	for k, v := range params {
		if len(out) == maxJournalParams {
			break
		}
		if secretParams[strings.ToLower(k)] {
			out[clip(k)] = Masked
			continue
		}
		out[clip(k)] = maskValue(v)
	}
	return out
}

func maskValue(v any) any {
	switch v := v.(type) {
	case string:
		return clip(v)
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = clip(s)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = maskValue(x)
		}
		return out
	case map[string]any:
		return maskParams(v)
	}
	return v
}

// clip bounds a value the journal keeps, cutting on a rune boundary.
func clip(s string) string {
	if len(s) <= maxJournalValue {
		return s
	}
	cut := maxJournalValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// journal is a ring of the last entries.
type journal struct {
	mu      sync.Mutex
	entries []JournalEntry
	next    int // where the next entry goes
	full    bool
}

func newJournal(size int) *journal { return &journal{entries: make([]JournalEntry, size)} }

func (j *journal) add(e JournalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries[j.next] = e
	j.next = (j.next + 1) % len(j.entries)
	if j.next == 0 {
		j.full = true
	}
}

// RequestFilter selects journal entries; zero members select everything.
type RequestFilter struct {
	Path   string // exact path, such as /authorize
	Method string
	Limit  int // at most this many, the newest
}

// list returns the entries f selects, newest first.
func (j *journal) list(f RequestFilter) []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.next
	if j.full {
		n = len(j.entries)
	}
	out := []JournalEntry{}
	for i := 1; i <= n; i++ {
		e := j.entries[(j.next-i+len(j.entries))%len(j.entries)]
		if (f.Path != "" && e.Path != f.Path) || (f.Method != "" && !strings.EqualFold(e.Method, f.Method)) {
			continue
		}
		out = append(out, e)
		if len(out) == f.Limit {
			break
		}
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	j.next, j.full = 0, false
}

// Requests lists the journal's entries that f selects, newest first.
func (s *Server) Requests(f RequestFilter) []JournalEntry { return s.live.journal.list(f) }

// ClearRequests empties the journal.
func (s *Server) ClearRequests() { s.live.journal.clear() }

// requestList is the answer of GET /tenantless/requests.
type requestList struct {
	Requests []JournalEntry `json:"requests"`
}

// listRequests is GET /tenantless/requests?path=&method=&limit=.
func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, r, badControl("The query string could not be parsed"))
		return
	}
	var f RequestFilter
	for name, vs := range q {
		if len(vs) > 1 {
			writeError(w, r, badControl("Parameter '"+name+"' is repeated"))
			return
		}
		switch v := vs[0]; name {
		case "path":
			f.Path = v
		case "method":
			f.Method = v
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				writeError(w, r, badControl("limit: "+strconv.Quote(v)+" is not a positive whole number"))
				return
			}
			f.Limit = n
		default:
			writeError(w, r, badControl("Unknown parameter '"+name+"'; use path, method or limit"))
			return
		}
	}
	writeJSON(w, http.StatusOK, requestList{Requests: s.Requests(f)})
}

// clearRequests is DELETE /tenantless/requests.
func (s *Server) clearRequests(w http.ResponseWriter, _ *http.Request) {
	s.ClearRequests()
	w.WriteHeader(http.StatusNoContent)
}
