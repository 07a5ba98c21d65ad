package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/internal/secret"
)

const stepsMore = `
Lists the steps, their narration, what each stdlib operation makes true
(its intent, after "=") and the commands they type, without running
anything: commands return exit 0 and no output, and nothing is read from
any host. Each operation is listed as it would act on a host that needs
the change; facts are placeholders (<facts.default_interface>). A command
marked (computed) is built by the runbook at run time (from parameters,
facts or earlier output), so the run may type something else; a step
whose commands depend on what the host says (what a command printed, a
file's content) stops the listing with a note.

It is also a lint: Lua errors, a function a module does not have
(file.lines: did you mean file.line?), a wrong option name or type of
sh() or a stdlib operation, and a parameter used but not declared are
marked in the listing and reported with the runbook's file:line, and
steps exits 2.

Examples:
  runbook steps runbooks/demo.lua
  runbook steps demo --set greeting=bonjour`

func runSteps(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "steps", "runbook steps FILE.lua [flags]", stepsMore)
	var set, setFiles []string
	addSetFlag(fs, &set)
	addSetFileFlag(fs, &setFiles)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("steps: want one runbook, got %d arguments", fs.NArg())
	}
	rb, plan, err := planRunbook(ctx, st, fs.Arg(0), set, setFiles)
	if err != nil && (rb == nil || !errors.As(err, new(*engine.RunbookError))) {
		return err
	}
	// Mistakes found while walking the steps (err): the listing shows
	// where, and the command exits 2 with every one of them.
	w := st.Out
	title := rb.Name
	if rb.Title != "" {
		title += " — " + rb.Title
	}
	fmt.Fprintf(w, "%s (%s)\n", title, rb.Path)
	for _, p := range rb.Params {
		var notes []string
		if p.Required {
			notes = append(notes, "required")
		} else if p.Secret {
			notes = append(notes, "default "+secret.Mask)
		} else {
			notes = append(notes, fmt.Sprintf("default %q", p.Default))
		}
		if p.Secret {
			notes = append(notes, "secret")
		}
		if p.Type != "string" {
			notes = append(notes, p.Type)
		}
		doc := ""
		if p.Doc != "" {
			doc = ": " + p.Doc
		}
		fmt.Fprintf(w, "  param %s (%s)%s\n", p.Name, strings.Join(notes, ", "), doc)
	}
	for _, ps := range plan {
		fmt.Fprintf(w, "\n%d. %s  [%s]\n", ps.Step.N, ps.Step.Name, ps.Step.FileLine)
		for _, it := range ps.Items {
			if it.Comment != "" {
				for _, l := range strings.Split(it.Comment, "\n") {
					fmt.Fprintf(w, "   # %s\n", l)
				}
				continue
			}
			if it.Intent != nil {
				fmt.Fprintf(w, "   = %s\n", it.Intent.Text)
				continue
			}
			mark := ""
			if it.Computed {
				mark = "   (computed)"
			}
			lines := strings.Split(it.Command, "\n")
			fmt.Fprintf(w, "   $ %s%s\n", lines[0], mark)
			for _, l := range lines[1:] {
				fmt.Fprintf(w, "     %s\n", l)
			}
		}
		if ps.Stopped != "" {
			fmt.Fprintf(w, "   … the rest depends on the run: %s\n", ps.Stopped)
		}
		if ps.Error != "" {
			fmt.Fprintf(w, "   ✗ %s\n", ps.Error)
		}
	}
	return err
}
