package recording

import (
	"sync"
	"time"
)

// Clock tells the time. Now must carry a monotonic reading (time.Now does),
// so a recording's timeline is immune to wall-clock jumps; tests inject a
// fake clock to make recordings reproducible.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// RealClock is the system clock.
var RealClock Clock = realClock{}

// ManualClock is a Clock that moves only when told to: for tests, and for
// writing a recording whose times come from elsewhere (a conversion).
// It is safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t (backwards too: to test wall-clock jumps).
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
