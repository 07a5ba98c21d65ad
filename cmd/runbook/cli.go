package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/runbooks"
)

// IO is the command's standard streams, injectable for tests.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// TTY is the controlling terminal when stdin is one (nil otherwise).
	TTY *os.File
}

// StdIO returns the process's own streams.
func StdIO() *IO {
	st := &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	if isTerminal(os.Stdin) {
		st.TTY = os.Stdin
	}
	return st
}

// command is one subcommand. run gets the arguments after its name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, st *IO, args []string) error
}

// commands is the subcommand table; `runbook FILE.lua` is `runbook run FILE.lua`.
func commands() []command {
	return []command{
		{"run", "run a runbook, recorded (the default: runbook FILE.lua)", runRun},
		{"steps", "list a runbook's steps and commands without running anything", runSteps},
		{"list", "list the runbooks built into runbook", runList},
		{"info", "describe a recording and report every problem in it", runInfo},
		{"convert", "convert or repair a recording (ttyrec, asciicast, nh, text)", runConvert},
		{"play", "play a recording in this terminal", runPlay},
		{"render", "print the screen of a recording at a moment", runRender},
		{"check", "verify a recording: sound, not stale, as the runbook expects", runCheck},
		{"export", "publish a recording as a web page or an animated SVG", runExport},
		{"doc", "make a guide page from a runbook and its recording", runDoc},
		{"rec", "record a session you type by hand (ttyrec + index)", runRec},
		{"draft", "write a runbook from a recorded session", runDraft},
		{"version", "print runbook's version", runVersion},
	}
}

// Main runs the CLI and returns the process exit code.
func Main(args []string, st *IO) int {
	ctx, stop := signalContext()
	defer stop()
	err := dispatch(ctx, st, args)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	var sig *signalled
	if code == exitInterrupted && errors.As(context.Cause(ctx), &sig) {
		code = sig.exitCode()
		switch {
		case errors.Is(err, errSilent) || strings.Contains(err.Error(), sig.Error()):
		case err == context.Canceled || strings.HasSuffix(err.Error(), context.Canceled.Error()):
			// A bare "context canceled" tells the user nothing.
			err = sig
		default:
			err = fmt.Errorf("%v (%s)", err, sig)
		}
	}
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(st.Err, "runbook: %v\n", err)
	}
	if code == exitUsage && errors.As(err, new(*usageError)) {
		fmt.Fprintln(st.Err, "Run 'runbook help' for usage.")
	}
	return code
}

// signalled is why the context ended: a signal.
type signalled struct{ sig syscall.Signal }

func (s *signalled) Error() string {
	switch s.sig {
	case syscall.SIGHUP:
		return "hung up (SIGHUP: the terminal closed)"
	case syscall.SIGTERM:
		return "terminated (SIGTERM)"
	}
	return "interrupted"
}

func (s *signalled) exitCode() int {
	switch s.sig {
	case syscall.SIGHUP:
		return exitHangup
	case syscall.SIGTERM:
		return exitTerminated
	}
	return exitInterrupted
}

// signalContext ends when runbook gets SIGINT, SIGTERM or SIGHUP, with the
// signal as its cause: whatever runs stops as on Ctrl-C (the recording and
// its index finished, marked stopped), and Main exits with the signal's
// code. A second signal is handled the same way (the first one wins).
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				sig, _ := s.(syscall.Signal)
				cancel(&signalled{sig: sig})
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

func dispatch(ctx context.Context, st *IO, args []string) error {
	if len(args) == 0 {
		usage(st.Err)
		return &usageError{msg: "no runbook or command given"}
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run(ctx, st, []string{"--help"})
				}
			}
		}
		usage(st.Out)
		return nil
	case "--version", "-V":
		return runVersion(ctx, st, nil)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, st, args[1:])
		}
	}
	if err := unknownCommand(args[0]); err != nil {
		return err
	}
	// Anything else is a runbook: flags may come before or after it.
	return runRun(ctx, st, args)
}

// unknownCommand refuses a first word that is a typo of a command (runbook
// rn demo) rather than a runbook: no file, no built-in runbook of that
// name, not a .lua name, and close to a command's name.
func unknownCommand(word string) error {
	if strings.HasPrefix(word, "-") || strings.Contains(word, "/") || strings.HasSuffix(word, ".lua") {
		return nil
	}
	if _, err := os.Stat(word); err == nil {
		return nil
	}
	if _, _, ok := runbooks.Lookup(word); ok {
		return nil
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if near := nearest(word, names); near != "" {
		return usagef("unknown command %q: did you mean 'runbook %s'?", word, near)
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `runbook runs install guides written as Lua runbooks — on this machine or
over SSH — records every session as a ttyrec file, and replays, checks and
publishes those recordings as documentation.

Usage:
  runbook FILE.lua [flags]        run a runbook (same as: runbook run FILE.lua)
  runbook COMMAND [args] [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'runbook COMMAND --help' for a command's flags and examples.

Exit codes: 0 success, 1 the work failed (a step, a check, a damaged file),
2 usage or runbook error, 3 could not reach or trust the host, 130 interrupted
(Ctrl-C); SIGHUP and SIGTERM stop runbook as Ctrl-C does and exit 129 and 143.
`)
}

// newFlags makes a flag set for a subcommand whose --help prints use, the
// flags, and then more (examples). Flags may come before or after arguments.
func newFlags(st *IO, name, use, more string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(st.Err)
	fs.SortFlags = false
	fs.Usage = func() {
		w := st.Out
		fmt.Fprintf(w, "Usage: %s\n\n", use)
		fmt.Fprintf(w, "Flags:\n%s", flagUsages(fs))
		if more != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(more))
		}
	}
	return fs
}

// parseFlags parses args and turns flag mistakes into usage errors; --help
// prints the usage and returns pflag.ErrHelp (exit 0).
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return errSilentHelp
		}
		return unknownFlagError(fs, err)
	}
	noteOldSpellings(fs)
	return nil
}

// errSilentHelp ends a command after --help printed its usage: exit 0.
var errSilentHelp = fmt.Errorf("%w: %w", errSilent, pflag.ErrHelp)

// flagUsages lists fs's flags as pflag does, but shows a boolean flag as
// plain --flag (pflag 1.1 writes --flag[=true|false], which reads as if a
// value were needed).
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() != "bool" && varname != "" {
			left += " " + varname
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" && def != "[]" && f.Value.Type() != "bool" {
			if f.Value.Type() == "string" {
				def = strconv.Quote(def)
			}
			usage += " (default " + def + ")"
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	var b strings.Builder
	for _, r := range rows {
		lines := strings.Split(r.usage, "\n")
		fmt.Fprintf(&b, "%-*s   %s\n", width, r.left, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "%-*s   %s\n", width, "", l)
		}
	}
	return b.String()
}
