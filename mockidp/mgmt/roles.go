package mgmt

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/tenantless/tenantless/mockidp/tenant"
)

func roleJSON(r *tenant.Role) object {
	return object{"id": r.ID, "name": r.Name, "description": r.Description}
}

// listRoles is GET /roles, with name_filter matching part of a name, ignoring case.
func (h *Handler) listRoles(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	p, err := readPaging(qs)
	if err != nil {
		return err
	}
	filter := strings.ToLower(qs.Get("name_filter"))
	var out []object
	for _, role := range h.tenant.Roles() {
		if strings.Contains(strings.ToLower(role.Name), filter) {
			out = append(out, roleJSON(role))
		}
	}
	writePage(w, p, "roles", out)
	return nil
}

// createRole is POST /roles, which Auth0 answers with 200 and the role
// (https://auth0.com/docs/api/management/v2/roles/post-roles).
func (h *Handler) createRole(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, "name", "description")
	if err != nil {
		return err
	}
	role := &tenant.Role{ID: tenant.NewID("rol_", 16)}
	if !b.has("name") {
		return payloadError("Missing required property: name", "")
	}
	if err := get(b, "name", &role.Name); err != nil {
		return err
	}
	if err := get(b, "description", &role.Description); err != nil {
		return err
	}
	if errs := h.tenant.CreateRole(role); len(errs) > 0 {
		return roleRefusal(errs)
	}
	writeJSON(w, http.StatusOK, roleJSON(role))
	return nil
}

func (h *Handler) getRole(w http.ResponseWriter, r *http.Request) error {
	role, ok := h.tenant.RoleByID(r.PathValue("id"))
	if !ok {
		return errNoRole
	}
	writeJSON(w, http.StatusOK, roleJSON(role))
	return nil
}

func (h *Handler) updateRole(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, "name", "description")
	if err != nil {
		return err
	}
	var name, desc string
	if err := get(b, "name", &name); err != nil {
		return err
	}
	if err := get(b, "description", &desc); err != nil {
		return err
	}
	role, err := h.tenant.UpdateRole(r.PathValue("id"), func(role *tenant.Role) {
		if b.has("name") {
			role.Name = name
		}
		if b.has("description") {
			role.Description = desc
		}
	})
	if err != nil {
		return roleWriteError(err)
	}
	writeJSON(w, http.StatusOK, roleJSON(role))
	return nil
}

// deleteRole is DELETE /roles/{id}: its users lose it, and its permissions leave their next
// tokens.
func (h *Handler) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if _, ok := h.tenant.DeleteRole(r.PathValue("id")); !ok {
		return errNoRole
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// permissionJSON is a permission as Auth0 lists a role's or a user's.
func (h *Handler) permissionJSON(p tenant.Permission) object {
	o := object{"permission_name": p.Name, "resource_server_identifier": p.API}
	if api, ok := h.tenant.API(p.API); ok {
		o["resource_server_name"] = api.Name
		for _, s := range api.Scopes {
			if s.Value == p.Name {
				o["description"] = s.Description
			}
		}
	}
	return o
}

func (h *Handler) rolePermissions(w http.ResponseWriter, r *http.Request) error {
	p, err := readPaging(r.URL.Query())
	if err != nil {
		return err
	}
	role, ok := h.tenant.RoleByID(r.PathValue("id"))
	if !ok {
		return errNoRole
	}
	var out []object
	for _, perm := range role.Permissions {
		out = append(out, h.permissionJSON(perm))
	}
	writePage(w, p, "permissions", out)
	return nil
}

// editRolePermissions is POST /roles/{id}/permissions (edit addPermissions, answered 201) or
// DELETE (removePermissions, 204): the role's permissions changed by those of the body, in one
// write.
func (h *Handler) editRolePermissions(edit func(have, given []tenant.Permission) []tenant.Permission, status int) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		perms, err := readPermissions(r)
		if err != nil {
			return err
		}
		_, err = h.tenant.UpdateRole(r.PathValue("id"), func(role *tenant.Role) {
			role.Permissions = edit(role.Permissions, perms)
		})
		if err != nil {
			return roleWriteError(err)
		}
		w.WriteHeader(status)
		return nil
	}
}

// roleUsers is GET /roles/{id}/users: the users holding the role, in Auth0's short form.
func (h *Handler) roleUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := readPaging(r.URL.Query())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, ok := h.tenant.RoleByID(id); !ok {
		return errNoRole
	}
	var out []object
	for _, u := range h.tenant.Users() {
		if slices.Contains(u.Roles, id) {
			out = append(out, object{"user_id": u.UserID, "email": u.Email, "picture": u.Picture, "name": u.Name})
		}
	}
	writePage(w, p, "users", out)
	return nil
}

