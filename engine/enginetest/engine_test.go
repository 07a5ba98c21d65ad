package enginetest_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/engine/enginetest"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib/stdlibtest"
)

const (
	grub   = stdlibtest.Grub
	xenCfg = stdlibtest.XenCfg
)

func readFile(t *testing.T, p string) string { return stdlibtest.ReadFile(t, p) }
func writeFile(t *testing.T, p, content string, mode os.FileMode) {
	stdlibtest.WriteFile(t, p, content, mode)
}

// These tests drive real runbooks through the engine: a real bash on a
// real pty, recorded, with the stdlib acting through the engine's Host.

type engineRun struct {
	rep     *engine.Report
	err     error
	display string
	data    string // what the recording shows
	ix      *recording.Index
}

// runEngine runs src (saved as x.lua in dir) on tg, recorded, with
// --set dir=DIR.
func runEngine(t *testing.T, tg target.Target, src, dir string, dry, diff bool) engineRun {
	t.Helper()
	r := enginetest.Run(t, tg, src, dir, enginetest.Options{Set: map[string]string{"dir": dir}, DryRun: dry, Diff: diff})
	return engineRun{rep: r.Report, err: r.Err, display: r.Display, data: r.Data, ix: r.Index}
}

// guideRunbook does what the guide's Xen part does to files, on files
// under params.dir.
const guideRunbook = `runbook { name = "stdlib-guide", params = {
  dir = { doc = "where the host's files are" },
  pw = { secret = true, default = "hunter2-not-recorded" },
} }
local D = params.dir
local grub = on_change("update-grub", function()
  sh("echo update-grub >> " .. D .. "/handler.log")
end)

step("Grub defaults", function()
  file.line(D .. "/grub", {regexp = "^GRUB_CMDLINE_LINUX=", line = 'GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX"', notify = grub})
  file.line(D .. "/grub", {regexp = "^GRUB_CMDLINE_XEN_DEFAULT=",
    line = 'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin"', notify = grub})
  file.uncomment(D .. "/xen.cfg", "XEN_OVERRIDE_GRUB_DEFAULT=0", {notify = "update-grub"})
end)

step("dnsmasq for virbr1", function()
  file.mkdir(D .. "/dnsmasq/virbr1")
  file.touch(D .. "/dnsmasq/virbr1/leases")
  file.write(D .. "/dnsmasq/virbr1/hostsfile", "00:16:3e:ee:ee:01,192.168.100.254\n")
  file.write(D .. "/dnsmasq/virbr1/auth", "password=" .. params.pw .. "\n", {mode = "0600"})
end)
`

func guideFiles(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "grub"), grub, 0o644)
	writeFile(t, filepath.Join(dir, "xen.cfg"), xenCfg, 0o644)
}

