package tenant

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The triggers the emulator runs Actions for, each with the one version of its event and api
// objects it emulates: Auth0's current ones
// (https://auth0.com/docs/customize/actions/explore-triggers).
const (
	TriggerPostLogin           = "post-login"
	TriggerCredentialsExchange = "credentials-exchange"
)

var emulatedTriggers = map[string]string{TriggerPostLogin: "v3", TriggerCredentialsExchange: "v2"}

// TriggerVersion is the version of an emulated trigger; ok is false for a trigger the emulator
// does not run.
func TriggerVersion(trigger string) (version string, ok bool) {
	version, ok = emulatedTriggers[trigger]
	return version, ok
}

// Auth0's limits on Actions (https://auth0.com/docs/customize/actions/limitations).
const (
	// MaxActionCode is the largest code file of an Action: 100 kB.
	MaxActionCode = 100 * 1000
	// MaxBoundActions is the most Actions one trigger may have bound.
	MaxBoundActions = 20
)

// Action is an `actions:` item as the Auth0 Deploy CLI exports it, with its code read from the
// file it names.
type Action struct {
	Name string
	// File is the code file's path in the tenant's file system: the item's `code`, which is
	// relative to the tenant file, joined to the tenant file's directory.
	File string
	// Code is the file's text: a CommonJS module exporting the trigger's handler.
	Code              string
	Runtime           string
	Dependencies      []Dependency
	Secrets           []Secret
	SupportedTriggers []SupportedTrigger
	Deployed          bool
}

// Dependency is an npm package an Action declares.
type Dependency struct {
	Name    string
	Version string
}

// Secret is one of an Action's secrets. The Deploy CLI cannot export a secret's value (the
// Management API never returns one), so Value may be missing: HasValue says whether it is set.
type Secret struct {
	Name     string
	Value    string
	HasValue bool
}

// SupportedTrigger is a trigger an Action is written for, with the version of its API.
type SupportedTrigger struct {
	ID      string
	Version string
}

// Binding is an Action bound to a trigger (`triggers:`), in the order the trigger runs them.
type Binding struct {
	Action      *Action
	DisplayName string
}

// Supports reports whether the Action is written for the trigger, and for which version.
func (a *Action) Supports(trigger string) (version string, ok bool) {
	for _, st := range a.SupportedTriggers {
		if st.ID == trigger {
			return st.Version, true
		}
	}
	return "", false
}

// SecretValues are the secrets that have a value, by name: an Action's event.secrets.
func (a *Action) SecretValues() map[string]string {
	m := make(map[string]string, len(a.Secrets))
	for _, s := range a.Secrets {
		if s.HasValue {
			m[s.Name] = s.Value
		}
	}
	return m
}

var (
	actionSchema = newSchema("action",
		[]string{"name", "code", "runtime", "dependencies", "secrets", "supported_triggers", "deployed"},
		// The code file is the loader's to read; PrepareAction checks the rest.
		map[string]string{"code": "the path of its code file, relative to the tenant file, like ./actions/my-action/code.js"},
		"id", "status", "all_changes_deployed", "created_at", "updated_at", "modules", "current_version",
		"deployed_version", "installed_integration_id", "integration")
	dependencySchema       = newSchema("dependency", []string{"name", "version"}, nil, "registry_url")
	secretSchema           = newSchema("secret", []string{"name", "value"}, nil, "updated_at")
	supportedTriggerSchema = newSchema("supported trigger", []string{"id", "version"},
		map[string]string{"id": "the trigger, like post-login", "version": "the trigger's version, like v3"},
		"url", "status", "runtimes", "default_runtime", "compatible_triggers", "binding_policy")
	bindingSchema = newSchema("binding", []string{"action_name", "display_name"},
		map[string]string{"action_name": "the name of an Action in actions:"}, "id", "ref", "trigger_id", "created_at", "updated_at")
)

