package tenant

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// defaultTimestamp is created_at and updated_at of users that set none: fixed, so tokens minted
// from the same tenant are the same from run to run.
var defaultTimestamp = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var userSchema = newSchema("user",
	[]string{"user_id", "email", "email_verified", "username", "name", "given_name", "family_name", "nickname",
		"picture", "locale", "phone_number", "phone_verified", "password", "blocked", "connection", "roles",
		"permissions", "app_metadata", "user_metadata", "claims", "created_at", "updated_at"},
	map[string]string{"password": "the login page checks it, so every user needs one (it is test data, kept in plain text)"},
	"verify_email", "identities", "logins_count", "last_login", "last_ip", "last_password_reset", "multifactor")

// user decodes one `users:` item.
func (l *loader) user(f field) {
	u := &User{Connection: DefaultConnection, CreatedAt: defaultTimestamp, UpdatedAt: defaultTimestamp}
	var id, email, username, connection text
	l.fields(f, userSchema, func(g field) {
		switch g.key {
		case "user_id":
			id = l.text(g)
		case "email":
			if email = l.text(g); email.value != "" {
				if msg := checkEmail(email.value); msg != "" {
					l.errorf(g.node, g.path, "%s", msg)
				}
			}
		case "username":
			if username = l.text(g); strings.ContainsAny(username.value, "@ \t") {
				l.errorf(g.node, g.path, "%q must not contain @ or spaces (an @ would make it look like an email)", username.value)
			}
		case "email_verified":
			l.boolean(g, &u.EmailVerified)
		case "name":
			l.str(g, &u.Name)
		case "given_name":
			l.str(g, &u.GivenName)
		case "family_name":
			l.str(g, &u.FamilyName)
		case "nickname":
			l.str(g, &u.Nickname)
		case "locale":
			l.str(g, &u.Locale)
		case "picture":
			if l.str(g, &u.Picture) && !strings.HasPrefix(u.Picture, "data:image/") {
				if msg := checkURL(u.Picture, redirectURL, false); msg != "" {
					l.errorf(g.node, g.path, "%s (or a data:image/ URI)", msg)
				}
			}
		case "phone_number":
			if l.str(g, &u.PhoneNumber) {
				if msg := checkPhone(u.PhoneNumber); msg != "" {
					l.errorf(g.node, g.path, "%s", msg)
				}
			}
		case "phone_verified":
			l.boolean(g, &u.PhoneVerified)
		case "password":
			if l.str(g, &u.Password) && u.Password == "" {
				l.errorf(g.node, g.path, "must not be empty: %s", userSchema.required["password"])
			}
		case "blocked":
			l.boolean(g, &u.Blocked)
		case "connection":
			connection = l.text(g)
		case "roles":
			u.Roles = l.userRoles(g)
		case "permissions":
			u.Permissions = l.permissions(g)
		case "app_metadata":
			u.AppMetadata, _ = l.object(g)
		case "user_metadata":
			u.UserMetadata, _ = l.object(g)
		case "claims":
			u.Claims = l.claims(g)
		case "created_at":
			l.timestamp(g, &u.CreatedAt)
		case "updated_at":
			l.timestamp(g, &u.UpdatedAt)
		}
	})
	u.Email, u.Username = email.value, username.value
	login := u.Email
	if login == "" {
		login = u.Username
	}
	if login == "" {
		l.errorf(f.node, join(f.path, "email"), "required: an email or a username, for the user to log in with")
		return
	}
	l.userID(f, u, id, email, username)
	if u.Name == "" {
		u.Name = login
	}
	if u.Nickname == "" {
		u.Nickname, _, _ = strings.Cut(login, "@")
	}
	if u.Picture == "" {
		u.Picture = avatar(u)
	}
	if connection.value != "" {
		u.Connection = connection.value
	}
	if _, ok := l.connections[u.Connection]; !ok {
		if connection.node == nil {
			l.errorf(f.node, join(f.path, "connection"), "users without a connection are in %s, which this tenant does not define; set connection to one of: %s",
				DefaultConnection, l.connectionList())
		} else {
			l.errorf(connection.node, connection.path, "no connection is named %q; connections: %s", u.Connection, l.connectionList())
		}
	}
	for _, t := range []text{email, username} {
		if t.value == "" {
			continue
		}
		key := strings.ToLower(t.value)
		if line, dup := l.logins[key]; dup {
			l.errorf(t.node, t.path, "%q is already the email or username of the user at line %d (compared ignoring case)", t.value, line)
			continue
		}
		l.logins[key] = f.node.Line
		l.t.usersByName[key] = u
	}
	l.t.Users = append(l.t.Users, u)
}

// userID sets u.UserID: user_id with Auth0's "auth0|" prefix added when it has no provider, or
// made from the email's local part (else the username) when the file gives none.
func (l *loader) userID(f field, u *User, id, email, username text) {
	at, source := id, ""
	switch {
	case id.value != "":
		u.UserID = id.value
	case email.value != "":
		local, _, _ := strings.Cut(email.value, "@")
		u.UserID, at, source = local, email, "email"
	default:
		u.UserID, at, source = username.value, username, "username"
	}
	provider, rest, found := strings.Cut(u.UserID, "|")
	switch {
	case !found:
		u.UserID = "auth0|" + u.UserID
	case provider == "" || rest == "":
		l.errorf(id.node, id.path, "%q must be provider|id, like auth0|alice, or an id alone (auth0| is added)", id.value)
		return
	}
	if line, dup := l.seen["user_id\x00"+u.UserID]; dup {
		msg := fmt.Sprintf("duplicate user_id %q; the first is at line %d", u.UserID, line)
		if source != "" {
			msg = fmt.Sprintf("user_id %q, made from the %s %q, is already taken by the user at line %d; set user_id", u.UserID, source, at.value, line)
		}
		l.errorf(at.node, at.path, "%s", msg)
		return
	}
	l.seen["user_id\x00"+u.UserID] = f.node.Line
	l.t.usersByID[u.UserID] = u
}

// userRoles resolves a user's role names.
func (l *loader) userRoles(f field) []*Role {
	names, _ := l.stringList(f, "role names")
	var roles []*Role
	for _, n := range names {
		r, ok := l.t.rolesByName[n.value]
		switch {
		case !ok:
			l.errorf(n.node, n.path, "no role is named %q; roles: %s", n.value, l.roleList())
		case slices.Contains(roles, r):
			l.errorf(n.node, n.path, "role %q is listed twice", n.value)
		default:
			roles = append(roles, r)
		}
	}
	return roles
}

// claims decodes a user's custom claims, refusing the names CheckClaim refuses.
func (l *loader) claims(f field) map[string]any {
	claims, ok := l.object(f)
	if claims == nil {
		return nil
	}
	for i := 0; i < len(f.node.Content); i += 2 {
		k := f.node.Content[i]
		if err := CheckClaim(k.Value); err != nil {
			path := f.path
			if k.Value != "" {
				path = join(f.path, k.Value)
			}
			l.errorf(k, path, "%s", err)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return claims
}

// timestamp sets *dst from an RFC 3339 time.
func (l *loader) timestamp(f field, dst *time.Time) {
	if f.absent() {
		return
	}
	tag := f.node.ShortTag()
	if f.node.Kind == yaml.ScalarNode && (tag == "!!str" || tag == "!!timestamp") {
		if t, err := time.Parse(time.RFC3339Nano, f.node.Value); err == nil {
			*dst = t.UTC()
			return
		}
	}
	l.errorf(f.node, f.path, "must be an RFC 3339 time like 2026-01-01T00:00:00Z, got %s", describe(f.node))
}
