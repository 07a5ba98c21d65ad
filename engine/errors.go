package engine

import (
	"fmt"
	"strings"
)

// StepFailedError reports a step that failed: a command's exit status was
// not accepted, its expected output did not appear, or it timed out.
type StepFailedError struct {
	Step      int
	Name      string
	FileLine  string // where the failing call is ("runbooks/x.lua:12")
	Command   string // masked
	Exit      int
	Reason    string
	Recording string // "" when not recording
	Err       error  // the cause, when a Go error ended the step (a lost connection)
	// Output is the last lines of the failing command's output (stderr
	// included: one terminal), masked; "" when there was none.
	Output string
}

func (e *StepFailedError) Unwrap() error { return e.Err }

func (e *StepFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d %q failed", e.Step, e.Name)
	if e.FileLine != "" {
		fmt.Fprintf(&b, " at %s", e.FileLine)
	}
	fmt.Fprintf(&b, ": %s", e.Reason)
	if e.Recording != "" {
		fmt.Fprintf(&b, " (recording: %s)", e.Recording)
	}
	if e.Output != "" {
		b.WriteString("\n  its output ended with:")
		for _, l := range strings.Split(e.Output, "\n") {
			b.WriteString("\n    " + strings.TrimRight(l, "\r "))
		}
	}
	return b.String()
}

// RunbookError is a mistake in the runbook: a syntax or runtime error, a
// wrong argument, a bad or missing parameter. Msg names file:line (and the
// step, when in one).
type RunbookError struct{ Msg string }

func (e *RunbookError) Error() string { return e.Msg }

func runbookErrorf(format string, a ...any) error {
	return &RunbookError{Msg: fmt.Sprintf(format, a...)}
}

// InterruptedError reports a run stopped by Ctrl-C (or SIGTERM): the
// running command was interrupted and the recording closed cleanly.
type InterruptedError struct {
	Step      int
	Name      string
	Recording string
}

func (e *InterruptedError) Error() string {
	msg := "interrupted"
	if e.Step > 0 {
		msg += fmt.Sprintf(" in step %d %q", e.Step, e.Name)
	}
	if e.Recording != "" {
		msg += " (recording: " + e.Recording + ")"
	}
	return msg
}
