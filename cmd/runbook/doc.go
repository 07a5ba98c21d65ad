package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"
	"strings"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/player/guide"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib"
)

const docUse = "runbook doc FILE.lua [--recording REC] [--format markdown|hugo] [-o OUT] | runbook doc --stdlib"

const docMore = `
Makes the guide page of a runbook: its title and description, each step's
narration, and its commands. With --recording, each command's output (as
the recording shows it, with the next prompt left out) and the prompt's
user, host and directory come from the recording and its index, and the
recording is embedded at the end.

--format markdown (the default) writes CommonMark with console blocks.
--format hugo writes a Hugo page with the shortcodes of the original guide:
terminal (title = host), terminal-comment, terminal-command (user, host,
path), terminal-output, and ttyplayer (src, name, autoplay, loop).

Nothing runs: the commands are listed the way 'runbook steps' lists them.
Secrets never appear: commands use them through the environment and the
recording masks them.

--stdlib prints the reference of the Lua modules runbooks call instead.

Examples:
  runbook doc runbooks/xen-prereqs.lua
  runbook doc runbooks/xen-prereqs.lua --recording recordings/xen-prereqs.ttyrec \
      --format hugo -o docs/xen-prereqs.md --src /casts/xen-prereqs.ttyrec
  runbook doc --stdlib -o docs/stdlib.md
`

func runDoc(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "doc", docUse, docMore)
	recPath := fs.String("recording", "", "take outputs and prompts from recording `REC` and embed it")
	format := fs.String("format", "markdown", "page format: `markdown` or hugo")
	out := fs.StringP("output", "o", "-", "write the page to `FILE` (default: standard output)")
	src := fs.String("src", "", "address the page loads the recording from (default: REC's path, relative to OUT)")
	autoplay := fs.Bool("autoplay", false, "hugo: start the embedded recording on load")
	loop := fs.Bool("loop", false, "hugo: play the embedded recording in a loop")
	var set []string
	addSetFlag(fs, &set)
	std := fs.Bool("stdlib", false, "print the reference of the Lua stdlib instead")
	var overwrite bool
	addOverwriteFlag(fs, &overwrite)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkOutput("doc", *out, overwrite, nil); err != nil {
		return err
	}
	if *std {
		if fs.NArg() != 0 {
			return usagef("doc: --stdlib takes no runbook")
		}
		return writeOutput(st, *out, func(w io.Writer) error {
			_, err := io.WriteString(w, stdlib.Reference())
			return err
		})
	}
	if fs.NArg() != 1 {
		return usagef("doc: want one runbook (usage: %s)", docUse)
	}
	kind := strings.ToLower(*format)
	if kind != "markdown" && kind != "md" && kind != "hugo" {
		return usagef("doc: --format %q: want markdown or hugo", *format)
	}
	rb, planned, err := planRunbook(ctx, st, fs.Arg(0), set, nil)
	if err != nil {
		return err
	}
	plan := guidePlan(rb, planned)

	if *recPath != "" {
		if err := checkInput("doc", *recPath); err != nil {
			return err
		}
		ix, err := recording.ReadIndex(recording.IndexPath(*recPath))
		switch {
		case errors.Is(err, errNotExist):
			fmt.Fprintf(st.Err, "runbook: doc: %s has no index (%s): outputs left out, the recording is only embedded\n",
				*recPath, filepath.Base(recording.IndexPath(*recPath)))
		case err != nil:
			return fmt.Errorf("doc: %w", err)
		default:
			if ix.Runbook != nil && ix.Runbook.SHA256 != "" && ix.Runbook.SHA256 != rb.SHA256 {
				fmt.Fprintf(st.Err, "runbook: doc: warning: %s was recorded from another version of %s (see: runbook check %s --runbook %s)\n",
					*recPath, rb.Path, *recPath, rb.Path)
			}
			if plan.Host == "" && ix.Host != "" && ix.Host != "local" {
				plan.Host = ix.Host
			}
			rec, err := guide.ReadRecorded(ctx, *recPath, "", ix)
			if rec == nil {
				return recordingInputError("doc", err)
			}
			if err != nil {
				fmt.Fprintf(st.Err, "runbook: doc: warning: %v (outputs read up to the damage)\n", err)
			}
			plan.Attach(rec)
		}
		plan.Recording = &guide.Recording{Src: recordingSrc(*recPath, *out, *src), Name: strings.TrimSuffix(filepath.Base(*recPath), filepath.Ext(*recPath))}
	}
	return writeOutput(st, *out, func(w io.Writer) error {
		if kind == "hugo" {
			return guide.WriteHugo(w, plan, guide.HugoOptions{Autoplay: *autoplay, Loop: *loop})
		}
		return guide.WriteMarkdown(w, plan)
	})
}

var errNotExist = iofs.ErrNotExist

// guidePlan hands the runbook to the guide as plain data.
func guidePlan(rb *engine.Runbook, planned []*engine.PlannedStep) *guide.Plan {
	p := &guide.Plan{Name: rb.Name, Title: rb.Title, Description: rb.Description, Host: rb.Host}
	if rb.Sudo {
		p.User = "root"
	}
	for _, ps := range planned {
		s := guide.Step{N: ps.Step.N, Name: ps.Step.Name, Stopped: ps.Stopped}
		for _, it := range ps.Items {
			if it.Probe {
				continue // a question the runbook asks the host, not a step of the guide
			}
			s.Items = append(s.Items, guide.Item{Comment: it.Comment, Command: it.Command})
		}
		p.Steps = append(p.Steps, s)
	}
	return p
}

// recordingSrc is where the page finds the recording: as given with --src,
// else REC's path relative to the page's directory.
func recordingSrc(rec, out, src string) string {
	if src != "" {
		return src
	}
	if out == "-" {
		return filepath.ToSlash(rec)
	}
	absRec, err1 := filepath.Abs(rec)
	absDir, err2 := filepath.Abs(filepath.Dir(out))
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(rec)
	}
	rel, err := filepath.Rel(absDir, absRec)
	if err != nil {
		return filepath.ToSlash(rec)
	}
	return filepath.ToSlash(rel)
}
