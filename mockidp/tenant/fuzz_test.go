package tenant_test

import (
	"errors"
	"io/fs"
	"net/url"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// FuzzLoad feeds Load arbitrary tenant files: it must never panic, every failure must be
// positioned Errors, and a tenant it returns must be usable as the emulator uses it.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{fixtures.DefaultTenant, fixtures.QATenant} {
		f.Add(readFixture(f, name))
	}
	for _, tt := range errorCases {
		f.Add([]byte(tt.yaml))
	}
	keys := fstest.MapFS{
		"tenant-key.pem":    {Data: readFixture(f, "tenant-key.pem")},
		"qa-tenant-key.pem": {Data: readFixture(f, "qa-tenant-key.pem")},
	}
	codes, err := fs.Glob(fixtures.FS, "actions/*/code.js")
	if err != nil || len(codes) == 0 {
		f.Fatalf("the QA tenant's Actions: %v", err)
	}
	for _, name := range codes {
		keys[name] = &fstest.MapFile{Data: readFixture(f, name)}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"tenant.yaml": {Data: data}}
		for name, file := range keys {
			fsys[name] = file
		}
		tn, err := tenant.Load(fsys, "tenant.yaml")
		if err != nil {
			if tn != nil {
				t.Fatalf("Load returned a tenant with an error: %v", err)
			}
			var errs tenant.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("want non-empty tenant.Errors, got %T: %v", err, err)
			}
			for _, e := range errs {
				if e.File != "tenant.yaml" || e.Msg == "" || e.Line < 0 || e.Column < 0 {
					t.Fatalf("malformed error %#v", e)
				}
			}
			return
		}
		checkUsable(t, tn)
	})
}

// checkUsable checks what the emulator relies on in a loaded tenant.
func checkUsable(t *testing.T, tn *tenant.Tenant) {
	t.Helper()
	if tn == nil {
		t.Fatal("nil tenant without an error")
	}
	s := tn.Settings
	if s.SessionLifetime <= 0 || s.IdleSessionLifetime <= 0 {
		t.Fatalf("session lifetimes %v, %v", s.SessionLifetime, s.IdleSessionLifetime)
	}
	if s.DefaultAudience != "" {
		if _, ok := tn.API(s.DefaultAudience); !ok {
			t.Fatalf("default audience %q is no API", s.DefaultAudience)
		}
	}
	for _, a := range tn.APIs() {
		if got, ok := tn.API(a.Identifier); !ok || got != a {
			t.Fatalf("API %q not indexed", a.Identifier)
		}
		if a.TokenLifetime <= 0 || a.TokenLifetimeForWeb <= 0 || a.TokenLifetimeForWeb > a.TokenLifetime {
			t.Fatalf("API %q lifetimes %v, %v", a.Identifier, a.TokenLifetime, a.TokenLifetimeForWeb)
		}
	}
	for trigger, bindings := range tn.Bindings {
		if _, ok := tenant.TriggerVersion(trigger); !ok || len(bindings) > tenant.MaxBoundActions {
			t.Fatalf("trigger %q with %d bindings", trigger, len(bindings))
		}
		for _, b := range bindings {
			if got, ok := tn.Action(b.Action.Name); !ok || got != b.Action || b.Action.File == "" {
				t.Fatalf("trigger %q binds an Action the tenant does not hold: %+v", trigger, b.Action)
			}
		}
	}
	for _, c := range tn.Clients() {
		if got, ok := tn.Client(c.ClientID); !ok || got != c {
			t.Fatalf("client %q not indexed", c.ClientID)
		}
		if c.Name == "" || c.AppType == "" || c.TokenEndpointAuthMethod == "" {
			t.Fatalf("client %q incomplete: %+v", c.ClientID, c)
		}
		if !c.Public() && c.ClientSecret == "" {
			t.Fatalf("confidential client %q without a secret", c.ClientID)
		}
		if c.IDTokenLifetime <= 0 || c.RefreshToken.Lifetime <= 0 || c.RefreshToken.IdleLifetime <= 0 {
			t.Fatalf("client %q lifetimes %+v", c.ClientID, c)
		}
		for _, u := range slices.Concat(c.Callbacks, c.AllowedLogoutURLs, c.WebOrigins, c.AllowedOrigins) {
			if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Host == "" {
				t.Fatalf("client %q has URL %q", c.ClientID, u)
			}
		}
	}
	for _, g := range tn.Grants() {
		a, ok := tn.API(g.Audience)
		if _, cok := tn.Client(g.ClientID); !ok || !cok {
			t.Fatalf("grant %+v refers to nothing", g)
		}
		for _, s := range g.Scope {
			if !a.HasScope(s) {
				t.Fatalf("grant %+v: %q undefined", g, s)
			}
		}
	}
	for _, r := range tn.Roles() {
		if got, ok := tn.Role(r.Name); !ok || got != r {
			t.Fatalf("role %q not indexed", r.Name)
		}
	}
	for _, u := range tn.Users() {
		if got, ok := tn.User(u.UserID); !ok || got != u {
			t.Fatalf("user %q not indexed", u.UserID)
		}
		for _, login := range []string{u.Email, u.Username} {
			if got, ok := tn.UserByLogin(login); login != "" && (!ok || got != u) {
				t.Fatalf("user %q not found by %q", u.UserID, login)
			}
		}
		if u.Password == "" || u.Name == "" || u.Nickname == "" || u.Picture == "" {
			t.Fatalf("user %q incomplete: %+v", u.UserID, u)
		}
		if !slices.ContainsFunc(tn.Connections(), func(c *tenant.Connection) bool { return c.Name == u.Connection }) {
			t.Fatalf("user %q in unknown connection %q", u.UserID, u.Connection)
		}
		for _, id := range u.Roles {
			if _, ok := tn.RoleByID(id); !ok {
				t.Fatalf("user %q has role %q outside the tenant", u.UserID, id)
			}
		}
		for _, a := range tn.APIs() {
			for _, p := range tn.PermissionsFor(u, a.Identifier) {
				if !a.HasScope(p) {
					t.Fatalf("user %q has %q, undefined on %q", u.UserID, p, a.Identifier)
				}
			}
		}
	}
}
