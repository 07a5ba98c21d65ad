package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/console"
	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/prompt"
	"github.com/runbook-dev/runbook/recording"
)

// The --step tests drive the real runbook binary through a real pty, play
// the user at the step prompt, and read back what it left: files in the
// run's directory, the recording (with ttytime too) and its index.

var (
	stepBinOnce sync.Once
	stepBin     string
	stepBinErr  error
)

// runbookBinary builds the CLI once per test process.
func runbookBinary(t *testing.T) string {
	t.Helper()
	stepBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "runbook-step-bin-")
		if err != nil {
			stepBinErr = err
			return
		}
		stepBin = filepath.Join(dir, "runbook")
		out, err := exec.Command("go", "build", "-o", stepBin, ".").CombinedOutput()
		if err != nil {
			stepBinErr = errors.New(string(out))
		}
	})
	if stepBinErr != nil {
		t.Fatalf("build runbook: %v", stepBinErr)
	}
	return stepBin
}

// stepRun is one `runbook three.lua --step` in its own directory.
type stepRun struct {
	t   *testing.T
	c   *console.Console
	dir string
	rec string
	cmd *exec.Cmd
}

func startStep(t *testing.T, env []string, args ...string) *stepRun {
	t.Helper()
	bin := runbookBinary(t)
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/step/three.lua")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "three.lua"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	r := &stepRun{t: t, c: console.New(t, 100, 30), dir: dir, rec: filepath.Join(dir, "three.ttyrec")}
	r.cmd = exec.Command(bin, append([]string{"three.lua", "--step", "--record", r.rec}, args...)...)
	r.cmd.Dir = dir
	r.cmd.Env = append(os.Environ(), "HOME="+dir, "TERM=xterm", "VISUAL=", "EDITOR=")
	r.cmd.Env = append(r.cmd.Env, env...)
	r.c.Start(r.cmd)
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
	})
	return r
}

// at waits for the prompt of step n, showing the texts in order.
func (r *stepRun) at(n int, name string, texts ...string) {
	r.t.Helper()
	r.c.Expect("step " + strconv.Itoa(n) + "/3: " + name)
	for _, s := range texts {
		r.c.Expect(s)
	}
	r.c.Expect(prompt.Keys)
}

// exit waits for the run to end and returns its exit code; the terminal
// must be back in cooked mode.
func (r *stepRun) exit() int {
	r.t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(console.Timeout):
		r.cmd.Process.Kill()
		r.t.Fatalf("runbook did not exit; it showed:\n%s", console.Strip(r.c.Output()))
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	if s := r.c.Stty(); !console.Cooked(s) {
		r.t.Errorf("runbook left the terminal raw (exit %d):\n%s", code, s)
	}
	return code
}

func (r *stepRun) exists(name string) bool {
	_, err := os.Stat(filepath.Join(r.dir, name))
	return err == nil
}

// recording reads the recording back: its bytes, its duration from the
// frames' stamps, and its index. Prompt text must never be in it.
func (r *stepRun) recording() ([]byte, time.Duration, *recording.Index) {
	r.t.Helper()
	f, err := os.Open(r.rec)
	if err != nil {
		r.t.Fatalf("recording: %v", err)
	}
	defer f.Close()
	rd := recording.NewReader(f, r.rec)
	var all bytes.Buffer
	var first, last time.Duration
	for n := 0; ; n++ {
		fr, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.t.Fatalf("recording is not valid ttyrec: %v", err)
		}
		if n == 0 {
			first = fr.Time()
		}
		last = fr.Time()
		all.Write(fr.Data)
	}
	ix, err := recording.ReadIndex(recording.IndexPath(r.rec))
	if err != nil {
		r.t.Fatalf("index: %v", err)
	}
	for _, bad := range []string{"[y]es", "[s]hell", "step 1/3", "step 2/3", "Ctrl-]", "edit>", "edited:"} {
		if bytes.Contains(all.Bytes(), []byte(bad)) {
			r.t.Errorf("prompt text %q is in the recording", bad)
		}
	}
	return all.Bytes(), last - first, ix
}

