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

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/runbooks"
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
	overwrite bool
	noRecord  bool
	idleLimit time.Duration
	from      string
	only      string
	cols      int
	rows      int
	quiet     bool
	jsonOut   bool
	dryRun    bool
	diff      bool
	version   bool
	step      bool
	targets   targetFlags
}

func runRun(ctx context.Context, st *IO, args []string) error {
	var f runFlags
	fs := newFlags(st, "run", runUse, runMore+paramsHelp+hostsHelp+stepHelp)
	fs.StringArrayVar(&f.set, "set", nil, "set a runbook parameter: `name=value` (repeatable; secrets: see --set-file)")
	addSetFileFlag(fs, &f.setFiles)
	fs.StringVar(&f.record, "record", "", "record to `FILE` (default recordings/NAME-HOST-STAMP.ttyrec)")
	fs.BoolVar(&f.overwrite, "overwrite", false, "with --record: replace FILE when it exists (default: refuse)")
	fs.BoolVar(&f.noRecord, "no-record", false, "do not record")
	fs.DurationVar(&f.idleLimit, "idle-limit", 0, "record pauses longer than `DUR` as DUR (e.g. 2s; 0: keep them)")
	fs.StringVar(&f.from, "from", "", "start at `STEP` (name or number)")
	fs.StringVar(&f.only, "only", "", "run only `STEP` (name or number)")
	fs.IntVar(&f.cols, "cols", 0, "terminal width (default: your terminal's, else 80)")
	fs.IntVar(&f.rows, "rows", 0, "terminal height (default: your terminal's, else 24)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "show only step lines and the recap, not the session")
	fs.BoolVar(&f.jsonOut, "json", false, "print a machine-readable recap on stdout (the session goes to stderr)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "change nothing: show what would run and change (records only with --record)")
	fs.BoolVar(&f.diff, "diff", false, "show the diff of every file a step changes")
	fs.BoolVar(&f.version, "version", false, "print runbook's version and exit")
	addStepFlag(fs, &f.step)
	addTargetFlags(fs, &f.targets)
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
	if f.overwrite && f.record == "" {
		return usagef("run: --overwrite goes with --record FILE")
	}
	if f.from != "" && f.only != "" {
		return usagef("run: --from and --only together")
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
		IdleLimit: f.idleLimit, From: f.from, Only: f.only,
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
		opts.Record, opts.NoClobber = f.record, !f.overwrite
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
	reports, firstErr := runOnTargets(ctx, st, &f.targets, opts, display)
	if f.jsonOut {
		enc := json.NewEncoder(st.Out)
		enc.SetIndent("", "  ")
		var v any = reports
		if len(reports) == 1 {
			v = reports[0]
		}
		if err := enc.Encode(v); err != nil {
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

// parseSet reads --set name=value pairs.
func parseSet(pairs []string) (map[string]string, error) {
	set := map[string]string{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--set %q: want name=value", kv)
		}
		set[k] = v
	}
	return set, nil
}

// runbookSource is a runbook found by name or path.
type runbookSource struct {
	shown string // as messages and the index name it
	src   []byte
	dir   string // for require(); "" for a built-in
}

// resolveRunbook finds arg as a file, else among the built-in runbooks. A
// file wins over a built-in of the same name, and the user is told.
func resolveRunbook(st *IO, arg string) (*runbookSource, error) {
	b, err := os.ReadFile(arg)
	if err == nil {
		if _, _, builtin := runbooks.Lookup(filepath.Base(arg)); builtin && !strings.ContainsRune(arg, '/') {
			fmt.Fprintf(st.Err, "runbook: running the file ./%s, not the built-in runbook of the same name\n", arg)
		}
		return &runbookSource{shown: arg, src: b, dir: filepath.Dir(arg)}, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, &engine.RunbookError{Msg: fmt.Sprintf("read runbook %s: %v", arg, err)}
	}
	if shown, src, ok := runbooks.Lookup(arg); ok {
		return &runbookSource{shown: shown, src: src}, nil
	}
	return nil, usagef("%s: no such runbook file, and no built-in runbook of that name (see: runbook list)", arg)
}

// asker asks for missing parameters at the terminal; nil without one.
func asker(st *IO) engine.Asker {
	if st.TTY == nil {
		return nil
	}
	return func(p *engine.Param) (string, error) {
		doc := ""
		if p.Doc != "" {
			doc = " (" + p.Doc + ")"
		}
		return askTTY(st, p.Name+doc+": ", !p.Secret)
	}
}

// askTTY asks one question at the controlling terminal and reads the
// answer line; with echo false the answer is read with echo off (secrets,
// passwords) and goes nowhere but to the caller.
func askTTY(st *IO, question string, echo bool) (string, error) {
	fmt.Fprint(st.Err, question)
	if !echo {
		b, err := term.ReadPassword(int(st.TTY.Fd()))
		fmt.Fprintln(st.Err)
		return string(b), err
	}
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := st.TTY.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			line = append(line, buf[0])
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimRight(string(line), "\r"), nil
}
