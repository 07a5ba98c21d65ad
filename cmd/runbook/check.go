package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/player"
	"github.com/runbook-dev/runbook/recording"
)

const checkUse = "runbook check REC... [--runbook FILE.lua | --runbook-dir DIR] [--update] [--golden FILE] [--junit FILE]"

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

// checkOptions are the flags of `runbook check`.
type checkOptions struct {
	runbook    string
	runbookDir string
	update     bool
	golden     string
	junit      string
}

// runCheck checks each recording given and fails by the worst of them.
func runCheck(ctx context.Context, st *IO, args []string) error {
	var o checkOptions
	fs := o.flagSet(st)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := o.validate(fs); err != nil {
		return err
	}
	lint := o.lint(ctx, st)
	suite := junitSuite{Name: "runbook check", Time: secsAttr(0)}
	failed := 0
	var firstErr error
	for _, path := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		failures, notes, err := checkOne(ctx, st, path, o.runbook, o.runbookDir, lint, player.CheckOptions{Update: o.update, Golden: o.golden})
		if lerr := lint(); lerr != nil {
			return lerr
		}
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
	if o.junit != "" {
		if err := writeOutput(st, o.junit, func(w io.Writer) error {
			return writeJUnit(w, &junitSuites{Suites: []junitSuite{suite}})
		}); err != nil {
			return fmt.Errorf("check: write --junit %s: %w", o.junit, err)
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

// flagSet declares the flags of `runbook check` into o.
func (o *checkOptions) flagSet(st *IO) *pflag.FlagSet {
	fs := newFlags(st, "check", checkUse, checkMore)
	fs.StringVar(&o.runbook, "runbook", "", "the runbook the recordings were made from (file or built-in name)")
	fs.StringVar(&o.runbookDir, "runbook-dir", "", "find each recording's runbook in `DIR` by the name its index gives (DIR/NAME.lua)")
	fs.BoolVar(&o.update, "update", false, "rewrite the screens golden instead of comparing")
	fs.StringVar(&o.golden, "golden", "", "screens golden path (default: NAME.screens.txt beside the recording; one recording)")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to `FILE`: a test case per recording (for CI)")
	return fs
}

// validate refuses flags and arguments that do not go together, a
// missing --runbook-dir and a --junit that cannot be written.
func (o *checkOptions) validate(fs *pflag.FlagSet) error {
	if fs.NArg() == 0 {
		return usagef("check: no recording given\nusage: %s", checkUse)
	}
	if o.golden != "" && fs.NArg() > 1 {
		return usagef("check: --golden names one recording's golden, and %d recordings were given", fs.NArg())
	}
	if o.runbook != "" && o.runbookDir != "" {
		return usagef("check: --runbook and --runbook-dir together")
	}
	if o.runbookDir != "" {
		if fi, err := os.Stat(o.runbookDir); err != nil || !fi.IsDir() {
			return &inputError{cmd: "check", err: fmt.Errorf("--runbook-dir %s: no such directory", o.runbookDir)}
		}
	}
	if o.junit != "" {
		if err := checkOutput("check", o.junit, true, nil); err != nil {
			return err
		}
	}
	return nil
}

// lint starts checking --runbook, if given, and returns what waits for
// its result.
func (o *checkOptions) lint(ctx context.Context, st *IO) func() error {
	// A runbook with mistakes is refused before anything is said or
	// written of a recording; the lint runs while the first one is read.
	if o.runbook == "" {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := planRunbook(ctx, st, o.runbook, nil, nil)
		done <- err
	}()
	return sync.OnceValue(func() error { return <-done })
}

// checkOne checks one recording, replaying against it the runbook
// --runbook names, else the one --runbook-dir holds for it, else none, and
// prints its lines. Bytes that are no recording (or none at all) are a
// failure of the check, not an error of its input.
//
// lint returns the runbook's mistakes, if any: nothing is printed or
// written before it has said none.
func checkOne(ctx context.Context, st *IO, path, rbArg, rbDir string, lint func() error, opt player.CheckOptions) (failures, notes []string, err error) {
	// check reads screens in time order: no keyframes, flat memory.
	rec, err := openRecordingWith(ctx, "check", path, player.Options{Forward: true})
	var fe *recording.FormatError
	if errors.As(err, &fe) {
		if err := lint(); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(st.Out, "FAIL damaged: %v\n", fe)
		return []string{"damaged: " + fe.Error()}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer rec.Close()
	rb := rbArg
	if rbDir != "" {
		if rec.Index == nil || rec.Index.Runbook == nil || rec.Index.Runbook.Name == "" {
			return nil, nil, &inputError{cmd: "check", err: fmt.Errorf("%s: no index naming its runbook beside it: check it with --runbook FILE", path)}
		}
		rb = filepath.Join(rbDir, rec.Index.Runbook.Name+".lua")
		if _, err := os.Stat(rb); err != nil {
			return nil, nil, &inputError{cmd: "check", err: fmt.Errorf("%s was made from runbook %s, and %s is not there", path, rec.Index.Runbook.Name, rb)}
		}
	}
	if rb != "" {
		if opt.Plan, err = replayPlan(ctx, st, rb, rec); err != nil {
			return nil, nil, err
		}
	}
	if err := lint(); err != nil {
		return nil, nil, err
	}
	rep, err := player.Check(ctx, rec, opt)
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

// replayPlan replays the runbook against the recording's index (the
// engine answers every command and read from it) and hands the player
// what it found as plain data.
func replayPlan(ctx context.Context, st *IO, arg string, rec *player.Recording) (*player.Plan, error) {
	rbk, err := resolveRunbook(st, arg)
	if err != nil {
		return nil, err
	}
	opts := engine.Options{Path: rbk.shown, Source: rbk.src, Dir: rbk.dir}
	ix := rec.Index
	if ix == nil || len(ix.Steps) == 0 {
		// Checked for soundness only (player.Check says so).
		rb, err := engine.Load(opts)
		if err != nil {
			return nil, err
		}
		return &player.Plan{Path: rb.Path, Normalize: rb.Normalize}, nil
	}
	output := func(step, cmd int) string {
		c := ix.Steps[step].Commands[cmd]
		return rec.CommandOutput(c.Start.Duration(), c.End.Duration())
	}
	rep, err := engine.Replay(ctx, opts, ix, output)
	if err != nil {
		return nil, err
	}
	plan := &player.Plan{Path: rep.Runbook.Path, Normalize: rep.Runbook.Normalize}
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
