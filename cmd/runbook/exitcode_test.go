package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine"
	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/player"
	"github.com/runbook-dev/runbook/recording"
)

// TestExitCode: the one place typed errors become exit codes, wrapped as
// commands wrap them.
func TestExitCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("run: %w", err) }
	lost := &target.LostError{Host: "h", Err: errors.New("EOF")}
	cases := []struct {
		err  error
		want int
		kind string
	}{
		{nil, 0, "ok"},
		{pflag.ErrHelp, 0, "ok"},
		{usagef("bad"), 2, "usage"},
		{&inputError{cmd: "play", err: errors.New("x: no such file")}, 2, "input"},
		{wrap(&engine.RunbookError{Msg: "x.lua:1: boom"}), 2, "runbook"},
		{wrap(&engine.StepFailedError{Step: 1}), 1, "failed"},
		{&engine.StepFailedError{Step: 1, Err: lost}, 1, "failed"},
		{lost, 1, "failed"},
		{wrap(&recording.FormatError{Kind: recording.ProblemTruncated}), 1, "failed"},
		{errors.Join(errSilent, &checkFailed{2}), 1, "failed"},
		{wrap(&rssh.HostError{Host: "h", Op: "dial", Err: errors.New("refused")}), 3, "host"},
		{&rssh.HostKeyError{Host: "h", Kind: "unknown"}, 3, "host"},
		{&rssh.HostError{Host: "h", Op: "dial", Err: context.Canceled}, 130, "interrupted"},
		{&engine.InterruptedError{}, 130, "interrupted"},
		{wrap(&engine.StepQuit{Step: 2}), 130, "quit"},
		{&player.QuitError{Step: 2}, 130, "quit"},
		{player.ErrInterrupted, 130, "interrupted"},
		{wrap(context.Canceled), 130, "interrupted"},
		{errors.New("disk full"), 1, "failed"},
		{&engine.FleetError{Hosts: 2, Failed: []*engine.HostResult{{Err: &engine.StepFailedError{}}, {Err: &rssh.HostError{Host: "h", Op: "dial", Err: errors.New("x")}}}}, 3, "host"},
	}
	for _, c := range cases {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%#v) = %d, want %d", c.err, got, c.want)
		}
		if got := exitKind(c.err); got != c.kind {
			t.Errorf("exitKind(%v) = %q, want %q", c.err, got, c.kind)
		}
	}
}