// action decodes one `actions:` item and reads its code file.
func (l *loader) action(f field) {
	a := &Action{}
	l.begin(f, a)
	var codeField field
	l.fields(f, actionSchema, func(g field) {
		switch g.key {
		case "name":
			l.name(g, &a.Name)
		case "code":
			if l.str(g, &a.File) {
				codeField = g
			}
		case "runtime":
			l.str(g, &a.Runtime)
		case "dependencies":
			l.items(g, "npm packages ({name, version})", func(h field) {
				var d Dependency
				l.fields(h, dependencySchema, func(k field) {
					switch k.key {
					case "name":
						l.name(k, &d.Name)
					case "version":
						l.str(k, &d.Version)
					}
				})
				a.Dependencies = append(a.Dependencies, d)
			})
		case "secrets":
			l.items(g, "secrets ({name, value})", func(h field) {
				var s Secret
				l.fields(h, secretSchema, func(k field) {
					switch k.key {
					case "name":
						l.name(k, &s.Name)
					case "value":
						s.HasValue = l.str(k, &s.Value)
					}
				})
				a.Secrets = append(a.Secrets, s)
			})
		case "supported_triggers":
			l.items(g, "triggers ({id, version})", func(h field) {
				var st SupportedTrigger
				l.fields(h, supportedTriggerSchema, func(k field) {
					switch k.key {
					case "id":
						l.name(k, &st.ID)
					case "version":
						l.name(k, &st.Version)
					}
				})
				a.SupportedTriggers = append(a.SupportedTriggers, st)
			})
		case "deployed":
			l.boolean(g, &a.Deployed)
		}
	})
	if codeField.node != nil {
		a.File, a.Code = l.actionCode(codeField, a.File)
	}
	l.place(l.t.PrepareAction(a))
	for _, s := range a.Secrets {
		if s.Name != "" && !s.HasValue {
			l.t.Warnings = append(l.t.Warnings, fmt.Sprintf("%s: action %q: secret %s has no value (the Deploy CLI exports none): event.secrets.%s is undefined",
				l.file, a.Name, s.Name, s.Name))
		}
	}
	if a.Name != "" {
		l.t.AddAction(a)
	}
}

// actionCode reads an Action's code file, named relative to the tenant file as the Deploy CLI
// writes it (./actions/<name>/code.js). It returns the file's path in fsys and its text.
func (l *loader) actionCode(f field, name string) (string, string) {
	if name == "" {
		return "", ""
	}
	p := path.Join(path.Dir(l.file), name)
	if path.IsAbs(name) || !fs.ValidPath(p) {
		l.errorf(f.node, f.path, "%q must be a path inside the tenant file's directory, like ./actions/my-action/code.js", name)
		return "", ""
	}
	data, err := readFile(l.fsys, p, MaxActionCode)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.errorf(f.node, f.path, "no file %s: the code file is read relative to the tenant file", p)
		return p, ""
	case err != nil:
		l.errorf(f.node, f.path, "the code file cannot be read: %v (Auth0 allows %d bytes of code)", err, MaxActionCode)
		return p, ""
	}
	return p, string(data)
}

