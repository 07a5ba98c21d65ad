package main

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/runbook-dev/runbook/internal/shared"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/console"
	"github.com/runbook-dev/runbook/recording"
)

// The play tests run the real runbook binary on a real pty: the user's
// keys go through the terminal's line discipline in raw mode, as typed.

// playRun is one `runbook play ...` on a console.
type playRun struct {
	t   *testing.T
	c   *console.Console
	cmd *exec.Cmd
}

func startPlay(t *testing.T, dir string, args ...string) *playRun {
	t.Helper()
	r := &playRun{t: t, c: console.New(t, 100, 30)}
	r.cmd = exec.Command(runbookBinary(t), append([]string{"play"}, args...)...)
	r.cmd.Dir = dir
	r.cmd.Env = append(os.Environ(), "HOME="+dir, "TERM=xterm")
	r.c.Start(r.cmd)
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
	})
	return r
}

// exit waits for play to end, checks the terminal is cooked again, and
// returns the exit code.
func (r *playRun) exit() int {
	r.t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(console.Timeout):
		r.cmd.Process.Kill()
		r.t.Fatalf("runbook play did not exit; it showed:\n%s", console.Strip(r.c.Output()))
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	if s := r.c.Stty(); !console.Cooked(s) {
		r.t.Errorf("runbook play left the terminal raw (exit %d):\n%s", code, s)
	}
	return code
}

