package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/recording"
)

// Report is the outcome of a run: the recap, and what --json prints.
type Report struct {
	Runbook   string        `json:"runbook"`
	Path      string        `json:"path"`
	Host      string        `json:"host"`
	Recording string        `json:"recording,omitempty"`
	Index     string        `json:"index,omitempty"`
	DryRun    bool          `json:"dry_run,omitempty"`
	Steps     []StepReport  `json:"steps"`
	OK        int           `json:"ok"`
	Changed   int           `json:"changed"`
	Failed    int           `json:"failed"`
	Skipped   int           `json:"skipped"`
	Duration  float64       `json:"duration"` // seconds of wall-clock time
	Stopped   string        `json:"stopped,omitempty"`
	Error     string        `json:"error,omitempty"`
	took      time.Duration //
}

// StepReport is one step in the Report.
type StepReport struct {
	N        int     `json:"n"`
	Name     string  `json:"name"`
	Status   string  `json:"status"`
	Reason   string  `json:"reason,omitempty"`
	Commands int     `json:"commands"`
	Duration float64 `json:"duration"`
}

// Recap is the one-line summary shown at the end of a run.
func (rep *Report) Recap() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: ", rep.Runbook, rep.Host)
	if rep.DryRun {
		b.WriteString("dry run, ")
	}
	fmt.Fprintf(&b, "%d ok, %d changed, %d failed, %d skipped in %s",
		rep.OK, rep.Changed, rep.Failed, rep.Skipped, rep.took.Round(time.Millisecond))
	if rep.Stopped != "" {
		fmt.Fprintf(&b, " (stopped: %s)", rep.Stopped)
	}
	if rep.Recording != "" {
		fmt.Fprintf(&b, "; recording %s", rep.Recording)
	}
	return b.String()
}

// Run runs a runbook on opts.Target, recording the session to opts.Record.
// The report is returned even with an error (a failed step, an interrupted
// run); the recording and index are complete and valid either way.
func Run(ctx context.Context, opts Options) (*Report, error) {
	began := time.Now()
	rep := &Report{Path: opts.Path, Host: opts.Target.Name(), DryRun: opts.DryRun}
	r, err := load(&opts)
	if err != nil {
		return rep, err
	}
	defer r.L.Close()
	steps, err := r.selectSteps()
	if err != nil {
		return rep, err
	}
	rep.Runbook = r.rb.Name
	r.steps = len(r.rb.Steps)

	a := &aRun{ctx: ctx, opts: &opts, r: r, rep: rep, display: opts.Display}
	if opts.Quiet {
		a.display = nil
	}
	a.cols, a.rows = opts.Cols, opts.Rows
	if a.cols <= 0 {
		a.cols = 80
	}
	if a.rows <= 0 {
		a.rows = 24
	}
	if err := a.openRecording(); err != nil {
		return rep, err
	}
	if err := a.startSession(); err != nil {
		return rep, err
	}
	if opts.WindowSize != nil {
		a.resizes = followWindow(opts.WindowSize, a.live.resize, a.tee.Elapsed)
		defer a.resizes.stop()
	}
	runErr, failedStep := a.runSteps(steps)
	runErr = a.finish(runErr, failedStep)
	rep.took = time.Since(began)
	rep.Duration = rep.took.Seconds()
	return rep, runErr
}

// aRun is one run in progress: what the phases of Run share.
type aRun struct {
	ctx        context.Context
	opts       *Options
	r          *runner
	rep        *Report
	display    io.Writer // nil with --quiet: the session is not shown
	cols, rows int

	tee     *tee
	ix      *recording.Index
	ixFile  *recording.IndexFile // nil: nothing recorded
	live    *liveSession
	resizes *windowFollower
}

