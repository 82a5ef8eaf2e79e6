package tenant

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Limits on what a tenant file may expand to. Aliases let a small file name the same list many
// times over; every value the loader visits counts against maxVisits, so no file can make it loop
// for long or build a huge tenant.
const (
	maxFileSize = 4 << 20
	maxVisits   = 1_000_000
	maxDepth    = 64 // nesting of free-form values (app_metadata, user_metadata, claims)
)

// schema is the set of keys one kind of mapping accepts.
type schema struct {
	what     string            // "client", for messages
	noun     string            // what one key is called: "client field", "section"
	modelled []string          // keys the emulator reads, in the order messages list them
	required map[string]string // key → what a missing value should be
	ignored  map[string]bool   // Auth0 fields accepted and ignored, so an exported tenant loads
	// ignoredPrefix accepts and ignores every key that starts with it (Auth0's guardian* sections).
	ignoredPrefix string
}

func newSchema(what string, modelled []string, required map[string]string, ignored ...string) *schema {
	s := &schema{what: what, noun: what + " field", modelled: modelled, required: required, ignored: make(map[string]bool, len(ignored))}
	for _, k := range ignored {
		s.ignored[k] = true
	}
	return s
}

func (s *schema) ignores(key string) bool {
	return s.ignored[key] || (s.ignoredPrefix != "" && strings.HasPrefix(key, s.ignoredPrefix))
}

// unknown says what is wrong with key: the nearest allowed key when one is close, else all the
// keys the emulator reads.
func (s *schema) unknown(key string) string {
	if near := s.nearest(key); near != "" {
		return fmt.Sprintf("unknown %s %q; did you mean %q?", s.noun, key, near)
	}
	msg := fmt.Sprintf("unknown %s %q; allowed: %s", s.noun, key, strings.Join(s.modelled, ", "))
	if len(s.ignored) > 0 {
		msg += fmt.Sprintf(" (the other Auth0 %ss are accepted and ignored)", s.noun)
	}
	return msg
}

