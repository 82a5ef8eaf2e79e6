package e2e

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/fixtures"
	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// startQAEmulator serves fixtures/qa-tenant.yaml, its Actions included, on a second in-process
// emulator whose SPA (qa-spa) has appOrigin as its callback and web origin: the origin the Node
// suite's browser page runs on. It returns the emulator's origin, the Node suite's
// MOCKIDP_QA_DOMAIN.
func startQAEmulator(t *testing.T, appOrigin string) string {
	t.Helper()
	logger := testLogger(t).With("server", "mockidp-qa")
	ten, err := Tenant{FS: fixtures.FS, File: fixtures.QATenant}.For(appOrigin)
	require.NoError(t, err)
	loaded, err := tenant.Load(ten.FS, ten.File)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + localhostAddr(srv.Listener) + "/"
	emulator, err := idp.New(idp.Config{Issuer: issuer, Tenant: loaded, Logger: logger})
	require.NoError(t, err)
	// Cleanups run last-registered first: the server stops, requests in flight included,
	// before the emulator's store closes and then the log.
	t.Cleanup(func() { _ = emulator.Close() })
	t.Cleanup(srv.Close)
	srv.Config.Handler = emulator
	srv.Start()
	return strings.TrimSuffix(issuer, "/")
}