// ttytime is the peer's idea of the recording's length, in whole seconds.
func ttytime(t *testing.T, path string) int {
	t.Helper()
	testenv.Program(t, "ttytime")
	out, err := exec.Command("ttytime", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ttytime %s: %v: %s", path, err, out)
	}
	m := regexp.MustCompile(`^\s*(\d+)\s`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("ttytime %s: unexpected output %q", path, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func commandOf(ix *recording.Index, step int) recording.Command {
	for _, s := range ix.Steps {
		if s.N == step && len(s.Commands) > 0 {
			return s.Commands[len(s.Commands)-1]
		}
	}
	return recording.Command{}
}

func dumpIndex(ix *recording.Index) string {
	b, _ := json.MarshalIndent(ix, "", "  ")
	return string(b)
}

func TestStepYesSkipEdit(t *testing.T) {
	r := startStep(t, nil)
	r.at(1, "Make a", "First we make a.", "$ touch a")
	r.c.Send("y")
	r.at(2, "Make b")
	r.c.Send("n")
	r.at(3, "Make c")
	r.c.Send("e")
	r.c.Expect("edit> touch c")
	r.c.Send("-edited\r")
	r.c.Expect("edited: touch c-edited")
	r.c.Send("\r") // Enter is yes
	if code := r.exit(); code != 0 {
		t.Fatalf("exit %d; want 0; it showed:\n%s", code, console.Strip(r.c.Output()))
	}
	if !r.exists("a") || r.exists("b") || r.exists("c") || !r.exists("c-edited") {
		t.Errorf("files: a %v (want true), b %v (skipped: want false), c %v (edited away: want false), c-edited %v (want true)",
			r.exists("a"), r.exists("b"), r.exists("c"), r.exists("c-edited"))
	}
	data, _, ix := r.recording()
	if !bytes.Contains(data, []byte("touch c-edited")) {
		t.Errorf("the edited command is not in the recording")
	}
	if bytes.Contains(data, []byte("touch b")) {
		t.Errorf("the skipped command was typed into the session")
	}
	if c := commandOf(ix, 2); !c.Skipped || c.Text != "touch b" {
		t.Errorf("step 2's command in the index = %+v; want skipped \"touch b\"\n%s", c, dumpIndex(ix))
	}
	if c := commandOf(ix, 3); c.Text != "touch c-edited" || c.EditedFrom != "touch c" || c.Skipped {
		t.Errorf("step 3's command in the index = %+v; want \"touch c-edited\" edited from \"touch c\"\n%s", c, dumpIndex(ix))
	}
}

func TestStepExternalEditor(t *testing.T) {
	testenv.Program(t, "ed")
	r := startStep(t, []string{"VISUAL=ed -p '*'"})
	r.at(1, "Make a")
	r.c.Send("e")
	r.c.Expect("*")
	r.c.Send(",s/touch a/touch from-ed/\nw\nq\n")
	r.c.Expect("edited: touch from-ed")
	r.c.Send("c")
	if code := r.exit(); code != 0 {
		t.Fatalf("exit %d; it showed:\n%s", code, console.Strip(r.c.Output()))
	}
	if r.exists("a") || !r.exists("from-ed") || !r.exists("b") || !r.exists("c") {
		t.Errorf("files: a %v, from-ed %v, b %v, c %v; want false, true, true, true", r.exists("a"), r.exists("from-ed"), r.exists("b"), r.exists("c"))
	}
	_, _, ix := r.recording()
	var editor bool
	for _, p := range ix.Pauses {
		editor = editor || p.Reason == "editor"
	}
	if !editor {
		t.Errorf("no editor pause in the index:\n%s", dumpIndex(ix))
	}
}

func TestStepShellAndContinue(t *testing.T) {
	r := startStep(t, nil)
	r.at(1, "Make a")
	r.c.Send("s")
	r.c.Expect("Ctrl-] returns to the step prompt")
	r.c.Send("echo typed-in-shell-$((6*7)) | tee d\r")
	r.c.Expect("typed-in-shell-42")
	r.c.Resize(90, 20) // forwarded to the session's terminal
	time.Sleep(200 * time.Millisecond)
	r.c.Send("stty size\r")
	r.c.Expect("20 90")
	r.c.Send("\x1d")
	r.at(1, "Make a") // the same command again
	r.c.Send("c")     // this one and the rest, without asking
	if code := r.exit(); code != 0 {
		t.Fatalf("exit %d; it showed:\n%s", code, console.Strip(r.c.Output()))
	}
	if n := strings.Count(console.Strip(r.c.Output()), prompt.Keys); n != 2 {
		t.Errorf("prompted %d times; want 2 (before and after the shell), none after c", n)
	}
	for _, f := range []string{"a", "b", "c", "d"} {
		if !r.exists(f) {
			t.Errorf("%s was not made; the run showed:\n%s", f, console.Strip(r.c.Output()))
		}
	}
	data, _, _ := r.recording()
	for _, want := range []string{"echo typed-in-shell-$((6*7)) | tee d", "typed-in-shell-42", "20 90"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the hand-over's %q is not in the recording", want)
		}
	}
}

func TestStepQuit(t *testing.T) {
	for _, key := range []string{"q", "\x03"} {
		t.Run(strconv.Quote(key), func(t *testing.T) {
			r := startStep(t, nil)
			r.at(1, "Make a")
			r.c.Send("y")
			r.at(2, "Make b")
			r.c.Send(key)
			if code := r.exit(); code != 130 {
				t.Fatalf("exit %d; want 130; it showed:\n%s", code, console.Strip(r.c.Output()))
			}
			if !r.exists("a") || r.exists("b") || r.exists("c") {
				t.Errorf("files: a %v, b %v, c %v; want only a", r.exists("a"), r.exists("b"), r.exists("c"))
			}
			data, _, ix := r.recording()
			if !bytes.Contains(data, []byte("touch a")) {
				t.Errorf("the recording lost step 1")
			}
			if ix.Stopped == nil {
				t.Errorf("the index does not say the run stopped:\n%s", dumpIndex(ix))
			}
		})
	}
}

// TestStepWaitIsCut waits 5 s at a prompt: the recording must not grow
// by it. This is a property of the recording, not a timing of the test.
func TestStepWaitIsCut(t *testing.T) {
	r := startStep(t, nil)
	r.at(1, "Make a")
	time.Sleep(5 * time.Second)
	r.c.Send("y")
	r.at(2, "Make b")
	r.c.Send("c")
	if code := r.exit(); code != 0 {
		t.Fatalf("exit %d; it showed:\n%s", code, console.Strip(r.c.Output()))
	}
	_, dur, ix := r.recording()
	if dur >= time.Second {
		t.Errorf("recording lasts %v; the 5 s at the prompt should not be in it", dur)
	}
	t.Logf("recording lasts %v (first to last frame); ttytime %d s", dur, ttytime(t, r.rec))
	// ttytime subtracts whole seconds of the first and last frames'
	// stamps: a recording under a second long that spans a second's
	// boundary reads 1; the 5 s wait would read 5 or more.
	if n := ttytime(t, r.rec); n > 1 {
		t.Errorf("ttytime says %d s; want 0 or 1", n)
	}
	var cut recording.Seconds
	for _, p := range ix.Pauses {
		if p.Reason == "prompt" {
			cut += p.Cut
		}
	}
	t.Logf("index: %.3f s cut at prompts; pauses %+v", float64(cut), ix.Pauses)
	if cut < 5 {
		t.Errorf("the index lists %.3f s cut at prompts; want at least 5:\n%s", float64(cut), dumpIndex(ix))
	}
	for _, s := range ix.Steps {
		if s.End >= 1 {
			t.Errorf("step %d ends at %.3f s on the recording's timeline", s.N, float64(s.End))
		}
	}
}

func TestStepUsage(t *testing.T) {
	bin := runbookBinary(t)
	dir := t.TempDir()
	src, _ := os.ReadFile("testdata/step/three.lua")
	os.WriteFile(filepath.Join(dir, "three.lua"), src, 0o644)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run() // stdin is /dev/null: no terminal
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	code, out := run("three.lua", "--step")
	if code != 2 || !strings.Contains(out, "--step") || !strings.Contains(out, "terminal") {
		t.Errorf("--step without a terminal: exit %d, %q; want 2 and a message about the terminal", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Errorf("--step without a terminal ran the runbook")
	}
	code, out = run("run", "--help")
	if code != 0 || !strings.Contains(out, "--step") {
		t.Errorf("run --help: exit %d; want 0 and --step documented:\n%s", code, out)
	}
}

// TestStepShellHandBack leaves the shell busy, then with a half-typed
// line: the runbook's commands must still run exactly, each waited for.
func TestStepShellHandBack(t *testing.T) {
	r := startStep(t, nil)
	r.at(1, "Make a")
	r.c.Send("s")
	r.c.Expect("Ctrl-] returns to the step prompt")
	r.c.Send("sleep 3; touch late\r\x1d")
	r.c.Expect("the shell is still busy")
	r.c.Send("\x1d")
	r.at(1, "Make a")
	r.c.Send("s")
	r.c.Expect("Ctrl-] returns to the step prompt")
	r.c.Send("touch half")
	r.c.Expect("touch half")
	r.c.Send("\x1d")
	r.at(1, "Make a")
	r.c.Send("c")
	if code := r.exit(); code != 0 {
		t.Fatalf("exit %d; it showed:\n%s", code, console.Strip(r.c.Output()))
	}
	for f, want := range map[string]bool{"late": true, "a": true, "b": true, "c": true, "half": false, "halftouch": false} {
		if r.exists(f) != want {
			t.Errorf("file %s exists: %v, want %v; the run showed:\n%s", f, !want, want, console.Strip(r.c.Output()))
		}
	}
	_, _, ix := r.recording()
	for n := 1; n <= 3; n++ {
		if c := commandOf(ix, n); c.Exit != 0 || c.End < c.Start || c.Skipped {
			t.Errorf("step %d: %+v", n, c)
		}
	}
}

// TestStepShellIdleLimit: time in the shell is kept, but pauses there
// longer than --idle-limit are shortened like any other.
func TestStepShellIdleLimit(t *testing.T) {
	r := startStep(t, nil, "--idle-limit", "300ms")
	r.at(1, "Make a")
	r.c.Send("s")
	r.c.Expect("Ctrl-] returns to the step prompt")
	r.c.Send("echo before-idle\r")
	r.c.Expect("before-idle")
	time.Sleep(2 * time.Second) // the user reads something
	r.c.Send("echo after-idle\r")
	r.c.Expect("after-idle")
	r.c.Send("\x1d")
	r.at(1, "Make a")
	r.c.Send("c")
	if code := r.exit(); code != 0 {
		t.Fatalf("exit %d; it showed:\n%s", code, console.Strip(r.c.Output()))
	}
	data, dur, ix := r.recording()
	if !bytes.Contains(data, []byte("after-idle")) {
		t.Errorf("the shell's output is not in the recording")
	}
	var idle recording.Seconds
	for _, p := range ix.Pauses {
		if p.Reason == "idle" {
			idle += p.Cut
		}
	}
	if idle < 1.5 {
		t.Errorf("idle time cut: %.3f s; want the 2 s pause in the shell shortened to 0.3 s\n%s", float64(idle), dumpIndex(ix))
	}
	if dur >= 2*time.Second {
		t.Errorf("recording lasts %v: the idle pause was kept", dur)
	}
}

// TestStepShellExits: the user ends the session's shell during the
// hand-over, as a dropped connection would: the run stops with an error,
// the recording stays valid, and the terminal is restored.
func TestStepShellExits(t *testing.T) {
	r := startStep(t, nil)
	r.at(1, "Make a")
	r.c.Send("s")
	r.c.Expect("Ctrl-] returns to the step prompt")
	r.c.Send("exit\r")
	code := r.exit()
	if code == 0 || code == 2 {
		t.Errorf("exit %d after the shell ended; want a failure", code)
	}
	r.c.Expect("session ended")
	if r.exists("a") {
		t.Errorf("the run went on after the session ended")
	}
	r.recording()
}

func TestStepSeveralHosts(t *testing.T) {
	r := startStep(t, nil, "--host", "alpha,beta")
	if code := r.exit(); code != 2 {
		t.Errorf("--step with two hosts: exit %d; want 2", code)
	}
	r.c.Expect("--step asks about one host's commands at a time")
}

// TestStepStdlibOp: a stdlib operation is asked about like a command,
// after its diff; skipping it leaves the file alone and says so in the index.
func TestStepStdlibOp(t *testing.T) {
	for _, key := range []string{"n", "y"} {
		t.Run(key, func(t *testing.T) {
			bin := runbookBinary(t)
			dir := t.TempDir()
			src, err := os.ReadFile("testdata/step/op.lua")
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "op.lua"), src, 0o644)
			rec := filepath.Join(dir, "op.ttyrec")
			c := console.New(t, 100, 30)
			cmd := exec.Command(bin, "op.lua", "--step", "--record", rec, "--set", "dir="+dir)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "HOME="+dir, "TERM=xterm", "VISUAL=", "EDITOR=")
			c.Start(cmd)
			r := &stepRun{t: t, c: c, dir: dir, rec: rec, cmd: cmd}
			c.Expect("step 1/1: Write the config")
			c.Expect("file.write " + dir + "/conf.txt")
			c.Expect("would type: cat > ")
			c.Expect("+++ " + dir + "/conf.txt")
			c.Expect("+answer=42")
			c.Expect(prompt.Keys)
			c.Send(key)
			if code := r.exit(); code != 0 {
				t.Fatalf("exit %d; it showed:\n%s", code, console.Strip(c.Output()))
			}
			if r.exists("conf.txt") != (key == "y") {
				t.Errorf("%s: conf.txt exists: %v; the run showed:\n%s", key, r.exists("conf.txt"), console.Strip(c.Output()))
			}
			_, _, ix := r.recording()
			cm := commandOf(ix, 1)
			if cm.Op != "file.write" || cm.Skipped != (key == "n") {
				t.Errorf("%s: index command %+v\n%s", key, cm, dumpIndex(ix))
			}
		})
	}
}

