package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/recording"
	"golang.org/x/term"
)

const runUse = "runbook [run] FILE.lua [flags]"

const runMore = `
A runbook is a Lua file of named steps. Each step's commands are typed into
one bash session on a real terminal, shown live, and recorded (ttyrec, with
a .ttyrec.json index beside it) under recordings/ as
NAME-HOST-YYYYMMDDTHHMMSSZ.ttyrec (-2, -3... added when that name is
taken). A name that is not a file is looked up
among the runbooks built into runbook (see: runbook list).

Examples:
  runbook runbooks/demo.lua
  runbook demo --set greeting=bonjour
  runbook x.lua --only 3 --record recordings/x.ttyrec
  runbook x.lua --from "Install packages" --quiet
  runbook x.lua --dry-run            # change nothing, show what would change
  runbook x.lua --no-record --json   # machine-readable recap on stdout

Exit codes: 0 all steps ok, 1 a step failed, 2 usage or runbook error,
3 host unreachable or untrusted, 130 interrupted (the recording stays valid;
SIGHUP and SIGTERM stop the run the same way and exit 129 and 143).

Two runs started in the same second in one directory never share a file:
the second recording is named NAME-HOST-STAMP-2.ttyrec. --record FILE
refuses a FILE that exists (exit 2, the file left as it was) unless
--overwrite is given, and one another run is recording to in any case.
When the recording
cannot be written (a full disk), the run stops after the command that was
running, says which file and why, and the index says where the recording
ends (exit 1).`

// runFlags are the flags of `runbook run`.
type runFlags struct {
	set       []string
	setFiles  []string
	record    string
	noRecord  bool
	idleLimit string
	from      string
	only      []string
	cols      int
	rows      int
	quiet     bool
	jsonOut   bool
	junit     string
	dryRun    bool
	diff      bool
	version   bool
	step      bool
	targets   targetFlags
}

func runRun(ctx context.Context, st *IO, args []string) error {
	var printed bool
	err := runRunFlags(ctx, st, args, &printed)
	if !printed && wantsJSON(args) && !errors.Is(err, pflag.ErrHelp) {
		// --json prints one object whatever happened: a usage error, a
		// host that could not be reached before any report was made.
		writeJSONResult(st.Out, nil, err)
	}
	return err
}

// wantsJSON reports whether args ask for --json (before a "--").
func wantsJSON(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--json" || a == "--json=true" {
			return true
		}
	}
	return false
}

// jsonResult is what --json prints: the run's report (one host), or the
// hosts' reports, with the outcome every program reading it branches on.
type jsonResult struct {
	*engine.Report
	Hosts     []*engine.Report `json:"hosts,omitempty"`
	Error     string           `json:"error,omitempty"`
	ErrorKind string           `json:"error_kind,omitempty"`
	ExitCode  int              `json:"exit_code"`
}

