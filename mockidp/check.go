package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tenantless/tenantless/mockidp/actions"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// check validates a tenant file: every problem on its own line as file:line:column: field:
// message and exit 1, or a one-line summary (and any warnings) and exit 0.
func check(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", stderr)
	tenantPath := fs.String("tenant", env("MOCKIDP_TENANT"), "tenant YAML file (default: the embedded demo tenant) [MOCKIDP_TENANT]")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	src := tenantSource{path: *tenantPath}
	t, err := src.load()
	if err == nil {
		// Compiling the Actions finds the problems in their code that only running them would.
		_, err = actions.ForTenant(t, actions.Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			err = src.locate(err)
		}
	}
	if err != nil {
		var errs tenant.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				fmt.Fprintln(stderr, e)
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	for _, w := range t.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	counts := []string{plural(len(t.Users()), "user"), plural(len(t.Clients()), "application"), plural(len(t.APIs()), "API"),
		plural(len(t.Roles()), "role"), plural(len(t.Grants()), "client grant")}
	if len(t.Actions) > 0 {
		counts = append(counts, plural(len(t.Actions), "action"))
	}
	fmt.Fprintf(stdout, "%s: tenant %q is valid: %s\n", src, t.Name, strings.Join(counts, ", "))
	return 0
}
