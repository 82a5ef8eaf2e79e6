package actions

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFailingActions(t *testing.T) {
	tests := []struct {
		name  string
		code  string
		deps  []Dependency
		cause error
		// want is the whole error text: it names the Action, the position and the message.
		want string
	}{
		{
			name: "throws in an async handler",
			code: "exports.onExecutePostLogin = async (event, api) => {\n  const plan = event.user.app_metadata.plan;\n  throw new Error(`no access for ${plan}`);\n};",
			want: `action "failing" (post-login) failed at failing.js:3:9: Error: no access for gold`,
		},
		{
			name: "throws in a synchronous handler",
			code: "exports.onExecutePostLogin = (event, api) => {\n  const org = event.organization;\n  return org.name;\n};",
			want: `action "failing" (post-login) failed at failing.js:3:14: TypeError: Cannot read property 'name' of undefined`,
		},
		{
			name: "throws on the first line",
			code: "exports.onExecutePostLogin = async () => { throw new RangeError('first line'); };",
			want: `action "failing" (post-login) failed at failing.js:1:50: RangeError: first line`,
		},
		{
			name: "throws in a function it calls after an await",
			code: "function check(user) {\n  if (!user.email_verified) {\n    throw new Error('unverified');\n  }\n}\nexports.onExecutePostLogin = async (event) => {\n  await null;\n  check({ email_verified: false });\n};",
			want: `action "failing" (post-login) failed at failing.js:3:11: Error: unverified`,
		},
		{
			name: "throws a string",
			code: "exports.onExecutePostLogin = async () => {\n  throw 'plain string';\n};",
			want: `action "failing" (post-login) failed: plain string`,
		},
		{
			name: "rejects with an object whose toString throws",
			code: "exports.onExecutePostLogin = () => Promise.reject({ toString() { throw new Error('no'); } });",
			want: `action "failing" (post-login) failed: an exception that cannot be printed`,
		},
		{
			name:  "a promise that never settles",
			code:  "exports.onExecutePostLogin = async (event, api) => {\n  await new Promise(() => {});\n  api.idToken.setCustomClaim('https://example.com/x', 1);\n};",
			cause: ErrNotSettled,
			want:  `action "failing" (post-login) failed: the handler's promise never settled: nothing is left to run that could settle the promise onExecutePostLogin returned (the emulator has no timers or I/O)`,
		},
		{
			name: "waits on a timer the emulator does not have",
			code: "exports.onExecutePostLogin = async () => {\n  await new Promise((resolve) => setTimeout(resolve, 10));\n};",
			want: `action "failing" (post-login) failed at failing.js:2:44: ReferenceError: setTimeout is not defined`,
		},
		{
			name:  "requires a declared npm package",
			code:  "const axios = require('axios');\nexports.onExecutePostLogin = async () => {};",
			deps:  []Dependency{{Name: "axios", Version: "1.6.0"}},
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:1:22: npm package 'axios' is not available offline`,
		},
		{
			name:  "requires a declared scoped package's subpath inside the handler",
			code:  "exports.onExecutePostLogin = async () => {\n  const { ManagementClient } = require('@auth0/auth0/dist/management');\n};",
			deps:  []Dependency{{Name: "@auth0/auth0", Version: "4.0.0"}},
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:2:39: npm package '@auth0/auth0' is not available offline`,
		},
		{
			name:  "catches the failed require of an npm package and carries on",
			code:  "exports.onExecutePostLogin = async (event, api) => {\n  let axios;\n  try { axios = require('axios'); } catch (e) { axios = null; }\n};",
			deps:  []Dependency{{Name: "axios", Version: "1.6.0"}},
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:3:24: npm package 'axios' is not available offline`,
		},
		{
			name:  "requires a Node.js built-in",
			code:  "const crypto = require('node:crypto');\nexports.onExecutePostLogin = async () => {};",
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:1:23: Node.js module 'node:crypto' is not emulated`,
		},
		{
			name:  "requires a Node.js built-in's subpath",
			code:  "exports.onExecutePostLogin = async () => {\n  require('fs/promises');\n};",
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:2:10: Node.js module 'fs/promises' is not emulated`,
		},
		{
			name: "requires an undeclared module",
			code: "exports.onExecutePostLogin = async () => {\n  require('left-pad');\n};",
			want: `action "failing" (post-login) failed at failing.js:2:10: Error: Cannot find module 'left-pad'`,
		},
		{
			name:  "calls api.multifactor.enable",
			code:  "exports.onExecutePostLogin = async (event, api) => {\n  if (event.user.email_verified) {\n    api.multifactor.enable('any');\n  }\n};",
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:3:27: not emulated: api.multifactor.enable`,
		},
		{
			name:  "catches the exception of api.redirect.sendUserTo",
			code:  "exports.onExecutePostLogin = async (event, api) => {\n  try {\n    api.redirect.sendUserTo('https://example.com/consent');\n  } catch (e) {}\n};",
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:3:28: not emulated: api.redirect.sendUserTo`,
		},
		{
			name:  "calls api.authentication.challengeWith",
			code:  "exports.onExecutePostLogin = async (event, api) => { api.authentication.challengeWith({ type: 'otp' }); };",
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:1:86: not emulated: api.authentication.challengeWith`,
		},
		{
			name:  "calls api.session.revoke",
			code:  "exports.onExecutePostLogin = async (event, api) => { api.session.revoke('bye'); };",
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:1:72: not emulated: api.session.revoke`,
		},
		{
			name:  "calls api.samlResponse.setAttribute",
			code:  "exports.onExecutePostLogin = async (event, api) => { api.samlResponse.setAttribute('a', 'b'); };",
			cause: ErrNotEmulated,
			want:  `action "failing" (post-login) failed at failing.js:1:83: not emulated: api.samlResponse.setAttribute`,
		},
		{
			name: "calls an api method Auth0 does not have",
			code: "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setClaim('x', 1);\n};",
			want: `action "failing" (post-login) failed at failing.js:2:23: TypeError: Object has no member 'setClaim'`,
		},
		{
			name: "sets a claim with a name that is not a string",
			code: "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim(42, 1);\n};",
			want: `action "failing" (post-login) failed at failing.js:2:29: TypeError: api.idToken.setCustomClaim: name must be a string`,
		},
		{
			name: "sets a claim JSON cannot carry",
			code: "exports.onExecutePostLogin = async (event, api) => {\n  const a = {}; a.self = a;\n  api.idToken.setCustomClaim('https://example.com/a', a);\n};",
			want: `action "failing" (post-login) failed at failing.js:3:29: TypeError: Converting circular structure to JSON`,
		},
		{
			name: "recurses without end",
			code: "function down(n) {\n  return down(n + 1) + 1;\n}\nexports.onExecutePostLogin = async () => { down(0); };",
			want: `action "failing" (post-login) failed at failing.js:2:14: RangeError: Maximum call stack size exceeded`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerPostLogin: {{Name: "failing", Code: tc.code, Dependencies: tc.deps}}})
			res, err := e.PostLogin(context.Background(), aliceLogin())
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			var ae *ActionError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "failing", ae.Action)
			if tc.cause != nil {
				assert.ErrorIs(t, err, tc.cause)
			} else {
				assert.NoError(t, ae.Err, "an exception the Action threw has no cause of the engine's")
			}
			require.NotNil(t, res)
			require.Len(t, res.Executions, 1)
			assert.Equal(t, OutcomeFailed, res.Executions[0].Outcome)
			assert.Equal(t, tc.want, res.Executions[0].Error)
		})
	}
}

func TestCredentialsExchangeDenyRefusesUnknownCodes(t *testing.T) {
	code := "exports.onExecuteCredentialsExchange = async (event, api) => {\n  api.access.deny('access_denied', 'no');\n};"
	e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerCredentialsExchange: {{Name: "deny", Code: code}}})
	res, err := e.CredentialsExchange(context.Background(), m2mExchange())
	require.Error(t, err)
	assert.Equal(t, `action "deny" (credentials-exchange) failed at deny.js:2:18: Error: api.access.deny: code must be one of ["invalid_scope" "invalid_request" "server_error"], not "access_denied"`, err.Error())
	assert.Nil(t, res.Denied)
}

func TestFailureStopsTheActionsAfterIt(t *testing.T) {
	e, _ := newEngine(t, setup{}, map[Trigger][]Action{TriggerPostLogin: {
		{Name: "first", Code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/a', 1); };"},
		{Name: "second", Code: "exports.onExecutePostLogin = async () => { throw new Error('second'); };"},
		{Name: "third", Code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/c', 1); };"},
	}})
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.ErrorContains(t, err, `action "second"`)
	require.Len(t, res.Executions, 2)
	assert.Equal(t, OutcomeSuccess, res.Executions[0].Outcome)
	assert.Equal(t, OutcomeFailed, res.Executions[1].Outcome)
	assert.NotContains(t, res.IDTokenClaims, "https://example.com/c")
}

func TestTimeLimit(t *testing.T) {
	tests := []struct {
		name string
		code string
		want string
	}{
		{"an empty endless loop", "exports.onExecutePostLogin = async () => {\n  while (true) {}\n};", ""},
		{"an endless loop with a body", "exports.onExecutePostLogin = async () => {\n  let i = 0;\n  while (true) { i++; }\n};",
			`action "slow" (post-login) failed at slow.js:3:18: the trigger's time limit was exceeded (50ms)`},
		{"an endless loop after an await", "exports.onExecutePostLogin = async () => {\n  await Promise.resolve();\n  for (let i = 0; ; i++) { Math.sqrt(i); }\n};",
			`action "slow" (post-login) failed at slow.js:3:`},
		{"an endless loop in a getter the engine reads", "exports.onExecutePostLogin = async () => {\n  throw { get stack() { for (;;) {} } };\n};", ""},
		{"an endless loop in what a claim serialises", "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('https://example.com/x', { toJSON() { let i = 0; for (;;) { i++; } } });\n};", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, setup{timeout: 50 * time.Millisecond}, map[Trigger][]Action{TriggerPostLogin: {{Name: "slow", Code: tc.code}}})
			start := time.Now()
			res, err := e.PostLogin(context.Background(), aliceLogin())
			require.ErrorIs(t, err, ErrTimeLimit)
			assert.Less(t, time.Since(start), 5*time.Second, "the limit holds")
			assert.Contains(t, err.Error(), `action "slow" (post-login) failed`)
			assert.Contains(t, err.Error(), tc.want)
			require.Len(t, res.Executions, 1)
			assert.Equal(t, OutcomeFailed, res.Executions[0].Outcome)
		})
	}
}