// writeIndex writes the index as it stands (final: its last version).
func (a *aRun) writeIndex(final bool) error {
	if a.ixFile == nil {
		return nil
	}
	ix := a.ix
	if w := a.tee.writer(); w != nil {
		ix.StartedAt = w.StartedAt()
		ix.Pauses = w.Pauses()
	}
	ix.Markers = append([]recording.Marker(nil), a.r.markers...)
	if a.resizes != nil {
		ix.Markers = append(ix.Markers, a.resizes.markers()...)
	}
	sort.SliceStable(ix.Markers, func(i, j int) bool { return ix.Markers[i].At < ix.Markers[j].At })
	if final {
		return a.ixFile.Final(ix)
	}
	return a.ixFile.Update(ix)
}

// progress shows a step line or a note: on the display, or with --quiet
// on the user's output alone.
func (a *aRun) progress(s string) {
	if a.opts.Quiet && a.opts.Display != nil {
		fmt.Fprintln(a.opts.Display, s)
		return
	}
	a.tee.note(s)
}

// openRecording names and creates the recording (the run's alone), the
// tee that records and shows the session, and the index beside it,
// written first: it holds room for its last version, and a disk already
// full stops the run before anything ran.
func (a *aRun) openRecording() error {
	opts, r, rb := a.opts, a.r, a.r.rb
	pick := false
	if opts.Record == "" && opts.RecordDir != "" {
		now := time.Now()
		if opts.Clock != nil {
			now = opts.Clock.Now()
		}
		if !opts.stamp.IsZero() {
			now = opts.stamp
		}
		opts.Record = filepath.Join(opts.RecordDir, fmt.Sprintf("%s-%s-%s.ttyrec",
			FileSafe(rb.Name), FileSafe(opts.Target.Name()), now.UTC().Format("20060102T150405Z")))
		pick = true
	}
	var recFile *os.File
	wopts := recording.WriterOptions{Cols: a.cols, Rows: a.rows, Clock: opts.Clock, IdleLimit: opts.IdleLimit}
	if opts.Record != "" {
		// The recording is this run's alone; its index goes beside it,
		// under the name it really got.
		var err error
		if recFile, opts.Record, err = createRecording(opts.Record, pick, opts.NoClobber, firstFrame(wopts)); err != nil {
			return err
		}
	}
	a.tee = newTee(recFile, opts.Record, wopts, a.display, opts.DisplayTTY)
	if opts.Quiet {
		a.tee.quietNotes = opts.Display
	}
	if opts.Record != "" {
		// Whatever field a text goes into, no secret leaves in it.
		a.ixFile = &recording.IndexFile{Path: recording.IndexPath(opts.Record), Filter: r.secrets.MaskJSON}
	}
	a.ix = &recording.Index{
		Version:   recording.IndexVersion,
		Term:      recording.Term{Cols: a.cols, Rows: a.rows},
		IdleLimit: recording.SecondsOf(opts.IdleLimit),
		Runbook:   &recording.Runbook{Name: rb.Name, Path: rb.Path, SHA256: rb.SHA256, Params: recordedParams(rb, opts.Set)},
		Host:      opts.Target.Name(),
		Replay:    true,
	}
	r.mods.SetRand(&randTape{r: r, src: rand.Reader})
	if err := a.writeIndex(false); err != nil {
		a.tee.Close()
		os.Remove(opts.Record)
		return fmt.Errorf("cannot record to %s: %w", opts.Record, err)
	}
	return nil
}

// startSession starts the session's shell; a start that fails still
// leaves a sound recording and an index saying why it stopped.
func (a *aRun) startSession() error {
	opts, r := a.opts, a.r
	r.shellOpts = shell.Options{
		Cols: a.cols, Rows: a.rows, Prompt: r.rb.Prompt, Nonce: opts.Nonce,
		Vars: append([]shell.Var(nil), r.vars...), Secrets: r.secrets,
	}
	d, err := shell.Start(a.ctx, opts.Target, r.shellOpts, a.tee)
	if err != nil {
		if a.ctx.Err() != nil {
			err = interrupted(a.ctx, "")
		}
		if removed, _ := a.tee.Close(); !removed && a.ixFile != nil {
			a.ix.Stopped = &recording.Stopped{At: recording.SecondsOf(a.tee.Elapsed()), Reason: firstLine(err.Error())}
			if isInterrupted(err) {
				a.ix.Stopped.Reason = "interrupted"
			}
			a.writeIndex(true)
			// The recording is kept: the report (and a fleet's manifest) names it.
			a.rep.Recording, a.rep.Index = opts.Record, a.ixFile.Path
		}
		return err
	}
	a.live = &liveSession{d: d, tee: a.tee, cols: a.cols, rows: a.rows}
	r.ex = a.live
	if opts.Record != "" {
		a.rep.Recording = opts.Record
		a.rep.Index = a.ixFile.Path
	}
	if err := a.writeIndex(false); err != nil {
		d.Close()
		a.tee.Close()
		return err
	}
	return nil
}

