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
		[]string{"tenant", "clients", "resourceServers", "roles", "clientGrants", "connections", "databases", "users", "actions", "triggers", "tenantless"},
		nil,
		// Auth0 Deploy CLI sections the emulator does not model.
		"actionModules", "attackProtection", "branding", "connectionProfiles", "customDomains",
		"emailProvider", "emailTemplates", "eventStreams", "flows", "flowVaultConnections", "forms", "hooks",
		"logStreams", "migrations", "networkACLs", "organizations", "pages", "phoneProviders", "phoneTemplates",
		"prompts", "riskAssessment", "rules", "rulesConfigs", "selfServiceProfiles", "supplementalSignals",
		"themes", "tokenExchangeProfiles", "userAttributeProfiles",
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
	l := &loader{fsys: fsys, file: name, refused: map[string]bool{}, decoded: map[any]*item{}}
	t := l.load(data)
	if t != nil {
		t.origin = nil
	}
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
	// refused holds the path of every value the loader itself has found wrong.
	refused map[string]bool
	// item is the list item being decoded; decoded holds every item decoded so far.
	item    *item
	decoded map[any]*item
}

// item is where one list item (an API, client, role, ...) and its fields are in the file.
type item struct {
	path  string
	node  *yaml.Node
	nodes map[string]*yaml.Node // by path; only fields with a value
}

// at is the node of the field at path, else of its nearest enclosing field, else of the item.
func (it *item) at(path string) *yaml.Node {
	for p := path; p != it.path && p != ""; p = parent(p) {
		if n, ok := it.nodes[p]; ok {
			return n
		}
	}
	return it.node
}

// parent cuts the last field or index off a path: a.b[1] → a.b → a.
func parent(path string) string {
	return path[:max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['), 0)]
}

// begin starts decoding the list item f into x: from here on its fields' positions are recorded.
func (l *loader) begin(f field, x any) {
	l.item = &item{path: f.path, node: f.node, nodes: map[string]*yaml.Node{}}
	l.decoded[x] = l.item
}

// place reports the problems the tenant's rules found in the item being decoded, each at its
// field's position. A problem in a field whose value the loader refused (or in a field inside
// it) follows from that and is left out: `name: 2024` is "must be a string", not also "required";
// so are all the problems of an item that is not a mapping.
func (l *loader) place(errs FieldErrors) {
	it := l.item
	l.item = nil
	if it.node.Kind != yaml.MappingNode {
		return
	}
	for _, e := range errs {
		path := it.path
		if e.Field != "" {
			path = join(it.path, e.Field)
		}
		if l.refusedAt(it, path) {
			continue
		}
		msg := e.Msg
		if _, given := it.nodes[path]; e.missing && given {
			msg = "must not be empty: " + strings.TrimPrefix(msg, "required: ")
		}
		l.report(it.at(path), path, msg)
	}
}

func (l *loader) refusedAt(it *item, path string) bool {
	for p := path; p != it.path && p != ""; p = parent(p) {
		if l.refused[p] {
			return true
		}
	}
	return false
}

// line is where the file defines an item's field (the item itself for ""), for Tenant.origin.
func (l *loader) line(x any, field string) int {
	it, ok := l.decoded[x]
	if !ok {
		return 0
	}
	if field == "" {
		return it.node.Line
	}
	return it.at(join(it.path, field)).Line
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
	l.t = newTenant(strings.TrimSuffix(path.Base(l.file), path.Ext(l.file)), Settings{
		SessionLifetime:            defaultSessionLifetime,
		IdleSessionLifetime:        defaultSessionLifetime,
		EndSessionDiscovery:        true,
		UserPicker:                 true,
		LogoutRevokesRefreshTokens: true,
	})
	l.t.origin = l.line

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
	l.items(section("actions"), "actions", l.action)
	l.triggers(section("triggers"))
	if defaultAudience.value != "" {
		if _, ok := l.t.API(defaultAudience.value); !ok {
			l.errorf(defaultAudience.node, defaultAudience.path, "no API has the identifier %q; APIs: %s", defaultAudience.value, l.t.apiList())
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

// urls decodes the list f of URLs of kind, reporting each that is not one.
func (l *loader) urls(f field, kind urlKind, customSchemes bool) []string {
	var list []string
	l.stringList(f, "URLs", &list)
	for i, u := range list {
		path := index(f.path, i)
		if msg := checkURL(u, kind, customSchemes); msg != "" && !l.refused[path] {
			l.errorf(deref(f.node.Content[i]), path, "%s", msg)
		}
	}
	return list
}
