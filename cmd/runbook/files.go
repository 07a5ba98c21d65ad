package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

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
func openRecording(cmd, path string) (*player.Recording, error) {
	if err := checkInput(cmd, path); err != nil {
		return nil, err
	}
	rec, err := player.Open(path)
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