// runSteps runs the steps in order until one ends the run; it returns
// why the run stopped (nil: it did not) and the step it stopped in.
func (a *aRun) runSteps(steps []*Step) (runErr error, failedStep *Step) {
	opts, r, rep, tee := a.opts, a.r, a.rep, a.tee
	for i, s := range steps {
		if rerr := tee.recordErr(); rerr != nil {
			// The recording stopped between steps (or at the first prompt).
			return rerr, nil
		}
		// Numbered as the runbook numbers its steps, whatever --from or
		// --only picked, as the index and the step prompt number them.
		if opts.onStep != nil {
			opts.onStep(s, len(r.rb.Steps))
		}
		a.progress(stepLine(s.N, len(r.rb.Steps), s, opts.DryRun, opts.DisplayTTY))
		ixs := recording.Step{N: s.N, Name: s.Name, FileLine: s.FileLine, SourceSHA256: s.SourceSHA256,
			Start: recording.SecondsOf(tee.Elapsed())}
		sr := &stepRun{step: s, ix: &ixs, last: i == len(steps)-1}
		t0 := time.Now()
		o := r.runStep(a.ctx, sr)
		ixs.End = recording.SecondsOf(tee.Elapsed())
		ixs.Status, ixs.Reason = o.status, o.reason
		a.ix.Steps = append(a.ix.Steps, ixs)
		rep.Steps = append(rep.Steps, StepReport{N: s.N, Name: s.Name, Status: o.status, Reason: o.reason,
			Commands: len(ixs.Commands), Duration: time.Since(t0).Seconds()})
		switch o.status {
		case recording.StatusOK:
			rep.OK++
		case recording.StatusChanged:
			rep.Changed++
		case recording.StatusSkipped:
			rep.Skipped++
			a.progress(fmt.Sprintf("   skipped: %s", o.reason))
		case recording.StatusFailed:
			rep.Failed++
		}
		if opts.Quiet && opts.Display != nil && o.status != recording.StatusSkipped {
			// --quiet still says how each step ended (the session says it
			// otherwise).
			a.progress("   " + quietStatus(o, opts.DryRun))
		}
		if err := a.writeIndex(false); err != nil && runErr == nil {
			runErr = err
		}
		if o.err != nil {
			return o.err, s
		}
		if r.stopAfter != "" {
			// host.reboot{wait=false}: the host is gone, and the run ends
			// cleanly with this step (reboot.go).
			rep.Stopped = r.stopAfter
			return runErr, nil
		}
	}
	if runErr == nil {
		// on_change handlers queued at the runbook's level.
		r.inStep = nil
		if err := r.mods.EndStep(r.L); err != nil {
			runErr = runbookErrorf("%s: %s", r.rb.Path, luaMessage(err))
		}
	}
	return runErr, nil
}

