// Command demoapp serves the demo app: three API endpoints guarded by Auth0-style access tokens
// and a single-page front end that logs in against the same tenant.
//
// It is configured from the environment only:
//
//	DEMOAPP_ADDR  listen address              default localhost:3000
//	ISSUER        tenant issuer, trailing /   default http://localhost:4000/ (mockidp)
//	AUDIENCE      API identifier              default https://api.example.com
//	CLIENT_ID     SPA client ID               default demo-spa
//	JWKS_URI      where the server fetches the signing keys, if not ISSUER + .well-known/jwks.json
//
// The defaults match mockidp's default tenant. For a real tenant, set ISSUER, AUDIENCE and
// CLIENT_ID. A bad value stops the program at start with a message naming the variable.
//
// Case ids such as A29, in comments and test names, refer to the attack and fault cases of
// docs/security.md.
package main
