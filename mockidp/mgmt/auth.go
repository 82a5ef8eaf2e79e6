package mgmt

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxTokenBytes bounds the Bearer token read from a request.
const maxTokenBytes = 16 << 10

// tokenClaims are the claims authorization reads.
type tokenClaims struct {
	Issuer   string   `json:"iss"`
	Audience audience `json:"aud"`
	Expiry   *float64 `json:"exp"`
	Scope    string   `json:"scope"`
}

// audience is aud as a string or an array of strings (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// authorize accepts a request whose Bearer token this tenant signed for its Management API,
// unexpired, with scope in its scope claim (any scope when scope is ""). Every check is made here, go-jose checks none: an
// absent iss, aud or exp is a refusal.
func (h *Handler) authorize(r *http.Request, scope string) error {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return errMissingAuth.because("no Bearer token")
	}
	if len(raw) > maxTokenBytes {
		return errUnauthorized.because("token over the size limit")
	}
	var c tokenClaims
	if err := h.keys.Verify(raw, &c); err != nil {
		return errUnauthorized.because("signature: " + err.Error())
	}
	switch {
	case c.Issuer != h.issuer:
		return errUnauthorized.because("iss " + c.Issuer + " is not this tenant's")
	case !slices.Contains(c.Audience, h.audience):
		return badAudience(c.Audience).because("aud is not " + h.audience)
	case c.Expiry == nil:
		return errUnauthorized.because("no exp")
	case !h.now().Before(time.Unix(int64(*c.Expiry), 0)):
		return errExpired.because("exp passed")
	case scope != "" && !slices.Contains(strings.Fields(c.Scope), scope):
		return insufficientScope(scope).because("scope " + c.Scope + " lacks " + scope)
	}
	return nil
}
