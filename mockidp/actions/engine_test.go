package actions

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRefuses(t *testing.T) {
	ok := func() map[Trigger][]*Compiled {
		return map[Trigger][]*Compiled{TriggerPostLogin: {compile(t, Action{Name: "ok", Code: "exports.onExecutePostLogin = async () => {};"})}}
	}
	logger := slog.New(slog.DiscardHandler)
	tooMany := make([]*Compiled, MaxBoundActions+1)
	for i := range tooMany {
		tooMany[i] = ok()[TriggerPostLogin][0]
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no logger", Config{Triggers: ok(), ReservedClaim: reserved}, "Config.Logger is required"},
		{"no reserved claims", Config{Triggers: ok(), Logger: logger}, "Config.ReservedClaim is required"},
		{"negative timeout", Config{Triggers: ok(), Logger: logger, ReservedClaim: reserved, Timeout: -time.Second}, "Config.Timeout is -1s"},
		{"unemulated trigger", Config{Triggers: map[Trigger][]*Compiled{"pre-user-registration": nil}, Logger: logger, ReservedClaim: reserved},
			`trigger "pre-user-registration" is not emulated`},
		{"more than Auth0's 20 bound Actions", Config{Triggers: map[Trigger][]*Compiled{TriggerPostLogin: tooMany}, Logger: logger, ReservedClaim: reserved},
			"21 Actions bound to post-login; Auth0 allows at most 20"},
		{"nil binding", Config{Triggers: map[Trigger][]*Compiled{TriggerPostLogin: {nil}}, Logger: logger, ReservedClaim: reserved}, "post-login binding 0 is nil"},
		{"handler of another trigger", Config{Triggers: map[Trigger][]*Compiled{TriggerCredentialsExchange: ok()[TriggerPostLogin]}, Logger: logger, ReservedClaim: reserved},
			`action "ok" (credentials-exchange) failed: the module does not export onExecuteCredentialsExchange, which the credentials-exchange trigger calls`},
		{"handler not a function", Config{Triggers: map[Trigger][]*Compiled{TriggerPostLogin: {compile(t, Action{Name: "n", Code: "exports.onExecutePostLogin = 42;"})}}, Logger: logger, ReservedClaim: reserved},
			"does not export onExecutePostLogin"},
		{"module.exports set to null", Config{Triggers: map[Trigger][]*Compiled{TriggerPostLogin: {compile(t, Action{Name: "n", Code: "module.exports = null;"})}}, Logger: logger, ReservedClaim: reserved},
			"does not export onExecutePostLogin"},
		{"module code throws", Config{Triggers: map[Trigger][]*Compiled{TriggerPostLogin: {compile(t, Action{Name: "t", Code: "const x = 1;\nthrow new Error('at load');"})}}, Logger: logger, ReservedClaim: reserved},
			`action "t" (post-login) failed at t.js:2:7: Error: at load`},
		{"module code loops", Config{Triggers: map[Trigger][]*Compiled{TriggerPostLogin: {compile(t, Action{Name: "l", Code: "let i = 0; while (true) { i++; }"})}}, Logger: logger, ReservedClaim: reserved, Timeout: 20 * time.Millisecond},
			"the trigger's time limit was exceeded (20ms)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg)
			assert.Nil(t, e)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	e, err := New(Config{Logger: slog.New(slog.DiscardHandler), ReservedClaim: reserved})
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, e.timeout)
	assert.Equal(t, 20*time.Second, DefaultTimeout, "Auth0's documented limit")

	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err, "a trigger with no Actions bound runs nothing")
	assert.Empty(t, res.Executions)
	assert.Nil(t, res.Denied)
}

