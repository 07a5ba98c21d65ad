package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/runbooks"
)

const listMore = `
The built-in runbooks run by name: "runbook demo" runs runbooks/demo.lua as
built into runbook, unless a file of that name is in the current directory
(the file wins, and runbook says so).

Examples:
  runbook list
  runbook demo
  runbook steps demo`

func runList(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "list", "runbook list", listMore)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("list: takes no arguments")
	}
	for _, name := range runbooks.Names() {
		shown, src, _ := runbooks.Lookup(name)
		rb, err := engine.Load(engine.Options{Path: shown, Source: src})
		if err != nil || len(rb.Steps) == 0 {
			continue // a module kept beside the runbooks, not a runbook
		}
		short := strings.TrimSuffix(name, ".lua")
		note := ""
		if _, err := os.Stat(name); err == nil {
			note = "  (./" + name + " here wins)"
		}
		fmt.Fprintf(st.Out, "%-16s %s (%d steps)%s\n", short, rb.Title, len(rb.Steps), note)
	}
	return nil
}
