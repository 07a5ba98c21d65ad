package stdlib_test

import (
	"context"
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
