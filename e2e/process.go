package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenantless/tenantless/mockidp/localca"
)

// The compose services the process harness runs, in start order (demoapp depends on mockidp
// being healthy).
const (
	ServiceIDP = "mockidp"
	ServiceApp = "demoapp"
)

// Bounds of the process harness. Readiness is polled, not slept for: a process is ready when the
// compose healthcheck passes, usually within tens of milliseconds.
const (
	buildTimeout     = 5 * time.Minute
	readyTimeout     = 10 * time.Second
	readyPoll        = 25 * time.Millisecond
	stopTimeout      = 10 * time.Second
	processOutputMax = 64 << 10
)

// The compose files the process harness runs: the demo over http, and over https with the local
// CA on a volume shared by both services.
const (
	ComposeFile      = "docker-compose.yml"
	ComposeHTTPSFile = "docker-compose.https.yml"
)

// StartProcesses builds mockidp and demoapp (once per test binary) and runs them the way
// docker-compose.yml runs their containers: the entrypoints the file names, the environment it
// gives each service and nothing from the caller's (only GORACE is added when the tests run with
// the race detector, which the programs are then built with), started in depends_on order,
// each waited for with its own healthcheck command. Only what cannot be the same outside
// Docker is rewritten:
//
//   - addresses: each service gets a free loopback port; 0.0.0.0:<container port> binds
//     127.0.0.1, localhost:<published port> (what the browser uses, the issuer) becomes
//     localhost:<new port>, and <service>:<container port> (the compose network, JWKS_URI)
//     becomes 127.0.0.1:<new port>, so the back channel still differs from the issuer;
//   - paths under a volume's target point into a copy of the volume's source, with the tenant's
//     demo app origin rewritten (Tenant.For); a named volume is one empty directory that every
//     service mounting it shares.
//
// The processes get SIGTERM when the test ends and must exit 0, as `docker compose down` expects.
func StartProcesses(t testing.TB) *Env {
	t.Helper()
	return startCompose(t, ComposeFile)
}

// StartProcessesHTTPS is StartProcesses for docker-compose.https.yml: the emulator serves https
// with a certificate from a local CA it makes in the shared volume, and Env.CAFile is that CA's
// certificate.
func StartProcessesHTTPS(t testing.TB) *Env {
	t.Helper()
	return startCompose(t, ComposeHTTPSFile)
}

func startCompose(t testing.TB, file string) *Env {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	composePath := filepath.Join(root, file)
	compose, err := LoadCompose(composePath)
	if err != nil {
		t.Fatal(err)
	}
	bins := buildPrograms(t, root)

	plan, err := planProcesses(compose, root, t.TempDir())
	if err != nil {
		t.Fatalf("%s: %v", composePath, err)
	}
	for _, svc := range plan.order {
		p := plan.procs[svc]
		bin, ok := bins[path0(p.argv[0])]
		if !ok {
			t.Fatalf("%s: service %s runs %s, which is none of the programs built (%v)", composePath, svc, p.argv[0], programs)
		}
		p.argv[0] = bin
		hc, ok := bins[path0(p.health[0])]
		if !ok {
			t.Fatalf("%s: service %s's healthcheck runs %s, which is none of the programs built (%v)", composePath, svc, p.health[0], programs)
		}
		p.health[0] = hc
		startProcess(t, p)
	}
	env := &Env{
		Kind:      KindProcesses,
		Issuer:    plan.issuer,
		IDPOrigin: strings.TrimSuffix(plan.issuer, "/"),
		AppOrigin: plan.appOrigin,
		JWKSURI:   plan.jwksURI,
		Tenant:    plan.tenant,
		CAFile:    plan.caFile,
	}
	if env.CAFile != "" {
		// The emulator made the CA before its healthcheck could pass.
		if err := env.trustCA(); err != nil {
			t.Fatalf("%s: the local CA: %v", composePath, err)
		}
		t.Cleanup(env.transport.CloseIdleConnections)
	}
	return env
}

// path0 is the program name of an in-container path such as /mockidp.
func path0(p string) string { return filepath.Base(p) }

// process is one service as the harness runs it.
type process struct {
	service string
	argv    []string
	env     map[string]string
	health  []string // the healthcheck's command line
}

