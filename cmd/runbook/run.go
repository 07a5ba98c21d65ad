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

// runOptions are the flags of `runbook run`.
type runOptions struct {
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

// runRunFlags runs `runbook run` and sets *printed once the --json recap
// is written, so runRun does not print a second one.
func runRunFlags(ctx context.Context, st *IO, args []string, printed *bool) error {
	var o runOptions
	fs := o.flagSet(st)
	if wantsHelp(args) {
		// runbook FILE.lua --help: the runbook's own help, when one is named.
		if done, err := runbookHelp(ctx, st, fs, args); done {
			return err
		}
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.version {
		return runVersion(ctx, st, nil)
	}
	idleLimit, err := o.validate(fs)
	if err != nil {
		return err
	}
	set, visible, err := paramValues(st, o.set, o.setFiles)
	if err != nil {
		return err
	}
	rbk, err := resolveRunbook(st, fs.Arg(0))
	if err != nil {
		return err
	}
	displayTTY := o.displayTTY(st)
	// From here on everything printed is masked by the run's secrets.
	var secrets engine.Options
	st = withSecrets(st, &secrets, visible)
	opts := o.engineOptions(st, rbk, set, idleLimit, displayTTY, &secrets)

	if o.step { // see step.go
		done, err := setupStep(st, &o.targets, &opts)
		if err != nil {
			return err
		}
		defer done()
	}

	// This machine, or the hosts --host/--hosts (or the runbook) name:
	// see hosts.go.
	reports, firstErr := runOnTargets(ctx, st, &o.targets, opts)
	return o.writeReports(st, reports, firstErr, printed)
}

// flagSet declares the flags of `runbook run` into o.
func (o *runOptions) flagSet(st *IO) *pflag.FlagSet {
	fs := newFlags(st, "run", runUse, runMore+paramsHelp+hostsHelp+stepHelp)
	addSetFlag(fs, &o.set)
	addSetFileFlag(fs, &o.setFiles)
	fs.StringVar(&o.record, "record", "", "record to `FILE` (default recordings/NAME-HOST-STAMP.ttyrec)")
	fs.BoolVar(&o.noRecord, "no-record", false, "do not record")
	fs.StringVar(&o.idleLimit, "idle-limit", "", "record pauses longer than `DUR` as DUR (2s, or seconds: 2; 0: keep them)")
	aliasFlag(fs, "idle-time-limit", "idle-limit", "")
	fs.StringVar(&o.from, "from", "", "start at `STEP` (name or number; names match in any case)")
	aliasFlag(fs, "start-at-task", "from", "")
	fs.StringArrayVar(&o.only, "only", nil, "run only `STEP` (name or number; repeatable, or 2,3)")
	fs.IntVar(&o.cols, "cols", 0, "terminal width (default: your terminal's, else 80)")
	fs.IntVar(&o.rows, "rows", 0, "terminal height (default: your terminal's, else 24)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "show only step lines and the recap, not the session")
	fs.BoolVar(&o.jsonOut, "json", false, "print a machine-readable recap on stdout (the session goes to stderr)")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to `FILE`: a test case per step (for CI)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "change nothing: show what would run and change (records only with --record)")
	fs.BoolVar(&o.diff, "diff", false, "show the diff of every file a step changes")
	fs.BoolVar(&o.version, "version", false, "print runbook's version and exit")
	addOverwriteFlag(fs, &o.targets.overwrite)
	addStepFlag(fs, &o.step)
	addTargetFlags(fs, &o.targets)
	return fs
}

// validate refuses flags and arguments that do not go together, and
// outputs that cannot be written, before anything runs; it returns
// --idle-limit parsed.
func (o *runOptions) validate(fs *pflag.FlagSet) (time.Duration, error) {
	if fs.NArg() != 1 {
		if fs.NArg() == 0 {
			return 0, usagef("run: no runbook given (try: runbook runbooks/demo.lua, or runbook list)")
		}
		return 0, usagef("run: one runbook at a time, got %q", fs.Args())
	}
	if o.record != "" && o.noRecord {
		return 0, usagef("run: --record and --no-record together")
	}
	if o.from != "" && len(o.only) > 0 {
		return 0, usagef("run: --from and --only together")
	}
	if err := checkIntFlag(fs, "cols", o.cols, 1, maxTermSize, "a terminal width"); err != nil {
		return 0, err
	}
	if err := checkIntFlag(fs, "rows", o.rows, 1, maxTermSize, "a terminal height"); err != nil {
		return 0, err
	}
	var idleLimit time.Duration
	if o.idleLimit != "" {
		d, err := parseIdle(fs, "idle-limit", o.idleLimit, true)
		if err != nil {
			return 0, err
		}
		idleLimit = d
	}
	if err := o.targets.check(fs); err != nil {
		return 0, err
	}
	if o.record != "" {
		if err := checkRecordPath(o.record, o.targets.overwrite); err != nil {
			return 0, err
		}
	}
	if o.junit != "" {
		// A report is replaced at each run, as test reports are.
		if err := checkOutput("run", o.junit, true, nil); err != nil {
			return 0, err
		}
	}
	return idleLimit, nil
}

// displayTTY reports whether the session is shown on a terminal: standard
// output, or standard error when --json takes standard output.
func (o *runOptions) displayTTY(st *IO) bool {
	if o.jsonOut {
		return st.TTY != nil && isTerminalWriter(st.Err)
	}
	return st.TTY != nil && isTerminalWriter(st.Out)
}

// engineOptions are the engine's options for the run o asks for: st is
// already masked, secrets what withSecrets filled in.
func (o *runOptions) engineOptions(st *IO, rbk *runbookSource, set map[string]string, idleLimit time.Duration, displayTTY bool, secrets *engine.Options) engine.Options {
	display := st.Out
	if o.jsonOut {
		display = st.Err
	}
	cols, rows := o.cols, o.rows
	if st.TTY != nil && (cols == 0 || rows == 0) {
		if w, h, err := term.GetSize(int(st.TTY.Fd())); err == nil {
			cols, rows = pick(cols, w), pick(rows, h)
		}
	}
	opts := engine.Options{
		Path: rbk.shown, Source: rbk.src, Dir: rbk.dir,
		Set: set, Ask: asker(st),
		IdleLimit: idleLimit, From: o.from, Only: o.only,
		Cols: cols, Rows: rows, DryRun: o.dryRun, Diff: o.diff,
		Display: display, DisplayTTY: displayTTY, Quiet: o.quiet,
		Secrets: secrets.Secrets, LookupEnv: secrets.LookupEnv, Visible: secrets.Visible, Warn: secrets.Warn,
	}
	if st.TTY != nil && o.cols == 0 && o.rows == 0 {
		// Sized to the user's terminal: follow it when the window changes.
		fd := int(st.TTY.Fd())
		opts.WindowSize = func() (int, int, error) { return term.GetSize(fd) }
	}
	switch {
	case o.noRecord:
	case o.record != "":
		opts.Record, opts.NoClobber = o.record, !o.targets.overwrite
	case o.dryRun:
		// A dry run changes nothing, and leaves no recording behind either.
	default:
		opts.RecordDir = "recordings"
	}
	return opts
}

// writeReports writes the --junit report and the --json recap of a run
// that ended with firstErr, and returns firstErr.
func (o *runOptions) writeReports(st *IO, reports []*engine.Report, firstErr error, printed *bool) error {
	if o.junit != "" {
		if err := writeOutput(st, o.junit, func(w io.Writer) error { return writeJUnit(w, runJUnit(reports, firstErr)) }); err != nil {
			return fmt.Errorf("run: write --junit %s: %w", o.junit, err)
		}
	}
	if o.jsonOut {
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
