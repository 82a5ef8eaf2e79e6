package actions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Trigger names an Actions trigger as the Deploy CLI's triggers section and the Management API do.
type Trigger string

const (
	TriggerPostLogin           Trigger = tenant.TriggerPostLogin
	TriggerCredentialsExchange Trigger = tenant.TriggerCredentialsExchange
)

// Version is the trigger version whose event and api objects the engine emulates.
func (t Trigger) Version() string {
	v, _ := tenant.TriggerVersion(string(t))
	return v
}

// handler is the name the trigger calls on an Action's exports.
func (t Trigger) handler() string {
	switch t {
	case TriggerPostLogin:
		return "onExecutePostLogin"
	case TriggerCredentialsExchange:
		return "onExecuteCredentialsExchange"
	}
	return ""
}

const (
	// DefaultTimeout is Auth0's limit on one execution of a trigger: "Each execution of a
	// trigger must complete in 20 seconds or less"
	// (https://auth0.com/docs/customize/actions/limitations).
	DefaultTimeout = 20 * time.Second
	// MaxBoundActions is Auth0's limit on the Actions bound to one trigger (same page).
	MaxBoundActions = tenant.MaxBoundActions
	// maxCallStackSize stops runaway recursion long before it exhausts memory; Node.js's own
	// default stack holds about ten thousand frames.
	maxCallStackSize = 10000
)

// Config configures an Engine.
type Config struct {
	// Triggers lists, per trigger, the Actions bound to it in the order they run.
	Triggers map[Trigger][]*Compiled
	// Timeout bounds one execution of a trigger, all its Actions together; DefaultTimeout when 0.
	Timeout time.Duration
	// Logger receives the Actions' console output and the claims the engine refuses, each
	// record carrying the Action's name.
	Logger *slog.Logger
	// ReservedClaim says whether a custom claim name is one Auth0 refuses, and why. Auth0 drops
	// such a claim and logs an error, and so does the engine. Required: the tenant package owns
	// the list.
	ReservedClaim func(name string) (reason string, reserved bool)
	// Now is the clock for api.cache lifetimes and the Actions' Date; time.Now when nil.
	Now func() time.Time
}

// Engine runs a tenant's Actions. It is safe for concurrent use; runs share nothing but each
// trigger's api.cache.
type Engine struct {
	triggers      map[Trigger][]*Compiled
	timeout       time.Duration
	logger        *slog.Logger
	reservedClaim func(string) (string, bool)
	now           func() time.Time
	caches        map[Trigger]*cache
}

// New checks the configuration and that every bound Action exports its trigger's handler.
func New(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		return nil, errors.New("actions: Config.Logger is required; use slog.New(slog.DiscardHandler) to drop the Actions' logs")
	}
	if cfg.ReservedClaim == nil {
		return nil, errors.New("actions: Config.ReservedClaim is required: the tenant's list of restricted claim names")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("actions: Config.Timeout is %s; use 0 for Auth0's %s", cfg.Timeout, DefaultTimeout)
	}
	e := &Engine{
		triggers:      make(map[Trigger][]*Compiled, len(cfg.Triggers)),
		timeout:       cfg.Timeout,
		logger:        cfg.Logger,
		reservedClaim: cfg.ReservedClaim,
		now:           cfg.Now,
		caches:        make(map[Trigger]*cache, len(cfg.Triggers)),
	}
	if e.timeout == 0 {
		e.timeout = DefaultTimeout
	}
	if e.now == nil {
		e.now = time.Now
	}
	for t, bound := range cfg.Triggers {
		if t.handler() == "" {
			return nil, fmt.Errorf("actions: trigger %q is not emulated; use %q or %q", t, TriggerPostLogin, TriggerCredentialsExchange)
		}
		if len(bound) > MaxBoundActions {
			return nil, fmt.Errorf("actions: %d Actions bound to %s; Auth0 allows at most %d", len(bound), t, MaxBoundActions)
		}
		for i, c := range bound {
			if c == nil {
				return nil, fmt.Errorf("actions: %s binding %d is nil", t, i)
			}
			if err := e.checkHandler(t, c); err != nil {
				return nil, err
			}
		}
		e.triggers[t] = bound
		e.caches[t] = newCache(e.now)
	}
	return e, nil
}

// Bound reports whether any Action is bound to the trigger, so that a caller can skip building
// an event nothing reads.
func (e *Engine) Bound(t Trigger) bool { return len(e.triggers[t]) > 0 }