func TestPostLoginCommunityActions(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		secrets map[string]string
		want    func(t *testing.T, res *Result)
	}{
		{
			name: "roles into a namespaced claim",
			code: `exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(` + "`${namespace}/roles`" + `, event.authorization.roles);
    api.accessToken.setCustomClaim(` + "`${namespace}/roles`" + `, event.authorization.roles);
  }
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{"https://example.com/roles": []any{"Reader"}}, res.AccessTokenClaims)
				assert.Equal(t, map[string]any{"https://example.com/roles": []any{"Reader"}}, res.IDTokenClaims)
			},
		},
		{
			name: "metadata into the ID token",
			code: `exports.onExecutePostLogin = async (event, api) => {
  const { plan } = event.user.app_metadata;
  api.idToken.setCustomClaim('https://example.com/plan', plan);
  api.idToken.setCustomClaim('https://example.com/prefs', { theme: event.user.user_metadata.theme, n: 2, ok: true, none: null });
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{
					"https://example.com/plan":  "gold",
					"https://example.com/prefs": map[string]any{"theme": "dark", "n": 2.0, "ok": true, "none": nil},
				}, res.IDTokenClaims)
				assert.Empty(t, res.AccessTokenClaims)
			},
		},
		{
			name: "deny on app_metadata",
			code: `exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.plan === 'gold' && event.client.name === 'Demo SPA') {
    api.access.deny(` + "`Access to ${event.client.name} is not allowed.`" + `);
  }
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, &Denial{Action: "action", Reason: "Access to Demo SPA is not allowed."}, res.Denied)
				require.Len(t, res.Executions, 1)
				assert.Equal(t, OutcomeDenied, res.Executions[0].Outcome)
			},
		},
		{
			name: "deny without a reason",
			code: `exports.onExecutePostLogin = async (event, api) => { api.access.deny(); };`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, &Denial{Action: "action"}, res.Denied)
			},
		},
		{
			name:    "a secret used in a claim",
			secrets: map[string]string{"PARTNER_KEY": "k-123"},
			code: `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/partner', event.secrets.PARTNER_KEY);
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{"https://example.com/partner": "k-123"}, res.AccessTokenClaims)
			},
		},
		{
			name: "a missing secret is undefined, as in Node",
			code: `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/type', typeof event.secrets.MISSING);
  api.idToken.setCustomClaim('https://example.com/missing', event.secrets.MISSING);
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{"https://example.com/type": "undefined"}, res.IDTokenClaims,
					"a claim set to undefined is left out, as JSON leaves it out")
			},
		},
		{
			name: "scopes added and removed",
			code: `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.addScope('read:reports').accessToken.addScope('write:reports').accessToken.removeScope('profile');
  api.accessToken.removeScope('write:reports');
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, []string{"read:reports"}, res.ScopesAdded)
				assert.Equal(t, []string{"profile", "write:reports"}, res.ScopesRemoved)
			},
		},
		{
			name: "metadata changes are collected",
			code: `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('last_app', event.client.client_id);
  api.user.setAppMetadata('plan', null);
  api.user.setUserMetadata('visits', event.stats.logins_count + 1);
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{"last_app": "demo-spa", "plan": nil}, res.AppMetadata)
				assert.Equal(t, map[string]any{"visits": 4.0}, res.UserMetadata)
			},
		},
		{
			name: "a synchronous handler",
			code: `exports.onExecutePostLogin = function (event, api) {
  api.idToken.setCustomClaim('https://example.com/sync', true);
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{"https://example.com/sync": true}, res.IDTokenClaims)
			},
		},
		{
			name: "awaiting settled promises",
			code: `const lookup = async (id) => ({ id, tier: 'gold' });
exports.onExecutePostLogin = async (event, api) => {
  const [a, b] = await Promise.all([lookup(1), Promise.resolve(2)]);
  api.idToken.setCustomClaim('https://example.com/tier', a.tier + b);
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{"https://example.com/tier": "gold2"}, res.IDTokenClaims)
			},
		},
		{
			name: "no Rules have run",
			code: `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/rule', api.rules.wasExecuted('rul_1'));
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{"https://example.com/rule": false}, res.IDTokenClaims)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerPostLogin: {{Name: "action", Code: tc.code, Secrets: tc.secrets}}})
			res, err := e.PostLogin(context.Background(), aliceLogin())
			require.NoError(t, err)
			require.Len(t, res.Executions, 1)
			assert.Equal(t, "action", res.Executions[0].Action)
			assert.Empty(t, res.Executions[0].Error)
			tc.want(t, res)
		})
	}
}

