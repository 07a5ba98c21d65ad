package andromeda

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SaveDisk copies the VM's guide disk and the run's keys into dir (made
// private), so that a later Up with Options.DiskFrom = dir starts where
// this run is now: with what was installed on the disk, reachable with
// the same keys. The disk must be quiet while it is copied: its
// filesystems unmounted or read-only (the caller's business; a copy of
// a disk being written is not a disk).
func (h *Host) SaveDisk(ctx context.Context, dir string) error {
	if !h.VM() {
		return errors.New("andromeda: only a VM's disk can be saved")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	for _, f := range keyFiles {
		if err := copyFile(filepath.Join(h.dir, f), filepath.Join(dir, f)); err != nil {
			return fmt.Errorf("andromeda: save %s: %w", f, err)
		}
	}
	return copySparse(ctx, filepath.Join(h.dir, fileDisk), filepath.Join(dir, fileDisk))
}

// keyFiles are the run's keys a saved disk keeps: the installed system
// holds the host key and authorizes the client key.
var keyFiles = []string{fileClientKey, fileClientKey + ".pub", fileHostKey, fileHostKey + ".pub"}

// copyKeys takes a saved disk's keys for the run directory dst.
func copyKeys(src, dst string) error {
	if _, err := os.Stat(filepath.Join(src, fileDisk)); err != nil {
		return fmt.Errorf("not a saved disk: %w", err)
	}
	for _, f := range keyFiles {
		if err := copyFile(filepath.Join(src, f), filepath.Join(dst, f)); err != nil {
			return fmt.Errorf("not a saved disk: %w", err)
		}
	}
	return nil
}

// copyFile copies a small file, keeping its mode bits.
func copyFile(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, fi.Mode().Perm())
}

// copySparse copies a disk image, keeping its holes (an 8 GB disk holds
// about 1.5 GB after part 1), through a temporary name so that a copy cut
// short is never taken for a disk.
func copySparse(ctx context.Context, src, dst string) error {
	tmp := dst + ".part"
	out, err := exec.CommandContext(ctx, "cp", "--sparse=always", "--reflink=auto", src, tmp).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("copy disk %s: %w: %s", src, err, strings.TrimSpace(string(out)))
	}
	return os.Rename(tmp, dst)
}
