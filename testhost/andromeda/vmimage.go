package andromeda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// vmImageSize is the root disk's size as the guest sees it: the raw base
// image is sparse and each boot writes to a qcow2 overlay, so only what is
// used costs space.
const vmImageSize = 8 << 30

// vmSeedName is the QEMU fw_cfg entry that carries a run's keys and apt
// settings into the guest (see vmSeedScript): it shows up as no disk, so
// lsblk inside lists the root disk and the guide's disk only.
const vmSeedName = "opt/dev.runbook/seed"

// vmStageFile is a file the VM's image has that the container's tree has
// not (or has differently).
type vmStageFile struct {
	path string // in the tree
	data string // content; for a symlink, its target
	mode os.FileMode
}

// vmStage is what turns the tree (made for systemd-nspawn) into a disk a
// kernel boots: an fstab, DHCP on eth0, a serial console, and a unit that
// installs the run's seed. Its content is part of the image's cache key.
var vmStage = []vmStageFile{
	{"etc/fstab", "# andromeda (VM): the root disk is the first virtio disk.\n/dev/vda / ext4 rw,errors=remount-ro 0 1\n", 0o644},
	// QEMU's user network answers DHCP with 10.0.2.15/24 via 10.0.2.2,
	// the address the container's eth0 has too.
	{"etc/systemd/network/20-eth0.network", "[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n", 0o644},
	{"etc/systemd/system/multi-user.target.wants/systemd-networkd.service", "/lib/systemd/system/systemd-networkd.service", os.ModeSymlink},
	{"etc/systemd/system/sockets.target.wants/systemd-networkd.socket", "/lib/systemd/system/systemd-networkd.socket", os.ModeSymlink},
	{"etc/systemd/system/dbus-org.freedesktop.network1.service", "/lib/systemd/system/systemd-networkd.service", os.ModeSymlink},
	// The serial console logs in as root by itself: only root on this
	// machine reaches it (through the supervisor's socket), and no
	// password is set, so SSH stays key-only.
	{"etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf",
		"[Service]\nExecStart=\nExecStart=-/sbin/agetty -o '-p -f -- \\\\u' --keep-baud --autologin root 115200,57600,38400,9600 - $TERM\n", 0o644},
	{"etc/systemd/system/andromeda-seed.service", vmSeedUnit, 0o644},
	{"etc/systemd/system/multi-user.target.wants/andromeda-seed.service", "/etc/systemd/system/andromeda-seed.service", os.ModeSymlink},
	{"usr/local/sbin/andromeda-seed", vmSeedScript, 0o755},
	// The live system boots the kernel and initrd QEMU is given, never its
	// own /boot: rebuilding its initramfs when a package asks (cryptsetup,
	// lvm2) would take minutes under emulation for nothing.
	{"etc/initramfs-tools/update-initramfs.conf", "# andromeda (VM): QEMU boots its own copy of the initrd.\nupdate_initramfs=no\nbackup_initramfs=no\n", 0o644},
}

// vmUnmask lists the tree's masks that the VM lifts: the container masks
// the serial getty; the VM's serial console is what a test types into.
var vmUnmask = []string{"etc/systemd/system/serial-getty@ttyS0.service"}

const vmSeedUnit = `[Unit]
Description=andromeda: install this run's keys and apt settings (QEMU fw_cfg)
After=local-fs.target
Before=ssh.service apt-daily.service apt-daily-upgrade.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/andromeda-seed

[Install]
WantedBy=multi-user.target
`

const vmSeedScript = `#!/bin/sh
# andromeda-seed: unpack the tarball the test host passed in QEMU's fw_cfg
# (host key, authorized keys, apt sources and proxy) over /. Made for each
# run, so the disk image stays the same for every run.
set -eu
modprobe qemu_fw_cfg
cat /sys/firmware/qemu_fw_cfg/by_name/` + vmSeedName + `/raw | tar -x --numeric-owner -p -f - -C /
`

// vmImageKey names the base image: the tree's key and a hash of what the
// VM stage adds, so editing either builds a new image.
func vmImageKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "size %d\n", vmImageSize)
	for _, f := range vmStage {
		fmt.Fprintf(h, "%s %o %q\n", f.path, f.mode, f.data)
	}
	for _, p := range vmUnmask {
		fmt.Fprintf(h, "unmask %s\n", p)
	}
	return TreeKey() + "-vm-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// vmImage is the cached base image and the kernel and initrd it boots.
