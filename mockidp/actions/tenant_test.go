package actions

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// loadTenant loads a tenant file whose post-login binds the given Actions, in order, each from
// actions/<name>/code.js beside it, as the Deploy CLI exports them.
func loadTenant(t *testing.T, codes ...[2]string) *tenant.Tenant {
	t.Helper()
	fsys := fstest.MapFS{}
	doc := []string{"actions:"}
	bindings := []string{"triggers:", "  post-login:"}
	for _, nc := range codes {
		name, code := nc[0], nc[1]
		fsys["qa/actions/"+name+"/code.js"] = &fstest.MapFile{Data: []byte(code)}
		doc = append(doc, "  - name: "+name, "    code: ./actions/"+name+"/code.js",
			"    secrets: [{name: PREFIX, value: secret-}]",
			"    supported_triggers: [{id: post-login, version: v3}]")
		bindings = append(bindings, "    - action_name: "+name)
	}
	fsys["qa/tenant.yaml"] = &fstest.MapFile{Data: []byte(strings.Join(append(doc, bindings...), "\n") + "\n")}
	tn, err := tenant.Load(fsys, "qa/tenant.yaml")
	require.NoError(t, err)
	return tn
}

func TestForTenant(t *testing.T) {
	tn := loadTenant(t,
		[2]string{"first", "exports.onExecutePostLogin = async (event, api) => {\n  api.accessToken.setCustomClaim('https://example.com/a', event.secrets.PREFIX + 'a');\n};\n"},
		[2]string{"second", "exports.onExecutePostLogin = async (event, api) => {\n  api.accessToken.setCustomClaim('sub', 'x');\n  api.accessToken.setCustomClaim('https://example.com/b', 'b');\n};\n"},
	)
	e, err := ForTenant(tn, Config{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	res, err := e.PostLogin(context.Background(), aliceLogin())
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"https://example.com/a": "secret-a", "https://example.com/b": "b"}, res.AccessTokenClaims,
		"the tenant's secrets reach the Action, and its reserved claims are refused")
	require.Len(t, res.Executions, 2)
	assert.Equal(t, "first", res.Executions[0].Action)
	assert.Equal(t, "second", res.Executions[1].Action)
}

func TestForTenantErrors(t *testing.T) {
	tests := []struct {
		name  string
		codes [][2]string
		want  []string
	}{
		{
			name: "syntax errors in two files, each at its position",
			codes: [][2]string{
				{"a", "exports.onExecutePostLogin = async (event, api) => {\n  const x = ;\n};\n"},
				{"ok", "exports.onExecutePostLogin = async () => {};\n"},
				{"b", "exports.onExecutePostLogin = async (event, api) => {\n  if (x) {\n};\n"},
			},
			want: []string{
				`qa/actions/a/code.js:2:13: action "a": SyntaxError: Unexpected token ;`,
				`qa/actions/b/code.js:4:1: action "b": SyntaxError: Unexpected end of input`,
			},
		},
		{
			name:  "module without the handler",
			codes: [][2]string{{"wrong", "exports.onExecuteCredentialsExchange = async () => {};\n"}},
			want:  []string{`qa/actions/wrong/code.js: action "wrong" (post-login): the module does not export onExecutePostLogin, which the post-login trigger calls`},
		},
		{
			name:  "module that throws while loading",
			codes: [][2]string{{"throws", "const config = undefined;\nconst url = config.url;\nexports.onExecutePostLogin = async () => {};\n"}},
			want:  []string{`qa/actions/throws/code.js:2:20: action "throws" (post-login): TypeError: Cannot read property 'url' of undefined`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ForTenant(loadTenant(t, tt.codes...), Config{Logger: slog.New(slog.DiscardHandler)})
			assert.Nil(t, e)
			var errs tenant.Errors
			require.True(t, errors.As(err, &errs), "want tenant.Errors, got %T: %v", err, err)
			got := make([]string, len(errs))
			for i, e := range errs {
				got[i] = e.Error()
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestForTenantRefusesTriggers(t *testing.T) {
	_, err := ForTenant(loadTenant(t), Config{Logger: slog.New(slog.DiscardHandler), Triggers: map[Trigger][]*Compiled{TriggerPostLogin: nil}})
	require.ErrorContains(t, err, "leave Config.Triggers empty")
}
