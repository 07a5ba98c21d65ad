package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"io"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/engine/target"
)

// Exec runs cmd as `sh -c` would, never shown or recorded, on the same
// connection: a command without input in the side shell kept running for
// the run (sideshell.go), one with input (or while the side shell is busy)
// in an exec channel of its own. Under Options.Sudo it runs under
// `sudo -S`, the password answered on its stdin and nothing of that
// exchange returned.
func (t *Target) Exec(ctx context.Context, cmd string, stdin io.Reader) (target.ExecResult, error) {
	var res target.ExecResult
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if err := t.lostError(); err != nil {
		return res, err
	}
	if stdin == nil {
		if res, ok, err := t.sideExec(ctx, cmd); ok {
			return res, err
		}
	}
	sess, err := t.newSession(ctx, "open a side channel")
	if err != nil {
		return res, err
	}
	defer sess.Close()
	var out, errb bytes.Buffer
	sess.Stdout = &out
	var sudo *sudoStderr
	line := "sh -c " + shellquote.Quote(cmd)
	if t.sudo() {
		nonce := newNonce()
		in, err := sess.StdinPipe()
		if err != nil {
			return res, t.failed("open a side channel's input", err)
		}
		sudo = &sudoStderr{t: t, ctx: ctx, nonce: nonce, in: in, dst: &errb, stdin: stdin, ready: make(chan struct{})}
		sess.Stderr = sudo
		line = "sudo -S -p " + shellquote.Quote(sudoPrompt(nonce)) + " -H -- sh -c " +
			shellquote.Quote("printf '%s\\n' "+readyMarker(nonce)+` >&2; exec sh -c "$1"`) + " sh " + shellquote.Quote(cmd)
	} else {
		sess.Stderr = &errb
		sess.Stdin = stdin
	}
	if err := t.await(ctx, sess, "start "+quoteShort(cmd), func() error { return sess.Start(line) }); err != nil {
		return res, err
	}
	waited := make(chan error, 1)
	go func() { waited <- sess.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		sess.Signal(ssh.SIGKILL)
		sess.Close()
		return res, fmt.Errorf("ssh %s: %s: %w", t.name, quoteShort(cmd), ctx.Err())
	}
	res.Stdout, res.Stderr = out.Bytes(), errb.Bytes()
	if sudo != nil {
		if serr := sudo.failure(); serr != nil {
			return res, serr
		}
		res.Stderr = sudo.dst.Bytes()
	}
	var ee *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Exit = ee.ExitStatus()
		if ee.Signal() != "" {
			res.Exit = 128 + signalNumber(ee.Signal())
		}
	case errors.As(err, &missing):
		if lerr := t.waitLost(connLostWait); lerr != nil {
			return res, lerr
		}
		return res, fmt.Errorf("ssh %s: %s: ended without an exit status", t.name, quoteShort(cmd))
	default:
		return res, t.failed(quoteShort(cmd), err)
	}
	return res, nil
}

// sudoStderr watches sudo -S's stderr: it answers the password prompt on
// stdin, drops everything up to the ready marker, then starts copying the
// caller's stdin and passes the rest of stderr on.
type sudoStderr struct {
	t     *Target
	ctx   context.Context
	nonce string
	in    io.WriteCloser
	dst   *bytes.Buffer
	stdin io.Reader

	mu       sync.Mutex
	buf      []byte
	answered int
	started  bool
	err      error
	ready    chan struct{}
}

func (s *sudoStderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return s.dst.Write(p)
	}
	s.buf = append(s.buf, p...)
	if i := bytes.Index(s.buf, []byte(readyMarker(s.nonce)+"\n")); i >= 0 {
		s.dst.Write(s.buf[i+len(readyMarker(s.nonce))+1:])
		s.buf = nil
		s.started = true
		close(s.ready)
		go func() {
			if s.stdin != nil {
				io.Copy(s.in, s.stdin)
			}
			s.in.Close()
		}()
		return len(p), nil
	}
	if n := bytes.Count(s.buf, []byte(sudoAsked(s.nonce))); n > s.answered {
		if s.answered > 0 {
			s.err = &HostError{Host: s.t.name, Op: "sudo", Err: errors.New("sudo refused the password")}
			s.in.Close()
			return len(p), nil
		}
		s.answered = n
		pw, err := s.t.sudoPassword(s.ctx)
		if err != nil {
			s.err = &HostError{Host: s.t.name, Op: "sudo", Err: err}
			s.in.Close()
			return len(p), nil
		}
		// Written from another goroutine: the channel's window must not
		// block the reader that called us.
		go io.WriteString(s.in, pw+"\n")
	}
	return len(p), nil
}

// failure is why sudo did not run the command, if it did not.
func (s *sudoStderr) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if !s.started {
		return s.t.sudoEnded(s.buf, s.nonce)
	}
	return nil
}

// sudoEnded is why sudo ended before running the command, from what it
// wrote to stderr (its prompts, with the nonce, shown as ": ").
func (t *Target) sudoEnded(stderr []byte, nonce string) error {
	msg := string(bytes.TrimSpace(bytes.ReplaceAll(stderr, []byte(sudoAsked(nonce)), []byte(": "))))
	if msg == "" {
		msg = "sudo ended before running the command"
	}
	return &HostError{Host: t.name, Op: "sudo", Err: errors.New(msg)}
}

func quoteShort(cmd string) string {
	if len(cmd) > 60 {
		cmd = cmd[:57] + "..."
	}
	return fmt.Sprintf("%q", cmd)
}

// signalNumber maps SSH signal names to Linux numbers, for 128+n.
func signalNumber(name string) int {
	switch ssh.Signal(name) {
	case ssh.SIGHUP:
		return 1
	case ssh.SIGINT:
		return 2
	case ssh.SIGQUIT:
		return 3
	case ssh.SIGILL:
		return 4
	case ssh.SIGABRT:
		return 6
	case ssh.SIGFPE:
		return 8
	case ssh.SIGKILL:
		return 9
	case ssh.SIGUSR1:
		return 10
	case ssh.SIGSEGV:
		return 11
	case ssh.SIGUSR2:
		return 12
	case ssh.SIGPIPE:
		return 13
	case ssh.SIGALRM:
		return 14
	case ssh.SIGTERM:
		return 15
	}
	return 0
}
