package handrec

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// tape records what the session's terminal shows and shows it to the
// user. While paused, or once the user stopped recording, it records
// nothing. The bottom row of the user's display may hold a status line
// (PAUSED, the marker name being typed), never recorded: while it is up
// the rows above it are the scrolling region (as apt's progress bar
// does), so the session's output scrolls above it and never drags it
// into the session's text, and what was on the bottom row (the prompt
// being typed at) is first moved up a row rather than hidden. Both are
// set again after every write while it is up, since a program may reset
// the region.
type tape struct {
	mu      sync.Mutex
	file    *os.File
	wopts   recording.WriterOptions
	w       *recording.Writer // made at the first frame recorded
	paused  bool
	stopped bool
	closed  bool
	err     error // the recording could not be written: it stopped there
	display io.Writer
	rows    int
	status  string
	// clearAt clears a passing message (not a paused status).
	clearTimer *time.Timer
}

func newTape(f *os.File, wopts recording.WriterOptions, display io.Writer) *tape {
	return &tape{file: f, wopts: wopts, display: display, rows: wopts.Rows}
}

// Write records p (unless paused or stopped) and shows it.
func (t *tape) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.recording() {
		t.start()
		if t.w != nil {
			if _, err := t.w.Write(p); err != nil && t.err == nil {
				t.err = err
			}
		}
	}
	if t.display != nil {
		if t.status != "" && altScreenOn(p) {
			// The normal screen is kept as it is while a program
			// (vi, less) shows its own: without the status line, or
			// it comes back with it once the status is long gone.
			t.show(fmt.Sprintf("\x1b7\x1b[%d;1H\x1b[0m\x1b[2K\x1b8", max(t.rows, 1)))
		}
		t.display.Write(p)
		if t.status != "" {
			t.reserve()
			t.drawStatus()
		}
	}
	return len(p), nil
}

func (t *tape) recording() bool {
	return !t.paused && !t.stopped && !t.closed && t.err == nil && t.file != nil
}

// start makes the Writer: the recording's clock starts at its first frame.
func (t *tape) start() {
	if t.w != nil || t.err != nil {
		return
	}
	w, err := recording.NewWriter(t.file, t.wopts)
	if err != nil {
		t.err = err
		return
	}
	t.w = w
}

// Elapsed is the position on the recording's timeline now.
func (t *tape) Elapsed() time.Duration {
	t.mu.Lock()
	w := t.w
	t.mu.Unlock()
	if w == nil {
		return 0
	}
	return w.Elapsed()
}

// writer is the recording's Writer, nil before its first frame.
func (t *tape) writer() *recording.Writer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w
}

// pause stops or restarts recording; it returns whether it is now paused.
// The time paused is cut out of the recording and listed as a pause.
func (t *tape) togglePause() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.paused = !t.paused
	if t.paused {
		t.start()
		if t.w != nil {
			t.w.PauseFor("paused")
		}
	} else if t.w != nil {
		t.w.Resume()
	}
	return t.paused
}

func (t *tape) isPaused() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.paused
}

// stop ends the recording for good (the user's q); the display goes on.
func (t *tape) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.paused && t.w != nil {
		t.w.Resume()
	}
	t.paused = false
	t.stopped = true
}

func (t *tape) isStopped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopped || t.closed
}

// Close finishes the recording file: it is valid up to its last frame.
func (t *tape) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.file == nil {
		t.closed = true
		return nil
	}
	t.closed = true
	if t.paused && t.w != nil {
		t.w.Resume()
		t.paused = false
	}
	t.start() // a session that showed nothing still leaves a valid file
	var err error
	if t.w != nil && t.err == nil {
		err = t.w.Close()
	}
	if cerr := t.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = t.err
	}
	return err
}

// resize is the user's window changing: the status line moves with it.
func (t *tape) resize(rows int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rows = rows
	if t.status != "" {
		t.reserve()
		t.drawStatus()
	}
}

// setStatus shows text on the bottom row until cleared ("" clears it);
// with d > 0 it clears itself after d.
func (t *tape) setStatus(text string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.clearTimer != nil {
		t.clearTimer.Stop()
		t.clearTimer = nil
	}
	if text == "" {
		if t.status != "" {
			t.status = ""
			// The whole screen scrolls again; the status row is blank.
			t.show(fmt.Sprintf("\x1b7\x1b[r\x1b8\x1b7\x1b[%d;1H\x1b[0m\x1b[2K\x1b8", max(t.rows, 1)))
		}
		return
	}
	if t.status == "" && t.rows > 1 {
		// Make room: a line feed scrolls the screen up one row when the
		// cursor is on the bottom row (a prompt there stays in sight),
		// and only moves it down otherwise; the cursor goes back up.
		t.show(fmt.Sprintf("\n\x1b7\x1b[1;%dr\x1b8\x1b[A", t.rows-1))
	}
	t.status = text
	t.drawStatus()
	if d > 0 {
		t.clearTimer = time.AfterFunc(d, func() {
			t.mu.Lock()
			same := t.status == text
			t.mu.Unlock()
			if same {
				t.setStatus("", 0)
			}
		})
	}
}

// reserve sets the scrolling region above the status row again (setting
// it moves the cursor home: it is saved and restored around it). Called
// with t.mu held.
func (t *tape) reserve() {
	if t.rows > 1 {
		t.show(fmt.Sprintf("\x1b7\x1b[1;%dr\x1b8", t.rows-1))
	}
}

// drawStatus draws the status line; the cursor stays where the session
// put it. Called with t.mu held.
func (t *tape) drawStatus() {
	t.show(fmt.Sprintf("\x1b7\x1b[%d;1H\x1b[0;7m %s \x1b[0m\x1b[K\x1b8", max(t.rows, 1), t.status))
}

// message shows text to the user only, for a moment, on the status line
// (or as the paused status when paused).
func (t *tape) show(s string) {
	if t.display != nil {
		io.WriteString(t.display, s)
	}
}

// altScreenOn reports whether p switches to the alternate screen.
func altScreenOn(p []byte) bool {
	for _, seq := range []string{"\x1b[?1049h", "\x1b[?1047h", "\x1b[?47h"} {
		if bytes.Contains(p, []byte(seq)) {
			return true
		}
	}
	return false
}
