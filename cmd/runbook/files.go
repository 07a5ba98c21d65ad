package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/player"
	"github.com/runbook-dev/runbook/recording"
)

// checkInput refuses an input file that is missing, unreadable or a
// directory, the same way in every command: `CMD: PATH: reason`, exit 2.
// "-" (standard input) passes.
func checkInput(cmd, path string) error {
	if path == "-" {
		return nil
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &inputError{cmd: cmd, err: fmt.Errorf("%s: no such file", path)}
	case err != nil:
		return &inputError{cmd: cmd, err: err}
	case fi.IsDir():
		return &inputError{cmd: cmd, err: fmt.Errorf("%s: is a directory, not a recording", path)}
	}
	return nil
}

// openRecording opens REC for play, render and check. A file that cannot
// be read as a recording at all is an input error (exit 2); damage part
// way is left to the caller (rec.Damage).
func openRecording(ctx context.Context, cmd, path string) (*player.Recording, error) {
	return openRecordingWith(ctx, cmd, path, player.Options{})
}

// openRecordingWith is openRecording with the player's options.
func openRecordingWith(ctx context.Context, cmd, path string, opt player.Options) (*player.Recording, error) {
	if err := checkInput(cmd, path); err != nil {
		return nil, err
	}
	rec, err := player.OpenWith(ctx, path, opt)
	if err != nil {
		return nil, recordingInputError(cmd, err)
	}
	return rec, nil
}

// recordingInputError is err from opening a recording, as an input error
// naming the file once (the FormatError names it already).
func recordingInputError(cmd string, err error) error {
	var fe *recording.FormatError
	if errors.As(err, &fe) {
		return &inputError{cmd: cmd, err: fe}
	}
	return &inputError{cmd: cmd, err: err}
}

// checkOutput refuses to write out, the same way in every command, when
// its directory does not exist (a typo would otherwise make one: make it
// first, as asciinema and ttyrec want too) or when out exists and
// overwrite is false (as asciinema rec refuses), unless own says the file
// is this command's own earlier output. "-" (standard output) passes.
func checkOutput(cmd, out string, overwrite bool, own func(path string) bool) error {
	if out == "-" || out == "" {
		return nil
	}
	dir := filepath.Dir(out)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if err == nil {
			return outputErrorf(cmd, "%s: %s is not a directory", out, dir)
		}
		return outputErrorf(cmd, "%s: no such directory %s (make it first: mkdir -p %s)", out, dir, dir)
	}
	fi, err := os.Stat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return outputErrorf(cmd, "%s: %v", out, errors.Unwrap(err))
	case fi.IsDir():
		return outputErrorf(cmd, "%s is a directory: name a file in it", out)
	case overwrite:
		return nil
	case own != nil && own(out):
		return nil
	}
	return outputErrorf(cmd, "%s exists: add --overwrite to replace it", out)
}

// outputErrorf is an output file refused before anything is written
// (exit 2, like an input that cannot be read).
func outputErrorf(cmd, format string, a ...any) error {
	return &inputError{cmd: cmd, err: fmt.Errorf(format, a...)}
}

// addOverwriteFlag registers --overwrite.
func addOverwriteFlag(fs *pflag.FlagSet, on *bool) {
	fs.BoolVar(on, "overwrite", false, "replace an output file that exists (refused otherwise)")
}

// exportedPage reports whether path is a page runbook export wrote (its
// generator meta tag), which export may replace without --overwrite.
func exportedPage(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 2048)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(`<meta name="generator" content="runbook export">`))
}

// sameFile reports whether a and b are one file (convert in place).
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// writeOutput writes through a temporary file renamed into place, so OUT is
// never left half written; "-" is standard output. Callers check OUT with
// checkOutput first (its directory exists, it may be replaced).
func writeOutput(st *IO, out string, write func(io.Writer) error) error {
	if out == "-" {
		return write(st.Out)
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