func TestTimeLimitCoversTheWholeTrigger(t *testing.T) {
	busy := "exports.onExecutePostLogin = async () => {\n  const until = Date.now() + 600;\n  let i = 0;\n  while (Date.now() < until) { i++; }\n};"
	e, _ := newEngine(t, setup{timeout: time.Second}, map[Trigger][]Action{TriggerPostLogin: {
		{Name: "one", Code: busy}, {Name: "two", Code: busy}, {Name: "three", Code: busy},
	}})
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.ErrorIs(t, err, ErrTimeLimit, "three 600 ms Actions do not fit in one second; the margins are wide so that a loaded machine still runs the first to its end")
	var ae *ActionError
	require.ErrorAs(t, err, &ae)
	assert.NotEqual(t, "one", ae.Action)
	assert.Equal(t, OutcomeSuccess, res.Executions[0].Outcome)
}

func TestCancelledContextStopsTheRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e, _ := newEngine(t, setup{}, postLogin("exports.onExecutePostLogin = async () => {};"))
	res, err := e.PostLogin(ctx, aliceLogin())
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, `action "action" (post-login) failed: context canceled`, err.Error())
	assert.Equal(t, OutcomeFailed, res.Executions[0].Outcome)
	assert.False(t, errors.Is(err, ErrTimeLimit))
}

