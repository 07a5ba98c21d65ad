package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/shellquote"
)

// sideScript is the shell the side channel keeps running: it reads its
// mark (a line), then commands, each ended by a line holding only the
// mark, and runs each with `sh -c` and no input (a process of its own: $$
// is the command's, and nothing of the loop's leaks into it). After
// each it writes a newline, the mark and the exit status on stdout, and a
// newline and the mark on stderr: what comes before them is the command's
// output. The mark comes on stdin so that no process list shows it.
const sideScript = `IFS= read -r _rb_m || exit 0
while :; do
	_rb_c=
	while :; do
		IFS= read -r _rb_l || exit 0
		[ "$_rb_l" = "$_rb_m" ] && break
		_rb_c="$_rb_c$_rb_l
"
	done
	sh -c "$_rb_c" </dev/null
	printf '\n%s %d\n' "$_rb_m" $?
	printf '\n%s\n' "$_rb_m" >&2
done`

// connLostWait is how long a command cut short waits for the connection's
// reader to notice that the connection is gone, before taking it for up.
const connLostWait = 2 * time.Second

// sideShell is one sh (sideScript) kept running in an exec channel of the
// connection for the side channel's commands: one channel, one sshd
// session, one login shell and, under sudo, one sudo for a host's whole
// run, instead of one of each per command. Commands with input still get
// a channel of their own (Exec).
type sideShell struct {
	client *ssh.Client // the connection it runs on
	sess   *ssh.Session
	in     io.WriteCloser
	out    io.Reader
	mark   string
	pend   []byte        // read from stdout, not yet returned
	chunk  []byte        // stdout's read buffer, kept for the run
	errs   chan []byte   // each command's stderr, in order
	quit   chan struct{} // closed when given up: the stderr reader stops
	broken bool          // cancelled, or ended: start another
}

// giveUp ends the shell: its channel closed, its readers let go.
func (s *sideShell) giveUp() {
	if !s.broken {
		s.broken = true
		close(s.quit)
	}
	s.sess.Close()
}

// sideExec runs cmd in the side shell. ok is false when the shell is busy
// with another command (the caller then opens a channel of its own).
func (t *Target) sideExec(ctx context.Context, cmd string) (res target.ExecResult, ok bool, err error) {
	if !t.sideMu.TryLock() {
		return res, false, nil
	}
	defer t.sideMu.Unlock()
	t.lostMu.Lock()
	client := t.client
	t.lostMu.Unlock()
	s := t.side
	if s != nil && (s.broken || s.client != client) {
		s.giveUp()
		s, t.side = nil, nil
	}
	if s == nil {
		if s, err = t.startSideShell(ctx, client); err != nil {
			return res, true, err
		}
		t.side = s
	}
	res, err = s.run(ctx, t, cmd)
	return res, true, err
}

// startSideShell opens the channel and starts sideScript in it, under
// sudo when the target works as root through sudo.
func (t *Target) startSideShell(ctx context.Context, client *ssh.Client) (*sideShell, error) {
	sess, err := t.newSession(ctx, "open a side channel")
	if err != nil {
		return nil, err
	}
	s := &sideShell{client: client, sess: sess, mark: "runbook-side-" + newNonce(), errs: make(chan []byte, 1), quit: make(chan struct{})}
	fail := func(err error) (*sideShell, error) {
		sess.Close()
		return nil, err
	}
	if s.in, err = sess.StdinPipe(); err != nil {
		return fail(t.failed("open a side channel's input", err))
	}
	if s.out, err = sess.StdoutPipe(); err != nil {
		return fail(t.failed("open a side channel's output", err))
	}
	stderr, err := sess.StderrPipe()
	if err != nil {
		return fail(t.failed("open a side channel's output", err))
	}
	line := "sh -c " + shellquote.Quote(sideScript)
	nonce := newNonce()
	if t.sudo() {
		line = "sudo -S -p " + shellquote.Quote(sudoPrompt(nonce)) + " -H -- sh -c " +
			shellquote.Quote("printf '%s\\n' "+readyMarker(nonce)+` >&2; exec sh -c "$1"`) + " sh " + shellquote.Quote(sideScript)
	}
	if err := t.await(ctx, sess, "start the side channel's shell", func() error { return sess.Start(line) }); err != nil {
		return nil, err
	}
	var rest []byte
	if t.sudo() {
		stop := context.AfterFunc(ctx, func() { sess.Close() })
		rest, err = t.sideSudo(ctx, s.in, stderr, nonce)
		stop()
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return fail(err)
		}
	}
	go s.pumpStderr(stderr, rest)
	if _, err := io.WriteString(s.in, s.mark+"\n"); err != nil {
		return fail(t.failed("start the side channel's shell", err))
	}
	return s, nil
}

