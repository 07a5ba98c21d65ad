package engine

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// tee passes what the session's terminal shows to the recording and to the
// user's display. The session's reader goroutine writes; the Lua goroutine
// adds notes to the display and reads the recording's clock.
type tee struct {
	mu      sync.Mutex
	file    *os.File // nil: not recording
	path    string
	wopts   recording.WriterOptions
	w       *recording.Writer // made at the first write: the first prompt
	closed  bool
	display io.Writer // nil: nothing shown
	tty     bool      // the display is a terminal
	// promptTail holds the last line shown, so a note printed between
	// commands can put the prompt back under itself.
	lastLine []byte
	dispErr  error
	modes    termModes // terminal modes the session changed (termmodes.go)
	// quietNotes, with --quiet (no display), still gets the notes — diffs,
	// what a dry run would run — as plain lines.
	quietNotes io.Writer
}

// newTee opens the recording at path ("" for none).
func newTee(path string, wopts recording.WriterOptions, display io.Writer, tty bool) (*tee, error) {
	t := &tee{path: path, wopts: wopts, display: display, tty: tty}
	if path != "" {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create recording directory: %w", err)
			}
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("create recording: %w", err)
		}
		t.file = f
	}
	return t, nil
}

// Write records p as one frame and shows it.
func (t *tee) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return len(p), nil
	}
	if err := t.start(); err != nil {
		return 0, err
	}
	if t.w != nil {
		if _, err := t.w.Write(p); err != nil {
			return 0, err
		}
	}
	t.show(p)
	t.modes.watch(p)
	if i := strings.LastIndexByte(string(p), '\n'); i >= 0 {
		t.lastLine = append(t.lastLine[:0], p[i+1:]...)
	} else if len(t.lastLine) < 4096 {
		t.lastLine = append(t.lastLine, p...)
	}
	return len(p), nil
}

// start makes the recording's Writer, so its clock starts at the first
// thing recorded. Called with t.mu held.
func (t *tee) start() error {
	if t.file == nil || t.w != nil {
		return nil
	}
	w, err := recording.NewWriter(t.file, t.wopts)
	if err != nil {
		return fmt.Errorf("start recording %s: %w", t.path, err)
	}
	t.w = w
	return nil
}

func (t *tee) show(p []byte) {
	if t.display == nil || t.dispErr != nil {
		return
	}
	if _, err := t.display.Write(p); err != nil {
		// A closed display (a pipe whose reader went away) must not stop
		// the run or the recording.
		t.dispErr = err
	}
}

// note shows text to the user only, on lines of its own, then puts the
// current prompt line back so the session still reads right.
func (t *tee) note(text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.display == nil {
		if t.quietNotes != nil {
			fmt.Fprintln(t.quietNotes, strings.TrimRight(text, "\n"))
		}
		return
	}
	var b strings.Builder
	if t.tty {
		b.WriteString("\r\x1b[K") // over the prompt, which comes back below
	} else {
		b.WriteString("\r\n")
	}
	b.WriteString(strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\r\n"))
	b.WriteString("\r\n")
	b.Write(t.lastLine)
	t.show([]byte(b.String()))
}

// restoreModes puts back the terminal modes the session left changed
// (the alternate screen, a hidden cursor, wrap off...), on the recording
// and the display, and returns what it restored (nil: nothing was left).
func (t *tee) restoreModes() []string {
	t.mu.Lock()
	seq, what := t.modes.restore()
	t.mu.Unlock()
	if seq != "" {
		t.Write([]byte(seq))
	}
	return what
}

// raw shows text to the user as it is.
func (t *tee) raw(text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.show([]byte(text))
}

// Elapsed is the position on the recording's timeline (0 before it starts
// or when not recording).
func (t *tee) Elapsed() time.Duration {
	t.mu.Lock()
	w := t.w
	t.mu.Unlock()
	if w == nil {
		return 0
	}
	return w.Elapsed()
}

// PauseFor stops the recording's clock (time at a step prompt is cut).
func (t *tee) PauseFor(reason string) {
	t.mu.Lock()
	w := t.w
	t.mu.Unlock()
	if w != nil {
		w.PauseFor(reason)
	}
}

// Resume restarts the recording's clock.
func (t *tee) Resume() {
	t.mu.Lock()
	w := t.w
	t.mu.Unlock()
	if w != nil {
		w.Resume()
	}
}

// writer returns the recording's Writer (nil before the first frame or
// when not recording).
func (t *tee) writer() *recording.Writer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w
}

// Close ends the recording: later writes are dropped.
func (t *tee) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if t.file == nil {
		return nil
	}
	if err := t.start(); err != nil { // a run that showed nothing still makes a valid file
		t.file.Close()
		return err
	}
	err := t.w.Close()
	if cerr := t.file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close recording %s: %w", t.path, cerr)
	}
	return err
}

// newLine ends the line shown last, if it has text (the old session's
// prompt when a new session starts after a reboot), on the recording and
// the display alike.
func (t *tee) newLine() {
	t.mu.Lock()
	pending := len(t.lastLine) > 0
	t.mu.Unlock()
	if pending {
		t.Write([]byte("\r\n"))
	}
}
