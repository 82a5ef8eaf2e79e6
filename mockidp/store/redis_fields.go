package store

import (
	"strconv"
	"time"
)

// The Redis store keeps records as hashes of strings: byte for byte what the caller stored
// (JSON would replace invalid UTF-8 in a caller's state), with times as Unix milliseconds for
// the scripts to compare. Times therefore come back truncated to the millisecond, in UTC. The
// key a record is found by (a code, a token, a login id) is not stored in it.

// hash is a record as HGETALL returns it.
type hash map[string]string

func (h hash) time(k string) time.Time {
	n, err := strconv.ParseInt(h[k], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

func (h hash) duration(k string) time.Duration {
	n, _ := strconv.ParseInt(h[k], 10, 64)
	return time.Duration(n)
}

func (h hash) bool(k string) bool { return h[k] == "1" }

func (h hash) int(k string) int {
	n, _ := strconv.Atoi(h[k])
	return n
}

func timeField(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func boolField(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func loginFields(l PendingLogin) []any {
	return []any{
		"client", l.ClientID, "redirect", l.RedirectURI, "mode", l.ResponseMode,
		"state", l.State, "nonce", l.Nonce, "scope", l.Scope, "aud", l.Audience,
		"challenge", l.Challenge, "maxage", strconv.FormatInt(int64(l.MaxAge), 10),
		"hasmaxage", boolField(l.HasMaxAge), "none", boolField(l.PromptNone),
		"login", boolField(l.PromptLogin), "hint", l.LoginHint, "csrf", l.CSRF,
		"binding", l.Binding, "exp", timeField(l.Expires), "query", l.Query,
	}
}

func (h hash) login(id string) PendingLogin {
	return PendingLogin{
		ID: id, ClientID: h["client"], RedirectURI: h["redirect"], ResponseMode: h["mode"],
		State: h["state"], Nonce: h["nonce"], Scope: h["scope"], Audience: h["aud"],
		Challenge: h["challenge"], MaxAge: h.duration("maxage"), HasMaxAge: h.bool("hasmaxage"),
		PromptNone: h.bool("none"), PromptLogin: h.bool("login"), LoginHint: h["hint"],
		CSRF: h["csrf"], Binding: h["binding"], Expires: h.time("exp"), Query: h["query"],
	}
}

// codeFields are c's fields, with its Actions' result as encodeActions gives it.
func codeFields(c AuthCode, actions string) []any {
	return []any{
		"client", c.ClientID, "redirect", c.RedirectURI, "challenge", c.Challenge,
		"scope", c.Scope, "aud", c.Audience, "nonce", c.Nonce, "user", c.UserID,
		"sid", c.SessionID, "authtime", timeField(c.AuthTime), "maxage", boolField(c.MaxAge),
		"exp", timeField(c.Expires), "grant", c.Grant, "actions", actions,
	}
}

func (h hash) code(code string) AuthCode {
	return AuthCode{
		Code: code, ClientID: h["client"], RedirectURI: h["redirect"], Challenge: h["challenge"],
		Scope: h["scope"], Audience: h["aud"], Nonce: h["nonce"], UserID: h["user"],
		SessionID: h["sid"], AuthTime: h.time("authtime"), MaxAge: h.bool("maxage"),
		Expires: h.time("exp"), Grant: h["grant"],
	}
}

func sessionFields(s Session) []any {
	return []any{
		"user", s.UserID, "authtime", timeField(s.AuthTime),
		"exp", timeField(s.Expires), "idle", timeField(s.IdleExpires),
	}
}

func (h hash) session(id string) Session {
	return Session{
		ID: id, UserID: h["user"], AuthTime: h.time("authtime"),
		Expires: h.time("exp"), IdleExpires: h.time("idle"),
	}
}

func refreshFields(rt RefreshToken) []any {
	return []any{
		"client", rt.ClientID, "user", rt.UserID, "aud", rt.Audience, "scope", rt.Scope,
		"sid", rt.SessionID, "grant", rt.Grant, "authtime", timeField(rt.AuthTime),
		"withauthtime", boolField(rt.WithAuthTime), "exp", timeField(rt.Expires),
		"idle", timeField(rt.IdleExpires), "used", boolField(rt.Used), "rot", timeField(rt.RotatedAt),
	}
}

func (h hash) refresh(token string) RefreshToken {
	return RefreshToken{
		Token: token, ClientID: h["client"], UserID: h["user"], Audience: h["aud"],
		Scope: h["scope"], SessionID: h["sid"], Grant: h["grant"], AuthTime: h.time("authtime"),
		WithAuthTime: h.bool("withauthtime"), Expires: h.time("exp"), IdleExpires: h.time("idle"),
		Used: h.bool("used"), RotatedAt: h.time("rot"),
	}
}

func opaqueFields(t OpaqueToken) []any {
	return []any{
		"client", t.ClientID, "user", t.UserID, "scope", t.Scope, "grant", t.Grant,
		"exp", timeField(t.Expires),
	}
}

func (h hash) opaque(token string) OpaqueToken {
	return OpaqueToken{
		Token: token, ClientID: h["client"], UserID: h["user"], Scope: h["scope"],
		Grant: h["grant"], Expires: h.time("exp"),
	}
}
