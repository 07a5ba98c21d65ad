package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/runbook-dev/runbook/player"
	"github.com/runbook-dev/runbook/prompt"
)

const playUse = "runbook play REC|FLEET [--host NAME] [--speed X] [--idle-limit DUR] [--from STEP|TIME] [--step] [--emulator builtin|vt10x]"

const playMore = `
Plays a recording in this terminal, in real time: ttyrec (ours, ttyrec's,
termrec's), nh, asciicast v1/v2/v3. The index beside a recording
(NAME.ttyrec.json) gives the steps; recordings without one use their markers.

Keys while playing:
  space      pause / resume
  .          next frame (while paused)
  ]  [       next / previous step
  →  ←       forward / back 5 s (backwards is instant: keyframes)
  +  -       faster / slower
  /          search all the recording printed, even what scrolled away:
             type the text, Enter shows the first match from here (paused)
  n  N       next / previous match
  q          quit (Ctrl-C too, but exits 130, interrupted)

Step mode (--step) goes command by command: before each it shows the
screen where the command starts, "step N/M: NAME", the narration, the
command, and waits for one key:
  y, Enter   play the command's stretch      n   skip it (jump past it)
  c          play this and the rest          q   quit (exit 130)
(e and s, edit and shell, need a live session: they are not offered.)
Commands come from the index; a recording without one goes marker by
marker, or burst by burst of output (split at pauses of 1 s or more).

--from takes a step number or name, or a time with a unit (90s, 1m30s).
--emulator vt10x draws the screen after a seek with github.com/hinshun/vt10x
(guarded) instead of runbook's own emulator; seeking back then replays from
the start.

--idle-limit shortens longer pauses while playing (default: the limit the
recording asks for; 0 keeps every pause as recorded).

Examples:
  runbook play recordings/demo.ttyrec
  runbook play recordings/demo.ttyrec --speed 2 --idle-limit 1s
  runbook play recordings/demo.ttyrec --from 3
  runbook play recordings/demo.ttyrec --from "install packages"
  runbook play old-session.cast --from 1m30s
  runbook play recordings/demo.ttyrec --step
  runbook play recordings/site-20260101T120000Z.fleet.json --host web3
  runbook play recordings/              # the newest fleet run: pick a host
`

// playOptions are the flags of `runbook play`.
type playOptions struct {
	host  string
	speed float64
	idle  string
	from  string
	emu   string
	step  bool
}

// runPlay plays a recording, or a host's of a fleet run, in this terminal.
func runPlay(ctx context.Context, st *IO, args []string) error {
	var o playOptions
	fs := o.flagSet(st)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opt, err := o.validate(st, fs)
	if err != nil {
		return err
	}
	recPath, err := fleetRecording(ctx, "play", st, fs.Arg(0), o.host)
	if err != nil {
		return err
	}
	rec, err := openRecording(ctx, "play", recPath)
	if err != nil {
		return err
	}
	defer rec.Close()
	if rec.Damage != nil {
		fmt.Fprintf(st.Err, "runbook play: warning: %v (playing what was read)\n", rec.Damage)
	}
	if o.from != "" {
		t, err := rec.ParseWhen(o.from)
		if err != nil {
			return usagef("play: --from: %v", err)
		}
		if t > rec.Duration {
			return usagef("play: --from %s: past the end of %s: want a time from 0s to %s, or a step", o.from, recPath, rec.Duration.Round(time.Millisecond))
		}
		opt.From = t
	}
	fitTerminal(st, rec, &opt)
	if o.step {
		return playStep(ctx, st, rec, opt)
	}
	err = playLive(ctx, st, rec, opt)
	if err == nil && rec.Damage != nil {
		// Played what was read; the damage still fails the command.
		return fmt.Errorf("play: played up to the damage: %w", rec.Damage)
	}
	return err
}

