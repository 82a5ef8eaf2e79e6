package store

import (
	"encoding/json"
	"fmt"
	"time"
)

func invalid(why string) error { return fmt.Errorf("%w: %s", ErrInvalid, why) }

func errReused(what string) error { return fmt.Errorf("%s: %w", what, ErrReused) }

// checkID refuses an empty or overlong grant or session id.
func checkID(what, id string) error {
	if id == "" || len(id) > MaxIDBytes {
		return invalid(what + " id must be 1 to MaxIDBytes bytes")
	}
	return nil
}

func checkCode(c AuthCode) error {
	if c.Code == "" || c.Expires.IsZero() {
		return invalid("code needs a value and an expiry")
	}
	return checkID("grant", c.Grant)
}

func checkSession(s Session) error {
	if s.Expires.IsZero() || s.IdleExpires.IsZero() {
		return invalid("session needs both deadlines")
	}
	return checkID("session", s.ID)
}

func checkRefresh(rt RefreshToken) error {
	if rt.Token == "" || rt.Expires.IsZero() || rt.IdleExpires.IsZero() {
		return invalid("refresh token needs a value and both deadlines")
	}
	if rt.Used && rt.RotatedAt.IsZero() {
		return invalid("a used refresh token needs its rotation time")
	}
	if len(rt.SessionID) > MaxIDBytes {
		return invalid("session id longer than MaxIDBytes")
	}
	return checkID("grant", rt.Grant)
}

// encodeActions is a as JSON, "" for none. A claim JSON cannot carry is ErrInvalid.
func encodeActions(a *ActionResult) (string, error) {
	if a == nil {
		return "", nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return "", invalid("the Actions' result is not JSON: " + err.Error())
	}
	return string(b), nil
}

// decodeActions reads what encodeActions wrote. Claims come back as JSON values, which is what
// ActionResult holds.
func decodeActions(s string) (*ActionResult, error) {
	if s == "" {
		return nil, nil
	}
	var a ActionResult
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("store: a code's Actions result does not decode: %w", err)
	}
	return &a, nil
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// pastDeadline is why a record with an absolute and an idle deadline (a session, a refresh
// token) is over at now, "" while it is live. The absolute deadline is named first, as no
// activity could have moved it.
func pastDeadline(expires, idle, now time.Time) Reason {
	switch {
	case !now.Before(expires):
		return ReasonExpired
	case !now.Before(idle):
		return ReasonIdle
	}
	return ""
}

// refreshKeep is how long a refresh token's record is kept. A live token is kept until it
// expires; a rotated one until its family's absolute deadline, so that presenting it revokes
// the family for as long as any member could be alive. Either goes earlier with its grant.
func refreshKeep(rt RefreshToken) time.Time {
	if rt.Used {
		return rt.Expires
	}
	return earliest(rt.Expires, rt.IdleExpires)
}
