package tenant

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FieldError is one problem with one field of an item (an API, client, role, client grant or
// user), as the Prepare methods report it to the tenant file's loader and to a Management API.
type FieldError struct {
	// Field is the field's path within the item, spelled as in the Management API, like
	// "callbacks[1]", "refresh_token.idle_token_lifetime" or "claims.sub"; "" is the item itself.
	Field string
	// Msg says what is wrong and what is allowed.
	Msg string
	// missing marks a field left without a value; Msg is then "required: " and what it needs,
	// which the loader words "must not be empty" when the file gives an empty value.
	missing bool
	// conflict marks a value another item of the tenant holds.
	conflict bool
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// FieldErrors are the problems of one item, all reported at once.
type FieldErrors []FieldError

// Error lists the problems, each naming its field, separated by "; ".
func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// on reports whether a problem concerns field.
func (es FieldErrors) on(field string) bool {
	for _, e := range es {
		if e.Field == field {
			return true
		}
	}
	return false
}

func (es *FieldErrors) add(field, format string, args ...any) {
	*es = append(*es, FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// conflict reports a field whose value another item already holds.
func (es *FieldErrors) conflict(field, format string, args ...any) {
	*es = append(*es, FieldError{Field: field, Msg: fmt.Sprintf(format, args...), conflict: true})
}

// Conflict reports whether a problem is a value another item holds (a duplicate name, id or
// email), which a Management API answers with 409 rather than 400.
func (es FieldErrors) Conflict() bool {
	return slices.ContainsFunc(es, func(e FieldError) bool { return e.conflict })
}

// require reports a field left without a value, saying what it should hold.
func (es *FieldErrors) require(field, what string) {
	*es = append(*es, FieldError{Field: field, Msg: "required: " + what, missing: true})
}

// key checks a field that identifies an item or refers to one: required, then a name.
func (es *FieldErrors) key(field, value, what string) bool {
	if value == "" {
		es.require(field, what)
		return false
	}
	if msg := checkName(value); msg != "" {
		es.add(field, "%s", msg)
		return false
	}
	return true
}

// seconds checks a lifetime the Management API gives in whole seconds.
func (es *FieldErrors) seconds(field string, d time.Duration, lo, hi int64) bool {
	if d < time.Duration(lo)*time.Second || d > time.Duration(hi)*time.Second || d%time.Second != 0 {
		es.add(field, "must be a whole number from %d to %d, got the integer %d", lo, hi, d/time.Second)
		return false
	}
	return true
}

// Messages about an item that another conflicts with name where the tenant file defines it
// while Load runs (origin), and only what it is otherwise.

// firstAt says where the tenant file defines the field of an item another repeats:
// "; the first is at line 4" while loading, else "".
func (t *Tenant) firstAt(item any, field string) string {
	if line := t.line(item, field); line > 0 {
		return fmt.Sprintf("; the first is at line %d", line)
	}
	return ""
}

// theUser names another user: "the user at line 4" while loading, else "another user".
func (t *Tenant) theUser(u *User) string {
	if line := t.line(u, ""); line > 0 {
		return fmt.Sprintf("the user at line %d", line)
	}
	return "another user"
}

func (t *Tenant) line(item any, field string) int {
	if t.origin == nil {
		return 0
	}
	return t.origin(item, field)
}

// The lists of what a tenant defines, for messages that name a missing item. Like every rule,
// they read the tenant under its lock, which the caller holds.
func (t *Tenant) apiList() string {
	return listOf(t.definedAPIs(), func(a *API) string { return a.Identifier })
}

func (t *Tenant) clientList() string {
	return listOf(t.clients.all(), func(c *Client) string { return fmt.Sprintf("%s (%s)", c.ClientID, c.Name) })
}

func (t *Tenant) roleList() string {
	return listOf(t.roles.all(), func(r *Role) string { return r.Name })
}

func (t *Tenant) connectionList() string {
	return listOf(t.connections.all(), func(c *Connection) string { return c.Name })
}

func scopeList(a *API) string { return listOf(a.Scopes, func(s Scope) string { return s.Value }) }

func listOf[T any](items []T, name func(T) string) string {
	if len(items) == 0 {
		return "none defined"
	}
	names := make([]string, len(items))
	for i, item := range items {
		names[i] = name(item)
	}
	return strings.Join(names, ", ")
}

// derivedID is an id made from what identifies an item in a tenant file (a role's name, an API's
// identifier), so that the item keeps its id from one load of the file to the next.
func derivedID(prefix, from string, n int) string {
	sum := sha256.Sum256([]byte(from))
	return prefix + hex.EncodeToString(sum[:])[:n]
}