// PrepareAction checks an Action against the tenant: a unique name, named secrets that are not
// repeated, and named supported triggers.
func (t *Tenant) PrepareAction(a *Action) FieldErrors {
	var errs FieldErrors
	if errs.key("name", a.Name, "the Action's name, which triggers bind it by") {
		if other, dup := t.actionsByName[a.Name]; dup && other != a {
			errs.add("name", "duplicate action name %q%s", a.Name, t.firstAt(other, "name"))
		}
	}
	seen := map[string]bool{}
	for i, s := range a.Secrets {
		field := fmt.Sprintf("secrets[%d]", i)
		switch {
		case s.Name == "":
			errs.require(field+".name", "the secret's name")
		case seen[s.Name]:
			errs.add(field+".name", "secret %q is listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	if len(a.SupportedTriggers) == 0 {
		errs.require("supported_triggers", "the trigger it is written for, like [{id: post-login, version: v3}]")
	}
	for i, d := range a.Dependencies {
		if d.Name == "" {
			errs.require(fmt.Sprintf("dependencies[%d].name", i), "the npm package's name")
		}
	}
	return errs
}

// AddAction appends an Action, which PrepareAction has passed, and indexes it by name.
func (t *Tenant) AddAction(a *Action) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	t.Actions = append(t.Actions, a)
	indexBy(t.actionsByName, a.Name, a)
}

// Action looks an Action up by name.
func (t *Tenant) Action(name string) (*Action, bool) {
	a, ok := t.actionsByName[name]
	return a, ok
}

// triggers decodes `triggers:`, a mapping of trigger ids to their bindings, which name Actions
// of `actions:`. Bindings of a trigger the emulator does not run are kept out with a warning: an
// exported tenant has them for flows the emulator lacks (sign-up, password change, MFA
// messages), which no login here reaches. A binding the emulator would run must be one it can
// run as Auth0 does: an Action written for that trigger at the emulated version, needing no npm
// package.
func (l *loader) triggers(f field) {
	if f.absent() {
		return
	}
	if f.node.Kind != yaml.MappingNode {
		l.errorf(f.node, f.path, "must be a mapping of trigger ids to their bindings, like post-login: [{action_name: my-action}], got %s", describe(f.node))
		return
	}
	var skipped []string
	for i := 0; i+1 < len(f.node.Content); i += 2 {
		k, v := f.node.Content[i], deref(f.node.Content[i+1])
		if !l.visit(k, f.path) {
			return
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			l.keyErrorf(k, f.path, "keys must be trigger ids like post-login, got %s", describe(k))
			continue
		}
		trigger := field{key: k.Value, path: join(f.path, k.Value), node: v}
		if _, dup := l.t.Bindings[trigger.key]; dup {
			l.keyErrorf(k, trigger.path, "duplicate trigger")
			continue
		}
		bindings := l.bindings(trigger)
		if _, emulated := TriggerVersion(trigger.key); !emulated {
			if len(bindings) > 0 {
				skipped = append(skipped, fmt.Sprintf("%s (%d)", trigger.key, len(bindings)))
			}
			continue
		}
		if len(bindings) > MaxBoundActions {
			l.errorf(k, trigger.path, "%d Actions are bound; Auth0 allows at most %d", len(bindings), MaxBoundActions)
		}
		l.t.Bindings[trigger.key] = bindings
	}
	if len(skipped) > 0 {
		l.t.Warnings = append(l.t.Warnings, fmt.Sprintf("%s: triggers not emulated, their Actions will not run: %s", l.file, strings.Join(skipped, ", ")))
	}
}

// bindings decodes the bindings of one trigger, checking each against its Action when the
// emulator runs the trigger.
func (l *loader) bindings(f field) []Binding {
	var out []Binding
	version, emulated := TriggerVersion(f.key)
	l.items(f, "bindings ({action_name, display_name})", func(g field) {
		var b Binding
		var name string
		var nameNode *yaml.Node
		l.fields(g, bindingSchema, func(h field) {
			switch h.key {
			case "action_name":
				if l.name(h, &name) {
					nameNode = h.node
				}
			case "display_name":
				l.str(h, &b.DisplayName)
			}
		})
		if nameNode == nil {
			return
		}
		a, ok := l.t.Action(name)
		if !ok {
			l.errorf(nameNode, join(g.path, "action_name"), "no action is named %q; actions: %s", name, l.t.actionList())
			return
		}
		b.Action = a
		out = append(out, b)
		if emulated {
			l.checkRunnable(a, f.key, version, nameNode, join(g.path, "action_name"))
		}
	})
	return out
}

// checkRunnable reports what keeps the emulator from running a bound Action as Auth0 would.
func (l *loader) checkRunnable(a *Action, trigger, version string, n *yaml.Node, path string) {
	got, ok := a.Supports(trigger)
	switch {
	case !ok:
		l.errorf(n, path, "action %q is not written for %s (its supported_triggers: %s); Auth0 binds an Action only to a trigger it supports",
			a.Name, trigger, supportedList(a))
	case got != version:
		l.errorf(l.actionNode(a, "supported_triggers"), l.actionPath(a, "supported_triggers"),
			"action %q is written for %s %s, which the emulator does not run: it emulates %s %s, Auth0's current version; update the Action to it",
			a.Name, trigger, got, trigger, version)
	}
	for i, d := range a.Dependencies {
		field := fmt.Sprintf("dependencies[%d]", i)
		if l.refused[l.actionPath(a, field)] {
			continue // reported for another binding
		}
		l.errorf(l.actionNode(a, field), l.actionPath(a, field),
			"npm package %s cannot be provided: the emulator runs Actions offline, with no npm packages; action %q is bound to %s",
			strings.TrimSuffix(d.Name+"@"+d.Version, "@"), a.Name, trigger)
	}
}

// actionNode is where the file defines a field of an Action; actionPath is its path.
func (l *loader) actionNode(a *Action, field string) *yaml.Node {
	it := l.decoded[a]
	return it.at(join(it.path, field))
}

func (l *loader) actionPath(a *Action, field string) string {
	return join(l.decoded[a].path, field)
}

func supportedList(a *Action) string {
	var ids []string
	for _, st := range a.SupportedTriggers {
		ids = append(ids, st.ID+" "+st.Version)
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func (t *Tenant) actionList() string {
	names := slices.Sorted(maps.Keys(t.actionsByName))
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
