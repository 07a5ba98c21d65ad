package ssh_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xssh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/engine/target"
)

// Faults a real sshd does not produce, from servers in the test process.

func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return l.Addr().String()
}

func TestSilentServerTimesOut(t *testing.T) {
	stop := make(chan struct{})
	addr := listen(t, func(c net.Conn) { <-stop; c.Close() }) // accepts, never speaks
	t.Cleanup(func() { close(stop) })
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	host, port, _ := net.SplitHostPort(addr)
	os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(fmt.Sprintf("Host stall\n HostName %s\n Port %s\n ConnectTimeout 1\n", host, port)), 0o600)
	isolate(t, home)
	_, err := rssh.Dial(ctxT(t), "stall", rssh.Options{})
	var he *rssh.HostError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a HostError", err)
	}
	if !strings.Contains(err.Error(), "no SSH greeting within 1s (ConnectTimeout)") {
		t.Errorf("a silent listener: %v; want it to say no SSH greeting came within ConnectTimeout", err)
	}
}

func TestGarbageServer(t *testing.T) {
	addr := listen(t, func(c net.Conn) {
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		c.Close()
	})
	isolate(t, t.TempDir())
	_, err := rssh.Dial(ctxT(t), addr, rssh.Options{})
	var he *rssh.HostError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a HostError", err)
	}
	if !strings.Contains(err.Error(), `not an SSH server: it sent "HTTP/1.1 400 Bad Request\r\n\r\n"`) {
		t.Errorf("an HTTP server: %v; want it named as not an SSH server, with what it sent", err)
	}
}

// A server that keeps the connection open after its non-SSH reply is
// named at once, not after ConnectTimeout.
func TestHTTPServerThatKeepsTheConnection(t *testing.T) {
	stop := make(chan struct{})
	addr := listen(t, func(c net.Conn) {
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		<-stop
		c.Close()
	})
	t.Cleanup(func() { close(stop) })
	isolate(t, t.TempDir())
	_, err := rssh.Dial(ctxT(t), addr, rssh.Options{})
	if err == nil || !strings.Contains(err.Error(), "not an SSH server: it sent \"HTTP/1.1 400 Bad Request") {
		t.Fatalf("err = %v, want not an SSH server", err)
	}
}

func TestCancelWhileDialing(t *testing.T) {
	addr := listen(t, func(c net.Conn) { time.Sleep(time.Minute); c.Close() })
	isolate(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	_, err := rssh.Dial(ctx, addr, rssh.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if errors.As(err, new(*rssh.HostError)) {
		t.Errorf("a cancelled dial is a HostError (%v); the CLI must see an interruption", err)
	}
}

// stallServer is an SSH server that accepts any key and opens sessions,
// but never answers an exec request and never closes the channel.
func stallServer(t *testing.T) (addr string, hostKey xssh.PublicKey) {
	signer := sshtest.NewSigner(t)
	cfg := &xssh.ServerConfig{PublicKeyCallback: func(xssh.ConnMetadata, xssh.PublicKey) (*xssh.Permissions, error) { return nil, nil }}
	cfg.AddHostKey(signer)
	addr = listen(t, func(c net.Conn) {
		_, chans, reqs, err := xssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		go xssh.DiscardRequests(reqs)
		for nc := range chans {
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			go func() {
				for r := range creqs {
					_ = r // swallowed: no reply, no exit status
				}
				ch.Close()
			}()
		}
	})
	return addr, signer.PublicKey()
}

func TestStalledSideChannelIsCancellable(t *testing.T) {
	addr, key := stallServer(t)
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)+"\n"), 0o600)
	key2 := filepath.Join(home, ".ssh", "id_ed25519")
	sshtest.WriteKey(t, key2, "")
	isolate(t, home)
	tg := dial(t, "me@"+addr, rssh.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := tg.Exec(ctx, "true", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func TestHalfClosedSessionEndsAsLost(t *testing.T) {
	// A server that opens the session and then drops the TCP connection
	// without an exit status: the session reports a lost connection.
	signer := sshtest.NewSigner(t)
	cfg := &xssh.ServerConfig{NoClientAuth: true}
	cfg.AddHostKey(signer)
	addr := listen(t, func(c net.Conn) {
		_, chans, reqs, err := xssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		go xssh.DiscardRequests(reqs)
		for nc := range chans {
			ch, creqs, _ := nc.Accept()
			go func() {
				for r := range creqs {
					r.Reply(true, nil)
					if r.Type == "shell" || r.Type == "exec" {
						ch.Write([]byte("hello from a doomed host\r\n"))
						time.Sleep(50 * time.Millisecond)
						c.Close()
					}
				}
			}()
		}
	})
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(knownhosts.Line([]string{knownhosts.Normalize(addr)}, signer.PublicKey())+"\n"), 0o600)
	isolate(t, home)
	tg := dial(t, "me@"+addr, rssh.Options{})
	sess, err := tg.Shell(ctxT(t), target.ShellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(sess)
	err = r.end(t)
	var lost *target.LostError
	if !errors.As(err, &lost) {
		t.Fatalf("session ended with %v after %q, want a LostError", err, r.String())
	}
}
