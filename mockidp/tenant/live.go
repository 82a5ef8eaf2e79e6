package tenant

import (
	"crypto/rand"
	"errors"
	"maps"
	"slices"
	"strings"
)

// ErrNotFound is the error of a write to an item the tenant does not have.
var ErrNotFound = errors.New("tenant: no such item")

// NewID is a random id for an item a Management API creates: prefix and n characters, like
// Auth0's "rol_" and 16 letters and digits.
func NewID(prefix string, n int) string { return prefix + rand.Text()[:n] }

// The writes of a live tenant. Each takes the tenant's lock for the whole of one item's change:
// it copies the item, lets edit change the copy, checks the copy with the item's Prepare rule
// and, if it passes, puts it in the old one's place, so a reader sees the item before or after
// the write. Their cost does not grow with the tenant's size. A write that breaks a rule changes
// nothing and returns the FieldErrors; edit must not call the tenant's methods.

// CreateUser adds a new user, prepared by the rules of PrepareUser.
func (t *Tenant) CreateUser(u *User) FieldErrors {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if errs := t.prepareUser(u, nil); len(errs) > 0 {
		return errs
	}
	t.users.add(u.UserID, u)
	t.indexUser(u)
	return nil
}

// UpdateUser changes the user with the user_id id. The user_id cannot change.
func (t *Tenant) UpdateUser(id string, edit func(*User)) (*User, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.users.get(id)
	if !ok {
		return nil, ErrNotFound
	}
	u := old.clone()
	edit(u)
	u.UserID = old.UserID
	if errs := t.prepareUser(u, old); len(errs) > 0 {
		return nil, errs
	}
	t.unindexUser(old)
	t.users.replace(id, u)
	t.indexUser(u)
	return u, nil
}

// DeleteUser removes the user with the user_id id and returns it.
func (t *Tenant) DeleteUser(id string) (*User, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.users.remove(id)
	if ok {
		t.unindexUser(u)
	}
	return u, ok
}

func (t *Tenant) indexUser(u *User) {
	indexBy(t.usersByName, strings.ToLower(u.Email), u)
	indexBy(t.usersByName, strings.ToLower(u.Username), u)
}

func (t *Tenant) unindexUser(u *User) {
	for _, k := range []string{strings.ToLower(u.Email), strings.ToLower(u.Username)} {
		if t.usersByName[k] == u {
			delete(t.usersByName, k)
		}
	}
}

func (u *User) clone() *User {
	c := *u
	c.Roles = slices.Clone(u.Roles)
	c.Permissions = slices.Clone(u.Permissions)
	c.AppMetadata = maps.Clone(u.AppMetadata)
	c.UserMetadata = maps.Clone(u.UserMetadata)
	c.Claims = maps.Clone(u.Claims)
	return &c
}

// RoleByID looks a role up by its id.
func (t *Tenant) RoleByID(id string) (*Role, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.roles.get(id)
}

// CreateRole adds a new role, prepared by the rules of PrepareRole.
func (t *Tenant) CreateRole(r *Role) FieldErrors {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if errs := t.prepareRole(r, nil); len(errs) > 0 {
		return errs
	}
	t.roles.add(r.ID, r)
	t.rolesByName[r.Name] = r
	return nil
}

// UpdateRole changes the role with the id id. Its users keep it under a new name.
func (t *Tenant) UpdateRole(id string, edit func(*Role)) (*Role, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.roles.get(id)
	if !ok {
		return nil, ErrNotFound
	}
	r := &Role{ID: old.ID, Name: old.Name, Description: old.Description, Permissions: slices.Clone(old.Permissions)}
	edit(r)
	r.ID = old.ID
	if errs := t.prepareRole(r, old); len(errs) > 0 {
		return nil, errs
	}
	delete(t.rolesByName, old.Name)
	t.roles.replace(id, r)
	t.rolesByName[r.Name] = r
	return r, nil
}

// DeleteRole removes the role with the id id. Its users keep the id, which resolves to nothing,
// so their next tokens no longer carry its permissions.
func (t *Tenant) DeleteRole(id string) (*Role, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.roles.remove(id)
	if ok {
		delete(t.rolesByName, r.Name)
	}
	return r, ok
}

// CreateClient adds a new application, prepared by the rules of PrepareClient.
func (t *Tenant) CreateClient(c *Client) FieldErrors {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if errs := t.prepareClient(c, nil); len(errs) > 0 {
		return errs
	}
	t.clients.add(c.ClientID, c)
	t.clientsByName[c.Name] = c
	t.clientsVersion.Add(1)
	return nil
}

// UpdateClient changes the application with the client_id id, which cannot change.
func (t *Tenant) UpdateClient(id string, edit func(*Client)) (*Client, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.clients.get(id)
	if !ok {
		return nil, ErrNotFound
	}
	c := *old
	c.GrantTypes = slices.Clone(old.GrantTypes)
	c.Callbacks = slices.Clone(old.Callbacks)
	c.AllowedLogoutURLs = slices.Clone(old.AllowedLogoutURLs)
	c.WebOrigins = slices.Clone(old.WebOrigins)
	c.AllowedOrigins = slices.Clone(old.AllowedOrigins)
	edit(&c)
	c.ClientID = old.ClientID
	if errs := t.prepareClient(&c, old); len(errs) > 0 {
		return nil, errs
	}
	if t.clientsByName[old.Name] == old {
		delete(t.clientsByName, old.Name)
	}
	t.clients.replace(id, &c)
	t.clientsByName[c.Name] = &c
	t.clientsVersion.Add(1)
	return &c, nil
}

