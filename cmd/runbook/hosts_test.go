package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/recording"
)

// runHostsCLI runs the CLI in this process with captured output.
func runHostsCLI(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(args, &IO{In: strings.NewReader(""), Out: &o, Err: &e})
	return code, o.String(), e.String()
}

func readIndex(t *testing.T, path string) *recording.Index {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var idx recording.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &idx
}

const hostRunbook = `runbook { name = "hostcheck", params = { word = { default = "plain" } } }
step("Where am I", function()
  sh("echo word=" .. params.word .. " user=$(id -un)")
  sh("sleep 0.2")
end)
`

func TestRunOnHostThroughSSHConfigAlias(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "andromeda", true)
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	rb := filepath.Join(dir, "hostcheck.lua")
	os.WriteFile(rb, []byte(hostRunbook), 0o644)
	rec := filepath.Join(dir, "out.ttyrec")

	code, out, errOut := runHostsCLI(t, rb, "--host", "andromeda", "--record", rec)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "word=plain user="+srv.User) {
		t.Errorf("the session did not show the remote command's output:\n%s", out)
	}
	idx := readIndex(t, rec+".json")
	if idx.Host != "andromeda" {
		t.Errorf("index host = %q, want andromeda", idx.Host)
	}
	if len(idx.Steps) != 1 || idx.Steps[0].Status != "ok" {
		t.Errorf("index steps: %+v", idx.Steps)
	}
	if st, err := os.Stat(rec); err != nil || st.Size() == 0 {
		t.Errorf("recording %s: %v", rec, err)
	}
}

func TestRunOnUntrustedOrUnreachableHostExits3(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "andromeda", false)
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	rb := filepath.Join(dir, "hostcheck.lua")
	os.WriteFile(rb, []byte(hostRunbook), 0o644)

	code, _, errOut := runHostsCLI(t, rb, "--host", "andromeda", "--no-record")
	if code != 3 || !strings.Contains(errOut, "--accept-new-host-key") {
		t.Errorf("unknown host: exit %d, stderr:\n%s", code, errOut)
	}
	// A closed port.
	code, _, errOut = runHostsCLI(t, rb, "--host", "127.0.0.1:1", "-i", srv.ClientKey, "--no-record")
	if code != 3 || !strings.Contains(errOut, "dial 127.0.0.1:1") {
		t.Errorf("closed port: exit %d, stderr:\n%s", code, errOut)
	}
	// Accepting the new key lets it through and remembers it.
	code, out, errOut := runHostsCLI(t, rb, "--host", "andromeda", "--accept-new-host-key", "--no-record")
	if code != 0 {
		t.Fatalf("accept-new: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runHostsCLI(t, rb, "--host", "andromeda", "--no-record")
	if code != 0 {
		t.Errorf("after accept-new: exit %d\n%s", code, errOut)
	}
}

func TestRunOnSeveralHosts(t *testing.T) {
	const n = 3
	home := t.TempDir()
	var srvs []*sshtest.Server
	for i := 0; i < n; i++ {
		srv := sshtest.Start(t, sshtest.Options{})
		sshtest.AddHost(t, home, srv, fmt.Sprintf("h%d", i), "")
		sshtest.TrustHost(t, home, srv)
		srvs = append(srvs, srv)
	}
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	rb := filepath.Join(dir, "hostcheck.lua")
	os.WriteFile(rb, []byte(hostRunbook), 0o644)
	hostsFile := filepath.Join(dir, "hosts.txt")
	os.WriteFile(hostsFile, []byte("# lab\nh0 word=zero\nh1   word=\"one and a half\"\n\nh2\n"), 0o644)
	rec := filepath.Join(dir, "multi.ttyrec")

	code, out, errOut := runHostsCLI(t, rb, "--hosts", hostsFile, "--forks", "2", "--set", "word=default", "--record", rec)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for i, want := range []string{"word=zero", "word=one and a half", "word=default"} {
		host := fmt.Sprintf("h%d", i)
		// Each line of a host's output carries its name.
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, want+" user=") && strings.HasPrefix(l, host+" | ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no line %q behind %q in:\n%s", want, host+" | ", out)
		}
		idx := readIndex(t, filepath.Join(dir, "multi-"+host+".ttyrec.json"))
		if idx.Host != host || len(idx.Steps) != 1 || idx.Steps[0].Status != "ok" {
			t.Errorf("%s: index host %q steps %+v", host, idx.Host, idx.Steps)
		}
	}
	if !strings.Contains(out, "Recap (3 hosts)") {
		t.Errorf("no combined recap:\n%s", out)
	}

	// One host down: the others still run; the recap says which; exit 3.
	srvs[1].Down(t)
	code, out, _ = runHostsCLI(t, rb, "--host", "h0,h1,h2", "--no-record")
	if code != 3 {
		t.Errorf("one host down: exit %d, want 3\n%s", code, out)
	}
	if !strings.Contains(out, "unreachable") || strings.Count(out, "1 ok, 0 changed") < 2 {
		t.Errorf("recap with one host down:\n%s", out)
	}
}

