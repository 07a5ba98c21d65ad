package engine

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/runbook-dev/runbook/internal/unnamed"
)

// A recording gets its name only once it holds its first frame (the size
// announcement), so that no moment sees it empty: a run killed before
// its first output leaves a valid recording of no time, never a file of
// 0 bytes. The file is made without a name (O_TMPFILE), written, locked,
// then linked into place. link(2) fails when the name exists, as an
// O_EXCL create does, so names stay unique and a run's file its own.
// Where the filesystem makes no unnamed files, a temporary name stands in
// (removed as soon as the real name is linked); where it makes no links
// (FAT), the file is created under its name with O_EXCL and written at
// once.

// newRecordingFile returns a file in dir, locked, holding first. tmp is
// its temporary name ("" for an unnamed file).
func newRecordingFile(dir string, first []byte) (f *os.File, tmp string, err error) {
	f, err = unnamed.Open(dir)
	if err != nil {
		for range 100 {
			tmp = filepath.Join(dir, ".runbook-"+randomHex(6)+".ttyrec.tmp")
			f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if !errors.Is(err, fs.ErrExist) {
				break
			}
		}
		if err != nil {
			return nil, "", err
		}
	}
	fail := func(err error) (*os.File, string, error) {
		f.Close()
		if tmp != "" {
			os.Remove(tmp)
		}
		return nil, "", err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fail(fmt.Errorf("lock: %w", err))
	}
	if _, err := f.Write(first); err != nil {
		return fail(err)
	}
	return f, tmp, nil
}

// placeRecording gives f (from newRecordingFile) the name p. Like an
// exclusive create, it fails with an error matching fs.ErrExist when p
// exists, and then leaves f as it was. It returns the file to go on
// with: f, or, where the filesystem makes no links, a new file named p
// holding first (f and tmp are gone then).
func placeRecording(f *os.File, tmp, p string, first []byte) (*os.File, error) {
	var err error
	if tmp == "" {
		err = unnamed.Link(f, p)
	} else {
		err = os.Link(tmp, p)
	}
	if err == nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		return f, nil
	}
	if errors.Is(err, fs.ErrExist) || !noLinks(err) {
		return nil, err
	}
	// No links here: create the name exclusively and write the first
	// frame at once.
	g, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	syscall.Flock(int(g.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if _, err := g.Write(first); err != nil {
		g.Close()
		os.Remove(p)
		return nil, err
	}
	discardRecordingFile(f, tmp)
	return g, nil
}

// replaceRecording puts f (from newRecordingFile) in the place of the
// file at p, which no run may hold: the name never shows an empty file,
// the old one or the new one. It returns errHeld when a run records to
// p, and the file to go on with (see placeRecording).
func replaceRecording(f *os.File, tmp, p string, first []byte) (*os.File, error) {
	for range 10 {
		old, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			g, err := placeRecording(f, tmp, p, first)
			if errors.Is(err, fs.ErrExist) {
				continue // another file came meanwhile
			}
			return g, err
		}
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(old.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			old.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, errHeld
			}
			return nil, fmt.Errorf("lock: %w", err)
		}
		// Locked, but is it still the file named p? A run that replaced
		// it meanwhile holds the one there now.
		if !sameFile(old, p) {
			old.Close()
			continue
		}
		name := tmp
		if name == "" {
			name = filepath.Join(filepath.Dir(p), ".runbook-"+randomHex(6)+".ttyrec.tmp")
			if err := unnamed.Link(f, name); err != nil {
				old.Close()
				if noLinks(err) {
					return overwriteInPlace(f, tmp, p, first)
				}
				return nil, err
			}
		}
		err = os.Rename(name, p)
		old.Close()
		if err != nil {
			if name != tmp {
				os.Remove(name)
			}
			if noLinks(err) {
				return overwriteInPlace(f, tmp, p, first)
			}
			return nil, err
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s keeps changing", p)
}

// overwriteInPlace is replaceRecording where the filesystem renames or
// links nothing: the old file, locked, is cut to the first frame.
func overwriteInPlace(f *os.File, tmp, p string, first []byte) (*os.File, error) {
	g, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(g.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		g.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errHeld
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	// The first frame over the old start, then the rest cut off.
	if _, err := g.WriteAt(first, 0); err != nil {
		g.Close()
		return nil, err
	}
	if err := g.Truncate(int64(len(first))); err != nil {
		g.Close()
		return nil, err
	}
	if _, err := g.Seek(int64(len(first)), 0); err != nil {
		g.Close()
		return nil, err
	}
	discardRecordingFile(f, tmp)
	return g, nil
}

// discardRecordingFile gives up a file newRecordingFile made.
func discardRecordingFile(f *os.File, tmp string) {
	f.Close()
	if tmp != "" {
		os.Remove(tmp)
	}
}

var errHeld = errors.New("another run is recording to it")

// sameFile reports whether f is the file named p.
func sameFile(f *os.File, p string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(p)
	return err == nil && os.SameFile(a, b)
}

// noLinks reports whether err says the filesystem makes no hard links
// (or renames nothing over a file).
func noLinks(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EOPNOTSUPP) ||
		errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EMLINK) || errors.Is(err, syscall.ENOSYS)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
