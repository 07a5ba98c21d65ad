package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
)

// shOptions are sh()'s options.
type shOptions struct {
	ok      []int
	timeout time.Duration
	retries int
	delay   time.Duration
	expect  []string
	probe   bool
	cwd     string
	env     map[string]string
	op      string
	answers []shell.Answer
	// target, diff and intent describe a stdlib operation for the step
	// prompt.
	target, diff, intent string
	// quiet are variables the session exports out of sight first.
	quiet []shell.Var
}

var shOptionNames = []string{"ok", "timeout", "retries", "delay", "expect", "probe", "cwd", "env", "answers"}

var _ = stdlib.Document("", "sh", `sh(cmd [, {ok={0,...}, timeout=, retries=, delay=, expect=, probe=, cwd=, env={NAME=value}, answers={["prompt"]=reply}}]) -> {exit=, output=, dry=}`,
	`Types cmd into the session, shown and recorded, and waits for it. A non-zero exit not in
ok, an expected text (expect, a text or a list) missing from the output, or a timeout (the
command is interrupted as with Ctrl-C) fails the step, after retries tries delay apart.
probe marks a read-only command that runs even in a dry run. cwd and env run it in a
subshell with that directory and environment. answers types a reply when a prompt text
appears in the output (a reply holding a secret is never shown). Secrets in cmd are typed
as shell variables (${name}), never as their values.`)

// luaSh types a command into the session and waits for it.
//
//	sh(cmd [, {ok={0,...}, timeout=secs|"5m", retries=n, delay=secs|"2s",
//	          expect="text"|{...}, probe=bool, cwd="dir", env={NAME="value"}}])
//	  -> {exit=n, output="text", dry=bool}
//
// A non-zero exit not listed in ok, an expected text missing from the
// output, or a timeout (the command is interrupted as with Ctrl-C) fails
// the step, after the retries. probe marks a read-only command: it runs
// even in a dry run.
func (r *runner) luaSh(L *lua.LState) int {
	cmd := L.CheckString(1)
	var o shOptions
	if t, ok := L.Get(2).(*lua.LTable); ok {
		o = parseShOptions(L, t)
	} else if L.Get(2) != lua.LNil {
		L.ArgError(2, "want a table of options {ok=, timeout=, retries=, delay=, expect=, probe=, cwd=, env=}")
	}
	r.requireStep(L, "sh")
	for i, a := range o.answers { // a reply holding a secret is itself secret
		if a.Secret || r.secrets.ContainsValue(a.Reply) {
			o.answers[i].Secret = true
			r.addSecret(fmt.Sprintf("answer%d", r.secrets.Len()+1), a.Reply, "")
		}
	}
	ctx := L.Context()
	res, dry, reason, err := r.command(ctx, cmd, o, true)
	switch {
	case err != nil && ctx != nil && ctx.Err() != nil:
		L.RaiseError("interrupted")
	case err != nil:
		var ie *shell.IncompleteError
		if errors.As(err, &ie) {
			r.fail(L, r.mask(cmd), res.Exit, fmt.Sprintf("command %q: %v", r.mask(cmd), err))
		}
		// Keep the error's type (a quit at the step prompt, a lost
		// connection) for the run loop and the exit code.
		r.end(L, &stepEnd{fatal: err, msg: whereLine(L) + ": " + r.mask(err.Error())})
	case reason != "":
		r.fail(L, r.mask(cmd), res.Exit, reason)
	}
	t := L.NewTable()
	t.RawSetString("exit", lua.LNumber(res.Exit))
	t.RawSetString("output", lua.LString(res.Output))
	if dry {
		t.RawSetString("dry", lua.LTrue)
	}
	L.Push(t)
	return 1
}