// assignRoleUsers is POST /roles/{id}/users: each user given gains the role.
func (h *Handler) assignRoleUsers(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, "users")
	if err != nil {
		return err
	}
	var ids []string
	if err := get(b, "users", &ids); err != nil {
		return err
	}
	if len(ids) == 0 {
		return payloadError("Array is too short (0), minimum 1", "users")
	}
	role := r.PathValue("id")
	if _, ok := h.tenant.RoleByID(role); !ok {
		return errNoRole
	}
	for _, id := range ids {
		if _, ok := h.tenant.User(id); !ok {
			return errNoUser
		}
	}
	for _, id := range ids {
		if _, err := h.tenant.UpdateUser(id, func(u *tenant.User) { u.Roles = addIDs(u.Roles, []string{role}) }); err != nil {
			return userWriteError(err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// userRoles is GET /users/{id}/roles.
func (h *Handler) userRoles(w http.ResponseWriter, r *http.Request) error {
	p, err := readPaging(r.URL.Query())
	if err != nil {
		return err
	}
	u, err := h.userOr404(r)
	if err != nil {
		return err
	}
	var out []object
	for _, id := range u.Roles {
		if role, ok := h.tenant.RoleByID(id); ok {
			out = append(out, roleJSON(role))
		}
	}
	writePage(w, p, "roles", out)
	return nil
}

// assignUserRoles is POST /users/{id}/roles: 204, the user holding the roles given too.
func (h *Handler) assignUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := readRoleIDs(r)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := h.tenant.RoleByID(id); !ok {
			return errNoRole.because("no role " + id)
		}
	}
	_, err = h.tenant.UpdateUser(r.PathValue("id"), func(u *tenant.User) { u.Roles = addIDs(u.Roles, ids) })
	if err != nil {
		return userWriteError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) removeUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := readRoleIDs(r)
	if err != nil {
		return err
	}
	_, err = h.tenant.UpdateUser(r.PathValue("id"), func(u *tenant.User) {
		u.Roles = slices.DeleteFunc(u.Roles, func(id string) bool { return slices.Contains(ids, id) })
	})
	if err != nil {
		return userWriteError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// userPermissions is GET /users/{id}/permissions: the user's own permissions and its roles',
// each with its sources.
func (h *Handler) userPermissions(w http.ResponseWriter, r *http.Request) error {
	p, err := readPaging(r.URL.Query())
	if err != nil {
		return err
	}
	u, err := h.userOr404(r)
	if err != nil {
		return err
	}
	type entry struct {
		perm    tenant.Permission
		sources []object
	}
	var entries []*entry
	add := func(perm tenant.Permission, source object) {
		i := slices.IndexFunc(entries, func(e *entry) bool { return e.perm == perm })
		if i < 0 {
			entries = append(entries, &entry{perm: perm})
			i = len(entries) - 1
		}
		entries[i].sources = append(entries[i].sources, source)
	}
	for _, perm := range u.Permissions {
		add(perm, object{"source_id": "", "source_name": "", "source_type": "DIRECT"})
	}
	for _, id := range u.Roles {
		if role, ok := h.tenant.RoleByID(id); ok {
			for _, perm := range role.Permissions {
				add(perm, object{"source_id": role.ID, "source_name": role.Name, "source_type": "ROLE"})
			}
		}
	}
	var out []object
	for _, e := range entries {
		o := h.permissionJSON(e.perm)
		o["sources"] = e.sources
		out = append(out, o)
	}
	writePage(w, p, "permissions", out)
	return nil
}

// editUserPermissions is editRolePermissions for a user's direct permissions:
// POST /users/{id}/permissions (201) and DELETE (204).
func (h *Handler) editUserPermissions(edit func(have, given []tenant.Permission) []tenant.Permission, status int) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		perms, err := readPermissions(r)
		if err != nil {
			return err
		}
		_, err = h.tenant.UpdateUser(r.PathValue("id"), func(u *tenant.User) { u.Permissions = edit(u.Permissions, perms) })
		if err != nil {
			return userWriteError(err)
		}
		w.WriteHeader(status)
		return nil
	}
}

func readRoleIDs(r *http.Request) ([]string, error) {
	b, err := readBody(r, "roles")
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := get(b, "roles", &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, payloadError("Missing required property: roles", "")
	}
	return ids, nil
}

// readPermissions reads {"permissions": [{permission_name, resource_server_identifier}, ...]}.
func readPermissions(r *http.Request) ([]tenant.Permission, error) {
	b, err := readBody(r, "permissions")
	if err != nil {
		return nil, err
	}
	var given []struct {
		Name string `json:"permission_name"`
		API  string `json:"resource_server_identifier"`
	}
	if err := get(b, "permissions", &given); err != nil {
		return nil, err
	}
	if len(given) == 0 {
		return nil, payloadError("Missing required property: permissions", "")
	}
	out := make([]tenant.Permission, len(given))
	for i, g := range given {
		out[i] = tenant.Permission{Name: g.Name, API: g.API}
	}
	return out, nil
}

func addIDs(have, more []string) []string {
	for _, id := range more {
		if !slices.Contains(have, id) {
			have = append(have, id)
		}
	}
	return have
}

func addPermissions(have, more []tenant.Permission) []tenant.Permission {
	for _, p := range more {
		if !slices.Contains(have, p) {
			have = append(have, p)
		}
	}
	return have
}

func removePermissions(have, gone []tenant.Permission) []tenant.Permission {
	return slices.DeleteFunc(have, func(p tenant.Permission) bool { return slices.Contains(gone, p) })
}

// userWriteError answers a write to a user that failed.
func userWriteError(err error) error {
	if errors.Is(err, tenant.ErrNotFound) {
		return errNoUser
	}
	var errs tenant.FieldErrors
	if errors.As(err, &errs) {
		return userRefusal(errs)
	}
	return err
}

func roleWriteError(err error) error {
	if errors.Is(err, tenant.ErrNotFound) {
		return errNoRole
	}
	var errs tenant.FieldErrors
	if errors.As(err, &errs) {
		return roleRefusal(errs)
	}
	return err
}

// roleRefusal answers a role the tenant's rules refuse: 409 for a name another role has.
func roleRefusal(errs tenant.FieldErrors) error {
	if errs.Conflict() {
		return newError(http.StatusConflict, "", "Role name already exists").because(errs.Error())
	}
	return fieldRefusal(errs)
}
