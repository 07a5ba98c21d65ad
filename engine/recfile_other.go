//go:build !linux

package engine

import (
	"errors"
	"os"
)

var errNoUnnamed = errors.New("no unnamed files here")

// openUnnamed: only Linux makes unnamed files (O_TMPFILE); elsewhere a
// temporary name stands in.
func openUnnamed(dir string) (*os.File, error) { return nil, errNoUnnamed }

func linkUnnamed(f *os.File, p string) error { return errNoUnnamed }
