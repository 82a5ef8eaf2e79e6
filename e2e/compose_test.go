package e2e

import (
	"bufio"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/localca"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// TestComposeWiring reads the compose files and the Dockerfile and checks that they agree with
// each other, with the default tenant and with what the programs expect, so the files cannot rot
// where no Docker engine runs. StartProcesses and StartProcessesHTTPS run the same files'
// environments for real.
//
// The address every browser sees (the issuer, http://localhost:4000/ or https://localhost:4443/)
// and the one the demo app's container uses to fetch keys (JWKS_URI, on the service name mockidp)
// differ on purpose; most checks are about keeping each on its side.
func TestComposeWiring(t *testing.T) {
	for _, tc := range []struct {
		file   string
		issuer string
	}{
		{ComposeFile, "http://localhost:4000/"},
		{ComposeHTTPSFile, "https://localhost:4443/"},
	} {
		t.Run(tc.file, func(t *testing.T) { checkComposeWiring(t, tc.file, tc.issuer) })
	}
}

func checkComposeWiring(t *testing.T, file, wantIssuer string) {
	root, err := moduleRoot()
	require.NoError(t, err)
	compose, err := LoadCompose(filepath.Join(root, file))
	require.NoError(t, err)
	idpSvc, err := compose.Service(ServiceIDP)
	require.NoError(t, err)
	appSvc, err := compose.Service(ServiceApp)
	require.NoError(t, err)
	idpEnv, err := idpSvc.Env(noEnv)
	require.NoError(t, err)
	appEnv, err := appSvc.Env(noEnv)
	require.NoError(t, err)
	wantURL, err := url.Parse(wantIssuer)
	require.NoError(t, err)
	idpPort, err := strconv.Atoi(wantURL.Port())
	require.NoError(t, err)

	publishedPort := func(t *testing.T, name string, svc *ComposeService) PortMapping {
		t.Helper()
		ports, err := svc.PortMappings()
		require.NoError(t, err)
		require.Len(t, ports, 1, "services.%s.ports: want exactly one published port", name)
		return ports[0]
	}
	listenPort := func(t *testing.T, name, variable, value string) int {
		t.Helper()
		host, port, err := hostPort(value)
		require.NoError(t, err, "services.%s.environment.%s", name, variable)
		assert.Contains(t, []string{"0.0.0.0", "", "::"}, host,
			"services.%s.environment.%s = %q: inside a container the server must listen on all interfaces, or the published port reaches nothing", name, variable, value)
		return port
	}

	t.Run("ports are published on loopback only", func(t *testing.T) {
		for name, want := range map[string]int{ServiceIDP: idpPort, ServiceApp: 3000} {
			p := publishedPort(t, name, compose.Services[name])
			assert.Equal(t, "127.0.0.1", p.HostIP, "services.%s.ports: publish on 127.0.0.1, not every interface of the developer's machine", name)
			assert.Equal(t, want, p.HostPort, "services.%s.ports: the README and the default tenant use port %d", name, want)
		}
	})

	t.Run("listen addresses match the container ports", func(t *testing.T) {
		assert.Equal(t, publishedPort(t, ServiceIDP, idpSvc).ContainerPort, listenPort(t, ServiceIDP, "MOCKIDP_ADDR", idpEnv["MOCKIDP_ADDR"]),
			"MOCKIDP_ADDR's port must be the container port that services.mockidp.ports publishes")
		assert.Equal(t, publishedPort(t, ServiceApp, appSvc).ContainerPort, listenPort(t, ServiceApp, "DEMOAPP_ADDR", appEnv["DEMOAPP_ADDR"]),
			"DEMOAPP_ADDR's port must be the container port that services.demoapp.ports publishes")
	})

	t.Run("one issuer, as the browser sees it", func(t *testing.T) {
		issuer := idpEnv["MOCKIDP_ISSUER"]
		assert.Equal(t, wantIssuer, issuer, "MOCKIDP_ISSUER")
		assert.Equal(t, issuer, appEnv["ISSUER"], "demoapp's ISSUER must be byte for byte mockidp's MOCKIDP_ISSUER: tokens carry it in iss")
		u, err := url.Parse(issuer)
		require.NoError(t, err)
		assert.Equal(t, "localhost", u.Hostname(), "the issuer is opened by the browser on the host, so its host is localhost")
		assert.Equal(t, strconv.Itoa(publishedPort(t, ServiceIDP, idpSvc).HostPort), u.Port(),
			"the issuer's port must be the host port services.mockidp.ports publishes, or the browser cannot reach the login page")
	})

	t.Run("JWKS_URI is the emulator on the compose network", func(t *testing.T) {
		raw := appEnv["JWKS_URI"]
		require.NotEmpty(t, raw, "demoapp needs JWKS_URI: inside its container localhost:4000 (the issuer) is the demo app itself")
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, wantURL.Scheme, u.Scheme, "JWKS_URI is served by the same server as the issuer, so with its scheme")
		assert.Equal(t, ServiceIDP, u.Hostname(), "JWKS_URI's host must be the emulator's service name")
		_, idpPort, err := hostPort(idpEnv["MOCKIDP_ADDR"])
		require.NoError(t, err)
		assert.Equal(t, strconv.Itoa(idpPort), u.Port(), "JWKS_URI's port must be the one MOCKIDP_ADDR listens on (the container port, not the published one)")
		assert.Equal(t, "/.well-known/jwks.json", u.Path)
	})

	t.Run("demoapp is configured for the default tenant", func(t *testing.T) {
		assert.Equal(t, Audience, appEnv["AUDIENCE"])
		assert.Equal(t, SPAClientID, appEnv["CLIENT_ID"])
	})

	t.Run("tenant file is mounted where MOCKIDP_TENANT points", func(t *testing.T) {
		file := idpEnv["MOCKIDP_TENANT"]
		require.True(t, path.IsAbs(file), "MOCKIDP_TENANT %q: an absolute path in the container", file)
		mounts, err := idpSvc.Mounts()
		require.NoError(t, err)
		i := slices.IndexFunc(mounts, func(m VolumeMount) bool { return m.Target == path.Dir(file) })
		require.GreaterOrEqual(t, i, 0, "no volume of services.mockidp mounts %s, the directory of MOCKIDP_TENANT", path.Dir(file))
		m := mounts[i]
		assert.Equal(t, "ro", m.Mode, "the fixtures are mounted read-only")
		onHost := filepath.Join(root, m.Source, path.Base(file))
		_, err = os.Stat(onHost)
		require.NoError(t, err, "MOCKIDP_TENANT names %s, which is not in %s", path.Base(file), m.Source)
		ten, err := tenant.Load(os.DirFS(filepath.Dir(onHost)), path.Base(file))
		require.NoError(t, err, "the tenant compose serves must load")
		spa, ok := ten.Client(appEnv["CLIENT_ID"])
		require.True(t, ok, "the tenant has no client %s (demoapp's CLIENT_ID)", appEnv["CLIENT_ID"])
		origin := "http://localhost:" + strconv.Itoa(publishedPort(t, ServiceApp, appSvc).HostPort)
		assert.Contains(t, spa.Callbacks, origin, "the SPA's callbacks must list the demo app's published origin")
		assert.Contains(t, spa.WebOrigins, origin, "the SPA's web origins (silent authentication) must list the demo app's published origin")
		assert.Contains(t, spa.AllowedLogoutURLs, origin, "the SPA's logout URLs must list the demo app's published origin")
	})

	t.Run("healthchecks probe each service's own port", func(t *testing.T) {
		for name, want := range map[string]struct{ scheme, path string }{ServiceIDP: {wantURL.Scheme, "/healthz"}, ServiceApp: {"http", "/api/open"}} {
			svc := compose.Services[name]
			require.NotNil(t, svc.Healthcheck, "services.%s has no healthcheck", name)
			test := svc.Healthcheck.Test
			require.GreaterOrEqual(t, len(test), 5, "services.%s.healthcheck.test", name)
			assert.Equal(t, []string{"CMD", "/mockidp", "healthcheck", "--url"}, test[:4],
				"services.%s.healthcheck: the image has no shell or curl, only /mockidp healthcheck", name)
			u, err := url.Parse(test[4])
			require.NoError(t, err)
			assert.Contains(t, []string{"127.0.0.1", "localhost"}, u.Hostname(), "services.%s.healthcheck runs inside the container", name)
			assert.Equal(t, strconv.Itoa(publishedPort(t, name, svc).ContainerPort), u.Port(), "services.%s.healthcheck must probe its container port", name)
			assert.Equal(t, want.path, u.Path, "services.%s.healthcheck", name)
			assert.Equal(t, want.scheme, u.Scheme, "services.%s.healthcheck probes what the service serves", name)
			assert.Positive(t, svc.Healthcheck.Retries, "services.%s.healthcheck.retries", name)
		}
	})

	t.Run("demoapp waits for a healthy emulator", func(t *testing.T) {
		dep, ok := appSvc.DependsOn[ServiceIDP]
		require.True(t, ok, "services.demoapp.depends_on must name mockidp")
		assert.Equal(t, "service_healthy", dep.Condition, "services.demoapp.depends_on.mockidp.condition")
	})

	if wantURL.Scheme == "https" {
		t.Run("the local CA is on a volume both services mount", func(t *testing.T) {
			caDir := idpEnv["MOCKIDP_CA_DIR"]
			require.True(t, path.IsAbs(caDir), "services.mockidp.environment.MOCKIDP_CA_DIR %q: an absolute path in the container "+
				"(the image has no $HOME, so there is no default)", caDir)
			volume := func(name string, svc *ComposeService) VolumeMount {
				t.Helper()
				mounts, err := svc.Mounts()
				require.NoError(t, err)
				i := slices.IndexFunc(mounts, func(m VolumeMount) bool { return m.Target == caDir })
				require.GreaterOrEqual(t, i, 0, "services.%s.volumes: nothing is mounted at the CA directory %s", name, caDir)
				return mounts[i]
			}
			idpMount, appMount := volume(ServiceIDP, idpSvc), volume(ServiceApp, appSvc)
			assert.True(t, idpMount.Named(), "the CA lives in a named volume, not in a directory of the host")
			assert.Contains(t, compose.Volumes, idpMount.Source, "the top-level volumes declare %s", idpMount.Source)
			assert.Equal(t, idpMount.Source, appMount.Source, "the demo app mounts the emulator's CA volume")
			assert.Empty(t, idpMount.Mode, "the emulator makes the CA in its volume on first start")
			assert.Equal(t, "ro", appMount.Mode, "the demo app only reads the CA")
			assert.Equal(t, path.Join(caDir, localca.CertFile), appEnv["SSL_CERT_FILE"],
				"the demo app trusts the CA certificate alone: it talks to no server but the emulator")

			df := readDockerfile(t, filepath.Join(root, "Dockerfile"))
			assert.Equal(t, df.user, df.owned[caDir],
				"the image has %s owned by its user, so a new named volume there is writable by the non-root emulator", caDir)
		})

		t.Run("the certificate names the service JWKS_URI uses", func(t *testing.T) {
			u, err := url.Parse(appEnv["JWKS_URI"])
			require.NoError(t, err)
			args := idpSvc.Command
			i := slices.Index(args, "--tls-host")
			require.True(t, i >= 0 && i+1 < len(args), "services.mockidp.command %q: want --tls-host %s", args, u.Hostname())
			assert.Equal(t, u.Hostname(), args[i+1], "services.mockidp.command: --tls-host must be JWKS_URI's host")
			assert.Equal(t, "serve", args[0], "services.mockidp.command runs the server")
		})
	}

	t.Run("image builds both programs where the entrypoints run them", func(t *testing.T) {
		df := readDockerfile(t, filepath.Join(root, "Dockerfile"))
		assert.Equal(t, idpSvc.Image, appSvc.Image, "both services run the one image")
		for name, svc := range map[string]*ComposeService{ServiceIDP: idpSvc, ServiceApp: appSvc} {
			require.NotEmpty(t, svc.Entrypoint, "services.%s.entrypoint", name)
			pkg, ok := df.programs[svc.Entrypoint[0]]
			assert.True(t, ok, "services.%s.entrypoint %s is not a file the Dockerfile puts in the image (it has %v)", name, svc.Entrypoint[0], df.programs)
			assert.Equal(t, "./"+name, pkg, "services.%s.entrypoint %s must be built from ./%s", name, svc.Entrypoint[0], name)
			assert.NotNil(t, svc.Build, "services.%s.build: `docker compose up` must build the image on a fresh machine", name)
		}
		assert.NotEmpty(t, df.user, "the final stage has no USER: it would run as root")
		assert.NotContains(t, []string{"root", "0", "root:root", "0:0"}, df.user, "the final stage runs as root")
	})
}

