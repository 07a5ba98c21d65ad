package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Options configure one run of a runbook on one target.
type Options struct {
	// Path names the runbook in messages; Source is its text; Dir is where
	// require() looks for modules ("" for a built-in runbook).
	Path   string
	Source []byte
	Dir    string

	Target target.Target
	Set    map[string]string // --set name=value, --set-file name=path
	Ask    Asker             // nil: no terminal to ask at
	// LookupEnv reads RUNBOOK_PARAM_<NAME> (the name upper-cased) for a
	// parameter Set does not give; nil: no environment.
	LookupEnv func(string) (string, bool)
	// Visible names the parameters of Set given on the command line
	// (--set): a secret given so is seen by every user of the machine in
	// the process list, and Warn (when set) says so once.
	Visible map[string]bool
	Warn    func(string)

	Record string // recording path; "" records nothing (unless RecordDir)
	// NoClobber refuses a Record that exists already (the CLI's default,
	// as asciinema rec's; its --overwrite replaces the file instead, as
	// the zero value does).
	NoClobber bool
	// RecordDir, when Record is "", names the recording
	// RecordDir/NAME-HOST-YYYYMMDDTHHMMSSZ.ttyrec (UTC).
	RecordDir string
	IdleLimit time.Duration
	From      string   // --from STEP (name or number)
	Only      []string // --only STEP (repeatable; "2,3" is two steps unless a step has that name)
	Cols      int
	Rows      int
	DryRun    bool
	Diff      bool

	// Display shows the session as it happens (nil: nothing); Quiet shows
	// only the step lines and the recap there.
	Display    io.Writer
	DisplayTTY bool // the display is a terminal: step lines in bold
	Quiet      bool

	// Secrets collects every value that must never be shown or recorded
	// (secret parameters, secret answers, secret() values); the caller
	// may share it with the writers it masks. nil: the run makes its own.
	Secrets *secret.Set

	BeforeCommand BeforeCommand
	// WindowSize, when set, reads the user's terminal size: the session
	// follows it on every SIGWINCH for the whole run, and the index gets a
	// "resize COLSxROWS" marker. Left nil when --cols/--rows fix the size.
	WindowSize func() (cols, rows int, err error)
	Clock      recording.Clock // nil: the real clock
	Nonce      string          // nil: random (tests inject one)

	// Plan loads and walks the steps without running anything (runbook steps).
	Plan bool
	// PlanRecording, in a plan, answers the side-channel reads the recorded
	// run made with the same command (the facts), so a page made beside a
	// recording shows its host's facts; every other read still stops.
	PlanRecording *recording.Index

	// onStep, when set, is told when each step starts (a fleet's summary
	// line shows the slowest step running).
	onStep func(s *Step, of int)
	// stamp, when set, is the time a RecordDir name is stamped with (a
	// fleet's hosts share their fleet's).
	stamp time.Time
}

// runner is one runbook loaded in one Lua state for one target.
type runner struct {
	L    *lua.LState
	rb   *Runbook
	opts *Options
	mods *stdlib.Modules
	ex   executor
	// planOp is the stdlib operation typing the command now ("" for sh()).
	planOp    string
	planProbe bool // the command now is a probe
	secrets   *secret.Set
	// vars are the shell variables that stand for secrets in typed
	// commands (`${pw}`), with their values.
	vars []shell.Var
	// beforeCmd are called before any command is typed (the stdlib's
	// stdlib.CommandNotifier: it reads back its changes and forgets what
	// it read of files then).
	beforeCmd []func()

	inStep *stepRun
	steps  int // how many steps this run runs

	// replay, when set, answers commands and reads from a recording's
	// index instead of a host (runbook check; replay.go).
	replay *replayer

	// shellOpts started the session; a new session after a reboot starts
	// the same way (reboot.go). markers go to the index ("reboot", "back
	// after N s"). stopAfter, when set, ends the run cleanly after the
	// current step (host.reboot{wait=false}) with that reason.
	shellOpts shell.Options
	markers   []recording.Marker
	stopAfter string
	// rebootErr is why host.reboot failed for the host (it did not go down
	// or come back): the step fails as work that failed, not as a mistake
	// in the runbook.
	rebootErr error
}

