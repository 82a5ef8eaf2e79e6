package mgmt

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

// The user fields a request may set (https://auth0.com/docs/api/management/v2/users/post-users
// and patch-users-by-id); Auth0 refuses any other.
var (
	userCreateFields = []string{"email", "phone_number", "user_metadata", "blocked", "email_verified",
		"phone_verified", "app_metadata", "given_name", "family_name", "name", "nickname", "picture",
		"user_id", "connection", "password", "verify_email", "username"}
	userUpdateFields = []string{"email", "phone_number", "user_metadata", "blocked", "email_verified",
		"phone_verified", "app_metadata", "given_name", "family_name", "name", "nickname", "picture",
		"connection", "password", "verify_email", "verify_phone_number", "verify_password", "username", "client_id"}
)

// userJSON is a user as the Management API answers it: never its password.
func (h *Handler) userJSON(u *tenant.User) object {
	provider, id, _ := strings.Cut(u.UserID, "|")
	o := object{
		"user_id":        u.UserID,
		"email_verified": u.EmailVerified,
		"name":           u.Name,
		"nickname":       u.Nickname,
		"picture":        u.Picture,
		"created_at":     timestamp(u.CreatedAt),
		"updated_at":     timestamp(u.UpdatedAt),
		"identities": []object{{
			"connection": u.Connection, "user_id": id, "provider": provider, "isSocial": false,
		}},
	}
	for k, v := range map[string]string{"email": u.Email, "username": u.Username, "given_name": u.GivenName,
		"family_name": u.FamilyName, "phone_number": u.PhoneNumber, "locale": u.Locale} {
		if v != "" {
			o[k] = v
		}
	}
	if u.PhoneNumber != "" {
		o["phone_verified"] = u.PhoneVerified
	}
	if u.Blocked {
		o["blocked"] = true
	}
	if len(u.AppMetadata) > 0 {
		o["app_metadata"] = u.AppMetadata
	}
	if len(u.UserMetadata) > 0 {
		o["user_metadata"] = u.UserMetadata
	}
	return o
}

// listUsers is GET /users: a search (q), sorted, filtered and paged.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	p, err := readPaging(qs)
	if err != nil {
		return err
	}
	if (p.page+1)*p.perPage > maxSearchTotal {
		return badQuery(fmt.Sprintf("You can only page through the first %d records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation", maxSearchTotal))
	}
	fields, err := readFields(qs)
	if err != nil {
		return err
	}
	match := func(*tenant.User) bool { return true }
	if q := qs.Get("q"); q != "" {
		if match, err = parseQuery(q); err != nil {
			return err
		}
	}
	var objs []object
	for _, u := range h.tenant.Users() {
		if match(u) {
			objs = append(objs, h.userJSON(u))
		}
	}
	if err := sortBy(objs, qs.Get("sort")); err != nil {
		return err
	}
	for i, o := range objs {
		objs[i] = fields.apply(o)
	}
	writePage(w, p, "users", objs)
	return nil
}

// usersByEmail is GET /users-by-email: every user with the email, ignoring case.
func (h *Handler) usersByEmail(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	email := qs.Get("email")
	if email == "" {
		return badQuery("Query validation error: 'Missing required property: email' on property email.")
	}
	fields, err := readFields(qs)
	if err != nil {
		return err
	}
	out := []object{}
	if u, ok := h.tenant.UserByLogin(email); ok && strings.EqualFold(u.Email, email) {
		out = append(out, fields.apply(h.userJSON(u)))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	u, ok := h.tenant.User(r.PathValue("id"))
	if !ok {
		return errNoUser
	}
	fields, err := readFields(r.URL.Query())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fields.apply(h.userJSON(u)))
	return nil
}

// createUser is POST /users: 201 with the user. Auth0 requires the connection, a database
// connection's password, and gives the user an id of its own unless the request names one.
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, userCreateFields...)
	if err != nil {
		return err
	}
	u := &tenant.User{}
	if err := get(b, "user_id", &u.UserID); err != nil {
		return err
	}
	if u.UserID == "" {
		u.UserID = "auth0|" + randomHex(12)
	}
	if err := setUserFields(u, b); err != nil {
		return err
	}
	if u.Connection == "" {
		return payloadError("Missing required property: connection", "")
	}
	if _, ok := h.tenant.Connection(u.Connection); !ok {
		return errNoConn.because("no connection " + u.Connection)
	}
	u.CreatedAt = h.now()
	u.UpdatedAt = u.CreatedAt
	if errs := h.tenant.CreateUser(u); len(errs) > 0 {
		return userRefusal(errs)
	}
	writeJSON(w, http.StatusCreated, h.userJSON(u))
	return nil
}