// Result is what a trigger's Actions asked for, for the caller to apply.
type Result struct {
	// IDTokenClaims and AccessTokenClaims are the custom claims to add, as JSON values
	// (map[string]any, []any, string, float64, bool, nil).
	IDTokenClaims     map[string]any
	AccessTokenClaims map[string]any
	// ScopesAdded and ScopesRemoved are the post-login scope changes; the last call for a scope
	// decides which list holds it.
	ScopesAdded   []string
	ScopesRemoved []string
	// Denied is set when an Action called api.access.deny; no Action after it ran.
	Denied *Denial
	// AppMetadata and UserMetadata are the metadata changes to persist; a nil value removes
	// the key.
	AppMetadata  map[string]any
	UserMetadata map[string]any
	// Executions records each Action that ran, for the tenant logs.
	Executions []Execution
}

// Denial is a call to api.access.deny.
type Denial struct {
	Action string
	// Code is the OAuth error code a credentials-exchange Action chose (invalid_scope,
	// invalid_request or server_error); empty for post-login, which Auth0 answers with
	// access_denied.
	Code   string
	Reason string
}

// Outcome is how one Action's run ended.
type Outcome string

const (
	OutcomeSuccess Outcome = "success"
	OutcomeDenied  Outcome = "denied"
	OutcomeFailed  Outcome = "failed"
)

// Execution is one Action's run.
type Execution struct {
	Action   string
	Duration time.Duration
	Outcome  Outcome
	// Error is the failure's message when Outcome is OutcomeFailed.
	Error string
}

var (
	// ErrTimeLimit is the cause of a run stopped by Config.Timeout.
	ErrTimeLimit = errors.New("the trigger's time limit was exceeded")
	// ErrNotSettled is the cause of a run whose handler returned a promise that can never settle.
	ErrNotSettled = errors.New("the handler's promise never settled")
	// ErrNotEmulated is the cause of a run that called an api method or required a module the
	// emulator cannot provide.
	ErrNotEmulated = errors.New("not emulated")
)

// ActionError is a failed run of one Action: it threw, timed out, never settled or asked for
// something the emulator does not have.
type ActionError struct {
	Action  string
	Trigger Trigger
	// File, Line and Column locate the failure in the Action's code; Line is 0 when unknown.
	File    string
	Line    int
	Column  int
	Message string
	// Err is ErrTimeLimit, ErrNotSettled, ErrNotEmulated, the context's error, or nil for an
	// exception the Action threw.
	Err error
}

func (e *ActionError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("action %q (%s) failed at %s:%d:%d: %s", e.Action, e.Trigger, e.File, e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("action %q (%s) failed: %s", e.Action, e.Trigger, e.Message)
}

func (e *ActionError) Unwrap() error { return e.Err }

// PostLogin runs the post-login Actions for a login. On error the Result still lists the
// executions.
func (e *Engine) PostLogin(ctx context.Context, ev PostLoginEvent) (*Result, error) {
	return e.run(ctx, TriggerPostLogin, &ev)
}

// CredentialsExchange runs the credentials-exchange Actions for a client credentials grant.
func (e *Engine) CredentialsExchange(ctx context.Context, ev CredentialsExchangeEvent) (*Result, error) {
	return e.run(ctx, TriggerCredentialsExchange, &ev)
}

// eventSource is a trigger's event as each Action sees it: rebuilt per Action from the caller's
// event and what the Actions before it asked for, so that the next one sees those changes.
type eventSource interface {
	js(secrets map[string]string, res *Result) map[string]any
}

func (e *Engine) run(ctx context.Context, t Trigger, ev eventSource) (*Result, error) {
	res := &Result{
		IDTokenClaims:     map[string]any{},
		AccessTokenClaims: map[string]any{},
		AppMetadata:       map[string]any{},
		UserMetadata:      map[string]any{},
	}
	ctx, cancel := context.WithTimeoutCause(ctx, e.timeout, ErrTimeLimit)
	defer cancel()
	for _, c := range e.triggers[t] {
		start := time.Now()
		denied, err := e.runAction(ctx, t, c, ev, res)
		exec := Execution{Action: c.name, Duration: time.Since(start), Outcome: OutcomeSuccess}
		switch {
		case err != nil:
			exec.Outcome, exec.Error = OutcomeFailed, err.Error()
		case denied:
			exec.Outcome = OutcomeDenied
		}
		res.Executions = append(res.Executions, exec)
		if err != nil {
			return res, err
		}
		if denied {
			// "The login flow will immediately stop following the completion of this action
			// and no further Actions will be executed." (post-login API object,
			// https://auth0.com/docs/customize/actions/explore-triggers/signup-and-login-triggers/login-trigger/post-login-api-object)
			break
		}
	}
	return res, nil
}
