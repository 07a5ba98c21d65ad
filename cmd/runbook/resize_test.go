package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/runbook-dev/runbook/internal/console"
	"github.com/runbook-dev/runbook/recording"
)

// A run sized to the user's terminal follows the window: the session's
// shell sees the new size, and the index marks when it changed.
func TestRunFollowsWindowSize(t *testing.T) {
	bin := runbookBinary(t)
	dir := t.TempDir()
	rb := `step("size", function()
  sh("stty size")
  sh([[for i in $(seq 200); do s=$(stty size); [ "$s" != "24 80" ] && break; sleep 0.05; done; echo "now $s"]])
end)
`
	if err := os.WriteFile(filepath.Join(dir, "size.lua"), []byte(rb), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "size.ttyrec")
	c := console.New(t, 80, 24)
	cmd := exec.Command(bin, "size.lua", "--record", rec)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "TERM=xterm")
	c.Start(cmd)
	c.Expect("24 80")
	c.Resize(100, 30)
	c.Expect("now 30 100")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run: %v\n%s", err, c.Output())
	}
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	if ix.Term != (recording.Term{Cols: 80, Rows: 24}) {
		t.Errorf("index term = %+v, want the size the run started with, 80x24", ix.Term)
	}
	found := false
	for _, m := range ix.Markers {
		if m.Label == "resize 100x30" {
			found = true
		}
	}
	if !found {
		t.Errorf("index markers = %+v, want a \"resize 100x30\" marker", ix.Markers)
	}
}
