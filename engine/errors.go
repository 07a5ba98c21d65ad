package engine

import (
	"fmt"
	"strings"
	"time"
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

// RecordingExistsError refuses to record onto a file that exists (with
// Options.NoClobber): nothing ran, the file is as it was.
type RecordingExistsError struct{ Path string }

func (e *RecordingExistsError) Error() string {
	return fmt.Sprintf("recording %s exists already: give --overwrite to replace it, or name another file", e.Path)
}

// InterruptedError reports a run stopped by Ctrl-C (or SIGTERM): the
// running command was interrupted and the recording closed cleanly.
type InterruptedError struct {
	Step      int
	Name      string
	Recording string
	// Why says what interrupted the run when it was not Ctrl-C
	// ("terminated by SIGTERM"); "" says "interrupted".
	Why string
}

func (e *InterruptedError) Error() string {
	msg := "interrupted"
	if e.Why != "" {
		msg = e.Why
	}
	if e.Step > 0 {
		msg += fmt.Sprintf(" in step %d %q", e.Step, e.Name)
	}
	if e.Recording != "" {
		msg += " (recording: " + e.Recording + ")"
	}
	return msg
}

// RecordingError reports a recording that could not be written (a full
// disk, an I/O error): the run stopped at its next safe point, after the
// command that was running, and the recording and its index end at End.
type RecordingError struct {
	Path string
	Err  error
	End  time.Duration // where the recording ends, on its timeline
	Step int           // the step the run stopped in (0: between steps)
	Name string
}

func (e *RecordingError) Error() string {
	where := ""
	if e.Step > 0 {
		where = fmt.Sprintf(" in step %d %q", e.Step, e.Name)
	}
	return fmt.Sprintf("cannot write the recording %s: %v; the run stopped%s, after the command that was running (the recording ends at %.3fs, and its index says so)",
		e.Path, e.Err, where, e.End.Seconds())
}

func (e *RecordingError) Unwrap() error { return e.Err }
