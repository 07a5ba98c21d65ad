package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/recording"
)

// Replay: `runbook check REC --runbook FILE` runs the runbook's Lua again
// against the recording's index instead of a host. Every command gets the
// recorded exit status and output back, every side-channel read the
// recorded answer, every random draw the recorded bytes; so the runbook
// takes the path it took, and every command it would type now is compared
// with the one recorded, in order. Whatever changed — a helper, a
// required module, a template, a parameter's default, an option — the
// first command typed differently names the step and the runbook line.

// ReplayFinding is what the replay found about one step.
type ReplayFinding struct {
	Step int
	Name string
	// Stale: the runbook would now type something else than the
	// recording shows (a failure); otherwise a note.
	Stale bool
	Msg   string
}

// ReplayReport is the outcome of a replay.
type ReplayReport struct {
	Findings []ReplayFinding
	// Full is false when the index predates replay (no reads, no
	// outputs, no parameters recorded): differences are then notes.
	Full bool
	// Runbook is the runbook as loaded for the replay (its normalize
	// patterns, its path).
	Runbook *Runbook
}

// errReplayStop ends a step's replay at its first difference.
var errReplayStop = errors.New("replay: the runbook no longer follows the recording here")

// errReadsNotRecorded ends a step's replay at a read an older index lacks.
var errReadsNotRecorded = errors.New("replay: the recording kept no reads")

// replayer answers from the index for one step at a time.
type replayer struct {
	r    *runner
	ix   *recording.Index
	full bool
	// output gives a recorded command's output when the index has none
	// (older indexes): read from the recording's terminal output.
	output func(step, cmd int) string

	step     *recording.Step
	stepIdx  int
	cmd      int  // next recorded command
	fresh    bool // the hook just took a recorded command; no attempt yet
	nread    int  // next recorded read
	random   []byte
	finding  string // the step's first difference
	noReads  string // where a read the index lacks stopped the step
	stopHere bool   // the recording stopped in this step
}

func (rp *replayer) begin(rs *recording.Step, idx int, stopHere bool) {
	rp.step, rp.stepIdx, rp.cmd, rp.nread = rs, idx, 0, 0
	rp.finding, rp.noReads, rp.stopHere = "", "", stopHere
	rp.random, _ = hex.DecodeString(rs.Random)
}

func (rp *replayer) where() string { return whereLine(rp.r.L) }

// differ notes the step's first difference and stops the step.
func (rp *replayer) differ(format string, a ...any) error {
	if rp.finding == "" {
		rp.finding = fmt.Sprintf(format, a...)
	}
	return errReplayStop
}

// hook is the replay's BeforeCommand: the command the runbook would type
// now against the next one recorded.
func (rp *replayer) hook(ctx context.Context, pc *PendingCommand) error {
	if rp.finding != "" || rp.noReads != "" {
		return errReplayStop
	}
	cs := rp.step.Commands
	if rp.cmd >= len(cs) {
		if rp.stopHere {
			rp.noReads = "the recording stopped before it" // not reached: a note
			return errReplayStop
		}
		return rp.differ("%s would type `%s`; the recording has no more commands in this step", rp.where(), pc.Text)
	}
	c := cs[rp.cmd]
	rp.cmd++
	rp.fresh = true
	want := c.Text
	if c.EditedFrom != "" {
		want = c.EditedFrom
	}
	if pc.Text != want {
		return rp.differ("%s would type `%s`; the recording has `%s`", rp.where(), pc.Text, want)
	}
	if c.EditedFrom != "" {
		pc.Text = c.Text // edited at the step prompt when recorded
	}
	pc.Skip = c.Skipped
	return nil
}

