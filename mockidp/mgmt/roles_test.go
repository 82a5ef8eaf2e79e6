package mgmt_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type roleJSON struct{ ID, Name, Description string }

const noRole = `{"statusCode":404,"error":"Not Found","message":"The role does not exist.","errorCode":"inexistent_role"}`

func readerID(t *testing.T, e *env) string {
	t.Helper()
	r, ok := e.tenant.Role("Reader")
	require.True(t, ok)
	return r.ID
}

func TestRoles(t *testing.T) {
	t.Run("create, read, rename, delete", func(t *testing.T) {
		e := newEnv(t)
		w := e.do(http.MethodPost, "/api/v2/roles", map[string]any{"name": "Editor", "description": "Edits"})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		role := decode[roleJSON](t, w)
		assert.Regexp(t, `^rol_[A-Z0-9]{16}$`, role.ID)
		assert.Equal(t, role, decode[roleJSON](t, e.do(http.MethodGet, "/api/v2/roles/"+role.ID, nil)))

		w = e.do(http.MethodPatch, "/api/v2/roles/"+role.ID, map[string]any{"name": "Editors"})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, roleJSON{role.ID, "Editors", "Edits"}, decode[roleJSON](t, w), "PATCH keeps what it does not name")

		list := decode[[]roleJSON](t, e.do(http.MethodGet, "/api/v2/roles?name_filter=edit", nil))
		assert.Equal(t, []roleJSON{{role.ID, "Editors", "Edits"}}, list)

		assert.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v2/roles/"+role.ID, nil).Code)
		assertError(t, e.do(http.MethodGet, "/api/v2/roles/"+role.ID, nil), noRole)
		assertError(t, e.do(http.MethodDelete, "/api/v2/roles/"+role.ID, nil), noRole)
	})

	refusals := []struct {
		name   string
		method string
		path   string
		body   any
		status int
	}{
		{"a name another role has", http.MethodPost, "/api/v2/roles", map[string]any{"name": "Reader"}, http.StatusConflict},
		{"no name", http.MethodPost, "/api/v2/roles", map[string]any{"description": "x"}, http.StatusBadRequest},
		{"an empty name", http.MethodPost, "/api/v2/roles", map[string]any{"name": ""}, http.StatusBadRequest},
		{"permissions are set apart", http.MethodPost, "/api/v2/roles", map[string]any{"name": "X", "permissions": []string{}}, http.StatusBadRequest},
		{"a permission its API does not define", http.MethodPost, "/api/v2/roles/{reader}/permissions",
			map[string]any{"permissions": []any{map[string]any{"permission_name": "write:all", "resource_server_identifier": "https://api.example.com"}}}, http.StatusBadRequest},
		{"a permission of no API", http.MethodPost, "/api/v2/roles/{reader}/permissions",
			map[string]any{"permissions": []any{map[string]any{"permission_name": "read:protected", "resource_server_identifier": "https://nope.example.com"}}}, http.StatusBadRequest},
		{"no permissions", http.MethodPost, "/api/v2/roles/{reader}/permissions", map[string]any{"permissions": []any{}}, http.StatusBadRequest},
		{"an unknown role's permissions", http.MethodGet, "/api/v2/roles/rol_nothing/permissions", nil, http.StatusNotFound},
		{"an unknown user to assign", http.MethodPost, "/api/v2/roles/{reader}/users", map[string]any{"users": []string{"auth0|nobody"}}, http.StatusNotFound},
		{"no users to assign", http.MethodPost, "/api/v2/roles/{reader}/users", map[string]any{"users": []string{}}, http.StatusBadRequest},
		{"an unknown role to assign", http.MethodPost, "/api/v2/users/auth0|bob/roles", map[string]any{"roles": []string{"rol_nothing"}}, http.StatusNotFound},
	}
	for _, tt := range refusals {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.tenant.Roles()
			path := strings.Replace(tt.path, "{reader}", readerID(t, e), 1)
			w := e.do(tt.method, path, tt.body)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Equal(t, before, e.tenant.Roles(), "nothing changed")
		})
	}
}

