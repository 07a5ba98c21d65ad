package engine

import (
	"context"
	"io"
	"time"
)

// BeforeCommand is called before each command is typed into the session
// (step mode plugs in here). It may change c.Text (the command is then
// recorded as edited), set c.Skip, or return an error to stop the run
// (context.Canceled for the user quitting). Time it spends waiting for the
// user should be cut from the recording with c.Recorder.PauseFor("prompt").
type BeforeCommand func(ctx context.Context, c *PendingCommand) error

// PendingCommand is the command about to be typed.
type PendingCommand struct {
	Step     *Step
	Steps    int    // how many steps the run has
	Text     string // the command as the runbook wrote it (secrets masked); editable
	Op       string // the stdlib operation typing it, if any
	Target   string // what that operation acts on
	Diff     string // the change it makes (unified diff), if known
	Intent   string // what the operation makes true, if any
	Probe    bool   // a read-only probe
	Comment  bool   // a comment line, not a command
	Skip     bool   // set by the hook: do not run it, record it as skipped
	Recorder Pauser
	// Keyboard types into the live session (step mode's shell hand-over);
	// Ended is closed when the session's shell ends. Both nil in a plan.
	Keyboard io.Writer
	Ended    <-chan struct{}
	// Resize changes the live session's terminal size (nil in a plan).
	Resize func(cols, rows int) error
	// WaitPrompt waits until the session's shell is back at its prompt and
	// quiet (after the shell hand-over; nil in a plan).
	WaitPrompt func(ctx context.Context, quiet time.Duration) error
	// Narration is the step's comments so far (masked), for the prompt.
	Narration []string
	// Show prints to the user's display only (never recorded).
	Show func(text string)
}

// Pauser stops and restarts the recording's clock.
type Pauser interface {
	PauseFor(reason string)
	Resume()
}
