package tenant_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

const handler = "exports.onExecutePostLogin = async (event, api) => {};\n"

// TestLoadDeployCLIActions loads actions and triggers as the Deploy CLI exports them: code files
// beside the tenant file, secrets without values, bindings of triggers the emulator does not run.
func TestLoadDeployCLIActions(t *testing.T) {
	fsys := fstest.MapFS{
		"export/tenant.yaml": {Data: []byte(lines(
			"actions:",
			"  - name: add-roles",
			"    code: ./actions/add-roles/code.js",
			"    runtime: node22",
			"    dependencies: []",
			"    deployed: true",
			"    secrets:",
			"      - name: NAMESPACE",
			"        value: https://example.com",
			"      - name: API_KEY",
			"    status: built",
			"    supported_triggers:",
			"      - id: post-login",
			"        version: v3",
			"  - name: on-signup",
			"    code: ./actions/on-signup/code.js",
			"    dependencies:",
			"      - name: axios",
			"        version: 1.7.2",
			"    supported_triggers:",
			"      - id: pre-user-registration",
			"        version: v2",
			"triggers:",
			"  credentials-exchange: []",
			"  post-login:",
			"    - action_name: add-roles",
			"      display_name: Roles",
			"  pre-user-registration:",
			"    - action_name: on-signup",
			"      display_name: On sign-up",
			"  send-phone-message: []",
		))},
		"export/actions/add-roles/code.js": {Data: []byte(handler)},
		"export/actions/on-signup/code.js": {Data: []byte("const axios = require('axios');\n")},
	}
	tn, err := tenant.Load(fsys, "export/tenant.yaml")
	require.NoError(t, err)

	require.Len(t, tn.Actions, 2)
	roles, ok := tn.Action("add-roles")
	require.True(t, ok)
	assert.Equal(t, &tenant.Action{
		Name: "add-roles", File: "export/actions/add-roles/code.js", Code: handler, Runtime: "node22",
		Secrets: []tenant.Secret{
			{Name: "NAMESPACE", Value: "https://example.com", HasValue: true},
			{Name: "API_KEY"},
		},
		SupportedTriggers: []tenant.SupportedTrigger{{ID: "post-login", Version: "v3"}},
		Deployed:          true,
	}, roles)
	assert.Equal(t, map[string]string{"NAMESPACE": "https://example.com"}, roles.SecretValues())

	assert.Equal(t, map[string][]tenant.Binding{
		"post-login":           {{Action: roles, DisplayName: "Roles"}},
		"credentials-exchange": nil,
	}, tn.Bindings, "only the emulated triggers' bindings are kept")
	assert.Equal(t, []string{
		`export/tenant.yaml: action "add-roles": secret API_KEY has no value (the Deploy CLI exports none): event.secrets.API_KEY is undefined`,
		"export/tenant.yaml: triggers not emulated, their Actions will not run: pre-user-registration (1)",
	}, tn.Warnings)
}

func TestLoadQATenantActions(t *testing.T) {
	tn, err := tenant.Load(fixtures.FS, fixtures.QATenant)
	require.NoError(t, err)
	names := func(bs []tenant.Binding) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.Action.Name)
			assert.NotEmpty(t, b.Action.Code, b.Action.Name)
		}
		return out
	}
	assert.Equal(t, []string{"deny-suspended", "add-roles", "add-profile-metadata", "add-support-tier"}, names(tn.Bindings[tenant.TriggerPostLogin]))
	assert.Equal(t, []string{"add-partner-claim"}, names(tn.Bindings[tenant.TriggerCredentialsExchange]))
	m2m, ok := tn.Client("qa-m2m")
	require.True(t, ok)
	assert.Equal(t, map[string]string{"partner_id": "acme-logistics"}, m2m.Metadata)
}

