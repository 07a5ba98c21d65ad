package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/runbook-dev/runbook/player"
)

const checkUse = "runbook check REC... [--runbook FILE.lua | --runbook-dir DIR] [--update] [--golden FILE] [--junit FILE]"

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

Several recordings are checked in one go: with --runbook-dir DIR each is
checked against DIR/NAME.lua, NAME the runbook its index names, so a docs
repository checks itself in one line. --junit FILE writes a JUnit XML
report, a test case per recording, for CI.

Exit status: 0 ok, 1 a recording fails a check, 2 usage or runbook error.

Examples:
  runbook check recordings/demo.ttyrec
  runbook check recordings/xen-prereqs.ttyrec --runbook runbooks/xen-prereqs.lua
  runbook check recordings/demo.ttyrec --runbook demo --update
  runbook check recordings/*.ttyrec --runbook-dir runbooks/ --junit check.xml
`

// checkFailed is a recording that failed a check (exit 1).
type checkFailed struct{ n int }

func (e *checkFailed) Error() string { return fmt.Sprintf("check: %d problems", e.n) }

func runCheck(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "check", checkUse, checkMore)
	rbArg := fs.String("runbook", "", "the runbook the recordings were made from (file or built-in name)")
	rbDir := fs.String("runbook-dir", "", "find each recording's runbook in `DIR` by the name its index gives (DIR/NAME.lua)")
	update := fs.Bool("update", false, "rewrite the screens golden instead of comparing")
	golden := fs.String("golden", "", "screens golden path (default: NAME.screens.txt beside the recording; one recording)")
	junit := fs.String("junit", "", "write a JUnit XML report to `FILE`: a test case per recording (for CI)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("check: no recording given\nusage: %s", checkUse)
	}
	if *golden != "" && fs.NArg() > 1 {
		return usagef("check: --golden names one recording's golden, and %d recordings were given", fs.NArg())
	}
	if *rbArg != "" && *rbDir != "" {
		return usagef("check: --runbook and --runbook-dir together")
	}
	if *rbDir != "" {
		if fi, err := os.Stat(*rbDir); err != nil || !fi.IsDir() {
			return &inputError{cmd: "check", err: fmt.Errorf("--runbook-dir %s: no such directory", *rbDir)}
		}
	}
	if *junit != "" {
		if err := checkOutput("check", *junit, true, nil); err != nil {
			return err
		}
	}
	var fixed *player.Plan
	if *rbArg != "" {
		plan, err := checkPlan(ctx, st, *rbArg)
		if err != nil {
			return err
		}
		fixed = plan
	}
	suite := junitSuite{Name: "runbook check", Time: secsAttr(0)}
	failed := 0
	var firstErr error
	for _, path := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		failures, notes, err := checkOne(ctx, st, path, fixed, *rbDir, player.CheckOptions{Update: *update, Golden: *golden})
		suite.add(checkCase(path, failures, notes, err))
		switch {
		case err != nil && fs.NArg() == 1:
			firstErr = err
		case err != nil:
			// Several recordings: say what is wrong with this one, go on.
			fmt.Fprintf(st.Out, "FAIL %s: %v\n", path, err)
			if firstErr == nil || exitCode(err) > exitCode(firstErr) {
				firstErr = err
			}
		case len(failures) > 0:
			failed++
		}
	}
	if *junit != "" {
		if err := writeOutput(st, *junit, func(w io.Writer) error {
			return writeJUnit(w, &junitSuites{Suites: []junitSuite{suite}})
		}); err != nil {
			return fmt.Errorf("check: write --junit %s: %w", *junit, err)
		}
	}
	switch {
	case firstErr != nil && fs.NArg() == 1:
		return firstErr
	case firstErr != nil:
		return errors.Join(errSilent, firstErr)
	case failed > 0:
		return errors.Join(errSilent, &checkFailed{failed})
	}
	return nil
}

// checkOne checks one recording against fixed (--runbook), else the
// runbook --runbook-dir holds for it, else none, and prints its lines.
func checkOne(ctx context.Context, st *IO, path string, fixed *player.Plan, rbDir string, opt player.CheckOptions) (failures, notes []string, err error) {
	rec, err := openRecording("check", path)
	if err != nil {
		return nil, nil, err
	}
	defer rec.Close()
	opt.Plan = fixed
	if rbDir != "" {
		if rec.Index == nil || rec.Index.Runbook == nil || rec.Index.Runbook.Name == "" {
			return nil, nil, &inputError{cmd: "check", err: fmt.Errorf("%s: no index naming its runbook beside it: check it with --runbook FILE", path)}
		}
		rb := filepath.Join(rbDir, rec.Index.Runbook.Name+".lua")
		if _, err := os.Stat(rb); err != nil {
			return nil, nil, &inputError{cmd: "check", err: fmt.Errorf("%s was made from runbook %s, and %s is not there", path, rec.Index.Runbook.Name, rb)}
		}
		if opt.Plan, err = checkPlan(ctx, st, rb); err != nil {
			return nil, nil, err
		}
	}
	rep, err := player.Check(rec, opt)
	if err != nil {
		return nil, nil, err
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
	if rep.OK() {
		fmt.Fprintf(st.Out, "ok %s\n", path)
	}
	return findings(rep.Failures), findings(rep.Notes), nil
}

func findings(fs []player.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
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
