package tenant_test

import (
	"fmt"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

func TestUserWrites(t *testing.T) {
	t.Run("a created user is found at once, after the file's", func(t *testing.T) {
		tn := demoTenant(t)
		u := &tenant.User{Email: "carol@example.com", Password: "carol-password", Roles: []string{"Reader"}}
		require.Empty(t, tn.CreateUser(u))
		got, ok := tn.UserByLogin("CAROL@example.com")
		require.True(t, ok)
		assert.Same(t, u, got)
		users := tn.Users()
		assert.Same(t, u, users[len(users)-1])
		assert.Equal(t, []string{"read:protected"}, tn.PermissionsFor(u, demoAPI))
	})

	refusals := []struct {
		name     string
		user     tenant.User
		conflict bool
		field    string
	}{
		{"an email another user has", tenant.User{Email: "ALICE@example.com", Password: "p"}, true, "email"},
		{"a user_id another user has", tenant.User{UserID: "auth0|bob", Email: "new@example.com", Password: "p"}, true, "user_id"},
		{"no password", tenant.User{Email: "new@example.com"}, false, "password"},
		{"an unknown role", tenant.User{Email: "new@example.com", Password: "p", Roles: []string{"Admin"}}, false, "roles[0]"},
		{"a bad email", tenant.User{Email: "not-an-email", Password: "p"}, false, "email"},
	}
	for _, tc := range refusals {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			tn := demoTenant(t)
			before := tn.UserCount()
			u := tc.user
			errs := tn.CreateUser(&u)
			require.NotEmpty(t, errs)
			assert.Equal(t, tc.conflict, errs.Conflict())
			assert.Equal(t, tc.field, errs[0].Field)
			assert.Equal(t, before, tn.UserCount(), "nothing is added")
		})
	}

	t.Run("an update publishes a new item and leaves the old one whole", func(t *testing.T) {
		tn := demoTenant(t)
		old, _ := tn.User("auth0|bob")
		u, err := tn.UpdateUser("auth0|bob", func(u *tenant.User) {
			u.Email, u.Password, u.Blocked, u.UserID = "robert@example.com", "new-password", true, "auth0|other"
		})
		require.NoError(t, err)
		assert.NotSame(t, old, u)
		assert.Equal(t, "bob@example.com", old.Email, "readers holding the old item see it unchanged")
		assert.Equal(t, "auth0|bob", u.UserID, "user_id does not change")
		_, ok := tn.UserByLogin("bob@example.com")
		assert.False(t, ok, "the old email no longer logs in")
		got, ok := tn.UserByLogin("robert@example.com")
		require.True(t, ok)
		assert.Same(t, u, got)
		assert.True(t, got.Blocked)
		assert.Equal(t, "auth0|bob", tn.Users()[1].UserID, "the user keeps its place")
	})

	t.Run("an update that breaks a rule changes nothing", func(t *testing.T) {
		tn := demoTenant(t)
		old, _ := tn.User("auth0|bob")
		_, err := tn.UpdateUser("auth0|bob", func(u *tenant.User) { u.Email = "alice@example.com" })
		var errs tenant.FieldErrors
		require.ErrorAs(t, err, &errs)
		assert.True(t, errs.Conflict())
		got, _ := tn.User("auth0|bob")
		assert.Same(t, old, got)
	})

	t.Run("unknown ids", func(t *testing.T) {
		tn := demoTenant(t)
		_, err := tn.UpdateUser("auth0|nobody", func(*tenant.User) {})
		assert.ErrorIs(t, err, tenant.ErrNotFound)
		_, ok := tn.DeleteUser("auth0|nobody")
		assert.False(t, ok)
	})

	t.Run("a deleted user is gone, and its email is free", func(t *testing.T) {
		tn := demoTenant(t)
		_, ok := tn.DeleteUser("auth0|alice")
		require.True(t, ok)
		_, ok = tn.User("auth0|alice")
		assert.False(t, ok)
		_, ok = tn.UserByLogin("alice@example.com")
		assert.False(t, ok)
		assert.Empty(t, tn.CreateUser(&tenant.User{Email: "alice@example.com", UserID: "auth0|alice2", Password: "p"}))
	})
}