func TestLoadActionErrors(t *testing.T) {
	action := func(name, code, trigger, version string) []string {
		return []string{
			"  - name: " + name,
			"    code: " + code,
			"    supported_triggers:",
			"      - id: " + trigger,
			"        version: " + version,
		}
	}
	files := fstest.MapFS{
		"actions/a/code.js": {Data: []byte(handler)},
		"actions/b/code.js": {Data: []byte(handler)},
	}
	tests := []struct {
		name string
		yaml []string
		want []wantError
	}{
		{
			name: "missing code file",
			yaml: append([]string{"actions:"}, action("a", "./actions/a/missing.js", "post-login", "v3")...),
			want: []wantError{{3, 11, "actions[0].code", []string{"no file actions/a/missing.js", "relative to the tenant file"}}},
		},
		{
			name: "code outside the tenant's directory",
			yaml: append([]string{"actions:"}, action("a", "../secrets/code.js", "post-login", "v3")...),
			want: []wantError{{3, 11, "actions[0].code", []string{`"../secrets/code.js" must be a path inside the tenant file's directory`}}},
		},
		{
			name: "required fields",
			yaml: []string{"actions:", "  - runtime: node22"},
			want: []wantError{
				{2, 5, "actions[0].code", []string{"required: the path of its code file"}},
				{2, 5, "actions[0].name", []string{"required: the Action's name"}},
				{2, 5, "actions[0].supported_triggers", []string{"required: the trigger it is written for"}},
			},
		},
		{
			name: "duplicate names and secrets",
			yaml: append(append([]string{"actions:"}, action("a", "./actions/a/code.js", "post-login", "v3")...),
				"  - name: a", "    code: ./actions/b/code.js", "    supported_triggers: [{id: post-login, version: v3}]",
				"    secrets: [{name: K, value: x}, {name: K, value: y}]"),
			want: []wantError{
				{7, 11, "actions[1].name", []string{`duplicate action name "a"; the first is at line 2`}},
				{10, 43, "actions[1].secrets[1].name", []string{`secret "K" is listed twice`}},
			},
		},
		{
			name: "secret and dependency without names",
			yaml: append(append([]string{"actions:"}, action("a", "./actions/a/code.js", "post-login", "v3")...),
				"    secrets: [{value: x}]", "    dependencies: [{version: 1.0.0}]"),
			want: []wantError{
				{7, 15, "actions[0].secrets[0].name", []string{"required: the secret's name"}},
				{8, 20, "actions[0].dependencies[0].name", []string{"required: the npm package's name"}},
			},
		},
		{
			name: "unknown action field",
			yaml: append(append([]string{"actions:"}, action("a", "./actions/a/code.js", "post-login", "v3")...), "    handler: x"),
			want: []wantError{{7, 5, "actions[0].handler", []string{`unknown action field "handler"`}}},
		},
		{
			name: "binding to an unknown action",
			yaml: append(append([]string{"actions:"}, action("a", "./actions/a/code.js", "post-login", "v3")...),
				"triggers:", "  post-login:", "    - action_name: b"),
			want: []wantError{{9, 20, "triggers.post-login[0].action_name", []string{`no action is named "b"; actions: a`}}},
		},
		{
			name: "binding to a trigger the action is not written for",
			yaml: append(append([]string{"actions:"}, action("a", "./actions/a/code.js", "post-login", "v3")...),
				"triggers:", "  credentials-exchange:", "    - action_name: a"),
			want: []wantError{{9, 20, "triggers.credentials-exchange[0].action_name", []string{`action "a" is not written for credentials-exchange (its supported_triggers: post-login v3)`}}},
		},
		{
			name: "a trigger version not emulated",
			yaml: append(append([]string{"actions:"}, action("a", "./actions/a/code.js", "post-login", "v2")...),
				"triggers:", "  post-login:", "    - action_name: a"),
			want: []wantError{{5, 7, "actions[0].supported_triggers", []string{`action "a" is written for post-login v2`, "it emulates post-login v3"}}},
		},
		{
			name: "an npm dependency of a bound action",
			yaml: append(append([]string{"actions:"}, action("a", "./actions/a/code.js", "post-login", "v3")...),
				"    dependencies:", "      - name: axios", "        version: 1.7.2", "      - name: lodash",
				"triggers:", "  post-login:", "    - action_name: a", "    - action_name: a"),
			want: []wantError{
				{8, 9, "actions[0].dependencies[0]", []string{"npm package axios@1.7.2 cannot be provided", `action "a" is bound to post-login`}},
				{10, 9, "actions[0].dependencies[1]", []string{"npm package lodash cannot be provided"}},
			},
		},
		{
			name: "triggers not a mapping",
			yaml: []string{"triggers: [post-login]"},
			want: []wantError{{1, 11, "triggers", []string{"must be a mapping of trigger ids to their bindings"}}},
		},
		{
			name: "binding without an action name",
			yaml: []string{"triggers:", "  post-login:", "    - display_name: x"},
			want: []wantError{{3, 7, "triggers.post-login[0].action_name", []string{"required: the name of an Action"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"tenant.yaml": {Data: []byte(lines(tt.yaml...))}}
			for name, f := range files {
				fsys[name] = f
			}
			assertErrors(t, fsys, "tenant.yaml", tt.want)
		})
	}
}

func TestLoadTooManyBindings(t *testing.T) {
	yaml := []string{"actions:", "  - name: a", "    code: ./a.js", "    supported_triggers: [{id: post-login, version: v3}]", "triggers:", "  post-login:"}
	for range tenant.MaxBoundActions + 1 {
		yaml = append(yaml, "    - action_name: a")
	}
	assertErrors(t, fstest.MapFS{"tenant.yaml": {Data: []byte(lines(yaml...))}, "a.js": {Data: []byte(handler)}}, "tenant.yaml",
		[]wantError{{6, 3, "triggers.post-login", []string{"21 Actions are bound; Auth0 allows at most 20"}}})
}
