package idp

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantless/tenantless/mockidp/store"
)

// recordingStore is a Server's store that remembers the sessions written to it, so that a
// test can count the live ones.
type recordingStore struct {
	store.Store
	mu       sync.Mutex
	sessions map[string]struct{}
}

func (r *recordingStore) PutSession(ctx context.Context, s store.Session, now time.Time) error {
	r.mu.Lock()
	r.sessions[s.ID] = struct{}{}
	r.mu.Unlock()
	return r.Store.PutSession(ctx, s, now)
}

// liveSessions counts the sessions written that are still alive.
func (s *apiServer) liveSessions(t testing.TB) int {
	t.Helper()
	rec := s.store.(*recordingStore)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for id := range rec.sessions {
		_, err := rec.CheckSession(context.Background(), id, s.Clock().Now())
		if err == nil {
			n++
			continue
		}
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	return n
}

// takeCode redeems a code in the store directly, for a test that reads what /authorize bound
// to it.
func (s *apiServer) takeCode(t testing.TB, code string) store.AuthCode {
	t.Helper()
	c, err := s.store.TakeCode(context.Background(), code, s.Clock().Now())
	require.NoError(t, err)
	return c
}

// liveSession returns a session without counting as a visit; ok is false once it has ended.
func (s *apiServer) liveSession(t testing.TB, id string) (store.Session, bool) {
	t.Helper()
	sess, err := s.store.CheckSession(context.Background(), id, s.Clock().Now())
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, false
	}
	require.NoError(t, err)
	return sess, true
}

func (s *apiServer) putSession(t testing.TB, sess store.Session) {
	t.Helper()
	require.NoError(t, s.store.PutSession(context.Background(), sess, s.Clock().Now()))
}

func (s *apiServer) putRefresh(t testing.TB, rt store.RefreshToken) {
	t.Helper()
	require.NoError(t, s.store.PutRefreshToken(context.Background(), rt, s.Clock().Now()))
}
