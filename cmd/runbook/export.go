package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/player/web"
	"github.com/runbook-dev/runbook/recording"
)

const exportUse = "runbook export REC|FLEET OUT.html|OUT.svg [--host NAME] [--pace human|real] [--idle-limit DUR] [--title TEXT] [--loop] [--format html|svg]"

const exportMore = `
OUT.html is one self-contained web page that plays offline: play/pause, a
seek bar with a mark at every step, speed, the step list with each command
as text to select and copy, dark and light, any screen width. Its screens
are computed now by runbook's own terminal emulator, so the page shows
exactly what 'runbook render' shows at the same moment and seeks at once.
Keys on the page: space play/pause, ←/→ ±5 s, [ and ] previous/next step,
0–9 jump to 0–90%, , and . frame by frame, + and - speed, t theme.

OUT.svg is an animated SVG for places that allow no scripts (a README): it
plays once and stays on the final screen (--loop repeats it). Its text stays
text, to select and search.

Steps, markers, host and date come from the index beside the recording
(REC.json) when there is one. With it, the export plays at a human pace
(--pace human, the default): each command appears typed at a person's rate
after a short pause, and each output stays on the screen long enough to be
read, computed from the index; --pace real keeps the recording's own time.
The recording itself is never changed. REC may be ttyrec, termrec's nh or asciicast.
OUT "-" writes to standard output (name the kind with --format). A recording
damaged part way is published up to the damage and the exit status is 1.

Examples:
  runbook export recordings/demo.ttyrec docs/demo.html
  runbook export recordings/xen-prereqs.ttyrec xen.svg --idle-limit 1s --loop
  runbook export talk.cast - --format html > talk.html
  runbook export recordings/site-20260101T120000Z.fleet.json site.html
  runbook export recordings/site-20260101T120000Z.fleet.json web3.svg --host web3
`

// exportOptions are the flags of `runbook export`.
type exportOptions struct {
	host      string
	format    string
	from      string
	idle      string
	title     string
	notes     []string
	loop      bool
	fontSize  float64
	overwrite bool
	pace      string
}

// runExport publishes a recording, or a fleet run, as a web page or an SVG.
func runExport(ctx context.Context, st *IO, args []string) error {
	var o exportOptions
	fs := o.flagSet(st)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("export: want REC and OUT (usage: %s)", exportUse)
	}
	in, out := fs.Arg(0), fs.Arg(1)
	kind, err := o.kind(out)
	if err != nil {
		return err
	}
	opt, human, err := o.loadOptions(fs)
	if err != nil {
		return err
	}
	fr, err := openFleet("export", in)
	if err != nil {
		return err
	}
	switch {
	case fr != nil && o.host == "" && kind != "html":
		return usagef("export: %s is a fleet run: its page is html; for an svg pick a host with --host NAME", in)
	case fr != nil && o.host == "":
		if err := checkOutput("export", out, o.overwrite, exportedPage); err != nil {
			return err
		}
		return exportFleet(ctx, st, fr, out, o.from, opt, human)
	case fr != nil:
		if in, _, err = fr.recordingOf("export", o.host); err != nil {
			return err
		}
	case o.host != "":
		return usagef("export: --host %s: %s is not a fleet run (--host picks a host of one: NAME%s)", o.host, in, recording.FleetSuffix)
	}
	if err := checkInput("export", in); err != nil {
		return err
	}
	if err := checkOutput("export", out, o.overwrite, exportedPage); err != nil {
		return err
	}

	movie, readErr, err := loadExportMovie(ctx, st, in, o.from, opt, human)
	if err != nil {
		return err
	}
	movie.Notes = o.notes
	if err := o.writeMovie(st, out, kind, movie); err != nil {
		return fmt.Errorf("export %s: %w", out, err)
	}
	if readErr != nil {
		// Published up to the damage; the damage still fails the command.
		return fmt.Errorf("export %s: published up to the damage: %w", in, readErr)
	}
	return nil
}

