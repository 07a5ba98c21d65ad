package target

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Local is this machine as a Target: the session is a shell on a new pty,
// the side channel a plain `sh -c`.
type Local struct {
	mu       sync.Mutex
	sessions []*localSession
}

// NewLocal returns the Target for this machine.
func NewLocal() *Local { return &Local{} }

// Name is "local": recordings of this machine are named NAME-local-STAMP.
func (l *Local) Name() string { return "local" }

// Shell starts opts.Command (or the user's login shell) on a new pty of
// opts.Cols x opts.Rows. The shell gets its own session and controlling
// terminal, so the user's Ctrl-C reaches runbook, not the shell: the engine
// decides to pass it on through the pty.
func (l *Local) Shell(ctx context.Context, opts ShellOptions) (Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	if opts.Command != "" {
		cmd = exec.Command("/bin/sh", "-c", opts.Command)
	} else {
		sh := os.Getenv("SHELL")
		if sh == "" {
			sh = "/bin/sh"
		}
		cmd = exec.Command(sh, "-l")
	}
	return l.startPTY(cmd, opts)
}

// startPTY starts cmd on a new pty of opts' size, with opts' environment.
func (l *Local) startPTY(cmd *exec.Cmd, opts ShellOptions) (Session, error) {
	cmd.Env = append(os.Environ(), opts.Env...)
	cols, rows := opts.Cols, opts.Rows
	if cols <= 0 {
		cols = 80
	}
	if rows <= 0 {
		rows = 24
	}
	cmd.Env = append(cmd.Env, "TERM="+termName(), fmt.Sprintf("COLUMNS=%d", cols), fmt.Sprintf("LINES=%d", rows))
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		return nil, fmt.Errorf("start local shell on a pty: %w", err)
	}
	s := &localSession{f: f, cmd: cmd, waited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.waited)
	}()
	l.mu.Lock()
	l.sessions = append(l.sessions, s)
	l.mu.Unlock()
	return s, nil
}

// termName is the TERM the session's shell sees: the user's, or xterm when
// there is none (CI, cron), so programs still draw as on a usual terminal.
func termName() string {
	if t := os.Getenv("TERM"); t != "" && t != "dumb" {
		return t
	}
	return "xterm-256color"
}

// Exec runs cmd with `sh -c` on this machine, outside the recorded session.
func (l *Local) Exec(ctx context.Context, cmd string, stdin io.Reader) (ExecResult, error) {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	var out, errb bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = stdin, &out, &errb
	err := c.Run()
	res := ExecResult{Stdout: out.Bytes(), Stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return res, fmt.Errorf("local exec %q: %w", cmd, ctx.Err())
	case errors.As(err, &ee):
		res.Exit = ee.ExitCode()
		if res.Exit < 0 { // killed by a signal: report it as a shell would
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				res.Exit = 128 + int(ws.Signal())
			}
		}
	default:
		return res, fmt.Errorf("local exec %q: %w", cmd, err)
	}
	return res, nil
}

// Close hangs up every session this target started.
func (l *Local) Close() error {
	l.mu.Lock()
	ss := l.sessions
	l.sessions = nil
	l.mu.Unlock()
	var first error
	for _, s := range ss {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// localSession is a shell on a pty of this machine.
type localSession struct {
	f       *os.File
	cmd     *exec.Cmd
	waited  chan struct{}
	waitErr error
	once    sync.Once
}

// Read returns what the shell printed. Linux reports the end of a pty whose
// last writer is gone as EIO; callers see io.EOF.
func (s *localSession) Read(p []byte) (int, error) {
	n, err := s.f.Read(p)
	if err != nil && n == 0 && !errors.Is(err, io.EOF) {
		if errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed) {
			return 0, io.EOF
		}
	}
	if err == nil && n >= floodRead {
		n += s.more(p[n:])
	}
	return n, err
}

// floodRead is a read size that says a program is writing faster than the
// terminal is read: a pty hands over at most a few KB a read.
const floodRead = 2048

// more reads, without waiting, what the pty holds already, into p: under a
// flood of output one Read then returns up to len(p) bytes, and what reads
// it (the secret filter, the recording's writes) runs once per 64 KB
// instead of once per 4 KB. Output that trickles is read as it comes.
//
// The master stays in blocking mode for Read: one syscall for a chunk
// that trickles (creack/pty's ioctls keep it so). For the drain alone it
// is made non-blocking: an empty pty then answers EAGAIN at once, and a
// chunk costs one read, not a TIOCINQ and a read. Write meanwhile may
// meet EAGAIN, and retries.
func (s *localSession) more(p []byte) int {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	rc.Read(func(fd uintptr) bool {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			return true
		}
		if flags&unix.O_NONBLOCK == 0 {
			if _, err := unix.FcntlInt(fd, unix.F_SETFL, flags|unix.O_NONBLOCK); err != nil {
				return true
			}
			defer unix.FcntlInt(fd, unix.F_SETFL, flags)
		}
		for len(p)-n >= floodRead {
			m, err := syscall.Read(int(fd), p[n:])
			if err != nil || m <= 0 {
				break
			}
			n += m
			if m < floodRead {
				break
			}
		}
		return true
	})
	return n
}

// Write types p. It retries where the pty's input queue is full while
// more has the master non-blocking.
func (s *localSession) Write(p []byte) (int, error) {
	done := 0
	for {
		n, err := s.f.Write(p[done:])
		done += max(n, 0)
		if !errors.Is(err, syscall.EAGAIN) {
			return done, err
		}
		time.Sleep(time.Millisecond)
	}
}

// Resize sets the pty's size through SyscallConn, not pty.Setsize: that
// calls Fd, which makes the master blocking again, and a resize in the
// middle of more's drain would leave its next read waiting, the bytes it
// holds unpassed until the program writes again.
func (s *localSession) Resize(cols, rows int) error {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return err
	}
	if cerr := rc.Control(func(fd uintptr) {
		err = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(cols), Row: uint16(rows)})
	}); cerr != nil {
		return cerr
	}
	return err
}

// Close hangs up the pty, as closing a terminal window does: the shell and
// its jobs get SIGHUP. A shell that ignores it is killed after a grace time.
func (s *localSession) Close() error {
	s.once.Do(func() {
		if s.cmd.Process != nil {
			// The shell leads its own process group (pty.Start sets Setsid).
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGHUP)
		}
		s.f.Close()
		select {
		case <-s.waited:
		case <-time.After(2 * time.Second):
			if s.cmd.Process != nil {
				_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			}
			<-s.waited
		}
	})
	return nil
}

var _ BashStarter = (*Local)(nil)

// StartBash starts an interactive bash on a pty with rcfile as its
// startup file, handed over on fd 3.
func (l *Local) StartBash(ctx context.Context, opts ShellOptions, rcfile []byte) (Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		return nil, fmt.Errorf("start local shell: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bash, "--noprofile", "--rcfile", "/dev/fd/3", "-i")
	cmd.ExtraFiles = []*os.File{r}
	s, err := l.startPTY(cmd, opts)
	r.Close()
	if err != nil {
		w.Close()
		return nil, err
	}
	// bash reads the file as it starts; a file larger than the pipe
	// holds is written as it reads.
	go func() {
		w.Write(rcfile)
		w.Close()
	}()
	return s, nil
}
