package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/recording"
)

const testNonce = "n0nce4tests"

type runResult struct {
	rep     *Report
	err     error
	display string
	rec     string // recording path
	frames  []recording.Frame
	data    []byte // all payloads after the size announcement
	ix      *recording.Index
}

// runSource writes src as x.lua in a temporary directory and runs it
// there with a real bash on a local pty, recorded.
func runSource(t *testing.T, ctx context.Context, src string, mod func(*Options)) runResult {
	t.Helper()
	// The user's own login files are theirs: keep tests independent of them.
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	path := filepath.Join(dir, "x.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	disp := &testenv.Buffer{}
	loc := target.NewLocal()
	defer loc.Close()
	opts := Options{
		Path: path, Source: []byte(src), Dir: dir, Target: loc,
		Record: filepath.Join(dir, "rec", "x.ttyrec"), Display: disp,
		Nonce: testNonce, Cols: 100, Rows: 30,
	}
	if mod != nil {
		mod(&opts)
	}
	rep, err := Run(ctx, opts)
	res := runResult{rep: rep, err: err, display: disp.String(), rec: opts.Record}
	if opts.Record != "" {
		res.frames, res.data = readFrames(t, opts.Record)
		ix, ierr := recording.ReadIndex(recording.IndexPath(opts.Record))
		if ierr != nil {
			t.Fatalf("index: %v", ierr)
		}
		res.ix = ix
	}
	return res
}

// readFrames reads a ttyrec whole, failing the test on any problem.
func readFrames(t *testing.T, path string) ([]recording.Frame, []byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := recording.NewReader(f, path)
	var frames []recording.Frame
	var data []byte
	for {
		fr, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if len(frames) > 0 {
			data = append(data, fr.Data...)
		}
		fr.Data = append([]byte(nil), fr.Data...)
		frames = append(frames, fr)
	}
	if probs, n := r.Problems(); n > 0 {
		t.Errorf("%s: %d problems, first %v", path, n, probs[0])
	}
	checkRecording(t, frames, data)
	return frames, data
}

// checkRecording checks what every recording must be: a size announcement
// first, stamps never going back, no frame empty, no marks.
func checkRecording(t *testing.T, frames []recording.Frame, data []byte) {
	t.Helper()
	if len(frames) == 0 || !bytes.HasPrefix(frames[0].Data, []byte("\x1b%G\x1b[8;")) {
		t.Fatalf("first frame is not the size announcement")
	}
	for i := 1; i < len(frames); i++ {
		if frames[i].Time() < frames[i-1].Time() {
			t.Errorf("frame %d goes back in time", i)
		}
		if frames[i].Len == 0 {
			t.Errorf("frame %d is empty", i)
		}
	}
	if bytes.Contains(data, []byte(testNonce)) || bytes.Contains(data, []byte("\x1b]133;")) {
		t.Errorf("a shell mark reached the recording")
	}
}

func TestRunRecordsStepsCommandsAndIndex(t *testing.T) {
	src := `
runbook { name = "t", title = "T", params = { who = { default = "world" }, n = { type = "number", default = 2 } } }
step("Greet", function()
  comment("narration here")
  local r = sh("echo hello " .. params.who)
  if r.output ~= "hello there\n" then error("output was " .. r.output) end
  sh("echo $((" .. params.n .. " * 21))", { expect = "42" })
end)
step("Persist", function()
  sh("cd /tmp && export RB_T=x")
  sh("test \"$PWD$RB_T\" = /tmpx")
end)
step("Skipper", function()
  skip("not today")
  sh("echo never")
end)
`
	res := runSource(t, context.Background(), src, func(o *Options) { o.Set = map[string]string{"who": "there"} })
	if res.err != nil {
		t.Fatalf("run: %v\n%s", res.err, res.display)
	}
	if res.rep.OK != 2 || res.rep.Skipped != 1 {
		t.Errorf("recap: %s", res.rep.Recap())
	}
	ix := res.ix
	if len(ix.Steps) != 3 || ix.Steps[2].Status != recording.StatusSkipped || ix.Steps[2].Reason != "not today" {
		t.Fatalf("index steps: %+v", ix.Steps)
	}
	if !strings.HasSuffix(ix.Steps[0].FileLine, "x.lua:3") || ix.Steps[0].SourceSHA256 == "" {
		t.Errorf("step 1 at %q", ix.Steps[0].FileLine)
	}
	if got := ix.Steps[0].Commands; len(got) != 2 || got[0].Text != "echo hello there" || got[1].Expect[0] != "42" {
		t.Errorf("commands: %+v", got)
	}
	if ix.Steps[0].Comments[0] != "narration here" || ix.Term.Cols != 100 || ix.Host != "local" || ix.Runbook.Name != "t" {
		t.Errorf("index: %+v", ix)
	}
	for _, want := range []string{"# narration here\r\n", "echo hello there\r\n", "hello there\r\n", "42\r\n"} {
		if !bytes.Contains(res.data, []byte(want)) {
			t.Errorf("recording lacks %q", want)
		}
	}
	if bytes.Contains(res.data, []byte("never")) {
		t.Errorf("a skipped step's command ran")
	}
	// Times in the index are on the recording's timeline, in order.
	last := recording.Seconds(0)
	for _, s := range ix.Steps {
		for _, c := range s.Commands {
			if c.Start < last || c.End < c.Start {
				t.Errorf("command %q times %v..%v after %v", c.Text, c.Start, c.End, last)
			}
			last = c.End
		}
	}
	if !strings.Contains(res.display, "step 2/3: Persist") {
		t.Errorf("display lacks the progress line:\n%s", res.display)
	}
}

func TestFailedStepStopsTheRun(t *testing.T) {
	src := `step("one", function() sh("true") end)
step("two", function()
  sh("echo before")
  sh("exit_code() { return 3; }; exit_code")
  sh("echo after")
end)
step("three", function() sh("echo three") end)
`
	res := runSource(t, context.Background(), src, nil)
	var sf *StepFailedError
	if !errors.As(res.err, &sf) {
		t.Fatalf("got %v, want StepFailedError", res.err)
	}
	if sf.Step != 2 || sf.Exit != 3 || !strings.HasSuffix(sf.FileLine, "x.lua:4") || sf.Recording != res.rec {
		t.Errorf("failure: %+v", sf)
	}
	if msg := sf.Error(); !strings.Contains(msg, `step 2 "two" failed`) || !strings.Contains(msg, "status 3") || !strings.Contains(msg, res.rec) {
		t.Errorf("message: %s", msg)
	}
	if bytes.Contains(res.data, []byte("after")) || bytes.Contains(res.data, []byte("three\r\n")) {
		t.Errorf("the run went on after the failure")
	}
	if res.ix.Stopped == nil || len(res.ix.Steps) != 2 || res.ix.Steps[1].Status != recording.StatusFailed {
		t.Errorf("index: stopped %+v steps %+v", res.ix.Stopped, res.ix.Steps)
	}
}

func TestShOptions(t *testing.T) {
	src := `step("opts", function()
  local r = sh("(exit 1)", { ok = {0, 1} })
  assert(r.exit == 1)
  sh("test -e f || { touch f; false; }", { retries = 2, delay = 0.05, cwd = "` + "%DIR%" + `" })
  r = sh("pwd; echo $A", { cwd = "/", env = { A = "from env" } })
  assert(r.output == "/\nfrom env\n", r.output)
  r = sh("pwd", {})
  assert(r.output ~= "/\n", "cwd leaked into the session")
  local ok, err = pcall(sh, "sleep 20", { timeout = 0.3 })
  assert(not ok and tostring(err):find("timed out"), tostring(err))
  sh("echo still alive", { expect = { "still", "alive" } })
end)`
	dir := t.TempDir()
	src = strings.ReplaceAll(src, "%DIR%", dir)
	res := runSource(t, context.Background(), src, nil)
	if res.err != nil {
		t.Fatalf("%v\n%s", res.err, res.display)
	}
	if _, err := os.Stat(filepath.Join(dir, "f")); err != nil {
		t.Errorf("retry did not run in cwd: %v", err)
	}
	if n := len(res.ix.Steps[0].Commands); n < 7 {
		t.Errorf("index has %d commands; retries are each listed", n)
	}
}

func TestLuaErrorsNameFileLineAndStep(t *testing.T) {
	cases := []struct{ src, want string }{
		{"step('a', function()\n  sh()\nend)", "x.lua:2: bad argument #1 to sh"},
		{"step('a', function()\n  local x = nil\n  x.y = 1\nend)", "x.lua:3:"},
		{"step('a', function()\n  sh('true', { bogus = 1 })\nend)", `unknown option "bogus"`},
		{"step('a', function() end\n", "x.lua"},
		{"sh('true')", "x.lua:1: sh() may only be called inside a step"},
		{"os.execute('true')", "x.lua:1:"},
		{"io.popen('true')", "x.lua:1:"},
		{"io.open('/tmp/x', 'w')", "may only read files"},
		{"runbook{ params = { p = { doc = 'needed' } } }", "parameter p is required"},
	}
	for _, c := range cases {
		res := runSource(t, context.Background(), c.src, func(o *Options) { o.Record = "" })
		var re *RunbookError
		if !errors.As(res.err, &re) || !strings.Contains(re.Error(), c.want) {
			t.Errorf("%q: got %v, want a RunbookError with %q", c.src, res.err, c.want)
			continue
		}
		if strings.Contains(c.src, "step(") && strings.Contains(c.want, ":2:") && !strings.Contains(re.Error(), `step 1 "a"`) {
			t.Errorf("%q: error does not name the step: %v", c.src, re)
		}
	}
}

func TestRequireBesideTheRunbook(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "helper.lua"), []byte("return { greet = function(n) return 'echo hi ' .. n end }"), 0o644)
	src := "local h = require('helper')\nstep('a', function() sh(h.greet('mod'), { expect = 'hi mod' }) end)"
	os.WriteFile(filepath.Join(dir, "x.lua"), []byte(src), 0o644)
	t.Setenv("HOME", t.TempDir())
	loc := target.NewLocal()
	defer loc.Close()
	_, err := Run(context.Background(), Options{Path: filepath.Join(dir, "x.lua"), Source: []byte(src), Dir: dir, Target: loc})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSecretsNeverRecorded(t *testing.T) {
	const secret = "Zq9-very-secret-Zq9"
	src := `runbook { params = { tok = { secret = true, env = "TOK" } } }
step("s", function()
  sh("echo $TOK")
  sh("echo " .. params.tok)
  sh("printf '%s' '` + secret[:6] + `'; printf '%s\\n' '` + secret[6:] + `'")
end)`
	res := runSource(t, context.Background(), src, func(o *Options) { o.Set = map[string]string{"tok": secret} })
	if res.err != nil {
		t.Fatal(res.err)
	}
	ixb, _ := os.ReadFile(recording.IndexPath(res.rec))
	for what, b := range map[string][]byte{"recording": res.data, "index": ixb, "display": []byte(res.display)} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("the secret is in the %s", what)
		}
	}
	// Typed, the secret is the variable that holds it; printed, ****.
	if c := bytes.Count(res.data, []byte("****")); c < 3 {
		t.Errorf("masked %d times, want at least 3", c)
	}
	if !bytes.Contains(res.data, []byte(`echo "${tok}"`)) {
		t.Errorf("the typed command does not refer to ${tok}:\n%q", res.data)
	}
}

