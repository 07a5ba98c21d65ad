// Package handrec records a session a person types by hand (`runbook
// rec`): a live shell on a pty of this machine or of a host over SSH,
// shown as it is and recorded as ttyrec with an index beside it, with a
// prefix key to pause, mark and stop. The shell is bash with the engine's
// startup file (engine/shell, Describe), so the index knows each command
// line, its working directory, exit status, start and end, and the files
// an editor, sed -i, tee or a redirection changed (read through the side
// channel, as the stdlib reads). Paused time is cut out of the recording.
//
// It uses the engine's pieces (target, shell driver, recording files) and
// never the Lua side. Putting the user's terminal in raw mode is the
// caller's business: this package only reads keys and writes the display.
package handrec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"github.com/runbook-dev/runbook/recording"
)

// DefaultPrefix is the prefix key: Ctrl-\.
const DefaultPrefix = 0x1c

// Keyboard is the user's keyboard: Read returns what was typed, raw, and
// ctx.Err() when ctx ends first.
type Keyboard interface {
	Read(ctx context.Context, p []byte) (int, error)
}

// Options say what to record and how.
type Options struct {
	Target target.Target
	// Path is the recording to write; with Pick, a name chosen here
	// (-2, -3... added when taken) and never an existing file.
	Path string
	Pick bool
	// Overwrite allows Path to exist already.
	Overwrite bool
	Cols      int
	Rows      int
	IdleLimit time.Duration
	Title     string
	// Command runs instead of bash with the engine's startup file: the
	// session is recorded, but the index has no commands.
	Command string
	// Prefix is the prefix key (0: DefaultPrefix).
	Prefix byte
	Keys   Keyboard
	// Display is the user's terminal (nil: nothing shown).
	Display io.Writer
	// WindowSize, when set, is the user's window size, followed on SIGWINCH.
	WindowSize func() (cols, rows int, err error)
	Clock      recording.Clock
	Nonce      string
	// Editors are more editor names (the user's $EDITOR).
	Editors []string
}

// Result says what was recorded.
type Result struct {
	Path, Index string
	Commands    int
	Edits       int
	Markers     int
	Paused      time.Duration
	// Stopped: the user stopped recording (q) and the shell went on.
	Stopped bool
	// Ended says how the session ended ("the shell exited", ...).
	Ended string
	// NoCommands: the shell printed no marks (Command was set).
	NoCommands bool
}

// ExistsError refuses to write over a recording without Overwrite.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s exists: give --overwrite to record over it, or another name", e.Path)
}

// Record runs the session until its shell ends (or ctx ends), recording
// it. The recording and its index are valid whatever ends it.
func Record(ctx context.Context, o Options) (*Result, error) {
	if o.Prefix == 0 {
		o.Prefix = DefaultPrefix
	}
	if o.Cols <= 0 {
		o.Cols = 80
	}
	if o.Rows <= 0 {
		o.Rows = 24
	}
	if !o.Pick && !o.Overwrite {
		if _, err := os.Stat(o.Path); err == nil {
			return nil, &ExistsError{Path: o.Path}
		}
	}
	wopts := recording.WriterOptions{Cols: o.Cols, Rows: o.Rows, Clock: o.Clock, IdleLimit: o.IdleLimit}
	f, path, err := engine.CreateRecording(o.Path, o.Pick, wopts)
	if err != nil {
		return nil, err
	}
	r := &recorder{o: o, path: path, res: &Result{Path: path, Index: recording.IndexPath(path)}}
	wopts.Announced = true // CreateRecording wrote it
	r.tape = newTape(f, wopts, o.Display)
	r.ixFile = &recording.IndexFile{Path: r.res.Index}
	r.ix = &recording.Index{
		Version:   recording.IndexVersion,
		Term:      recording.Term{Cols: o.Cols, Rows: o.Rows},
		IdleLimit: recording.SecondsOf(o.IdleLimit),
		Host:      o.Target.Name(),
		Hand:      &recording.Hand{Title: o.Title, Shell: o.Command, Marks: o.Command == ""},
	}
	if o.Command != "" {
		r.ix.Hand.Note = "no commands in the index: the shell (" + o.Command + ") printed no marks"
		r.res.NoCommands = true
	}
	if err := r.writeIndex(false); err != nil {
		r.tape.Close()
		os.Remove(path)
		return nil, fmt.Errorf("cannot record to %s: %w", path, err)
	}
	err = r.run(ctx)
	return r.res, err
}

// recorder is one `runbook rec` session.
type recorder struct {
	o      Options
	path   string
	tape   *tape
	ix     *recording.Index
	ixFile *recording.IndexFile
	res    *Result
	cmds   *commands // nil without marks

	mu      sync.Mutex
	markers []recording.Marker
	ixMu    sync.Mutex
}

// session is what the keyboard types into and the recorder waits on.
type session struct {
	w      io.Writer
	resize func(cols, rows int) error
	ended  <-chan struct{}
	err    func() error
	close  func() error
}