func TestPostLoginEventShape(t *testing.T) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  const created = new Date(event.user.created_at);
  api.idToken.setCustomClaim('https://example.com/event', {
    user: event.user,
    created_ms: created.getTime(),
    authorization: event.authorization,
    authentication: event.authentication,
    client: event.client,
    connection: event.connection,
    request: event.request,
    resource_server: event.resource_server,
    session: event.session,
    stats: event.stats,
    tenant: event.tenant,
    transaction: event.transaction,
    secrets: event.secrets,
    organization: typeof event.organization,
  });
};`
	e, _ := newEngine(t, setup{}, postLogin(code))
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err)
	want := map[string]any{
		"user": map[string]any{
			"user_id": "auth0|alice", "email": "alice@example.com", "email_verified": true, "name": "Alice", "nickname": "alice",
			"created_at": "2024-01-02T03:04:05.678Z", "updated_at": "2024-01-02T03:04:05.678Z",
			"app_metadata": map[string]any{"plan": "gold"}, "user_metadata": map[string]any{"theme": "dark"},
			"identities": []any{map[string]any{"connection": "Username-Password-Authentication", "provider": "auth0", "user_id": "alice", "isSocial": false}},
		},
		"created_ms":     float64(time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC).UnixMilli()),
		"authorization":  map[string]any{"roles": []any{"Reader"}},
		"authentication": map[string]any{"methods": []any{map[string]any{"name": "pwd", "timestamp": "2024-05-01T12:00:00.000Z"}}},
		"client":         map[string]any{"client_id": "demo-spa", "name": "Demo SPA", "metadata": map[string]any{"tier": "free"}},
		"connection":     map[string]any{"id": "con_1", "name": "Username-Password-Authentication", "strategy": "auth0"},
		"request": map[string]any{
			"ip": "127.0.0.1", "hostname": "localhost", "user_agent": "test", "language": "en", "method": "POST",
			"query": map[string]any{"client_id": "demo-spa", "ui_locales": []any{"fr", "en"}},
			"body":  map[string]any{"username": "alice@example.com"},
			"geoip": map[string]any{},
		},
		"resource_server": map[string]any{"identifier": "https://api.example.com"},
		"session":         map[string]any{"id": "sid-1"},
		"stats":           map[string]any{"logins_count": 3.0},
		"tenant":          map[string]any{"id": "tenantless"},
		"transaction": map[string]any{
			"protocol": "oidc-basic-profile", "redirect_uri": "http://localhost:3000", "requested_scopes": []any{"openid", "profile"},
			"response_type": []any{"code"}, "state": "xyz", "metadata": map[string]any{},
		},
		"secrets":      map[string]any{},
		"organization": "undefined",
	}
	assert.Equal(t, want, res.IDTokenClaims["https://example.com/event"])
}

func TestPostLoginEventOptionalPartsAreAbsent(t *testing.T) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/absent', {
    authorization: typeof event.authorization,
    authentication: typeof event.authentication,
    resource_server: typeof event.resource_server,
    transaction: typeof event.transaction,
    session: typeof event.session,
    email: typeof event.user.email,
  });
  api.idToken.setCustomClaim('https://example.com/present', {
    app_metadata: event.user.app_metadata,
    user_metadata: event.user.user_metadata,
    identities: event.user.identities,
    client_metadata: event.client.metadata,
    body: event.request.body,
    query: event.request.query,
  });
};`
	e, _ := newEngine(t, setup{}, postLogin(code))
	res, err := e.PostLogin(context.Background(), PostLoginEvent{User: User{UserID: "auth0|bare"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"authorization": "undefined", "authentication": "undefined", "resource_server": "undefined",
		"transaction": "undefined", "session": "undefined", "email": "undefined",
	}, res.IDTokenClaims["https://example.com/absent"])
	assert.Equal(t, map[string]any{
		"app_metadata": map[string]any{}, "user_metadata": map[string]any{}, "identities": []any{},
		"client_metadata": map[string]any{}, "body": map[string]any{}, "query": map[string]any{},
	}, res.IDTokenClaims["https://example.com/present"], "documented non-optional objects are never undefined")
}

