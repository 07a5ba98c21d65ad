package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/player/guide"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib"
)

const docUse = "runbook doc FILE.lua [--recording REC] [--format markdown|hugo] [-o OUT] | runbook doc --stdlib"

const docMore = `
Makes the guide page of a runbook for a reader: its title and description,
each step's narration, what each operation makes true — a file change as
"Edit FILE to have the following lines" (or the file written whole), a
package, a unit's state — and the commands that do it, as a person would
type them on their own host. Probes and state reads are never shown. The
page shows the runbook with the parameters given here (--set), its own
defaults otherwise.

With --recording, the page opens with a box saying what it was verified on
(the recorded run's host, release and date; --not-exercised and --note add
what that run did not exercise and where it differed from the page), facts
the recorded run read (the interfaces, the release) are the page's, each
command the recorded run typed alike gets its output (long ones folded) and
prompt, and the recording is embedded at the end.

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

// docOptions are the flags of `runbook doc`.
type docOptions struct {
	recPath   string
	format    string
	out       string
	src       string
	autoplay  bool
	loop      bool
	set       []string
	notes     []string
	notEx     []string
	std       bool
	overwrite bool
}

// runDoc writes a runbook's page, or the reference of the Lua stdlib.
func runDoc(ctx context.Context, st *IO, args []string) error {
	var o docOptions
	fs := o.flagSet(st)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkOutput("doc", o.out, o.overwrite, nil); err != nil {
		return err
	}
	if o.std {
		if fs.NArg() != 0 {
			return usagef("doc: --stdlib takes no runbook")
		}
		return writeOutput(st, o.out, func(w io.Writer) error {
			_, err := io.WriteString(w, stdlib.Reference())
			return err
		})
	}
	if fs.NArg() != 1 {
		return usagef("doc: want one runbook (usage: %s)", docUse)
	}
	kind := strings.ToLower(o.format)
	if kind != "markdown" && kind != "md" && kind != "hugo" {
		return usagef("doc: --format %q: want markdown or hugo", o.format)
	}
	ix, err := o.readIndex(st)
	if err != nil {
		return err
	}
	rb, planned, err := planRunbookWith(ctx, st, fs.Arg(0), o.set, nil, ix)
	if err != nil {
		return err
	}
	plan := guidePlan(rb, planned)

	if o.recPath != "" {
		if ix != nil {
			if err := o.attachRecorded(ctx, st, plan, rb, ix); err != nil {
				return err
			}
		}
		plan.Recording = &guide.Recording{Src: recordingSrc(o.recPath, o.out, o.src), Name: strings.TrimSuffix(filepath.Base(o.recPath), filepath.Ext(o.recPath))}
	}
	return writeOutput(st, o.out, func(w io.Writer) error {
		if kind == "hugo" {
			return guide.WriteHugo(w, plan, guide.HugoOptions{Autoplay: o.autoplay, Loop: o.loop})
		}
		return guide.WriteMarkdown(w, plan)
	})
}

// flagSet declares the flags of `runbook doc` into o.
func (o *docOptions) flagSet(st *IO) *pflag.FlagSet {
	fs := newFlags(st, "doc", docUse, docMore)
	fs.StringVar(&o.recPath, "recording", "", "take outputs and prompts from recording `REC` and embed it")
	fs.StringVar(&o.format, "format", "markdown", "page format: `markdown` or hugo")
	fs.StringVarP(&o.out, "output", "o", "-", "write the page to `FILE` (default: standard output)")
	fs.StringVar(&o.src, "src", "", "address the page loads the recording from (default: REC's path, relative to OUT)")
	fs.BoolVar(&o.autoplay, "autoplay", false, "hugo: start the embedded recording on load")
	fs.BoolVar(&o.loop, "loop", false, "hugo: play the embedded recording in a loop")
	addSetFlag(fs, &o.set)
	fs.StringArrayVar(&o.notes, "note", nil, "with --recording: a way the recorded run differed from the page, for the verified box (`TEXT`, repeatable)")
	fs.StringArrayVar(&o.notEx, "not-exercised", nil, "with --recording: what the recorded run did not exercise (`TEXT`, repeatable)")
	fs.BoolVar(&o.std, "stdlib", false, "print the reference of the Lua stdlib instead")
	addOverwriteFlag(fs, &o.overwrite)
	return fs
}

// readIndex reads the index beside --recording: nil without --recording,
// or when REC has no index (the page then only embeds it).
func (o *docOptions) readIndex(st *IO) (*recording.Index, error) {
	if o.recPath == "" {
		return nil, nil
	}
	if err := checkInput("doc", o.recPath); err != nil {
		return nil, err
	}
	ix, err := recording.ReadIndex(recording.IndexPath(o.recPath))
	switch {
	case errors.Is(err, errNotExist):
		fmt.Fprintf(st.Err, "runbook: doc: %s has no index (%s): outputs left out, the recording is only embedded\n",
			o.recPath, filepath.Base(recording.IndexPath(o.recPath)))
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("doc: %w", err)
	}
	return ix, nil
}

// attachRecorded puts into plan the outputs of the run --recording made
// of rb, ix its index, and the box saying what that run verified.
func (o *docOptions) attachRecorded(ctx context.Context, st *IO, plan *guide.Plan, rb *engine.Runbook, ix *recording.Index) error {
	if ix.Runbook != nil && ix.Runbook.SHA256 != "" && ix.Runbook.SHA256 != rb.SHA256 {
		fmt.Fprintf(st.Err, "runbook: doc: warning: %s was recorded from another version of %s (see: runbook check %s --runbook %s)\n",
			o.recPath, rb.Path, o.recPath, rb.Path)
	}
	if plan.Host == "" && ix.Host != "" && ix.Host != "local" {
		plan.Host = ix.Host
	}
	rec, err := guide.ReadRecorded(ctx, o.recPath, "", ix)
	if rec == nil {
		return recordingInputError("doc", err)
	}
	if err != nil {
		fmt.Fprintf(st.Err, "runbook: doc: warning: %v (outputs read up to the damage)\n", err)
	}
	plan.Attach(rec)
	plan.Verified = &guide.Verified{Host: ix.Host, OS: recordedOS(ix), Date: ix.StartedAt.UTC().Format("2006-01-02"),
		NotExercised: o.notEx, Differs: o.notes, Set: shownSet(rb, o.set)}
	return nil
}

// shownSet is how the page's parameters differ from the runbook's
// defaults, for the verified box: each --set as NAME=VALUE, a secret one
// by its name alone.
func shownSet(rb *engine.Runbook, set []string) []string {
	var out []string
	for _, kv := range set {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range rb.Params {
			if p.Name == name && p.Secret {
				kv = name + " (secret)"
			}
		}
		out = append(out, kv)
	}
	return out
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
			switch {
			case it.Probe:
				continue // a question the runbook asks the host, not a step of the guide
			case it.Intent != nil:
				s.Items = append(s.Items, guide.Item{Intent: &guide.Intent{Op: it.Intent.Op, Text: it.Intent.Text,
					Path: it.Intent.Path, Lines: it.Intent.Lines, Whole: it.Intent.Whole}})
			default:
				s.Items = append(s.Items, guide.Item{Comment: it.Comment, Command: it.Command, Op: it.Op})
			}
		}
		p.Steps = append(p.Steps, s)
	}
	return p
}

// recordedOS is the release the recorded run's facts read
// (PRETTY_NAME of /etc/os-release), "" when it read none.
func recordedOS(ix *recording.Index) string {
	for _, st := range ix.Steps {
		for _, rd := range st.Reads {
			if !strings.HasPrefix(rd.Cmd, "echo @@os;") {
				continue
			}
			for _, l := range strings.Split(string(rd.Out.Bytes()), "\n") {
				if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
					return strings.Trim(v, `"'`)
				}
			}
		}
	}
	return ""
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