// finish hangs up the shell, then closes the recording (so the last bytes
// the shell printed are in it), says in the report and the index why the
// run stopped, and writes the index's last version. It returns the run's
// error.
func (a *aRun) finish(runErr error, failedStep *Step) error {
	ctx, r, rep, tee := a.ctx, a.r, a.rep, a.tee
	d := a.live.driver() // a new one when the host came back from a reboot
	d.Close()
	if err := d.OutputErr(); err != nil && runErr == nil {
		runErr = fmt.Errorf("record the session: %w", err)
	}
	if what := tee.restoreModes(); len(what) > 0 {
		// A command left the terminal changed: the recording ends with the
		// modes put back, and its index says so.
		r.markers = append(r.markers, recording.Marker{At: recording.SecondsOf(tee.Elapsed()),
			Label: "restored the terminal: " + strings.Join(what, ", ")})
	}
	removed, closeErr := tee.Close()
	if closeErr != nil && runErr == nil {
		runErr = closeErr
	}
	var recErr *RecordingError
	if rerr := tee.recordErr(); rerr != nil {
		// The recording stopped early: that is why the run stopped, or
		// (in the shell's last bytes) what it lacks.
		recErr = rerr
		if ctx.Err() == nil {
			if failedStep != nil {
				rerr.Step, rerr.Name = failedStep.N, failedStep.Name
			}
			runErr = rerr
		}
	}
	switch {
	case ctx.Err() != nil:
		ie := interrupted(ctx, rep.Recording)
		if failedStep != nil {
			ie.Step, ie.Name = failedStep.N, failedStep.Name
		}
		runErr = ie
		rep.Stopped = "interrupted"
	case isInterrupted(runErr):
		rep.Stopped = "interrupted"
	case recErr != nil:
		rep.Stopped = "the recording could not be written: " + recErr.Err.Error()
	case errors.As(runErr, new(*StepQuit)):
		rep.Stopped = "quit at the step prompt"
		if failedStep != nil {
			rep.Stopped = fmt.Sprintf("quit at the step prompt in step %d %q", failedStep.N, failedStep.Name)
		}
	case runErr != nil:
		var sf *StepFailedError
		if errors.As(runErr, &sf) {
			sf.Recording = rep.Recording
		}
		rep.Stopped = "failed"
		if failedStep != nil {
			rep.Stopped = fmt.Sprintf("step %d %q failed", failedStep.N, failedStep.Name)
		}
	}
	if rep.Stopped != "" {
		a.ix.Stopped = &recording.Stopped{At: recording.SecondsOf(tee.Elapsed()), Reason: rep.Stopped}
		if w := tee.writer(); w != nil && recErr == nil {
			a.ix.Stopped.At = recording.SecondsOf(w.Elapsed())
		}
	}
	if removed {
		// Not one frame could be written: no recording, no index.
		rep.Recording, rep.Index = "", ""
	} else if err := a.writeIndex(true); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	if a.display != nil {
		// Leave the user's terminal as it was: the session's bash turned
		// bracketed paste on; end the last prompt's line.
		tee.raw("\x1b[0m\x1b[?2004l\r\n")
	}
	return runErr
}

// quietStatus is a step's outcome on its own line under the step's.
func quietStatus(o outcome, dry bool) string {
	switch {
	case o.status == recording.StatusChanged && dry:
		return "would change"
	case o.status == recording.StatusFailed && o.reason != "":
		return "failed: " + firstLineOf(o.reason)
	}
	return o.status
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func stepLine(n, of int, s *Step, dry, tty bool) string {
	pre := ""
	if dry {
		pre = "dry run: "
	}
	line := fmt.Sprintf("── %sstep %d/%d: %s", pre, n, of, s.Name)
	if tty {
		return "\x1b[1m" + line + "\x1b[0m"
	}
	return line
}

// FileSafe keeps a name (a runbook's, a host's) usable in a file name.
func FileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// isInterrupted reports whether err is a run stopped by Ctrl-C or a signal.
func isInterrupted(err error) bool {
	return errors.As(err, new(*InterruptedError)) || errors.Is(err, context.Canceled)
}

// interrupted is the error of a run stopped by ctx, saying why when the
// cancellation gave a cause (a signal: "terminated by SIGTERM").
func interrupted(ctx context.Context, rec string) *InterruptedError {
	ie := &InterruptedError{Recording: rec}
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
		ie.Why = c.Error()
	}
	return ie
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