// run answers a command with what the recorded one returned.
func (rp *replayer) run(ctx context.Context, typed string, o shell.RunOptions) (shell.Result, error) {
	if !rp.fresh {
		// A retry (retries=): the recording has each attempt.
		cs := rp.step.Commands
		if rp.cmd >= len(cs) || cs[rp.cmd].Text != cs[rp.cmd-1].Text {
			return shell.Result{}, rp.differ("%s would try `%s` again; the recording does not", rp.where(), cs[rp.cmd-1].Text)
		}
		rp.cmd++
	}
	rp.fresh = false
	c := rp.step.Commands[rp.cmd-1]
	want := c.Typed
	if want == "" {
		want = c.Text
	}
	if got := rp.r.mask(typed); got != want {
		return shell.Result{}, rp.differ("%s would type `%s`; the recording has `%s`", rp.where(), got, want)
	}
	res := shell.Result{Exit: c.Exit}
	switch {
	case c.Output != nil:
		res.Output = string(c.Output.Bytes())
	case !rp.full && rp.output != nil:
		res.Output = rp.output(rp.stepIdx, rp.cmd-1)
	}
	return res, nil
}

// read answers a side-channel read with the recorded one.
func (rp *replayer) read(cmd string, stdin []byte) ([]byte, int, error) {
	if rp.finding != "" || rp.noReads != "" {
		return nil, 0, errReplayStop
	}
	got := rp.r.mask(cmd)
	if !rp.full {
		rp.noReads = rp.where() + " reads the host's state"
		return nil, 0, errReadsNotRecorded
	}
	rs := rp.step.Reads
	if rp.nread >= len(rs) {
		if rp.stopHere {
			rp.noReads = "the recording stopped before it"
			return nil, 0, errReplayStop
		}
		return nil, 0, rp.differ("%s reads the host's state (`%s`); the recording made no more reads in this step", rp.where(), short(got))
	}
	rd := rs[rp.nread]
	rp.nread++
	if got != rd.Cmd {
		return nil, 0, rp.differ("%s reads the host's state with `%s`; the recording read `%s`", rp.where(), short(got), short(rd.Cmd))
	}
	if h := stdinHash(rp.r.mask(string(stdin)), stdin != nil); h != rd.StdinSHA256 {
		return nil, 0, rp.differ("%s sends the host other content than the recording did (through `%s`)", rp.where(), short(got))
	}
	return rd.Out.Bytes(), rd.Exit, nil
}

// Read gives the recorded random bytes.
func (rp *replayer) Read(p []byte) (int, error) {
	if len(rp.random) < len(p) {
		return 0, rp.differ("%s draws random bytes the recording did not", rp.where())
	}
	n := copy(p, rp.random)
	rp.random = rp.random[n:]
	return n, nil
}

// short is a side-channel command's first line (they are scripts).
func short(cmd string) string {
	if i := strings.IndexByte(cmd, '\n'); i >= 0 {
		return cmd[:i] + " …"
	}
	return cmd
}

