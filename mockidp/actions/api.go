package actions

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/dop251/goja"
)

// Documented api methods the emulator does not model, per namespace: calling one fails the run.
// From the post-login API object page,
// https://auth0.com/docs/customize/actions/explore-triggers/signup-and-login-triggers/login-trigger/post-login-api-object.
var notEmulatedPostLogin = map[string][]string{
	"authentication": {"challengeWith", "challengeWithAny", "enrollWith", "enrollWithAny", "recordMethod", "setPrimaryUser"},
	"multifactor":    {"enable"},
	"prompt":         {"render"},
	"redirect":       {"encodeToken", "sendUserTo", "validateToken"},
	"refreshToken":   {"revoke", "setExpiresAt", "setIdleExpiresAt", "setMetadata", "deleteMetadata", "evictMetadata"},
	"samlResponse": {
		"setAttribute", "setAudience", "setRecipient", "setCreateUpnClaim", "setPassthroughClaimsWithNoMapping",
		"setMapUnknownClaimsAsIs", "setMapIdentities", "setSignatureAlgorithm", "setDigestAlgorithm", "setDestination",
		"setLifetimeInSeconds", "setSignResponse", "setNameIdentifierFormat", "setNameIdentifierProbes",
		"setAuthnContextClassRef", "setSigningCert", "setIncludeAttributeNameFormat", "setTypedAttributes",
		"setEncryptionCert", "setEncryptionPublicKey", "setCert", "setKey", "setRelayState", "setIssuer",
		"setEncryptionAlgorithm",
	},
	"session":     {"revoke", "setExpiresAt", "setIdleExpiresAt", "setCookieMode", "setMetadata", "deleteMetadata", "evictMetadata"},
	"transaction": {"setMetadata"},
	"validation":  {"error"},
}

// credentialsExchangeDenyCodes are the codes api.access.deny accepts in credentials-exchange
// (https://auth0.com/docs/customize/actions/explore-triggers/machine-to-machine-trigger/credentials-exchange-api-object).
var credentialsExchangeDenyCodes = []string{"invalid_scope", "invalid_request", "server_error"}

// api is the trigger's api object for this run. Each method returns api, so calls chain.
func (r *actionRun) api() *goja.Object {
	api := r.vm.NewObject()
	r.namespace(api, "cache", map[string]func(goja.FunctionCall) goja.Value{
		"get":    r.cacheGet,
		"set":    r.cacheSet,
		"delete": r.cacheDelete,
	})
	switch r.trigger {
	case TriggerPostLogin:
		r.namespace(api, "access", map[string]func(goja.FunctionCall) goja.Value{
			"deny": func(call goja.FunctionCall) goja.Value {
				r.deny("", optionalString(call.Argument(0)))
				return api
			},
		})
		r.namespace(api, "accessToken", map[string]func(goja.FunctionCall) goja.Value{
			"setCustomClaim": r.setClaim(api, "api.accessToken.setCustomClaim", r.res.AccessTokenClaims),
			"addScope": func(call goja.FunctionCall) goja.Value {
				scope := r.stringArg(call, 0, "api.accessToken.addScope", "scope")
				r.res.ScopesRemoved = slices.DeleteFunc(r.res.ScopesRemoved, func(s string) bool { return s == scope })
				if !slices.Contains(r.res.ScopesAdded, scope) {
					r.res.ScopesAdded = append(r.res.ScopesAdded, scope)
				}
				return api
			},
			"removeScope": func(call goja.FunctionCall) goja.Value {
				scope := r.stringArg(call, 0, "api.accessToken.removeScope", "scope")
				r.res.ScopesAdded = slices.DeleteFunc(r.res.ScopesAdded, func(s string) bool { return s == scope })
				if !slices.Contains(r.res.ScopesRemoved, scope) {
					r.res.ScopesRemoved = append(r.res.ScopesRemoved, scope)
				}
				return api
			},
		})
		r.namespace(api, "idToken", map[string]func(goja.FunctionCall) goja.Value{
			"setCustomClaim": r.setClaim(api, "api.idToken.setCustomClaim", r.res.IDTokenClaims),
		})
		r.namespace(api, "user", map[string]func(goja.FunctionCall) goja.Value{
			"setAppMetadata":  r.setMetadata(api, "api.user.setAppMetadata", r.res.AppMetadata),
			"setUserMetadata": r.setMetadata(api, "api.user.setUserMetadata", r.res.UserMetadata),
		})
		r.namespace(api, "rules", map[string]func(goja.FunctionCall) goja.Value{
			// A tenant here has no Rules, so none has run.
			"wasExecuted": func(goja.FunctionCall) goja.Value { return r.vm.ToValue(false) },
		})
		for _, ns := range slices.Sorted(maps.Keys(notEmulatedPostLogin)) {
			methods := notEmulatedPostLogin[ns]
			if err := api.Set(ns, r.vm.NewDynamicObject(&notEmulated{r: r, namespace: ns, methods: methods})); err != nil {
				panic(err)
			}
		}
	case TriggerCredentialsExchange:
		r.namespace(api, "access", map[string]func(goja.FunctionCall) goja.Value{
			"deny": func(call goja.FunctionCall) goja.Value {
				code := r.stringArg(call, 0, "api.access.deny", "code")
				if !slices.Contains(credentialsExchangeDenyCodes, code) {
					r.throw(fmt.Sprintf("api.access.deny: code must be one of %q, not %q", credentialsExchangeDenyCodes, code))
				}
				r.deny(code, optionalString(call.Argument(1)))
				return api
			},
		})
		r.namespace(api, "accessToken", map[string]func(goja.FunctionCall) goja.Value{
			"setCustomClaim": r.setClaim(api, "api.accessToken.setCustomClaim", r.res.AccessTokenClaims),
		})
	}
	return api
}

