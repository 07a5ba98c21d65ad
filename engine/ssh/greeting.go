package ssh

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// greetingConn keeps the first bytes the server sends, so a handshake that
// fails can say why in the user's words: the port answered with something
// that is not SSH (an HTTP server), or said nothing at all.
type greetingConn struct {
	net.Conn
	mu     sync.Mutex
	got    []byte
	judged bool // the greeting was seen to be SSH's, or refused
}

const greetingKeep = 256

func (g *greetingConn) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	if n > 0 {
		g.mu.Lock()
		defer g.mu.Unlock()
		if room := greetingKeep - len(g.got); room > 0 {
			g.got = append(g.got, p[:min(n, room)]...)
		}
		if !g.judged {
			if ok, done := judgeGreeting(g.got); done {
				g.judged = true
				if !ok {
					// Fail now: the SSH library would wait for more lines
					// until ConnectTimeout. Read the rest of what was sent
					// (briefly) so the error can quote it.
					g.drain()
					return 0, errNotSSH
				}
			}
		}
	}
	return n, err
}

var errNotSSH = errors.New("not an SSH server")

// drain reads what the server has sent already, up to a line or 80
// bytes, waiting at most a moment. Called with g.mu held.
func (g *greetingConn) drain() {
	g.Conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 80)
	for len(g.got) < 80 && !bytes.Contains(g.got[min(len(g.got), 5):], []byte("\n\n")) && !bytes.HasSuffix(g.got, []byte("\r\n\r\n")) {
		n, err := g.Conn.Read(buf[:80-len(g.got)])
		g.got = append(g.got, buf[:n]...)
		if err != nil {
			break
		}
	}
}

// judgeGreeting decides from the first bytes whether the server speaks
// SSH: an "SSH-" line (after text lines, which RFC 4253 allows), or
// plainly not (an HTTP status line, binary bytes, 256 bytes of no
// "SSH-"). done is false while it cannot tell yet.
func judgeGreeting(got []byte) (ok, done bool) {
	for len(got) > 0 {
		i := bytes.IndexByte(got, '\n')
		if i < 0 {
			if bytes.HasPrefix(got, []byte("SSH-")) {
				return true, true
			}
			if bytes.HasPrefix(got, []byte("HTTP/")) || !printable(got) || len(got) >= greetingKeep {
				return false, true
			}
			return false, false
		}
		line := got[:i]
		if bytes.HasPrefix(line, []byte("SSH-")) {
			return true, true
		}
		if bytes.HasPrefix(line, []byte("HTTP/")) || !printable(line) {
			return false, true
		}
		got = got[i+1:]
	}
	return false, false
}

func printable(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\r' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// handshakeError explains a failed handshake from what the server sent:
// nil when it did greet as SSH (the SSH library's error says the rest).
func (g *greetingConn) handshakeError(err error, timeout time.Duration) error {
	g.mu.Lock()
	got := append([]byte(nil), g.got...)
	g.mu.Unlock()
	if len(got) == 0 {
		var ne net.Error
		if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return fmt.Errorf("no SSH greeting within %s (ConnectTimeout): the port accepts connections but says nothing; not an SSH server?", timeout)
		}
		return nil
	}
	// RFC 4253 4.2: the server may send lines before its "SSH-" line.
	if ok, done := judgeGreeting(got); ok || !done && !errors.Is(err, errNotSSH) {
		return nil
	}
	first := got
	if len(first) > 80 {
		first = first[:80]
	}
	return fmt.Errorf("not an SSH server: it sent %q", first)
}