func parseShOptions(L *lua.LState, t *lua.LTable) shOptions {
	var o shOptions
	t.ForEach(func(k, v lua.LValue) {
		name := k.String()
		switch name {
		case "ok":
			switch v := v.(type) {
			case lua.LNumber:
				o.ok = []int{int(v)}
			case *lua.LTable:
				v.ForEach(func(_, e lua.LValue) {
					n, isNum := e.(lua.LNumber)
					if !isNum {
						L.ArgError(2, "ok: want exit statuses, e.g. {0, 1}")
					}
					o.ok = append(o.ok, int(n))
				})
			default:
				L.ArgError(2, "ok: want exit statuses, e.g. {0, 1}")
			}
		case "timeout":
			o.timeout = luaDuration(L, name, v)
		case "delay":
			o.delay = luaDuration(L, name, v)
		case "retries":
			n, isNum := v.(lua.LNumber)
			if !isNum || n < 0 {
				L.ArgError(2, "retries: want a number ≥ 0")
			}
			o.retries = int(n)
		case "expect":
			switch v := v.(type) {
			case lua.LString:
				o.expect = []string{string(v)}
			case *lua.LTable:
				v.ForEach(func(_, e lua.LValue) { o.expect = append(o.expect, e.String()) })
			default:
				L.ArgError(2, "expect: want a text or a list of texts")
			}
		case "probe":
			o.probe = lua.LVAsBool(v)
		case "cwd":
			o.cwd = v.String()
		case "env":
			et, isTable := v.(*lua.LTable)
			if !isTable {
				L.ArgError(2, "env: want a table {NAME=\"value\"}")
			}
			o.env = map[string]string{}
			et.ForEach(func(k, v lua.LValue) { o.env[k.String()] = lua.LVAsString(v) })
		case "answers": // added by the stdlib engineer (issue 6): sh(cmd, {answers = {["prompt"] = "reply"}})
			at, isTable := v.(*lua.LTable)
			if !isTable {
				L.ArgError(2, `answers: want a table {["prompt text"] = "reply"}`)
			}
			as, err := stdlib.Answers(at, nil)
			if err != nil {
				L.ArgError(2, err.Error())
			}
			for _, a := range as {
				o.answers = append(o.answers, shell.Answer{Prompt: a.Prompt, Reply: a.Reply})
			}
		default:
			L.ArgError(2, fmt.Sprintf("unknown option %q (known: %s)", name, strings.Join(shOptionNames, ", ")))
		}
	})
	return o
}

// luaDuration reads seconds (a number) or a Go duration ("1m30s").
func luaDuration(L *lua.LState, name string, v lua.LValue) time.Duration {
	switch v := v.(type) {
	case lua.LNumber:
		return time.Duration(float64(v) * float64(time.Second))
	case lua.LString:
		d, err := time.ParseDuration(string(v))
		if err == nil {
			return d
		}
	}
	L.ArgError(2, name+": want seconds or a duration like \"90s\" or \"5m\"")
	return 0
}

func (r *runner) requireStep(L *lua.LState, fn string) {
	if r.inStep == nil {
		L.RaiseError("%s() may only be called inside a step", fn)
	}
}

// typedCommand is cmd with its working directory and environment, as
// typed: a subshell, so the session's own directory and variables stay.
func typedCommand(cmd, cwd string, env map[string]string) string {
	if cwd == "" && len(env) == 0 {
		return cmd
	}
	var pre []string
	if cwd != "" {
		pre = append(pre, "cd "+shellquote.Quote(cwd)+" || exit")
	}
	if len(env) > 0 {
		names := make([]string, 0, len(env))
		for k := range env {
			names = append(names, k)
		}
		sort.Strings(names)
		var as []string
		for _, k := range names {
			as = append(as, k+"="+shellquote.Quote(env[k]))
		}
		pre = append(pre, "export "+strings.Join(as, " "))
	}
	if strings.Contains(cmd, "\n") {
		return "(" + strings.Join(pre, "\n") + "\n" + cmd + "\n)"
	}
	return "(" + strings.Join(pre, "; ") + "; " + cmd + ")"
}

// referTo rewrites a command so that it refers to the secrets it holds
// as shell variables, and returns them; a command that would still type a
// secret is an error that names it.
func (r *runner) referTo(typed string) (string, []shell.Var, error) {
	out, used, err := secret.Refer(typed, r.refs(), r.secrets)
	if err != nil {
		return "", nil, fmt.Errorf("refusing to type a secret: %w", err)
	}
	return out, r.varsFor(used), nil
}