func writeJSONResult(w io.Writer, reports []*engine.Report, err error) error {
	res := jsonResult{ExitCode: exitCode(err)}
	if err != nil {
		res.Error, res.ErrorKind = err.Error(), exitKind(err)
	}
	switch {
	case len(reports) == 1:
		res.Report = reports[0]
	case len(reports) > 1:
		res.Hosts = reports
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

func runRunFlags(ctx context.Context, st *IO, args []string, printed *bool) error {
	var f runFlags
	fs := newFlags(st, "run", runUse, runMore+paramsHelp+hostsHelp+stepHelp)
	addSetFlag(fs, &f.set)
	addSetFileFlag(fs, &f.setFiles)
	fs.StringVar(&f.record, "record", "", "record to `FILE` (default recordings/NAME-HOST-STAMP.ttyrec)")
	fs.BoolVar(&f.noRecord, "no-record", false, "do not record")
	fs.StringVar(&f.idleLimit, "idle-limit", "", "record pauses longer than `DUR` as DUR (2s, or seconds: 2; 0: keep them)")
	aliasFlag(fs, "idle-time-limit", "idle-limit", "")
	fs.StringVar(&f.from, "from", "", "start at `STEP` (name or number; names match in any case)")
	aliasFlag(fs, "start-at-task", "from", "")
	fs.StringArrayVar(&f.only, "only", nil, "run only `STEP` (name or number; repeatable, or 2,3)")
	fs.IntVar(&f.cols, "cols", 0, "terminal width (default: your terminal's, else 80)")
	fs.IntVar(&f.rows, "rows", 0, "terminal height (default: your terminal's, else 24)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "show only step lines and the recap, not the session")
	fs.BoolVar(&f.jsonOut, "json", false, "print a machine-readable recap on stdout (the session goes to stderr)")
	fs.StringVar(&f.junit, "junit", "", "write a JUnit XML report to `FILE`: a test case per step (for CI)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "change nothing: show what would run and change (records only with --record)")
	fs.BoolVar(&f.diff, "diff", false, "show the diff of every file a step changes")
	fs.BoolVar(&f.version, "version", false, "print runbook's version and exit")
	addOverwriteFlag(fs, &f.targets.overwrite)
	addStepFlag(fs, &f.step)
	addTargetFlags(fs, &f.targets)
	if wantsHelp(args) {
		// runbook FILE.lua --help: the runbook's own help, when one is named.
		if done, err := runbookHelp(ctx, st, fs, args); done {
			return err
		}
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.version {
		return runVersion(ctx, st, nil)
	}
	if fs.NArg() != 1 {
		if fs.NArg() == 0 {
			return usagef("run: no runbook given (try: runbook runbooks/demo.lua, or runbook list)")
		}
		return usagef("run: one runbook at a time, got %q", fs.Args())
	}
	if f.record != "" && f.noRecord {
		return usagef("run: --record and --no-record together")
	}
	if f.from != "" && len(f.only) > 0 {
		return usagef("run: --from and --only together")
	}
	if err := checkIntFlag(fs, "cols", f.cols, 1, maxTermSize, "a terminal width"); err != nil {
		return err
	}
	if err := checkIntFlag(fs, "rows", f.rows, 1, maxTermSize, "a terminal height"); err != nil {
		return err
	}
	var idleLimit time.Duration
	if f.idleLimit != "" {
		d, err := parseIdle(fs, "idle-limit", f.idleLimit, true)
		if err != nil {
			return err
		}
		idleLimit = d
	}
	if err := f.targets.check(fs); err != nil {
		return err
	}
	if f.record != "" {
		if err := checkRecordPath(f.record, f.targets.overwrite); err != nil {
			return err
		}
	}
	if f.junit != "" {
		// A report is replaced at each run, as test reports are.
		if err := checkOutput("run", f.junit, true, nil); err != nil {
			return err
		}
	}
	set, visible, err := paramValues(st, f.set, f.setFiles)
	if err != nil {
		return err
	}
	rbk, err := resolveRunbook(st, fs.Arg(0))
	if err != nil {
		return err
	}
	displayTTY := st.TTY != nil && isTerminalWriter(st.Out)
	if f.jsonOut {
		displayTTY = st.TTY != nil && isTerminalWriter(st.Err)
	}
	// From here on everything printed is masked by the run's secrets.
	var secrets engine.Options
	st = withSecrets(st, &secrets, visible)
	display := st.Out
	if f.jsonOut {
		display = st.Err
	}
	cols, rows := f.cols, f.rows
	if st.TTY != nil && (cols == 0 || rows == 0) {
		if w, h, err := term.GetSize(int(st.TTY.Fd())); err == nil {
			cols, rows = pick(cols, w), pick(rows, h)
		}
	}
	opts := engine.Options{
		Path: rbk.shown, Source: rbk.src, Dir: rbk.dir,
		Set: set, Ask: asker(st),
		IdleLimit: idleLimit, From: f.from, Only: f.only,
		Cols: cols, Rows: rows, DryRun: f.dryRun, Diff: f.diff,
		Display: display, DisplayTTY: displayTTY, Quiet: f.quiet,
		Secrets: secrets.Secrets, LookupEnv: secrets.LookupEnv, Visible: secrets.Visible, Warn: secrets.Warn,
	}
	if st.TTY != nil && f.cols == 0 && f.rows == 0 {
		// Sized to the user's terminal: follow it when the window changes.
		fd := int(st.TTY.Fd())
		opts.WindowSize = func() (int, int, error) { return term.GetSize(fd) }
	}
	switch {
	case f.noRecord:
	case f.record != "":
		opts.Record, opts.NoClobber = f.record, !f.targets.overwrite
	case f.dryRun:
		// A dry run changes nothing, and leaves no recording behind either.
	default:
		opts.RecordDir = "recordings"
	}

	if f.step { // see step.go
		done, err := setupStep(st, &f.targets, &opts)
		if err != nil {
			return err
		}
		defer done()
	}

	// This machine, or the hosts --host/--hosts (or the runbook) name:
	// see hosts.go.
	reports, firstErr := runOnTargets(ctx, st, &f.targets, opts)
	if f.junit != "" {
		if err := writeOutput(st, f.junit, func(w io.Writer) error { return writeJUnit(w, runJUnit(reports, firstErr)) }); err != nil {
			return fmt.Errorf("run: write --junit %s: %w", f.junit, err)
		}
	}
	if f.jsonOut {
		*printed = true
		if err := writeJSONResult(st.Out, reports, firstErr); err != nil {
			return fmt.Errorf("write --json recap: %w", err)
		}
	}
	return firstErr
}

func pick(flag, detected int) int {
	if flag > 0 {
		return flag
	}
	return detected
}

func isTerminalWriter(w io.Writer) bool {
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// checkRecordPath refuses a --record name runbook would not write as its
// extension says (it records ttyrec, with the index beside it), a missing
// directory, and an existing file without --overwrite.
func checkRecordPath(p string, overwrite bool) error {
	switch ext := strings.ToLower(filepath.Ext(p)); ext {
	case "", ".ttyrec", ".tty", ".rec":
	default:
		base := strings.TrimSuffix(p, filepath.Ext(p))
		if recording.OutputFormatOf(p) != "" || recording.FormatOf(p) != "" {
			return usagef("run: --record %s: runbook records ttyrec (with its index beside it), not %s: record %s.ttyrec, then: runbook convert %s.ttyrec %s",
				p, strings.TrimPrefix(ext, "."), base, base, p)
		}
		return usagef("run: --record %s: runbook records ttyrec: name the file %s.ttyrec", p, base)
	}
	return checkOutput("run", p, overwrite, nil)
}

// maxTermSize bounds --cols and --rows: a pty's size is 16 bits, and no
// screen shows more.
const maxTermSize = 1000
