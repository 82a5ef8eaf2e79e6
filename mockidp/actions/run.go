package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// maxLogMessage bounds one console line in the emulator's log.
const maxLogMessage = 16 * 1024

// nodeBuiltins are the Node.js core modules; require() of one names it as not emulated rather than
// unknown.
var nodeBuiltins = []string{
	"assert", "async_hooks", "buffer", "child_process", "cluster", "console", "constants", "crypto",
	"dgram", "diagnostics_channel", "dns", "domain", "events", "fs", "http", "http2", "https",
	"inspector", "module", "net", "os", "path", "perf_hooks", "process", "punycode", "querystring",
	"readline", "repl", "stream", "string_decoder", "sys", "timers", "tls", "trace_events", "tty",
	"url", "util", "v8", "vm", "wasi", "worker_threads", "zlib",
}

// bootstrap runs in each fresh runtime before the Action's code, so it holds the built-ins as they
// were before the Action could replace them. Whatever touches the Action's own values (its
// exports, what it throws, what it logs) happens in here, called from Go as a function: such
// code can run the Action's getters and toString methods, and only a call from Go comes back as
// an error when the time limit interrupts it. It is compiled on first use, so that a tenant
// without Actions does not pay for it at start.
var bootstrap = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("bootstrap.js", bootstrapSource, true)
})

const bootstrapSource = `(function (String, stringify, ErrorType) {
	function describe(v) {
		try { return String(v); } catch (e) { return "an exception that cannot be printed"; }
	}
	function format(v) {
		if (typeof v === "string") return v;
		if (v !== null && typeof v === "object" && !(v instanceof ErrorType)) {
			try {
				var s = stringify(v);
				if (typeof s === "string") return s;
			} catch (e) {}
		}
		return describe(v);
	}
	return {
		console: function (sink) {
			var c = {};
			var levels = ["log", "info", "debug", "warn", "error"];
			for (var i = 0; i < levels.length; i++) {
				(function (level) {
					c[level] = function () {
						var line = "";
						for (var j = 0; j < arguments.length; j++) line += (j ? " " : "") + format(arguments[j]);
						sink(level, line);
					};
				})(levels[i]);
			}
			return c;
		},
		load: function (init, require, filename, name) {
			var module = { exports: {} };
			init.call(module.exports, module.exports, require, module, filename, ".");
			var exp = module.exports;
			return exp === null || exp === undefined ? undefined : exp[name];
		},
		failure: function (v) {
			var stack = "";
			if (v !== null && (typeof v === "object" || typeof v === "function")) {
				try { stack = String(v.stack); } catch (e) {}
			}
			return describe(v) + "\u0000" + stack;
		},
		stringify: function (v) { return stringify(v); },
	};
})(String, JSON.stringify, Error)`

var consoleLevels = map[string]slog.Level{
	"log": slog.LevelInfo, "info": slog.LevelInfo, "debug": slog.LevelDebug,
	"warn": slog.LevelWarn, "error": slog.LevelError,
}

var promiseType = reflect.TypeFor[*goja.Promise]()

// actionRun is one run of one Action, in a runtime of its own.
type actionRun struct {
	e       *Engine
	ctx     context.Context
	trigger Trigger
	action  *Compiled
	res     *Result
	vm      *goja.Runtime
	logger  *slog.Logger

	errorType goja.Constructor
	parse     goja.Callable
	load      goja.Callable
	failureOf goja.Callable
	stringify goja.Callable

	denied bool
	// notEmulated is the first thing the Action asked for that the emulator lacks. It fails the
	// run even if the Action caught the exception.
	notEmulated *ActionError
}

// runAction runs one Action of a trigger execution and reports whether it denied access.
func (e *Engine) runAction(ctx context.Context, t Trigger, c *Compiled, ev eventSource, res *Result) (bool, error) {
	r, err := e.newRun(ctx, t, c, res)
	if err != nil {
		return false, err
	}
	return r.execute(func(handler goja.Callable) (goja.Value, error) {
		b, err := json.Marshal(ev.js(c.secrets, res))
		if err != nil {
			return nil, fmt.Errorf("actions: the event for %q: %w", c.name, err)
		}
		// Through JSON, the event is plain JavaScript objects that share nothing with Go.
		event, err := r.parse(goja.Undefined(), r.vm.ToValue(string(b)))
		if err != nil {
			return nil, err
		}
		return handler(goja.Undefined(), event, r.api())
	})
}

