package idp

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClock(t *testing.T) {
	const maxOffset, minOffset = time.Duration(math.MaxInt64), time.Duration(math.MinInt64)
	tests := []struct {
		name       string
		move       func(c *Clock)
		wantOffset time.Duration
	}{
		{"starts on the base", func(*Clock) {}, 0},
		{"advance", func(c *Clock) { c.Advance(90 * time.Minute) }, 90 * time.Minute},
		{"advances add up", func(c *Clock) { c.Advance(time.Hour); c.Advance(-3 * time.Hour) }, -2 * time.Hour},
		{"set to the future", func(c *Clock) { c.Set(testStart.Add(48 * time.Hour)) }, 48 * time.Hour},
		{"set to the past", func(c *Clock) { c.Set(testStart.Add(-time.Second)) }, -time.Second},
		{"set replaces the offset", func(c *Clock) { c.Advance(time.Hour); c.Set(testStart.Add(time.Minute)) }, time.Minute},
		{"reset", func(c *Clock) { c.Advance(time.Hour); c.Reset() }, 0},
		{"advance saturates forward", func(c *Clock) { c.Advance(maxOffset); c.Advance(time.Nanosecond) }, maxOffset},
		{"advance saturates backward", func(c *Clock) { c.Advance(minOffset); c.Advance(-time.Nanosecond) }, minOffset},
		{"advance back from saturation", func(c *Clock) { c.Advance(maxOffset); c.Advance(-time.Hour) }, maxOffset - time.Hour},
		{"set beyond the range clamps", func(c *Clock) { c.Set(testStart.AddDate(300, 0, 0)) }, maxOffset},
		{"set before the range clamps", func(c *Clock) { c.Set(testStart.AddDate(-300, 0, 0)) }, minOffset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(func() time.Time { return testStart })
			tt.move(c)
			assert.Equal(t, tt.wantOffset, c.Offset())
			assert.Equal(t, testStart.Add(tt.wantOffset), c.Now())
		})
	}
}

// TestClockKeepsRunning: the offset stays put while the base runs, so a clock that was set
// goes on from the time it was set to.
func TestClockKeepsRunning(t *testing.T) {
	base := testStart
	c := newClock(func() time.Time { return base })
	target := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(target)
	require.Equal(t, target, c.Now())
	base = base.Add(time.Minute)
	assert.Equal(t, target.Add(time.Minute), c.Now())
	c.Reset()
	assert.Equal(t, base, c.Now())
}

func TestClockDefaultsToSystemTime(t *testing.T) {
	before := time.Now()
	now := newClock(nil).Now()
	after := time.Now()
	assert.False(t, now.Before(before) || now.After(after), "%v not within [%v, %v]", now, before, after)
}

// TestClockConcurrent: no advance is lost when many goroutines move the clock and read it at
// once (run with -race).
func TestClockConcurrent(t *testing.T) {
	const goroutines, steps = 8, 1000
	c := newClock(func() time.Time { return testStart })
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range steps {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, goroutines*steps*time.Second, c.Offset())
}

// TestServerClock: Config.Now is the base of the Server's one clock, and moving that clock
// moves what the Server stamps on tokens.
func TestServerClock(t *testing.T) {
	s := newAPIServer(t)
	require.Same(t, s.Clock(), s.Clock())
	assert.Equal(t, testStart, s.Clock().Now())

	s.Clock().Advance(time.Hour)
	resp, err := s.MintToken(MintRequest{User: "alice@example.com"})
	require.NoError(t, err)
	assert.Equal(t, unix(testStart.Add(time.Hour)), s.claimsOf(t, resp.AccessToken)["iat"])
}
