package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/runbook-dev/runbook/draft"
	"github.com/runbook-dev/runbook/recording"
)

const draftUse = "runbook draft REC [-o FILE.lua] [--overwrite]"

const draftMore = `
Writes a runbook from a recording made by runbook rec (or by a run), from
its index: runbook{} with the host and title; one step per marker, named
by the marker (or "Step N"); one sh() per command, with ok= the exit status
it had when that was not 0. A command that failed and was typed again
corrected is kept as a comment, not run twice; cd and export stay, for the
shell state. Recognised commands become stdlib operations, which change
only what differs: apt-get/apt/aptitude install → apt.install, systemctl
enable/disable/start/stop/restart → systemd.*, dpkg-divert → dpkg.divert,
and a file edited (vi, nano, ed, sed -i, tee, cat > FILE...: rec read it
before and after) → file.line when a few lines changed, else file.write.
Anything else stays sh(), with a comment saying why. Values that look
host-specific (the host's name and interfaces, UUIDs, MAC and IP
addresses) become parameters, the recorded value as default.

Read the draft before running it; runbook steps lists it without running.

Examples:
  runbook draft recordings/rec-local-20250101T120000Z.ttyrec -o install.lua
  runbook draft session.ttyrec | less`

// draftOptions are the flags of `runbook draft`.
type draftOptions struct {
	out       string
	overwrite bool
	name      string
}

func runDraft(ctx context.Context, st *IO, args []string) error {
	var o draftOptions
	fs := newFlags(st, "draft", draftUse, draftMore)
	fs.StringVarP(&o.out, "output", "o", "", "write the runbook to `FILE` (default: standard output)")
	fs.BoolVar(&o.overwrite, "overwrite", false, "write over an existing FILE")
	fs.StringVar(&o.name, "name", "", "the runbook's `NAME` (default: FILE's name without .lua, else \"draft\")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("draft: want one recording, got %d arguments\nusage: %s", fs.NArg(), draftUse)
	}
	rec := fs.Arg(0)
	if _, err := os.Stat(rec); err != nil {
		return usagef("draft: %v", err)
	}
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("draft: %s has no index beside it (%s): draft reads the commands from the index runbook rec writes", rec, recording.IndexPath(rec))
	}
	if err != nil {
		return fmt.Errorf("draft: %w", err)
	}
	if o.out != "" && !o.overwrite {
		if _, err := os.Stat(o.out); err == nil {
			return usagef("draft: %s exists: give --overwrite to write over it, or another name", o.out)
		}
	}
	name := o.name
	if name == "" && o.out != "" {
		name = strings.TrimSuffix(filepath.Base(o.out), filepath.Ext(o.out))
	}
	if ix.Hand != nil && len(ix.Hand.Edits) > 0 {
		// The files' contents are in the side file beside the recording.
		edits, err := recording.ReadEdits(recording.EditsPath(rec))
		if err != nil {
			return fmt.Errorf("draft: the contents of the files the session edited: %w", err)
		}
		ix.Hand.Edits = edits
	}
	src, err := draft.Write(ix, draft.Options{Name: name, Recording: rec})
	if err != nil {
		return err
	}
	if o.out == "" {
		_, err := fmt.Fprint(st.Out, src)
		return err
	}
	if err := os.WriteFile(o.out, []byte(src), 0o644); err != nil {
		return fmt.Errorf("draft: %w", err)
	}
	fmt.Fprintf(st.Err, "runbook draft: wrote %s; read it, then list it with: runbook steps %s\n", o.out, o.out)
	return nil
}
