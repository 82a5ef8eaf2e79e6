package mgmt_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type userJSON struct {
	UserID        string         `json:"user_id"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Name          string         `json:"name"`
	Blocked       bool           `json:"blocked"`
	AppMetadata   map[string]any `json:"app_metadata"`
	UserMetadata  map[string]any `json:"user_metadata"`
	CreatedAt     string         `json:"created_at"`
	Identities    []struct {
		Connection string `json:"connection"`
		Provider   string `json:"provider"`
		UserID     string `json:"user_id"`
	} `json:"identities"`
}

func carol() map[string]any {
	return map[string]any{"email": "carol@example.com", "password": "carol-password", "connection": "Username-Password-Authentication",
		"app_metadata": map[string]any{"plan": "gold"}}
}

func TestCreateUser(t *testing.T) {
	t.Run("201 with the user, never its password", func(t *testing.T) {
		e := newEnv(t)
		w := e.do(http.MethodPost, "/api/v2/users", carol())
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		assert.NotContains(t, w.Body.String(), "password")
		u := decode[userJSON](t, w)
		assert.Regexp(t, `^auth0\|[0-9a-f]{24}$`, u.UserID, "an id of Auth0's form")
		assert.Equal(t, "carol@example.com", u.Email)
		assert.Equal(t, map[string]any{"plan": "gold"}, u.AppMetadata)
		assert.Equal(t, "2026-03-01T12:00:00.000Z", u.CreatedAt, "on the emulator's clock")
		require.Len(t, u.Identities, 1)
		assert.Equal(t, "Username-Password-Authentication", u.Identities[0].Connection)
		got := e.do(http.MethodGet, "/api/v2/users/"+u.UserID, nil)
		assert.Equal(t, http.StatusOK, got.Code)
	})

	t.Run("a given user_id gets the auth0 prefix", func(t *testing.T) {
		e := newEnv(t)
		body := carol()
		body["user_id"] = "carol"
		w := e.do(http.MethodPost, "/api/v2/users", body)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		assert.Equal(t, "auth0|carol", decode[userJSON](t, w).UserID)
	})

	with := func(k string, v any) map[string]any {
		b := carol()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	refusals := []struct {
		name string
		body any
		want string
	}{
		{"duplicate email, in another case", with("email", "ALICE@example.com"),
			`{"statusCode":409,"error":"Conflict","message":"The user already exists.","errorCode":"auth0_idp_error"}`},
		{"duplicate user_id", with("user_id", "alice"),
			`{"statusCode":409,"error":"Conflict","message":"The user already exists.","errorCode":"auth0_idp_error"}`},
		{"no connection", with("connection", nil),
			`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Missing required property: connection'.","errorCode":"invalid_body"}`},
		{"unknown connection", with("connection", "Nope"),
			`{"statusCode":400,"error":"Bad Request","message":"The connection does not exist.","errorCode":"inexistent_connection"}`},
		{"a property Auth0 does not have", with("favourite_colour", "blue"),
			`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Additional properties not allowed: favourite_colour'.","errorCode":"invalid_body"}`},
		{"a property of the wrong type", with("email_verified", "yes"),
			`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Expected type boolean but found string' on property email_verified.","errorCode":"invalid_body"}`},
		{"malformed JSON", `{"email":`,
			`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Invalid JSON: unexpected end of input'.","errorCode":"invalid_body"}`},
		{"not an object", `[1]`,
			`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Invalid JSON: Expected type object but found type array'.","errorCode":"invalid_body"}`},
		{"no password, by the tenant file's rule", with("password", nil),
			`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'required: the login page checks it, so every user needs one (it is test data, kept in plain text)' on property password.","errorCode":"invalid_body"}`},
		{"a bad email, by the tenant file's rule", with("email", "not-an-email"), ""},
	}
	for _, tt := range refusals {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.tenant.UserCount()
			w := e.do(http.MethodPost, "/api/v2/users", tt.body)
			if tt.want == "" {
				assert.Equal(t, http.StatusBadRequest, w.Code)
				assert.Contains(t, w.Body.String(), `"errorCode":"invalid_body"`)
			} else {
				assertError(t, w, tt.want)
			}
			assert.Equal(t, before, e.tenant.UserCount(), "nothing created")
		})
	}

	t.Run("a body over the limit", func(t *testing.T) {
		e := newEnv(t)
		big := with("name", string(make([]byte, 70<<10)))
		assert.Equal(t, http.StatusRequestEntityTooLarge, e.do(http.MethodPost, "/api/v2/users", big).Code)
	})
}