// Keys typed before a prompt shows never answer it: y Enter answers the
// first prompt, and the Enter is dropped, not taken as yes to the next.
func TestStepTypeaheadDoesNotAnswer(t *testing.T) {
	r := startStep(t, nil)
	r.at(1, "Make a")
	r.c.Send("y\r")
	r.at(2, "Make b")
	r.c.Send("n")
	r.at(3, "Make c")
	r.c.Send("y")
	if code := r.exit(); code != 0 {
		t.Fatalf("exit %d; it showed:\n%s", code, console.Strip(r.c.Output()))
	}
	if !r.exists("a") || r.exists("b") || !r.exists("c") {
		t.Errorf("files a %v b %v c %v; want a and c, not b (the Enter typed ahead ran it)", r.exists("a"), r.exists("b"), r.exists("c"))
	}
}

// Quitting at the prompt is reported as quit: exit 130, the step's status
// "quit" (not failed), the recap and the index saying so.
func TestStepQuitIsReportedAsQuit(t *testing.T) {
	r := startStep(t, nil)
	r.at(1, "Make a")
	r.c.Send("y")
	r.at(2, "Make b")
	r.c.Send("q")
	r.c.Expect(`stopped: quit at the step prompt in step 2 "Make b"`)
	if code := r.exit(); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	out := console.Strip(r.c.Output())
	if strings.Contains(out, "1 failed") {
		t.Errorf("the recap counts the quit step as failed:\n%s", out)
	}
	_, _, ix := r.recording()
	if len(ix.Steps) != 2 || ix.Steps[1].Status != recording.StatusQuit {
		t.Errorf("index steps %+v; want step 2 quit\n%s", ix.Steps, dumpIndex(ix))
	}
	if ix.Stopped == nil || !strings.Contains(ix.Stopped.Reason, "quit at the step prompt") {
		t.Errorf("index stopped %+v", ix.Stopped)
	}
}