func (r *recorder) run(ctx context.Context) (err error) {
	var sess *session
	var cleanup []func()
	defer func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}()
	if r.o.Command != "" {
		if sess, err = r.commandSession(ctx); err != nil {
			return err
		}
	} else {
		s, rm, serr := r.shellSession(ctx)
		if rm != nil {
			cleanup = append(cleanup, rm)
		}
		if serr != nil {
			return serr
		}
		sess = s
	}
	stopWin := r.followWindow(sess)
	defer stopWin()

	keysErr := r.keys(ctx, sess)
	return r.end(ctx, sess, keysErr)
}

// commandSession starts r.o.Command on the target in place of a shell,
// copying its output to the tape.
func (r *recorder) commandSession(ctx context.Context) (*session, error) {
	t := r.o.Target
	s, serr := t.Shell(ctx, target.ShellOptions{Cols: r.o.Cols, Rows: r.o.Rows, Command: r.o.Command})
	if serr != nil {
		return nil, r.fail(ctx, fmt.Errorf("%s: start %s: %w", t.Name(), r.o.Command, serr))
	}
	done := make(chan struct{})
	var readErr error
	go func() {
		defer close(done)
		_, readErr = io.Copy(r.tape, s)
	}()
	return &session{w: s, resize: s.Resize, ended: done, err: func() error { <-done; return readErr }, close: func() error {
		err := s.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return err
	}}, nil
}

// shellSession starts the marked shell whose commands are indexed. rm,
// when not nil, removes its helper directory from the target; the caller
// runs it last, whether or not the shell started.
func (r *recorder) shellSession(ctx context.Context) (sess *session, rm func(), err error) {
	t := r.o.Target
	dir, home, serr := r.prepare(ctx)
	if serr != nil {
		return nil, nil, r.fail(ctx, serr)
	}
	rm = func() { t.Exec(context.WithoutCancel(ctx), "rm -rf -- "+shellquote.Quote(dir), nil) }
	r.cmds = newCommands(t, dir, home, r.o.Editors, func() { r.writeIndex(false) })
	events := make(chan markEvent, 4096)
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		for ev := range events {
			r.cmds.handle(context.WithoutCancel(ctx), ev)
		}
	}()
	d, serr := shell.Start(ctx, t, shell.Options{
		Cols: r.o.Cols, Rows: r.o.Rows, Nonce: r.o.Nonce,
		Describe: &shell.Describe{Dir: dir, Editors: r.o.Editors},
		OnMark: func(m shell.Mark) {
			switch m.Kind {
			case shell.MarkDir, shell.MarkCommand, shell.MarkAsk, shell.MarkStart, shell.MarkEnd:
				events <- markEvent{m: m, at: r.tape.Elapsed(), paused: r.tape.isPaused()}
			}
		},
	}, r.tape)
	if serr != nil {
		close(events)
		return nil, rm, r.fail(ctx, serr)
	}
	var once sync.Once
	return &session{w: d.Keyboard(), resize: d.Resize, ended: d.Ended(), err: d.Err, close: func() error {
		err := d.Close()
		once.Do(func() { close(events) })
		<-handled
		return err
	}}, rm, nil
}

// end hangs up sess, closes the recording, says in the index why it
// ended, and returns the run's error (keysErr is the keyboard's).
func (r *recorder) end(ctx context.Context, sess *session, keysErr error) error {
	// The end: hang up the shell, then close the recording, so the last
	// bytes the shell printed are in it.
	sess.close()
	r.tape.setStatus("", 0)
	// Leave the user's terminal as it was (the shell may have left
	// bracketed paste on, or colours).
	r.tape.show("\x1b[0m\x1b[?2004l")
	at := r.tape.Elapsed()
	if r.cmds != nil {
		r.cmds.end(at)
	}
	closeErr := r.tape.Close()
	switch {
	case ctx.Err() != nil:
		r.res.Ended = "interrupted"
		r.ix.Stopped = &recording.Stopped{At: recording.SecondsOf(at), Reason: "interrupted"}
	case keysErr != nil:
		r.res.Ended = "the keyboard: " + keysErr.Error()
		r.ix.Stopped = &recording.Stopped{At: recording.SecondsOf(at), Reason: r.res.Ended}
	default:
		r.res.Ended = "the shell exited"
		if e := sess.err(); e != nil && !errors.Is(e, shell.ErrEnded) && !errors.Is(e, io.EOF) {
			r.res.Ended = "the session ended: " + e.Error()
			r.ix.Stopped = &recording.Stopped{At: recording.SecondsOf(at), Reason: r.res.Ended}
		}
	}
	if werr := r.writeIndex(true); werr != nil && closeErr == nil {
		closeErr = werr
	}
	switch {
	case ctx.Err() != nil:
		return &engine.InterruptedError{Recording: r.path, Why: causeOf(ctx)}
	case closeErr != nil:
		return fmt.Errorf("record %s: %w", r.path, closeErr)
	case keysErr != nil:
		return keysErr
	}
	return nil
}

func causeOf(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c.Error()
	}
	return ""
}

