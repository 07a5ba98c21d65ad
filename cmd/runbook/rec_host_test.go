package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/recording"
)

// `runbook rec --host` through a real sshd, typed through tmux: the
// shell runs on the host as its user, with that user's login files; the
// edited files are read through the SSH side channel.
func TestRecOnHost(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{User: "rbrec", Password: "rbrec-login"})
	// The user's own prompt, from their login file, as rec keeps it.
	fi, err := os.Stat(srv.HomeDir)
	if err != nil {
		t.Fatal(err)
	}
	uid, gid := int(fi.Sys().(*syscall.Stat_t).Uid), int(fi.Sys().(*syscall.Stat_t).Gid)
	remote := filepath.Join(srv.HomeDir, "etc-app")
	for path, body := range map[string]string{
		filepath.Join(srv.HomeDir, ".profile"): "PS1='host> '\n",
		filepath.Join(remote, "app.conf"):      "name=demo\nport=80\n",
	} {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chown(path, uid, gid)
	}
	os.Chown(remote, uid, gid)

	before := recDirs(uid)
	home := sshtest.ClientHome(t, srv, "andromeda", true)
	t.Setenv("SSH_AUTH_SOCK", "")
	bin := runbookBinary(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "h.ttyrec")
	p := startPane(t, dir, home, bin+" rec h.ttyrec --host andromeda --title 'On the host' --idle-limit 1s; echo EXIT=$?")
	p.wait("host>", 1)
	p.run("cd etc-app && echo on-$(id -un)-$((6*7))")
	p.wait("on-rbrec-42", 1)
	p.run("ls /nonexistent-rec-host")
	p.wait("No such file", 1)
	p.keys(`C-\`, "m")
	p.wait("marker name", 1)
	p.typ("Configure")
	p.keys("Enter")
	p.wait("marker added: Configure", 1)
	p.run("sed -i 's/port=80/port=8080/' app.conf")
	p.wait("host>", 4)
	p.keys(`C-\`, "p")
	p.wait("PAUSED", 1)
	time.Sleep(2500 * time.Millisecond) // a real pause, longer than the idle limit
	p.keys(`C-\`, "p")
	p.wait("recording again", 1)
	p.run("cat > motd <<'EOF'")
	p.run("welcome-to-the-host")
	p.run("EOF")
	p.wait("host>", 5)
	p.run("cat motd app.conf | tr a-z A-Z")
	p.wait("PORT=8080", 1)
	p.run("exit")
	p.wait("EXIT=0", 1)
	if s := p.screen(); !strings.Contains(s, "6 commands") || !strings.Contains(s, "2 files edited") || !strings.Contains(s, "1 markers") {
		t.Errorf("rec's summary is not as expected:\n%s", s)
	}
	if b, _ := os.ReadFile(filepath.Join(remote, "app.conf")); string(b) != "name=demo\nport=8080\n" {
		t.Errorf("the session left app.conf %q on the host", b)
	}

	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	h := ix.Hand
	if h == nil || !h.Marks || h.Title != "On the host" || ix.Host != "andromeda" || h.Home != srv.HomeDir {
		t.Fatalf("index: host %q hand %+v", ix.Host, h)
	}
	if hn, _ := os.Hostname(); h.Hostname != hn {
		t.Errorf("index hostname %q, want the host's %q", h.Hostname, hn)
	}
	var got []string
	for _, c := range h.Commands {
		got = append(got, fmt.Sprintf("%s => %d in %s", c.Text, c.Exit, c.Cwd))
	}
	want := []string{
		"cd etc-app && echo on-$(id -un)-$((6*7)) => 0 in " + srv.HomeDir,
		"ls /nonexistent-rec-host => 2 in " + remote,
		"sed -i 's/port=80/port=8080/' app.conf => 0 in " + remote,
		"cat > motd <<'EOF'\nwelcome-to-the-host\nEOF => 0 in " + remote,
		"cat motd app.conf | tr a-z A-Z => 0 in " + remote,
		"exit => -1 in " + remote,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(ix.Markers) != 1 || ix.Markers[0].Label != "Configure" {
		t.Errorf("markers %+v, want Configure", ix.Markers)
	}
	var paused time.Duration
	for _, pz := range ix.Pauses {
		if pz.Reason == "paused" {
			paused += pz.Cut.Duration()
		}
	}
	if paused < 2500*time.Millisecond {
		t.Errorf("pauses %+v: want the 2.5 s pause cut out", ix.Pauses)
	}

	// The index names the edited files; their contents are in the side
	// file only.
	raw, _ := os.ReadFile(recording.IndexPath(rec))
	for _, f := range []string{"app.conf", "motd"} {
		if !bytes.Contains(raw, []byte(`"path": "`+filepath.Join(remote, f)+`"`)) {
			t.Errorf("the index does not name %s:\n%s", f, raw)
		}
	}
	if bytes.Contains(raw, []byte(`"after"`)) || bytes.Contains(raw, []byte(`"before"`)) || bytes.Contains(raw, []byte("name=demo")) {
		t.Errorf("the index holds the edited files' contents:\n%s", raw)
	}
	edits, err := recording.ReadEdits(recording.EditsPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	var ed []string
	for _, e := range edits {
		if e.Error != "" {
			t.Errorf("edit of %s: %s", e.Path, e.Error)
		}
		var before, after string
		if e.Before != nil {
			before = string(e.Before.Bytes())
		}
		if e.After != nil {
			after = string(e.After.Bytes())
		}
		ed = append(ed, fmt.Sprintf("%d %s %v %q -> %v %q", e.Command, filepath.Base(e.Path), e.Existed, before, e.Exists, after))
	}
	wantEd := []string{
		`2 app.conf true "name=demo\nport=80\n" -> true "name=demo\nport=8080\n"`,
		`3 motd false "" -> true "welcome-to-the-host\n"`,
	}
	if strings.Join(ed, "\n") != strings.Join(wantEd, "\n") {
		t.Errorf("edits:\n%s\nwant:\n%s", strings.Join(ed, "\n"), strings.Join(wantEd, "\n"))
	}

	for _, args := range [][]string{{"info", rec}, {"check", rec}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("runbook %s: %v\n%s", args[0], err, out)
		}
		if args[0] == "info" && !strings.Contains(string(out), "runbook rec on andromeda; 6 commands (1 failed), 2 file edits") {
			t.Errorf("runbook info does not describe the session on the host:\n%s", out)
		}
	}
	// Nothing of rec's is left on the host.
	for _, l := range recDirs(uid) {
		if !slices.Contains(before, l) {
			t.Errorf("rec left %s on the host", l)
		}
	}
}

// recDirs are the private directories of rec sessions in /tmp that uid
// owns.
func recDirs(uid int) []string {
	var out []string
	all, _ := filepath.Glob("/tmp/runbook-rec.*")
	for _, d := range all {
		if st, err := os.Stat(d); err == nil && int(st.Sys().(*syscall.Stat_t).Uid) == uid {
			out = append(out, d)
		}
	}
	return out
}

// The connection dropped mid-command (sshd killed): rec ends, and leaves
// a recording valid to its last frame, an index with the commands so far
// and saying how the session ended.
func TestRecOnHostConnectionDropped(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{User: "rbdrop", Password: "rbdrop-login"})
	fi, err := os.Stat(srv.HomeDir)
	if err != nil {
		t.Fatal(err)
	}
	uid := int(fi.Sys().(*syscall.Stat_t).Uid)
	// rec cannot remove its directory on a host it lost: the test does.
	before := recDirs(uid)
	t.Cleanup(func() {
		for _, d := range recDirs(uid) {
			if !slices.Contains(before, d) {
				os.RemoveAll(d)
			}
		}
	})
	home := sshtest.ClientHome(t, srv, "andromeda", true)
	t.Setenv("SSH_AUTH_SOCK", "")
	bin := runbookBinary(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "d.ttyrec")
	p := startPane(t, dir, home, bin+" rec d.ttyrec --host andromeda; echo EXIT=$?")
	p.wait("runbook rec: recording andromeda", 1)
	p.run("echo before-$((4+4))")
	p.wait("before-8", 1)
	p.run("sleep 617")
	// Killed once the command runs on the host (sshd runs it here).
	deadline := time.Now().Add(30 * time.Second)
	for !running("sleep\x00617\x00") {
		if time.Now().After(deadline) {
			t.Fatalf("sleep 617 never ran:\n%s", p.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Kill()
	p.wait("EXIT=", 1)
	s := p.screen()
	t.Logf("screen:\n%s", s)
	if !strings.Contains(s, "EXIT=0") || !strings.Contains(s, "the session ended") {
		t.Errorf("rec after the connection dropped:\n%s", s)
	}
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ix.Hand.Commands {
		got = append(got, fmt.Sprintf("%s => %d", c.Text, c.Exit))
	}
	if strings.Join(got, "; ") != "echo before-$((4+4)) => 0; sleep 617 => -1" {
		t.Errorf("commands: %q", got)
	}
	if ix.Stopped == nil || !strings.Contains(ix.Stopped.Reason, "the session ended") {
		t.Errorf("the index does not say how the session ended: %+v", ix.Stopped)
	}
	if out, err := exec.Command(bin, "info", rec).CombinedOutput(); err != nil || !strings.Contains(string(out), "problems:  none") {
		t.Errorf("runbook info: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "check", rec).CombinedOutput(); err != nil {
		t.Errorf("runbook check: %v\n%s", err, out)
	}
}

// running reports whether a process with this command line runs.
func running(cmdline string) bool {
	all, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range all {
		if b, err := os.ReadFile(f); err == nil && string(b) == cmdline {
			return true
		}
	}
	return false
}
