package tenant

import (
	"fmt"
	"strings"
)

// Error is one problem in a tenant file, at the position of the value (or key) at fault.
type Error struct {
	File   string // the tenant file, as named to Load
	Line   int    // 1-based; 0 when the problem has no position
	Column int    // 1-based; 0 when only the line is known (YAML syntax errors)
	Field  string // path of the field, like clients[1].callbacks[0]; empty for syntax errors
	Msg    string // what is wrong and what is allowed
}

// Error formats the problem as file:line:column: field: message, leaving out the parts it lacks.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors are all the problems Load found in a tenant file, sorted by position.
type Errors []*Error

// Error lists the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}
