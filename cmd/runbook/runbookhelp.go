package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine"
)

// wantsHelp reports whether args ask for --help (before a "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "--help" {
			return true
		}
	}
	return false
}

// runbookHelp answers `runbook FILE.lua --help` with the runbook's own
// help: its description, parameters and steps, then where the flags are.
// done is false when args name no runbook (the command's help is wanted).
func runbookHelp(ctx context.Context, st *IO, fs *pflag.FlagSet, args []string) (done bool, err error) {
	var rest []string
	for _, a := range args {
		if a != "-h" && a != "--help" {
			rest = append(rest, a)
		}
	}
	fs.SetOutput(io.Discard)
	perr := fs.Parse(rest)
	fs.SetOutput(st.Err)
	if perr != nil || fs.NArg() != 1 {
		return false, nil
	}
	rbk, err := resolveRunbook(st, fs.Arg(0))
	if err != nil {
		return true, err
	}
	rb, err := engine.Load(engine.Options{Path: rbk.shown, Source: rbk.src, Dir: rbk.dir, Set: map[string]string{}})
	if err != nil {
		return true, err
	}
	writeRunbookHelp(st.Out, fs.Arg(0), rb)
	return true, errSilentHelp
}

func writeRunbookHelp(w io.Writer, arg string, rb *engine.Runbook) {
	title := rb.Name
	if rb.Title != "" {
		title += " — " + rb.Title
	}
	fmt.Fprintf(w, "%s (%s)\n", title, rb.Path)
	if d := strings.TrimSpace(rb.Description); d != "" {
		fmt.Fprintf(w, "\n%s\n", d)
	}
	fmt.Fprintf(w, "\nUsage: runbook %s [--set name=value]... [flags]\n", arg)
	if rb.Host != "" {
		fmt.Fprintf(w, "Runs on %s unless --host says otherwise.\n", rb.Host)
	}
	if len(rb.Params) > 0 {
		fmt.Fprintf(w, "\nParameters (--set name=value, or -e):\n")
		for _, p := range rb.Params {
			fmt.Fprintf(w, "  %-16s %s\n", p.Name, paramNotes(p))
			if p.Doc != "" {
				fmt.Fprintf(w, "  %-16s %s\n", "", p.Doc)
			}
		}
	}
	fmt.Fprintf(w, "\nSteps (--from STEP, --only STEP: a number or a name):\n")
	for _, s := range rb.Steps {
		fmt.Fprintf(w, "  %2d. %s\n", s.N, s.Name)
	}
	if len(rb.Steps) == 0 {
		fmt.Fprintf(w, "  (none)\n")
	}
	fmt.Fprintf(w, "\nrunbook steps %s lists each step's commands; runbook run --help lists the flags.\n", arg)
}

// paramNotes says a parameter's type, default and whether it is secret;
// a secret's default is never shown.
func paramNotes(p *engine.Param) string {
	notes := []string{p.Type}
	switch {
	case p.Required:
		notes = append(notes, "required")
	case p.Secret:
		notes = append(notes, "has a default")
	default:
		notes = append(notes, fmt.Sprintf("default %q", p.Default))
	}
	if p.Secret {
		s := "secret"
		if p.Env != "" {
			s += ", reaches commands as $" + p.Env
		}
		notes = append(notes, s)
	}
	return "(" + strings.Join(notes, ", ") + ")"
}