type processPlan struct {
	order     []string
	procs     map[string]*process
	issuer    string
	appOrigin string
	jwksURI   string
	tenant    Tenant
	caFile    string
}

// volumeCopy is a volume's source copied for the harness, with the files it rewrote.
type volumeCopy struct {
	target, dir string
	rewritten   map[string]bool
}

// planProcesses turns the compose file into command lines and environments with rewritten
// addresses and paths. dir receives the rewritten copies of volume sources.
func planProcesses(c *Compose, root, dir string) (*processPlan, error) {
	services := []string{ServiceIDP, ServiceApp}
	addrs := &addrMap{services: map[string]servicePorts{}}
	for _, name := range services {
		svc, err := c.Service(name)
		if err != nil {
			return nil, err
		}
		ports, err := svc.PortMappings()
		if err != nil {
			return nil, fmt.Errorf("services.%s.ports: %w", name, err)
		}
		if len(ports) != 1 || ports[0].HostPort == 0 {
			return nil, fmt.Errorf("services.%s.ports: want one published port, got %q", name, svc.Ports)
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addrs.services[name] = servicePorts{container: ports[0].ContainerPort, published: ports[0].HostPort, local: port}
	}

	plan := &processPlan{order: services, procs: map[string]*process{}}
	plan.appOrigin = "http://" + net.JoinHostPort("localhost", strconv.Itoa(addrs.services[ServiceApp].local))
	var idpVolumes []volumeCopy
	named := map[string]string{} // a named volume's directory, shared by the services mounting it
	for _, name := range services {
		svc := c.Services[name]
		env, err := svc.Env(noEnv)
		if err != nil {
			return nil, fmt.Errorf("services.%s.%w", name, err)
		}
		mounts, err := svc.Mounts()
		if err != nil {
			return nil, fmt.Errorf("services.%s.volumes: %w", name, err)
		}
		var volumes []volumeCopy
		for i, m := range mounts {
			if m.Named() {
				if _, ok := c.Volumes[m.Source]; !ok {
					return nil, fmt.Errorf("services.%s.volumes: %q is not declared under the top-level volumes", name, m.Source)
				}
				if named[m.Source] == "" {
					named[m.Source] = filepath.Join(dir, "volumes", m.Source)
					if err := os.MkdirAll(named[m.Source], 0o700); err != nil {
						return nil, err
					}
				}
				volumes = append(volumes, volumeCopy{target: m.Target, dir: named[m.Source]})
				continue
			}
			dst := filepath.Join(dir, name, strconv.Itoa(i))
			rewritten, err := copyRewritten(filepath.Join(root, m.Source), dst, plan.appOrigin)
			if err != nil {
				return nil, fmt.Errorf("services.%s.volumes %s: %w", name, m.Source, err)
			}
			volumes = append(volumes, volumeCopy{target: m.Target, dir: dst, rewritten: rewritten})
		}
		if name == ServiceIDP {
			idpVolumes = volumes
		}
		for k, v := range env {
			nv, err := addrs.rewrite(name, v)
			if err == nil {
				nv, err = mapPath(nv, volumes)
			}
			if err != nil {
				return nil, fmt.Errorf("services.%s.environment.%s: %w", name, k, err)
			}
			env[k] = nv
		}
		if len(svc.Entrypoint) == 0 {
			return nil, fmt.Errorf("services.%s: no entrypoint; the image's default is not known here", name)
		}
		if svc.Healthcheck == nil || len(svc.Healthcheck.Test) < 2 || svc.Healthcheck.Test[0] != "CMD" {
			return nil, fmt.Errorf("services.%s.healthcheck.test: want [\"CMD\", program, args...]", name)
		}
		health := slices.Clone(svc.Healthcheck.Test[1:])
		for i, a := range health {
			if health[i], err = addrs.rewrite(name, a); err != nil {
				return nil, fmt.Errorf("services.%s.healthcheck.test: %w", name, err)
			}
		}
		plan.procs[name] = &process{
			service: name,
			argv:    append(slices.Clone(svc.Entrypoint), svc.Command...),
			env:     env,
			health:  health,
		}
	}

	idpEnv, appEnv := plan.procs[ServiceIDP].env, plan.procs[ServiceApp].env
	plan.issuer = idpEnv["MOCKIDP_ISSUER"]
	if plan.issuer == "" || appEnv["ISSUER"] != plan.issuer {
		return nil, fmt.Errorf("mockidp's MOCKIDP_ISSUER %q and demoapp's ISSUER %q must be the same issuer", plan.issuer, appEnv["ISSUER"])
	}
	plan.jwksURI = appEnv["JWKS_URI"]
	if plan.jwksURI == "" {
		plan.jwksURI = plan.issuer + ".well-known/jwks.json"
	}
	if u, err := url.Parse(plan.issuer); err == nil && u.Scheme == "https" {
		if idpEnv["MOCKIDP_CA_DIR"] == "" {
			return nil, errors.New("an https issuer needs MOCKIDP_CA_DIR: without $HOME the emulator has no default CA directory")
		}
		plan.caFile = localca.CertPath(idpEnv["MOCKIDP_CA_DIR"])
	}
	tenantFile := idpEnv["MOCKIDP_TENANT"]
	for _, v := range idpVolumes {
		rel, err := filepath.Rel(v.dir, tenantFile)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		rel = filepath.ToSlash(rel)
		if !v.rewritten[rel] {
			return nil, fmt.Errorf("the tenant file %s does not mention %s, so it cannot be pointed at the demo app", rel, FixtureAppOrigin)
		}
		plan.tenant = Tenant{FS: os.DirFS(v.dir), File: rel}
	}
	if plan.tenant.FS == nil {
		return nil, fmt.Errorf("MOCKIDP_TENANT %q is not in a volume mounted into mockidp", tenantFile)
	}
	return plan, nil
}

// servicePorts are a service's container port, the host port compose publishes it on, and the
// free loopback port the harness gives it instead.
type servicePorts struct{ container, published, local int }

// addrMap rewrites the compose file's addresses to the harness's ports.
type addrMap struct {
	services map[string]servicePorts
}

// loopback are the host names that mean "this machine" (or, inside a container, "this
// container"), and the wildcard binds.
var loopback = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true, "0.0.0.0": true, "::": true, "": true}

