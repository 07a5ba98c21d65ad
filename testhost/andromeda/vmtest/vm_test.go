// Package vmtest boots andromeda as a QEMU VM (testhost up --vm) and checks
// what only a VM gives: its own kernel, a virtio disk, a serial console and
// a real reboot. It is a package of its own, run in a lane of its own by
// scripts/test.sh: an emulated boot takes about a minute.
package vmtest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/testhost/andromeda"
)

func TestVM(t *testing.T) {
	testenv.Root(t, "andromeda")
	testenv.Programs(t, "qemu-system-x86_64", "qemu-img", "mkfs.ext4", "ssh", "debootstrap", "zstd")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	ifacesBefore, mountsBefore := interfaces(t), mounts(t)
	start := time.Now()
	h, err := andromeda.Up(ctx, andromeda.Options{Log: os.Stderr, VM: true, DiskSize: andromeda.SharedDiskSize})
	if err != nil {
		t.Fatalf("up --vm: %v", err)
	}
	t.Logf("andromeda VM up on %s (tree %s) in %s", h.Addr(), h.Tree, time.Since(start).Round(100*time.Millisecond))
	down := false
	defer func() {
		if !down {
			h.Down(context.Background())
		}
	}()
	if !h.VM() || h.Disk() != "/dev/vdb" {
		t.Fatalf("VM() = %v, Disk() = %q; want true, /dev/vdb", h.VM(), h.Disk())
	}

	// ssh runs args through OpenSSH with the run's ssh_config, as a user
	// of `testhost up` would.
	ssh := func(t *testing.T, args ...string) string {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(cctx, "ssh", append([]string{"-F", h.SSHConfig(), "-o", "BatchMode=yes", "andromeda"}, args...)...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("ssh andromeda %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String()
	}

	t.Run("kernel", func(t *testing.T) {
		cache, err := andromeda.CacheDir()
		if err != nil {
			t.Fatal(err)
		}
		kernels, _ := filepath.Glob(filepath.Join(cache, "trees", andromeda.TreeKey(), "boot", "vmlinuz-*"))
		if len(kernels) != 1 {
			t.Fatalf("kernels in the tree: %v, want one", kernels)
		}
		want := strings.TrimPrefix(filepath.Base(kernels[0]), "vmlinuz-")
		if got := strings.TrimSpace(ssh(t, "uname", "-r")); got != want {
			t.Errorf("uname -r = %q, want the tree's kernel %q", got, want)
		}
	})

	t.Run("disk", func(t *testing.T) {
		out := ssh(t, "lsblk", "-dn", "-o", "NAME,SIZE,TYPE")
		if !regexp.MustCompile(`(?m)^vdb\s+4G\s+disk$`).MatchString(out) {
			t.Errorf("lsblk shows no 4G vdb:\n%s", out)
		}
		// What the container cannot have: device-mapper, for LUKS and LVM.
		ssh(t, "modprobe dm_mod && test -c /dev/mapper/control")
	})

	t.Run("apt through the proxy", func(t *testing.T) {
		out := ssh(t, "apt-get", "update", "-q")
		if !strings.Contains(out, "Reading package lists") {
			t.Errorf("apt-get update:\n%s", out)
		}
	})

	t.Run("serial console", func(t *testing.T) {
		log, err := os.ReadFile(filepath.Join(h.Dir(), "console.log"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(log), "andromeda login: ") {
			t.Errorf("console.log shows no login prompt; it ends:\n%s", tail(string(log), 20))
		}
		c, err := h.Console(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		// The shell echoes the line as typed; only what it runs prints
		// typed-42 and the terminal's name.
		if err := c.Send("echo typed-$((6*7)); tty\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Expect(cctx, regexp.MustCompile(`typed-42`)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Expect(cctx, regexp.MustCompile(`/dev/ttyS0`)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("reboot", func(t *testing.T) {
		before := ssh(t, "touch /root/kept; cat /proc/sys/kernel/random/boot_id")
		// The connection may drop before ssh sees the command end.
		exec.CommandContext(ctx, "ssh", "-F", h.SSHConfig(), "-o", "BatchMode=yes", "andromeda", "systemctl", "reboot").Run()
		deadline := time.Now().Add(5 * time.Minute)
		for {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			res, err := h.Exec(cctx, "test -e /root/kept && systemctl is-system-running --wait >/dev/null; cat /proc/sys/kernel/random/boot_id")
			cancel()
			if err == nil && res.Exit == 0 && res.Stdout != before {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("andromeda did not come back from reboot in 5 minutes (last: %v %+v)", err, res)
			}
			time.Sleep(2 * time.Second)
		}
	})

	dir, pid := h.Dir(), h.PID()
	if err := h.Down(ctx); err != nil {
		t.Fatal(err)
	}
	down = true
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("run directory %s still there after down (%v)", dir, err)
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
		t.Errorf("supervisor %d still running after down", pid)
	}
	for _, p := range processesNaming(dir) {
		t.Errorf("still running after down: %s", p)
	}
	// QEMU's user network makes no device here, and nothing is mounted.
	if got := interfaces(t); got != ifacesBefore {
		t.Errorf("network interfaces after down:\n%s\nbefore up:\n%s", got, ifacesBefore)
	}
	if got := mounts(t); got != mountsBefore {
		t.Errorf("mounts after down:\n%s\nbefore up:\n%s", got, mountsBefore)
	}
}

func interfaces(t *testing.T) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	return strings.Join(names, "\n")
}

func mounts(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The supervisor is killed: QEMU goes with it (Pdeathsig), and down
// removes what the supervisor could not.
func TestVMSupervisorKilled(t *testing.T) {
	testenv.Root(t, "andromeda")
	testenv.Programs(t, "qemu-system-x86_64", "qemu-img", "mkfs.ext4", "ssh", "debootstrap", "zstd")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	h, err := andromeda.Up(ctx, andromeda.Options{Log: os.Stderr, VM: true})
	if err != nil {
		t.Fatalf("up --vm: %v", err)
	}
	defer h.Down(context.Background())
	qemu := processesNaming(h.Dir())
	if len(qemu) != 1 || !strings.Contains(qemu[0], "qemu-system-x86_64") {
		t.Fatalf("want one QEMU naming %s, found %q", h.Dir(), qemu)
	}
	syscall.Kill(h.PID(), syscall.SIGKILL)
	deadline := time.Now().Add(time.Minute)
	for len(processesNaming(h.Dir())) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the supervisor was killed: %q", processesNaming(h.Dir()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := h.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.Dir()); !os.IsNotExist(err) {
		t.Errorf("run directory %s still there after down (%v)", h.Dir(), err)
	}
}

// processesNaming lists the command lines that mention s (QEMU's names the
// run directory).
func processesNaming(s string) []string {
	var out []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte(s)) {
			continue
		}
		out = append(out, filepath.Base(filepath.Dir(f))+": "+strings.ReplaceAll(string(b), "\x00", " "))
	}
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