// DeleteClient removes the application with the client_id id, and its client grants, as Auth0
// does.
func (t *Tenant) DeleteClient(id string) (*Client, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.clients.remove(id)
	if !ok {
		return nil, false
	}
	if t.clientsByName[c.Name] == c {
		delete(t.clientsByName, c.Name)
	}
	for _, api := range t.apis.all() {
		if g, ok := t.grantsByPair[grantPair(id, api.Identifier)]; ok {
			t.removeGrant(g)
		}
	}
	t.clientsVersion.Add(1)
	return c, true
}

// APIByID looks a resource server up by its Management API id.
func (t *Tenant) APIByID(id string) (*API, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	a, ok := t.apisByID[id]
	return a, ok
}

// CreateAPI adds a new resource server, prepared by the rules of PrepareAPI.
func (t *Tenant) CreateAPI(a *API) FieldErrors {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if errs := t.prepareAPI(a, nil); len(errs) > 0 {
		return errs
	}
	t.apis.add(a.Identifier, a)
	t.apisByID[a.ID] = a
	return nil
}

// UpdateAPI changes the resource server with the Management API id id. Its identifier, which
// tokens carry as their audience, cannot change.
func (t *Tenant) UpdateAPI(id string, edit func(*API)) (*API, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.apisByID[id]
	if !ok {
		return nil, ErrNotFound
	}
	a := *old
	a.Scopes = slices.Clone(old.Scopes)
	edit(&a)
	a.ID, a.Identifier = old.ID, old.Identifier
	if errs := t.prepareAPI(&a, old); len(errs) > 0 {
		return nil, errs
	}
	t.apis.replace(a.Identifier, &a)
	t.apisByID[id] = &a
	return &a, nil
}

// DeleteAPI removes the resource server with the Management API id id, and the client grants
// for it, as Auth0 does.
func (t *Tenant) DeleteAPI(id string) (*API, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.apisByID[id]
	if !ok {
		return nil, false
	}
	delete(t.apisByID, id)
	t.apis.remove(a.Identifier)
	for _, c := range t.clients.all() {
		if g, ok := t.grantsByPair[grantPair(c.ClientID, a.Identifier)]; ok {
			t.removeGrant(g)
		}
	}
	return a, true
}

// GrantByID looks a client grant up by its id.
func (t *Tenant) GrantByID(id string) (*ClientGrant, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.grants.get(id)
}

// CreateGrant adds a new client grant, prepared by the rules of PrepareGrant.
func (t *Tenant) CreateGrant(g *ClientGrant) FieldErrors {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if errs := t.prepareGrant(g, nil); len(errs) > 0 {
		return errs
	}
	t.grants.add(g.ID, g)
	t.grantsByPair[grantPair(g.ClientID, g.Audience)] = g
	return nil
}

// UpdateGrant changes the scope of the client grant with the id id; its client and audience
// cannot change.
func (t *Tenant) UpdateGrant(id string, scope []string) (*ClientGrant, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.grants.get(id)
	if !ok {
		return nil, ErrNotFound
	}
	g := &ClientGrant{ID: old.ID, ClientID: old.ClientID, Audience: old.Audience, Scope: slices.Clone(scope)}
	if errs := t.prepareGrant(g, old); len(errs) > 0 {
		return nil, errs
	}
	t.grants.replace(id, g)
	t.grantsByPair[grantPair(g.ClientID, g.Audience)] = g
	return g, nil
}

// DeleteGrant removes the client grant with the id id.
func (t *Tenant) DeleteGrant(id string) (*ClientGrant, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.grants.get(id)
	if ok {
		t.removeGrant(g)
	}
	return g, ok
}

func (t *Tenant) removeGrant(g *ClientGrant) {
	t.grants.remove(g.ID)
	if k := grantPair(g.ClientID, g.Audience); t.grantsByPair[k] == g {
		delete(t.grantsByPair, k)
	}
}

// Clone is a tenant holding the same items as t now, which later writes to either leave the
// other without: what a tenant without a file to read again is reset to. Items being immutable,
// it copies the lists and lookups, not the items.
func (t *Tenant) Clone() *Tenant {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c := &Tenant{
		Name: t.Name, Settings: t.Settings, Actions: t.Actions, Bindings: t.Bindings,
		SigningKeys: t.SigningKeys, Warnings: t.Warnings,
	}
	if t.management == nil {
		return c
	}
	c.clients, c.apis, c.roles = t.clients.clone(), t.apis.clone(), t.roles.clone()
	c.grants, c.connections, c.users = t.grants.clone(), t.connections.clone(), t.users.clone()
	c.clientsByName, c.apisByID = maps.Clone(t.clientsByName), maps.Clone(t.apisByID)
	c.usersByName, c.rolesByName = maps.Clone(t.usersByName), maps.Clone(t.rolesByName)
	c.grantsByPair, c.actionsByName = maps.Clone(t.grantsByPair), maps.Clone(t.actionsByName)
	c.management = t.management
	c.clientsVersion.Store(t.clientsVersion.Load())
	return c
}
