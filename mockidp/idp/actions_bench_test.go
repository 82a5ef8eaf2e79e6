package idp

import (
	"net/http"
	"testing"
	"time"
)

// BenchmarkBrowserLoginWithAction is BenchmarkBrowserLogin through one simple post-login
// Action (roles into a namespaced claim of both tokens). It also reports its cost as a multiple
// of the same login on the same tenant without the Action (action/plain): after the timed loop,
// the two logins alternate, so that both see the same machine.
func BenchmarkBrowserLoginWithAction(b *testing.B) {
	plain := newAPIServer(b)
	withAction, _ := actionServer(b, 0, "", postLogin(`exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(namespace + '/roles', event.authorization.roles);
    api.accessToken.setCustomClaim(namespace + '/roles', event.authorization.roles);
  }
};`))
	login := func(s *apiServer) func() {
		authorize := spaAuthorize(testIssuer)
		return func() {
			code := codeOf(b, newBrowser(b, s).login(authorize, "alice@example.com", "alice-password"), spaCallback, spaState)
			if w := s.exchange(b, code); w.Code != http.StatusOK {
				b.Fatal(w.Body.String())
			}
		}
	}
	loginPlain, loginAction := login(plain), login(withAction)
	b.ReportAllocs()
	for b.Loop() {
		loginAction()
	}

	var actionTime, plainTime time.Duration
	for range min(b.N, 200) {
		start := time.Now()
		loginAction()
		mid := time.Now()
		loginPlain()
		actionTime, plainTime = actionTime+mid.Sub(start), plainTime+time.Since(mid)
	}
	b.ReportMetric(float64(actionTime)/float64(plainTime), "action/plain")
}
