package mgmt_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/internal/redistest"
	"github.com/tenantless/tenantless/mockidp/store"
)

// failLogins fails a login name's password ten times on the real login page, which locks it.
func failLogins(t *testing.T, e *env, login string) {
	t.Helper()
	for range 10 {
		r := newRequest(http.MethodGet, "/authorize?"+url.Values{
			"client_id": {"demo-web"}, "redirect_uri": {"http://localhost:3000/callback"}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"s"},
		}.Encode(), "")
		w := serve(t, e, r)
		require.Equal(t, http.StatusFound, w.Code, w.Body.String())
		loginURL, err := url.Parse(w.Header().Get("Location"))
		require.NoError(t, err)
		get := newRequest(http.MethodGet, loginURL.RequestURI(), "")
		cookies := w.Result().Cookies()
		for _, c := range cookies {
			get.AddCookie(c)
		}
		page := serve(t, e, get)
		require.Equal(t, http.StatusOK, page.Code)
		form := hiddenInputs(t, page.Body.String())
		form.Set("username", login)
		form.Set("password", "wrong")
		form.Set("action", "default")
		post := newRequest(http.MethodPost, "/u/login", "")
		post = postFormRequest(post, form, append(cookies, page.Result().Cookies()...))
		res := serve(t, e, post)
		require.Contains(t, res.Body.String(), "Wrong email or password", "status %d", res.Code)
	}
}

func TestUserBlocks(t *testing.T) {
	// The locks are the Server's store's, whichever backend holds them.
	stores := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"memory", func(*testing.T) store.Store { return nil }},
		{"redis", func(t *testing.T) store.Store {
			st, err := store.OpenRedis(t.Context(), redistest.New(t).URL, store.RedisOptions{Prefix: redistest.Prefix(t)})
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			return st
		}},
	}
	for _, sc := range stores {
		t.Run("a locked login name is listed, by identifier and by user, and cleared: "+sc.name, func(t *testing.T) {
			userBlocksCleared(t, newEnvOn(t, sc.open(t)))
		})
	}

	t.Run("refused", func(t *testing.T) {
		e := newEnv(t)
		assert.Equal(t, http.StatusBadRequest, e.do(http.MethodGet, "/api/v2/user-blocks", nil).Code)
		assert.Equal(t, http.StatusBadRequest, e.do(http.MethodDelete, "/api/v2/user-blocks", nil).Code)
		assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, "/api/v2/user-blocks/auth0|nobody", nil).Code)
		assert.Equal(t, http.StatusForbidden, e.call(http.MethodDelete, "/api/v2/user-blocks/auth0|bob", e.token("read:users"), nil).Code)
	})
}

// userBlocksCleared locks bob's login name and clears it by user and by identifier.
func userBlocksCleared(t *testing.T, e *env) {
	const none = `{"blocked_for":[]}`
	const bob = `{"blocked_for":[{"identifier":"bob@example.com","connection":"Username-Password-Authentication"}]}`
	assert.JSONEq(t, none, e.do(http.MethodGet, "/api/v2/user-blocks?identifier=bob@example.com", nil).Body.String())
	failLogins(t, e, "bob@example.com")
	assert.JSONEq(t, bob, e.do(http.MethodGet, "/api/v2/user-blocks?identifier=bob@example.com", nil).Body.String())
	assert.JSONEq(t, bob, e.do(http.MethodGet, "/api/v2/user-blocks/auth0|bob", nil).Body.String())
	assert.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v2/user-blocks/auth0|bob", nil).Code)
	assert.JSONEq(t, none, e.do(http.MethodGet, "/api/v2/user-blocks/auth0|bob", nil).Body.String())

	failLogins(t, e, "bob@example.com")
	assert.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v2/user-blocks?identifier=BOB@example.com", nil).Code)
	assert.JSONEq(t, none, e.do(http.MethodGet, "/api/v2/user-blocks?identifier=bob@example.com", nil).Body.String())
}
