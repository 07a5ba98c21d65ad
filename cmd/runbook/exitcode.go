package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/engine/handrec"
	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/player"
	"github.com/runbook-dev/runbook/recording"
)

// Exit codes of the whole CLI (the README's table). Library packages
// return typed errors; exitCode below is the only place that turns them
// into these numbers.
const (
	exitOK          = 0   // success
	exitFailed      = 1   // the work failed: a step, a check, a damaged file
	exitUsage       = 2   // usage or runbook error, an input that cannot be read at all
	exitHost        = 3   // could not reach or trust the host
	exitInterrupted = 130 // Ctrl-C (SIGINT) or quit
	// SIGHUP (the terminal closed) and SIGTERM stop runbook as Ctrl-C
	// does, and exit as shells report a death by signal: 128+n.
	exitHangup     = 128 + int(syscall.SIGHUP)  // 129
	exitTerminated = 128 + int(syscall.SIGTERM) // 143
)

// usageError is a mistake in how runbook was called (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// inputError is an input file that cannot be read as what the command
// needs: missing, unreadable, a directory. Every command gives it the same
// exit code (2). Bytes that are no recording, an empty file, or a
// recording damaged part way are a failure of the work instead (1): the
// FormatError it wraps says so.
type inputError struct {
	cmd string // "play", "info", ...
	err error
}

func (e *inputError) Error() string { return e.cmd + ": " + e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// errSilent wraps an error whose message was already shown to the user.
var errSilent = errors.New("already reported")

// exitCode maps an error to the CLI's exit code table, by type. The order
// is the precedence: a step that failed because its host was lost is a
// failed step (1), a run stopped by Ctrl-C while dialling is interrupted
// (130).
func exitCode(err error) int {
	var fleet *engine.FleetError
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.As(err, &fleet):
		return fleetExitCode(fleet)
	case errors.As(err, new(*recording.FormatError)):
		return exitFailed
	case errors.As(err, new(*inputError)) && errors.Is(err, context.Canceled):
		// Ctrl-C while reading an input: interrupted, not a bad input.
		return exitInterrupted
	case errors.As(err, new(*usageError)), errors.As(err, new(*inputError)),
		errors.As(err, new(*engine.RecordingExistsError)), errors.As(err, new(*handrec.ExistsError)):
		return exitUsage
	case errors.As(err, new(*engine.InterruptedError)),
		errors.As(err, new(*engine.StepQuit)),
		errors.As(err, new(*player.QuitError)):
		return exitInterrupted
	case errors.As(err, new(*engine.StepFailedError)),
		errors.As(err, new(*target.LostError)):
		return exitFailed
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, new(*rssh.HostKeyError)), errors.As(err, new(*rssh.HostError)):
		return exitHost
	case errors.As(err, new(*engine.RunbookError)):
		return exitUsage
	case errors.As(err, new(*checkFailed)):
		return exitFailed
	}
	return exitFailed
}

// exitKind names an error's class for --json: what a program reading it
// branches on, with the exit code beside it.
func exitKind(err error) string {
	switch exitCode(err) {
	case exitOK:
		return "ok"
	case exitUsage:
		var rb *engine.RunbookError
		if errors.As(err, &rb) {
			return "runbook"
		}
		if errors.As(err, new(*inputError)) {
			return "input"
		}
		return "usage"
	case exitHost:
		return "host"
	case exitInterrupted:
		if errors.As(err, new(*engine.StepQuit)) || errors.As(err, new(*player.QuitError)) {
			return "quit"
		}
		return "interrupted"
	}
	return "failed"
}
