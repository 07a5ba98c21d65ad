package ssh_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/engine/target"
)

// restartAs starts a new sshd where old listened (same address, same
// authorized client key), as the host coming back from a reboot; key is
// its host key (nil: a new one).
func restartAs(t *testing.T, old *sshtest.Server, hostKey ssh.Signer) *sshtest.Server {
	t.Helper()
	return sshtest.Start(t, sshtest.Options{HostKey: hostKey, Config: fmt.Sprintf("ListenAddress %s\nAuthorizedKeysFile %s\n",
		old.Addr(), filepath.Join(old.Dir, "authorized_keys"))})
}

func execOut(t *testing.T, tg *rssh.Target, cmd string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := tg.Exec(ctx, cmd, nil)
	return strings.TrimSpace(string(res.Stdout)), err
}

// The host goes away (sshd and its sessions killed, as a reboot does) and
// comes back with the same key: Reconnect fails while it is down, then
// reaches it the same way as Dial, and the side channel and sessions work
// on the new connection. A host that comes back with another key is
// refused for good (FinalError), never retried into trust.
func TestReconnectAfterRestart(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	isolate(t, sshtest.ClientHome(t, srv, "andromeda", true))
	tg := dial(t, "andromeda", rssh.Options{})
	if out, err := execOut(t, tg, "echo before"); err != nil || out != "before" {
		t.Fatalf("exec: %q %v", out, err)
	}
	srv.Kill()
	var lost *target.LostError
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := execOut(t, tg, "true")
		if errors.As(err, &lost) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exec on a killed host: %v, want a LostError", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := tg.Reconnect(ctx)
	var final *target.FinalError
	if err == nil || errors.As(err, &final) {
		t.Fatalf("reconnect to a host that is down: %v, want a retryable error", err)
	}

	back := restartAs(t, srv, srv.HostSigner)
	if err := tg.Reconnect(ctx); err != nil {
		t.Fatalf("reconnect: %v\n%s", err, back.Log())
	}
	if out, err := execOut(t, tg, "echo after"); err != nil || out != "after" {
		t.Fatalf("exec after reconnect: %q %v", out, err)
	}
	sess, err := tg.Shell(ctx, target.ShellOptions{Cols: 80, Rows: 24, Command: bash})
	if err != nil {
		t.Fatalf("shell after reconnect: %v", err)
	}
	sess.Close()

	// Reconnect while the connection is up gives the old one up; its
	// watcher must not take the new one down with it.
	if err := tg.Reconnect(ctx); err != nil {
		t.Fatalf("second reconnect: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	if out, err := execOut(t, tg, "echo again"); err != nil || out != "again" {
		t.Fatalf("exec after the second reconnect: %q %v", out, err)
	}

	back.Kill()
	restartAs(t, srv, nil) // the same address with another host key
	err = tg.Reconnect(ctx)
	var hke *rssh.HostKeyError
	if !errors.As(err, &final) || !errors.As(err, &hke) || hke.Kind != "changed" {
		t.Fatalf("reconnect to a changed host key: %v, want a FinalError holding a changed HostKeyError", err)
	}
}
