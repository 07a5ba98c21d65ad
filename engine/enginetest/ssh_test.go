package enginetest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
)

// dialTestSSHD starts a real OpenSSH sshd on 127.0.0.1 and connects to it
// as the engine does for --host testbox.
func dialTestSSHD(t testing.TB) *rssh.Target {
	t.Helper()
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "testbox", true)
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tg, err := rssh.Dial(ctx, "testbox", rssh.Options{Home: home})
	if err != nil {
		t.Fatalf("dial testbox: %v", err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// TestGuideOverSSH: the same runbook, dry run, run and run again, over a
// real sshd: state read through the SSH side channel, changes typed in
// the SSH session.
func TestGuideOverSSH(t *testing.T) {
	tg := dialTestSSHD(t)
	guideConverges(t, tg, t.TempDir())
}

// TestNotBootedOverSSH: the test sshd runs in a mount namespace with a
// /run of its own, so to it systemd is not running, as in a chroot or a
// container without init: start/stop/restart say "not booted" and change
// nothing (and nothing of this machine's services is touched).
func TestNotBootedOverSSH(t *testing.T) {
	tg := dialTestSSHD(t)
	src := `runbook { name = "nb", params = { dir = {} } }
step("services", function()
  assert(facts.systemd == false, "facts.systemd")
  assert(systemd.start("ssh.service") == false)
  assert(systemd.restart("ssh.service") == false)
  assert(systemd.is_active("ssh.service") == false)
end)`
	r := runEngine(t, tg, src, t.TempDir(), false, false)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.display)
	}
	if !strings.Contains(r.display, "systemd.start ssh.service on testbox: not booted: systemd is not running on this host") {
		t.Errorf("display:\n%s", r.display)
	}
	if r.rep.Changed != 0 || len(r.ix.Steps[0].Commands) != 0 {
		t.Errorf("not booted, yet: %s %+v", r.rep.Recap(), r.ix.Steps[0].Commands)
	}
}

func TestErrorNamesHostOverSSH(t *testing.T) {
	tg := dialTestSSHD(t)
	dir := t.TempDir()
	src := "runbook { name = \"e\", params = { dir = {} } }\nstep(\"s\", function()\n  file.line(params.dir .. \"/grub\", {line = \"x\"})\nend)\n"
	r := runEngine(t, tg, src, dir, false, false)
	want := "x.lua:3: file.line " + dir + "/grub on testbox: no such file"
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Errorf("error %v, want %q", r.err, want)
	}
}
