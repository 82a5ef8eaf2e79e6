package mgmt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// The user search the emulator serves: the part of Auth0's query syntax
// (https://auth0.com/docs/manage-users/user-search/user-search-query-syntax) that test suites
// use. A term is field:value, the value bare or "quoted", with a * at its end for a prefix; terms
// join with AND and OR (AND first) and group in parentheses. Text matches ignore case, as
// Auth0's do for emails and names. Anything else is refused with a message saying what is served,
// never answered with a wrong list.

// searchFields are the fields a term may name, besides app_metadata.* and user_metadata.*.
var searchFields = []string{"email", "user_id", "name", "username", "given_name", "family_name", "nickname",
	"email_verified", "blocked", "identities.connection"}

// query is a parsed q: it reports whether a user matches.
type query func(u *tenant.User) bool

func parseQuery(q string) (query, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, queryError(fmt.Sprintf("unexpected %q; join terms with AND or OR", p.toks[p.i].text))
	}
	return m, nil
}

func queryError(msg string) error {
	return badQuery("Query validation error: '" + msg + "' on property q. The emulator serves field:value terms on " +
		strings.Join(searchFields, ", ") + ", app_metadata.* and user_metadata.*, with quoted values, a * suffix, AND, OR and parentheses.")
}

type tokKind int

const (
	tokTerm tokKind = iota
	tokAnd
	tokOr
	tokOpen
	tokClose
)

type token struct {
	kind   tokKind
	text   string
	field  string
	value  string
	prefix bool
}

func lex(q string) ([]token, error) {
	var toks []token
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(':
			toks = append(toks, token{kind: tokOpen, text: "("})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokClose, text: ")"})
			i++
		default:
			t, n, err := lexWord(q[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += n
		}
	}
	if len(toks) == 0 {
		return nil, queryError("empty query")
	}
	return toks, nil
}

// lexWord reads AND, OR or a field:value term at the start of s.
func lexWord(s string) (token, int, error) {
	end := strings.IndexAny(s, " \t()")
	if end < 0 {
		end = len(s)
	}
	switch s[:end] {
	case "AND":
		return token{kind: tokAnd, text: "AND"}, end, nil
	case "OR":
		return token{kind: tokOr, text: "OR"}, end, nil
	case "NOT", "TO", "&&", "||", "!":
		return token{}, 0, queryError(s[:end] + " is not served")
	}
	colon := strings.IndexByte(s[:end], ':')
	if colon <= 0 {
		return token{}, 0, queryError(fmt.Sprintf("%q is not a field:value term", s[:end]))
	}
	field, rest := s[:colon], s[colon+1:]
	if !slices.Contains(searchFields, field) && !strings.HasPrefix(field, "app_metadata.") && !strings.HasPrefix(field, "user_metadata.") {
		return token{}, 0, queryError(fmt.Sprintf("field %q is not served", field))
	}
	t := token{kind: tokTerm, field: field}
	n := len(field) + 1
	if strings.HasPrefix(rest, `"`) {
		closing := strings.IndexByte(rest[1:], '"')
		if closing < 0 {
			return token{}, 0, queryError("unterminated quote")
		}
		t.value = rest[1 : closing+1]
		n += closing + 2
	} else {
		stop := strings.IndexAny(rest, " \t()")
		if stop < 0 {
			stop = len(rest)
		}
		t.value = rest[:stop]
		n += stop
		if v, ok := strings.CutSuffix(t.value, "*"); ok {
			t.value, t.prefix = v, true
		}
		if strings.ContainsAny(t.value, `*?~^[]{}\`) {
			return token{}, 0, queryError(fmt.Sprintf("%q: only a * at the end of a value is served", rest[:stop]))
		}
	}
	if t.value == "" && !t.prefix {
		return token{}, 0, queryError(fmt.Sprintf("field %s has no value", field))
	}
	t.text = s[:n]
	return t, n, nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) done() bool { return p.i >= len(p.toks) }

func (p *parser) peek(k tokKind) bool { return !p.done() && p.toks[p.i].kind == k }

func (p *parser) or() (query, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek(tokOr) {
		p.i++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(u *tenant.User) bool { return l(u) || right(u) }
	}
	return left, nil
}

func (p *parser) and() (query, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.peek(tokAnd) {
		p.i++
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(u *tenant.User) bool { return l(u) && right(u) }
	}
	return left, nil
}

func (p *parser) term() (query, error) {
	if p.done() {
		return nil, queryError("the query ends where a term should be")
	}
	tok := p.toks[p.i]
	p.i++
	switch tok.kind {
	case tokOpen:
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.peek(tokClose) {
			return nil, queryError("unbalanced parenthesis")
		}
		p.i++
		return m, nil
	case tokTerm:
		return matchTerm(tok), nil
	}
	return nil, queryError(fmt.Sprintf("unexpected %q where a term should be", tok.text))
}

func matchTerm(tok token) query {
	want := strings.ToLower(tok.value)
	match := func(v any) bool {
		var s string
		switch v := v.(type) {
		case nil:
			return false
		case string:
			s = v
		case bool:
			s = strconv.FormatBool(v)
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		case int:
			s = strconv.Itoa(v)
		default:
			return false
		}
		s = strings.ToLower(s)
		if tok.prefix {
			return strings.HasPrefix(s, want)
		}
		return s == want
	}
	return func(u *tenant.User) bool {
		switch tok.field {
		case "email":
			return match(u.Email)
		case "user_id":
			return match(u.UserID)
		case "name":
			return match(u.Name)
		case "username":
			return match(u.Username)
		case "given_name":
			return match(u.GivenName)
		case "family_name":
			return match(u.FamilyName)
		case "nickname":
			return match(u.Nickname)
		case "email_verified":
			return match(u.EmailVerified)
		case "blocked":
			return match(u.Blocked)
		case "identities.connection":
			return match(u.Connection)
		}
		if path, ok := strings.CutPrefix(tok.field, "app_metadata."); ok {
			return matchPath(u.AppMetadata, path, match)
		}
		path, _ := strings.CutPrefix(tok.field, "user_metadata.")
		return matchPath(u.UserMetadata, path, match)
	}
}

// matchPath follows a dotted path into metadata; a list matches when one of its items does.
func matchPath(m map[string]any, path string, match func(any) bool) bool {
	key, rest, nested := strings.Cut(path, ".")
	v, ok := m[key]
	if !ok {
		return false
	}
	if nested {
		sub, ok := v.(map[string]any)
		return ok && matchPath(sub, rest, match)
	}
	if list, ok := v.([]any); ok {
		return slices.ContainsFunc(list, match)
	}
	return match(v)
}