// command runs one command of the current step, with its retries, and
// records it in the index. strict checks the exit status against o.ok
// (sh does; the stdlib checks for itself). It returns the result, why the
// command failed ("" when it did not), and an error when it could not run
// (interrupted, incomplete, session lost). dry is true when a dry run
// only showed it.
func (r *runner) command(ctx context.Context, cmd string, o shOptions, strict bool) (res shell.Result, dry bool, reason string, err error) {
	for _, f := range r.beforeCmd {
		f()
	}
	sr := r.inStep
	// No secret is ever typed: the command refers to it as a variable the
	// session defines out of sight (shell.Refer), or it does not run.
	typed, vars, err := r.referTo(typedCommand(cmd, o.cwd, o.env))
	if err != nil {
		return res, false, "", err
	}
	shown, _, _ := secret.Refer(cmd, r.refs(), nil)
	text := r.mask(shown)
	if r.opts.DryRun && !o.probe && !r.opts.Plan {
		r.ex.note("would run: " + r.mask(typed))
		sr.ix.Commands = append(sr.ix.Commands, recording.Command{Text: text, Skipped: true, Op: o.op, OK: o.ok, Expect: o.expect})
		return shell.Result{}, true, "", nil
	}
	pc := r.pendingCommand(sr, text, o)
	if hook := r.opts.BeforeCommand; hook != nil && !r.opts.Plan {
		if err := hook(ctx, pc); err != nil {
			return res, false, "", err
		}
	}
	entry := recording.Command{Text: text, Op: o.op, OK: o.ok, Expect: o.expect}
	if pc.Text != text {
		if typed, vars, err = r.referTo(typedCommand(pc.Text, o.cwd, o.env)); err != nil {
			return res, false, "", err
		}
		entry.EditedFrom, entry.Text = text, r.mask(pc.Text)
	}
	if m := r.mask(typed); m != entry.Text {
		entry.Typed = m
	}
	if pc.Skip {
		entry.Skipped = true
		entry.Start = recording.SecondsOf(r.ex.elapsed())
		entry.End = entry.Start
		sr.ix.Commands = append(sr.ix.Commands, entry)
		return shell.Result{}, false, "", nil
	}
	ok := o.ok
	if len(ok) == 0 {
		ok = []int{0}
	}
	r.planOp, r.planProbe = o.op, o.probe
	for attempt := 0; ; attempt++ {
		entry.Start = recording.SecondsOf(r.ex.elapsed())
		res, err = r.ex.run(ctx, typed, shell.RunOptions{Timeout: o.timeout, Answers: o.answers, Vars: append(append([]shell.Var(nil), vars...), o.quiet...)})
		entry.End = recording.SecondsOf(r.ex.elapsed())
		entry.Exit = res.Exit
		entry.Output = recording.NewBlob([]byte(r.mask(res.Output))) // for replay
		sr.ix.Commands = append(sr.ix.Commands, entry)
		if err != nil || r.opts.Plan {
			return res, false, "", err
		}
		reason = r.failureReason(res, text, o, strict, ok)
		if reason == "" || attempt >= o.retries {
			if reason != "" && o.retries > 0 {
				reason += fmt.Sprintf(" (after %d tries)", attempt+1)
			}
			return res, false, reason, nil
		}
		if o.delay > 0 && r.replay == nil {
			select {
			case <-time.After(o.delay):
			case <-ctx.Done():
				return res, false, "", ctx.Err()
			}
		}
	}
}

// pendingCommand describes the command about to run to the
// BeforeCommand hook, with the live session's keyboard when there is one.
func (r *runner) pendingCommand(sr *stepRun, text string, o shOptions) *PendingCommand {
	pc := &PendingCommand{Step: sr.step, Steps: r.steps, Text: text, Op: o.op, Probe: o.probe, Recorder: r.ex.pauser(), Show: r.ex.note,
		Narration: sr.ix.Comments, Target: o.target, Diff: o.diff, Intent: r.mask(o.intent)}
	if ls, ok := r.ex.(*liveSession); ok {
		d := ls.driver() // the session of now: a reboot replaces it
		pc.Keyboard, pc.Ended, pc.Resize, pc.WaitPrompt = d.Keyboard(), d.Ended(), d.Resize, d.WaitPrompt
	}
	return pc
}

