// Package store owns the emulator's live state: pending logins, authorization codes and the
// markers of spent ones, SSO sessions, refresh-token families, opaque access tokens, the grant
// each token belongs to and whether it is revoked, and failed-login counts with their lockouts.
//
// Store is the one interface to it, with two backends: Memory, the embedded default, and
// Redis, for a Valkey or Redis server that replicas share and that outlives a restart. Every
// check-and-consume is atomic in the backend. The conformance suite in storetest runs against
// both.
//
// Every record carries its expiry, checked against the caller's now (the emulator's clock can
// be set); the backends' own expiry (Redis TTLs, the memory store's sweep) only collects
// garbage, ExpiryMargin after the record's logical end. A revocation is a flag on its grant,
// and the grant lives as long as the longest-lived record that names it, so no revocation is
// forgotten while anything it revokes could still be used.
package store
