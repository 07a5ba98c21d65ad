package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/runbook-dev/runbook/recording"
)

// Human pace for watching (recording.PaceHuman): export paces by default,
// convert when asked (--pace human), and --pace real keeps the recording's
// true time. The recording itself is never changed.

// checkPace reads a --pace value.
func checkPace(cmd, v string) (human bool, err error) {
	switch v {
	case "human":
		return true, nil
	case "real":
		return false, nil
	}
	return false, usagef("%s: --pace %q: want human or real", cmd, v)
}

// pacedFile writes the recording at in (with its index), paced for a
// human after the idle limit, to a ttyrec in a temporary directory, and
// returns its path and the paced index; remove the directory (cleanup)
// when done. A recording without an index cannot be paced: ok is false.
// An error reading in part way keeps the events before it (ok, err set).
func pacedFile(ctx context.Context, in, format string, idle recording.Seconds) (path string, ix *recording.Index, cleanup func(), ok bool, err error) {
	if _, err := os.Stat(recording.IndexPath(in)); errors.Is(err, fs.ErrNotExist) {
		return "", nil, nil, false, nil
	}
	dir, err := os.MkdirTemp("", "runbook-paced-*")
	if err != nil {
		return "", nil, nil, false, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, "paced.ttyrec")
	res, convErr := recording.Convert(ctx, recording.ConvertOptions{
		In: in, Out: path, InFormat: format, OutFormat: "ttyrec",
		Retime: recording.RetimeOptions{IdleLimit: idle.Duration()}, PaceHuman: true,
	})
	if res == nil {
		cleanup()
		return "", nil, nil, false, convErr
	}
	if ix, err = recording.ReadIndex(recording.IndexPath(path)); err != nil {
		cleanup()
		return "", nil, nil, false, err
	}
	return path, ix, cleanup, true, convErr
}
