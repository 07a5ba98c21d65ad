package andromeda

import (
	"context"
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if os.Getenv(envStarter) != "" {
		starter()
		return
	}
	Main(m)
}

// must runs cmd inside as root and fails the test unless it exits 0.
func must(t *testing.T, h *Host, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := h.Exec(ctx, cmd)
	if err != nil {
		t.Fatalf("andromeda: %s: %v", cmd, err)
	}
	if res.Exit != 0 {
		t.Fatalf("andromeda: %s: exit %d\nstdout:\n%s\nstderr:\n%s", cmd, res.Exit, res.Stdout, res.Stderr)
	}
	return res.Stdout
}

// needTool fails under CI (which installs it) and skips elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	return testenv.Program(t, name)
}

func TestOpenSSHReachesAndromeda(t *testing.T) {
	h := Shared(t)
	ssh := needTool(t, "ssh")
	out, err := exec.Command(ssh, "-F", h.SSHConfig(), "andromeda",
		"hostname; id -un; systemctl is-system-running").CombinedOutput()
	if err != nil {
		t.Fatalf("ssh -F %s andromeda: %v\n%s", h.SSHConfig(), err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 3 || got[0] != "andromeda" || got[1] != "root" ||
		(got[2] != "running" && got[2] != "degraded") {
		t.Fatalf("ssh andromeda said %q, want andromeda, root, running", out)
	}
	// The guide's author works as a user with sudo.
	out, err = exec.Command(ssh, "-F", h.SSHConfig(), "-l", "admin", "andromeda", "id -un; sudo -n id -u").CombinedOutput()
	if err != nil || strings.Join(strings.Fields(string(out)), " ") != "admin 0" {
		t.Fatalf("ssh admin@andromeda sudo: %v: %q", err, out)
	}
}

func TestOpenSSHRefusesAnotherHostKey(t *testing.T) {
	h := Shared(t)
	ssh := needTool(t, "ssh")
	// Same config, but known_hosts holds a key andromeda does not have.
	dir := t.TempDir()
	if err := makeKeys(dir); err != nil {
		t.Fatal(err)
	}
	if err := writeSSHConfig(dir, h.state.Port); err != nil {
		t.Fatal(err)
	}
	client, _ := os.ReadFile(filepath.Join(h.Dir(), fileClientKey))
	os.WriteFile(filepath.Join(dir, fileClientKey), client, 0o600)
	out, err := exec.Command(ssh, "-F", filepath.Join(dir, fileSSHConfig), "-o", "BatchMode=yes", "andromeda", "true").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "REMOTE HOST IDENTIFICATION HAS CHANGED") {
		t.Fatalf("ssh with a wrong host key: err %v, output %q; want it refused as a changed key", err, out)
	}
}

func TestOwnNetworkNamespace(t *testing.T) {
	h := Shared(t)
	links := strings.Fields(must(t, h, "ls /sys/class/net; ip -o link | wc -l"))
	if strings.Join(links, " ") != "eth0 eth0-peer lo 3" {
		t.Fatalf("andromeda's interfaces: %q, want eth0, its veth peer and lo (a namespace of its own)", links)
	}
	if mac := strings.TrimSpace(must(t, h, "cat /sys/class/net/eth0/address")); mac != nicMAC {
		t.Fatalf("eth0's MAC %s, want the fixed %s", mac, nicMAC)
	}
	// A server's NIC: the default route goes through eth0, so a runbook
	// that asks for the default interface (xen-prereqs) finds one.
	if route := strings.TrimSpace(must(t, h, "ip route show default")); !strings.HasPrefix(route, "default via "+nicGateway+" dev eth0") {
		t.Fatalf("andromeda's default route: %q, want via %s dev eth0", route, nicGateway)
	}
	if !strings.Contains(must(t, h, "ip -o -4 addr show dev eth0"), nicAddr) {
		t.Fatalf("eth0 has not the address %s", nicAddr)
	}
	// The way out is the proxy, and it reaches the Debian mirror only.
	out := must(t, h, `exec 3<>/dev/tcp/127.0.0.1/3142 && printf 'GET http://example.com/ HTTP/1.0\r\n\r\n' >&3 && head -n1 <&3`)
	if !strings.Contains(out, "403") {
		t.Fatalf("proxy answered %q for a host that is not the mirror, want 403", out)
	}
}

func TestAptGetInstall(t *testing.T) {
	h := ResetShared(t)
	if res, _ := h.Exec(context.Background(), "command -v hello"); res.Exit == 0 {
		t.Fatal("hello is installed before the test installed it")
	}
	must(t, h, "apt-get update -q")
	must(t, h, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends hello")
	if out := must(t, h, "hello"); strings.TrimSpace(out) != "Hello, world!" {
		t.Fatalf("hello printed %q", out)
	}
	if out := must(t, h, "dpkg-query -W -f '${Status}' hello"); out != "install ok installed" {
		t.Fatalf("dpkg says hello is %q", out)
	}
}

const testUnit = `[Unit]
Description=runbook testhost unit
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'echo started >/run/rb-unit'
[Install]
WantedBy=multi-user.target
`

func TestSystemctlEnableNow(t *testing.T) {
	h := ResetShared(t)
	must(t, h, "cat >/etc/systemd/system/rb-unit.service <<'EOF'\n"+testUnit+"EOF")
	must(t, h, "systemctl daemon-reload && systemctl enable --now rb-unit.service")
	if out := must(t, h, "systemctl is-enabled rb-unit; systemctl is-active rb-unit; cat /run/rb-unit"); strings.Fields(out)[0] != "enabled" ||
		strings.Fields(out)[1] != "active" || strings.Fields(out)[2] != "started" {
		t.Fatalf("after enable --now: %q", out)
	}
	if out := must(t, h, "readlink /etc/systemd/system/multi-user.target.wants/rb-unit.service"); !strings.Contains(out, "rb-unit.service") {
		t.Fatalf("enable made no wants link: %q", out)
	}
}

func TestUpdateGrubFollowsDefaultGrub(t *testing.T) {
	h := ResetShared(t)
	if out := must(t, h, "dpkg-divert --list /usr/sbin/grub-probe"); !strings.Contains(out, "grub-probe.distrib") {
		t.Fatalf("grub-probe is not diverted: %q", out)
	}
	must(t, h, `sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=17/' -e 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="runbook.test=1"/' /etc/default/grub`)
	must(t, h, "update-grub")
	cfg := must(t, h, "cat /boot/grub/grub.cfg")
	if !strings.Contains(cfg, "set timeout=17") {
		t.Errorf("grub.cfg has no timeout=17 from /etc/default/grub")
	}
	var linux int
	for _, l := range strings.Split(cfg, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "linux" {
			linux++
			if !strings.Contains(l, "runbook.test=1") {
				t.Errorf("kernel line without GRUB_CMDLINE_LINUX: %q", l)
			}
		}
	}
	if linux == 0 {
		t.Errorf("grub.cfg has no kernel entry:\n%s", cfg)
	}
}

func TestUpdateInitramfs(t *testing.T) {
	h := ResetShared(t)
	before := must(t, h, "stat -c %Y:%s /boot/initrd.img-*")
	must(t, h, "sleep 1.1; update-initramfs -u")
	after := must(t, h, "stat -c %Y:%s /boot/initrd.img-*")
	if before == after {
		t.Fatalf("update-initramfs -u left the initrd as it was (%s)", before)
	}
}

func TestRebootComesBack(t *testing.T) {
	h := ResetShared(t)
	must(t, h, "echo kept >/root/rb-marker; echo gone >/run/rb-boot; ip link add rbtest1 type bridge")
	// The connection may end before the command does.
	h.Exec(context.Background(), "systemctl reboot")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := h.Exec(ctx, "test ! -e /run/rb-boot && systemctl is-system-running --wait; cat /root/rb-marker")
		cancel()
		if err == nil && strings.Contains(res.Stdout, "kept") && !strings.Contains(res.Stdout, "gone") &&
			(strings.HasPrefix(res.Stdout, "running") || strings.HasPrefix(res.Stdout, "degraded")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("andromeda not back after systemctl reboot: %v %+v", err, res)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if st, err := h.Status(context.Background()); err != nil || st != "up" {
		t.Fatalf("status after reboot: %q %v", st, err)
	}
	if res, err := h.Exec(context.Background(), "ip link show rbtest1"); err != nil || res.Exit == 0 {
		t.Fatalf("a bridge survived the reboot: %v %+v", err, res)
	}
}

func TestResetGivesACleanHost(t *testing.T) {
	h := ResetShared(t)
	cfg, _ := os.ReadFile(h.SSHConfig())
	must(t, h, "echo dirty >/root/rb-dirty; touch /etc/rb-dirty; ip link add rbtest0 type bridge")
	ResetShared(t)
	if out := must(t, h, "ls /root/rb-dirty /etc/rb-dirty 2>&1 || true"); strings.Count(out, "No such file") != 2 {
		t.Fatalf("after reset: %q", out)
	}
	// A bridge is kernel state: gone after a reset as after a real reboot.
	if res, err := h.Exec(context.Background(), "ip link show rbtest0"); err != nil || res.Exit == 0 {
		t.Fatalf("the bridge made before the reset is still there: %v %+v", err, res)
	}
	if cfg2, _ := os.ReadFile(h.SSHConfig()); string(cfg) != string(cfg2) {
		t.Fatal("reset changed the ssh_config")
	}
}

func TestDiskForTheInstallGuide(t *testing.T) {
	h := ResetShared(t)
	dev := h.Disk()
	if dev == "" {
		t.Fatal("the shared instance has no disk")
	}
	must(t, h, "printf 'label: dos\\n,256M,L\\n,,L\\n' | sfdisk -q "+dev)
	must(t, h, "andromeda-partscan "+dev)
	must(t, h, "mkfs.ext4 -q "+dev+"p1 && mkdir -p /mnt/target && mount "+dev+"p1 /mnt/target && echo hi >/mnt/target/f && umount /mnt/target")
	if out := must(t, h, "blkid -o value -s TYPE "+dev+"p1"); strings.TrimSpace(out) != "ext4" {
		t.Fatalf("p1 is %q, want ext4", out)
	}
	// A reset blanks the disk too.
	ResetShared(t)
	if out := must(t, h, "sfdisk -d "+dev+" 2>&1 || true; ls "+dev+"p1 2>&1 || true"); strings.Contains(out, "label: dos") {
		t.Fatalf("the disk kept its partition table across a reset: %q", out)
	}
}

func TestTwoUpsReuseTheCache(t *testing.T) {
	Shared(t) // the tree is built and cached by now
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	tb := treeIn(cache)
	st0, err := os.Stat(tb.Tarball)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		h, err := Up(ctx, Options{})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if h.Tree != TreeReady {
			t.Errorf("up %d: tree %s, want %s", i+1, h.Tree, TreeReady)
		}
		if out := must(t, h, "hostname"); strings.TrimSpace(out) != "andromeda" {
			t.Errorf("up %d: hostname %q", i+1, out)
		}
		if err := h.Down(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	st1, err := os.Stat(tb.Tarball)
	if err != nil || !st1.ModTime().Equal(st0.ModTime()) || st1.Size() != st0.Size() {
		t.Fatalf("the cached tarball changed: %v %v", st0, st1)
	}
}

// A poweroff inside leaves andromeda off, not gone: status says so, and a
// reset boots it again, clean.
func TestPoweroffThenReset(t *testing.T) {
	h := ResetShared(t)
	h.Exec(context.Background(), "systemctl poweroff")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, err := h.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st == "off" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %q two minutes after poweroff, want off", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ResetShared(t)
	if out := must(t, h, "systemctl is-system-running"); !strings.HasPrefix(out, "running") && !strings.HasPrefix(out, "degraded") {
		t.Fatalf("after poweroff and reset: %q", out)
	}
}
