package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A --host port that answers but is not SSH: exit 3, named as not an SSH
// server with what it sent, at once (not after ConnectTimeout); nothing
// recorded.
func TestRunOnPortThatIsNotSSH(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
				<-stop
				c.Close()
			}()
		}
	}()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	rb := filepath.Join(dir, "x.lua")
	os.WriteFile(rb, []byte(`step("a", function() sh("true") end)`), 0o644)
	rec := filepath.Join(dir, "x.ttyrec")
	code, out, errOut := runHostsCLI(t, rb, "--host", l.Addr().String(), "--record", rec, "--json")
	if code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, errOut)
	}
	want := `not an SSH server: it sent "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"`
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
	if !strings.Contains(out, `"error_kind": "host"`) || !strings.Contains(out, `"exit_code": 3`) {
		t.Errorf("--json:\n%s", out)
	}
	if _, err := os.Stat(rec); err == nil {
		t.Errorf("a recording was left for a host never reached")
	}
}