// guideConverges runs the guide runbook three times on tg against dir:
// dry run, run, run again.
func guideConverges(t *testing.T, tg target.Target, dir string) {
	guideFiles(t, dir)
	wantGrub := strings.Replace(grub, `GRUB_CMDLINE_LINUX=""`, `GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX"`, 1) +
		`GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin"` + "\n"

	// Dry run: nothing changes, diffs are shown, the recap counts would-change.
	dry := runEngine(t, tg, guideRunbook, dir, true, false)
	if dry.err != nil {
		t.Fatalf("dry run: %v\n%s", dry.err, dry.display)
	}
	if got := readFile(t, filepath.Join(dir, "grub")); got != grub {
		t.Fatalf("dry run changed grub")
	}
	if _, err := os.Stat(filepath.Join(dir, "dnsmasq")); !os.IsNotExist(err) {
		t.Fatalf("dry run made the directory")
	}
	// The dry run says each operation's intent, then what would change.
	for _, want := range []string{"= " + filepath.Join(dir, "grub") + ` has the line GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin"`,
		"= directory " + filepath.Join(dir, "dnsmasq/virbr1") + " present",
		"+GRUB_CMDLINE_XEN_DEFAULT=", "-#XEN_OVERRIDE_GRUB_DEFAULT=0", "+password=****"} {
		if !strings.Contains(stripANSI(dry.display), want) {
			t.Errorf("dry run display lacks %q:\n%s", want, dry.display)
		}
	}
	if dry.rep.Changed != 2 {
		t.Errorf("dry run recap: %s", dry.rep.Recap())
	}

	// The run: every change made by a command in the recording.
	run := runEngine(t, tg, guideRunbook, dir, false, true)
	if run.err != nil {
		t.Fatalf("run: %v\n%s", run.err, run.display)
	}
	if got := readFile(t, filepath.Join(dir, "grub")); got != wantGrub {
		t.Errorf("grub:\n%s", got)
	}
	if got := readFile(t, filepath.Join(dir, "xen.cfg")); !strings.Contains(got, "\nXEN_OVERRIDE_GRUB_DEFAULT=0\n") {
		t.Errorf("xen.cfg:\n%s", got)
	}
	if got := readFile(t, filepath.Join(dir, "dnsmasq/virbr1/auth")); got != "password=hunter2-not-recorded\n" {
		t.Errorf("auth: %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "dnsmasq/virbr1/auth")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("auth mode: %v %v", fi, err)
	}
	if got := readFile(t, filepath.Join(dir, "handler.log")); got != "update-grub\n" {
		t.Errorf("handler ran %q, want once", got)
	}
	// The index keeps every operation's intent, masked.
	if its := run.ix.Steps[0].Intents; len(its) != 3 || its[0].Op != "file.line" || !strings.HasSuffix(its[0].Text, `has the line GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX" (in place of the lines matching ^GRUB_CMDLINE_LINUX=)`) {
		t.Errorf("step 1's intents: %+v", its)
	}
	for _, it := range run.ix.Steps[1].Intents {
		if strings.Contains(it.Text, "hunter2") {
			t.Errorf("an intent holds the secret: %q", it.Text)
		}
	}
	// What was typed, as the index keeps it (the terminal's echo wraps
	// long lines where the prompt leaves it).
	var typed []string
	for _, st := range run.ix.Steps {
		for _, c := range st.Commands {
			typed = append(typed, c.Text)
		}
	}
	all := strings.Join(typed, "\n")
	for _, want := range []string{"sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX=", "sed -i 's/^\\([[:space:]]*\\)#\\+", "mkdir -p ", "touch ", "/auth <<", "echo update-grub >> "} {
		if !strings.Contains(all, want) {
			t.Errorf("recording lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(run.data, "hunter2") || strings.Contains(run.display, "hunter2") {
		t.Errorf("the secret reached the recording or the display")
	}
	if run.rep.Changed != 2 || run.rep.Failed != 0 {
		t.Errorf("run recap: %s", run.rep.Recap())
	}

	// Again: nothing to do, nothing typed, the handler does not run.
	again := runEngine(t, tg, guideRunbook, dir, false, true)
	if again.err != nil {
		t.Fatalf("second run: %v\n%s", again.err, again.display)
	}
	if again.rep.Changed != 0 || again.rep.OK != 2 {
		t.Errorf("second run recap: %s", again.rep.Recap())
	}
	for _, s := range again.ix.Steps {
		if len(s.Commands) != 0 {
			t.Errorf("second run typed %+v", s.Commands)
		}
	}
	if got := readFile(t, filepath.Join(dir, "handler.log")); got != "update-grub\n" {
		t.Errorf("handler ran again: %q", got)
	}
}

// localTarget is this machine, with a HOME of the test's own: the
// session's bash sources the user's login files, and this machine's own
// must neither slow nor change what the tests see.
func localTarget(t *testing.T) target.Target {
	t.Setenv("HOME", t.TempDir())
	loc := target.NewLocal()
	t.Cleanup(func() { loc.Close() })
	return loc
}

func TestGuideLocal(t *testing.T) {
	loc := localTarget(t)
	guideConverges(t, loc, t.TempDir())
}

func TestEngineErrorNamesRunbookLine(t *testing.T) {
	loc := localTarget(t)
	dir := t.TempDir()
	src := "runbook { name = \"e\", params = { dir = {} } }\nstep(\"s\", function()\n  file.line(params.dir .. \"/grub\", {line = \"x\"})\nend)\n"
	r := runEngine(t, loc, src, dir, false, false)
	want := "x.lua:3: file.line " + dir + "/grub: no such file"
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Errorf("error %v, want %q", r.err, want)
	}
}

func stripANSI(s string) string { return enginetest.StripANSI(s) }

// TestWriteExactThroughPty: content typed into a real shell on a real pty
// arrives byte for byte, whichever way it is carried (heredoc, base64,
// staged), and a second run finds nothing to do.
func TestWriteExactThroughPty(t *testing.T) {
	loc := localTarget(t)
	dir := t.TempDir()
	contents := map[string]string{
		"tabs":      "all:\n\techo \"$HOME\" `date` \\n 'q'\n\t\tx  \n",
		"unicode":   "naïve café ☕ — 日本語\n",
		"eof":       "EOF\nEOF1\n",
		"crlf":      "dos\r\nline\r\n",
		"noeol":     "no final newline",
		"long":      strings.Repeat("x", 3000) + "\n",
		"control":   "bell\a esc\x1b[0m nul\x00\n",
		"big":       strings.Repeat("0123456789abcdef\n", 8000),
		"empty":     "",
		"backslash": "a\\\nb\\\\\n\\\n",
	}
	var src strings.Builder
	src.WriteString("runbook { name = \"w\", params = { dir = {} } }\nstep(\"write\", function()\n")
	for name, c := range contents {
		fmt.Fprintf(&src, "  file.write(params.dir .. %q, %q)\n", "/"+name, c)
	}
	src.WriteString("end)\n")
	for pass := 0; pass < 2; pass++ {
		r := runEngine(t, loc, luaQuote(src.String()), dir, false, false)
		if r.err != nil {
			t.Fatalf("pass %d: %v\n%s", pass, r.err, r.display)
		}
		for name, c := range contents {
			if got := readFile(t, filepath.Join(dir, name)); got != c {
				t.Errorf("pass %d: %s: got %q", pass, name, got)
			}
		}
		if pass == 1 && r.rep.Changed != 0 {
			t.Errorf("second pass: %s", r.rep.Recap())
		}
	}
}

// luaQuote turns Go's %q escapes that Lua 5.1 lacks (\x, \u) into
// decimal escapes.
func luaQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'x':
				v, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
				fmt.Fprintf(&b, "\\%03d", v)
				i += 3
				continue
			case 'u', 'U':
				n := 4
				if s[i+1] == 'U' {
					n = 8
				}
				v, _ := strconv.ParseUint(s[i+2:i+2+n], 16, 32)
				for _, c := range []byte(string(rune(v))) {
					fmt.Fprintf(&b, "\\%03d", c)
				}
				i += 1 + n
				continue
			default:
				b.WriteByte(s[i])
				b.WriteByte(s[i+1])
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestAnswersThroughSh: sh(cmd, {answers=}) types the replies when the
// prompts appear; a reply that is a secret parameter never reaches the
// recording or the display.
func TestAnswersThroughSh(t *testing.T) {
	loc := localTarget(t)
	src := `runbook { name = "a", params = { dir = {}, luks = { secret = true, default = "luks-Pa55phrase" } } }
step("answer", function()
  local r = sh("read -r -p 'Are you sure (type YES)? ' a; read -r -s -p 'Enter passphrase: ' p; echo; echo \"got $a\"; [ \"$p\" = luks-Pa55phrase ] && echo pass-ok",
    {answers = {["Are you sure"] = "YES", ["passphrase"] = params.luks}})
  assert(r.output:find("got YES") and r.output:find("pass%-ok"), r.output)
end)`
	r := runEngine(t, loc, src, t.TempDir(), false, false)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.display)
	}
	if strings.Contains(r.data, "luks-Pa55phrase") || strings.Contains(r.display, "luks-Pa55phrase") {
		t.Errorf("the secret answer was recorded or shown")
	}
	if !strings.Contains(r.data, "got YES") {
		t.Errorf("recording lacks the answered output")
	}
}