// flagSet declares the flags of `runbook play` into o.
func (o *playOptions) flagSet(st *IO) *pflag.FlagSet {
	fs := newFlags(st, "play", playUse, playMore+playFleetHelp)
	fs.StringVar(&o.host, "host", "", "of a fleet run, play host `NAME`'s recording")
	fs.Float64VarP(&o.speed, "speed", "s", 1, "play this many times faster (-s as in asciinema play)")
	fs.StringVarP(&o.idle, "idle-limit", "i", "", "shorten longer pauses to this (2s, or seconds: 2; 0: keep them; -i as in asciinema play)")
	aliasFlag(fs, "idle-time-limit", "idle-limit", "")
	fs.StringVar(&o.from, "from", "", "start at this step (number or name, any case) or time (90s, 1m30s)")
	fs.StringVar(&o.emu, "emulator", "builtin", "terminal emulator for seeks: builtin or vt10x")
	fs.BoolVar(&o.step, "step", false, "go command by command, asking before each (needs a terminal)")
	return fs
}

// validate refuses flags and arguments play cannot use, before the
// recording is opened, and returns the player's options they give.
func (o *playOptions) validate(st *IO, fs *pflag.FlagSet) (player.PlayOptions, error) {
	if fs.NArg() != 1 {
		return player.PlayOptions{}, usagef("play: want one recording, got %d arguments\nusage: %s", fs.NArg(), playUse)
	}
	if err := checkSpeed(fs, "speed", o.speed); err != nil {
		return player.PlayOptions{}, err
	}
	opt := player.PlayOptions{Speed: o.speed}
	if o.idle != "" {
		d, err := parseIdle(fs, "idle-limit", o.idle, true)
		if err != nil {
			return opt, err
		}
		opt.IdleLimit = d
		if d == 0 {
			opt.IdleLimit = -1 // asked for none
		}
	}
	newEmu, err := player.EmulatorNamed(o.emu)
	if err != nil {
		return opt, usagef("play: --emulator: %v", err)
	}
	opt.Emulator = newEmu
	if o.step && st.TTY == nil {
		return opt, usagef("play: --step needs a terminal to ask at, and stdin is not one")
	}
	return opt, nil
}

// fitTerminal warns when standard output is a terminal smaller than rec,
// and sends the player's notes to its title.
func fitTerminal(st *IO, rec *player.Recording, opt *player.PlayOptions) {
	if out, ok := st.Out.(*os.File); ok && term.IsTerminal(int(out.Fd())) {
		if w, h, err := term.GetSize(int(out.Fd())); err == nil && (w < rec.Cols || h < rec.Rows) {
			fmt.Fprintf(st.Err, "runbook play: warning: this terminal is %dx%d, the recording %dx%d: lines will wrap (make the window bigger)\n",
				w, h, rec.Cols, rec.Rows)
		}
		// Notes go to the window title, out of the recording's way.
		opt.Status = func(s string) { fmt.Fprintf(out, "\x1b]2;runbook play: %s\x07", s) }
	}
}

// playLive plays rec on standard output, with the keys of a terminal on
// standard input when there is one, and leaves the cursor shown.
func playLive(ctx context.Context, st *IO, rec *player.Recording, opt player.PlayOptions) error {
	if st.TTY != nil {
		old, err := term.MakeRaw(int(st.TTY.Fd()))
		if err == nil {
			defer term.Restore(int(st.TTY.Fd()), old)
			opt.Keys = st.TTY
		}
	}
	err := player.Play(ctx, rec, st.Out, opt)
	fmt.Fprint(st.Out, "\x1b[0m\x1b[?25h")
	if opt.Keys != nil {
		fmt.Fprint(st.Out, "\r\n")
	}
	return err
}

// playStep runs play --step: the step prompt on the terminal, the
// recording on standard output.
func playStep(ctx context.Context, st *IO, rec *player.Recording, opt player.PlayOptions) error {
	t, err := prompt.NewTerminal(st.TTY, st.Out)
	if err != nil {
		return usagef("play: --step needs a terminal: %v", err)
	}
	defer t.Close()
	err = player.PlayStep(ctx, rec, st.Out, player.StepOptions{Speed: opt.Speed, IdleLimit: opt.IdleLimit,
		From: opt.From, Terminal: t, Emulator: opt.Emulator})
	fmt.Fprint(st.Out, "\x1b[0m\x1b[?25h\r\n")
	return err
}
