package tenant

import (
	"cmp"
	"fmt"
	"maps"
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
	nil,
	"verify_email", "identities", "logins_count", "last_login", "last_ip", "last_password_reset", "multifactor")

// user decodes one `users:` item.
func (l *loader) user(f field) {
	u := &User{}
	l.begin(f, u)
	l.fields(f, userSchema, func(g field) {
		switch g.key {
		case "user_id":
			l.str(g, &u.UserID)
		case "email":
			l.str(g, &u.Email)
		case "email_verified":
			l.boolean(g, &u.EmailVerified)
		case "username":
			l.str(g, &u.Username)
		case "name":
			l.str(g, &u.Name)
		case "given_name":
			l.str(g, &u.GivenName)
		case "family_name":
			l.str(g, &u.FamilyName)
		case "nickname":
			l.str(g, &u.Nickname)
		case "picture":
			l.str(g, &u.Picture)
		case "locale":
			l.str(g, &u.Locale)
		case "phone_number":
			l.str(g, &u.PhoneNumber)
		case "phone_verified":
			l.boolean(g, &u.PhoneVerified)
		case "password":
			l.str(g, &u.Password)
		case "blocked":
			l.boolean(g, &u.Blocked)
		case "connection":
			l.str(g, &u.Connection)
		case "roles":
			l.stringList(g, "role names", &u.Roles)
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
	l.place(l.t.PrepareUser(u))
	if u.Email != "" || u.Username != "" {
		l.t.AddUser(u)
	}
}

// claims decodes a user's custom claims, noting where each name is: PrepareUser checks them.
func (l *loader) claims(f field) map[string]any {
	claims, _ := l.object(f)
	if claims == nil {
		return nil
	}
	for i := 0; i < len(f.node.Content); i += 2 {
		k := f.node.Content[i]
		if k.Value == "" {
			l.record(f.path, k) // PrepareUser names an empty name's field "claims"
		} else {
			l.record(join(f.path, k.Value), k)
		}
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

// PrepareUser applies Auth0's defaults to a user (user_id from the email or username with the
// auth0| prefix, name, nickname, picture, connection, created_at and updated_at) and checks it
// against the tenant: unique user_id, email and username; roles, connection and the APIs of its
// permissions defined; custom claim names allowed. It resolves roles given by name to the
// tenant's ids.
func (t *Tenant) PrepareUser(u *User) FieldErrors {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.prepareUser(u, nil)
}

// prepareUser is PrepareUser for a user that is to replace old (nil for a new one).
func (t *Tenant) prepareUser(u, old *User) FieldErrors {
	var errs FieldErrors
	if u.Email != "" {
		if msg := checkEmail(u.Email); msg != "" {
			errs.add("email", "%s", msg)
		}
	}
	if strings.ContainsAny(u.Username, "@ \t") {
		errs.add("username", "%q must not contain @ or spaces (an @ would make it look like an email)", u.Username)
	}
	if u.Picture != "" && !strings.HasPrefix(u.Picture, "data:image/") {
		if msg := checkURL(u.Picture, redirectURL, false); msg != "" {
			errs.add("picture", "%s (or a data:image/ URI)", msg)
		}
	}
	if u.PhoneNumber != "" {
		if msg := checkPhone(u.PhoneNumber); msg != "" {
			errs.add("phone_number", "%s", msg)
		}
	}
	if u.Password == "" {
		errs.require("password", "the login page checks it, so every user needs one (it is test data, kept in plain text)")
	}
	t.resolveRoles(&errs, u)
	t.checkPermissions(&errs, u.Permissions)
	for _, name := range slices.Sorted(maps.Keys(u.Claims)) {
		if err := CheckClaim(name); err != nil {
			field := "claims"
			if name != "" {
				field = join(field, name)
			}
			errs.add(field, "%s", err)
		}
	}

	login := cmp.Or(u.Email, u.Username)
	if login == "" {
		errs.require("email", "an email or a username, for the user to log in with")
		return errs
	}
	t.prepareUserID(&errs, u, old)
	if u.Name == "" {
		u.Name = login
	}
	if u.Nickname == "" {
		u.Nickname, _, _ = strings.Cut(login, "@")
	}
	if u.Picture == "" {
		u.Picture = avatar(u)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = defaultTimestamp
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = defaultTimestamp
	}
	if _, ok := t.connections.get(cmp.Or(u.Connection, DefaultConnection)); !ok {
		if u.Connection == "" {
			errs.add("connection", "users without a connection are in %s, which this tenant does not define; set connection to one of: %s",
				DefaultConnection, t.connectionList())
		} else {
			errs.add("connection", "no connection is named %q; connections: %s", u.Connection, t.connectionList())
		}
	}
	u.Connection = cmp.Or(u.Connection, DefaultConnection)
	for _, k := range []struct{ field, value string }{{"email", u.Email}, {"username", u.Username}} {
		if other, dup := t.usersByName[strings.ToLower(k.value)]; k.value != "" && dup && other != u && other != old {
			errs.conflict(k.field, "%q is already the email or username of %s (compared ignoring case)", k.value, t.theUser(other))
		}
	}
	return errs
}

// prepareUserID sets u.UserID: user_id with Auth0's "auth0|" prefix added when it has no
// provider, or made from the email's local part (else the username) when none is given.
func (t *Tenant) prepareUserID(errs *FieldErrors, u, old *User) {
	given := u.UserID != ""
	source, from := "email", u.Email
	switch {
	case given:
	case u.Email != "":
		u.UserID, _, _ = strings.Cut(u.Email, "@")
	default:
		source, from = "username", u.Username
		u.UserID = u.Username
	}
	provider, rest, found := strings.Cut(u.UserID, "|")
	switch {
	case !found:
		u.UserID = "auth0|" + u.UserID
	case provider == "" || rest == "":
		errs.add("user_id", "%q must be provider|id, like auth0|alice, or an id alone (auth0| is added)", u.UserID)
		return
	}
	other, dup := t.users.get(u.UserID)
	switch {
	case !dup || other == u || other == old:
	case given:
		errs.conflict("user_id", "duplicate user_id %q%s", u.UserID, t.firstAt(other, ""))
	default:
		errs.conflict(source, "user_id %q, made from the %s %q, is already taken by %s; set user_id", u.UserID, source, from, t.theUser(other))
	}
}

// resolveRoles replaces each of the user's roles, given by id or by name, by its id.
func (t *Tenant) resolveRoles(errs *FieldErrors, u *User) {
	var ids []string
	for i, given := range u.Roles {
		field := fmt.Sprintf("roles[%d]", i)
		r, ok := t.roles.get(given)
		if !ok {
			r, ok = t.rolesByName[given]
		}
		switch {
		case !ok:
			errs.add(field, "no role is named %q; roles: %s", given, t.roleList())
		case slices.Contains(ids, r.ID):
			errs.add(field, "role %q is listed twice", r.Name)
		default:
			ids = append(ids, r.ID)
		}
	}
	u.Roles = ids
}