// updateUser is PATCH /users/{id}: the fields given, app_metadata and user_metadata merged at
// their top level with null removing a key (https://auth0.com/docs/manage-users/user-accounts/metadata/manage-metadata-api).
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, userUpdateFields...)
	if err != nil {
		return err
	}
	if conn := ""; b.has("connection") {
		if err := get(b, "connection", &conn); err != nil {
			return err
		}
		if _, ok := h.tenant.Connection(conn); !ok {
			return errNoConn.because("no connection " + conn)
		}
	}
	// The body is checked on a scratch user first, so that the edit, which runs under the
	// tenant's lock, cannot fail half-way.
	if err := setUserFields(&tenant.User{}, b); err != nil {
		return err
	}
	u, err := h.tenant.UpdateUser(r.PathValue("id"), func(u *tenant.User) {
		_ = setUserFields(u, b)
		u.UpdatedAt = h.now()
	})
	if err != nil {
		return userWriteError(err)
	}
	writeJSON(w, http.StatusOK, h.userJSON(u))
	return nil
}

// deleteUser is DELETE /users/{id}: 204 whether the user existed or not, as Auth0 answers. The
// user's sessions and refresh tokens stop with it: both look the user up at each use.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	h.tenant.DeleteUser(r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setUserFields copies the fields a request body sets onto u.
func setUserFields(u *tenant.User, b body) error {
	strs := map[string]*string{"email": &u.Email, "phone_number": &u.PhoneNumber, "given_name": &u.GivenName,
		"family_name": &u.FamilyName, "name": &u.Name, "nickname": &u.Nickname, "picture": &u.Picture,
		"connection": &u.Connection, "password": &u.Password, "username": &u.Username}
	for _, k := range slices.Sorted(maps.Keys(strs)) {
		if err := get(b, k, strs[k]); err != nil {
			return err
		}
	}
	bools := map[string]*bool{"blocked": &u.Blocked, "email_verified": &u.EmailVerified, "phone_verified": &u.PhoneVerified}
	for _, k := range slices.Sorted(maps.Keys(bools)) {
		if err := get(b, k, bools[k]); err != nil {
			return err
		}
	}
	for _, k := range []string{"verify_email", "verify_phone_number", "verify_password"} {
		var ignored bool // the emulator sends no mail and no text
		if err := get(b, k, &ignored); err != nil {
			return err
		}
	}
	var clientID string
	if err := get(b, "client_id", &clientID); err != nil {
		return err
	}
	var err error
	if u.AppMetadata, err = mergeMetadata(u.AppMetadata, b, "app_metadata"); err != nil {
		return err
	}
	u.UserMetadata, err = mergeMetadata(u.UserMetadata, b, "user_metadata")
	return err
}

// mergeMetadata merges the body's object under field into old at its top level: a key set to
// null is removed. old is never changed; the result is a new map.
func mergeMetadata(old map[string]any, b body, field string) (map[string]any, error) {
	var patch map[string]any
	if err := get(b, field, &patch); err != nil {
		return nil, err
	}
	if patch == nil {
		return old, nil
	}
	merged := maps.Clone(old)
	if merged == nil {
		merged = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	return merged, nil
}

// userRefusal answers a user the tenant's rules refuse: 409 for an email, username or id another
// user holds, else 400 naming each field.
func userRefusal(errs tenant.FieldErrors) error {
	if errs.Conflict() {
		return errUserExists.because(errs.Error())
	}
	return fieldRefusal(errs)
}

// fieldRefusal words the tenant's problems with an item as Auth0's payload validation errors.
func fieldRefusal(errs tenant.FieldErrors) error {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = "'" + e.Msg + "'"
		if e.Field != "" {
			parts[i] += " on property " + e.Field
		}
	}
	return badBody("Payload validation error: " + strings.Join(parts, "; ") + ".")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// userOr404 is the user the path names.
func (h *Handler) userOr404(r *http.Request) (*tenant.User, error) {
	u, ok := h.tenant.User(r.PathValue("id"))
	if !ok {
		return nil, errNoUser
	}
	return u, nil
}
