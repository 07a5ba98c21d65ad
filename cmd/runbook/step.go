package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/prompt"
)

// stepHelp is appended to `runbook run --help`.
const stepHelp = `
Step mode (--step):
  Before each command (and each stdlib operation, with its diff) runbook
  shows the step, its narration and the command, and waits for one key:
    y, Enter  run it            n  skip it (recorded as skipped)
    e         edit it first, in $VISUAL/$EDITOR or on the prompt's line
    s         use the live shell yourself; Ctrl-] comes back to the prompt
    c         run this and all the rest without asking
    q, Ctrl-C stop here (exit 130; the step is recorded as quit, the
              recording is closed cleanly)
  Keys typed before a prompt shows are dropped: they never answer it.
  Time at the prompt and in the editor is cut from the recording, and the
  prompt never appears in it; what you do after s is recorded (shortened by
  --idle-limit). --step needs a terminal and runs on one host.

  runbook xen-prereqs.lua --host andromeda --step
  runbook runbooks/demo.lua --step --idle-limit 2s`

// addStepFlag registers --step on the run command's flags.
func addStepFlag(fs *pflag.FlagSet, on *bool) {
	fs.BoolVar(on, "step", false, "ask before each command: yes, skip, edit, shell, continue, quit (needs a terminal; one host)")
}

// setupStep checks that --step can work — a terminal to ask at, one host —
// and plugs the step prompt into the run. done puts the terminal back as
// it was; the caller defers it, so it also runs on a panic.
func setupStep(st *IO, tf *targetFlags, opts *engine.Options) (done func(), err error) {
	if st.TTY == nil {
		return nil, usagef("run: --step needs a terminal to ask at, and stdin is not one")
	}
	jobs, err := tf.hostJobs("")
	if err != nil {
		return nil, err
	}
	if len(jobs) > 1 {
		return nil, usagef("run: --step asks about one host's commands at a time, and %d hosts were given", len(jobs))
	}
	// The prompt goes where the session is shown, when that is the
	// terminal (not with --json's display on a redirected stderr).
	var out io.Writer = st.TTY
	if isTerminalWriter(opts.Display) {
		out = opts.Display
	}
	t, err := prompt.NewTerminal(st.TTY, out)
	if err != nil {
		return nil, usagef("run: --step needs a terminal: %v", err)
	}
	sm := engine.NewStepMode(t)
	opts.BeforeCommand = sm.Hook
	return func() {
		sm.Close()
		t.Close()
	}, nil
}
