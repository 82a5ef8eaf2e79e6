package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tenantless/tenantless/mockidp/idp"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// mintToken prints a signed access token for a user or a client, offline: the twin of
// `auth0 test token`. It signs with the tenant's key, so the token verifies against the JWKS of
// an emulator serving the same tenant at the same issuer.
func mintToken(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := newFlagSet("token", stderr)
	issuer := fs.String("issuer", envOr(env, "MOCKIDP_ISSUER", defaultIssuer), "issuer URL, ending in / [MOCKIDP_ISSUER]")
	tenantPath := fs.String("tenant", env("MOCKIDP_TENANT"), "tenant YAML file (default: the embedded demo tenant) [MOCKIDP_TENANT]")
	var req idp.MintRequest
	fs.StringVar(&req.User, "user", "", "user email, username or user_id (default: a machine-to-machine token)")
	fs.StringVar(&req.ClientID, "client", "", "client_id (default: the first application that fits)")
	fs.StringVar(&req.Audience, "audience", "", "API identifier (default: the tenant's default audience or only API)")
	fs.StringVar(&req.Scope, "scope", "", "space-separated scope (default: all the subject may have)")
	expiresIn := fs.String("expires-in", "", "access-token lifetime: a duration (1h30m) or seconds (default: the API's)")
	claims := claimFlag{}
	fs.Var(claims, "claim", "extra claim k=v, repeatable; v is JSON when it parses, else a string")
	asJSON := fs.Bool("json", false, "print the whole token response as JSON")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *expiresIn != "" {
		d, err := parseExpiresIn(*expiresIn)
		if err != nil {
			fmt.Fprintf(stderr, "mockidp token: %v\n", err)
			return 2
		}
		req.ExpiresIn = d
	}
	if len(claims) > 0 {
		req.Claims = claims
	}
	em, err := newEmulator(idp.Config{Issuer: *issuer, ControlDisabled: true}, tenantSource{path: *tenantPath})
	if err != nil {
		fmt.Fprintf(stderr, "mockidp token: %v\n", err)
		return 1
	}
	defer em.server.Close()
	if em.generatedKey() {
		fmt.Fprintln(stderr, "mockidp token: warning: the tenant names no signing key; this token is signed with a key generated for this command, which no running emulator publishes")
	}
	resp, err := em.server.MintToken(req)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp token: %v\n", err)
		return 1
	}
	if !*asJSON {
		fmt.Fprintln(stdout, resp.AccessToken)
		return 0
	}
	out, err := json.Marshal(resp)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, string(out))
	return 0
}

// parseExpiresIn reads a Go duration or a number of seconds, which must be positive.
func parseExpiresIn(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.ParseInt(s, 10, 64)
		if nerr != nil || n > int64(time.Duration(1<<63-1)/time.Second) {
			return 0, fmt.Errorf("--expires-in %q: want a duration such as 1h30m or a number of seconds", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		return 0, fmt.Errorf("--expires-in %q: must be positive", s)
	}
	return d, nil
}

// claimFlag collects --claim k=v. A value that parses as JSON is taken as such (numbers,
// booleans, arrays, objects, quoted strings); anything else is a string. A name the tenant
// refuses as a custom claim is a usage error, worded as a tenant file's would be.
type claimFlag map[string]any

func (c claimFlag) String() string { return "" }

func (c claimFlag) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return fmt.Errorf("want k=v, got %q", kv)
	}
	if err := tenant.CheckClaim(k); err != nil {
		return err
	}
	if _, dup := c[k]; dup {
		return fmt.Errorf("claim %q given twice", k)
	}
	var parsed any
	if err := json.Unmarshal([]byte(v), &parsed); err == nil {
		c[k] = parsed
	} else {
		c[k] = v
	}
	return nil
}
