package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/prompt"
)

// Step mode (--step): before each command and stdlib operation the run
// loop calls the BeforeCommand hook, which asks the user through the step
// prompt with the recording paused, so the recording shows the session and
// not the hesitation.

// StepQuit is returned by the step-mode hook when the user pressed q (or
// Ctrl-C) at the prompt: the run stops cleanly, the recording is closed,
// and the CLI exits 130.
type StepQuit struct {
	Step int
	Name string
}

func (e *StepQuit) Error() string {
	return fmt.Sprintf("stopped at the step prompt of step %d %q", e.Step, e.Name)
}

// StepChoice is what to do with one command.
type StepChoice struct {
	// Run is false when the user skipped the command: record it as
	// skipped, do not type it.
	Run bool
	// Command is what to type: the runbook's, or the user's edit of it.
	Command string
	// EditedFrom is the runbook's command when the user edited it.
	EditedFrom string
}

// StepSession is the live session as step mode sees it: where the shell
// hand-over types, when it has ended, and what to show the user.
type StepSession struct {
	Recorder Pauser
	Keyboard io.Writer
	Ended    <-chan struct{} // may be nil
	// Show prints a note to the display only and puts the session's
	// prompt line back under it; nil prints nothing.
	Show func(text string)
	// WaitPrompt waits until the shell is at its prompt and quiet; nil:
	// do not wait.
	WaitPrompt func(ctx context.Context, quiet time.Duration) error
}

// StepMode carries the step prompt through one run (one host).
type StepMode struct {
	term     *prompt.Terminal
	prompter *prompt.Prompter
	all      bool // `c` was pressed: ask no more

	// shown counts the narration lines shown per step, so each comment is
	// shown once, with the first command after it.
	shownStep, shown int

	resizeOnce sync.Once
	stopResize func()
}

// NewStepMode returns step mode on the user's terminal t. Close stops
// what it started (window-size forwarding).
func NewStepMode(t *prompt.Terminal) *StepMode {
	return &StepMode{term: t, prompter: prompt.New(t)}
}

// Close stops forwarding window sizes.
func (s *StepMode) Close() {
	if s.stopResize != nil {
		s.stopResize()
	}
}

// Hook is the engine's BeforeCommand in step mode.
func (s *StepMode) Hook(ctx context.Context, pc *PendingCommand) error {
	if pc.Resize != nil {
		// From the first command on, the session follows the user's window.
		s.resizeOnce.Do(func() { s.stopResize = ForwardResizes(s.term, pc.Resize) })
	}
	// A probe only reads state (it runs even in a dry run): not worth a
	// question, and skipping it would mislead the step.
	if pc.Probe || pc.Comment || s.all {
		return nil
	}
	it := prompt.Item{Step: pc.Step.N, Steps: pc.Steps, Name: pc.Step.Name, Command: pc.Text, Op: pc.Op, Target: pc.Target, Diff: pc.Diff, Intent: pc.Intent}
	if s.shownStep != pc.Step.N {
		s.shownStep, s.shown = pc.Step.N, 0
	}
	if s.shown < len(pc.Narration) {
		it.Narration = pc.Narration[s.shown:]
		s.shown = len(pc.Narration)
	}
	c, err := s.Before(ctx, it, StepSession{Recorder: pc.Recorder, Keyboard: pc.Keyboard, Ended: pc.Ended, Show: pc.Show, WaitPrompt: pc.WaitPrompt})
	if err != nil {
		return err
	}
	pc.Text = c.Command
	pc.Skip = !c.Run
	return nil
}

// Before asks about one command (it.Command; for a stdlib operation also
// it.Op) and returns what to do. After `s` the prompt comes back for the
// same command. The error is a *StepQuit when the user quit, ctx's error
// when it ended, or the terminal's or session's.
func (s *StepMode) Before(ctx context.Context, it prompt.Item, sess StepSession) (StepChoice, error) {
	if s.all {
		return StepChoice{Run: true, Command: it.Command}, nil
	}
	rec := sess.Recorder
	if rec == nil {
		rec = noPause{}
	}
	s.prompter.OnPhase = func(phase string) {
		// Label the cut time by what the user was doing.
		rec.Resume()
		rec.PauseFor(phase)
	}
	orig := it.Command
	for {
		rec.PauseFor(prompt.PhasePrompt)
		d, err := s.prompter.Ask(ctx, it)
		rec.Resume()
		if err != nil {
			return StepChoice{}, fmt.Errorf("step %d %q: prompt: %w", it.Step, it.Name, err)
		}
		c := StepChoice{Run: true, Command: d.Command}
		if d.Command != orig {
			c.EditedFrom = orig
		}
		switch d.Action {
		case prompt.Run:
			return c, nil
		case prompt.Continue:
			s.all = true
			return c, nil
		case prompt.Skip:
			c.Run = false
			return c, nil
		case prompt.Quit:
			return StepChoice{}, &StepQuit{Step: it.Step, Name: it.Name}
		case prompt.Shell:
			if sess.Keyboard == nil {
				return StepChoice{}, fmt.Errorf("step %d %q: shell: no live session", it.Step, it.Name)
			}
			if err := s.handOver(ctx, sess); err != nil {
				return StepChoice{}, fmt.Errorf("step %d %q: shell: %w", it.Step, it.Name, err)
			}
			// An edit made before `s` stays.
			it.Command = d.Command
			it.Narration = nil
		default:
			return StepChoice{}, errors.New("step prompt: unknown answer " + d.Action.String())
		}
	}
}

// noPause stands in for the recorder when nothing is recorded.
type noPause struct{}

func (noPause) PauseFor(string) {}
func (noPause) Resume()         {}
