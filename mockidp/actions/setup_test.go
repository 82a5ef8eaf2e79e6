package actions

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// logBuffer collects the engine's JSON log records; runs may log concurrently.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(b.buf.Bytes()) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(line, &rec))
		delete(rec, "time")
		out = append(out, rec)
	}
	return out
}

// reserved stands in for the tenant package's list of restricted claims.
func reserved(name string) (string, bool) {
	switch name {
	case "sub", "aud", "permissions", "scope":
		return "set by Auth0", true
	}
	return "", false
}

// fixedNow is the tests' clock: 2024-05-01T12:00:00Z.
var fixedNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func compile(t testing.TB, a Action) *Compiled {
	t.Helper()
	if a.File == "" {
		a.File = a.Name + ".js"
	}
	c, err := Compile(a)
	require.NoError(t, err)
	return c
}

type setup struct {
	timeout time.Duration
	clock   *clock
	// quiet drops the log, for runs too many to keep it.
	quiet bool
}

// newEngine binds the Actions in order and returns the engine and its log.
func newEngine(t testing.TB, s setup, bindings map[Trigger][]Action) (*Engine, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg := Config{
		Triggers:      map[Trigger][]*Compiled{},
		Timeout:       s.timeout,
		Logger:        slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ReservedClaim: reserved,
	}
	if s.clock != nil {
		cfg.Now = s.clock.Now
	}
	if s.quiet {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for trig, actions := range bindings {
		for _, a := range actions {
			cfg.Triggers[trig] = append(cfg.Triggers[trig], compile(t, a))
		}
	}
	e, err := New(cfg)
	require.NoError(t, err)
	return e, logs
}

func postLogin(code string) map[Trigger][]Action {
	return map[Trigger][]Action{TriggerPostLogin: {{Name: "action", Code: code}}}
}

// aliceLogin is a code-flow login of the default tenant's alice to the demo SPA.
func aliceLogin() PostLoginEvent {
	created := time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	return PostLoginEvent{
		Authentication: &Authentication{Methods: []AuthenticationMethod{{Name: "pwd", Timestamp: fixedNow}}},
		Authorization:  &Authorization{Roles: []string{"Reader"}},
		Client:         Client{ClientID: "demo-spa", Name: "Demo SPA", Metadata: map[string]string{"tier": "free"}},
		Connection:     Connection{ID: "con_1", Name: "Username-Password-Authentication", Strategy: "auth0"},
		Request: Request{
			IP: "127.0.0.1", Hostname: "localhost", UserAgent: "test", Language: "en", Method: "POST",
			Query: url.Values{"client_id": {"demo-spa"}, "ui_locales": {"fr", "en"}},
			Body:  map[string]any{"username": "alice@example.com", "password": "alice-password"},
		},
		ResourceServer: &ResourceServer{Identifier: "https://api.example.com"},
		Session:        &Session{ID: "sid-1"},
		Stats:          Stats{LoginsCount: 3},
		Tenant:         Tenant{ID: "tenantless"},
		Transaction: &Transaction{
			Protocol: "oidc-basic-profile", RedirectURI: "http://localhost:3000",
			RequestedScopes: []string{"openid", "profile"}, ResponseType: []string{"code"}, State: "xyz",
		},
		User: User{
			UserID: "auth0|alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Nickname: "alice",
			CreatedAt: created, UpdatedAt: created,
			AppMetadata:  map[string]any{"plan": "gold"},
			UserMetadata: map[string]any{"theme": "dark"},
			Identities:   []Identity{{Connection: "Username-Password-Authentication", Provider: "auth0", UserID: "alice"}},
		},
	}
}

// m2mExchange is the demo M2M client's client credentials grant.
func m2mExchange() CredentialsExchangeEvent {
	return CredentialsExchangeEvent{
		AccessToken:    AccessToken{Scope: []string{"read:protected"}},
		Client:         Client{ClientID: "demo-m2m", Name: "Demo M2M", Metadata: map[string]string{"partner_id": "p-42"}},
		Request:        Request{IP: "127.0.0.1", Method: "POST", Body: map[string]any{"grant_type": "client_credentials", "client_secret": "demo-m2m-secret"}},
		ResourceServer: ResourceServer{Identifier: "https://api.example.com"},
		Tenant:         Tenant{ID: "tenantless"},
		Transaction:    CredentialsTransaction{RequestedScopes: []string{"read:protected"}},
	}
}