func TestFromOnlyAndDryRun(t *testing.T) {
	src := `step("a", function() sh("echo A-ran") end)
step("b", function() sh("echo B-ran") end)
step("c", function()
  local r = sh("echo probe-ran", { probe = true })
  sh("echo C-ran")
end)`
	res := runSource(t, context.Background(), src, func(o *Options) { o.From = "b" })
	if bytes.Contains(res.data, []byte("A-ran\r\n")) || !bytes.Contains(res.data, []byte("B-ran\r\n")) {
		t.Errorf("--from b ran the wrong steps")
	}
	res = runSource(t, context.Background(), src, func(o *Options) { o.Only = []string{"3"}; o.DryRun = true })
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !bytes.Contains(res.data, []byte("probe-ran\r\n")) || bytes.Contains(res.data, []byte("C-ran\r\n")) {
		t.Errorf("dry run: probes run, changes do not: %q", res.data)
	}
	if !strings.Contains(res.display, "would run: echo C-ran") {
		t.Errorf("dry run does not say what it would run: %q", res.display)
	}
	res = runSource(t, context.Background(), src, func(o *Options) { o.Only = []string{"nope"}; o.Record = "" })
	if res.err == nil || !strings.Contains(res.err.Error(), `--only "nope": no such step`) {
		t.Errorf("got %v", res.err)
	}
}