// dockerfile is what the wiring test reads of a multi-stage Dockerfile.
type dockerfile struct {
	programs map[string]string // path in the final image -> Go package built into it
	user     string            // the final stage's last USER
	owned    map[string]string // path in the final image -> the owner COPY --chown gave it
}

// readDockerfile follows `go build -o OUT PKG` in build stages and `COPY --from=STAGE SRC... DST`
// in the final one. It understands the simple forms this repository uses, and fails on others.
func readDockerfile(t *testing.T, file string) dockerfile {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		if cur.Len() > 0 {
			lines = append(lines, cur.String())
		}
		cur.Reset()
	}
	require.NoError(t, sc.Err())

	built := map[string]map[string]string{} // stage -> output path -> package
	stage, final := "", map[string]string{}
	var df dockerfile
	for _, line := range lines {
		words := strings.Fields(line)
		switch strings.ToUpper(words[0]) {
		case "FROM":
			stage = ""
			if len(words) >= 4 && strings.EqualFold(words[2], "AS") {
				stage = words[3]
			}
			built[stage] = map[string]string{}
			final, df.user, df.owned = map[string]string{}, "", map[string]string{}
		case "RUN":
			for _, cmd := range strings.Split(line, "&&") {
				w := strings.Fields(cmd)
				i := slices.Index(w, "build")
				if i < 1 || !strings.HasSuffix(w[i-1], "go") {
					continue
				}
				if o := slices.Index(w, "-o"); o > 0 && o+1 < len(w) {
					built[stage][w[o+1]] = w[len(w)-1]
				}
			}
		case "COPY":
			from, owner := "", ""
			args := words[1:]
			for len(args) > 0 && strings.HasPrefix(args[0], "--") {
				if v, ok := strings.CutPrefix(args[0], "--from="); ok {
					from = v
				}
				if v, ok := strings.CutPrefix(args[0], "--chown="); ok {
					owner = v
				}
				args = args[1:]
			}
			if from == "" || len(args) < 2 {
				continue
			}
			dst := args[len(args)-1]
			if owner != "" {
				df.owned[dst] = owner
			}
			for _, src := range args[:len(args)-1] {
				pkg, ok := built[from][src]
				if !ok {
					continue
				}
				target := dst
				if strings.HasSuffix(dst, "/") {
					target = path.Join(dst, path.Base(src))
				}
				final[target] = pkg
			}
		case "USER":
			df.user = words[1]
		}
	}
	df.programs = final
	require.NotEmpty(t, df.programs, "%s: found no `go build -o` output copied into the final stage", file)
	return df
}
