package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/runbook-dev/runbook/player"
)

const checkUse = "runbook check REC [--runbook FILE.lua] [--update] [--golden FILE]"

const checkMore = `
Verifies a recording as documentation. Exit 0 only when:
  - the file is sound (runbook info finds nothing) and no pause is longer
    than the idle limit in its index (or its asciicast header);
  - with --runbook: it is not stale (each step's source hash in the index
    matches the runbook's step now; where the commands are known without a
    host, the command diff is shown), every step ended as the runbook
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
		plan, err := checkPlan(ctx, st, *rbArg)
		if err != nil {
			return err
		}
		opt.Plan = plan
	}
	rec, err := openRecording("check", fs.Arg(0))
	if err != nil {
		return err
	}
	defer rec.Close()
	rep, err := player.Check(rec, opt)
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

// checkPlan loads the runbook and hands the player its plan as plain data.
func checkPlan(ctx context.Context, st *IO, arg string) (*player.Plan, error) {
	rb, planned, err := planRunbook(ctx, st, arg, nil)
	if err != nil {
		return nil, err
	}
	plan := &player.Plan{Path: rb.Path, Normalize: rb.Normalize}
	for _, ps := range planned {
		step := player.PlanStep{N: ps.Step.N, Name: ps.Step.Name, FileLine: ps.Step.FileLine,
			SourceSHA256: ps.Step.SourceSHA256, Computed: ps.Stopped != ""}
		for _, it := range ps.Items {
			if it.Command == "" || it.Probe {
				continue
			}
			if it.Computed {
				step.Computed = true
			}
			step.Commands = append(step.Commands, it.Command)
		}
		plan.Steps = append(plan.Steps, step)
	}
	return plan, nil
}
