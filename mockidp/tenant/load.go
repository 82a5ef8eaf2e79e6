package tenant

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

const maxErrors = 100

var sectionSchema = func() *schema {
	s := newSchema("tenant file",
		[]string{"tenant", "clients", "resourceServers", "roles", "clientGrants", "connections", "databases", "users", "tenantless"},
		nil,
		// Auth0 Deploy CLI sections the emulator does not model.
		"actions", "actionModules", "attackProtection", "branding", "connectionProfiles", "customDomains",
		"emailProvider", "emailTemplates", "eventStreams", "flows", "flowVaultConnections", "forms", "hooks",
		"logStreams", "migrations", "networkACLs", "organizations", "pages", "phoneProviders", "phoneTemplates",
		"prompts", "riskAssessment", "rules", "rulesConfigs", "selfServiceProfiles", "supplementalSignals",
		"themes", "tokenExchangeProfiles", "triggers", "userAttributeProfiles",
		"guardianFactors", "guardianFactorProviders", "guardianFactorTemplates", "guardianPhoneFactorMessageTypes",
		"guardianPhoneFactorSelectedProvider", "guardianPolicies")
	s.noun = "section"
	s.ignoredPrefix = "guardian"
	return s
}()

// Load reads the tenant file name from fsys: an Auth0 Deploy CLI tenant.yaml plus `users:` and a
// `tenantless:` section. It resolves references, applies Auth0's defaults and validates
// everything; signing key files are read from fsys, relative to the tenant file's directory.
//
// Problems in the file are returned together as Errors, each naming file, line, column and field.
// Other errors (the file cannot be read) wrap the fs error.
func Load(fsys fs.FS, name string) (*Tenant, error) {
	data, err := readFile(fsys, name, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("tenant: %w", err)
	}
	l := &loader{
		fsys:          fsys,
		file:          name,
		seen:          map[string]int{},
		logins:        map[string]int{},
		clientsByName: map[string]*Client{},
		connections:   map[string]*Connection{},
	}
	t := l.load(data)
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b *Error) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		if n := len(l.errs); n > maxErrors {
			l.errs = append(l.errs[:maxErrors], &Error{File: name, Msg: fmt.Sprintf("%d more problems not shown", n-maxErrors)})
		}
		return nil, l.errs
	}
	return t, nil
}

// readFile reads at most limit bytes of a file.
func readFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
}

// loader holds the state of one Load: the tenant being built and the problems found so far.
type loader struct {
	fsys   fs.FS
	file   string
	errs   Errors
	visits int
	t      *Tenant
	// seen maps a kind and value that must be unique to the line it first appears on.
	seen map[string]int
	// logins maps lower-cased emails and usernames to the line of the user they belong to.
	logins        map[string]int
	clientsByName map[string]*Client
	connections   map[string]*Connection
}

func (l *loader) load(data []byte) *Tenant {
	root := l.parse(data)
	if root == nil {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "", "the top level must be a mapping of sections (%s), got %s",
			strings.Join(sectionSchema.modelled, ", "), describe(root))
		return nil
	}
	l.t = &Tenant{
		Name: strings.TrimSuffix(path.Base(l.file), path.Ext(l.file)),
		Settings: Settings{
			SessionLifetime:            defaultSessionLifetime,
			IdleSessionLifetime:        defaultSessionLifetime,
			EndSessionDiscovery:        true,
			UserPicker:                 true,
			LogoutRevokesRefreshTokens: true,
		},
		clientsByID: map[string]*Client{},
		apisByID:    map[string]*API{},
		usersByID:   map[string]*User{},
		usersByName: map[string]*User{},
		rolesByName: map[string]*Role{},
	}

	sections := map[string]field{}
	skipped := l.fields(field{node: root}, sectionSchema, func(f field) { sections[f.key] = f })
	if len(skipped) > 0 {
		slices.Sort(skipped)
		l.t.Warnings = append(l.t.Warnings, fmt.Sprintf("%s: sections not modelled, ignored: %s", l.file, strings.Join(skipped, ", ")))
	}
	// Sections may come in any order; decode them so that each refers only to decoded ones.
	section := func(key string) field {
		if f, ok := sections[key]; ok {
			return f
		}
		return field{key: key, path: key}
	}
	defaultAudience := l.settings(section("tenant"))
	l.tenantless(section("tenantless"))
	l.items(section("resourceServers"), "APIs (resource servers)", l.api)
	l.items(section("clients"), "clients", l.client)
	l.connectionSections(section("connections"), section("databases"))
	l.items(section("roles"), "roles", l.role)
	l.items(section("clientGrants"), "client grants", l.grant)
	l.items(section("users"), "users", l.user)
	if defaultAudience.value != "" {
		if _, ok := l.t.apisByID[defaultAudience.value]; !ok {
			l.errorf(defaultAudience.node, defaultAudience.path, "no API has the identifier %q; APIs: %s", defaultAudience.value, l.apiList())
		}
		l.t.Settings.DefaultAudience = defaultAudience.value
	}
	if l.t.Settings.FriendlyName != "" {
		l.t.Name = l.t.Settings.FriendlyName
	}
	return l.t
}

