// Package console drives programs through a real pseudo-terminal in tests,
// go-expect style: the console owns the pty (not the process), sends keys,
// waits for text on the screen, and on failure shows everything received.
//
// It is for tests only. It must not import the engine, the stdlib, the
// player or the prompt.
package console

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Timeout is how long Expect waits for text before failing the test. It
// bounds a hang; it never measures speed.
var Timeout = 30 * time.Second

// Console is a pty pair: the test holds the master, programs get the tty.
type Console struct {
	t    testing.TB
	ptm  *os.File // master: what the test types and reads
	tty  *os.File // slave: the programs' terminal
	mu   sync.Mutex
	out  bytes.Buffer // everything received
	seen int          // Expect consumed out up to here (in stripped text)
	more chan struct{}
	done chan struct{}
}

// New opens a pty of the given size; it is closed when the test ends.
func New(t testing.TB, cols, rows int) *Console {
	t.Helper()
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	if err := pty.Setsize(ptm, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		t.Fatalf("set pty size: %v", err)
	}
	// A non-blocking master goes through Go's poller, so Close (Hangup)
	// interrupts the reader instead of waiting for it.
	ptm, err = nonblocking(ptm)
	if err != nil {
		t.Fatalf("pty master: %v", err)
	}
	c := &Console{t: t, ptm: ptm, tty: tty, more: make(chan struct{}, 1), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() {
		tty.Close()
		ptm.Close()
		<-c.done
	})
	return c
}

func nonblocking(f *os.File) (*os.File, error) {
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), nil
}

func (c *Console) read() {
	defer close(c.done)
	buf := make([]byte, 32*1024)
	for {
		n, err := c.ptm.Read(buf)
		if n > 0 {
			c.mu.Lock()
			c.out.Write(buf[:n])
			c.mu.Unlock()
			select {
			case c.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// Tty is the terminal programs under test use.
func (c *Console) Tty() *os.File { return c.tty }

// Start runs cmd with the console's tty as its controlling terminal and
// stdin, stdout and stderr.
func (c *Console) Start(cmd *exec.Cmd) {
	c.t.Helper()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.tty, c.tty, c.tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", cmd.Path, err)
	}
}

// Send types s.
func (c *Console) Send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.ptm, s); err != nil {
		c.t.Fatalf("type %q: %v", s, err)
	}
}

// Resize changes the terminal's size (the programs get SIGWINCH).
func (c *Console) Resize(cols, rows int) {
	c.t.Helper()
	if err := pty.Setsize(c.ptm, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		c.t.Fatalf("resize pty: %v", err)
	}
}

// Expect waits until s appears in the output after what earlier Expects
// matched (escape sequences removed), and consumes up to its end.
func (c *Console) Expect(s string) {
	c.t.Helper()
	c.expect(fmt.Sprintf("%q", s), func(text string) []int {
		i := strings.Index(text, s)
		if i < 0 {
			return nil
		}
		return []int{i, i + len(s)}
	})
}

// ExpectRe is Expect for a regular expression; it returns the match and
// its submatches.
func (c *Console) ExpectRe(re string) []string {
	c.t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	c.expect("/"+re+"/", func(text string) []int {
		loc := rx.FindStringSubmatchIndex(text)
		if loc == nil {
			return nil
		}
		m = nil
		for i := 0; i < len(loc); i += 2 {
			if loc[i] < 0 {
				m = append(m, "")
			} else {
				m = append(m, text[loc[i]:loc[i+1]])
			}
		}
		return loc[:2]
	})
	return m
}

func (c *Console) expect(what string, find func(string) []int) {
	c.t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		text := Strip(c.out.String())
		seen := min(c.seen, len(text))
		if loc := find(text[seen:]); loc != nil {
			c.seen = seen + loc[1]
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		select {
		case <-c.more:
		case <-c.done:
			c.mu.Lock()
			text := Strip(c.out.String())
			c.mu.Unlock()
			if find(text[min(c.seen, len(text)):]) != nil {
				continue
			}
			c.t.Fatalf("expect %s: the terminal closed; received after the last match:\n%s", what, text[min(c.seen, len(text)):])
		case <-deadline.C:
			c.mu.Lock()
			text := Strip(c.out.String())
			c.mu.Unlock()
			c.t.Fatalf("expect %s: not seen in %v; received after the last match:\n%s", what, Timeout, text[min(c.seen, len(text)):])
		}
	}
}

// Output is everything received so far, raw.
func (c *Console) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// Stty runs `stty -a` on the console's tty and returns what it printed:
// the terminal's mode as a program left it.
func (c *Console) Stty() string {
	c.t.Helper()
	cmd := exec.Command("stty", "-a")
	cmd.Stdin = c.tty
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("stty -a: %v: %s", err, out)
	}
	return string(out)
}

// Cooked reports whether stty output shows a terminal in cooked mode:
// canonical input, echo, signals and output processing on.
func Cooked(stty string) bool {
	f := strings.Fields(stty)
	has := map[string]bool{}
	for _, w := range f {
		has[w] = true
	}
	return has["icanon"] && has["echo"] && has["isig"] && has["opost"] && has["icrnl"]
}

var escapes = regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78DEHM]|%G)|\r|\a`)

// Strip removes escape sequences, carriage returns and bells.
func Strip(s string) string { return escapes.ReplaceAllString(s, "") }

// Hangup closes the master side, as a terminal window that goes away:
// programs on the tty see end of input.
func (c *Console) Hangup() {
	c.ptm.Close()
}