// sideSudo answers sudo's password prompt on the side shell's stderr and
// waits for the ready marker, returning what came after it. Nothing read
// before the marker is passed on.
func (t *Target) sideSudo(ctx context.Context, in io.Writer, stderr io.Reader, nonce string) ([]byte, error) {
	var buf []byte
	chunk := make([]byte, 4096)
	answered := 0
	ready := []byte(readyMarker(nonce) + "\n")
	for {
		if i := bytes.Index(buf, ready); i >= 0 {
			return buf[i+len(ready):], nil
		}
		if n := bytes.Count(buf, []byte(sudoAsked(nonce))); n > answered {
			if answered > 0 {
				return nil, &HostError{Host: t.name, Op: "sudo", Err: errors.New("sudo refused the password")}
			}
			answered = n
			pw, err := t.sudoPassword(ctx)
			if err != nil {
				return nil, &HostError{Host: t.name, Op: "sudo", Err: err}
			}
			// The password goes nowhere but sudo's input.
			go io.WriteString(in, pw+"\n")
		}
		n, err := stderr.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if lerr := t.waitLost(connLostWait); lerr != nil {
				return nil, lerr
			}
			return nil, t.sudoEnded(buf, nonce)
		}
	}
}

// pumpStderr reads the shell's stderr for as long as it runs, handing
// each command's part to run: read apart from stdout, a command that
// writes much to both cannot fill the channel's window with the part
// nobody reads.
func (s *sideShell) pumpStderr(r io.Reader, buf []byte) {
	defer close(s.errs)
	end := []byte("\n" + s.mark + "\n")
	chunk := make([]byte, 4<<10) // kept for the run: stderr is mostly small
	from := 0
	for {
		for {
			i := bytes.Index(buf[from:], end)
			if i < 0 {
				break
			}
			i += from
			select {
			case s.errs <- bytes.Clone(buf[:i]):
			case <-s.quit:
				return
			}
			buf, from = buf[i+len(end):], 0
		}
		from = max(0, len(buf)-len(end))
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			return
		}
	}
}

// run sends cmd and reads its output up to the mark. Cancelled, or cut
// short, the shell is given up (broken): the command may still run, and
// what it writes must not be taken for the next one's. A cancelled run
// returns at once; its reader ends when the host closes the channel.
func (s *sideShell) run(ctx context.Context, t *Target, cmd string) (target.ExecResult, error) {
	type answer struct {
		res target.ExecResult
		err error
	}
	got := make(chan answer, 1)
	go func() {
		res, err := s.read(t, cmd)
		got <- answer{res, err}
	}()
	select {
	case a := <-got:
		if a.err != nil {
			s.giveUp()
		}
		return a.res, a.err
	case <-ctx.Done():
		s.sess.Signal(ssh.SIGKILL)
		s.giveUp()
		return target.ExecResult{}, fmt.Errorf("ssh %s: %s: %w", t.name, quoteShort(cmd), ctx.Err())
	}
}

// read sends cmd to the shell and reads its answer.
func (s *sideShell) read(t *Target, cmd string) (target.ExecResult, error) {
	var res target.ExecResult
	if _, err := io.WriteString(s.in, cmd+"\n"+s.mark+"\n"); err != nil {
		return res, t.failed(quoteShort(cmd), err)
	}
	end := []byte("\n" + s.mark + " ")
	if s.chunk == nil {
		s.chunk = make([]byte, 16<<10)
	}
	chunk := s.chunk
	from := 0
	for {
		if i := bytes.Index(s.pend[from:], end); i >= 0 {
			i += from
			if j := bytes.IndexByte(s.pend[i+len(end):], '\n'); j >= 0 {
				code, err := strconv.Atoi(string(s.pend[i+len(end) : i+len(end)+j]))
				if err != nil {
					return res, fmt.Errorf("ssh %s: %s: the side channel's shell said %q", t.name, quoteShort(cmd), s.pend[i:i+len(end)+j])
				}
				res.Stdout, res.Exit = bytes.Clone(s.pend[:i]), code
				s.pend = s.pend[i+len(end)+j+1:]
				break
			}
		} else {
			from = max(0, len(s.pend)-len(end))
		}
		n, err := s.out.Read(chunk)
		s.pend = append(s.pend, chunk[:n]...)
		if err != nil {
			return res, s.ended(t, cmd)
		}
	}
	errb, open := <-s.errs
	if !open {
		return res, s.ended(t, cmd)
	}
	res.Stderr = errb
	return res, nil
}

// ended is why the shell stopped before it answered cmd: the connection
// lost, or the shell itself gone (killed on the host).
func (s *sideShell) ended(t *Target, cmd string) error {
	// The host answering a keepalive says at once that the connection is
	// up; else wait for its reader to notice the loss.
	alive := make(chan bool, 1)
	go func() {
		_, _, err := s.client.SendRequest("keepalive@openssh.com", true, nil)
		alive <- err == nil
	}()
	select {
	case ok := <-alive:
		if !ok {
			if lerr := t.waitLost(connLostWait); lerr != nil {
				return lerr
			}
		}
	case <-time.After(connLostWait):
		if lerr := t.lostError(); lerr != nil {
			return lerr
		}
	}
	if lerr := t.lostError(); lerr != nil {
		return lerr
	}
	return fmt.Errorf("ssh %s: %s: the side channel's shell ended before the command did", t.name, quoteShort(cmd))
}