// stepEnd is what a step raises to end itself — skipped, failed, or
// stopped by a Go error that keeps its type (a quit at the step prompt, a
// lost connection) — as Lua userdata, so that runStep reads it back from
// the error the step function returned, and a runbook's pcall that passes
// it on passes it on whole. Shown as text (tostring), it is msg.
type stepEnd struct {
	skip   *string
	failed *StepFailedError
	fatal  error
	msg    string
}

// end raises e from the Lua state: the step ends.
func (r *runner) end(L *lua.LState, e *stepEnd) {
	ud := L.NewUserData()
	ud.Value = e
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(e.msg))
		return 1
	}))
	L.SetMetatable(ud, mt)
	L.Error(ud, 0)
}

// stepRun is the step now running.
type stepRun struct {
	step    *Step
	ix      *recording.Step
	changed bool
	last    bool // the last step this run runs
	plan    *PlannedStep
	// intent is the last operation's intent (for the step prompt).
	intent *stdlib.Intent
}

// executor is where commands go: the live session or a plan.
type executor interface {
	run(ctx context.Context, typed string, o shell.RunOptions) (shell.Result, error)
	comment(ctx context.Context, text string) error
	elapsed() time.Duration
	note(text string)
	pauser() Pauser
	lastOutput() string // the last command's output ("" in a plan)
}

// load reads the runbook: its top level runs (declaring metadata,
// parameters and steps) in a fresh sandboxed state.
func load(opts *Options) (*runner, error) {
	r := &runner{opts: opts, rb: newRunbook(opts.Path, opts.Source), secrets: opts.Secrets}
	if r.secrets == nil {
		r.secrets = &secret.Set{}
	}
	L := newSandbox(opts.Dir)
	r.L = L
	L.SetGlobal("runbook", L.NewFunction(r.luaRunbook))
	L.SetGlobal("step", L.NewFunction(r.luaStep))
	L.SetGlobal("sh", L.NewFunction(r.luaSh))
	L.SetGlobal("comment", L.NewFunction(r.luaComment))
	L.SetGlobal("skip", L.NewFunction(r.luaSkip))
	L.SetGlobal("print", L.NewFunction(r.luaPrint))
	L.SetGlobal("secret", L.NewFunction(r.luaSecret))
	r.mods = stdlib.Open(L, &host{r: r})
	L.SetGlobal("params", L.NewTable())
	fn, err := loadChunk(L, opts.Source, opts.Path)
	if err != nil {
		L.Close()
		msg := luaMessage(err)
		if strings.HasPrefix(msg, opts.Path+" at EOF:") {
			msg = eofMessage(opts.Path, opts.Source)
		}
		return nil, &RunbookError{Msg: msg}
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		L.Close()
		return nil, &RunbookError{Msg: luaMessage(err)}
	}
	if !r.rb.declared {
		// No runbook{}: no parameters, so any --set names an unknown one.
		if err := r.resolveParams(L); err != nil {
			L.Close()
			return nil, &RunbookError{Msg: opts.Path + ": " + err.Error()}
		}
	}
	return r, nil
}

// compiled holds the byte code of the runbooks compiled in this process,
// by path and source: a check loads one runbook several times (lint,
// parameters, replay), and gopher-lua's byte code may be shared between
// states.
var compiled sync.Map // chunkKey → *lua.FunctionProto

type chunkKey struct {
	path string
	sum  [sha256.Size]byte
}

// loadChunk is L.Load of source, compiled once per process. A chunk that
// does not compile goes through L.Load itself, for its error.
func loadChunk(L *lua.LState, source []byte, path string) (*lua.LFunction, error) {
	key := chunkKey{path, sha256.Sum256(source)}
	if p, ok := compiled.Load(key); ok {
		return L.NewFunctionFromProto(p.(*lua.FunctionProto)), nil
	}
	chunk, err := parse.Parse(bytes.NewReader(source), path)
	if err != nil {
		return L.Load(bytes.NewReader(source), path)
	}
	proto, err := lua.Compile(chunk, path)
	if err != nil {
		return L.Load(bytes.NewReader(source), path)
	}
	compiled.Store(key, proto)
	return L.NewFunctionFromProto(proto), nil
}