// TestOnChangeAtRunbookEnd: a handler declared with at="runbook" runs
// once, in the last step, however many steps notified it.
func TestOnChangeAtRunbookEnd(t *testing.T) {
	loc := localTarget(t)
	dir := t.TempDir()
	src := `runbook { name = "h", params = { dir = {} } }
local D = params.dir
local grub = on_change("update-grub", function() sh("echo ran >> " .. D .. "/log") end, {at = "runbook"})
step("one", function() file.line(D .. "/a", {line = "x", create = true, notify = grub}) end)
step("two", function() file.line(D .. "/b", {line = "y", create = true, notify = grub}) end)
step("three", function() comment("nothing to change") end)`
	r := runEngine(t, loc, src, dir, false, false)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.display)
	}
	if got := readFile(t, filepath.Join(dir, "log")); got != "ran\n" {
		t.Errorf("handler ran %q, want once", got)
	}
	if n := len(r.ix.Steps[2].Commands); n != 1 {
		t.Errorf("the last step holds %d commands, want the handler's one", n)
	}
	again := runEngine(t, loc, src, dir, false, false)
	if again.err != nil || readFile(t, filepath.Join(dir, "log")) != "ran\n" {
		t.Errorf("second run: %v, log %q", again.err, readFile(t, filepath.Join(dir, "log")))
	}
}