// checkHandler loads an Action's module, without calling the handler, to see that it exports the
// trigger's handler. A module that needs what the emulator lacks (an npm package required at the
// top, as most are) still loads into the tenant: each of its runs fails and says why, and the
// tenant's other Actions work.
func (e *Engine) checkHandler(t Trigger, c *Compiled) error {
	ctx, cancel := context.WithTimeoutCause(context.Background(), e.timeout, ErrTimeLimit)
	defer cancel()
	r, err := e.newRun(ctx, t, c, &Result{})
	if err != nil {
		return err
	}
	_, err = r.execute(func(goja.Callable) (goja.Value, error) { return goja.Undefined(), nil })
	if errors.Is(err, ErrNotEmulated) {
		return nil
	}
	return err
}

func (e *Engine) newRun(ctx context.Context, t Trigger, c *Compiled, res *Result) (*actionRun, error) {
	if cause := context.Cause(ctx); cause != nil {
		return nil, &ActionError{Action: c.name, Trigger: t, File: c.file, Message: cause.Error(), Err: cause}
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(maxCallStackSize)
	vm.SetTimeSource(e.now)
	r := &actionRun{e: e, ctx: ctx, trigger: t, action: c, res: res, vm: vm,
		logger: e.logger.With("action", c.name, "trigger", string(t))}
	r.errorType, _ = goja.AssertConstructor(vm.Get("Error"))
	r.parse, _ = goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	boot, err := vm.RunProgram(bootstrap())
	if err != nil {
		return nil, err
	}
	fns := boot.ToObject(vm)
	r.load, _ = goja.AssertFunction(fns.Get("load"))
	r.failureOf, _ = goja.AssertFunction(fns.Get("failure"))
	r.stringify, _ = goja.AssertFunction(fns.Get("stringify"))
	newConsole, _ := goja.AssertFunction(fns.Get("console"))
	console, err := newConsole(goja.Undefined(), vm.ToValue(r.log))
	if err != nil {
		return nil, err
	}
	if err := vm.Set("console", console); err != nil {
		return nil, err
	}
	return r, nil
}

// execute loads the module and hands its handler to call, under the trigger's time limit. A
// returned promise must have settled by the time the job queue is empty: nothing else can
// settle it.
func (r *actionRun) execute(call func(handler goja.Callable) (goja.Value, error)) (denied bool, err error) {
	fired := make(chan struct{})
	stop := context.AfterFunc(r.ctx, func() {
		r.vm.Interrupt(context.Cause(r.ctx))
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired
		}
	}()

	wrapper, err := r.vm.RunProgram(r.action.program)
	if err != nil {
		return false, r.failure(err)
	}
	name := r.trigger.handler()
	fn, err := r.load(goja.Undefined(), wrapper, r.vm.ToValue(r.require), r.vm.ToValue(r.action.file), r.vm.ToValue(name))
	if err != nil {
		return false, r.failure(err)
	}
	handler, ok := goja.AssertFunction(fn)
	if !ok {
		return false, &ActionError{Action: r.action.name, Trigger: r.trigger, File: r.action.file,
			Message: fmt.Sprintf("the module does not export %s, which the %s trigger calls", name, r.trigger)}
	}
	ret, err := call(handler)
	if err != nil {
		return false, r.failure(err)
	}
	if obj, ok := ret.(*goja.Object); ok && obj.ExportType() == promiseType {
		switch p := obj.Export().(*goja.Promise); p.State() {
		case goja.PromiseStatePending:
			return false, r.notSettled()
		case goja.PromiseStateRejected:
			return false, r.thrown(p.Result(), nil)
		}
	}
	if r.notEmulated != nil {
		return false, r.notEmulated
	}
	return r.denied, nil
}

// failure describes an error from the runtime as an ActionError naming the Action and, when
// known, the line.
func (r *actionRun) failure(err error) error {
	var ae *ActionError
	if errors.As(err, &ae) {
		return ae
	}
	var interrupted *goja.InterruptedError
	var overflow *goja.StackOverflowError
	var exception *goja.Exception
	switch {
	case errors.As(err, &interrupted):
		ae = r.actionError(fmt.Sprint(interrupted.Value()))
		ae.Err, _ = interrupted.Value().(error)
		if errors.Is(ae.Err, ErrTimeLimit) {
			ae.Message = fmt.Sprintf("%s (%s)", ErrTimeLimit, r.e.timeout)
		}
		ae.Line, ae.Column = r.position(interrupted.Stack())
		return ae
	case errors.As(err, &overflow):
		ae = r.actionError("RangeError: Maximum call stack size exceeded")
		ae.Line, ae.Column = r.position(overflow.Stack())
		return r.orNotEmulated(ae)
	case errors.As(err, &exception):
		return r.thrown(exception.Value(), exception.Stack())
	}
	return r.orNotEmulated(r.actionError(err.Error()))
}

// thrown describes a value the Action threw or rejected with; stack is where the runtime caught
// it, for a value that carries no stack of its own.
func (r *actionRun) thrown(v goja.Value, stack []goja.StackFrame) error {
	ae := r.actionError("undefined")
	if v != nil {
		out, err := r.failureOf(goja.Undefined(), v)
		if err != nil {
			// The time limit interrupted the Action's own toString or stack getter.
			return r.failure(err)
		}
		message, jsStack, _ := strings.Cut(out.String(), "\u0000")
		ae.Message = message
		ae.Line, ae.Column = r.stackPosition(jsStack)
	}
	if ae.Line == 0 {
		ae.Line, ae.Column = r.position(stack)
	}
	return r.orNotEmulated(ae)
}

// orNotEmulated prefers, to an exception, the unavailable feature it followed from: an Action
// that could not load its npm package fails on that, not on the TypeError after it.
func (r *actionRun) orNotEmulated(ae *ActionError) error {
	if r.notEmulated != nil {
		return r.notEmulated
	}
	return ae
}

func (r *actionRun) notSettled() error {
	ae := r.actionError(fmt.Sprintf("%s: nothing is left to run that could settle the promise %s returned (the emulator has no timers or I/O)",
		ErrNotSettled, r.trigger.handler()))
	ae.Err = ErrNotSettled
	return r.orNotEmulated(ae)
}

func (r *actionRun) actionError(message string) *ActionError {
	return &ActionError{Action: r.action.name, Trigger: r.trigger, File: r.action.file, Message: message}
}

// stackPosition is the first frame of a JavaScript stack trace in the Action's file:
// "\tat onExecutePostLogin (roles.js:3:11(12))".
func (r *actionRun) stackPosition(stack string) (line, column int) {
	for _, frame := range strings.Split(stack, "\n") {
		_, loc, ok := strings.Cut(frame, r.action.file+":")
		if !ok {
			continue
		}
		lineText, rest, _ := strings.Cut(loc, ":")
		colText, _, _ := strings.Cut(rest, "(")
		l, err1 := strconv.Atoi(lineText)
		c, err2 := strconv.Atoi(colText)
		if err1 == nil && err2 == nil {
			if l == 1 {
				c = max(c-len(moduleHead), 1)
			}
			return l, c
		}
	}
	return 0, 0
}

// position is the innermost frame of the stack in the Action's own code.
func (r *actionRun) position(stack []goja.StackFrame) (line, column int) {
	for _, f := range stack {
		if f.SrcName() == r.action.file {
			return sourcePosition(f.Position())
		}
	}
	return 0, 0
}

// throw raises a JavaScript Error in the Action. Only Go functions the Action calls may use it.
func (r *actionRun) throw(message string) {
	obj, err := r.errorType(nil, r.vm.ToValue(message))
	if err != nil {
		panic(err)
	}
	panic(obj)
}

// unavailable fails the run because the Action asked for something the emulator does not have,
// and throws so that the Action stops there.
func (r *actionRun) unavailable(message string) {
	if r.notEmulated == nil {
		ae := r.actionError(message)
		ae.Err = ErrNotEmulated
		ae.Line, ae.Column = r.position(r.vm.CaptureCallStack(0, nil))
		r.notEmulated = ae
	}
	r.throw(message)
}

// require is the module's require(): it provides no module, and names why.
func (r *actionRun) require(call goja.FunctionCall) goja.Value {
	spec := call.Argument(0).String()
	switch pkg := npmPackage(spec); {
	case r.action.deps[pkg]:
		r.unavailable(fmt.Sprintf("npm package '%s' is not available offline", pkg))
	case slices.Contains(nodeBuiltins, npmPackage(strings.TrimPrefix(spec, "node:"))):
		r.unavailable(fmt.Sprintf("Node.js module '%s' is not emulated", spec))
	}
	// As Node.js reports a module that is neither built in nor installed.
	obj, err := r.errorType(nil, r.vm.ToValue(fmt.Sprintf("Cannot find module '%s'", spec)))
	if err != nil {
		panic(err)
	}
	if err := obj.Set("code", "MODULE_NOT_FOUND"); err != nil {
		panic(err)
	}
	panic(obj)
}

// npmPackage is the package part of a module specifier: "lodash" for "lodash/get",
// "@scope/pkg" for "@scope/pkg/sub".
func npmPackage(spec string) string {
	parts := strings.SplitN(spec, "/", 3)
	if strings.HasPrefix(spec, "@") && len(parts) > 1 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// log receives one console line from the Action.
func (r *actionRun) log(method, line string) {
	if len(line) > maxLogMessage {
		line = strings.ToValidUTF8(line[:maxLogMessage], "") + "…"
	}
	r.logger.Log(r.ctx, consoleLevels[method], line)
}
