package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/runbook-dev/runbook/player"
)

const renderUse = "runbook render REC [--at TIME | --after-step N | --end] [--format text|ansi|html|svg] [-o FILE] [--emulator builtin|vt10x]"

const renderMore = `
Prints the screen of a recording at one moment, as the player's terminal
emulator sees it (the same screen runbook play and the exported web page
show). Any recording format runbook reads: ttyrec, nh, asciicast v1/v2/v3.

  --at TIME        a time from the start, with a unit: 90s, 1m30s, 500ms
  --after-step N  the end of step N (number or name, from the index beside
                  the recording; markers for recordings without one)
  --end           the last screen (the default)

Formats: text (rows with trailing blanks trimmed, what tmux capture-pane
prints), ansi (text with colours, for a terminal), html (a <pre> with inline
styles), svg (an image whose text stays selectable).

--emulator vt10x draws the screen with github.com/hinshun/vt10x (guarded
against its known defects) instead of runbook's own emulator: one cell per
character, no keyframes; docs/emulator.md compares them.

Examples:
  runbook render recordings/demo.ttyrec
  runbook render recordings/demo.ttyrec --emulator vt10x
  runbook render recordings/demo.ttyrec --at 1m30s
  runbook render recordings/demo.ttyrec --after-step 3 --format ansi
  runbook render talk.cast --after-step install --format svg -o install.svg
`

func runRender(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "render", renderUse, renderMore)
	at := fs.String("at", "", "the moment, as a time with a unit (90s, 1m30s)")
	step := fs.String("after-step", "", "the end of this step (number or name)")
	aliasFlag(fs, "step", "after-step", "use --after-step (--step is step-by-step mode in run and play)")
	end := fs.Bool("end", false, "the last screen (default)")
	format := fs.String("format", "text", "text, ansi, html or svg")
	out := fs.StringP("output", "o", "", "write to this file instead of standard output")
	emu := fs.String("emulator", "builtin", "terminal emulator: builtin or vt10x")
	var overwrite bool
	addOverwriteFlag(fs, &overwrite)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("render: want one recording, got %d arguments\nusage: %s", fs.NArg(), renderUse)
	}
	n := 0
	for _, set := range []bool{*at != "", *step != "", *end} {
		if set {
			n++
		}
	}
	if n > 1 {
		return usagef("render: give one of --at, --after-step and --end")
	}
	switch *format {
	case "text", "ansi", "html", "svg":
	default:
		return usagef("render: unknown --format %q (want text, ansi, html or svg)", *format)
	}
	newEmu, err := player.EmulatorNamed(*emu)
	if err != nil {
		return usagef("render: --emulator: %v", err)
	}
	if err := checkOutput("render", *out, overwrite, nil); err != nil {
		return err
	}
	// The last screen needs no event kept to seek back through.
	endOnly := *at == "" && *step == "" && newEmu == nil
	rec, err := openRecordingWith(ctx, "render", fs.Arg(0), player.Options{EndOnly: endOnly})
	if err != nil {
		return err
	}
	defer rec.Close()
	when, err := renderMoment(rec, *at, *step)
	if err != nil {
		return err
	}
	scr, err := rec.ViewAt(ctx, when, newEmu)
	if err != nil {
		return err
	}
	dest := *out
	if dest == "" {
		dest = "-"
	}
	if err := writeOutput(st, dest, func(w io.Writer) error { return player.Render(w, scr, *format) }); err != nil {
		return fmt.Errorf("render %s: %w", fs.Arg(0), err)
	}
	if rec.Damage != nil {
		// Rendered from what was read; the damage still fails the command,
		// as in export and convert.
		return fmt.Errorf("render: rendered up to the damage: %w", rec.Damage)
	}
	return nil
}

// renderMoment is the moment render shows: --at, the end of --after-step,
// or the end.
func renderMoment(rec *player.Recording, at, step string) (time.Duration, error) {
	switch {
	case at != "":
		d, err := time.ParseDuration(at)
		if err != nil || d < 0 {
			return 0, usagef("render: --at %q: want a time with a unit, such as 90s or 1m30s", at)
		}
		if d > rec.Duration {
			return 0, usagef("render: --at %s: past the end of %s: want a time from 0s to %s", at, rec.Path, rec.Duration.Round(time.Millisecond))
		}
		return d, nil
	case step != "":
		c, err := rec.Chapter(step)
		if err != nil {
			return 0, usagef("render: --after-step: %v", err)
		}
		return c.End, nil
	}
	return rec.Duration, nil
}
