package mgmt

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// body is a JSON object from a request, field by field.
type body map[string]json.RawMessage

// readBody reads a JSON object whose fields are all in allowed, as Auth0 refuses others
// ("Additional properties not allowed").
func readBody(r *http.Request, allowed ...string) (body, error) {
	var b body
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&b); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, payloadError("Invalid JSON: "+jsonProblem(err), "")
	}
	if dec.More() {
		return nil, payloadError("Invalid JSON: more than one value", "")
	}
	if b == nil {
		return nil, payloadError("Expected type object but found type null", "")
	}
	var extra []string
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if !slices.Contains(allowed, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		return nil, payloadError("Additional properties not allowed: "+strings.Join(extra, ","), "")
	}
	return b, nil
}

func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("syntax error at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return "Expected type object but found type " + typ.Value
	default:
		return "unexpected end of input"
	}
}

// has reports whether the body sets field, null included.
func (b body) has(field string) bool {
	_, ok := b[field]
	return ok
}

// get decodes field into dst when the body sets it; a value of another type is Auth0's
// "Expected type ..." refusal.
func get[T any](b body, field string, dst *T) error {
	raw, ok := b[field]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return payloadError(fmt.Sprintf("Expected type %s but found %s", typeName[T](), describeJSON(raw)), field)
	}
	return nil
}

func typeName[T any]() string {
	var zero T
	switch any(zero).(type) {
	case string, *string:
		return "string"
	case bool, *bool:
		return "boolean"
	case int, int64, float64:
		return "integer"
	case []string:
		return "array of strings"
	default:
		return "object"
	}
}

func describeJSON(raw json.RawMessage) string {
	var v any
	_ = json.Unmarshal(raw, &v)
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	default:
		return "object"
	}
}

// paging is a list request's page, per_page and include_totals.
type paging struct {
	page, perPage int
	totals        bool
}

// Auth0's bounds on paging: 50 a page unless asked, at most 100 a page
// (https://auth0.com/docs/manage-users/user-search/view-search-results-by-page), and for user
// searches the first 1000 results only.
const (
	defaultPerPage = 50
	maxPerPage     = 100
	maxSearchTotal = 1000
)

func readPaging(q url.Values) (paging, error) {
	p := paging{perPage: defaultPerPage}
	var err error
	if p.page, err = queryInt(q, "page", 0, 0, 1<<20); err != nil {
		return p, err
	}
	if p.perPage, err = queryInt(q, "per_page", defaultPerPage, 0, maxPerPage); err != nil {
		return p, err
	}
	if p.totals, err = queryBool(q, "include_totals"); err != nil {
		return p, err
	}
	return p, nil
}

func queryInt(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return 0, badQuery(fmt.Sprintf("Query validation error: 'Expected type integer but found type string' on property %s.", name))
	case n < lo:
		return 0, badQuery(fmt.Sprintf("Query validation error: 'Value %d is less than minimum %d' on property %s.", n, lo, name))
	case n > hi:
		return 0, badQuery(fmt.Sprintf("Query validation error: 'Value %d is greater than maximum %d' on property %s.", n, hi, name))
	}
	return n, nil
}

func queryBool(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, badQuery(fmt.Sprintf("Query validation error: 'Expected type boolean but found type string' on property %s.", name))
}

// writePage answers one page of items: the items alone, or with include_totals the object
// Auth0 wraps them in, under key.
func writePage[T any](w http.ResponseWriter, p paging, key string, items []T) {
	start := min(p.page*p.perPage, len(items))
	end := min(start+p.perPage, len(items))
	page := items[start:end]
	if page == nil {
		page = []T{}
	}
	if !p.totals {
		writeJSON(w, http.StatusOK, page)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"start": start, "limit": p.perPage, "length": len(page), "total": len(items), key: page,
	})
}

// object is a resource as the API answers it: a JSON object, so that fields can pick from it.
type object = map[string]any

// fieldFilter is a request's fields and include_fields: which fields of each object to keep.
type fieldFilter struct {
	fields  []string
	include bool
}

func readFields(q url.Values) (fieldFilter, error) {
	f := fieldFilter{include: true}
	if s := q.Get("fields"); s != "" {
		f.fields = strings.Split(s, ",")
	}
	if q.Get("include_fields") != "" {
		inc, err := queryBool(q, "include_fields")
		if err != nil {
			return f, err
		}
		f.include = inc
	}
	return f, nil
}

func (f fieldFilter) apply(o object) object {
	if len(f.fields) == 0 {
		return o
	}
	out := object{}
	for k, v := range o {
		if slices.Contains(f.fields, k) == f.include {
			out[k] = v
		}
	}
	return out
}

// sortBy sorts objects by "field:1" (ascending) or "field:-1" (descending), as Auth0's sort
// parameter; objects without the field come last.
func sortBy(objs []object, spec string) error {
	if spec == "" {
		return nil
	}
	field, dir, ok := strings.Cut(spec, ":")
	if !ok || field == "" || (dir != "1" && dir != "-1") {
		return badQuery("Query validation error: 'String does not match pattern ^(([a-zA-Z0-9_\\.]+))\\:(1|-1)$: " + spec + "' on property sort.")
	}
	sign := 1
	if dir == "-1" {
		sign = -1
	}
	slices.SortStableFunc(objs, func(a, b object) int {
		av, aok := a[field]
		bv, bok := b[field]
		switch {
		case !aok && !bok:
			return 0
		case !aok:
			return 1
		case !bok:
			return -1
		}
		return sign * cmp.Compare(fmt.Sprint(av), fmt.Sprint(bv))
	})
	return nil
}

// timestamp is a time as the Management API writes it: UTC with milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