func TestRequestBodyWithholdsCredentials(t *testing.T) {
	code := `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/body', event.request.body);
};`
	e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerCredentialsExchange: {{Name: "body", Code: code}}})
	ev := m2mExchange()
	ev.Request.Body = map[string]any{"grant_type": "client_credentials", "audience": "https://api.example.com"}
	for _, k := range secretBodyFields {
		ev.Request.Body[k] = "secret-" + k
	}
	res, err := e.CredentialsExchange(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"grant_type": "client_credentials", "audience": "https://api.example.com"}, res.AccessTokenClaims["https://example.com/body"])
	assert.Len(t, ev.Request.Body, 2+len(secretBodyFields), "the caller's body is left as it was")
}

func TestCredentialsExchange(t *testing.T) {
	tests := []struct {
		name string
		code string
		want func(t *testing.T, res *Result)
	}{
		{
			name: "an M2M claim from the client's metadata",
			code: `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.metadata.partner_id) {
    api.accessToken.setCustomClaim('https://example.com/partner_id', event.client.metadata.partner_id);
  }
  api.accessToken.setCustomClaim('https://example.com/scope', event.accessToken.scope.join(' '));
  api.accessToken.setCustomClaim('https://example.com/aud', event.resource_server.identifier);
  api.accessToken.setCustomClaim('https://example.com/requested', event.transaction.requested_scopes);
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{
					"https://example.com/partner_id": "p-42",
					"https://example.com/scope":      "read:protected",
					"https://example.com/aud":        "https://api.example.com",
					"https://example.com/requested":  []any{"read:protected"},
				}, res.AccessTokenClaims)
				assert.Empty(t, res.IDTokenClaims)
			},
		},
		{
			name: "deny with an OAuth code",
			code: `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.metadata.partner_id === 'p-42') {
    api.access.deny('invalid_request', 'Partner suspended');
  }
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, &Denial{Action: "action", Code: "invalid_request", Reason: "Partner suspended"}, res.Denied)
			},
		},
		{
			name: "deny without a reason",
			code: `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_scope'); };`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, &Denial{Action: "action", Code: "invalid_scope"}, res.Denied)
			},
		},
		{
			name: "post-login's api is not there",
			code: `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/api', [typeof api.idToken, typeof api.user, typeof api.accessToken.addScope, typeof api.cache.get]);
};`,
			want: func(t *testing.T, res *Result) {
				assert.Equal(t, map[string]any{"https://example.com/api": []any{"undefined", "undefined", "undefined", "function"}}, res.AccessTokenClaims)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerCredentialsExchange: {{Name: "action", Code: tc.code}}})
			res, err := e.CredentialsExchange(context.Background(), m2mExchange())
			require.NoError(t, err)
			tc.want(t, res)
		})
	}
}