// notEmulated is an api namespace whose documented methods all fail the run. Its functions are
// made when the Action reads them, which keeps the per-run api cheap.
type notEmulated struct {
	r         *actionRun
	namespace string
	methods   []string
}

func (n *notEmulated) Get(key string) goja.Value {
	if !slices.Contains(n.methods, key) {
		return nil
	}
	name := "api." + n.namespace + "." + key
	return n.r.vm.ToValue(func(goja.FunctionCall) goja.Value {
		n.r.unavailable("not emulated: " + name)
		return nil
	})
}

func (n *notEmulated) Set(string, goja.Value) bool { return false }
func (n *notEmulated) Has(key string) bool         { return slices.Contains(n.methods, key) }
func (n *notEmulated) Delete(string) bool          { return false }
func (n *notEmulated) Keys() []string              { return n.methods }

func (r *actionRun) namespace(api *goja.Object, name string, methods map[string]func(goja.FunctionCall) goja.Value) {
	obj := r.vm.NewObject()
	for _, m := range slices.Sorted(maps.Keys(methods)) {
		if err := obj.Set(m, methods[m]); err != nil {
			panic(err)
		}
	}
	if err := api.Set(name, obj); err != nil {
		panic(err)
	}
}

// stringArg is argument i, which must be a string; otherwise the call throws a TypeError.
func (r *actionRun) stringArg(call goja.FunctionCall, i int, method, param string) string {
	s, ok := call.Argument(i).Export().(string)
	if !ok {
		panic(r.vm.NewTypeError(fmt.Sprintf("%s: %s must be a string", method, param)))
	}
	return s
}

// optionalString is an optional human-readable argument: "" when absent, else its text.
func optionalString(v goja.Value) string {
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return ""
	}
	return v.String()
}

func (r *actionRun) deny(code, reason string) {
	r.denied = true
	r.res.Denied = &Denial{Action: r.action.name, Code: code, Reason: reason}
}

