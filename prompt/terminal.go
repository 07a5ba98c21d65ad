package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// ErrNotTerminal is returned by NewTerminal when its input is not a terminal.
var ErrNotTerminal = errors.New("not a terminal")

// Terminal is the user's terminal: the keyboard the prompt reads and the
// display it writes. Reads are cancellable (they poll instead of blocking
// in read(2)), so no goroutine is ever left behind holding a keystroke that
// belongs to whoever reads next — the prompt, the editor or a shell
// hand-over all read through the same Terminal, in turn.
type Terminal struct {
	in  *os.File
	fd  int
	out io.Writer

	mu      sync.Mutex
	orig    *term.State // the state NewTerminal found: what Close restores
	pending []byte      // keys read but not yet consumed
}

// NewTerminal wraps the terminal in (usually stdin) and the display out
// (usually stdout or the same terminal). It remembers the terminal's
// current mode so Close can put it back.
func NewTerminal(in *os.File, out io.Writer) (*Terminal, error) {
	fd := int(in.Fd())
	st, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Name(), ErrNotTerminal)
	}
	return &Terminal{in: in, fd: fd, out: out, orig: st}, nil
}

// File is the terminal's input file (for editors and `stty`).
func (t *Terminal) File() *os.File { return t.in }

// Display is where the prompt writes.
func (t *Terminal) Display() io.Writer { return t.out }

// Size returns the terminal's size in columns and rows.
func (t *Terminal) Size() (cols, rows int, err error) {
	cols, rows, err = term.GetSize(t.fd)
	if err != nil {
		return 0, 0, fmt.Errorf("terminal size of %s: %w", t.in.Name(), err)
	}
	return cols, rows, nil
}

// MakeRaw puts the terminal in raw mode and returns a function that puts
// it back the way it was and shows the cursor. Callers defer the returned
// function, so it also runs when they panic.
func (t *Terminal) MakeRaw() (restore func(), err error) {
	st, err := term.MakeRaw(t.fd)
	if err != nil {
		return func() {}, fmt.Errorf("raw mode on %s: %w", t.in.Name(), err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = term.Restore(t.fd, st)
			io.WriteString(t.out, showCursor)
		})
	}, nil
}

// cooked puts the terminal in the mode NewTerminal found, for a program
// that expects a shell's terminal, and returns how to go back.
func (t *Terminal) cooked() (back func(), err error) {
	cur, err := term.GetState(t.fd)
	if err != nil {
		return func() {}, fmt.Errorf("terminal mode of %s: %w", t.in.Name(), err)
	}
	if err := term.Restore(t.fd, t.orig); err != nil {
		return func() {}, fmt.Errorf("restore terminal %s: %w", t.in.Name(), err)
	}
	return func() { _ = term.Restore(t.fd, cur) }, nil
}

// Close puts the terminal back in the mode NewTerminal found (cooked, for
// a shell user) with the cursor visible. It is safe to call more than once
// and from a deferred function after a panic.
func (t *Terminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.out, showCursor)
	if err := term.Restore(t.fd, t.orig); err != nil {
		return fmt.Errorf("restore terminal %s: %w", t.in.Name(), err)
	}
	return nil
}

const showCursor = "\x1b[?25h"

// pollEvery bounds how long a read waits before it looks at ctx again.
const pollEvery = 50 * time.Millisecond

// Read reads what the keyboard sent (raw bytes; in raw mode, one keystroke
// or escape sequence at a time as the terminal delivers them). It returns
// ctx.Err() when ctx ends first, and io.EOF when the terminal hung up.
func (t *Terminal) Read(ctx context.Context, p []byte) (int, error) {
	t.mu.Lock()
	if len(t.pending) > 0 {
		n := copy(p, t.pending)
		t.pending = t.pending[n:]
		t.mu.Unlock()
		return n, nil
	}
	t.mu.Unlock()
	fds := []unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}}
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		fds[0].Revents = 0
		n, err := unix.Poll(fds, int(pollEvery/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read keyboard %s: %w", t.in.Name(), err)
		}
		if n == 0 {
			continue
		}
		if fds[0].Revents&(unix.POLLIN) == 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			return 0, io.EOF
		}
		m, err := unix.Read(t.fd, p)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			if err == unix.EIO { // the other side of the pty hung up
				return 0, io.EOF
			}
			return 0, fmt.Errorf("read keyboard %s: %w", t.in.Name(), err)
		}
		if m == 0 {
			return 0, io.EOF
		}
		return m, nil
	}
}

// Flush drops what was typed and not read yet: keys typed before a prompt
// shows must not answer it (y Enter answers one prompt, not two).
func (t *Terminal) Flush() {
	t.mu.Lock()
	t.pending = nil
	t.mu.Unlock()
	unix.IoctlSetInt(t.fd, unix.TCFLSH, unix.TCIFLUSH)
}

// Unread gives bytes back to the keyboard: the next Read returns them
// first (typeahead after a hand-over key belongs to whoever reads next).
func (t *Terminal) Unread(b []byte) {
	if len(b) == 0 {
		return
	}
	t.mu.Lock()
	t.pending = append(append([]byte(nil), b...), t.pending...)
	t.mu.Unlock()
}

// crlf writes s to the display with every "\n" as "\r\n", which raw mode
// (no output processing) needs and cooked mode does not mind.
func (t *Terminal) crlf(s string) {
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && (i == 0 || s[i-1] != '\r') {
			b = append(b, '\r')
		}
		b = append(b, s[i])
	}
	t.out.Write(b)
}