func TestActionsRunInBindingOrderAndSeeEarlierChanges(t *testing.T) {
	first := `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('step', 1);
  api.user.setAppMetadata('plan', null);
  api.user.setUserMetadata('seen_by', ['first']);
  api.idToken.setCustomClaim('https://example.com/order', ['first']);
  // Not visible to this Action itself: Auth0 applies the change for the Actions after it.
  api.idToken.setCustomClaim('https://example.com/own', event.user.app_metadata.step === undefined);
};`
	second := `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/order', ['first', 'second']);
  api.idToken.setCustomClaim('https://example.com/saw', {
    step: event.user.app_metadata.step,
    plan: typeof event.user.app_metadata.plan,
    seen_by: event.user.user_metadata.seen_by,
    theme: event.user.user_metadata.theme,
  });
};`
	e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerPostLogin: {{Name: "first", Code: first}, {Name: "second", Code: second}}})
	ev := aliceLogin()
	res, err := e.PostLogin(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"https://example.com/order": []any{"first", "second"},
		"https://example.com/own":   true,
		"https://example.com/saw":   map[string]any{"step": 1.0, "plan": "undefined", "seen_by": []any{"first"}, "theme": "dark"},
	}, res.IDTokenClaims)
	require.Len(t, res.Executions, 2)
	assert.Equal(t, []string{"first", "second"}, []string{res.Executions[0].Action, res.Executions[1].Action})
	assert.Equal(t, map[string]any{"plan": "gold"}, ev.User.AppMetadata, "the caller's metadata is left as it was")
}

func TestCredentialsExchangeLaterActionSeesEarlierClaims(t *testing.T) {
	first := `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/a', 1);
};`
	second := `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/b', Object.keys(event.accessToken.customClaims).sort());
};`
	e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerCredentialsExchange: {{Name: "first", Code: first}, {Name: "second", Code: second}}})
	ev := m2mExchange()
	ev.AccessToken.CustomClaims = map[string]any{"https://example.com/existing": true}
	res, err := e.CredentialsExchange(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"https://example.com/a": 1.0,
		"https://example.com/b": []any{"https://example.com/a", "https://example.com/existing"},
	}, res.AccessTokenClaims)
	assert.Len(t, ev.AccessToken.CustomClaims, 1, "the caller's claims are left as they were")
}

func TestDenyStopsTheActionsAfterIt(t *testing.T) {
	deny := `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('denied_at', 'now');
  api.access.deny('No.');
  api.idToken.setCustomClaim('https://example.com/after_deny', true);
};`
	never := `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/never', true); };`
	e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerPostLogin: {{Name: "deny", Code: deny}, {Name: "never", Code: never}}})
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err)
	assert.Equal(t, &Denial{Action: "deny", Reason: "No."}, res.Denied)
	assert.Equal(t, map[string]any{"https://example.com/after_deny": true}, res.IDTokenClaims, "the denying Action runs to its end; the next does not run")
	assert.Equal(t, map[string]any{"denied_at": "now"}, res.AppMetadata, "a denial does not cancel metadata changes")
	require.Len(t, res.Executions, 1)
	assert.Equal(t, OutcomeDenied, res.Executions[0].Outcome)
}

func TestNoStateSurvivesBetweenRuns(t *testing.T) {
	code := `let count = 0;
exports.onExecutePostLogin = async (event, api) => {
  count++;
  globalThis.seen = (globalThis.seen || 0) + 1;
  Array.prototype.polluted = true;
  api.idToken.setCustomClaim('https://example.com/count', [count, globalThis.seen, [].polluted === true]);
};`
	e, _ := newEngine(t, setup{}, postLogin(code))
	for range 3 {
		res, err := e.PostLogin(context.Background(), aliceLogin())
		require.NoError(t, err)
		assert.Equal(t, []any{1.0, 1.0, true}, res.IDTokenClaims["https://example.com/count"])
	}
}

func TestDateFollowsTheEngineClock(t *testing.T) {
	c := &clock{now: fixedNow}
	e, _ := newEngine(t, setup{clock: c}, postLogin(`exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/now', [Date.now(), new Date().toISOString()]);
};`))
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err)
	assert.Equal(t, []any{float64(fixedNow.UnixMilli()), "2024-05-01T12:00:00.000Z"}, res.IDTokenClaims["https://example.com/now"])
}