// failureReason says why a finished command failed, "" when it did not:
// it timed out, exited outside ok (when strict), or lacks expected output.
func (r *runner) failureReason(res shell.Result, text string, o shOptions, strict bool, ok []int) string {
	switch {
	case res.TimedOut:
		return fmt.Sprintf("command %q timed out after %v and was interrupted", text, o.timeout)
	case strict && !contains(ok, res.Exit):
		reason := fmt.Sprintf("command %q exited with status %d", text, res.Exit)
		if len(o.ok) > 0 {
			reason += fmt.Sprintf(" (accepted: %v)", o.ok)
		}
		return reason
	default:
		for _, e := range o.expect {
			if !strings.Contains(res.Output, e) {
				return fmt.Sprintf("output of %q lacks the expected %q", text, r.mask(e))
			}
		}
	}
	return ""
}

func contains(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// luaComment narrates: the text is shown at the prompt as a shell comment.
//
//	comment(text)
func (r *runner) luaComment(L *lua.LState) int {
	text := L.CheckString(1)
	r.requireStep(L, "comment")
	sr := r.inStep
	text = r.mask(text)
	sr.ix.Comments = append(sr.ix.Comments, text)
	if sr.plan != nil {
		sr.plan.Items = append(sr.plan.Items, PlanItem{Comment: text})
		return 0
	}
	if err := r.ex.comment(L.Context(), text); err != nil {
		if L.Context() != nil && L.Context().Err() != nil {
			L.RaiseError("interrupted")
		}
		L.RaiseError("comment: %v", err)
	}
	return 0
}

// luaSkip ends the step as skipped; the reason is shown and recorded.
//
//	skip(reason)
func (r *runner) luaSkip(L *lua.LState) int {
	reason := L.OptString(1, "skipped")
	r.requireStep(L, "skip")
	r.end(L, &stepEnd{skip: &reason, msg: "skip: " + reason})
	return 0
}

var _ = stdlib.Document("", "secret", `secret(value [, name]) -> value`,
	`Marks a value the runbook computed or read as secret and returns it: masked (****)
wherever it would be shown or recorded, in every encoding, and typed in commands as the
shell variable name (default secret1, secret2, ...), defined in the session out of sight.`)

var _ = stdlib.Document("", "comment", `comment(text)`,
	`Narrates: the text is shown at the prompt as shell comment lines, recorded, and becomes
the step's narration on the guide page.`)

var _ = stdlib.Document("", "skip", `skip([reason])`,
	`Ends the step as skipped, with the reason shown and recorded.`)

var _ = stdlib.Document("", "print", `print(...)`,
	`Shows its arguments to the user only: never recorded, never on a page.`)

// luaSecret marks a value the runbook computed or read (a generated token,
// a key read from a file) as secret, and returns it unchanged.
//
//	secret(value [, name]) -> value
//
// From then on the value is masked ("****") wherever it would be shown or
// recorded, in every encoding; a command holding it refers to it as the
// shell variable name (default secret1, secret2, ...), defined in the
// session out of sight, and file content holding it is written without
// typing it.
func (r *runner) luaSecret(L *lua.LState) int {
	v := L.CheckString(1)
	name := L.OptString(2, "")
	if name == "" {
		name = fmt.Sprintf("secret%d", r.secrets.Len()+1)
	}
	r.addSecret(name, v, "")
	L.Push(lua.LString(v))
	return 1
}

// luaPrint shows its arguments to the user only: never recorded.
//
//	print(...)
func (r *runner) luaPrint(L *lua.LState) int {
	var parts []string
	for i := 1; i <= L.GetTop(); i++ {
		parts = append(parts, L.ToStringMeta(L.Get(i)).String())
	}
	if r.ex != nil {
		r.ex.note(r.mask(strings.Join(parts, "\t")))
	}
	return 0
}
