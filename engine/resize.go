package engine

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// windowFollower passes the user's terminal size to the session whenever
// the window changes (SIGWINCH), and remembers each change as an index
// marker. Signals arrive on their own goroutine; the markers are read by
// the run loop under the mutex, so no index value is shared unguarded.
type windowFollower struct {
	mu    sync.Mutex
	marks []recording.Marker
	done  chan struct{}
	once  sync.Once
	sig   chan os.Signal
}

func followWindow(size func() (int, int, error), resize func(cols, rows int) error, now func() time.Duration) *windowFollower {
	w := &windowFollower{done: make(chan struct{}), sig: make(chan os.Signal, 1)}
	signal.Notify(w.sig, syscall.SIGWINCH)
	go func() {
		lastC, lastR := 0, 0
		for {
			select {
			case <-w.sig:
				c, r, err := size()
				if err != nil || c <= 0 || r <= 0 || (c == lastC && r == lastR) {
					continue
				}
				if resize(c, r) != nil {
					continue
				}
				lastC, lastR = c, r
				w.mu.Lock()
				w.marks = append(w.marks, recording.Marker{At: recording.SecondsOf(now()), Label: fmt.Sprintf("resize %dx%d", c, r)})
				w.mu.Unlock()
			case <-w.done:
				return
			}
		}
	}()
	return w
}

func (w *windowFollower) markers() []recording.Marker {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]recording.Marker(nil), w.marks...)
}

func (w *windowFollower) stop() {
	w.once.Do(func() {
		signal.Stop(w.sig)
		close(w.done)
	})
}