// countingTarget is a real target that counts its side-channel reads.
type countingTarget struct {
	target.Target
	execs int
}

func (c *countingTarget) Exec(ctx context.Context, cmd string, stdin io.Reader) (target.ExecResult, error) {
	c.execs++
	return c.Target.Exec(ctx, cmd, stdin)
}

// TestReadsOncePerRunOfEdits: on the engine (which says when commands
// run), a run of edits to one file reads it once and reads the result back
// once; a command in between makes the next operation read the file anew,
// so what the command did is seen.
func TestReadsOncePerRunOfEdits(t *testing.T) {
	ct := &countingTarget{Target: localTarget(t)}
	dir := t.TempDir()
	f := filepath.Join(dir, "f.conf")
	writeFile(t, f, "# edits\n", 0o644)
	src := `runbook { name = "r", params = { dir = {} } }
step("edits", function()
  local F = params.dir .. "/f.conf"
  for i = 1, 50 do file.line(F, {regexp = "^k" .. i .. "=", line = "k" .. i .. "=v"}) end
  sh("echo extra=1 >> " .. F)
  file.line(F, {line = "extra=1"})
  file.line(F, {line = "k1=v"})
end)`
	r := runEngine(t, ct, src, dir, false, false)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.display)
	}
	var want strings.Builder
	want.WriteString("# edits\n")
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&want, "k%d=v\n", i)
	}
	want.WriteString("extra=1\n")
	if got := readFile(t, f); got != want.String() {
		t.Fatalf("file:\n%s", got)
	}
	// identity, first read, read-back before sh, read after sh, read-back at the end: a handful, not 100.
	if ct.execs > 8 {
		t.Errorf("%d side-channel reads for 52 operations", ct.execs)
	}
	ct.execs = 0
	again := runEngine(t, ct, src, dir, false, false)
	if again.err != nil {
		t.Fatal(again.err)
	}
	if ct.execs > 4 || readFile(t, f) != want.String()+"extra=1\n" {
		t.Errorf("second run: %d reads, file:\n%s", ct.execs, readFile(t, f))
	}
}
