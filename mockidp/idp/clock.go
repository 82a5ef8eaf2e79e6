package idp

import (
	"math"
	"sync/atomic"
	"time"
)

// Clock is the emulator's time: a base clock (Config.Now, else the system clock) plus an offset.
// Every lifetime the Server checks or stamps (codes, logins, sessions, tokens) reads Now, so
// moving the offset moves the whole tenant through time at once, while the base keeps running.
// Its methods are safe for concurrent use.
type Clock struct {
	base   func() time.Time
	offset atomic.Int64 // nanoseconds, as a time.Duration
}

func newClock(base func() time.Time) *Clock {
	if base == nil {
		base = time.Now
	}
	return &Clock{base: base}
}

// Now is the base clock's time plus the offset.
func (c *Clock) Now() time.Time { return c.base().Add(c.Offset()) }

// Offset is how far Now is from the base clock.
func (c *Clock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// Advance moves the clock by d, backwards when d is negative. The offset saturates at the
// largest time.Duration either way rather than wrapping round to the other end.
func (c *Clock) Advance(d time.Duration) {
	for {
		old := c.offset.Load()
		next := old + int64(d)
		switch {
		case d > 0 && next < old:
			next = math.MaxInt64
		case d < 0 && next > old:
			next = math.MinInt64
		}
		if c.offset.CompareAndSwap(old, next) {
			return
		}
	}
}

// Set moves the clock so that Now returns t at this instant; it keeps running from there at the
// base clock's pace. An offset spans about 292 years either way: a t further from the base
// clock's time is clamped to the nearest end, as time.Time.Sub clamps.
func (c *Clock) Set(t time.Time) { c.offset.Store(int64(t.Sub(c.base()))) }

// Reset puts the clock back on the base clock's time.
func (c *Clock) Reset() { c.offset.Store(0) }