type vmImage struct {
	Image, Kernel, Initrd string
}

// ensureVMImage returns the raw base image made from tree t, building it
// first when needed: a hard-linked copy of the tree (nothing of the tree is
// written) gets the VM stage, and mkfs.ext4 -d makes the filesystem from
// it. Nothing is mounted.
func ensureVMImage(ctx context.Context, cache string, t tree, log io.Writer) (vmImage, error) {
	img := vmImage{Image: filepath.Join(cache, "trees", vmImageKey()+".img")}
	kernels, _ := filepath.Glob(filepath.Join(t.Dir, "boot", "vmlinuz-*"))
	if len(kernels) == 0 {
		return img, fmt.Errorf("andromeda VM: no kernel in %s/boot", t.Dir)
	}
	sort.Strings(kernels)
	img.Kernel = kernels[len(kernels)-1]
	img.Initrd = filepath.Join(t.Dir, "boot", "initrd.img-"+strings.TrimPrefix(filepath.Base(img.Kernel), "vmlinuz-"))
	if _, err := os.Stat(img.Initrd); err != nil {
		return img, fmt.Errorf("andromeda VM: initrd for %s: %w", img.Kernel, err)
	}
	for _, tool := range []string{"mkfs.ext4", "qemu-img", "qemu-system-x86_64", "cp", "nice"} {
		if _, err := exec.LookPath(tool); err != nil {
			return img, fmt.Errorf("andromeda VM: %s not found (apt-get install e2fsprogs qemu-utils qemu-system-x86)", tool)
		}
	}
	unlock, err := lockFile(ctx, filepath.Join(cache, "trees", "vm.lock"))
	if err != nil {
		return img, err
	}
	defer unlock()
	if _, err := os.Stat(img.Image); err == nil {
		return img, nil
	}
	fmt.Fprintf(log, "testhost: making the VM disk image %s\n", filepath.Base(img.Image))
	start := time.Now()
	stage := img.Image + ".stage"
	tmp := img.Image + ".tmp"
	os.RemoveAll(stage)
	os.Remove(tmp)
	// Removing a hard-linked copy only unlinks: the tree stays whole.
	defer os.RemoveAll(stage)
	if out, err := exec.CommandContext(ctx, "cp", "-a", "-l", t.Dir, stage).CombinedOutput(); err != nil {
		return img, fmt.Errorf("hard-link copy of %s: %w: %s", t.Dir, err, strings.TrimSpace(string(out)))
	}
	if err := applyVMStage(stage); err != nil {
		return img, err
	}
	mkfs := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-L", "andromeda", "-d", stage, tmp, fmt.Sprint(vmImageSize>>20)+"M")
	if out, err := mkfs.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return img, fmt.Errorf("mkfs.ext4 -d %s: %w: %s", stage, err, strings.TrimSpace(string(out)))
	}
	if err := os.Rename(tmp, img.Image); err != nil {
		return img, err
	}
	fmt.Fprintf(log, "testhost: VM disk image made in %s\n", time.Since(start).Round(100*time.Millisecond))
	pruneVMImages(filepath.Dir(img.Image), filepath.Base(img.Image))
	return img, nil
}

// applyVMStage writes the VM stage into a hard-linked copy of the tree.
// Every file is removed before it is written: writing through a hard link
// would change the tree itself.
func applyVMStage(stage string) error {
	for _, p := range vmUnmask {
		if err := os.Remove(filepath.Join(stage, p)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("unmask %s: %w", p, err)
		}
	}
	for _, f := range vmStage {
		p := filepath.Join(stage, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
		var err error
		if f.mode&os.ModeSymlink != 0 {
			err = os.Symlink(f.data, p)
		} else if err = os.WriteFile(p, []byte(f.data), f.mode); err == nil {
			err = os.Chmod(p, f.mode) // WriteFile's mode passes the umask
		}
		if err != nil {
			return fmt.Errorf("VM stage %s: %w", f.path, err)
		}
	}
	return nil
}

// pruneVMImages removes VM images of this tree made by an older stage (old
// trees' images go with pruneTrees). A live VM keeps its open base image
// until it ends.
func pruneVMImages(dir, keep string) {
	old, _ := filepath.Glob(filepath.Join(dir, TreeKey()+"-vm-*.img"))
	for _, p := range old {
		if filepath.Base(p) != keep {
			os.Remove(p)
		}
	}
}