func TestRolesAndUsers(t *testing.T) {
	e := newEnv(t)
	reader := readerID(t, e)

	t.Run("a role assigned to a user", func(t *testing.T) {
		assert.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v2/users/auth0|bob/roles", map[string]any{"roles": []string{reader}}).Code)
		roles := decode[[]roleJSON](t, e.do(http.MethodGet, "/api/v2/users/auth0|bob/roles", nil))
		assert.Equal(t, []roleJSON{{reader, "Reader", "May read the protected endpoint"}}, roles)
		users := decode[[]struct {
			UserID string `json:"user_id"`
		}](t, e.do(http.MethodGet, "/api/v2/roles/"+reader+"/users", nil))
		assert.Len(t, users, 2)
		perms := e.do(http.MethodGet, "/api/v2/users/auth0|bob/permissions", nil)
		assert.JSONEq(t, `[{"permission_name":"read:protected","description":"Read the protected endpoint's message",
			"resource_server_name":"Demo API","resource_server_identifier":"https://api.example.com",
			"sources":[{"source_id":"`+reader+`","source_name":"Reader","source_type":"ROLE"}]}]`, perms.Body.String())
	})

	t.Run("and removed", func(t *testing.T) {
		assert.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v2/users/auth0|bob/roles", map[string]any{"roles": []string{reader}}).Code)
		assert.JSONEq(t, `[]`, e.do(http.MethodGet, "/api/v2/users/auth0|bob/roles", nil).Body.String())
	})

	t.Run("a role's permissions, added and removed", func(t *testing.T) {
		w := e.do(http.MethodPost, "/api/v2/roles", map[string]any{"name": "Auditor"})
		id := decode[roleJSON](t, w).ID
		perm := map[string]any{"permissions": []any{map[string]any{"permission_name": "read:protected", "resource_server_identifier": "https://api.example.com"}}}
		assert.Equal(t, http.StatusCreated, e.do(http.MethodPost, "/api/v2/roles/"+id+"/permissions", perm).Code)
		assert.Equal(t, http.StatusCreated, e.do(http.MethodPost, "/api/v2/roles/"+id+"/permissions", perm).Code, "twice is once")
		w = e.do(http.MethodGet, "/api/v2/roles/"+id+"/permissions?include_totals=true", nil)
		assert.JSONEq(t, `{"start":0,"limit":50,"length":1,"total":1,"permissions":[{"permission_name":"read:protected",
			"description":"Read the protected endpoint's message","resource_server_name":"Demo API",
			"resource_server_identifier":"https://api.example.com"}]}`, w.Body.String())
		assert.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v2/roles/"+id+"/permissions", perm).Code)
		assert.JSONEq(t, `[]`, e.do(http.MethodGet, "/api/v2/roles/"+id+"/permissions", nil).Body.String())
	})

	t.Run("a user's own permissions", func(t *testing.T) {
		perm := map[string]any{"permissions": []any{map[string]any{"permission_name": "read:protected", "resource_server_identifier": "https://api.example.com"}}}
		assert.Equal(t, http.StatusCreated, e.do(http.MethodPost, "/api/v2/users/auth0|bob/permissions", perm).Code)
		w := e.do(http.MethodGet, "/api/v2/users/auth0|bob/permissions", nil)
		assert.Contains(t, w.Body.String(), `"source_type":"DIRECT"`)
		assert.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v2/users/auth0|bob/permissions", perm).Code)
		assert.JSONEq(t, `[]`, e.do(http.MethodGet, "/api/v2/users/auth0|bob/permissions", nil).Body.String())
	})

	t.Run("role members assigned from the role", func(t *testing.T) {
		assert.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v2/roles/"+reader+"/users", map[string]any{"users": []string{"auth0|bob"}}).Code)
		bob, _ := e.tenant.User("auth0|bob")
		assert.Equal(t, []string{"Reader"}, e.tenant.RoleNames(bob))
	})
}
