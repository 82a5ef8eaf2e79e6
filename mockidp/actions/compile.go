package actions

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// MaxCodeSize is the largest Action source Compile accepts: Auth0 documents 100 kB per Action
// (https://auth0.com/docs/customize/actions/limitations).
const MaxCodeSize = tenant.MaxActionCode

// moduleHead opens the function that wraps an Action's code, as Node.js wraps a CommonJS module.
// It shares the code's first line so that line numbers in errors are the file's own; columns on
// that line are corrected by its length.
const moduleHead = "(function (exports, require, module, __filename, __dirname) {"

// Action is one Action as the Deploy CLI and the Management API describe it.
type Action struct {
	// Name identifies the Action in errors and logs.
	Name string
	// File is the code's path, used in error positions and stack traces; Name when empty.
	File string
	// Code is the CommonJS module that exports the trigger's handler.
	Code string
	// Dependencies are the npm packages the Action declares. They cannot be installed offline:
	// require() of one fails the run with a message naming it.
	Dependencies []Dependency
	// Secrets are the Action's event.secrets, by name.
	Secrets map[string]string
}

// Dependency is an npm package an Action declares.
type Dependency struct {
	Name    string
	Version string
}

// Compiled is an Action ready to run: its module parsed and compiled once, shareable by any
// number of concurrent runs.
type Compiled struct {
	name    string
	file    string
	program *goja.Program
	deps    map[string]bool
	secrets map[string]string
}

// Name is the Action's name.
func (c *Compiled) Name() string { return c.name }

// SyntaxError is an Action whose code does not parse, with the position of the first problem.
type SyntaxError struct {
	Action  string
	File    string
	Line    int
	Column  int
	Message string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("action %q: %s:%d:%d: SyntaxError: %s", e.Action, e.File, e.Line, e.Column, e.Message)
}

// Compile parses and compiles an Action's module. A syntax error comes back as a *SyntaxError.
func Compile(a Action) (*Compiled, error) {
	if a.Name == "" {
		return nil, errors.New("actions: an Action needs a name")
	}
	if len(a.Code) > MaxCodeSize {
		return nil, fmt.Errorf("action %q: code is %d bytes; Auth0 allows at most %d", a.Name, len(a.Code), MaxCodeSize)
	}
	name := a.File
	if name == "" {
		name = a.Name
	}
	// Source maps are off: the parser would otherwise read any file a sourceMappingURL comment
	// names.
	ast, err := parser.ParseFile(nil, name, moduleHead+a.Code+"\n})", 0, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, syntaxError(a, name, err)
	}
	program, err := goja.CompileAST(ast, false)
	if err != nil {
		return nil, syntaxError(a, name, err)
	}
	deps := make(map[string]bool, len(a.Dependencies))
	for _, d := range a.Dependencies {
		deps[d.Name] = true
	}
	return &Compiled{name: a.Name, file: name, program: program, deps: deps, secrets: maps.Clone(a.Secrets)}, nil
}

func syntaxError(a Action, name string, err error) error {
	se := &SyntaxError{Action: a.Name, File: name}
	var list parser.ErrorList
	var cerr *goja.CompilerSyntaxError
	switch {
	case errors.As(err, &list) && len(list) > 0:
		se.Line, se.Column = sourcePosition(list[0].Position)
		se.Message = list[0].Message
	case errors.As(err, &cerr):
		se.Message = cerr.Message
		if cerr.File != nil {
			se.Line, se.Column = sourcePosition(cerr.File.Position(cerr.Offset))
		}
	default:
		return fmt.Errorf("action %q: %w", a.Name, err)
	}
	// An error in the wrapper's closing line means the code ended too early (an unclosed
	// brace); point at the code's end rather than at a line it does not have.
	if lines := strings.Split(a.Code, "\n"); se.Line > len(lines) {
		se.Line, se.Column = len(lines), len(lines[len(lines)-1])+1
		se.Message = "Unexpected end of input"
	}
	return se
}

// sourcePosition maps a position in the wrapped module back to the Action's own code.
func sourcePosition(p file.Position) (line, column int) {
	if p.Line == 1 {
		return 1, max(p.Column-len(moduleHead), 1)
	}
	return p.Line, p.Column
}