// cancelOn is a display that cancels when text has been shown.
type cancelOn struct {
	testenv.Buffer
	text   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if strings.Contains(c.Buffer.String(), c.text) {
		c.cancel()
	}
	return n, err
}

func TestInterruptedRunLeavesValidRecording(t *testing.T) {
	src := `step("long", function() sh("echo started; sleep 30") end)
step("never", function() sh("echo never") end)`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Interrupted once the command has started, however long the
	// session takes to start.
	started := &cancelOn{text: "started\r\n", cancel: cancel}
	res := runSource(t, ctx, src, func(o *Options) { o.Display = started })
	var ie *InterruptedError
	if !errors.As(res.err, &ie) {
		t.Fatalf("got %v, want InterruptedError", res.err)
	}
	if !bytes.Contains(res.data, []byte("started")) || !bytes.Contains(res.data, []byte("^C")) {
		t.Errorf("recording lacks the command or its interruption: %q", res.data)
	}
	if res.ix.Stopped == nil || res.ix.Stopped.Reason != "interrupted" {
		t.Errorf("index stopped: %+v", res.ix.Stopped)
	}
}

func TestBeforeCommandHook(t *testing.T) {
	src := `step("a", function()
  sh("echo one")
  sh("echo two")
  sh("echo three")
end)`
	var seen []string
	res := runSource(t, context.Background(), src, func(o *Options) {
		o.BeforeCommand = func(ctx context.Context, c *PendingCommand) error {
			seen = append(seen, c.Text)
			switch c.Text {
			case "echo two":
				c.Skip = true
			case "echo three":
				c.Text = "echo edited"
			}
			return nil
		}
	})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(seen) != 3 || bytes.Contains(res.data, []byte("two\r\n")) || !bytes.Contains(res.data, []byte("edited\r\n")) {
		t.Errorf("hook: seen %q; recording %q", seen, res.data)
	}
	cmds := res.ix.Steps[0].Commands
	if !cmds[1].Skipped || cmds[2].EditedFrom != "echo three" || cmds[2].Text != "echo edited" {
		t.Errorf("index: %+v", cmds)
	}
}