// rewrite returns v with its address rewritten, seen from inside service self. A value that is
// neither an http(s) URL nor host:port is returned unchanged, and so is a URL of another host
// (e.g. the API identifier https://api.example.com). A local address the map cannot place is an
// error: the harness would otherwise run something compose does not.
func (a *addrMap) rewrite(self, v string) (string, error) {
	if u, err := url.Parse(v); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		if !loopback[host] && a.services[host] == (servicePorts{}) {
			return v, nil
		}
		n, _ := strconv.Atoi(port)
		nh, err := a.hostPort(self, host, n)
		if err != nil {
			return "", fmt.Errorf("%q: %w", v, err)
		}
		prefix := u.Scheme + "://" + u.Host
		if !strings.HasPrefix(v, prefix) {
			return "", fmt.Errorf("%q: not in canonical form", v)
		}
		return u.Scheme + "://" + nh + v[len(prefix):], nil
	}
	if strings.ContainsAny(v, "/ ") {
		return v, nil
	}
	host, port, err := hostPort(v)
	if err != nil {
		return v, nil
	}
	nh, err := a.hostPort(self, host, port)
	if err != nil {
		return "", fmt.Errorf("%q: %w", v, err)
	}
	return nh, nil
}

func (a *addrMap) hostPort(self, host string, port int) (string, error) {
	join := func(h string, p int) string { return net.JoinHostPort(h, strconv.Itoa(p)) }
	if sp, ok := a.services[host]; ok {
		// The compose network: another container by its service name. The harness reaches
		// it on loopback by number, which keeps it visibly apart from the issuer's host name.
		if port != sp.container {
			return "", fmt.Errorf("service %s listens on %d, not %d", host, sp.container, port)
		}
		return join("127.0.0.1", sp.local), nil
	}
	if !loopback[host] {
		return "", fmt.Errorf("host %q is neither local nor a service", host)
	}
	name := host
	if host == "0.0.0.0" || host == "::" || host == "" {
		name = "127.0.0.1" // listen on loopback only, as the published ports do
	}
	// Inside a container, loopback at its own container port is the service itself (its
	// listen address, its healthcheck); otherwise a published port is what the host, and the
	// browser on it, reaches.
	if sp := a.services[self]; port == sp.container {
		return join(name, sp.local), nil
	}
	for _, sp := range a.services {
		if port == sp.published {
			return join(name, sp.local), nil
		}
	}
	return "", fmt.Errorf("no service is published on port %d", port)
}