func TestReadUpdateDeleteUser(t *testing.T) {
	const noUser = `{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}`
	t.Run("unknown ids", func(t *testing.T) {
		e := newEnv(t)
		assertError(t, e.do(http.MethodGet, "/api/v2/users/auth0|nobody", nil), noUser)
		assertError(t, e.do(http.MethodPatch, "/api/v2/users/auth0|nobody", map[string]any{"name": "x"}), noUser)
		assertError(t, e.do(http.MethodGet, "/api/v2/users/auth0|nobody/roles", nil), noUser)
		assertError(t, e.do(http.MethodPost, "/api/v2/users/auth0|nobody/roles", map[string]any{"roles": []string{"rol_x"}}),
			`{"statusCode":404,"error":"Not Found","message":"The role does not exist.","errorCode":"inexistent_role"}`)
	})

	t.Run("fields picks what to answer", func(t *testing.T) {
		e := newEnv(t)
		w := e.do(http.MethodGet, "/api/v2/users/auth0|alice?fields=email,user_id", nil)
		assert.JSONEq(t, `{"email":"alice@example.com","user_id":"auth0|alice"}`, w.Body.String())
		w = e.do(http.MethodGet, "/api/v2/users/auth0|alice?fields=identities,picture,created_at,updated_at,name,nickname,email_verified,given_name,family_name&include_fields=false", nil)
		assert.JSONEq(t, `{"email":"alice@example.com","user_id":"auth0|alice"}`, w.Body.String())
	})

	t.Run("PATCH merges metadata at its top level; null removes", func(t *testing.T) {
		e := newEnv(t)
		w := e.do(http.MethodPost, "/api/v2/users", carol())
		id := decode[userJSON](t, w).UserID
		w = e.do(http.MethodPatch, "/api/v2/users/"+id, map[string]any{"app_metadata": map[string]any{"team": "red"}})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, map[string]any{"plan": "gold", "team": "red"}, decode[userJSON](t, w).AppMetadata)
		w = e.do(http.MethodPatch, "/api/v2/users/"+id, map[string]any{"app_metadata": map[string]any{"plan": nil}})
		assert.Equal(t, map[string]any{"team": "red"}, decode[userJSON](t, w).AppMetadata)
	})

	t.Run("PATCH refusals change nothing", func(t *testing.T) {
		e := newEnv(t)
		before, _ := e.tenant.User("auth0|bob")
		assertError(t, e.do(http.MethodPatch, "/api/v2/users/auth0|bob", map[string]any{"email": "alice@example.com"}),
			`{"statusCode":409,"error":"Conflict","message":"The user already exists.","errorCode":"auth0_idp_error"}`)
		assert.Equal(t, http.StatusBadRequest, e.do(http.MethodPatch, "/api/v2/users/auth0|bob", map[string]any{"blocked": "yes", "name": "Robert"}).Code)
		assert.Equal(t, http.StatusBadRequest, e.do(http.MethodPatch, "/api/v2/users/auth0|bob", map[string]any{"user_id": "other"}).Code)
		after, _ := e.tenant.User("auth0|bob")
		assert.Same(t, before, after)
	})

	t.Run("DELETE answers 204, and again", func(t *testing.T) {
		e := newEnv(t)
		assert.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v2/users/auth0|bob", nil).Code)
		assertError(t, e.do(http.MethodGet, "/api/v2/users/auth0|bob", nil), noUser)
		assert.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v2/users/auth0|bob", nil).Code)
	})
}

