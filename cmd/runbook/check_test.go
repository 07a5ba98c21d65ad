package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/internal/console"
)

// A recording made with --step where the user skipped one command (n) and
// edited another (e) checks clean against its runbook: the skip and the
// edit are notes naming the step, never failures.
func TestCheckStepSkippedAndEdited(t *testing.T) {
	r := startStep(t, nil)
	r.at(1, "Make a", "$ touch a")
	r.c.Send("y")
	r.at(2, "Make b")
	r.c.Send("n")
	r.at(3, "Make c")
	r.c.Send("e")
	r.c.Expect("edit> touch c")
	r.c.Send("-edited\r")
	r.c.Expect("edited: touch c-edited")
	r.c.Send("y")
	if code := r.exit(); code != 0 {
		t.Fatalf("step run: exit %d; it showed:\n%s", code, console.Strip(r.c.Output()))
	}
	check := func(args ...string) (string, int) {
		cmd := exec.Command(runbookBinary(t), append([]string{"check", r.rec, "--runbook", "three.lua"}, args...)...)
		cmd.Dir = r.dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), 0
	}
	if out, code := check("--update"); code != 0 {
		t.Fatalf("check --update: exit %d\n%s", code, out)
	}
	out, code := check()
	if code != 0 {
		t.Fatalf("check: exit %d, want 0\n%s", code, out)
	}
	for _, want := range []string{
		"note: step 2 \"Make b\": skipped: `touch b` skipped on purpose: not run when recorded\n",
		"note: step 3 \"Make c\": edited: `touch c-edited` ran, edited at the step prompt from the runbook's `touch c`\n",
		"ok ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("check failed a skip or an edit:\n%s", out)
	}
}
