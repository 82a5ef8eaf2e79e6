package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/tenantless/tenantless/mockidp/store"
	"github.com/tenantless/tenantless/mockidp/tenant"
)

// Blocks are the brute-force locks of the tenant's logins: the part of the emulator's state
// store that the user-blocks endpoints read and clear.
type Blocks interface {
	// Locks lists the locks in force for a login identifier (an email or a username).
	Locks(ctx context.Context, identifier string, now time.Time) ([]store.Lock, error)
	// Unlock clears an identifier's lock and its count of failures.
	Unlock(ctx context.Context, identifier string) error
}

// blockedFor is the answer of the user-blocks endpoints: the locks in force on each identifier
// (https://auth0.com/docs/api/management/v2/user-blocks/get-user-blocks). The emulator counts
// failures per login name, not per address, so no ip is given.
func (h *Handler) blockedFor(r *http.Request, identifiers []string) (object, error) {
	list := []object{}
	for _, id := range identifiers {
		locks, err := h.blocks.Locks(r.Context(), id, h.now())
		if err != nil {
			return nil, err
		}
		for _, l := range locks {
			list = append(list, object{"identifier": l.Identifier, "connection": tenant.DefaultConnection})
		}
	}
	return object{"blocked_for": list}, nil
}

// userIdentifiers are the names a user logs in with, under which its failures count.
func userIdentifiers(u *tenant.User) []string {
	var ids []string
	for _, s := range []string{u.Email, u.Username} {
		if s != "" {
			ids = append(ids, s)
		}
	}
	return ids
}

var errNoBlocks = newError(http.StatusNotImplemented, "not_implemented", "The emulator serves user-blocks only with its brute-force protection's store.")

func (h *Handler) identifier(r *http.Request) (string, error) {
	if h.blocks == nil {
		return "", errNoBlocks
	}
	id := r.URL.Query().Get("identifier")
	if id == "" {
		return "", badQuery("Query validation error: 'Missing required property: identifier' on property identifier.")
	}
	return id, nil
}

func (h *Handler) getBlocks(w http.ResponseWriter, r *http.Request) error {
	id, err := h.identifier(r)
	if err != nil {
		return err
	}
	out, err := h.blockedFor(r, []string{id})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) deleteBlocks(w http.ResponseWriter, r *http.Request) error {
	id, err := h.identifier(r)
	if err != nil {
		return err
	}
	if err := h.blocks.Unlock(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getUserBlocks(w http.ResponseWriter, r *http.Request) error {
	if h.blocks == nil {
		return errNoBlocks
	}
	u, err := h.userOr404(r)
	if err != nil {
		return err
	}
	out, err := h.blockedFor(r, userIdentifiers(u))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) deleteUserBlocks(w http.ResponseWriter, r *http.Request) error {
	if h.blocks == nil {
		return errNoBlocks
	}
	u, err := h.userOr404(r)
	if err != nil {
		return err
	}
	for _, id := range userIdentifiers(u) {
		if err := h.blocks.Unlock(r.Context(), id); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
