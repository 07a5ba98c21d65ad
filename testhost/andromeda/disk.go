package andromeda

import (
	"fmt"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// loopDisk is a sparse file attached to a loop device, for the part of the
// guide that partitions a disk and makes filesystems. It is attached with
// autoclear, so the kernel detaches it once the supervisor (which holds it
// open) is gone. This kernel has no device-mapper: LUKS and LVM on it
// cannot work here.
type loopDisk struct {
	img string
	dev string
	f   *os.File
}

func attachDisk(img string, size int64) (*loopDisk, error) {
	backing, err := os.OpenFile(img, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	defer backing.Close()
	if err := backing.Truncate(size); err != nil {
		return nil, err
	}
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("loop devices: %w", err)
	}
	defer ctl.Close()
	for try := 0; try < 5; try++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return nil, fmt.Errorf("find a free loop device: %w", err)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		f, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		cfg := unix.LoopConfig{Fd: uint32(backing.Fd())}
		cfg.Info.Flags = unix.LO_FLAGS_AUTOCLEAR | unix.LO_FLAGS_PARTSCAN
		if err := unix.IoctlLoopConfigure(int(f.Fd()), &cfg); err != nil {
			f.Close()
			if err == unix.EBUSY { // taken meanwhile by someone else
				continue
			}
			return nil, fmt.Errorf("attach %s to %s: %w", img, dev, err)
		}
		return &loopDisk{img: img, dev: dev, f: f}, nil
	}
	return nil, fmt.Errorf("no free loop device for %s", img)
}

func (d *loopDisk) detach() {
	unix.IoctlSetInt(int(d.f.Fd()), unix.LOOP_CLR_FD, 0)
	d.f.Close()
	os.Remove(d.img)
}

// wipe makes the disk blank again for a clean boot: the kernel forgets its
// partitions, the backing file's blocks are punched out and the loop
// device's buffers are dropped, so nothing of the last run is read back.
func (d *loopDisk) wipe() error {
	exec.Command("partx", "-d", d.dev).Run() // no partitions is fine
	b, err := os.OpenFile(d.img, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer b.Close()
	st, err := b.Stat()
	if err != nil {
		return err
	}
	if err := unix.Fallocate(int(b.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, st.Size()); err != nil {
		return fmt.Errorf("wipe %s: %w", d.img, err)
	}
	if err := unix.IoctlSetInt(int(d.f.Fd()), unix.BLKFLSBUF, 0); err != nil {
		return fmt.Errorf("flush %s: %w", d.dev, err)
	}
	return nil
}
