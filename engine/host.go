package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib"
)

// host is the engine as the stdlib sees it (stdlib.Host).
type host struct{ r *runner }

var _ stdlib.Host = (*host)(nil)

// errPlanExec: `runbook steps` runs nothing, not even reads.
var errPlanExec = errors.New("listing steps runs nothing on the host; the rest of this step depends on its state")

// Name is "" when listing steps (runbook steps, check, doc): there is no
// target then, and the stdlib's messages must not name one.
func (h *host) Name() string {
	if h.r.opts.Target == nil {
		return ""
	}
	return h.r.opts.Target.Name()
}

// Run types cmd into the recorded session, as sh() does, and records it in
// the index under opts.Op. It must be called from a stdlib function, on the
// Lua goroutine, inside a step.
func (h *host) Run(ctx context.Context, cmd string, opts stdlib.RunOptions) (stdlib.RunResult, error) {
	r := h.r
	if r.inStep == nil {
		return stdlib.RunResult{}, errors.New("commands may only run inside a step")
	}
	o := shOptions{ok: opts.OK, op: opts.Op, target: opts.Target, diff: opts.Diff}
	for _, kv := range opts.Quiet {
		k, v, _ := strings.Cut(kv, "=")
		o.quiet = append(o.quiet, shell.Var{Name: k, Value: v, Export: true})
	}
	if it := r.inStep.intent; it != nil && it.Op == opts.Op {
		o.intent = it.Text
	}
	if len(opts.Env) > 0 {
		o.env = map[string]string{}
		for _, kv := range opts.Env {
			k, v, _ := strings.Cut(kv, "=")
			o.env[k] = v
		}
	}
	for _, a := range opts.Answers {
		o.answers = append(o.answers, shell.Answer{Prompt: a.Prompt, Reply: a.Reply, Secret: a.Secret})
		if a.Secret {
			r.addSecret(fmt.Sprintf("answer%d", r.secrets.Len()+1), a.Reply, "")
		}
	}
	// The stdlib decides what a failure is: the status is not checked here.
	res, dry, _, err := r.command(ctx, cmd, o, false)
	// Skipped at the step prompt: the last command of the step says so.
	cs := r.inStep.ix.Commands
	skipped := err == nil && !dry && len(cs) > 0 && cs[len(cs)-1].Skipped
	return stdlib.RunResult{Exit: res.Exit, Output: res.Output, Skipped: skipped}, err
}

// Exec runs cmd on the target's side channel: not shown, not recorded.
func (h *host) Exec(ctx context.Context, cmd string, stdin []byte) ([]byte, int, error) {
	if h.r.opts.Plan {
		// A listing beside a recording answers the reads that run made
		// with the same command (the facts); it reads nothing else.
		if ix := h.r.opts.PlanRecording; ix != nil {
			m := h.r.mask(cmd)
			for _, st := range ix.Steps {
				for _, rd := range st.Reads {
					if rd.Cmd == m && stdin == nil && rd.StdinSHA256 == "" {
						return rd.Out.Bytes(), rd.Exit, nil
					}
				}
			}
		}
		return nil, 0, errPlanExec
	}
	if h.r.replay != nil {
		return h.r.replay.read(cmd, stdin)
	}
	var in io.Reader
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	res, err := h.r.opts.Target.Exec(ctx, cmd, in)
	if err == nil && h.r.inStep != nil {
		// Kept for replay (check): what was asked, what came back.
		h.r.inStep.ix.Reads = append(h.r.inStep.ix.Reads, h.r.readEntry(cmd, stdin, res.Stdout, res.Exit))
	}
	return res.Stdout, res.Exit, err
}

// ReadLocal reads a file on the user's machine: ~/ is the user's home
// directory, a relative path is relative to the runbook's directory.
func (h *host) ReadLocal(path string) ([]byte, error) {
	shown := path
	// A replay answers with what the run read (the file may be gone).
	if h.r.replay != nil {
		out, exit, err := h.r.replay.read(localRead+shown, nil)
		if err != nil {
			return nil, err
		}
		if exit != 0 {
			return nil, fmt.Errorf("%s could not be read when the run was recorded", shown)
		}
		return out, nil
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(home, rest)
	}
	if !filepath.IsAbs(path) && h.r.opts.Dir != "" {
		path = filepath.Join(h.r.opts.Dir, path)
	}
	b, err := os.ReadFile(path)
	if h.r.inStep != nil && !h.r.opts.Plan {
		// Kept for replay (check), as a side-channel read is.
		exit := 0
		if err != nil {
			exit = 1
		}
		h.r.inStep.ix.Reads = append(h.r.inStep.ix.Reads, h.r.readEntry(localRead+shown, nil, b, exit))
	}
	return b, err
}

// localRead names a read of a file on this machine in the index's reads.
const localRead = "# read on this machine: "

func (h *host) DryRun() bool   { return h.r.opts.DryRun }
func (h *host) Planning() bool { return h.r.opts.Plan }

// Intent records what an operation makes true: in a listing as an item
// of the step, in a run in the step's index entry, and in a dry run on
// the display; the step prompt shows it above the command.
func (h *host) Intent(it stdlib.Intent) {
	r := h.r
	sr := r.inStep
	if sr == nil {
		return
	}
	sr.intent = &it
	if sr.plan != nil {
		sr.plan.Items = append(sr.plan.Items, PlanItem{Intent: &it})
		return
	}
	sr.ix.Intents = append(sr.ix.Intents, recording.Intent{Op: it.Op, Text: it.Text, Path: it.Path, Before: len(sr.ix.Commands)})
	if r.opts.DryRun && r.ex != nil {
		r.ex.note("= " + it.Text)
	}
}
func (h *host) ShowDiff() bool { return h.r.opts.Diff || h.r.opts.DryRun }

func (h *host) Show(text string) {
	if h.r.ex != nil {
		h.r.ex.note(h.r.mask(text))
	}
}

func (h *host) Changed(op, target string, changed bool) {
	if changed && h.r.inStep != nil {
		h.r.inStep.changed = true
	}
}

func (h *host) Secrets() []string {
	var out []string
	for _, v := range h.r.secrets.Values() {
		out = append(out, v.Value)
	}
	return out
}

// BeforeCommand registers f, called before every command of the session
// (stdlib.CommandNotifier; added by the stdlib engineer, issue 6).
func (h *host) BeforeCommand(f func()) { h.r.beforeCmd = append(h.r.beforeCmd, f) }