// flagSet declares the flags of `runbook export` into o.
func (o *exportOptions) flagSet(st *IO) *pflag.FlagSet {
	fs := newFlags(st, "export", exportUse, exportMore+exportFleetHelp)
	fs.StringVar(&o.host, "host", "", "of a fleet run, export host `NAME`'s recording alone")
	fs.StringVar(&o.format, "format", "", "what to write: `html` or svg (default: from OUT's extension)")
	fs.StringVar(&o.from, "from-format", "", "REC's format: ttyrec, nh, asciicast (default: from its name or content)")
	aliasFlag(fs, "from", "from-format", "use --from-format (--from is the step to start at in run and play)")
	fs.StringVar(&o.idle, "idle-limit", "", "shorten every pause longer than `DUR` to DUR (e.g. 2s)")
	fs.StringVar(&o.title, "title", "", "the page's title (default: the runbook's name or REC's name)")
	fs.StringArrayVar(&o.notes, "note", nil, "html: a note shown above the player, e.g. how this run differed from the guide (`TEXT`, repeatable)")
	fs.BoolVar(&o.loop, "loop", false, "svg: play again and again (default: once, then hold the final screen)")
	fs.Float64Var(&o.fontSize, "font-size", 14, "svg: font size in `pixels`")
	addOverwriteFlag(fs, &o.overwrite)
	fs.StringVar(&o.pace, "pace", "human", "`human`: commands typed and outputs held at a person's pace (needs the index); real: the recording's own time")
	return fs
}

// kind is what to write, html or svg: --format, else OUT's extension.
func (o *exportOptions) kind(out string) (string, error) {
	kind := strings.ToLower(o.format)
	if kind == "" {
		switch strings.ToLower(filepath.Ext(out)) {
		case ".html", ".htm":
			kind = "html"
		case ".svg":
			kind = "svg"
		default:
			return "", usagef("export: cannot tell what to write from %q: name it .html or .svg, or give --format", out)
		}
	}
	if kind != "html" && kind != "svg" {
		return "", usagef("export: --format %q: want html or svg", o.format)
	}
	return kind, nil
}

// loadOptions reads --title, --idle-limit, --font-size and --pace; human
// is --pace human.
func (o *exportOptions) loadOptions(fs *pflag.FlagSet) (opt web.LoadOptions, human bool, err error) {
	opt = web.LoadOptions{Format: o.from, Title: o.title}
	if o.idle != "" {
		d, err := parseIdle(fs, "idle-limit", o.idle, false)
		if err != nil {
			return opt, false, err
		}
		opt.IdleLimit = d
	}
	if !(o.fontSize >= 4 && o.fontSize <= 200) {
		return opt, false, usagef("export: --font-size %v: want a size in pixels from 4 to 200", o.fontSize)
	}
	human, err = checkPace("export", o.pace)
	return opt, human, err
}

// writeMovie writes movie to out as kind: a web page or an SVG.
func (o *exportOptions) writeMovie(st *IO, out, kind string, movie *web.Movie) error {
	return writeOutput(st, out, func(w io.Writer) error {
		if kind == "svg" {
			return web.WriteSVG(w, movie, web.SVGOptions{Loop: o.loop, FontSize: o.fontSize})
		}
		return web.WritePage(w, movie)
	})
}

// loadExportMovie reads in as export publishes it: paced for a person
// when human and in has an index, warnings on st.Err. readErr is damage
// part way (published up to it); err is an input that cannot be read.
func loadExportMovie(ctx context.Context, st *IO, in, from string, opt web.LoadOptions, human bool) (*web.Movie, error, error) {
	load := in
	if human && in != "-" {
		p, pix, cleanup, ok, err := pacedFile(ctx, in, from, recording.SecondsOf(opt.IdleLimit))
		switch {
		case errors.Is(err, context.Canceled):
			return nil, nil, fmt.Errorf("export %s: %w", in, err)
		case err != nil && !ok:
			return nil, nil, recordingInputError("export", err)
		case ok:
			defer cleanup()
			if err != nil {
				// Paced up to where reading stopped.
				fmt.Fprintf(st.Err, "runbook: export: warning: %v\n", err)
			}
			load, opt.Index, opt.Format, opt.IdleLimit = p, pix, "ttyrec", 0
			if opt.Title == "" && (pix.Runbook == nil || pix.Runbook.Name == "") {
				opt.Title = strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
			}
		}
	}
	movie, warnings, readErr := web.Load(ctx, load, opt)
	if movie == nil {
		if errors.Is(readErr, context.Canceled) {
			return nil, nil, fmt.Errorf("export %s: %w", in, readErr)
		}
		return nil, nil, recordingInputError("export", readErr)
	}
	for _, w := range warnings {
		fmt.Fprintf(st.Err, "runbook: export: warning: %s\n", w)
	}
	return movie, readErr, nil
}
