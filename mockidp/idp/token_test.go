package idp

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy source unplugged") }

// TestTokenInternalError: a failure inside the emulator is a bare 500 server_error for the
// client, with the cause in the log only.
func TestTokenInternalError(t *testing.T) {
	base := newAPIServer(t)
	var logs bytes.Buffer
	s, err := New(Config{Issuer: testIssuer, Tenant: base.tenant, Keys: base.keys, Now: base.clock.Now,
		Rand: failingReader{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	failing := &apiServer{Server: s, clock: base.clock}

	w := failing.post(t, "/oauth/token", passwordForm("alice@example.com", "alice-password"))
	assertError(t, w, 500, "server_error", "Internal error")
	assert.JSONEq(t, `{"error":"server_error","error_description":"Internal error"}`, w.Body.String())
	assert.NotContains(t, w.Body.String(), "entropy")
	assert.Contains(t, logs.String(), "entropy source unplugged")
	assert.Contains(t, logs.String(), "endpoint=token")
	assert.NotContains(t, logs.String(), "alice-password")
}