// prepare makes the private directory the described shell waits in, and
// reads what runbook draft makes parameters of.
func (r *recorder) prepare(ctx context.Context) (dir, home string, err error) {
	t := r.o.Target
	res, err := t.Exec(ctx, `umask 077; d=$(mktemp -d "${TMPDIR:-/tmp}/runbook-rec.XXXXXXXX") && mkfifo "$d/tick" && printf '%s\n%s\n' "$d" "$HOME" && (hostname 2>/dev/null || uname -n) && ls /sys/class/net 2>/dev/null`, nil)
	if err != nil {
		return "", "", fmt.Errorf("%s: prepare the session: %w", t.Name(), err)
	}
	lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
	if res.Exit != 0 || len(lines) < 2 || !strings.HasPrefix(lines[0], "/") {
		return "", "", fmt.Errorf("%s: prepare the session: exit %d: %s", t.Name(), res.Exit, strings.TrimSpace(string(res.Stderr)))
	}
	dir, home = lines[0], lines[1]
	h := r.ix.Hand
	h.Home = home
	if len(lines) > 2 {
		h.Hostname = strings.TrimSpace(lines[2])
	}
	for _, l := range lines[min(3, len(lines)):] {
		if l = strings.TrimSpace(l); l != "" && l != "lo" {
			h.Interfaces = append(h.Interfaces, l)
		}
	}
	return dir, home, nil
}

// fail ends a session that could not start: the recording (empty) and
// its index are removed.
func (r *recorder) fail(ctx context.Context, err error) error {
	r.tape.Close()
	os.Remove(r.path)
	os.Remove(r.res.Index)
	r.res.Path, r.res.Index = "", ""
	if ctx.Err() != nil {
		return &engine.InterruptedError{Why: causeOf(ctx)}
	}
	return err
}

// writeIndex writes the index as it is now; final writes it for good.
func (r *recorder) writeIndex(final bool) error {
	r.ixMu.Lock()
	defer r.ixMu.Unlock()
	ix := r.ix
	if w := r.tape.writer(); w != nil {
		ix.StartedAt = w.StartedAt()
		ix.Pauses = w.Pauses()
	}
	r.mu.Lock()
	ix.Markers = append([]recording.Marker(nil), r.markers...)
	r.mu.Unlock()
	sort.SliceStable(ix.Markers, func(i, j int) bool { return ix.Markers[i].At < ix.Markers[j].At })
	if r.cmds != nil {
		var edits []recording.Edit
		ix.Hand.Commands, edits = r.cmds.snapshot()
		// What the edited files held goes to a side file only their
		// owner reads, never into the published index.
		ix.Hand.Edits = recording.WithoutContents(edits)
		if len(edits) > 0 {
			if err := recording.WriteEdits(recording.EditsPath(r.path), edits); err != nil {
				return err
			}
		}
	}
	r.res.Commands, r.res.Edits = len(ix.Hand.Commands), len(ix.Hand.Edits)
	r.res.Markers = 0
	for _, m := range ix.Markers {
		if !IsResize(m.Label) {
			r.res.Markers++
		}
	}
	r.res.Paused = 0
	for _, p := range ix.Pauses {
		if p.Reason == "paused" {
			r.res.Paused += p.Cut.Duration()
		}
	}
	if final {
		return r.ixFile.Final(ix)
	}
	return r.ixFile.Update(ix)
}

// IsResize reports whether a marker label is a window resize
// ("resize COLSxROWS"), not one the user added.
func IsResize(label string) bool {
	var c, r int
	n, err := fmt.Sscanf(label, "resize %dx%d", &c, &r)
	return err == nil && n == 2 && label == fmt.Sprintf("resize %dx%d", c, r)
}

// addMarker puts a marker at the recording's position now.
func (r *recorder) addMarker(label string) {
	r.mu.Lock()
	r.markers = append(r.markers, recording.Marker{At: recording.SecondsOf(r.tape.Elapsed()), Label: label})
	r.mu.Unlock()
	r.writeIndex(false)
}

// followWindow passes the user's window size on to the session.
func (r *recorder) followWindow(sess *session) func() {
	if r.o.WindowSize == nil {
		return func() {}
	}
	lastC, lastR := r.o.Cols, r.o.Rows
	return engine.OnWindowChange(func() {
		c, rows, err := r.o.WindowSize()
		if err != nil || c <= 0 || rows <= 0 || (c == lastC && rows == lastR) {
			return
		}
		if sess.resize(c, rows) != nil {
			return
		}
		lastC, lastR = c, rows
		r.tape.resize(rows)
		if !r.tape.isStopped() {
			r.addMarker(fmt.Sprintf("resize %dx%d", c, rows))
		}
	})
}

// FileName is the default recording name: recordings/rec-HOST-STAMP.ttyrec.
func FileName(dir, host string, now time.Time) string {
	safe := strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			return c
		}
		return '_'
	}, host)
	return filepath.Join(dir, fmt.Sprintf("rec-%s-%s.ttyrec", safe, now.UTC().Format("20060102T150405Z")))
}
