package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/shellquote"
)

var _ target.Consoler = (*Target)(nil)

// Console starts the --console command for this host: its stdout is what
// the console prints, its stdin what is typed. Closing the console ends
// the command (and whatever it started).
func (t *Target) Console(ctx context.Context) (io.ReadWriteCloser, error) {
	if t.o.Console == "" {
		return nil, fmt.Errorf("no console for %s: give the command that reaches it with --console CMD", t.name)
	}
	// The name goes in quoted: a hosts file must not reach this shell.
	line := strings.ReplaceAll(t.o.Console, "%h", shellquote.Quote(t.name))
	cmd := exec.Command("sh", "-c", line)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// A pipe of our own, not StdoutPipe: Wait (below, at once) must not
	// close what is still to be read.
	out, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = w
	var stderr strings.Builder
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4 << 10}
	err = cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("console of %s: start %q: %w", t.name, line, err)
	}
	c := &console{cmd: cmd, in: in, out: out, stderr: &stderr, line: line,
		done: make(chan struct{}), exited: make(chan struct{})}
	go func() { c.waitErr = cmd.Wait(); close(c.exited) }()
	go func() {
		select {
		case <-ctx.Done():
			c.Close()
		case <-c.done:
		}
	}()
	return c, nil
}

// console is a running --console command.
type console struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *os.File
	stderr *strings.Builder
	line   string
	done   chan struct{}
	once   sync.Once

	exited  chan struct{} // closed when the command has ended; then waitErr
	waitErr error
}

func (c *console) Read(p []byte) (int, error) {
	n, err := c.out.Read(p)
	if errors.Is(err, io.EOF) {
		<-c.exited
		if c.waitErr != nil {
			select {
			case <-c.done: // we ended it
			default:
				return n, fmt.Errorf("console command %q ended: %v: %s", c.line, c.waitErr, strings.TrimSpace(c.stderr.String()))
			}
		}
	}
	return n, err
}

func (c *console) Write(p []byte) (int, error) { return c.in.Write(p) }

// Close ends the console command and its process group.
func (c *console) Close() error {
	c.once.Do(func() {
		close(c.done)
		c.in.Close()
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
		c.out.Close()
	})
	return nil
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// sudo reports whether the session and the side channel run under sudo:
// --sudo (or the runbook's sudo=true) for a user other than root. Root
// needs none, and a freshly installed system may have no sudo at all.
func (t *Target) sudo() bool { return t.o.Sudo && t.s.user != "root" }
