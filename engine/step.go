package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/runbook-dev/runbook/prompt"
)

// Step mode (--step): before each command and stdlib operation the run
// loop calls StepMode.Before, which asks the user through the step prompt
// with the recording paused, so the recording shows the session and not
// the hesitation.

// StepPauser is what step mode needs of the recorder: cutting the time
// spent at the prompt or in the editor out of the recording.
// recording.Writer implements it.
type StepPauser interface {
	PauseFor(reason string)
	Resume()
}

// StepQuit is returned by StepMode.Before when the user pressed q (or
// Ctrl-C) at the prompt: the run stops cleanly, the recording is closed,
// and the CLI exits 130.
type StepQuit struct {
	Step int
	Name string
}

func (e *StepQuit) Error() string {
	return fmt.Sprintf("stopped at the step prompt of step %d (%s)", e.Step, e.Name)
}

// ExitCode: quitting at the prompt is an interruption.
func (e *StepQuit) ExitCode() int { return 130 }

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

// StepMode carries the step prompt through one run.
type StepMode struct {
	term     *prompt.Terminal
	prompter *prompt.Prompter
	rec      StepPauser
	sess     io.Writer
	ended    <-chan struct{}
	all      bool // `c` was pressed: ask no more
}

// NewStepMode returns step mode on the user's terminal t, pausing rec
// around the prompt; the `s` hand-over types into sess (the live
// session's keyboard) until ended is closed or the user presses Ctrl-].
// ended may be nil.
func NewStepMode(t *prompt.Terminal, rec StepPauser, sess io.Writer, ended <-chan struct{}) *StepMode {
	s := &StepMode{term: t, prompter: prompt.New(t), rec: rec, sess: sess, ended: ended}
	s.prompter.OnPhase = func(phase string) {
		// Label the cut time by what the user was doing.
		s.rec.Resume()
		s.rec.PauseFor(phase)
	}
	return s
}

// Asking reports whether the prompt will still be shown (no `c` yet).
func (s *StepMode) Asking() bool { return !s.all }

// Before asks about one command (it.Command; for a stdlib operation also
// it.Op, it.Target and it.Diff) and returns what to do. After `s` the
// prompt comes back for the same command. The error is a *StepQuit when the
// user quit, ctx's error when it ended, or the terminal's or session's.
func (s *StepMode) Before(ctx context.Context, it prompt.Item) (StepChoice, error) {
	if s.all {
		return StepChoice{Run: true, Command: it.Command}, nil
	}
	orig := it.Command
	for {
		s.rec.PauseFor(prompt.PhasePrompt)
		d, err := s.prompter.Ask(ctx, it)
		s.rec.Resume()
		if err != nil {
			return StepChoice{}, fmt.Errorf("step %d (%s): prompt: %w", it.Step, it.Name, err)
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
			if err := s.handOver(ctx); err != nil {
				return StepChoice{}, fmt.Errorf("step %d (%s): shell: %w", it.Step, it.Name, err)
			}
			// An edit made before `s` stays.
			it.Command = d.Command
		default:
			return StepChoice{}, errors.New("step prompt: unknown answer " + d.Action.String())
		}
	}
}
