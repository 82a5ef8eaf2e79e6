package actions

import (
	"errors"
	"fmt"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// ForTenant compiles the Actions bound to the tenant's triggers and builds the Engine that runs
// them, with cfg's Timeout, Logger and Now; cfg.Triggers must be empty, and cfg.ReservedClaim
// defaults to tenant.CheckClaim. Actions no emulated trigger binds are not compiled: they never
// run here.
//
// A problem in an Action's code (a syntax error, a module that throws while loading or does not
// export its handler) is returned as tenant.Errors positioned in the code file, as the tenant
// file's own problems are.
func ForTenant(t *tenant.Tenant, cfg Config) (*Engine, error) {
	if len(cfg.Triggers) > 0 {
		return nil, errors.New("actions: ForTenant takes the triggers from the tenant; leave Config.Triggers empty")
	}
	if cfg.ReservedClaim == nil {
		cfg.ReservedClaim = func(name string) (string, bool) {
			if err := tenant.CheckClaim(name); err != nil {
				return err.Error(), true
			}
			return "", false
		}
	}
	compiled := map[*tenant.Action]*Compiled{}
	var errs tenant.Errors
	cfg.Triggers = map[Trigger][]*Compiled{}
	for _, trigger := range []Trigger{TriggerPostLogin, TriggerCredentialsExchange} {
		for _, b := range t.Bindings[string(trigger)] {
			c, seen := compiled[b.Action]
			if !seen {
				var err error
				if c, err = compileAction(b.Action); err != nil {
					errs = append(errs, codeError(b.Action, err))
				}
				compiled[b.Action] = c
			}
			cfg.Triggers[trigger] = append(cfg.Triggers[trigger], c)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	e, err := New(cfg)
	if ae, ok := errors.AsType[*ActionError](err); ok {
		a, _ := t.Action(ae.Action)
		return nil, tenant.Errors{codeError(a, err)}
	}
	return e, err
}

func compileAction(a *tenant.Action) (*Compiled, error) {
	deps := make([]Dependency, len(a.Dependencies))
	for i, d := range a.Dependencies {
		deps[i] = Dependency{Name: d.Name, Version: d.Version}
	}
	return Compile(Action{Name: a.Name, File: a.File, Code: a.Code, Dependencies: deps, Secrets: a.SecretValues()})
}

// codeError places a problem with an Action's code in its code file.
func codeError(a *tenant.Action, err error) *tenant.Error {
	e := &tenant.Error{File: a.File, Msg: err.Error()}
	var se *SyntaxError
	var ae *ActionError
	switch {
	case errors.As(err, &se):
		e.Line, e.Column = se.Line, se.Column
		e.Msg = fmt.Sprintf("action %q: SyntaxError: %s", a.Name, se.Message)
	case errors.As(err, &ae):
		e.Line, e.Column = ae.Line, ae.Column
		e.Msg = fmt.Sprintf("action %q (%s): %s", a.Name, ae.Trigger, ae.Message)
	}
	return e
}