// waitRaw waits until the raw output (escape sequences kept) has s after
// offset from, and returns the offset just past it.
func (r *playRun) waitRaw(from int, s string) int {
	r.t.Helper()
	deadline := time.Now().Add(console.Timeout)
	for {
		out := r.c.Output()
		if i := strings.Index(out[min(from, len(out)):], s); i >= 0 {
			return from + i + len(s)
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("not seen %q; received after offset %d:\n%q", s, from, out[min(from, len(out)):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recordThree records testdata/step/three.lua in dir with a real shell
// (no --step) and returns the recording's path and index.
func recordThree(t *testing.T, dir string) (string, *recording.Index) {
	t.Helper()
	src, err := os.ReadFile("testdata/step/three.lua")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "three.lua"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "three.ttyrec")
	cmd := exec.Command(runbookBinary(t), "three.lua", "--record", rec, "-q", "--cols", "80", "--rows", "24")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "TERM=xterm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("record three.lua: %v\n%s", err, out)
	}
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Steps) != 3 {
		t.Fatalf("index has %d steps:\n%s", len(ix.Steps), dumpIndex(ix))
	}
	return rec, ix
}

// stretchBytes is the output recorded while step n's command ran.
func stretchBytes(t *testing.T, rec string, ix *recording.Index, n int) []byte {
	t.Helper()
	c := commandOf(ix, n)
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := recording.NewReader(f, rec)
	var first time.Duration
	var out bytes.Buffer
	for i := 0; ; i++ {
		fr, err := rd.Next()
		if err != nil {
			break
		}
		if i == 0 {
			first = fr.Time()
		}
		at := fr.Time() - first
		if at >= c.Start.Duration().Round(time.Microsecond) && at <= c.End.Duration().Round(time.Microsecond) {
			out.Write(fr.Data)
		}
	}
	if out.Len() == 0 {
		t.Fatalf("step %d's command %q has no output in the recording", n, c.Text)
	}
	return out.Bytes()
}

func TestPlayStepYesSkipQuit(t *testing.T) {
	dir := t.TempDir()
	rec, ix := recordThree(t, dir)
	r := startPlay(t, dir, filepath.Base(rec), "--step")
	r.c.Expect("step 1/3: Make a")
	r.c.Expect("First we make a.")
	r.c.Expect("$ touch a")
	r.c.Expect("[y]es  [n]o/skip  [c]ontinue  [q]uit  [?]")
	if out := console.Strip(r.c.Output()); strings.Contains(out, "[e]dit") || strings.Contains(out, "[s]hell") {
		t.Errorf("play --step offers edit or shell:\n%s", out)
	}
	// e is not offered: it rings the bell and the prompt stays.
	r.c.Send("e")
	r.c.Send("y")
	afterYes := r.waitRaw(0, "yes\r\n")
	r.c.Expect("step 2/3: Make b")
	if got := r.c.Output()[afterYes:]; !strings.Contains(got, string(stretchBytes(t, rec, ix, 1))) {
		t.Errorf("y did not play step 1's stretch %q; shown:\n%q", stretchBytes(t, rec, ix, 1), got)
	}
	r.c.Expect("$ touch b")
	r.c.Send("n")
	afterSkip := r.waitRaw(afterYes, "skip\r\n")
	r.c.Expect("step 3/3: Make c")
	if got := r.c.Output()[afterSkip:]; strings.Contains(got, string(stretchBytes(t, rec, ix, 2))) {
		t.Errorf("n played step 2's stretch anyway:\n%q", got)
	}
	r.c.Send("q")
	if code := r.exit(); code != 130 {
		t.Errorf("q: exit %d, want 130", code)
	}
}

func TestPlayStepContinue(t *testing.T) {
	dir := t.TempDir()
	rec, ix := recordThree(t, dir)
	r := startPlay(t, dir, filepath.Base(rec), "--step", "--speed", "4")
	r.c.Expect("step 1/3: Make a")
	r.c.Send("c")
	from := r.waitRaw(0, "continue\r\n")
	if code := r.exit(); code != 0 {
		t.Errorf("c: exit %d, want 0", code)
	}
	got := r.c.Output()[from:]
	for n := 1; n <= 3; n++ {
		if !strings.Contains(got, string(stretchBytes(t, rec, ix, n))) {
			t.Errorf("c did not play step %d's stretch", n)
		}
	}
	if strings.Contains(console.Strip(got), "step 2/3") {
		t.Errorf("c asked again:\n%s", console.Strip(got))
	}
}

// Without an index, play --step goes burst by burst of output.
func TestPlayStepWithoutIndex(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join(shared.Need(t), "corpus", "ttyrec.ttyrec"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := startPlay(t, dir, abs, "--step")
	m := r.c.ExpectRe(`step 1/(\d+): `)
	r.c.Expect("[y]es  [n]o/skip  [c]ontinue  [q]uit  [?]")
	r.c.Send("n")
	r.c.Expect("step 2/" + m[1] + ": ")
	r.c.Send("\x03") // Ctrl-C quits like q
	if code := r.exit(); code != 130 {
		t.Errorf("Ctrl-C: exit %d, want 130", code)
	}
}

func TestPlayStepNeedsTerminal(t *testing.T) {
	dir := t.TempDir()
	rec, _ := recordThree(t, dir)
	cmd := exec.Command(runbookBinary(t), "play", rec, "--step")
	cmd.Stdin = nil // /dev/null
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "needs a terminal") {
		t.Errorf("play --step without a terminal: %v\n%s", err, out)
	}
}

// tickRecording writes a ttyrec that prints "tick N" at N seconds for
// 0..n-1, with an index of three steps of n/3 seconds each.
func tickRecording(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "ticks.ttyrec")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := recording.NewEventWriter(f, "ttyrec", recording.Header{Cols: 40, Rows: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.WriteEvent(recording.Event{Time: time.Duration(i) * time.Second, Kind: recording.Output,
			Data: []byte(fmt.Sprintf("tick %d\r\n", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ix := &recording.Index{Term: recording.Term{Cols: 40, Rows: 10}}
	third := n / 3
	for s := 0; s < 3; s++ {
		ix.Steps = append(ix.Steps, recording.Step{N: s + 1, Name: fmt.Sprintf("part %d", s+1), Status: "ok",
			Start: recording.Seconds(s * third), End: recording.Seconds((s + 1) * third)})
	}
	if err := recording.WriteIndex(recording.IndexPath(path), ix); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every key of the player, typed on a real terminal: the status notes go
// to the window title, seeks redraw the screen there.
func TestPlayKeysOnTerminal(t *testing.T) {
	dir := t.TempDir()
	rec := tickRecording(t, dir, 60)
	r := startPlay(t, dir, filepath.Base(rec))
	title := func(s string) string { return "\x1b]2;runbook play: " + s + "\x07" }
	at := r.waitRaw(0, "tick 0")
	r.c.Send(" ")
	at = r.waitRaw(at, title("paused"))
	// . shows the next frame while paused.
	r.c.Send(".")
	at = r.waitRaw(at, "tick ")
	// ] jumps to step 2 (20 s): the screen there is redrawn.
	r.c.Send("]")
	at = r.waitRaw(at, title("step 2 part 2"))
	r.c.Send("[")
	at = r.waitRaw(at, title("step 1 part 1"))
	r.c.Send("]")
	at = r.waitRaw(at, title("step 2 part 2"))
	// → 5 s forward: 25 s, still step 2; three more: 40 s, step 3;
	// ← twice: 30 s, step 2 again, the screen redrawn up to tick 30.
	r.c.Send("\x1b[C")
	at = r.waitRaw(at, title("step 2 part 2"))
	r.c.Send("\x1b[C\x1b[C\x1b[C")
	at = r.waitRaw(at, title("step 3 part 3"))
	r.c.Send("\x1b[D")
	at = r.waitRaw(at, title("step 2 part 2"))
	r.c.Send("\x1b[D")
	at = r.waitRaw(at, title("step 2 part 2"))
	if !strings.Contains(console.Strip(r.c.Output()[:at]), "tick 30") {
		t.Errorf("seeks did not redraw the screen at 30 s")
	}
	r.c.Send("+")
	at = r.waitRaw(at, title("speed 2x"))
	r.c.Send("-")
	at = r.waitRaw(at, title("speed 1x"))
	r.c.Send("-")
	r.waitRaw(at, title("speed 0.5x"))
	r.c.Send("q")
	if code := r.exit(); code != 0 {
		t.Errorf("q: exit %d, want 0", code)
	}
}

// A stretch plays in real time with its own keys: space pauses, q quits
// (exit 130) without waiting for the stretch to end. Steps without
// commands in the index are one stretch each.
func TestPlayStepQuitWhilePlaying(t *testing.T) {
	dir := t.TempDir()
	rec := tickRecording(t, dir, 60)
	r := startPlay(t, dir, filepath.Base(rec), "--step")
	r.c.Expect("step 1/3: part 1")
	r.c.Send("y")
	at := r.waitRaw(r.waitRaw(0, "yes\r\n"), "tick 1\r\n")
	r.c.Send(" ")
	r.c.Send("q")
	if code := r.exit(); code != 130 {
		t.Errorf("q while playing: exit %d, want 130", code)
	}
	if strings.Contains(r.c.Output()[at:], "tick 19") || strings.Contains(console.Strip(r.c.Output()), "step 2/3") {
		t.Errorf("q did not stop the stretch:\n%s", console.Strip(r.c.Output()[at:]))
	}
}

// --from starts stepping at the stretch holding that moment.
func TestPlayStepFrom(t *testing.T) {
	dir := t.TempDir()
	rec := tickRecording(t, dir, 60)
	r := startPlay(t, dir, filepath.Base(rec), "--step", "--from", "part 2")
	r.c.Expect("tick 19") // the screen where step 2 starts, then its prompt
	r.c.Expect("step 2/3: part 2")
	if strings.Contains(console.Strip(r.c.Output()), "step 1/3") {
		t.Errorf("--from part 2 asked about step 1")
	}
	r.c.Send("n")
	r.c.Expect("step 3/3: part 3")
	r.c.Send("n")
	if code := r.exit(); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// Ctrl-C while playing is an interruption (exit 130); q quits (exit 0).
func TestPlayCtrlCExits130(t *testing.T) {
	dir := t.TempDir()
	rec := tickRecording(t, dir, 60)
	r := startPlay(t, dir, filepath.Base(rec))
	r.waitRaw(0, "tick 0")
	r.c.Send("\x03")
	if code := r.exit(); code != 130 {
		t.Errorf("Ctrl-C: exit %d, want 130", code)
	}
}