// setClaim is a setCustomClaim method collecting into claims. A name the tenant reserves is
// logged as an error and left out, as Auth0 does. The value is kept as JSON would carry it in
// the token; one that JSON cannot carry (undefined, a function) removes the claim.
func (r *actionRun) setClaim(api *goja.Object, method string, claims map[string]any) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		name := r.stringArg(call, 0, method, "name")
		if reason, reserved := r.e.reservedClaim(name); reserved {
			r.logger.ErrorContext(r.ctx, "custom claim refused", "method", method, "claim", name, "reason", reason)
			return api
		}
		if v, ok := r.jsonValue(call.Argument(1)); ok {
			claims[name] = v
		} else {
			delete(claims, name)
		}
		return api
	}
}

// setMetadata is a setAppMetadata or setUserMetadata method collecting into changes; null
// (and undefined) removes the key. The change shows in event.user of the Actions after this one,
// not in this one's: "Invoking this method won't update the metadata immediately."
func (r *actionRun) setMetadata(api *goja.Object, method string, changes map[string]any) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		key := r.stringArg(call, 0, method, "key")
		v, _ := r.jsonValue(call.Argument(1))
		changes[key] = v
		return api
	}
}

// jsonValue is v as JSON carries it: map[string]any, []any, string, float64, bool or nil. It
// reports false when JSON has no value for v. A value JSON.stringify refuses (a cycle, a BigInt)
// throws in the Action.
func (r *actionRun) jsonValue(v goja.Value) (any, bool) {
	s, err := r.stringify(goja.Undefined(), v)
	if err != nil {
		panic(err)
	}
	if goja.IsUndefined(s) {
		return nil, false
	}
	var out any
	if err := json.Unmarshal([]byte(s.String()), &out); err != nil {
		panic(err)
	}
	return out, true
}

// cacheGet returns {value, expires_at} (milliseconds since the epoch), or undefined.
func (r *actionRun) cacheGet(call goja.FunctionCall) goja.Value {
	key := r.stringArg(call, 0, "api.cache.get", "key")
	e, ok := r.e.caches[r.trigger].get(key)
	if !ok {
		return goja.Undefined()
	}
	rec := r.vm.NewObject()
	_ = rec.Set("value", e.value)
	_ = rec.Set("expires_at", e.expiresAt.UnixMilli())
	return rec
}

// cacheSet stores a string value until options.ttl (milliseconds) or options.expires_at
// (milliseconds since the epoch), the earlier if both are given, and returns a CacheWriteResult.
func (r *actionRun) cacheSet(call goja.FunctionCall) goja.Value {
	key := r.stringArg(call, 0, "api.cache.set", "key")
	value, ok := call.Argument(1).Export().(string)
	if !ok {
		return r.cacheResult(cacheErrInvalidValue)
	}
	now := r.e.now()
	expiresAt := now.Add(cacheDefaultLifetime)
	if opts, ok := call.Argument(2).(*goja.Object); ok {
		given := false
		var at time.Time
		if ttl, ok := number(opts.Get("ttl")); ok {
			at, given = now.Add(time.Duration(ttl)*time.Millisecond), true
		}
		if ms, ok := number(opts.Get("expires_at")); ok {
			if t := time.UnixMilli(ms); !given || t.Before(at) {
				at, given = t, true
			}
		}
		if given {
			expiresAt = at
		}
	}
	return r.cacheResult(r.e.caches[r.trigger].set(key, value, expiresAt))
}

func (r *actionRun) cacheDelete(call goja.FunctionCall) goja.Value {
	r.e.caches[r.trigger].delete(r.stringArg(call, 0, "api.cache.delete", "key"))
	return r.cacheResult("")
}

func (r *actionRun) cacheResult(errCode string) goja.Value {
	res := r.vm.NewObject()
	if errCode == "" {
		_ = res.Set("type", "success")
	} else {
		_ = res.Set("type", "error")
		_ = res.Set("code", errCode)
	}
	return res
}

// number is a finite JavaScript number as whole milliseconds, clamped to what a Duration holds.
func number(v goja.Value) (int64, bool) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0, false
	}
	f := v.ToFloat()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	const limit = float64(math.MaxInt64 / int64(time.Millisecond))
	return int64(max(min(f, limit), -limit)), true
}