var syntaxErr = regexp.MustCompile(`^(.*) line:(\d+)\(column:(\d+)\) near (.*?):\s+(.*)$`)

// luaMessage is a Lua error as a runbook author wants it: file:line and the
// message, no Go stack.
func luaMessage(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		msg := strings.TrimSpace(ae.Object.String())
		if m := syntaxErr.FindStringSubmatch(msg); m != nil {
			// gopher-lua says "x.lua line:2(column:14) near ')':   syntax error".
			msg = fmt.Sprintf("%s:%s:%s: %s near %s", m[1], m[2], m[3], strings.TrimSpace(m[5]), m[4])
		}
		return msg
	}
	return err.Error()
}

// selectSteps returns the steps this run runs (--from, --only).
func (r *runner) selectSteps() ([]*Step, error) {
	steps := r.rb.Steps
	if len(r.opts.Only) > 0 {
		want := map[int]bool{}
		for _, sel := range r.opts.Only {
			if s, ok := r.rb.Find(sel); ok {
				want[s.N] = true
				continue
			}
			for _, part := range strings.Split(sel, ",") {
				s, ok := r.rb.Find(part)
				if !ok {
					return nil, runbookErrorf("%s: --only %q: no such step%s", r.rb.Path, strings.TrimSpace(part), stepList(r.rb))
				}
				want[s.N] = true
			}
		}
		var only []*Step
		for _, s := range steps {
			if want[s.N] {
				only = append(only, s)
			}
		}
		return only, nil
	}
	if r.opts.From != "" {
		s, ok := r.rb.Find(r.opts.From)
		if !ok {
			return nil, runbookErrorf("%s: --from %q: no such step%s", r.rb.Path, r.opts.From, stepList(r.rb))
		}
		return steps[s.N-1:], nil
	}
	return steps, nil
}

func stepList(rb *Runbook) string {
	if len(rb.Steps) == 0 {
		return " (the runbook has no steps)"
	}
	var b strings.Builder
	b.WriteString(" (steps:")
	for _, s := range rb.Steps {
		fmt.Fprintf(&b, " %d %q", s.N, s.Name)
	}
	b.WriteString(")")
	return b.String()
}

// outcome of one step.
type outcome struct {
	status string
	reason string
	err    error // stops the run: failure, runbook error, interruption
}

// runStep calls a step's function and classifies how it ended.
func (r *runner) runStep(ctx context.Context, sr *stepRun) outcome {
	r.inStep, r.rebootErr = sr, nil
	defer func() { r.inStep = nil }()
	L := r.L
	L.SetContext(ctx)
	defer L.RemoveContext()
	L.Push(sr.step.fn)
	err := L.PCall(0, 0, nil)
	if err == nil {
		err = r.mods.EndStep(L)
	}
	if err == nil && sr.last {
		// on_change(fn, {at="runbook"}) handlers, inside the last step so
		// their commands are typed and recorded there (stdlib engineer, issue 6).
		err = r.mods.EndRunbook(L)
	}
	switch {
	case err == nil && sr.changed:
		return outcome{status: recording.StatusChanged}
	case err == nil:
		return outcome{status: recording.StatusOK}
	case ctx.Err() != nil:
		return outcome{status: recording.StatusFailed, reason: "interrupted", err: ctx.Err()}
	}
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if ud, ok := ae.Object.(*lua.LUserData); ok {
			if e, ok := ud.Value.(*stepEnd); ok {
				return r.endOutcome(sr, e)
			}
		}
	}
	// A Lua error, or a session error surfaced through a stdlib call.
	var lost *target.LostError
	if errors.As(err, &lost) {
		return lostOutcome(sr, lost)
	}
	msg := luaMessage(err)
	if r.rebootErr != nil {
		sf := &StepFailedError{Step: sr.step.N, Name: sr.step.Name, Reason: msg}
		return outcome{status: recording.StatusFailed, reason: msg, err: sf}
	}
	return outcome{status: recording.StatusFailed, reason: msg,
		err: runbookErrorf("%s (in step %d %q)", msg, sr.step.N, sr.step.Name)}
}

