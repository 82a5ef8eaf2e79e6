package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pemCerts parses every certificate in PEM data.
func pemCerts(t *testing.T, data []byte) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return certs
		}
		require.Equal(t, "CERTIFICATE", b.Type)
		c, err := x509.ParseCertificate(b.Bytes)
		require.NoError(t, err)
		certs = append(certs, c)
	}
}

func TestCACommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tenantless")
	env := envMap("MOCKIDP_CA_DIR", dir)

	code, stdout, stderr := runCmd(t, env, "ca")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "mockidp ca: made a new local CA in "+dir+"\n", stderr)
	certs := pemCerts(t, []byte(stdout))
	require.Len(t, certs, 1)
	ca := certs[0]
	assert.True(t, ca.IsCA)
	file, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	assert.Equal(t, string(file), stdout, "prints what the file holds")

	t.Run("again: the same CA, nothing made", func(t *testing.T) {
		code, again, stderr := runCmd(t, env, "ca")
		require.Equal(t, 0, code)
		assert.Empty(t, stderr)
		assert.Equal(t, stdout, again)
	})
	t.Run("--path prints the file's path alone", func(t *testing.T) {
		code, out, stderr := runCmd(t, env, "ca", "--path")
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, filepath.Join(dir, "ca.pem")+"\n", out)
	})
	t.Run("--ca-dir wins over MOCKIDP_CA_DIR and makes the CA", func(t *testing.T) {
		flagDir := filepath.Join(t.TempDir(), "flag")
		code, out, stderr := runCmd(t, env, "ca", "--path", "--ca-dir", flagDir)
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, filepath.Join(flagDir, "ca.pem")+"\n", out)
		assert.Contains(t, stderr, "made a new local CA in "+flagDir)
		_, err := os.Stat(filepath.Join(flagDir, "ca-key.pem"))
		assert.NoError(t, err)
	})
	t.Run("--bundle: the system roots, then the CA", func(t *testing.T) {
		code, out, stderr := runCmd(t, env, "ca", "--bundle")
		var system []byte
		for _, path := range systemRootFiles {
			data, err := os.ReadFile(path)
			if err == nil && len(pemCerts(t, data)) > 0 {
				system = data
				break
			}
		}
		if system == nil {
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, "no system bundle of root certificates in /etc/ssl/certs/ca-certificates.crt, ")
			return
		}
		require.Equal(t, 0, code, stderr)
		path := strings.TrimSuffix(out, "\n")
		assert.Equal(t, filepath.Join(dir, "bundle.pem"), path)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		got := pemCerts(t, data)
		want := pemCerts(t, system)
		require.Len(t, got, len(want)+1)
		assert.Equal(t, ca.Raw, got[len(got)-1].Raw)
		assert.Equal(t, want[0].Raw, got[0].Raw)
	})
}

func TestCACommandNames(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"default issuer adds nothing", nil, nil, []string{"localhost", "test", "internal"}},
		{"an https issuer's host and --tls-host", []string{"MOCKIDP_ISSUER", "https://Auth.Corp.Example:8443/"}, []string{"--tls-host", "mockidp", "--tls-host", "idp.test"},
			[]string{"localhost", "test", "internal", "auth.corp.example", "mockidp"}},
		{"--issuer wins over MOCKIDP_ISSUER", []string{"MOCKIDP_ISSUER", "https://env.example/"}, []string{"--issuer", "https://flag.example/"},
			[]string{"localhost", "test", "internal", "flag.example"}},
		{"an http issuer's host is not served over https", []string{"MOCKIDP_ISSUER", "http://plain.example/"}, nil, []string{"localhost", "test", "internal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			code, stdout, stderr := runCmd(t, envMap(append(tt.env, "MOCKIDP_CA_DIR", dir)...), append([]string{"ca"}, tt.args...)...)
			require.Equal(t, 0, code, stderr)
			certs := pemCerts(t, []byte(stdout))
			require.Len(t, certs, 1)
			assert.Equal(t, tt.want, certs[0].PermittedDNSDomains)
		})
	}
}

func TestCACommandRefuses(t *testing.T) {
	existing := t.TempDir()
	code, _, stderr := runCmd(t, envMap("MOCKIDP_CA_DIR", existing), "ca")
	require.Equal(t, 0, code, stderr)
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		err  string
	}{
		{"--path and --bundle", nil, []string{"--path", "--bundle"}, 2, "mockidp ca: --path and --bundle print different files: give one"},
		{"stray argument", nil, []string{"path"}, 2, `unexpected argument "path"`},
		{"malformed --tls-host", nil, []string{"--tls-host", "a/b"}, 2, `invalid value "a/b" for flag -tls-host`},
		{"a name the existing CA may not vouch for", []string{"MOCKIDP_CA_DIR", existing}, []string{"--path", "--tls-host", "mockidp"}, 1,
			"mockidp ca: localca: the local CA in " + existing + " may not vouch for mockidp"},
		{"an https issuer the existing CA may not vouch for", []string{"MOCKIDP_CA_DIR", existing, "MOCKIDP_ISSUER", "https://10.1.2.3/"}, nil, 1,
			"may not vouch for 10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, envMap(tt.env...), append([]string{"ca"}, tt.args...)...)
			assert.Equal(t, tt.code, code, stderr)
			assert.Contains(t, stderr, tt.err)
			assert.Empty(t, stdout)
		})
	}
	t.Run("no directory", func(t *testing.T) {
		_, err := openCA("", defaultIssuer, nil)
		require.Error(t, err)
		assert.Equal(t, "no directory for the local CA: set --ca-dir or MOCKIDP_CA_DIR "+
			"(the default, a tenantless folder in the user's config directory, needs $HOME or $XDG_CONFIG_HOME)", err.Error())
	})
	t.Run("the default directory is under the user's config directory", func(t *testing.T) {
		config, err := os.UserConfigDir()
		if err == nil {
			assert.Equal(t, filepath.Join(config, "tenantless"), defaultCADir())
		} else {
			assert.Empty(t, defaultCADir())
		}
	})
}
