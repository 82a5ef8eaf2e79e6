package actions

import (
	"context"
	"testing"
)

// BenchmarkPostLogin is the cost one simple post-login Action adds to a login.
func BenchmarkPostLogin(b *testing.B) {
	code := `exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(namespace + '/roles', event.authorization.roles);
    api.accessToken.setCustomClaim(namespace + '/roles', event.authorization.roles);
  }
};`
	e, _ := newEngine(b, setup{quiet: true}, postLogin(code))
	ev := aliceLogin()
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.PostLogin(context.Background(), ev)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.AccessTokenClaims) != 1 {
			b.Fatalf("claims %v", res.AccessTokenClaims)
		}
	}
}
