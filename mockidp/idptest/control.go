package idptest

import (
	"context"

	"github.com/tenantless/tenantless/mockidp/idp"
)

// The controls of the emulator's control API (under Issuer()+"tenantless/"), for Go tests. Each
// is safe to call from t.Cleanup and from several goroutines.

// Fault puts a fault in force and returns its id: the next requests it matches get its error,
// its delay or, at /authorize, a denied login (see idp.Fault). Faults match in the order they
// were added. An invalid fault is a mistake in the test, so Fault panics with what is wrong.
//
//	id := tenant.Fault(idp.Fault{Path: "/oauth/token", Status: 429})
//	t.Cleanup(func() { tenant.RemoveFault(id) })
func (s *Server) Fault(f idp.Fault) string {
	st, err := s.IDP.AddFault(f)
	if err != nil {
		panic(err)
	}
	return st.ID
}

// RemoveFault removes a fault before it is used up; false when it is not in force.
func (s *Server) RemoveFault(id string) bool { return s.IDP.RemoveFault(id) }

// Faults lists the faults in force, with what is left of them.
func (s *Server) Faults() []idp.FaultStatus { return s.IDP.Faults() }

// Reset returns the tenant to its start, for the next test: the tenant read again from its
// source (a file edited since is read as it is now), no sessions, codes, tokens, lockouts,
// faults or journal, and the emulator's clock back on its base. A tenant file that no longer
// loads is a mistake in the test, so Reset panics with its problems.
//
//	t.Cleanup(tenant.Reset)
func (s *Server) Reset() {
	if err := s.IDP.Reset(context.Background()); err != nil {
		panic(err)
	}
}

// Reload reads the tenant again from its source (WithTenant, WithTenantFile) and serves it;
// sessions and tokens of users and clients still in it keep working. A tenant that does not
// load is the error, and the running tenant stays.
func (s *Server) Reload() error { return s.IDP.Reload() }

// Requests are the requests the emulator served, newest first, that f selects, with their
// secrets masked: what a test asserts its application sent.
func (s *Server) Requests(f idp.RequestFilter) []idp.JournalEntry { return s.IDP.Requests(f) }
