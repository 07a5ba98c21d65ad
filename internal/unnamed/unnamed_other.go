//go:build !linux

package unnamed

import (
	"errors"
	"os"
)

// ErrUnsupported says this system makes no unnamed files.
var ErrUnsupported = errors.New("no unnamed files here")

// Open: only Linux makes unnamed files (O_TMPFILE); elsewhere a
// temporary name stands in.
func Open(dir string) (*os.File, error) { return nil, ErrUnsupported }

func Link(f *os.File, p string) error { return ErrUnsupported }