func stdinHash(s string, given bool) string {
	if !given {
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// readEntry is a side-channel read as the index keeps it.
func (r *runner) readEntry(cmd string, stdin, out []byte, exit int) recording.Read {
	return recording.Read{
		Cmd:         r.mask(cmd),
		StdinSHA256: stdinHash(r.mask(string(stdin)), stdin != nil),
		Exit:        exit,
		Out:         recording.NewBlob([]byte(r.mask(string(out)))),
		Before:      len(r.inStep.ix.Commands),
	}
}

// recordedParams are the parameters given to the run (--set, or asked
// for) for the index, a secret's value masked. Those left at their
// default are not kept: a replay takes the runbook's default now, so a
// changed default that changes a command is stale.
func recordedParams(rb *Runbook, set map[string]string) map[string]string {
	var m map[string]string
	for _, p := range rb.Params {
		if _, given := set[p.Name]; !given && !p.Required {
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		v := p.Value
		if p.Secret && v != "" {
			v = "****"
		}
		m[p.Name] = v
	}
	return m
}

// randTape draws random bytes and keeps them in the step's index entry,
// so a replay draws the same.
type randTape struct {
	r   *runner
	src io.Reader
}

func (t *randTape) Read(p []byte) (int, error) {
	n, err := t.src.Read(p)
	if t.r.inStep != nil && n > 0 {
		t.r.inStep.ix.Random += hex.EncodeToString(p[:n])
	}
	return n, err
}

// reboot replays host.reboot: the command is compared and answered like
// any other; without wait the run ends after this step, as it did.
func (rp *replayer) reboot(ctx context.Context, wait bool) error {
	_, _, _, err := rp.r.command(ctx, rebootCommand, shOptions{op: "host.reboot"}, false)
	if err != nil {
		return err
	}
	if !wait {
		rp.r.stopAfter = stopRebooted
	}
	return nil
}

// replaySession is the executor of a replay.
type replaySession struct{ rp *replayer }

func (s *replaySession) run(ctx context.Context, typed string, o shell.RunOptions) (shell.Result, error) {
	return s.rp.run(ctx, typed, o)
}
func (s *replaySession) comment(ctx context.Context, text string) error { return nil }
func (s *replaySession) elapsed() time.Duration                         { return 0 }
func (s *replaySession) note(text string)                               {}
func (s *replaySession) pauser() Pauser                                 { return nopPauser{} }
func (s *replaySession) lastOutput() string                             { return "" }

// Replay runs the runbook (opts.Path, Source, Dir) against the index of
// its recording and reports, step by step, the first command it would
// type differently. output, when set, reads a command's output from the
// recording for indexes that do not keep it.
func Replay(ctx context.Context, opts Options, ix *recording.Index, output func(step, cmd int) string) (*ReplayReport, error) {
	rep := &ReplayReport{Full: ix.Replay}
	rp := &replayer{ix: ix, full: ix.Replay, output: output}
	opts.Plan, opts.DryRun, opts.Target, opts.Ask = false, false, nil, nil
	opts.BeforeCommand = rp.hook
	if ix.Runbook != nil && ix.Runbook.Params != nil {
		if err := replayParams(&opts, ix); err != nil {
			return nil, err
		}
	}
	r, err := load(&opts)
	if err != nil {
		return nil, err
	}
	defer r.L.Close()
	rep.Runbook = r.rb
	rp.r = r
	r.replay = rp
	r.ex = &replaySession{rp: rp}
	r.mods.SetRand(rp)
	r.steps = len(r.rb.Steps)
	if !ix.Replay && (ix.Runbook == nil || ix.Runbook.Params == nil) {
		if len(r.rb.Params) > 0 {
			rep.note(0, "", "the index keeps no parameters: replayed with the runbook's defaults")
		}
	}
	if !rp.full {
		rep.note(0, "", "the index predates replay (no reads or outputs recorded): commands compared up to each step's first read of the host, differences are notes; re-record to check fully")
	}

	if err := replaySteps(ctx, r, rp, ix, rep); err != nil {
		return nil, err
	}
	rep.finish(ix, len(r.rb.Steps))
	return rep, nil
}

// replayParams sets opts.Set to the run's parameters; those the runbook no
// longer declares are left out (what they changed shows in the commands).
func replayParams(opts *Options, ix *recording.Index) error {
	rb, err := Load(Options{Path: opts.Path, Source: opts.Source, Dir: opts.Dir})
	if err != nil {
		return err
	}
	opts.Set = map[string]string{}
	for _, p := range rb.Params {
		if v, ok := ix.Runbook.Params[p.Name]; ok {
			opts.Set[p.Name] = v
		}
	}
	return nil
}

// replaySteps runs the runbook's steps against their recorded ones in
// order, judging each and noting those that cannot be compared. Its only
// error is the context's.
func replaySteps(ctx context.Context, r *runner, rp *replayer, ix *recording.Index, rep *ReplayReport) error {
	byN := map[int]int{}
	lastN := 0
	for i, s := range ix.Steps {
		byN[s.N] = i
		lastN = max(lastN, s.N)
	}
	stoppedAfter := 0 // a replayed host.reboot{wait=false} ends it too
	for si, s := range r.rb.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		i, ok := byN[s.N]
		if stoppedAfter > 0 {
			if ok {
				rep.stale(s, "the runbook now ends the run after step %d (a reboot without wait), the recording goes on", stoppedAfter)
			}
			continue
		}
		if !ok {
			switch {
			case ix.Stopped != nil && s.N > lastN:
				rep.note(s.N, s.Name, "not reached: the run stopped before this step (%s)", ix.Stopped.Reason)
			case s.N < firstN(ix):
				rep.note(s.N, s.Name, "not recorded: the run started after it (--from)")
			default:
				rep.stale(s, "%s declares this step, the recording does not have it: record again", s.FileLine)
			}
			continue
		}
		rs := &ix.Steps[i]
		if rs.Name != s.Name {
			rep.stale(s, "the runbook's step %d is now %q, recorded as %q: record again", s.N, s.Name, rs.Name)
			continue
		}
		stopHere := ix.Stopped != nil && s.N == lastN
		rp.begin(rs, i, stopHere)
		sr := &stepRun{step: s, ix: &recording.Step{}, last: si == len(r.rb.Steps)-1}
		o := r.runStep(ctx, sr)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rep.judge(rp, s, rs, o)
		if r.stopAfter != "" {
			stoppedAfter = s.N
		}
	}
	return nil
}

// finish flags recorded steps beyond the runbook's last (steps of them),
// and turns an older index's findings into notes.
func (rep *ReplayReport) finish(ix *recording.Index, steps int) {
	for _, rs := range ix.Steps {
		if rs.N > steps {
			rep.Findings = append(rep.Findings, ReplayFinding{Step: rs.N, Name: rs.Name, Stale: true,
				Msg: fmt.Sprintf("recorded, but the runbook no longer has step %d", rs.N)})
		}
	}
	if !rep.Full {
		// An older index: differences are notes, not failures.
		for i := range rep.Findings {
			rep.Findings[i].Stale = false
		}
	}
}

func firstN(ix *recording.Index) int {
	n := 0
	for _, s := range ix.Steps {
		if n == 0 || s.N < n {
			n = s.N
		}
	}
	return n
}

func (rep *ReplayReport) note(n int, name, format string, a ...any) {
	rep.Findings = append(rep.Findings, ReplayFinding{Step: n, Name: name, Msg: fmt.Sprintf(format, a...)})
}

func (rep *ReplayReport) stale(s *Step, format string, a ...any) {
	rep.Findings = append(rep.Findings, ReplayFinding{Step: s.N, Name: s.Name, Stale: true, Msg: fmt.Sprintf(format, a...)})
}

// judge compares how a replayed step ended with how it was recorded.
func (rep *ReplayReport) judge(rp *replayer, s *Step, rs *recording.Step, o outcome) {
	switch {
	case rp.finding != "":
		rep.stale(s, "%s", rp.finding)
		return
	case rp.noReads != "" && rp.stopHere:
		rep.note(s.N, s.Name, "not reached further: %s", rp.noReads)
		return
	case rp.noReads != "":
		rep.note(s.N, s.Name, "reads not recorded: compared up to %s; re-record to check fully", rp.noReads)
		return
	}
	recSkipped := rs.Status == recording.StatusSkipped
	nowSkipped := o.status == recording.StatusSkipped
	switch {
	case nowSkipped && !recSkipped:
		rep.stale(s, "the runbook now skips this step (%s), the recording ran it", o.reason)
		return
	case recSkipped && !nowSkipped && rp.cmd == len(rs.Commands) && o.err == nil:
		rep.stale(s, "the runbook no longer skips this step (recorded: %s)", rs.Reason)
		return
	}
	if rp.cmd < len(rs.Commands) && !rp.stopHere {
		c := rs.Commands[rp.cmd]
		if o.err != nil && rs.Status != recording.StatusFailed {
			rep.stale(s, "the step now ends at %s, before the recorded `%s`", o.reason, c.Text)
			return
		}
		rep.stale(s, "the runbook no longer types the recorded `%s` (%d of the step's %d commands typed now)", c.Text, rp.cmd, len(rs.Commands))
		return
	}
	if o.err != nil && rs.Status != recording.StatusFailed && !rp.stopHere {
		rep.stale(s, "the step now fails: %s", o.reason)
	}
}

// String names the finding's step.
func (f ReplayFinding) String() string {
	if f.Step == 0 {
		return f.Msg
	}
	return fmt.Sprintf("step %d %q: %s", f.Step, f.Name, strings.TrimSpace(f.Msg))
}