var (
	yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// parserProblem matches the problems the YAML parser (rather than its scanner) reports; it
	// numbers their lines from 0.
	parserProblem = regexp.MustCompile(`^(did not find expected|found undefined tag handle|found duplicate %|found incompatible YAML)`)
	unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// parse returns the root of the file's single YAML document, or nil after recording why not.
func (l *loader) parse(data []byte) (root *yaml.Node) {
	if line, col, msg := checkText(data); msg != "" {
		l.errs = append(l.errs, &Error{File: l.file, Line: line, Column: col, Msg: msg})
		return nil
	}
	defer func() {
		// The YAML parser is third-party code reading hostile input; whatever it does, Load
		// reports an error rather than crash the server.
		if r := recover(); r != nil {
			l.errs = append(l.errs, &Error{File: l.file, Line: 1, Msg: fmt.Sprintf("not valid YAML: the parser failed: %v", r)})
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.emptyFile()
		} else {
			l.syntaxError(data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		l.syntaxError(data, err)
		return nil
	case len(next.Content) > 0 && next.Content[0].ShortTag() != "!!null":
		l.errorf(&next, "", "a second YAML document starts here; a tenant file holds one")
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == "!!null" {
		l.emptyFile()
		return nil
	}
	return deref(doc.Content[0])
}

func (l *loader) emptyFile() {
	l.errs = append(l.errs, &Error{File: l.file, Line: 1, Column: 1,
		Msg: "the file is empty; a tenant needs at least one section (" + strings.Join(sectionSchema.modelled, ", ") + ")"})
}

// syntaxError records a YAML parser error. The parser names a line but no column: for a parser
// problem the line where the broken block starts, counted from 0; none when that is the first line.
func (l *loader) syntaxError(data []byte, err error) {
	e := &Error{File: l.file, Line: 1, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = "not valid YAML: " + m[2]
		if parserProblem.MatchString(m[2]) {
			e.Line++
		}
	}
	if m := unknownAnchor.FindStringSubmatch(err.Error()); m != nil {
		e.Msg = fmt.Sprintf("not valid YAML: *%s refers to no anchor (&%s) defined before it", m[1], m[1])
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			e.Line = 1 + bytes.Count(data[:i], []byte("\n"))
			e.Column = 1 + utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i])
		}
	}
	l.errs = append(l.errs, e)
}

// unique records a value that must not repeat within kind, and reports a repeat.
func (l *loader) unique(kind, value string, f field) bool {
	key := kind + "\x00" + value
	if line, dup := l.seen[key]; dup {
		l.errorf(f.node, f.path, "duplicate %s %q; the first is at line %d", kind, value, line)
		return false
	}
	l.seen[key] = f.node.Line
	return true
}

// text is a string value with its position, kept for checks made after the whole item is read.
func (l *loader) text(f field) text {
	t := text{path: f.path, node: f.node}
	l.str(f, &t.value)
	return t
}

// urls returns the list f of URLs of kind, reporting each that is not one.
func (l *loader) urls(f field, kind urlKind, customSchemes bool) []string {
	list, ok := l.stringList(f, "URLs")
	if !ok {
		return nil
	}
	for _, u := range list {
		if msg := checkURL(u.value, kind, customSchemes); msg != "" {
			l.errorf(u.node, u.path, "%s", msg)
		}
	}
	return values(list)
}

// The lists of what a tenant defines, for messages that name a missing item.
func (l *loader) apiList() string {
	return listOf(l.t.APIs, func(a *API) string { return a.Identifier })
}

func (l *loader) clientList() string {
	return listOf(l.t.Clients, func(c *Client) string { return fmt.Sprintf("%s (%s)", c.ClientID, c.Name) })
}

func (l *loader) roleList() string { return listOf(l.t.Roles, func(r *Role) string { return r.Name }) }

func (l *loader) connectionList() string {
	return listOf(l.t.Connections, func(c *Connection) string { return c.Name })
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