func TestTimeLimitLeaksNoGoroutines(t *testing.T) {
	e, _ := newEngine(t, setup{timeout: 5 * time.Millisecond}, postLogin("exports.onExecutePostLogin = async () => { while(true){} };"))
	before := runtime.NumGoroutine()
	for range 100 {
		_, err := e.PostLogin(context.Background(), aliceLogin())
		require.ErrorIs(t, err, ErrTimeLimit)
	}
	// The timers' goroutines have signalled the runs; give them the scheduler to exit.
	after := runtime.NumGoroutine()
	for i := 0; i < 1000 && after > before; i++ {
		runtime.Gosched()
		after = runtime.NumGoroutine()
	}
	assert.LessOrEqual(t, after, before, "goroutines before %d, after %d", before, after)
}

func TestMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 runs")
	}
	code := `exports.onExecutePostLogin = async (event, api) => {
  const big = new Array(1000).fill(event.user.email);
  console.log('login', event.user.user_id, big.length);
  api.idToken.setCustomClaim('https://example.com/roles', event.authorization.roles);
  api.user.setAppMetadata('visits', event.stats.logins_count + 1);
  api.cache.set('last', event.user.user_id);
};`
	e, _ := newEngine(t, setup{quiet: true}, postLogin(code))
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	run := func(n int) {
		for range n {
			_, err := e.PostLogin(context.Background(), aliceLogin())
			require.NoError(t, err)
		}
	}
	run(50)
	before := heap()
	run(1000)
	after := heap()
	growth := int64(after) - int64(before)
	t.Logf("heap before %d, after %d, growth %d bytes", before, after, growth)
	assert.Less(t, growth, int64(1<<20), "1,000 runs keep no runtime alive")
}

func TestNPMPackage(t *testing.T) {
	for spec, want := range map[string]string{
		"axios":             "axios",
		"lodash/get":        "lodash",
		"@auth0/auth0":      "@auth0/auth0",
		"@scope/pkg/sub/x":  "@scope/pkg",
		"@scope":            "@scope",
		"fs/promises":       "fs",
		"":                  "",
		"./local-file":      ".",
		"jsonwebtoken/sign": "jsonwebtoken",
	} {
		assert.Equal(t, want, npmPackage(spec), spec)
	}
}
