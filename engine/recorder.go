package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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
	// recErr, once set, is why the recording could not be written (a
	// full disk): nothing more is recorded, the display goes on, and the
	// run stops at its next safe point. recEnd is where the recording
	// ends then.
	recErr *RecordingError
	recEnd time.Duration
	// promptTail holds the last line shown, so a note printed between
	// commands can put the prompt back under itself.
	lastLine []byte
	dispErr  error
	modes    termModes // terminal modes the session changed (termmodes.go)
	// quietNotes, with --quiet (no display), still gets the notes — diffs,
	// what a dry run would run — as plain lines.
	quietNotes io.Writer
}

// maxSuffix bounds the names tried for a recording (NAME-2 ... NAME-999).
const maxSuffix = 999

// createRecording creates the recording file for this run alone, holding
// first (its first frame, recording.AnnouncementFrame) from the moment it
// has its name (recfile.go): a run killed at any moment leaves no empty
// recording. A name the engine picked (pick) is taken only when free, and
// when another run has it already (two runs started in the same second)
// "-2", "-3"... goes before the extension. A path the user named is
// replaced, but only when no other run is recording to it (every run
// holds a lock on its file), and with noClobber only when it does not
// exist. It returns the file, positioned after first, and the path it
// has.
func createRecording(path string, pick, noClobber bool, first []byte) (*os.File, string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", fmt.Errorf("create recording directory %s: %w", dir, err)
	}
	f, tmp, err := newRecordingFile(dir, first)
	if err != nil {
		return nil, "", fmt.Errorf("create recording %s: %w", path, err)
	}
	if !pick {
		g, err := placeRecording(f, tmp, path, first)
		if errors.Is(err, fs.ErrExist) {
			switch {
			case held(path):
				err = errHeld
			case noClobber:
				discardRecordingFile(f, tmp)
				return nil, "", &RecordingExistsError{Path: path}
			default:
				g, err = replaceRecording(f, tmp, path, first)
			}
		}
		if err != nil {
			discardRecordingFile(f, tmp)
			return nil, "", fmt.Errorf("create recording %s: %w", path, err)
		}
		return g, path, nil
	}
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for n := 1; n <= maxSuffix; n++ {
		p := path
		if n > 1 {
			p = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		g, err := placeRecording(f, tmp, p, first)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			discardRecordingFile(f, tmp)
			return nil, "", fmt.Errorf("create recording %s: %w", p, err)
		}
		return g, p, nil
	}
	discardRecordingFile(f, tmp)
	return nil, "", fmt.Errorf("create recording %s: it and %d more names with -N are taken", path, maxSuffix-1)
}

// held reports whether a run holds the lock on the file at path.
func held(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// CreateRecording creates a recording file the way a run does (see
// createRecording): for `runbook rec`, which records without a runbook.
// The file holds the size announcement for opt's size already: start its
// Writer with opt.Announced set.
func CreateRecording(path string, pick bool, opt recording.WriterOptions) (*os.File, string, error) {
	return createRecording(path, pick, false, firstFrame(opt))
}

// firstFrame is the frame a recording holds from its creation: the size
// announcement, stamped now (the Writer restamps it when it starts).
func firstFrame(opt recording.WriterOptions) []byte {
	c := opt.Clock
	if c == nil {
		c = recording.RealClock
	}
	return recording.AnnouncementFrame(opt.Cols, opt.Rows, c.Now())
}

// newTee records to the file f made by createRecording (nil for none),
// which holds the size announcement for wopts' size already.
func newTee(f *os.File, path string, wopts recording.WriterOptions, display io.Writer, tty bool) *tee {
	wopts.Announced = f != nil
	return &tee{file: f, path: path, wopts: wopts, display: display, tty: tty}
}

// Write records p as one frame and shows it. It never fails: when the
// recording cannot be written, the tee notes why (see recordErr) and
// goes on showing the session.
func (t *tee) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return len(p), nil
	}
	t.start()
	if t.w != nil && t.recErr == nil {
		if _, err := t.w.Write(p); err != nil {
			t.fail(err)
		}
	}
	t.show(p)
	t.modes.watch(p)
	if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
		t.lastLine = append(t.lastLine[:0], p[i+1:]...)
	} else if len(t.lastLine) < 4096 {
		t.lastLine = append(t.lastLine, p...)
	}
	return len(p), nil
}

// start makes the recording's Writer, so its clock starts at the first
// thing recorded. Called with t.mu held.
func (t *tee) start() {
	if t.file == nil || t.w != nil || t.recErr != nil {
		return
	}
	w, err := recording.NewWriter(t.file, t.wopts)
	if err != nil {
		t.fail(err)
		return
	}
	t.w = w
}

// fail stops recording because of err. Called with t.mu held.
func (t *tee) fail(err error) {
	if t.recErr != nil {
		return
	}
	if t.w != nil {
		t.recEnd = t.w.End()
	}
	t.recErr = &RecordingError{Path: t.path, Err: err, End: t.recEnd}
}

// recordErr is why the recording stopped, nil while it records.
func (t *tee) recordErr() *RecordingError {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.recErr
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
// or when not recording; where it ends once it could not be written).
func (t *tee) Elapsed() time.Duration {
	t.mu.Lock()
	w, failed, end := t.w, t.recErr != nil, t.recEnd
	t.mu.Unlock()
	if failed {
		return end
	}
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

// Close ends the recording: later writes are dropped. A recording that
// could not hold a single frame is removed (with its index): nothing empty
// is left behind; removed reports it.
func (t *tee) Close() (removed bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.file == nil {
		t.closed = true
		return false, nil
	}
	t.closed = true
	t.start() // a run that showed nothing still makes a valid file
	if t.recErr == nil {
		if err := t.w.Close(); err != nil {
			t.fail(err)
		}
	}
	if t.w == nil || t.w.Frames() == 0 {
		t.file.Close()
		os.Remove(t.path)
		os.Remove(recording.IndexPath(t.path))
		return true, nil
	}
	if cerr := t.file.Close(); cerr != nil {
		return false, fmt.Errorf("close recording %s: %w", t.path, cerr)
	}
	return false, nil
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
