package main

// Finding a runbook (a file, or one built into runbook) and walking its
// steps without running anything, for steps, check and doc.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/runbooks"
)

// runbookSource is a runbook found by name or path.
type runbookSource struct {
	shown string // as messages and the index name it
	src   []byte
	dir   string // for require(); "" for a built-in
}

// resolveRunbook finds arg as a file, else among the built-in runbooks. A
// file wins over a built-in of the same name, and the user is told.
func resolveRunbook(st *IO, arg string) (*runbookSource, error) {
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		// A directory is never a runbook: a built-in of that name runs
		// (./demo/ beside the user's work does not break runbook demo).
		if shown, src, ok := runbooks.Lookup(arg); ok && !strings.ContainsRune(arg, '/') {
			return &runbookSource{shown: shown, src: src}, nil
		}
		return nil, usagef("%s: is a directory, not a runbook file", arg)
	}
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
	if near := nearest(strings.TrimSuffix(arg, ".lua"), builtinNames()); near != "" && !strings.ContainsRune(arg, '/') {
		return nil, usagef("%s: no such runbook file, and no built-in runbook of that name (did you mean %s? see: runbook list)", arg, near)
	}
	return nil, usagef("%s: no such runbook file, and no built-in runbook of that name (see: runbook list)", arg)
}

// builtinNames are the built-in runbooks as typed (demo, xen-prereqs).
func builtinNames() []string {
	var names []string
	for _, n := range runbooks.Names() {
		names = append(names, strings.TrimSuffix(n, ".lua"))
	}
	return names
}

// planRunbook loads the runbook named by arg (a file, or a built-in name)
// with --set values and walks its steps without running anything: what
// steps, check and doc show.
//
// Secret values (given, defaults, secret() values) are masked in all it
// returns: the plan is shown and published.
func planRunbook(ctx context.Context, st *IO, arg string, set, setFiles []string) (*engine.Runbook, []*engine.PlannedStep, error) {
	return planRunbookWith(ctx, st, arg, set, setFiles, nil)
}

// planRunbookWith is planRunbook beside a recording's index, whose reads
// answer the same reads of the plan (the facts).
func planRunbookWith(ctx context.Context, st *IO, arg string, set, setFiles []string, ix *recording.Index) (*engine.Runbook, []*engine.PlannedStep, error) {
	values, visible, err := paramValues(st, set, setFiles)
	if err != nil {
		return nil, nil, err
	}
	rbk, err := resolveRunbook(st, arg)
	if err != nil {
		return nil, nil, err
	}
	opts := engine.Options{Path: rbk.shown, Source: rbk.src, Dir: rbk.dir, Set: values, LookupEnv: os.LookupEnv, Secrets: &secret.Set{},
		Visible: visible, Warn: func(msg string) { fmt.Fprintln(st.Err, msg) }, PlanRecording: ix}
	rb, plan, err := engine.Plan(ctx, opts)
	if err != nil {
		return rb, plan, err
	}
	for _, ps := range plan {
		ps.Stopped = opts.Secrets.MaskString(ps.Stopped)
		for i := range ps.Items {
			it := &ps.Items[i]
			it.Comment, it.Command = opts.Secrets.MaskString(it.Comment), opts.Secrets.MaskString(it.Command)
			if it.Intent != nil {
				in := *it.Intent
				in.Text, in.Content = opts.Secrets.MaskString(in.Text), opts.Secrets.MaskString(in.Content)
				if len(in.Lines) > 0 {
					// Masked together: a secret may span lines.
					in.Lines = strings.Split(opts.Secrets.MaskString(strings.Join(in.Lines, "\n")), "\n")
				}
				it.Intent = &in
			}
		}
	}
	return rb, plan, nil
}