func TestListUsers(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		body := map[string]any{"email": fmt.Sprintf("user%d@test.example", i), "password": "p", "connection": "Username-Password-Authentication",
			"name": fmt.Sprintf("User %d", i), "user_metadata": map[string]any{"team": []any{"red", "blue"}[i%2]}}
		require.Equal(t, http.StatusCreated, e.do(http.MethodPost, "/api/v2/users", body).Code)
	}
	ids := func(list []userJSON) []string {
		out := []string{}
		for _, u := range list {
			out = append(out, u.Email)
		}
		return out
	}
	search := []struct {
		name, q string
		want    []string
	}{
		{"by email, ignoring case", `email:"ALICE@example.com"`, []string{"alice@example.com"}},
		{"by user_id", `user_id:"auth0|bob"`, []string{"bob@example.com"}},
		{"a prefix", `email:user*`, []string{"user0@test.example", "user1@test.example", "user2@test.example", "user3@test.example", "user4@test.example"}},
		{"blocked", `blocked:true`, []string{"blocked@example.com"}},
		{"metadata", `user_metadata.team:blue`, []string{"user1@test.example", "user3@test.example"}},
		{"AND binds before OR", `user_metadata.team:blue AND name:"User 1" OR email:alice@example.com`, []string{"alice@example.com", "user1@test.example"}},
		{"parentheses", `user_metadata.team:red AND (name:"User 0" OR name:"User 4")`, []string{"user0@test.example", "user4@test.example"}},
		{"a connection", `identities.connection:"Username-Password-Authentication" AND email:b*`, []string{"bob@example.com", "blocked@example.com"}},
		{"nothing", `email:nobody@example.com`, []string{}},
	}
	for _, tt := range search {
		t.Run("q: "+tt.name, func(t *testing.T) {
			w := e.do(http.MethodGet, "/api/v2/users?search_engine=v3&q="+urlEncode(tt.q), nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.ElementsMatch(t, tt.want, ids(decode[[]userJSON](t, w)))
		})
	}

	for _, q := range []string{`alice`, `email:alice OR`, `email:(a b)`, `password:x`, `email:a*b`, `NOT blocked:true`, `(email:a`, `email:alice email:bob`} {
		t.Run("q refused: "+q, func(t *testing.T) {
			w := e.do(http.MethodGet, "/api/v2/users?q="+urlEncode(q), nil)
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.Contains(t, w.Body.String(), `"errorCode":"invalid_query_string"`)
			assert.Contains(t, w.Body.String(), "on property q")
		})
	}

	t.Run("paging with totals, sorted", func(t *testing.T) {
		w := e.do(http.MethodGet, "/api/v2/users?q=email:user*&sort=email:-1&per_page=2&page=1&include_totals=true", nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		page := decode[struct {
			Start, Limit, Length, Total int
			Users                       []userJSON
		}](t, w)
		assert.Equal(t, 2, page.Start)
		assert.Equal(t, 2, page.Limit)
		assert.Equal(t, 2, page.Length)
		assert.Equal(t, 5, page.Total)
		assert.Equal(t, []string{"user2@test.example", "user1@test.example"}, ids(page.Users))
	})

	t.Run("past the end, an empty page", func(t *testing.T) {
		w := e.do(http.MethodGet, "/api/v2/users?per_page=50&page=3", nil)
		assert.JSONEq(t, `[]`, w.Body.String())
	})

	paging := []struct{ name, query, want string }{
		{"per_page over 100", "per_page=101", "Value 101 is greater than maximum 100"},
		{"negative page", "page=-1", "Value -1 is less than minimum 0"},
		{"page not a number", "page=two", "Expected type integer"},
		{"past the first 1000", "per_page=100&page=10", "You can only page through the first 1000 records"},
		{"bad sort", "sort=email", "on property sort"},
		{"bad include_totals", "include_totals=yes", "on property include_totals"},
	}
	for _, tt := range paging {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			w := e.do(http.MethodGet, "/api/v2/users?"+tt.query, nil)
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.Contains(t, w.Body.String(), tt.want)
		})
	}

	t.Run("users-by-email", func(t *testing.T) {
		w := e.do(http.MethodGet, "/api/v2/users-by-email?email=ALICE@EXAMPLE.COM", nil)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, []string{"alice@example.com"}, ids(decode[[]userJSON](t, w)))
		assert.JSONEq(t, `[]`, e.do(http.MethodGet, "/api/v2/users-by-email?email=nobody@example.com", nil).Body.String())
		assert.Equal(t, http.StatusBadRequest, e.do(http.MethodGet, "/api/v2/users-by-email", nil).Code)
	})
}