func TestPlanListsCommands(t *testing.T) {
	src := `runbook { params = { pkg = { default = "curl" } } }
step("install", function()
  comment("get it")
  sh("apt-get install -y " .. params.pkg)
  sh("echo literal")
end)`
	rb, plan, err := Plan(context.Background(), Options{Path: "x.lua", Source: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Params[0].Name != "pkg" || len(plan) != 1 || len(plan[0].Items) != 3 {
		t.Fatalf("plan: %+v", plan)
	}
	it := plan[0].Items
	if it[0].Comment != "get it" || it[1].Command != "apt-get install -y curl" || !it[1].Computed || it[2].Computed {
		t.Errorf("items: %+v", it)
	}
}

// A listing stops where a step reads the host, and says where (file.read
// and file.exists answer as on a fresh host: nil and false).
func TestPlanStopsWhereTheHostIsRead(t *testing.T) {
	src := `step("read", function()
  sh("echo before")
  local f = apt.installed("curl")
  sh("echo after " .. tostring(f))
end)`
	_, plan, err := Plan(context.Background(), Options{Path: "x.lua", Source: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || len(plan[0].Items) != 1 {
		t.Fatalf("plan: %+v", plan)
	}
	if got, want := plan[0].Stopped, "it reads the host's state at x.lua:3: apt.installed curl"; got != want {
		t.Errorf("Stopped = %q, want %q", got, want)
	}
}

// TestParamTypeFromDefault: a parameter declared without a type takes its
// default's, so that `default = false` is false in Lua, not the string
// "false" (which is true); --set converts by that type.
func TestParamTypeFromDefault(t *testing.T) {
	src := `
runbook { name = "t", params = { flag = { default = false }, n = { default = 3 }, bare = true, s = { default = "x" } } }
step("Types", function()
  if params.flag ~= false then error("flag: " .. type(params.flag) .. " " .. tostring(params.flag)) end
  if params.n ~= 4 then error("n: " .. type(params.n) .. " " .. tostring(params.n)) end
  if params.bare ~= false then error("bare: " .. type(params.bare) .. " " .. tostring(params.bare)) end
  if params.s ~= "x" then error("s: " .. type(params.s)) end
end)
`
	res := runSource(t, context.Background(), src, func(o *Options) { o.Set = map[string]string{"n": "4", "bare": "no"} })
	if res.err != nil {
		t.Fatalf("run: %v\n%s", res.err, res.display)
	}
	res = runSource(t, context.Background(), src, func(o *Options) { o.Set, o.Record = map[string]string{"flag": "maybe"}, "" })
	if res.err == nil || !strings.Contains(res.err.Error(), "parameter flag is a bool") {
		t.Errorf("flag=maybe: %v", res.err)
	}
}