func TestRoleWrites(t *testing.T) {
	t.Run("a renamed role stays its users'", func(t *testing.T) {
		tn := demoTenant(t)
		reader, _ := tn.Role("Reader")
		_, err := tn.UpdateRole(reader.ID, func(r *tenant.Role) { r.Name = "Readers" })
		require.NoError(t, err)
		alice, _ := tn.User("auth0|alice")
		assert.Equal(t, []string{"Readers"}, tn.RoleNames(alice))
		assert.Equal(t, []string{"read:protected"}, tn.PermissionsFor(alice, demoAPI))
	})

	t.Run("a role's permissions reach its users", func(t *testing.T) {
		tn := demoTenant(t)
		reader, _ := tn.Role("Reader")
		_, err := tn.UpdateRole(reader.ID, func(r *tenant.Role) { r.Permissions = nil })
		require.NoError(t, err)
		alice, _ := tn.User("auth0|alice")
		assert.Empty(t, tn.PermissionsFor(alice, demoAPI))
	})

	t.Run("a deleted role leaves its users, and a new one of its name is another", func(t *testing.T) {
		tn := demoTenant(t)
		reader, _ := tn.Role("Reader")
		_, ok := tn.DeleteRole(reader.ID)
		require.True(t, ok)
		alice, _ := tn.User("auth0|alice")
		assert.Empty(t, tn.RoleNames(alice))
		assert.Empty(t, tn.PermissionsFor(alice, demoAPI))
		again := &tenant.Role{ID: tenant.NewID("rol_", 16), Name: "Reader",
			Permissions: []tenant.Permission{{Name: "read:protected", API: demoAPI}}}
		require.Empty(t, tn.CreateRole(again))
		assert.Empty(t, tn.PermissionsFor(alice, demoAPI))
	})

	t.Run("refused", func(t *testing.T) {
		tn := demoTenant(t)
		errs := tn.CreateRole(&tenant.Role{Name: "Reader"})
		assert.True(t, errs.Conflict())
		errs = tn.CreateRole(&tenant.Role{Name: "Writer", Permissions: []tenant.Permission{{Name: "write:all", API: demoAPI}}})
		require.Len(t, errs, 1)
		assert.False(t, errs.Conflict())
		_, err := tn.UpdateRole("rol_nothing", func(*tenant.Role) {})
		assert.ErrorIs(t, err, tenant.ErrNotFound)
	})
}

func TestClientAndAPIWrites(t *testing.T) {
	t.Run("a deleted client takes its grants", func(t *testing.T) {
		tn := demoTenant(t)
		g, ok := tn.Grant("demo-m2m", demoAPI)
		require.True(t, ok)
		_, ok = tn.DeleteClient("demo-m2m")
		require.True(t, ok)
		_, ok = tn.GrantByID(g.ID)
		assert.False(t, ok)
		_, ok = tn.Grant("demo-m2m", demoAPI)
		assert.False(t, ok)
	})

	t.Run("client writes change ClientsVersion, others do not", func(t *testing.T) {
		tn := demoTenant(t)
		v := tn.ClientsVersion()
		require.Empty(t, tn.CreateUser(&tenant.User{Email: "new@example.com", Password: "p"}))
		assert.Equal(t, v, tn.ClientsVersion())
		_, err := tn.UpdateClient("demo-spa", func(c *tenant.Client) { c.WebOrigins = append(c.WebOrigins, "https://app.example.com") })
		require.NoError(t, err)
		assert.NotEqual(t, v, tn.ClientsVersion())
	})

	t.Run("a grant's scope must be the API's", func(t *testing.T) {
		tn := demoTenant(t)
		g, _ := tn.Grant("demo-m2m", demoAPI)
		_, err := tn.UpdateGrant(g.ID, []string{"write:all"})
		var errs tenant.FieldErrors
		require.ErrorAs(t, err, &errs)
		assert.Equal(t, "scope[0]", errs[0].Field)
	})
}

func TestBindIssuer(t *testing.T) {
	const issuer = "http://localhost:4000/"
	yaml := `
clients:
  - {name: Ops, client_id: ops, client_secret: s, app_type: non_interactive, grant_types: [client_credentials]}
clientGrants:
  - {client_id: ops, audience: "https://##AUTH0_DOMAIN##/api/v2/", scope: [read:users]}
`
	tn := mustLoad(t, fstest.MapFS{"tenant.yaml": {Data: []byte(yaml)}}, "tenant.yaml")
	m := tn.ManagementAPI()
	require.NotNil(t, m)
	assert.Equal(t, tenant.ManagementAudience, m.Identifier)
	assert.Empty(t, tn.APIs(), "the system API is not one the tenant defines")

	require.NoError(t, tn.BindIssuer(issuer))
	m = tn.ManagementAPI()
	assert.Equal(t, issuer+"api/v2/", m.Identifier)
	assert.Equal(t, tenant.ManagementAPIName, m.Name)
	got, ok := tn.API(issuer + "api/v2/")
	require.True(t, ok)
	assert.Same(t, m, got)
	_, ok = tn.API(tenant.ManagementAudience)
	assert.False(t, ok)
	g, ok := tn.Grant("ops", issuer+"api/v2/")
	require.True(t, ok, "the grant follows the API")
	assert.Equal(t, []string{"read:users"}, g.Scope)

	require.NoError(t, tn.BindIssuer(issuer), "the same issuer again")
	err := tn.BindIssuer("https://other.example.com/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "served at http://localhost:4000/ already")
}

// TestConcurrentWrites runs writers and readers together: under -race, and with nothing lost.
func TestConcurrentWrites(t *testing.T) {
	tn := demoTenant(t)
	const writers, each = 50, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				u := &tenant.User{Email: fmt.Sprintf("w%d-%d@example.com", w, i), Password: "p", Roles: []string{"Reader"}}
				assert.Empty(t, tn.CreateUser(u))
				_, err := tn.UpdateUser(u.UserID, func(u *tenant.User) { u.Blocked = true })
				assert.NoError(t, err)
			}
		})
		wg.Go(func() {
			for range each {
				if u, ok := tn.UserByLogin("alice@example.com"); assert.True(t, ok) {
					assert.Equal(t, []string{"read:protected"}, tn.PermissionsFor(u, demoAPI))
				}
				_ = tn.Users()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 3+writers*each, tn.UserCount())
	assert.Len(t, tn.Users(), 3+writers*each)
}