func TestHostsFlagErrors(t *testing.T) {
	dir := t.TempDir()
	rb := filepath.Join(dir, "hostcheck.lua")
	os.WriteFile(rb, []byte(hostRunbook), 0o644)
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("ok-host\nh2 novalue\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--hosts", bad}, "bad.txt:2"},
		{[]string{"--host", "a,a"}, "same host"},
		{[]string{"--host", "a:99999"}, "bad port"},
		{[]string{"--user", "root"}, "need --host"},
		{[]string{"--host", "a", "--forks", "0"}, "--forks"},
	} {
		code, _, errOut := runHostsCLI(t, append([]string{rb, "--no-record"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	code, out, _ := runHostsCLI(t, "run", "--help")
	for _, want := range []string{"--host", "--hosts", "--forks", "--accept-new-host-key", "--sudo", "--ssh-config", "runbook xen-prereqs.lua --host andromeda"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
}

func TestSshdKilledMidCommandKeepsRecording(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "andromeda", true)
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	rb := filepath.Join(dir, "long.lua")
	os.WriteFile(rb, []byte(`runbook { name = "long" }
step("Before", function() sh("echo first") end)
step("Long wait", function() sh("touch `+started+`; sleep 600") end)
step("After", function() sh("echo never") end)
`), 0o644)
	rec := filepath.Join(dir, "long.ttyrec")
	done := make(chan struct{})
	var code int
	var out, errOut string
	go func() {
		code, out, errOut = runHostsCLI(t, rb, "--host", "andromeda", "--record", rec)
		close(done)
	}()
	for i := 0; ; i++ {
		if _, err := os.Stat(started); err == nil {
			break
		}
		select {
		case <-done:
			t.Fatalf("run ended early: exit %d\n%s\n%s", code, out, errOut)
		default:
		}
		if i > 3000 {
			t.Fatal("the long command never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Kill()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("run did not end after sshd was killed")
	}
	t.Logf("stderr:\n%s", errOut)
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, errOut)
	}
	// The message names the host, the step and the command it was lost in.
	for _, want := range []string{"andromeda", "lost", `step 2 "Long wait"`, "sleep 600"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("message lacks %q:\n%s", want, errOut)
		}
	}
	idx := readIndex(t, rec+".json")
	if idx.Stopped == nil {
		t.Errorf("index does not say where the run stopped: %+v", idx)
	}
	if len(idx.Steps) < 2 || idx.Steps[0].Status != "ok" || idx.Steps[1].Status == "ok" {
		t.Errorf("index steps: %+v", idx.Steps)
	}
	if st, err := os.Stat(rec); err != nil || st.Size() == 0 {
		t.Errorf("recording: %v", err)
	}
}

func TestRunbookDefaultHostAndTerminalPassphrase(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := t.TempDir()
	// An encrypted key, authorized on the host: its passphrase is typed at
	// the terminal (a real pty), and must show nowhere.
	const pass = "tty-typed passphrase"
	key := filepath.Join(home, "enc")
	signer := sshtest.WriteKey(t, key, pass)
	f, _ := os.OpenFile(filepath.Join(srv.Dir, "authorized_keys"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	f.Close()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(fmt.Sprintf(
		"Host andromeda\n HostName %s\n Port %d\n User %s\n IdentityFile %s\n", srv.Host, srv.Port, srv.User, key)), 0o600)
	sshtest.TrustHost(t, home, srv)
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	rb := filepath.Join(dir, "declared.lua")
	os.WriteFile(rb, []byte(`runbook { name = "declared", host = "andromeda" }
step("Hello", function() sh("echo on=$(hostname) ok") end)
`), 0o644)
	rec := filepath.Join(dir, "d.ttyrec")

	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer tty.Close()
	go io.Copy(io.Discard, ptm)
	ptm.Write([]byte(pass + "\n"))
	var o, e bytes.Buffer
	code := Main([]string{rb, "--record", rec}, &IO{In: tty, Out: &o, Err: &e, TTY: tty})
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, o.String(), e.String())
	}
	if !strings.Contains(e.String(), "Enter passphrase for key '"+key+"'") {
		t.Errorf("no passphrase prompt on stderr:\n%s", e.String())
	}
	idx := readIndex(t, rec+".json")
	if idx.Host != "andromeda" {
		t.Errorf("index host %q, want the runbook's andromeda", idx.Host)
	}
	recBytes, _ := os.ReadFile(rec)
	idxBytes, _ := os.ReadFile(rec + ".json")
	for name, b := range map[string]string{"stdout": o.String(), "stderr": e.String(), "recording": string(recBytes), "index": string(idxBytes)} {
		if strings.Contains(b, pass) {
			t.Errorf("the passphrase shows in the %s", name)
		}
	}
}
