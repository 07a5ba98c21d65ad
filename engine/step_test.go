package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/console"
	"github.com/runbook-dev/runbook/prompt"
	"github.com/runbook-dev/runbook/recording"
)

// stepRig is step mode on a real pty (the user's terminal, played by the
// test) over a real bash on another pty (the session), recorded by a real
// ttyrec writer.
type stepRig struct {
	c     *console.Console
	sm    *StepMode
	sess  StepSession
	rec   *recording.Writer
	clock *recording.ManualClock
	mu    sync.Mutex
	file  bytes.Buffer // the recording's bytes
	out   bytes.Buffer // the session's output as recorded
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newStepRig(t *testing.T) *stepRig {
	t.Helper()
	r := &stepRig{c: console.New(t, 100, 30), clock: recording.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	rec, err := recording.NewWriter(lockedWriter{&r.mu, &r.file}, recording.WriterOptions{Cols: 100, Rows: 30, Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	r.rec = rec
	local := target.NewLocal()
	t.Cleanup(func() { local.Close() })
	sess, err := local.Shell(context.Background(), target.ShellOptions{Cols: 100, Rows: 30, Command: "exec bash --norc --noprofile -i"})
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		buf := make([]byte, 4096)
		for {
			n, err := sess.Read(buf)
			if n > 0 {
				rec.Write(buf[:n])
				lockedWriter{&r.mu, &r.out}.Write(buf[:n])
				r.c.Tty().Write(buf[:n]) // the display, as the engine tees it
			}
			if err != nil {
				return
			}
		}
	}()
	term, err := prompt.NewTerminal(r.c.Tty(), r.c.Tty())
	if err != nil {
		t.Fatal(err)
	}
	r.sm = NewStepMode(term)
	r.sess = StepSession{Recorder: rec, Keyboard: sess, Ended: ended}
	r.sm.prompter.Editor = "" // the inline editor, whatever the environment says
	return r
}

func (r *stepRig) recorded() (file, out string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.file.String(), r.out.String()
}

type stepResult struct {
	c   StepChoice
	err error
}

func (r *stepRig) before(it prompt.Item) <-chan stepResult {
	ch := make(chan stepResult, 1)
	go func() {
		c, err := r.sm.Before(context.Background(), it, r.sess)
		ch <- stepResult{c, err}
	}()
	return ch
}

func waitStep(t *testing.T, ch <-chan stepResult) stepResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(console.Timeout):
		t.Fatal("Before did not return")
	}
	return stepResult{}
}

var stepItem = prompt.Item{Step: 2, Steps: 4, Name: "Greet", Command: "echo hello"}

func TestStepPromptTimeIsCut(t *testing.T) {
	r := newStepRig(t)
	ch := r.before(stepItem)
	r.c.Expect(prompt.Keys)
	before := r.rec.Elapsed()
	r.clock.Advance(5 * time.Second) // the user thinks it over
	r.c.Send("y")
	res := waitStep(t, ch)
	if res.err != nil || !res.c.Run || res.c.Command != "echo hello" || res.c.EditedFrom != "" {
		t.Fatalf("got %+v, %v", res.c, res.err)
	}
	if after := r.rec.Elapsed(); after != before {
		t.Errorf("5 s at the prompt moved the recording from %v to %v", before, after)
	}
	ps := r.rec.Pauses()
	if len(ps) != 1 || ps[0].Reason != "prompt" || ps[0].Cut != 5 {
		t.Errorf("pauses = %+v, want one 5 s prompt pause", ps)
	}
	if file, _ := r.recorded(); strings.Contains(file, "[y]es") || strings.Contains(file, "step 2/4") {
		t.Errorf("prompt text reached the recording: %q", file)
	}
	if s := r.c.Stty(); !console.Cooked(s) {
		t.Errorf("terminal left raw:\n%s", s)
	}
}

func TestStepEditorTimeLabelled(t *testing.T) {
	r := newStepRig(t)
	r.sm.prompter.Editor = "ed -p '*'"
	ch := r.before(stepItem)
	r.c.Expect(prompt.Keys)
	r.clock.Advance(time.Second)
	r.c.Send("e")
	r.c.Expect("*")
	r.clock.Advance(3 * time.Second)
	r.c.Send(",s/hello/edited/\nw\nq\n")
	r.c.Expect("edited: echo edited")
	r.clock.Advance(time.Second)
	r.c.Send("\r")
	res := waitStep(t, ch)
	if res.err != nil || res.c.Command != "echo edited" || res.c.EditedFrom != "echo hello" {
		t.Fatalf("got %+v, %v", res.c, res.err)
	}
	var got []string
	for _, p := range r.rec.Pauses() {
		got = append(got, fmt.Sprintf("%s:%g", p.Reason, float64(p.Cut)))
	}
	if strings.Join(got, " ") != "prompt:1 editor:3 prompt:1" {
		t.Errorf("pauses = %v, want prompt 1 s, editor 3 s, prompt 1 s", got)
	}
	if r.rec.Elapsed() != 0 {
		t.Errorf("recording moved by %v", r.rec.Elapsed())
	}
}

func TestStepHandOver(t *testing.T) {
	r := newStepRig(t)
	ch := r.before(stepItem)
	r.c.Expect(prompt.Keys)
	r.c.Send("s")
	r.c.Expect("Ctrl-] returns to the step prompt")
	r.c.Send("echo handed-$((6*7))\r")
	r.c.Expect("handed-42")
	r.c.Send("\x1d")
	r.c.Expect(prompt.Keys) // the same command is asked again
	r.c.Send("n")
	res := waitStep(t, ch)
	if res.err != nil || res.c.Run {
		t.Fatalf("got %+v, %v; want skipped", res.c, res.err)
	}
	file, out := r.recorded()
	if !strings.Contains(out, "handed-42") {
		t.Errorf("hand-over output not recorded: %q", out)
	}
	if strings.Contains(file, "Ctrl-]") || strings.Contains(file, "[y]es") {
		t.Errorf("prompt text reached the recording: %q", file)
	}
	if s := r.c.Stty(); !console.Cooked(s) {
		t.Errorf("terminal left raw:\n%s", s)
	}
}

func TestStepHandOverSessionEnds(t *testing.T) {
	r := newStepRig(t)
	ch := r.before(stepItem)
	r.c.Expect(prompt.Keys)
	r.c.Send("s")
	r.c.Expect("Ctrl-] returns")
	r.c.Send("exit\r")
	res := waitStep(t, ch)
	if !errors.Is(res.err, errSessionEnded) {
		t.Fatalf("got %+v, %v; want the session's end", res.c, res.err)
	}
	if s := r.c.Stty(); !console.Cooked(s) {
		t.Errorf("terminal left raw:\n%s", s)
	}
}

func TestStepContinueAndQuit(t *testing.T) {
	r := newStepRig(t)
	ch := r.before(stepItem)
	r.c.Expect(prompt.Keys)
	r.c.Send("c")
	if res := waitStep(t, ch); res.err != nil || !res.c.Run {
		t.Fatalf("c: got %+v, %v", res.c, res.err)
	}
	// No more questions.
	if res := waitStep(t, r.before(prompt.Item{Step: 3, Steps: 4, Name: "x", Command: "true"})); !res.c.Run || res.c.Command != "true" {
		t.Fatalf("after c: got %+v, %v", res.c, res.err)
	}

	r = newStepRig(t)
	ch = r.before(stepItem)
	r.c.Expect(prompt.Keys)
	r.c.Send("q")
	res := waitStep(t, ch)
	var q *StepQuit
	if !errors.As(res.err, &q) || q.Step != 2 {
		t.Fatalf("q: got %+v, %v", res.c, res.err)
	}
	if s := r.c.Stty(); !console.Cooked(s) {
		t.Errorf("terminal left raw:\n%s", s)
	}
}

func TestStepEditThenShellKeepsEdit(t *testing.T) {
	r := newStepRig(t)
	ch := r.before(stepItem)
	r.c.Expect(prompt.Keys)
	r.c.Send("e")
	r.c.Expect("edit> echo hello")
	r.c.Send(" there\r")
	r.c.Expect("edited: echo hello there")
	r.c.Send("s")
	r.c.Expect("Ctrl-] returns")
	r.c.Send("\x1d")
	r.c.Expect("$ echo hello there")
	r.c.Send("y")
	res := waitStep(t, ch)
	if res.c.Command != "echo hello there" || res.c.EditedFrom != "echo hello" {
		t.Fatalf("got %+v, %v", res.c, res.err)
	}
}

func TestStepHook(t *testing.T) {
	r := newStepRig(t)
	step := &Step{N: 3, Name: "Grub"}
	hook := func(pc *PendingCommand) <-chan error {
		ch := make(chan error, 1)
		go func() { ch <- r.sm.Hook(context.Background(), pc) }()
		return ch
	}
	waitErr := func(ch <-chan error) error {
		select {
		case err := <-ch:
			return err
		case <-time.After(console.Timeout):
			t.Fatal("hook did not return")
		}
		return nil
	}
	pc := &PendingCommand{Step: step, Steps: 7, Text: "update-grub", Recorder: r.rec, Keyboard: r.sess.Keyboard,
		Narration: []string{"Grub must know about Xen."}}
	ch := hook(pc)
	r.c.Expect("step 3/7: Grub")
	r.c.Expect("Grub must know about Xen.")
	r.c.Expect("$ update-grub")
	r.c.Send("n")
	if err := waitErr(ch); err != nil || !pc.Skip || pc.Text != "update-grub" {
		t.Fatalf("n: %+v, %v", pc, err)
	}
	// The same step's next command: the narration was shown already.
	pc = &PendingCommand{Step: step, Steps: 7, Text: "file.line x", Op: "file.line", Recorder: r.rec,
		Narration: []string{"Grub must know about Xen."}}
	ch = hook(pc)
	r.c.Expect("step 3/7: Grub")
	r.c.Expect(prompt.Keys)
	if strings.Contains(console.Strip(r.c.Output()[strings.LastIndex(r.c.Output(), "step 3/7"):]), "Grub must know") {
		t.Errorf("narration shown twice")
	}
	r.c.Send("e")
	// Type only once the line editor is there: typed before, the line
	// would meet the terminal's own line discipline, where ^U is not
	// what the editor makes of it.
	r.c.Expect("edit> file.line x")
	r.c.Send("\x15echo changed\r")
	r.c.Expect("edited: echo changed")
	r.c.Send("y")
	if err := waitErr(ch); err != nil || pc.Skip || pc.Text != "echo changed" {
		t.Fatalf("e: %+v, %v", pc, err)
	}
	// Probes are not asked about.
	pc = &PendingCommand{Step: step, Steps: 7, Text: "test -e /x", Probe: true, Recorder: r.rec}
	if err := waitErr(hook(pc)); err != nil || pc.Skip {
		t.Fatalf("probe: %+v, %v", pc, err)
	}
	pc = &PendingCommand{Step: step, Steps: 7, Text: "reboot", Recorder: r.rec}
	ch = hook(pc)
	r.c.Expect("$ reboot")
	r.c.Send("q")
	var q *StepQuit
	if err := waitErr(ch); !errors.As(err, &q) {
		t.Fatalf("q: %v", err)
	}
}
