package andromeda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// consoleHub is the supervisor's end of a VM's serial console (QEMU's
// stdio): everything the guest writes goes to console.log and to every
// client of console.sock; what a client writes goes to the guest.
type consoleHub struct {
	listener net.Listener

	mu   sync.Mutex
	log  *os.File
	in   io.WriteCloser // QEMU's stdin; nil while no QEMU runs
	subs map[net.Conn]bool
	last []byte // the end of the output, for error messages
}

func newConsoleHub(log *os.File) *consoleHub {
	return &consoleHub{log: log, subs: map[net.Conn]bool{}}
}

// attach sets where clients' input goes (nil: nowhere).
func (h *consoleHub) attach(in io.WriteCloser) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.in = in
}

// pump copies the guest's output until r ends.
func (h *consoleHub) pump(r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			h.broadcast(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (h *consoleHub) broadcast(p []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log.Write(p)
	h.last = append(h.last, p...)
	if len(h.last) > 64<<10 {
		h.last = append([]byte(nil), h.last[len(h.last)-32<<10:]...)
	}
	for c := range h.subs {
		// A client that does not read does not hold up the guest.
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Write(p); err != nil {
			c.Close()
			delete(h.subs, c)
		}
	}
}

// tail is the last n lines the guest wrote.
func (h *consoleHub) tail(n int) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return lastLines(string(h.last), n)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r", ""), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (h *consoleHub) serve() {
	for {
		c, err := h.listener.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.subs[c] = true
		h.mu.Unlock()
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					// Written outside the lock: a guest slow to read
					// its serial port must not hold up its output.
					h.mu.Lock()
					in := h.in
					h.mu.Unlock()
					if in != nil {
						in.Write(buf[:n])
					}
				}
				if err != nil {
					h.mu.Lock()
					delete(h.subs, c)
					h.mu.Unlock()
					c.Close()
					return
				}
			}
		}()
	}
}

func (h *consoleHub) close() {
	if h.listener != nil {
		h.listener.Close()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		c.Close()
	}
	h.log.Close()
}

// Console is a VM andromeda's serial console (ttyS0), as a terminal
// attached to it sees it from the moment it was opened; the supervisor
// keeps all of it, from the boot on, in console.log.
type Console struct {
	c      net.Conn
	mu     sync.Mutex
	unread bytes.Buffer // output Expect has not consumed
	seen   []byte       // the end of everything read, for errors
	more   chan struct{}
	err    error // why reading stopped
}

// Console opens the serial console of a VM andromeda.
func (h *Host) Console(ctx context.Context) (*Console, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", filepath.Join(h.dir, fileConsoleSock))
	if err != nil {
		return nil, fmt.Errorf("andromeda console (only a VM has one): %w", err)
	}
	con := &Console{c: c, more: make(chan struct{}, 1)}
	go con.read()
	return con, nil
}

func (c *Console) read() {
	buf := make([]byte, 4096)
	for {
		n, err := c.c.Read(buf)
		c.mu.Lock()
		c.unread.Write(buf[:n])
		c.seen = append(c.seen, buf[:n]...)
		if len(c.seen) > 16<<10 {
			c.seen = c.seen[len(c.seen)-8<<10:]
		}
		if err != nil {
			c.err = err
		}
		c.mu.Unlock()
		select {
		case c.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// Expect waits until the output not yet consumed matches re and consumes
// it up to the end of the match, which it returns. On failure the error
// shows the end of what the console showed.
func (c *Console) Expect(ctx context.Context, re *regexp.Regexp) (string, error) {
	for {
		c.mu.Lock()
		b := c.unread.Bytes()
		if loc := re.FindIndex(b); loc != nil {
			m := string(b[loc[0]:loc[1]])
			c.unread.Next(loc[1])
			c.mu.Unlock()
			return m, nil
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return "", fmt.Errorf("console: %v before %q; it showed:\n%s", err, re, c.Tail(20))
		}
		select {
		case <-c.more:
		case <-ctx.Done():
			return "", fmt.Errorf("console: no %q: %w; it showed:\n%s", re, ctx.Err(), c.Tail(20))
		}
	}
}

// Send types s at the console (a newline is Enter).
func (c *Console) Send(s string) error {
	if _, err := io.WriteString(c.c, s); err != nil {
		return fmt.Errorf("console: send: %w", err)
	}
	return nil
}

// Tail is the last n lines read.
func (c *Console) Tail(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return lastLines(string(c.seen), n)
}

// Stream copies the console to w and r to the console until either ends
// or ctx is done (`testhost console`).
func (c *Console) Stream(ctx context.Context, r io.Reader, w io.Writer) error {
	stop := context.AfterFunc(ctx, func() { c.c.Close() })
	defer stop()
	go io.Copy(c.c, r)
	// Stream takes the reading over from Expect.
	c.mu.Lock()
	w.Write(c.unread.Bytes())
	c.unread.Reset()
	c.mu.Unlock()
	for {
		select {
		case <-c.more:
		case <-ctx.Done():
			return nil
		}
		c.mu.Lock()
		w.Write(c.unread.Bytes())
		c.unread.Reset()
		err := c.err
		c.mu.Unlock()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
	}
}

// Close closes the console (the VM goes on).
func (c *Console) Close() error { return c.c.Close() }