func TestConsoleGoesToTheLogger(t *testing.T) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  console.log('login for', event.user.email, 3, true, null, undefined);
  console.info({ roles: event.authorization.roles });
  console.warn(new Error('careful'));
  console.error('failed:', new TypeError('bad'));
  console.debug([1, 2]);
  const cyclic = {}; cyclic.self = cyclic;
  console.log(cyclic);
  console.log('x'.repeat(20000));
};`
	e, logs := newEngine(t, setup{}, postLogin(code))
	_, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err)
	recs := logs.records(t)
	require.Len(t, recs, 7)
	want := []struct{ level, msg string }{
		{"INFO", "login for alice@example.com 3 true null undefined"},
		{"INFO", `{"roles":["Reader"]}`},
		{"WARN", "Error: careful"},
		{"ERROR", "failed: TypeError: bad"},
		{"DEBUG", "[1,2]"},
		{"INFO", "[object Object]"},
	}
	for i, w := range want {
		assert.Equal(t, map[string]any{"level": w.level, "msg": w.msg, "action": "action", "trigger": "post-login"}, recs[i])
	}
	long := recs[6]["msg"].(string)
	assert.Equal(t, strings.Repeat("x", maxLogMessage)+"…", long, "a console line is bounded")
}

func TestReservedClaimIsLoggedAndLeftOut(t *testing.T) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('permissions', ['admin']);
  api.idToken.setCustomClaim('sub', 'someone-else');
  api.idToken.setCustomClaim('https://example.com/ok', 1);
};`
	e, logs := newEngine(t, setup{}, postLogin(code))
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err, "a refused claim does not fail the login")
	assert.Empty(t, res.AccessTokenClaims)
	assert.Equal(t, map[string]any{"https://example.com/ok": 1.0}, res.IDTokenClaims)
	assert.Equal(t, []map[string]any{
		{"level": "ERROR", "msg": "custom claim refused", "action": "action", "trigger": "post-login",
			"method": "api.accessToken.setCustomClaim", "claim": "permissions", "reason": "set by Auth0"},
		{"level": "ERROR", "msg": "custom claim refused", "action": "action", "trigger": "post-login",
			"method": "api.idToken.setCustomClaim", "claim": "sub", "reason": "set by Auth0"},
	}, logs.records(t))
}

func TestConcurrentRuns(t *testing.T) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/user', event.user.user_id);
};`
	e, _ := newEngine(t, setup{}, postLogin(code))
	const runs = 16
	errs := make(chan error, runs)
	users := make(chan any, runs)
	for i := range runs {
		go func() {
			ev := aliceLogin()
			ev.User.UserID = "auth0|" + strings.Repeat("u", i+1)
			res, err := e.PostLogin(context.Background(), ev)
			errs <- err
			if err == nil {
				users <- res.IDTokenClaims["https://example.com/user"]
			}
		}()
	}
	seen := map[any]bool{}
	for range runs {
		require.NoError(t, <-errs)
		seen[<-users] = true
	}
	assert.Len(t, seen, runs, "each run saw its own event")
}

func TestReadingTheAPIIsNotACall(t *testing.T) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  console.log(api);
  api.idToken.setCustomClaim('https://example.com/api', {
    keys: Object.keys(api),
    multifactor: Object.keys(api.multifactor),
    enable: typeof api.multifactor.enable,
    unknown: typeof api.multifactor.disable,
    has_redirect: 'sendUserTo' in api.redirect,
  });
};`
	e, _ := newEngine(t, setup{}, postLogin(code))
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err, "only calling an unemulated method fails the run")
	assert.Equal(t, map[string]any{
		"keys": []any{"cache", "access", "accessToken", "idToken", "user", "rules", "authentication", "multifactor", "prompt",
			"redirect", "refreshToken", "samlResponse", "session", "transaction", "validation"},
		"multifactor":  []any{"enable"},
		"enable":       "function",
		"unknown":      "undefined",
		"has_redirect": true,
	}, res.IDTokenClaims["https://example.com/api"])
}