// endOutcome is how a step that raised e ended.
func (r *runner) endOutcome(sr *stepRun, e *stepEnd) outcome {
	switch {
	case e.skip != nil:
		return outcome{status: recording.StatusSkipped, reason: *e.skip}
	case e.failed != nil:
		return outcome{status: recording.StatusFailed, reason: e.failed.Reason, err: e.failed}
	}
	var lost *target.LostError
	if errors.As(e.fatal, &lost) {
		return lostOutcome(sr, lost)
	}
	if errors.As(e.fatal, new(*StepQuit)) {
		return outcome{status: recording.StatusQuit, reason: "quit at the step prompt", err: e.fatal}
	}
	return outcome{status: recording.StatusFailed, reason: e.fatal.Error(), err: e.fatal}
}

// lostOutcome fails the step the host was lost in, naming the step and
// the command, so the user knows where to resume (--from).
func lostOutcome(sr *stepRun, lost *target.LostError) outcome {
	sf := &StepFailedError{Step: sr.step.N, Name: sr.step.Name, Reason: lost.Error(), Err: lost}
	if cs := sr.ix.Commands; len(cs) > 0 {
		c := cs[len(cs)-1]
		sf.Command = c.Text
		sf.Reason = fmt.Sprintf("%s, while running %q", lost.Error(), c.Text)
	}
	return outcome{status: recording.StatusFailed, reason: sf.Reason, err: sf}
}

// fail ends the current step as failed: it raises a Lua error the step
// function cannot mistake for its own.
func (r *runner) fail(L *lua.LState, cmd string, exit int, reason string) {
	where := whereLine(L)
	sr := r.inStep
	r.end(L, &stepEnd{failed: &StepFailedError{Step: sr.step.N, Name: sr.step.Name, FileLine: where, Command: cmd, Exit: exit, Reason: reason,
		Output: lastLines(r.mask(r.ex.lastOutput()), failTailLines)},
		msg: where + ": " + reason})
}

// failTailLines is how much of a failed command's output its error shows:
// enough to see why without scrolling back (or with no recording).
const failTailLines = 10

// lastLines returns the last n lines of out.
func lastLines(out string, n int) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// mask replaces secret values in s, in every form secret.Forms lists.
func (r *runner) mask(s string) string { return r.secrets.MaskString(s) }

// addSecret makes v a secret: masked everywhere, and referred to in typed
// commands as the shell variable named for name (a parameter's name,
// "secret1"..., "answer1"...). exportAs, when set, also exports v in the
// session under that name. It returns the variable's name.
func (r *runner) addSecret(name, v, exportAs string) string {
	if v == "" {
		return ""
	}
	r.secrets.Add(name, v)
	for _, x := range r.vars {
		if x.Value == v && !x.Export {
			return x.Name
		}
	}
	vn := shellName(name)
	for taken := true; taken; {
		taken = false
		for _, x := range r.vars {
			if x.Name == vn {
				taken = true
				vn += "_"
			}
		}
	}
	r.vars = append(r.vars, shell.Var{Name: vn, Value: v})
	if exportAs != "" {
		r.vars = append(r.vars, shell.Var{Name: exportAs, Value: v, Export: true})
	}
	return vn
}

// shellName makes name a shell variable name: letters, digits and
// underscores, not starting with a digit.
func shellName(name string) string {
	var b strings.Builder
	for i, c := range name {
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0:
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "secret"
	}
	return b.String()
}

// refs are the secrets typed commands refer to by variable.
func (r *runner) refs() []secret.Ref {
	var refs []secret.Ref
	for _, v := range r.vars {
		if !v.Export {
			refs = append(refs, secret.Ref{Var: v.Name, Value: v.Value})
		}
	}
	return refs
}

// varsFor returns the variables named in names, with their values.
func (r *runner) varsFor(names []string) []shell.Var {
	var out []shell.Var
	for _, n := range names {
		for _, v := range r.vars {
			if v.Name == n && !v.Export {
				out = append(out, v)
			}
		}
	}
	return out
}
