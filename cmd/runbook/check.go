package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/player"
	"github.com/runbook-dev/runbook/recording"
)

const checkUse = "runbook check REC [--runbook FILE.lua] [--update] [--golden FILE]"

const checkMore = `
Verifies a recording as documentation. Exit 0 only when:
  - the file is sound (runbook info finds nothing) and no pause is longer
    than the idle limit in its index (or its asciicast header);
  - with --runbook: it is not stale: the runbook runs again against the
    recording, without a host (every command gets its recorded exit status
    and output back, every read of the host's state its recorded answer,
    with the recorded parameters), and every command it would type now is
    the one recorded, in order; the first difference names the step, the
    runbook's file:line and the recorded command. What the replay cannot
    follow (a read the recording never made, other commands) is stale
    too; steps after a recorded stop are notes. An index made before
    replay (no reads kept) is compared up to each step's first read, with
    differences as notes: re-record it to check fully. A recording with
    no index (another tool's) is checked for soundness only, and says so.
    Every step ended as the runbook
    expects (exit statuses; expect texts found in the command's recorded
    output, normalised, even text that scrolled off the screen). Steps and
    commands skipped on purpose (skip() in the runbook, n at a --step
    prompt) and commands edited at a --step prompt are reported as notes,
    never as failures;
  - the screens golden NAME.screens.txt beside the recording (the screen
    after each command, with timestamps, durations, MACs, PIDs, UUIDs and
    the runbook's normalize patterns blanked out) matches. --update
    rewrites it.

Exit status: 0 ok, 1 the recording fails a check, 2 usage or runbook error.

Examples:
  runbook check recordings/demo.ttyrec
  runbook check recordings/xen-prereqs.ttyrec --runbook runbooks/xen-prereqs.lua
  runbook check recordings/demo.ttyrec --runbook demo --update
`

// checkFailed is a recording that failed a check (exit 1).
type checkFailed struct{ n int }

func (e *checkFailed) Error() string { return fmt.Sprintf("check: %d problems", e.n) }
func (e *checkFailed) ExitCode() int { return exitFailed }

func runCheck(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "check", checkUse, checkMore)
	rbArg := fs.String("runbook", "", "the runbook the recording was made from (file or built-in name)")
	update := fs.Bool("update", false, "rewrite the screens golden instead of comparing")
	golden := fs.String("golden", "", "screens golden path (default: NAME.screens.txt beside the recording)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("check: want one recording, got %d arguments\nusage: %s", fs.NArg(), checkUse)
	}
	opt := player.CheckOptions{Update: *update, Golden: *golden}
	if *rbArg != "" {
		// A runbook with mistakes is refused before any recording is read.
		if _, _, err := planRunbook(ctx, st, *rbArg, nil, nil); err != nil {
			return err
		}
	}
	rec, err := player.Open(ctx, fs.Arg(0))
	var fe *recording.FormatError
	if errors.As(err, &fe) {
		// Not a recording, or an empty one: not sound.
		fmt.Fprintf(st.Out, "FAIL damaged: %v\n", err)
		return errors.Join(errSilent, &checkFailed{1})
	}
	if err != nil {
		return err
	}
	defer rec.Close()
	if *rbArg != "" {
		plan, err := replayPlan(ctx, st, *rbArg, rec)
		if err != nil {
			return err
		}
		opt.Plan = plan
	}
	rep, err := player.Check(ctx, rec, opt)
	if err != nil {
		return err
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(st.Out, "note: %s\n", n)
	}
	if rep.GoldenWritten != "" {
		fmt.Fprintf(st.Out, "wrote %s\n", rep.GoldenWritten)
	}
	for _, f := range rep.Failures {
		fmt.Fprintf(st.Out, "FAIL %s\n", f)
	}
	if !rep.OK() {
		return errors.Join(errSilent, &checkFailed{len(rep.Failures)})
	}
	fmt.Fprintf(st.Out, "ok %s\n", fs.Arg(0))
	return nil
}

// replayPlan replays the runbook against the recording's index (the
// engine answers every command and read from it) and hands the player
// what it found as plain data.
func replayPlan(ctx context.Context, st *IO, arg string, rec *player.Recording) (*player.Plan, error) {
	rbk, err := resolveRunbook(st, arg)
	if err != nil {
		return nil, err
	}
	opts := engine.Options{Path: rbk.shown, Source: rbk.src, Dir: rbk.dir}
	rb, err := engine.Load(opts)
	if err != nil {
		return nil, err
	}
	plan := &player.Plan{Path: rb.Path, Normalize: rb.Normalize}
	ix := rec.Index
	if ix == nil || len(ix.Steps) == 0 {
		return plan, nil // checked for soundness only (player.Check says so)
	}
	output := func(step, cmd int) string {
		c := ix.Steps[step].Commands[cmd]
		return rec.CommandOutput(c.Start.Duration(), c.End.Duration())
	}
	rep, err := engine.Replay(ctx, opts, ix, output)
	if err != nil {
		return nil, err
	}
	for _, f := range rep.Findings {
		pf := player.Finding{Step: f.Step, StepName: f.Name, Kind: "replay", Msg: f.Msg}
		for _, k := range []string{"not reached", "not recorded", "reads not recorded"} {
			if m, ok := strings.CutPrefix(f.Msg, k+": "); ok {
				pf.Kind, pf.Msg = k, m
			}
		}
		if f.Stale {
			pf.Kind = "stale"
			plan.Stale = append(plan.Stale, pf)
		} else {
			plan.Notes = append(plan.Notes, pf)
		}
	}
	return plan, nil
}
