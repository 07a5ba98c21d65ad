package player

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/runbook-dev/runbook/prompt"
	"github.com/runbook-dev/runbook/recording"
)

// StepOptions say how to step through a recording.
type StepOptions struct {
	// Speed and IdleLimit pace each stretch as PlayOptions do.
	Speed     float64
	IdleLimit time.Duration
	// From skips the stretches that end before it.
	From time.Duration
	// Emulator draws the screens (nil: ours).
	Emulator NewEmulator
	// Terminal is the user's terminal: the prompt asks there, and keys
	// (q, space, + and -) are read there while a stretch plays.
	Terminal *prompt.Terminal
}

// QuitError is the user quitting at the step prompt or while a stretch
// played: the CLI exits 130, as a run's step prompt does.
type QuitError struct {
	Step int
	Name string
}

func (e *QuitError) Error() string {
	return fmt.Sprintf("quit at step %d %q", e.Step, e.Name)
}

// stepHelp replaces the run prompt's help: here y plays, nothing runs.
const stepHelp = `  y, Enter  play this command's stretch of the recording
  n         skip it (the screen jumps to the next command)
  c         play this and the rest without asking
  q         stop here
  ?         this help
  (e and s, edit and shell, need a live session: not while playing)
  While a stretch plays: space pauses, + and - change the speed, q quits.
`

// PlayStep goes through rec command by command (Stretches): before each
// it draws the screen where the command starts and asks, with the step
// prompt, whether to play it. The terminal is raw while it runs and put
// back on every way out.
func PlayStep(ctx context.Context, rec *Recording, out io.Writer, opt StepOptions) error {
	if opt.Terminal == nil {
		return fmt.Errorf("play --step: no terminal to ask at")
	}
	stretches, err := rec.Stretches()
	if err != nil {
		return err
	}
	if len(stretches) == 0 {
		return fmt.Errorf("play --step: %s has no output to step through", rec.Path)
	}
	restore, err := opt.Terminal.MakeRaw()
	if err != nil {
		return err
	}
	defer restore()
	tl, err := rec.TimelineWith(opt.Emulator)
	if err != nil {
		return err
	}
	sp := &stepper{rec: rec, out: out, t: opt.Terminal, tl: tl,
		speed: opt.Speed, idle: playIdle(rec, opt.IdleLimit)}
	if sp.speed <= 0 {
		sp.speed = 1
	}
	p := &prompt.Prompter{T: opt.Terminal, Without: "es", Help: stepHelp}
	last := -1
	for i, s := range stretches {
		if opt.From > 0 && s.End <= opt.From && i < len(stretches)-1 {
			continue
		}
		// The screen just before the command: what it printed from its
		// first moment on is its stretch.
		before := max(s.Start-time.Microsecond, 0)
		if err := sp.show(ctx, before); err != nil {
			return err
		}
		d, err := p.Ask(ctx, prompt.Item{Step: s.Step, Steps: s.Steps, Name: s.Name,
			Narration: s.Narration, Command: s.Command, Op: s.Op})
		if err != nil {
			return err
		}
		switch d.Action {
		case prompt.Quit:
			return &QuitError{Step: s.Step, Name: s.Name}
		case prompt.Skip:
			last = -1
			continue
		case prompt.Continue:
			if err := sp.show(ctx, before); err != nil {
				return err
			}
			return sp.play(ctx, rec.Duration, s)
		default:
			if err := sp.show(ctx, before); err != nil {
				return err
			}
			if err := sp.play(ctx, s.End, s); err != nil {
				return err
			}
			last = i
		}
	}
	// After the last command: the rest plays on if that command played,
	// else the last screen is shown.
	if last == len(stretches)-1 {
		return sp.play(ctx, rec.Duration, stretches[last])
	}
	return sp.show(ctx, rec.Duration)
}

// playIdle resolves an idle limit option as Play does.
func playIdle(rec *Recording, idle time.Duration) time.Duration {
	if idle == 0 {
		idle = rec.Header.IdleLimit
		if idle == 0 && rec.Index != nil {
			idle = rec.Index.IdleLimit.Duration()
		}
	}
	return idle
}

type stepper struct {
	rec   *Recording
	out   io.Writer
	t     *prompt.Terminal
	tl    *Timeline
	speed float64
	idle  time.Duration
}

// show moves to t and draws the whole screen there.
func (sp *stepper) show(ctx context.Context, t time.Duration) error {
	if err := sp.tl.Seek(ctx, t); err != nil {
		return err
	}
	return Paint(sp.out, sp.tl.View())
}

// termReader reads the user's terminal until its context ends, so the key
// reader stops before the prompt reads again.
type termReader struct {
	ctx context.Context
	t   *prompt.Terminal
}

func (r termReader) Read(p []byte) (int, error) { return r.t.Read(r.ctx, p) }

// play writes the recorded output up to end in real time (scaled by the
// speed, pauses shortened to the idle limit), reading keys meanwhile.
func (sp *stepper) play(ctx context.Context, end time.Duration, s Stretch) error {
	kctx, cancel := context.WithCancel(ctx)
	keyc := make(chan int, 16)
	go parseKeys(termReader{kctx, sp.t}, keyc, nil)
	defer func() {
		// The key reader must be gone before the prompt reads again.
		cancel()
		for range keyc {
		}
	}()
	keys := keyc
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	paused := false
	for {
		next, ok := sp.tl.NextTime()
		if !ok || next > end {
			return sp.tl.AdvanceTo(ctx, end)
		}
		gap := next - sp.tl.Time()
		if sp.idle > 0 && gap > sp.idle {
			gap = sp.idle
		}
		timer.Reset(time.Duration(float64(max(gap, 0)) / sp.speed))
	wait:
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
				if !paused {
					break wait
				}
			case k, ok := <-keys:
				if !ok {
					keys = nil
					continue
				}
				switch k {
				case keyQuit:
					return &QuitError{Step: s.Step, Name: s.Name}
				case keyPause:
					paused = !paused
					if !paused {
						break wait
					}
				case keyFaster:
					sp.speed = min(sp.speed*2, 64)
				case keySlower:
					sp.speed = max(sp.speed/2, 1.0/16)
				}
			}
		}
		ev, err := sp.tl.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if ev.Kind == recording.Output {
			if _, err := sp.out.Write(ev.Data); err != nil {
				return fmt.Errorf("play: write to terminal: %w", err)
			}
		}
	}
}
