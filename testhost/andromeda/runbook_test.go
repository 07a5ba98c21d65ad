package andromeda

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const onAndromeda = `runbook { name = "on-andromeda", title = "Runs on andromeda" }

step("Where am I", function()
  sh("hostname")
  sh("systemctl is-system-running --wait", { ok = {0, 1} })
end)

step("Leave a mark", function()
  sh("echo made-by-runbook > /root/rb-was-here && cat /root/rb-was-here")
end)
`

// buildRunbook builds the runbook command into dir: this test runs the
// real CLI, as a user would.
func buildRunbook(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "runbook")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/runbook-dev/runbook/cmd/runbook")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build runbook: %v\n%s", err, out)
	}
	return bin
}

// runbook --host andromeda --ssh-config FILE runs a runbook inside andromeda
// and records it here.
func TestRunbookRunsOnAndromeda(t *testing.T) {
	h := ResetShared(t)
	dir := t.TempDir()
	bin := buildRunbook(t, dir)
	lua := filepath.Join(dir, "on-andromeda.lua")
	if err := os.WriteFile(lua, []byte(onAndromeda), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "on-andromeda.ttyrec")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", lua, "--host", "andromeda", "--ssh-config", h.SSHConfig(),
		"--record", rec, "--quiet")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("runbook run --host andromeda: %v\n%s", err, out.String())
	}
	// It ran there, not here.
	if got := strings.TrimSpace(must(t, h, "cat /root/rb-was-here")); got != "made-by-runbook" {
		t.Fatalf("andromeda:/root/rb-was-here = %q", got)
	}
	if _, err := os.Stat("/root/rb-was-here"); err == nil {
		t.Fatal("the runbook left its mark on this machine")
	}
	// And it was recorded here: andromeda's answers are in the ttyrec, and
	// the index names the host and both steps.
	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatalf("no recording: %v\n%s", err, out.String())
	}
	for _, want := range []string{"andromeda", "made-by-runbook"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("recording has no %q", want)
		}
	}
	ib, err := os.ReadFile(rec + ".json")
	if err != nil {
		t.Fatalf("no index: %v", err)
	}
	var idx map[string]any
	if err := json.Unmarshal(ib, &idx); err != nil {
		t.Fatalf("index: %v", err)
	}
	if !strings.Contains(string(ib), `"andromeda"`) || !strings.Contains(string(ib), "Leave a mark") {
		t.Errorf("index does not name host andromeda and the steps:\n%s", ib)
	}
	if info := exec.Command(bin, "info", rec); info.Run() != nil {
		o, _ := exec.Command(bin, "info", rec).CombinedOutput()
		t.Errorf("runbook info finds problems in the recording:\n%s", o)
	}
}
