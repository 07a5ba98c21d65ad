// Package unnamed makes files that have no name until they are whole
// (O_TMPFILE, then linkat): a process killed before the link leaves
// nothing behind.
package unnamed

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Open opens a file in dir that has no name (O_TMPFILE): if the
// run dies before it is linked, nothing is left. It fails where the
// filesystem cannot, or where /proc (through which it is linked) is
// missing.
func Open(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	f := os.NewFile(uintptr(fd), dir)
	if _, err := os.Lstat(procFD(f)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Link gives the unnamed file f the name p; it fails when p
// exists.
func Link(f *os.File, p string) error {
	if err := unix.Linkat(unix.AT_FDCWD, procFD(f), unix.AT_FDCWD, p, unix.AT_SYMLINK_FOLLOW); err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: p, Err: err}
	}
	return nil
}

func procFD(f *os.File) string { return fmt.Sprintf("/proc/self/fd/%d", f.Fd()) }
