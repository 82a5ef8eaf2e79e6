package actions

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompileReportsSyntaxErrorsWithPosition(t *testing.T) {
	tests := []struct {
		name string
		code string
		line int
		col  int
		msg  string
	}{
		{"first line, column counted from the file's own start", "exports.onExecutePostLogin = ;", 1, 30, "Unexpected token ;"},
		{"later line", "exports.onExecutePostLogin = async (event, api) => {\n  const a = 1;\n  const = 2;\n};", 3, 9, "Unexpected token ="},
		{"unterminated string", "exports.onExecutePostLogin = async () => {\n  console.log('oops);\n};", 2, 15, "Unexpected token ILLEGAL"},
		{"unclosed function ends at the file's end", "exports.onExecutePostLogin = async () => {\n  return;", 2, 10, "Unexpected end of input"},
		{"redeclared let is a compile error", "let a = 1;\nlet a = 2;", 2, 5, "Identifier 'a' has already been declared"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(Action{Name: "broken", File: "actions/broken.js", Code: tc.code})
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, &SyntaxError{Action: "broken", File: "actions/broken.js", Line: tc.line, Column: tc.col, Message: tc.msg}, se)
			assert.Contains(t, err.Error(), `action "broken": actions/broken.js:`)
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		name   string
		action Action
		want   string
	}{
		{"no name", Action{Code: "exports.onExecutePostLogin = async () => {}"}, "an Action needs a name"},
		{"over Auth0's 100 kB", Action{Name: "big", Code: "//" + strings.Repeat("x", MaxCodeSize)}, `action "big": code is 100002 bytes; Auth0 allows at most 100000`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compile(tc.action)
			assert.Nil(t, c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var se *SyntaxError
			assert.False(t, errors.As(err, &se), "not a syntax error")
		})
	}
}

func TestCompileAcceptsModuleForms(t *testing.T) {
	for name, code := range map[string]string{
		"async arrow":             "exports.onExecutePostLogin = async (event, api) => {};",
		"module.exports":          "module.exports = { onExecutePostLogin: async function (event, api) {} };",
		"strict mode":             "'use strict';\nexports.onExecutePostLogin = async () => {};",
		"top-level return":        "exports.onExecutePostLogin = async () => {};\nreturn;",
		"trailing line comment":   "exports.onExecutePostLogin = async () => {}; // done",
		"source map comment only": "exports.onExecutePostLogin = async () => {};\n//# sourceMappingURL=/etc/passwd",
		"exactly 100 kB":          "//" + strings.Repeat("x", MaxCodeSize-2),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Compile(Action{Name: name, Code: code})
			require.NoError(t, err)
			assert.Equal(t, name, c.Name())
		})
	}
}
