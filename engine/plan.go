package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
)

// PlannedStep is a step as `runbook steps` shows it: its comments and
// commands, found by walking the step without running anything.
type PlannedStep struct {
	Step  *Step
	Items []PlanItem
	// Stopped is set when the walk could not go on: the rest of the step
	// depends on what commands return (or on the host's state).
	Stopped string
	// Error is the runbook's mistake that ended the walk of this step
	// (file:line and message): Plan returns them all as a RunbookError.
	Error string

	// faked: a command of this step got a pretended result.
	faked bool
}

// PlanItem is one comment or command.
type PlanItem struct {
	Comment string
	// Intent is what a stdlib operation makes true (its command, if any,
	// is the next item).
	Intent  *stdlib.Intent
	Command string
	// Op is the stdlib operation that types Command ("" for sh()).
	Op string
	// Computed: the command text is not written as such in the runbook
	// (it is built from parameters, facts or other commands' output).
	Computed bool
	Probe    bool
}

// planSession is the executor of a plan: it collects, runs nothing.
type planSession struct{ r *runner }

func (p *planSession) run(ctx context.Context, typed string, o shell.RunOptions) (shell.Result, error) {
	sr := p.r.inStep
	if res, ok := p.recorded(typed); ok {
		// Beside a recording, a command that run typed alike answers as
		// it did there (the narration it computes is the run's).
		sr.plan.Items = append(sr.plan.Items, PlanItem{Command: typed, Op: p.r.planOp, Probe: p.r.planProbe,
			Computed: p.r.planOp == "" && !hasConstant(sr.step.fn.Proto, typed)})
		return res, nil
	}
	sr.plan.faked = true
	if p.r.planProbe {
		// A question to the host: listed as on a fresh host, where what it
		// looks for is not there yet.
		sr.plan.Items = append(sr.plan.Items, PlanItem{Command: typed, Probe: true})
		return shell.Result{Exit: 1}, nil
	}
	sr.plan.Items = append(sr.plan.Items, PlanItem{
		Command: typed,
		Op:      p.r.planOp,
		// A stdlib operation's command is made from its arguments.
		Computed: p.r.planOp == "" && !hasConstant(sr.step.fn.Proto, typed),
	})
	return shell.Result{}, nil
}

// recorded answers typed with what the recorded run's same command (in
// the same step) returned, when the plan is made beside a recording.
func (p *planSession) recorded(typed string) (shell.Result, bool) {
	ix := p.r.opts.PlanRecording
	if ix == nil {
		return shell.Result{}, false
	}
	m := p.r.mask(typed)
	for _, st := range ix.Steps {
		if st.N != p.r.inStep.step.N {
			continue
		}
		for _, c := range st.Commands {
			want := c.Typed
			if want == "" {
				want = c.Text
			}
			if want == m && !c.Skipped && c.Output != nil {
				return shell.Result{Exit: c.Exit, Output: string(c.Output.Bytes())}, true
			}
		}
	}
	return shell.Result{}, false
}

// hasConstant reports whether s is a string literal of the function (or of
// the functions inside it): a command written as such in the runbook, not
// built at run time.
func hasConstant(fp *lua.FunctionProto, s string) bool {
	if fp == nil {
		return false
	}
	for _, c := range fp.Constants {
		if str, ok := c.(lua.LString); ok && string(str) == s {
			return true
		}
	}
	for _, sub := range fp.FunctionPrototypes {
		if hasConstant(sub, s) {
			return true
		}
	}
	return false
}

func (p *planSession) comment(ctx context.Context, text string) error { return nil }
func (p *planSession) elapsed() time.Duration                         { return 0 }
func (p *planSession) note(text string)                               {}
func (p *planSession) lastOutput() string                             { return "" }
func (p *planSession) pauser() Pauser                                 { return nopPauser{} }

type nopPauser struct{}

func (nopPauser) PauseFor(string) {}
func (nopPauser) Resume()         {}

// Plan loads a runbook and walks its steps without running anything:
// commands return exit 0 and no output, the stdlib sees a dry run whose
// side channel is closed.
func Plan(ctx context.Context, opts Options) (*Runbook, []*PlannedStep, error) {
	opts.Plan, opts.DryRun = true, true
	r, err := load(&opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.L.Close()
	r.ex = &planSession{r: r}
	r.steps = len(r.rb.Steps)
	// The runbook's own error() is a check it makes of the run (a
	// parameter not given, a state it refuses): the listing stops there,
	// it is no mistake.
	ownError := false
	r.L.SetGlobal("error", r.L.NewFunction(func(L *lua.LState) int {
		ownError = true
		L.Error(L.Get(1), L.OptInt(2, 1))
		return 0
	}))
	var out []*PlannedStep
	var mistakes []string
	for _, s := range r.rb.Steps {
		ps := &PlannedStep{Step: s}
		sr := &stepRun{step: s, ix: &recording.Step{}, plan: ps}
		ownError = false
		o := r.runStep(ctx, sr)
		switch {
		case o.status == recording.StatusSkipped:
			ps.Stopped = planStop(o.reason)
		case o.err != nil && ctx.Err() != nil:
			return r.rb, out, ctx.Err()
		case o.err != nil:
			stop, mistake := planError(o.reason, ps.faked, ownError)
			if p := placeholderIn(r.rb, o.reason); mistake && p != "" {
				// A required parameter not given stands as <name>: what
				// it makes of it depends on the value a run gets.
				stop, mistake = "it needs parameter "+p+": "+o.reason, false
			}
			if mistake {
				ps.Error = o.reason
				mistakes = append(mistakes, fmt.Sprintf("%s (in step %d %q)", o.reason, s.N, s.Name))
			} else {
				ps.Stopped = stop
			}
		}
		out = append(out, ps)
	}
	if len(mistakes) > 0 {
		return r.rb, out, &RunbookError{Msg: strings.Join(mistakes, "\n")}
	}
	return r.rb, out, nil
}

// Load reads a runbook's declarations (metadata, parameters, steps)
// without running any step.
func Load(opts Options) (*Runbook, error) {
	opts.Plan, opts.DryRun = true, true
	r, err := load(&opts)
	if err != nil {
		return nil, err
	}
	r.L.Close()
	return r.rb, nil
}

// planStop words why a listing stops: a read of the host's state (facts,
// a stdlib operation) is said as where it happens, not as an error.
func planStop(reason string) string {
	suffix := ": " + errPlanExec.Error()
	if !strings.HasSuffix(reason, suffix) {
		return reason
	}
	where := strings.TrimSuffix(strings.TrimSuffix(reason, suffix), ": reading state")
	return "it reads the host's state at " + where
}

// placeholderIn names a required parameter without a value whose
// placeholder (<name>) appears in msg, "" when none does.
func placeholderIn(rb *Runbook, msg string) string {
	for _, p := range rb.Params {
		if p.Required && p.Value == "<"+p.Name+">" && strings.Contains(msg, p.Value) {
			return p.Name
		}
	}
	return ""
}
