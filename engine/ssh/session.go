package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/engine/target"
)

// Shell starts the session: a pty of the given size, and in it
// opts.Command (or the login shell), under `sudo -i` when Options.Sudo.
func (t *Target) Shell(ctx context.Context, opts target.ShellOptions) (target.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := t.lostError(); err != nil {
		return nil, err
	}
	sess, err := t.newSession(ctx, "open a session")
	if err != nil {
		return nil, err
	}
	cols, rows := opts.Cols, opts.Rows
	if cols <= 0 {
		cols = 80
	}
	if rows <= 0 {
		rows = 24
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if err := t.await(ctx, sess, "request a pty", func() error { return sess.RequestPty(termName(), rows, cols, modes) }); err != nil {
		sess.Close()
		return nil, err
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return nil, t.failed("open the session's input", err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		sess.Close()
		return nil, t.failed("open the session's output", err)
	}
	s := &session{t: t, sess: sess, in: stdin, out: stdout, waited: make(chan struct{})}

	nonce := newNonce()
	line := shellCommand(opts, t.sudo(), nonce)
	err = t.await(ctx, sess, "start the shell", func() error {
		if line == "" {
			return sess.Shell()
		}
		return sess.Start(line)
	})
	if err != nil {
		sess.Close()
		return nil, err
	}
	go func() { s.waitErr = sess.Wait(); close(s.waited) }()
	if t.sudo() {
		if err := s.becomeRoot(ctx, nonce); err != nil {
			s.Close()
			return nil, err
		}
	}
	t.mu.Lock()
	t.sessions = append(t.sessions, s)
	t.mu.Unlock()
	return s, nil
}

// shellCommand is the session's command line, run by the login user's
// shell on the host; "" asks for the login shell itself.
func shellCommand(opts target.ShellOptions, sudo bool, nonce string) string {
	var env string
	if len(opts.Env) > 0 {
		q := make([]string, len(opts.Env))
		for i, e := range opts.Env {
			q[i] = shellquote.Quote(e)
		}
		env = "env " + strings.Join(q, " ") + " "
	}
	run := `"${SHELL:-/bin/sh}" -l`
	if opts.Command != "" {
		run = "sh -c " + shellquote.Quote(opts.Command)
	}
	if !sudo {
		switch {
		case env == "" && opts.Command == "":
			return ""
		case env == "":
			return opts.Command
		}
		return "exec " + env + run
	}
	// Under sudo -i the command goes through root's login shell, which
	// expands any $ (sudo escapes everything else). So the script travels
	// as printf octal escapes, free of $, and sh evals it. It first prints
	// the ready marker: what came before (sudo's prompt) is not session
	// output.
	script := "printf '%s\\n' " + readyMarker(nonce) + "; exec " + env + run
	var oct strings.Builder
	for _, b := range []byte(script) {
		fmt.Fprintf(&oct, "\\%03o", b)
	}
	inner := "eval \"`printf '" + oct.String() + "'`\""
	return "exec sudo -p " + shellquote.Quote(sudoPrompt(nonce)) + " -i -- sh -c " + shellquote.Quote(inner)
}

func readyMarker(nonce string) string { return "runbook-ready-" + nonce }
func sudoPrompt(nonce string) string  { return "[sudo] password for %p (runbook-" + nonce + "): " }

// sudoAsked is what of the prompt shows in the output (%p expanded).
func sudoAsked(nonce string) string { return "(runbook-" + nonce + "): " }

// becomeRoot answers sudo's password prompt and waits for the ready
// marker. Nothing it reads is passed on: the prompt and what was typed
// never reach the recording.
func (s *session) becomeRoot(ctx context.Context, nonce string) error {
	type result struct {
		rest []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var buf []byte
		answered := 0
		chunk := make([]byte, 4096)
		marker := []byte(readyMarker(nonce))
		asked := []byte(sudoAsked(nonce))
		for {
			if i := bytes.Index(buf, marker); i >= 0 {
				rest := buf[i+len(marker):]
				rest = bytes.TrimPrefix(rest, []byte("\r"))
				rest = bytes.TrimPrefix(rest, []byte("\n"))
				done <- result{rest: rest}
				return
			}
			if n := bytes.Count(buf, asked); n > answered {
				if answered > 0 || bytes.Contains(buf, []byte("Sorry, try again")) {
					done <- result{err: &HostError{Host: s.t.name, Op: "sudo -i", Err: errors.New("sudo refused the password")}}
					return
				}
				pw, err := s.t.sudoPassword(ctx)
				if err != nil {
					done <- result{err: &HostError{Host: s.t.name, Op: "sudo -i", Err: err}}
					return
				}
				answered = n
				if _, err := io.WriteString(s.in, pw+"\n"); err != nil {
					done <- result{err: s.t.failed("answer sudo", err)}
					return
				}
			}
			n, err := s.out.Read(chunk)
			buf = append(buf, chunk[:n]...)
			if err != nil {
				if lerr := s.t.waitLost(time.Second); lerr != nil {
					done <- result{err: lerr}
					return
				}
				// sudo ended: not allowed, no such command... Show what it
				// said, less the prompt.
				msg := strings.TrimSpace(strings.ReplaceAll(string(buf), "\r", ""))
				msg = strings.ReplaceAll(msg, sudoAsked(nonce), ": ")
				if msg == "" {
					msg = "sudo ended before the shell started"
				}
				done <- result{err: &HostError{Host: s.t.name, Op: "sudo -i", Err: errors.New(msg)}}
				return
			}
		}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return r.err
		}
		s.pending = r.rest
		return nil
	case <-ctx.Done():
		s.sess.Close()
		return fmt.Errorf("ssh %s: sudo -i: %w", s.t.name, ctx.Err())
	}
}

// sudoPassword is asked once per Target and kept in memory only.
func (t *Target) sudoPassword(ctx context.Context) (string, error) {
	t.sudoMu.Lock()
	defer t.sudoMu.Unlock()
	if t.sudoPW != nil {
		return *t.sudoPW, nil
	}
	var pw string
	var err error
	switch {
	case t.o.SudoPassword != nil:
		pw, err = t.o.SudoPassword(ctx)
	case t.o.Prompt != nil:
		pw, err = t.o.Prompt(ctx, fmt.Sprintf("[sudo] password for %s@%s: ", t.s.user, t.name), false)
	default:
		err = errors.New("sudo asks for a password and there is no terminal to ask: give it as a secret parameter")
	}
	if err != nil {
		return "", err
	}
	t.sudoPW = &pw
	return pw, nil
}

// failed wraps an error of the connection: lost, or another failure.
func (t *Target) failed(what string, err error) error {
	if lerr := t.waitLost(500 * time.Millisecond); lerr != nil {
		return lerr
	}
	return fmt.Errorf("ssh %s: %s: %w", t.name, what, err)
}

// session is the remote pty.
type session struct {
	t       *Target
	sess    *ssh.Session
	in      io.WriteCloser
	out     io.Reader
	pending []byte // output read past sudo's ready marker

	waited  chan struct{}
	waitErr error
	once    sync.Once
	closed  atomic.Bool // Close hung up: the end is ours, not the network's
}

// Read returns what the remote terminal printed; io.EOF when the shell
// ended, a *target.LostError when the connection broke.
func (s *session) Read(p []byte) (int, error) {
	if len(s.pending) > 0 {
		n := copy(p, s.pending)
		s.pending = s.pending[n:]
		return n, nil
	}
	n, err := s.out.Read(p)
	if err == nil || n > 0 {
		return n, nil
	}
	// The channel ended: an exit status means the shell exited; none
	// means the connection went away under it.
	var waitErr error
	select {
	case <-s.waited:
		waitErr = s.waitErr
	case <-time.After(5 * time.Second):
	}
	if lerr := s.t.lostError(); lerr != nil {
		return 0, lerr
	}
	// No exit status, or a shell killed by a signal (the server's side
	// going down kills it, and may say so before the connection drops):
	// wait a moment for the connection's end.
	// A hang-up of our own (Close) ends the shell with SIGHUP or no
	// status at all: that is no sign of a connection going away.
	var missing *ssh.ExitMissingError
	var killed *ssh.ExitError
	if !s.closed.Load() && (errors.As(waitErr, &missing) || errors.As(waitErr, &killed) && killed.Signal() != "") {
		if lerr := s.t.waitLost(2 * time.Second); lerr != nil {
			return 0, lerr
		}
	}
	return 0, io.EOF
}

// Write types into the remote terminal.
func (s *session) Write(p []byte) (int, error) {
	n, err := s.in.Write(p)
	if err != nil {
		if lerr := s.t.waitLost(time.Second); lerr != nil {
			return n, lerr
		}
	}
	return n, err
}

// Resize sends window-change.
func (s *session) Resize(cols, rows int) error {
	if err := s.sess.WindowChange(rows, cols); err != nil {
		return s.t.failed("window-change", err)
	}
	return nil
}

// Close hangs up: sshd sends the shell SIGHUP.
func (s *session) Close() error {
	var err error
	s.closed.Store(true)
	s.once.Do(func() {
		err = s.sess.Close()
		if errors.Is(err, io.EOF) {
			err = nil
		}
	})
	return err
}

func termName() string {
	if t := os.Getenv("TERM"); t != "" && t != "dumb" {
		return t
	}
	return "xterm-256color"
}

func newNonce() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newSession opens a session channel, giving up when ctx ends (a host
// that never confirms the channel must not hang the run).
func (t *Target) newSession(ctx context.Context, what string) (*ssh.Session, error) {
	type opened struct {
		s   *ssh.Session
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		s, err := t.client.NewSession()
		ch <- opened{s, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, t.failed(what, o.err)
		}
		return o.s, nil
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.s != nil {
				o.s.Close()
			}
		}()
		return nil, fmt.Errorf("ssh %s: %s: %w", t.name, what, ctx.Err())
	}
}

// await runs f, a request that waits for the host's reply, until ctx
// ends; then it closes sess and returns ctx's error.
func (t *Target) await(ctx context.Context, sess *ssh.Session, what string, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			return t.failed(what, err)
		}
		return nil
	case <-ctx.Done():
		sess.Close()
		return fmt.Errorf("ssh %s: %s: %w", t.name, what, ctx.Err())
	}
}