// mapPath maps an absolute in-container path under a volume's target, or the target itself, to
// the volume's copy.
func mapPath(v string, volumes []volumeCopy) (string, error) {
	if !strings.HasPrefix(v, "/") {
		return v, nil
	}
	for _, m := range volumes {
		if v == strings.TrimSuffix(m.target, "/") {
			return m.dir, nil
		}
		rel, ok := strings.CutPrefix(v, strings.TrimSuffix(m.target, "/")+"/")
		if ok && filepath.IsLocal(rel) {
			return filepath.Join(m.dir, filepath.FromSlash(rel)), nil
		}
	}
	return "", fmt.Errorf("%q is a path in the image, outside every volume", v)
}

// copyRewritten copies directory src to dst, rewriting the demo app origin in YAML files.
func copyRewritten(src, dst, appOrigin string) (map[string]bool, error) {
	files, rewritten, err := rewriteOrigin(os.DirFS(src), appOrigin)
	if err != nil {
		return nil, err
	}
	if err := os.CopyFS(dst, files); err != nil {
		return nil, err
	}
	return rewritten, nil
}

// freePort asks the kernel for a free loopback port. Another process could take it before the
// service binds it; on a test machine that is rare, and the service then fails to start with an
// error that says so.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// moduleRoot finds this module's go.mod above the working directory (go test runs in e2e/).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/tenantless/tenantless\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errNoModule
		}
		dir = parent
	}
}

// programs are the commands the image holds, by their names there (/mockidp, /demoapp).
var programs = []string{"mockidp", "demoapp"}

var build struct {
	once sync.Once
	dir  string
	bins map[string]string
	err  error
}

// buildPrograms builds the programs once per test binary; RemoveBuilds deletes them. With the
// race detector on in the tests, the programs get it too.
func buildPrograms(t testing.TB, root string) map[string]string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "tenantless-e2e-bin-")
		if build.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		args := []string{"build", "-o", build.dir + string(filepath.Separator)}
		if raceEnabled {
			args = append(args, "-race")
		}
		for _, p := range programs {
			args = append(args, "./"+p)
		}
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		t.Logf("built %v in %d ms", programs, time.Since(start).Milliseconds())
		build.bins = map[string]string{}
		for _, p := range programs {
			build.bins[p] = filepath.Join(build.dir, p)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bins
}

// RemoveBuilds deletes what StartProcesses built; call it from TestMain after m.Run.
func RemoveBuilds() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
}

// startProcess runs p, waits until its healthcheck passes, and stops it when the test ends.
func startProcess(t testing.TB, p *process) {
	t.Helper()
	out := &tailBuffer{max: processOutputMax}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = make([]string, 0, len(p.env))
	for k, v := range p.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if raceEnabled {
		// Not the program's configuration but the race detector's: without it every exit,
		// each healthcheck's included, waits a second for late race reports.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	slices.Sort(cmd.Env)
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", p.service, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	stopped := false
	t.Cleanup(func() {
		if stopped {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%s did not exit cleanly on SIGTERM: %v\n%s", p.service, err, out)
			}
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("%s still running %v after SIGTERM; killed\n%s", p.service, stopTimeout, out)
		}
		if t.Failed() {
			t.Logf("%s output (last %d KiB):\n%s", p.service, processOutputMax>>10, out)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	var last error
	for {
		hc := exec.CommandContext(ctx, p.health[0], p.health[1:]...)
		hc.Env = cmd.Env // a healthcheck runs inside the service's container
		hcOut, err := hc.CombinedOutput()
		if err == nil {
			t.Logf("%s (%s): healthy %d ms after start, env %v", p.service, cmd.Path, time.Since(start).Milliseconds(), cmd.Env)
			return
		}
		last = fmt.Errorf("%s: %v: %s", strings.Join(p.health, " "), err, bytes.TrimSpace(hcOut))
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("%s exited before it was healthy: %v\n%s", p.service, err, out)
		case <-ctx.Done():
			t.Fatalf("%s not healthy within %v; last check: %v\n%s", p.service, readyTimeout, last, out)
		case <-tick.C:
		}
	}
}
