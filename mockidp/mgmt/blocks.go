package mgmt

import (
	"context"
	"time"

	"github.com/tenantless/tenantless/mockidp/store"
)

// Blocks are the brute-force locks of the tenant's logins: the part of the emulator's state
// store that the user-blocks endpoints read and clear.
type Blocks interface {
	// Locks lists the locks in force for a login identifier (an email or a username).
	Locks(ctx context.Context, identifier string, now time.Time) ([]store.Lock, error)
	// Unlock clears an identifier's lock and its count of failures.
	Unlock(ctx context.Context, identifier string) error
}