// nearest returns the accepted key closest to key, or "" when none is close enough to be a typo.
func (s *schema) nearest(key string) string {
	candidates := slices.Clone(s.modelled)
	for k := range s.ignored {
		candidates = append(candidates, k)
	}
	slices.Sort(candidates)
	best, bestDist := "", math.MaxInt
	for _, c := range candidates {
		d := editDistance(strings.ToLower(key), strings.ToLower(c))
		if normalizeKey(key) == normalizeKey(c) {
			d = 0
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist <= max(1, len([]rune(key))/3) {
		return best
	}
	return ""
}

func normalizeKey(k string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// field is one value of a mapping, with the path messages name it by.
type field struct {
	key  string
	path string
	node *yaml.Node // aliases resolved; nil when the key is absent
}

// absent reports whether the field was left out or set to null; the loader treats both alike.
func (f field) absent() bool {
	return f.node == nil || (f.node.Kind == yaml.ScalarNode && f.node.ShortTag() == "!!null")
}

// errorf records a problem with the value at n. The tenant's rules then say nothing more of that
// field (see place).
func (l *loader) errorf(n *yaml.Node, path, format string, args ...any) {
	l.refused[path] = true
	l.report(n, path, fmt.Sprintf(format, args...))
}

// keyErrorf records a problem with a key (unknown, repeated, missing) rather than with the value
// the loader read, which the tenant's rules still check.
func (l *loader) keyErrorf(n *yaml.Node, path, format string, args ...any) {
	l.report(n, path, fmt.Sprintf(format, args...))
}

func (l *loader) report(n *yaml.Node, path, msg string) {
	e := &Error{File: l.file, Field: path, Msg: msg}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	l.errs = append(l.errs, e)
}

// record notes where a field of the item being decoded is: its first occurrence, where a
// free-form mapping repeats a key.
func (l *loader) record(path string, n *yaml.Node) {
	if l.item == nil {
		return
	}
	if _, seen := l.item.nodes[path]; !seen {
		l.item.nodes[path] = n
	}
}

// visit counts one value against maxVisits and reports whether the loader may go on.
func (l *loader) visit(n *yaml.Node, path string) bool {
	if l.visits >= maxVisits {
		if l.visits == maxVisits {
			l.errorf(n, path, "the file expands to more than %d values (through aliases?); write it out smaller", maxVisits)
			l.visits++
		}
		return false
	}
	l.visits++
	return true
}

// deref follows aliases (*name) to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// fields walks the mapping f, calls fn for each key s models, and reports unknown keys, duplicate
// keys and missing required ones. It returns the keys s accepts and ignores, in file order.
func (l *loader) fields(f field, s *schema, fn func(field)) (ignored []string) {
	n := f.node
	if n.Kind != yaml.MappingNode {
		l.errorf(n, f.path, "must be a mapping of %s fields, got %s", s.what, describe(n))
		return nil
	}
	seen := make(map[string]int, len(n.Content)/2)
	set := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if !l.visit(k, f.path) {
			return ignored
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			if k.ShortTag() == "!!merge" {
				l.keyErrorf(k, f.path, "merge keys (<<) are not supported; write the fields out")
			} else {
				l.keyErrorf(k, f.path, "keys must be field names, got %s", describe(k))
			}
			continue
		}
		key, path := k.Value, join(f.path, k.Value)
		if line, dup := seen[key]; dup {
			l.keyErrorf(k, path, "duplicate key; it is first set at line %d", line)
			continue
		}
		seen[key] = k.Line
		switch {
		case slices.Contains(s.modelled, key):
			f := field{key: key, path: path, node: v}
			set[key] = !f.absent()
			if set[key] {
				l.record(path, v)
			}
			fn(f)
		case s.ignores(key):
			ignored = append(ignored, key)
		default:
			l.keyErrorf(k, path, "%s", s.unknown(key))
		}
	}
	for _, key := range s.modelled {
		if want, ok := s.required[key]; ok && !set[key] {
			l.keyErrorf(n, join(f.path, key), "required: %s", want)
		}
	}
	return ignored
}

// items walks the list f, calling fn for each element.
func (l *loader) items(f field, what string, fn func(field)) {
	if f.absent() {
		return
	}
	if f.node.Kind != yaml.SequenceNode {
		l.errorf(f.node, f.path, "must be a list of %s, got %s", what, describe(f.node))
		return
	}
	for i, item := range f.node.Content {
		path := index(f.path, i)
		if !l.visit(item, path) {
			return
		}
		l.record(path, deref(item))
		fn(field{key: f.key, path: path, node: deref(item)})
	}
}

// str sets *dst to a string value. Numbers and booleans are refused rather than converted, so
// `password: 123456` is not silently a different string from what was meant.
func (l *loader) str(f field, dst *string) bool {
	if f.absent() {
		return false
	}
	if f.node.Kind != yaml.ScalarNode || f.node.ShortTag() != "!!str" {
		msg := "must be a string, got " + describe(f.node)
		if f.node.Kind == yaml.ScalarNode {
			msg += fmt.Sprintf("; quote it: %q", f.node.Value)
		}
		l.errorf(f.node, f.path, "%s", msg)
		return false
	}
	*dst = f.node.Value
	return true
}

// name sets *dst to a string that identifies something (an id, a name, a reference): not empty,
// no surrounding spaces, no control characters.
func (l *loader) name(f field, dst *string) bool {
	var s string
	if !l.str(f, &s) {
		return false
	}
	if msg := checkName(s); msg != "" {
		l.errorf(f.node, f.path, "%s", msg)
		return false
	}
	*dst = s
	return true
}

// enum sets *dst to a string that must be one of allowed. It keeps a value it refuses, so that
// the tenant's rules see a wrong value rather than none, and apply no default for it.
func (l *loader) enum(f field, allowed []string, dst *string) bool {
	if !l.str(f, dst) {
		return false
	}
	if msg := checkEnum(f.key, *dst, allowed); msg != "" {
		l.errorf(f.node, f.path, "%s", msg)
		return false
	}
	return true
}

func (l *loader) boolean(f field, dst *bool) bool {
	if f.absent() {
		return false
	}
	if f.node.Kind != yaml.ScalarNode || f.node.ShortTag() != "!!bool" || f.node.Decode(dst) != nil {
		l.errorf(f.node, f.path, "must be true or false, got %s", describe(f.node))
		return false
	}
	return true
}

func (l *loader) integer(f field, lo, hi int64, dst *int64) bool {
	if f.absent() {
		return false
	}
	var v int64
	if f.node.Kind != yaml.ScalarNode || f.node.ShortTag() != "!!int" || f.node.Decode(&v) != nil || v < lo || v > hi {
		l.errorf(f.node, f.path, "must be a whole number from %d to %d, got %s", lo, hi, describe(f.node))
		return false
	}
	*dst = v
	return true
}

// seconds sets *dst to a whole number of seconds from lo to hi.
func (l *loader) seconds(f field, lo, hi int64, dst *time.Duration) bool {
	var v int64
	if !l.integer(f, lo, hi, &v) {
		return false
	}
	*dst = time.Duration(v) * time.Second
	return true
}

// number sets *dst to a number (whole or not) greater than 0 and at most hi.
func (l *loader) number(f field, hi float64, dst *float64) bool {
	if f.absent() {
		return false
	}
	var v float64
	tag := f.node.ShortTag()
	if f.node.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || f.node.Decode(&v) != nil ||
		math.IsNaN(v) || v <= 0 || v > hi {
		l.errorf(f.node, f.path, "must be a number greater than 0 and at most %g, got %s", hi, describe(f.node))
		return false
	}
	*dst = v
	return true
}

// stringList sets *dst to the strings of the list f, with "" in place of each element it
// refuses, so that the indexes the tenant's rules name are the file's. *dst stays nil when f is
// absent or not a list.
func (l *loader) stringList(f field, what string, dst *[]string) {
	if f.absent() {
		return
	}
	if f.node.Kind != yaml.SequenceNode {
		l.errorf(f.node, f.path, "must be a list of %s, got %s", what, describe(f.node))
		return
	}
	*dst = []string{}
	l.items(f, what, func(item field) {
		var s string
		if item.absent() {
			l.errorf(item.node, item.path, "must be a string, got %s", describe(item.node))
		} else {
			l.str(item, &s)
		}
		*dst = append(*dst, s)
	})
}

// object decodes a free-form mapping (app_metadata, user_metadata, claims) into JSON-ready Go
// values: map[string]any, []any, string, bool, int64, float64 and nil. When ok is false the map
// holds what could be decoded, for further checks.
func (l *loader) object(f field) (map[string]any, bool) {
	if f.absent() {
		return nil, false
	}
	if f.node.Kind != yaml.MappingNode {
		l.errorf(f.node, f.path, "must be a mapping, got %s", describe(f.node))
		return nil, false
	}
	v, ok := l.anyValue(f.node, f.path, 0)
	m, _ := v.(map[string]any)
	return m, ok
}

func (l *loader) anyValue(n *yaml.Node, path string, depth int) (any, bool) {
	n = deref(n)
	if !l.visit(n, path) {
		return nil, false
	}
	if depth > maxDepth {
		l.errorf(n, path, "nested deeper than %d levels", maxDepth)
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				l.keyErrorf(k, path, "keys must be strings, got %s", describe(k))
				ok = false
				continue
			}
			p := join(path, k.Value)
			if _, dup := m[k.Value]; dup {
				l.keyErrorf(k, p, "duplicate key")
				ok = false
				continue
			}
			v, vok := l.anyValue(n.Content[i+1], p, depth+1)
			m[k.Value] = v
			ok = ok && vok
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		ok := true
		for i, item := range n.Content {
			v, vok := l.anyValue(item, index(path, i), depth+1)
			s = append(s, v)
			ok = ok && vok
		}
		return s, ok
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, true
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b, true
			}
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				return i, true
			}
		case "!!float":
			var x float64
			if n.Decode(&x) == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
				return x, true
			}
		case "!!str", "!!timestamp":
			return n.Value, true // a timestamp stays the text written, as JSON has no time type
		}
	}
	l.errorf(n, path, "must be a string, number, boolean, list or mapping (a JSON value), got %s", describe(n))
	return nil, false
}

// describe names what a node is, for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "an unexpected YAML node"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	switch n.ShortTag() {
	case "!!str":
		return "the string " + strconv.Quote(v)
	case "!!int":
		return "the integer " + v
	case "!!float":
		return "the number " + v
	case "!!bool":
		return "the boolean " + v
	case "!!null":
		return "nothing (null)"
	case "!!timestamp":
		return "the timestamp " + v
	default:
		return fmt.Sprintf("a %s value", n.ShortTag())
	}
}
