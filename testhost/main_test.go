package main

import (
	"bytes"
	"context"
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCommand drives the command as a user would: up, up again (the same
// instance), status, exec, ssh-config, down, status.
func TestCommand(t *testing.T) {
	testenv.Root(t, "andromeda")
	name = "cmdtest-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code, err := run(ctx, args, &out, &errb)
		if code != want {
			t.Fatalf("testhost %s: exit %d (%v), want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, err, want, out.String(), errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	cfg := cmd(0, "up")
	t.Cleanup(func() { run(context.Background(), []string{"down"}, &bytes.Buffer{}, &bytes.Buffer{}) })
	if !strings.HasSuffix(cfg, "/ssh_config") {
		t.Fatalf("up printed %q, want the ssh_config path", cfg)
	}
	b, err := os.ReadFile(cfg)
	if err != nil || !strings.Contains(string(b), "Host andromeda") {
		t.Fatalf("ssh_config: %v %q", err, b)
	}
	if again := cmd(0, "up"); again != cfg {
		t.Fatalf("second up printed %q, want the running instance's %q", again, cfg)
	}
	if got := cmd(0, "ssh-config"); got != cfg {
		t.Fatalf("ssh-config printed %q, want %q", got, cfg)
	}
	if st := cmd(0, "status"); !strings.Contains(st, "andromeda: up") {
		t.Fatalf("status: %q", st)
	}
	if out := cmd(0, "exec", "hostname"); out != "andromeda" {
		t.Fatalf("exec hostname: %q", out)
	}
	cmd(7, "exec", "exit 7")
	cmd(0, "down")
	if st := cmd(1, "status"); st != "andromeda: down" {
		t.Fatalf("status after down: %q", st)
	}
	if _, err := os.Stat(cfg); err == nil {
		t.Fatalf("%s is still there after down", cfg)
	}
	cmd(2, "frobnicate")
	if help := cmd(0, "--help"); !strings.Contains(help, "Examples:") {
		t.Fatalf("--help teaches no examples: %q", help)
	}
}
