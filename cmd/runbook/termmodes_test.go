package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/console"
	"github.com/runbook-dev/runbook/recording"
)

// modesLua enters the alternate screen, hides the cursor and turns line
// wrap off, then ends as the test asks: normally, failing, or waiting for
// Ctrl-C.
const modesLua = `
runbook { params = { finish = { default = "true" } } }
step("Full screen", function()
  sh([[printf '\033[?1049h\033[?25l\033[?7l'; echo entered-mo""des]])
end)
step("End", function()
  sh(params.finish)
end)
`

// finalModes reads what a terminal fed out would be left in: for each
// mode, the last set (h) or reset (l) wins.
func finalModes(out string) map[string]bool {
	m := map[string]bool{"1049": false, "25": true, "7": true}
	for _, sm := range regexp.MustCompile(`\x1b\[\?([0-9;]+)([hl])`).FindAllStringSubmatch(out, -1) {
		for _, n := range strings.Split(sm[1], ";") {
			if _, ok := m[n]; ok {
				m[n] = sm[2] == "h"
			}
		}
	}
	return m
}

// TestTerminalModesRestored runs a runbook that leaves the terminal in the
// alternate screen, cursor hidden, wrap off, through a real pty: on a
// normal end, a failed step and Ctrl-C the user's terminal is put back,
// and the recording ends put back too, its index saying so.
func TestTerminalModesRestored(t *testing.T) {
	bin := runbookBinary(t)
	for _, c := range []struct {
		name, finish string
		code         int
	}{
		{"normal", "true", 0},
		{"failure", "false", 1},
		{"ctrl-c", `echo waiting-for""-ctrl-c; sleep 60`, 130},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "modes.lua"), []byte(modesLua), 0o644); err != nil {
				t.Fatal(err)
			}
			rec := filepath.Join(dir, "modes.ttyrec")
			con := console.New(t, 80, 24)
			cmd := exec.Command(bin, "modes.lua", "--record", rec, "--set", "finish="+c.finish)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "HOME="+dir, "TERM=xterm")
			con.Start(cmd)
			t.Cleanup(func() {
				if cmd.ProcessState == nil {
					cmd.Process.Kill()
					cmd.Wait()
				}
			})
			con.Expect("entered-modes")
			if c.code == 130 {
				con.Expect("sleep 60")
				con.Expect("waiting-for-ctrl-c")
				con.Send("\x03")
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(console.Timeout):
				t.Fatalf("runbook did not exit; it showed:\n%s", console.Strip(con.Output()))
			}
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			con.Expect("recording ") // the recap, printed after the modes are back
			if m := finalModes(con.Output()); m["1049"] || !m["25"] || !m["7"] {
				t.Errorf("the user's terminal is left with alternate screen %v, cursor shown %v, wrap %v", m["1049"], m["25"], m["7"])
			}
			data, err := os.ReadFile(rec)
			if err != nil {
				t.Fatal(err)
			}
			if m := finalModes(string(data)); m["1049"] || !m["25"] || !m["7"] {
				t.Errorf("the recording ends with alternate screen %v, cursor shown %v, wrap %v", m["1049"], m["25"], m["7"])
			}
			ix, err := recording.ReadIndex(recording.IndexPath(rec))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, mk := range ix.Markers {
				if mk.Label == "restored the terminal: alternate screen, cursor, line wrap" {
					found = true
				}
			}
			if !found {
				t.Errorf("the index does not say the terminal was restored: %+v", ix.Markers)
			}
		})
	}
}
