package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Compose is the part of a docker-compose.yml the harness runs and the wiring test checks.
type Compose struct {
	Services map[string]*ComposeService `yaml:"services"`
	// Volumes are the named volumes the file declares; their settings do not matter here.
	Volumes map[string]any `yaml:"volumes"`
}

// ComposeService is one service. Environment and DependsOn accept both of Compose's spellings
// (a mapping, or a list of "K=V" / service names).
type ComposeService struct {
	Build       any                 `yaml:"build"`
	Image       string              `yaml:"image"`
	Entrypoint  []string            `yaml:"entrypoint"`
	Command     []string            `yaml:"command"`
	Environment composeEnv          `yaml:"environment"`
	Volumes     []string            `yaml:"volumes"`
	Ports       []string            `yaml:"ports"`
	Healthcheck *ComposeHealthcheck `yaml:"healthcheck"`
	DependsOn   composeDependsOn    `yaml:"depends_on"`
}

// ComposeHealthcheck is a service's healthcheck.
type ComposeHealthcheck struct {
	Test        []string `yaml:"test"`
	Interval    string   `yaml:"interval"`
	Timeout     string   `yaml:"timeout"`
	Retries     int      `yaml:"retries"`
	StartPeriod string   `yaml:"start_period"`
}

// ComposeCondition is the long form of a depends_on entry.
type ComposeCondition struct {
	Condition string `yaml:"condition"`
}

type composeEnv map[string]string

// UnmarshalYAML takes both of Compose's spellings: a mapping, or a list of KEY=VALUE.
func (e *composeEnv) UnmarshalYAML(n *yaml.Node) error {
	m, err := mappingOrList(n, "environment", func(kv string) (string, string) {
		k, v, _ := strings.Cut(kv, "=")
		return k, v
	})
	*e = m
	return err
}

type composeDependsOn map[string]ComposeCondition

// UnmarshalYAML takes both of Compose's spellings: a mapping of conditions, or a list of
// service names, which Compose reads as condition service_started.
func (d *composeDependsOn) UnmarshalYAML(n *yaml.Node) error {
	m, err := mappingOrList(n, "depends_on", func(name string) (string, ComposeCondition) {
		return name, ComposeCondition{Condition: "service_started"}
	})
	*d = m
	return err
}

// mappingOrList decodes a Compose field that is either a mapping or a list of strings, each
// list item turned into an entry by entry.
func mappingOrList[V any](n *yaml.Node, field string, entry func(string) (string, V)) (map[string]V, error) {
	m := map[string]V{}
	switch n.Kind {
	case yaml.MappingNode:
		if err := n.Decode(&m); err != nil {
			return nil, err
		}
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return nil, err
		}
		for _, item := range list {
			k, v := entry(item)
			m[k] = v
		}
	default:
		return nil, fmt.Errorf("line %d: %s must be a mapping or a list", n.Line, field)
	}
	return m, nil
}

// LoadCompose reads a compose file.
func LoadCompose(path string) (*Compose, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(c.Services) == 0 {
		return nil, fmt.Errorf("%s: no services", path)
	}
	return &c, nil
}

// Service returns the named service or an error naming the file's services.
func (c *Compose) Service(name string) (*ComposeService, error) {
	s, ok := c.Services[name]
	if !ok || s == nil {
		names := make([]string, 0, len(c.Services))
		for n := range c.Services {
			names = append(names, n)
		}
		return nil, fmt.Errorf("compose file has no service %q (it has %v)", name, names)
	}
	return s, nil
}

// Env returns the service's environment with ${VAR}, ${VAR:-default} and ${VAR-default}
// interpolated from lookup, as Compose does with the shell's environment. The harness passes a
// lookup that finds nothing, so the file's own defaults apply whatever the developer's shell
// holds.
func (s *ComposeService) Env(lookup func(string) (string, bool)) (map[string]string, error) {
	out := make(map[string]string, len(s.Environment))
	for k, v := range s.Environment {
		iv, err := interpolate(v, lookup)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", k, err)
		}
		out[k] = iv
	}
	return out, nil
}

var composeVar = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

func interpolate(s string, lookup func(string) (string, bool)) (string, error) {
	// Anything else starting with "${" (e.g. ${VAR:?message}) is a form the harness would get
	// wrong, so it says so rather than guessing.
	if strings.Contains(composeVar.ReplaceAllString(s, ""), "${") {
		return "", fmt.Errorf("%q: interpolation the harness does not understand", s)
	}
	return composeVar.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := composeVar.FindStringSubmatch(m)
		name, op, def := sub[1], sub[2], sub[3]
		if name == "" {
			name = sub[4]
		}
		v, ok := lookup(name)
		switch {
		case op == ":-" && (!ok || v == ""):
			return def
		case op == "-" && !ok:
			return def
		}
		return v
	}), nil
}

// noEnv is a lookup that finds nothing.
func noEnv(string) (string, bool) { return "", false }

// PortMapping is one short-syntax "ports" entry: [host_ip:][host_port:]container_port.
type PortMapping struct {
	HostIP        string
	HostPort      int
	ContainerPort int
}

// PortMappings parses the service's ports.
func (s *ComposeService) PortMappings() ([]PortMapping, error) {
	var out []PortMapping
	for _, p := range s.Ports {
		spec, _, _ := strings.Cut(p, "/") // "/tcp"
		parts := strings.Split(spec, ":")
		var m PortMapping
		var err1, err2 error
		switch len(parts) {
		case 1:
			m.ContainerPort, err1 = strconv.Atoi(parts[0])
		case 2:
			m.HostPort, err1 = strconv.Atoi(parts[0])
			m.ContainerPort, err2 = strconv.Atoi(parts[1])
		case 3:
			m.HostIP = parts[0]
			m.HostPort, err1 = strconv.Atoi(parts[1])
			m.ContainerPort, err2 = strconv.Atoi(parts[2])
		default:
			return nil, fmt.Errorf("port %q: not [host_ip:][host_port:]container_port", p)
		}
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("port %q: %w", p, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// VolumeMount is one short-syntax "volumes" entry: source:target[:mode].
type VolumeMount struct {
	Source, Target, Mode string
}

// Named reports whether the source is a named volume rather than a path on the host: Compose
// reads a source that starts with neither "." nor "/" nor "~" as a volume's name.
func (m VolumeMount) Named() bool {
	return !strings.HasPrefix(m.Source, ".") && !strings.HasPrefix(m.Source, "/") && !strings.HasPrefix(m.Source, "~")
}

// Mounts parses the service's volumes.
func (s *ComposeService) Mounts() ([]VolumeMount, error) {
	var out []VolumeMount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("volume %q: not source:target[:mode]", v)
		}
		m := VolumeMount{Source: parts[0], Target: parts[1]}
		if len(parts) == 3 {
			m.Mode = parts[2]
		}
		out = append(out, m)
	}
	return out, nil
}

// hostPort splits host:port with a numeric port.
func hostPort(s string) (string, int, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("%q: port is not a number", s)
	}
	return h, n, nil
}
