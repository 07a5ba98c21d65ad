package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runbooks"
)

// mutation is one edit of a runbook: old (found exactly once) becomes new.
// step is the step check must call stale, 0 when the edit types the same
// commands and check must pass.
type mutation struct {
	name     string
	old, new string
	step     int
}

// demoMutations edit runbooks/demo.lua: every one that changes a command
// typed must be caught naming its step, every one that does not must pass.
var demoMutations = []mutation{
	// Typed commands change.
	{"string literal", `"wc -l notes.txt"`, `"wc -w notes.txt"`, 2},
	{"parameter default", `default = "hello"`, `default = "hullo"`, 1},
	{"concatenation", `"echo " .. params.greeting .. ", $(whoami)"`, `"echo " .. params.greeting .. "! $(whoami)"`, 1},
	{"template", `sh("echo \"$DEMO_TOKEN\"")`, `sh(string.format("echo %q", "$DEMO_TOKEN!"))`, 3},
	{"helper's literal", `step("Say hello", function()`, "local function greet(who) return \"echo goodbye-\" .. who end\nstep(\"Say hello\", function()\n  sh(greet(\"x\"))", 1},
	{"option typed (cwd)", `sh("ls -l ready")`, `sh("ls -l ready", { cwd = "/tmp" })`, 4},
	{"option typed (env)", `sh("sleep 0.3; echo done", { timeout = 10 })`, `sh("sleep 0.3; echo done", { timeout = 10, env = { X = "1" } })`, 4},
	{"drop a command", "  sh(\"wc -l notes.txt\")\n", "", 2},
	{"add a command", "  sh(\"ls -l ready\")\n", "  sh(\"ls -l ready\")\n  sh(\"pwd\")\n", 4},
	{"swap two commands", "  sh(\"cat notes.txt\", { expect = \"exactly as written\" })\n  sh(\"wc -l notes.txt\")\n",
		"  sh(\"wc -l notes.txt\")\n  sh(\"cat notes.txt\", { expect = \"exactly as written\" })\n", 2},
	{"heredoc text", "\ttabs stay tabs", "\ttabs stay tabs!", 2},
	{"last step's command", `ended at $(date -u +%H:%M:%S)`, `ended at $(date +%H:%M)`, 5},
	{"printf format", `'the token has %d characters\n'`, `'the token has %s characters\n'`, 3},
	{"a step typed no more", "  sh('cd / && rm -rf -- \"${DEMO_DIR:?is not set: run step 2 first}\"')\n", "", 5},
	{"condition on output", "if r.exit == 0 then", "if r.exit == 0 then sh(\"id -u\")", 1},
	{"retries", `{ retries = 2, delay = 0.2 }`, `{ retries = 0, delay = 0.2 }`, 4},
	{"skip a step", `step("Keep a secret", function()`, "step(\"Keep a secret\", function()\n  skip(\"not today\")", 3},
	// The same commands typed.
	{"comment", `comment("Comments become the narration of the guide.")`, `comment("Comments are the guide's narration.")`, 0},
	{"rename a local", "local r = sh(\"grep -c '^root:' /etc/passwd\", { ok = {0, 1} })\n  if r.exit == 0 then",
		"local res = sh(\"grep -c '^root:' /etc/passwd\", { ok = {0, 1} })\n  local r = res\n  if res.exit == 0 then", 0},
	{"reformat", `sh("ls -l ready")`, "sh(\n    \"ls -l ready\"\n  )", 0},
	{"refactor into a helper", `step("Say hello", function()`, "local function echo(s) return \"echo \" .. s end\nstep(\"Say hello\", function()", 0},
	{"template, same text", `sh("echo " .. params.greeting .. ", $(whoami)")`, `sh(string.format("echo %s, $(whoami)", params.greeting))`, 0},
	{"reorder declarations", "    greeting = { default = \"hello\", doc = \"what to say\" },\n", "", 0},
	{"timeout", `{ timeout = 10 }`, `{ timeout = 20 }`, 0},
	{"ok statuses", `{ ok = {0, 1} }`, `{ ok = {0, 1, 2} }`, 0},
	{"expect text", `{ expect = "exactly as written" }`, `{ expect = "exactly" }`, 0},
	{"description", `Shows the parts of a runbook`, `Shows every part of a runbook`, 0},
	{"Lua comment", "-- A small runbook", "-- A tiny runbook", 0},
}

func init() {
	// "reorder declarations" moves greeting after token.
	for i, m := range demoMutations {
		if m.name == "reorder declarations" {
			demoMutations[i].old = "    greeting = { default = \"hello\", doc = \"what to say\" },\n    token    = { default = \"s3cr3t-demo-token\", secret = true, env = \"DEMO_TOKEN\",\n                 doc = \"a secret: masked as **** wherever it would show\" },\n"
			demoMutations[i].new = "    token    = { default = \"s3cr3t-demo-token\", secret = true, env = \"DEMO_TOKEN\",\n                 doc = \"a secret: masked as **** wherever it would show\" },\n    greeting = { default = \"hello\", doc = \"what to say\" },\n"
		}
	}
}

// TestReplayMutationsDemo records the demo here and now, then checks the
// recording against each mutation of its runbook: 100% of the mutations
// that change a typed command caught, naming the step; no false alarm.
func TestReplayMutationsDemo(t *testing.T) {
	_, src, ok := runbooks.Lookup("demo")
	if !ok {
		t.Fatal("no built-in demo runbook")
	}
	dir := t.TempDir()
	rb := filepath.Join(dir, "demo.lua")
	rec := filepath.Join(dir, "demo.ttyrec")
	if err := os.WriteFile(rb, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runMain(t, "run", rb, "--record", rec, "-q", "--idle-limit", "2s"); code != 0 {
		t.Fatalf("run demo: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runMain(t, "check", rec, "--runbook", rb, "--update"); code != 0 {
		t.Fatalf("check of the demo's own recording: exit %d\n%s%s", code, out, errs)
	}
	stale := regexp.MustCompile(`FAIL step (\d+) "[^"]*": stale: `)
	caught, typed, falseAlarms, same := 0, 0, 0, 0
	for _, m := range demoMutations {
		if strings.Count(string(src), m.old) != 1 {
			t.Errorf("%s: %q is not in demo.lua exactly once", m.name, m.old)
			continue
		}
		if err := os.WriteFile(rb, []byte(strings.Replace(string(src), m.old, m.new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runMain(t, "check", rec, "--runbook", rb)
		got := 0
		if sm := stale.FindStringSubmatch(out); sm != nil {
			got = int(sm[1][0] - '0')
		}
		if m.step > 0 {
			typed++
			if code == 1 && got == m.step {
				caught++
			} else {
				t.Errorf("%s: exit %d, stale step %d, want step %d stale:\n%s%s", m.name, code, got, m.step, out, errs)
			}
			continue
		}
		same++
		if code != 0 {
			falseAlarms++
			t.Errorf("%s: types the same commands, but check exits %d:\n%s%s", m.name, code, out, errs)
		}
	}
	t.Logf("demo mutations: %d/%d typed-command mutations caught, %d false alarms in %d that type the same", caught, typed, falseAlarms, same)
}
