package guide

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/testhost/andromeda"
)

// One andromeda for the package: the guide's parts run on it one after
// the other, as a reader runs them on one server.
func TestMain(m *testing.M) { andromeda.Main(m) }

// recordMode: the runs write the reference recordings into recordings/
// and the pages into docs/ (scripts/record-guide.sh), instead of into the
// test's temporary directory.
var recordMode = os.Getenv("RUNBOOK_GUIDE_RECORD") == "1"

// repoRoot is the checkout's top directory (go test runs in guide/).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildRunbook builds the runbook binary from this checkout: the guide is
// run exactly as its readers run it, through the CLI, with the runbooks
// built into it.
func buildRunbook(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "runbook")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/runbook-dev/runbook/cmd/runbook")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/runbook: %v\n%s", err, out)
	}
	return bin
}

// cli runs the runbook binary from a directory that holds no runbook, so a
// name like xen-prereqs.lua is the built-in one.
type cli struct {
	t   *testing.T
	bin string
	dir string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, bin: buildRunbook(t), dir: t.TempDir()}
}

type result struct {
	stdout, stderr string
	exit           int
}

func (c *cli) run(ctx context.Context, args ...string) result {
	c.t.Helper()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "LC_ALL=C.UTF-8")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			c.t.Fatalf("runbook %s: %v", strings.Join(args, " "), err)
		}
		res.exit = ee.ExitCode()
	}
	return res
}

// recap is what runbook run --json prints.
type recap struct {
	Runbook string `json:"runbook"`
	Path    string `json:"path"`
	Host    string `json:"host"`
	DryRun  bool   `json:"dry_run"`
	Steps   []struct {
		N      int    `json:"n"`
		Name   string `json:"name"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"steps"`
	OK, Changed, Failed, Skipped int
	Stopped, Error               string
}

// partArgs are the arguments of a reference run of p on h.
func partArgs(h *andromeda.Host, p Part) []string {
	args := []string{p.Name + ".lua",
		"--host", "andromeda", "--ssh-config", h.SSHConfig(),
		// The guide works as root through sudo -i: log in as the admin
		// user and let the runbook's sudo=true do the rest.
		"--user", "admin",
		"--cols", fmt.Sprint(Cols), "--rows", fmt.Sprint(Rows), "--idle-limit", IdleLimit,
		"--json"}
	r := strings.NewReplacer("{disk}", h.Disk(), "{key}", filepath.Join(h.Dir(), "id_ed25519.pub"))
	for _, s := range p.Set {
		args = append(args, "--set", r.Replace(s))
	}
	return args
}

// runPart runs p on h, recorded to rec ("" records nothing), and returns
// its recap; extra flags go after the part's own.
func (c *cli) runPart(ctx context.Context, h *andromeda.Host, p Part, rec string, extra ...string) (recap, result) {
	c.t.Helper()
	args := partArgs(h, p)
	if rec != "" {
		// In record mode the reference recording is replaced.
		args = append(args, "--record", rec, "--overwrite")
	} else {
		args = append(args, "--no-record")
	}
	args = append(args, extra...)
	start := time.Now()
	res := c.run(ctx, args...)
	rc := parseRecap(c.t, p.Name, res)
	c.t.Logf("%s: exit %d, %d ok, %d changed, %d failed, %d skipped in %s",
		p.Name, res.exit, rc.OK, rc.Changed, rc.Failed, rc.Skipped, time.Since(start).Round(time.Second))
	return rc, res
}

// parseRecap reads what runbook run --json printed for the part name.
func parseRecap(t *testing.T, name string, res result) recap {
	t.Helper()
	var rc recap
	if err := json.Unmarshal([]byte(res.stdout), &rc); err != nil {
		t.Fatalf("runbook %s: exit %d, recap not JSON (%v)\nstdout:\n%s\nstderr (tail):\n%s",
			name, res.exit, err, res.stdout, tail(res.stderr, 60))
	}
	return rc
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func part(t *testing.T, name string) Part {
	for _, p := range Parts {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no part %s", name)
	return Part{}
}

// recordingPath is where a part's recording goes: recordings/ when
// recording the reference, else the test's temporary directory.
func recordingPath(t *testing.T, name string) string {
	if recordMode {
		return filepath.Join(repoRoot(t), "recordings", name+".ttyrec")
	}
	return filepath.Join(t.TempDir(), name+".ttyrec")
}

// sh runs cmd inside andromeda as root and returns its output; a non-zero
// exit fails the test.
func sh(t *testing.T, ctx context.Context, h *andromeda.Host, cmd string) string {
	t.Helper()
	res, err := h.Exec(ctx, cmd)
	if err != nil {
		t.Fatalf("andromeda: %s: %v", cmd, err)
	}
	if res.Exit != 0 {
		t.Fatalf("andromeda: %s: exit %d\n%s%s", cmd, res.Exit, res.Stdout, res.Stderr)
	}
	return res.Stdout
}

// giveNIC gives andromeda a physical-looking interface with the default
// route, as a server has: the test host's network namespace holds only lo.
// It is one end of a veth pair inside andromeda's own namespace (the
// kernel here has no dummy driver); nothing is reached through it, apt
// goes through the test host's proxy on lo.
func giveNIC(t *testing.T, ctx context.Context, h *andromeda.Host) {
	sh(t, ctx, h, `ip link show eth0 >/dev/null 2>&1 || ip link add eth0 type veth peer name eth0-peer
ip link set eth0 address 52:54:00:12:34:56
ip addr replace 10.0.2.15/24 dev eth0
ip link set eth0-peer up
ip link set eth0 up
ip route replace default via 10.0.2.2 dev eth0`)
}

// snapshot lists what the guide's runbooks may change on the host: files
// (by content hash), packages, diversions, enabled units. Two equal
// snapshots around a second run show that it changed nothing. The shadow
// files are hashed without each account's day of last password change: a
// package that adds a system user stamps it with the day it ran, so two
// runs either side of midnight would differ in nothing else.
func snapshot(t *testing.T, ctx context.Context, h *andromeda.Host, extra string) string {
	t.Helper()
	return sh(t, ctx, h, `set -e
cd /
find etc boot var/lib/dnsmasq usr/local usr/sbin `+extra+` -xdev \( -type f -o -type l \) 2>/dev/null | LC_ALL=C sort | while read -r f; do
	if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"
	elif [ "$f" = etc/shadow ] || [ "$f" = etc/shadow- ]; then echo "$(sed 's/^\([^:]*:[^:]*:\)[0-9]*:/\1:/' "$f" | sha256sum | cut -c1-16) $f"
	else echo "$(sha256sum < "$f" | cut -c1-16) $f"; fi
done
dpkg-query -W -f '${Package} ${Version} ${Status}\n' | LC_ALL=C sort
dpkg-divert --list | LC_ALL=C sort
`)
}

// TestInstallPart1 installs Debian from the "live system" (andromeda) onto
// the loop disk the test host attaches, with plain partitions: this
// machine has no device-mapper, so LUKS and LVM cannot run here.
func TestInstallPart1(t *testing.T) {
	h := andromeda.ResetShared(t)
	if h.Disk() == "" {
		t.Fatal("andromeda has no disk attached")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	c := newCLI(t)
	p := part(t, "debian-install-1")
	giveNIC(t, ctx, h)

	rec := recordingPath(t, p.Name)
	rc, res := c.runPart(ctx, h, p, rec)
	if res.exit != 0 || rc.Failed != 0 {
		t.Fatalf("part 1: exit %d, recap %+v\nstderr (tail):\n%s", res.exit, rc, tail(res.stderr, 80))
	}
	for _, s := range rc.Steps {
		want := "ok"
		if strings.Contains(s.Name, "Encrypt") || strings.Contains(s.Name, "LVM") {
			want = "skipped" // storage=plain
		}
		if s.Status == "changed" {
			continue
		}
		if s.Status != want {
			t.Errorf("step %d %q: %s (%s), want %s", s.N, s.Name, s.Status, s.Reason, want)
		}
	}

	// The new system: its disks by UUID, its name, network, root's key,
	// a kernel and a boot loader.
	disk := h.Disk()
	p1, p2 := disk+"p1", disk+"p2"
	uuid := func(dev string) string {
		return strings.TrimSpace(sh(t, ctx, h, "blkid -s UUID -o value "+dev))
	}
	fstab := sh(t, ctx, h, "cat /target/etc/fstab")
	for _, want := range []string{
		"UUID=" + uuid(p2) + " / ext4 errors=remount-ro,discard 0 1",
		"UUID=" + uuid(p1) + " /boot ext4 defaults,discard 0 2",
	} {
		if !strings.Contains(fstab, want+"\n") {
			t.Errorf("/target/etc/fstab lacks %q:\n%s", want, fstab)
		}
	}
	if got := sh(t, ctx, h, "cat /target/etc/hostname"); got != "andromeda\n" {
		t.Errorf("/target/etc/hostname = %q", got)
	}
	if got := sh(t, ctx, h, "cat /target/etc/network/interfaces"); !strings.Contains(got, "auto eth0\niface eth0 inet dhcp\n") {
		t.Errorf("/target/etc/network/interfaces does not bring eth0 up with DHCP:\n%s", got)
	}
	key, err := os.ReadFile(filepath.Join(h.Dir(), "id_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sh(t, ctx, h, "cat /target/root/.ssh/authorized_keys; stat -c %a /target/root/.ssh /target/root/.ssh/authorized_keys"); got != string(key)+"700\n600\n" {
		t.Errorf("root's authorized_keys and modes: %q, want the client key, 700 and 600", got)
	}
	sh(t, ctx, h, "ls /target/boot/vmlinuz-* /target/boot/initrd.img-* && chroot /target dpkg-query -W linux-image-amd64 openssh-server grub-pc")
	if got := sh(t, ctx, h, "test -e /target/usr/sbin/policy-rc.d && echo left || echo gone"); got != "gone\n" {
		t.Errorf("policy-rc.d was %s in the new system", strings.TrimSpace(got))
	}
	if got := sh(t, ctx, h, "grep -c '^menuentry' /target/boot/grub/grub.cfg || true"); strings.TrimSpace(got) == "0" {
		t.Errorf("the new system's grub.cfg has no menu entry")
	}

	// Again: nothing changes.
	before := snapshot(t, ctx, h, "target/etc target/boot target/root")
	rc, res = c.runPart(ctx, h, p, "")
	if res.exit != 0 || rc.Changed != 0 || rc.Failed != 0 {
		t.Errorf("part 1 again: exit %d, %d changed, %d failed, want 0 and 0\nstderr (tail):\n%s", res.exit, rc.Changed, rc.Failed, tail(res.stderr, 60))
	}
	if after := snapshot(t, ctx, h, "target/etc target/boot target/root"); after != before {
		t.Errorf("part 1 again changed the host:\n%s", lineDiff(before, after))
	}
	checkRecording(t, c, p.Name, rec)
}

// TestInstallPart1Stable installs the current stable release too (trixie),
// not recorded: the release the test host runs (bookworm) is not the only
// one part 1 knows how to install.
func TestInstallPart1Stable(t *testing.T) {
	h := andromeda.ResetShared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	c := newCLI(t)
	p := part(t, "debian-install-1")
	p.Set = append([]string(nil), p.Set...)
	for i, s := range p.Set {
		if strings.HasPrefix(s, "release=") {
			p.Set[i] = "release=trixie"
		}
	}
	giveNIC(t, ctx, h)
	rc, res := c.runPart(ctx, h, p, "")
	if res.exit != 0 || rc.Failed != 0 {
		t.Fatalf("part 1 (trixie): exit %d, recap %+v\nstderr (tail):\n%s", res.exit, rc, tail(res.stderr, 80))
	}
	if got := sh(t, ctx, h, ". /target/etc/os-release && echo $VERSION_CODENAME"); got != "trixie\n" {
		t.Errorf("the new system is %q, want trixie", got)
	}
	sh(t, ctx, h, "ls /target/boot/vmlinuz-* /target/boot/initrd.img-* && chroot /target dpkg-query -W linux-image-amd64 openssh-server grub-pc")
	if got := sh(t, ctx, h, "grep -c '^menuentry' /target/boot/grub/grub.cfg || true"); strings.TrimSpace(got) == "0" {
		t.Errorf("the new system's grub.cfg has no menu entry")
	}
}

// TestGuide runs parts 2 and 3 and the Xen prerequisites on a fresh
// andromeda, checks what they leave, runs them again and checks that
// nothing changed.
func TestGuide(t *testing.T) {
	h := andromeda.ResetShared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	c := newCLI(t)
	giveNIC(t, ctx, h)
	xen := part(t, "xen-prereqs")

	// A dry run on the fresh host shows every change as a diff, says what
	// depends on the packages, and changes nothing. A freshly installed
	// Debian has its package lists; the test host's tree was built
	// without them, and apt's simulation needs them.
	sh(t, ctx, h, "apt-get -qq update")
	// Part 2 starts from the first boot of a fresh install, where SSH and
	// the fstrim timer are not enabled yet (the test host enables both in
	// its tree; sshd keeps running), so the recording shows the commands.
	sh(t, ctx, h, "systemctl disable --quiet ssh.service fstrim.timer")
	pristine := snapshot(t, ctx, h, "")
	rc, res := c.runPart(ctx, h, xen, "", "--dry-run")
	if res.exit != 0 || !rc.DryRun || rc.Failed != 0 {
		t.Fatalf("xen-prereqs --dry-run: exit %d, recap %+v\n%s", res.exit, rc, tail(res.stderr, 60))
	}
	for _, want := range []string{
		"would install xen-system-amd64",
		"would divert it to /etc/grub.d/08_linux_xen",
		"+GRUB_CMDLINE_XEN_DEFAULT=\"dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin\"",
		"/etc/default/grub.d/xen.cfg on andromeda: would edit it once it exists: depends on apt.install xen-system-amd64",
		"+++ /etc/systemd/system/dnsmasq@.service",
		"+    bridge_ports eth0",
		"would run update-grub",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("the dry run does not show %q", want)
		}
	}
	if after := snapshot(t, ctx, h, ""); after != pristine {
		t.Errorf("the dry run changed the host:\n%s", lineDiff(pristine, after))
	}

	recs := map[string]string{}
	for _, name := range []string{"debian-install-2", "debian-install-3", "xen-prereqs"} {
		p := part(t, name)
		recs[name] = recordingPath(t, name)
		rc, res := c.runPart(ctx, h, p, recs[name])
		if res.exit != 0 || rc.Failed != 0 {
			t.Fatalf("%s: exit %d, recap %+v\nstderr (tail):\n%s", name, res.exit, rc, tail(res.stderr, 80))
		}
		if rc.Changed == 0 {
			t.Errorf("%s changed nothing on a fresh host", name)
		}
	}
	checkGuideState(t, ctx, h)

	// Again, every part: nothing changes, not even the dummy's random MAC.
	before := snapshot(t, ctx, h, "")
	for _, name := range []string{"debian-install-2", "debian-install-3", "xen-prereqs"} {
		rc, res := c.runPart(ctx, h, part(t, name), "")
		if res.exit != 0 || rc.Changed != 0 || rc.Failed != 0 {
			t.Errorf("%s again: exit %d, %d changed, %d failed, want 0 changed\nstderr (tail):\n%s",
				name, res.exit, rc.Changed, rc.Failed, tail(res.stderr, 60))
		}
		for _, s := range rc.Steps {
			if s.Status == "changed" {
				t.Errorf("%s again: step %d %q changed", name, s.N, s.Name)
			}
		}
	}
	if after := snapshot(t, ctx, h, ""); after != before {
		t.Errorf("running the guide again changed the host:\n%s", lineDiff(before, after))
	}
	checkGuideState(t, ctx, h)
	for _, name := range []string{"debian-install-2", "debian-install-3", "xen-prereqs"} {
		checkRecording(t, c, name, recs[name])
	}
}

// checkGuideState checks what parts 2, 3 and the Xen prerequisites leave
// on the host.
func checkGuideState(t *testing.T, ctx context.Context, h *andromeda.Host) {
	t.Helper()
	// Part 2: ssh.service (not sshd) and the fstrim timer start at boot.
	if got := sh(t, ctx, h, "systemctl is-enabled ssh.service fstrim.timer"); got != "enabled\nenabled\n" {
		t.Errorf("systemctl is-enabled ssh.service fstrim.timer: %q", got)
	}
	// Part 3: the server's tools and a minimal X, no pulseaudio.
	sh(t, ctx, h, "dpkg-query -W vim-nox htop tmux curl rsync xserver-xorg-core xinit")
	if res, _ := h.Exec(ctx, "dpkg-query -W -f '${Status}' pulseaudio 2>/dev/null | grep -q 'ok installed'"); res.Exit == 0 {
		t.Errorf("pulseaudio is installed")
	}

	// Xen: the package, Xen first in grub with dom0's options.
	sh(t, ctx, h, "dpkg-query -W xen-system-amd64 xen-hypervisor-common")
	if got := sh(t, ctx, h, "dpkg-divert --list /etc/grub.d/20_linux_xen"); !strings.Contains(got, "local diversion of /etc/grub.d/20_linux_xen to /etc/grub.d/08_linux_xen") {
		t.Errorf("dpkg-divert --list: %q", got)
	}
	sh(t, ctx, h, "test -x /etc/grub.d/08_linux_xen && test ! -e /etc/grub.d/20_linux_xen")
	grub := sh(t, ctx, h, "cat /etc/default/grub")
	for _, want := range []string{
		`_CMDLINE_LINUX="net.ifnames=1"`,
		`GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin"`,
		`GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX"`,
		`GRUB_CMDLINE_LINUX_XEN_REPLACE="$_CMDLINE_LINUX"`,
	} {
		if !hasLine(grub, want) {
			t.Errorf("/etc/default/grub lacks the line %s", want)
		}
	}
	if strings.Index(grub, "\n_CMDLINE_LINUX=") > strings.Index(grub, "\nGRUB_CMDLINE_LINUX=") {
		t.Errorf("/etc/default/grub sets _CMDLINE_LINUX after GRUB_CMDLINE_LINUX uses it")
	}
	xc := sh(t, ctx, h, "cat /etc/default/grub.d/xen.cfg")
	if !hasLine(xc, "XEN_OVERRIDE_GRUB_DEFAULT=0") {
		t.Errorf("/etc/default/grub.d/xen.cfg does not set XEN_OVERRIDE_GRUB_DEFAULT=0")
	}
	if !hasLine(xc, "\tXEN_OVERRIDE_GRUB_DEFAULT=1") {
		t.Errorf("/etc/default/grub.d/xen.cfg's own fallback (XEN_OVERRIDE_GRUB_DEFAULT=1 when unset) was edited")
	}
	cfg := sh(t, ctx, h, "cat /boot/grub/grub.cfg")
	entries := regexp.MustCompile(`(?m)^menuentry '([^']*)'`).FindAllStringSubmatch(cfg, -1)
	if len(entries) < 2 || !strings.Contains(entries[0][1], "Xen") {
		t.Errorf("grub.cfg's first entry is not Xen's: %q", entries)
	}
	if !regexp.MustCompile(`(?m)^\s*multiboot2\s+/boot/xen-\S+\s+placeholder\s+dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin`).MatchString(cfg) {
		t.Errorf("grub.cfg does not boot Xen with dom0's options")
	}
	if !regexp.MustCompile(`(?m)^\s*module2\s+/boot/vmlinuz-\S+ placeholder root=\S+ ro net\.ifnames=1`).MatchString(cfg) {
		t.Errorf("grub.cfg's Xen entry does not pass the kernel line to dom0")
	}
	if strings.Contains(sh(t, ctx, h, "update-grub 2>&1"), "GRUB_DEFAULT changed to boot into Xen") {
		t.Errorf("update-grub still warns about GRUB_DEFAULT")
	}

	// The bridges over the physical interface found from the facts, the
	// dummy's MAC with Xen's prefix.
	ifaces := sh(t, ctx, h, "cat /etc/network/interfaces")
	for _, re := range []string{
		`(?m)^iface eth0 inet manual$`,
		`(?m)^auto xenbr0\niface xenbr0 inet dhcp\n\s+bridge_ports eth0$`,
		`(?m)^\s+pre-up /sbin/ip link add virbr1-dummy type dummy\n\s+up /sbin/ip link set virbr1-dummy address 00:16:3e(:[0-9a-f]{2}){3}$`,
		`(?m)^iface virbr1 inet static\n\s+bridge_ports virbr1-dummy\n\s+bridge_stp on\n\s+bridge_fd 2\n\s+address 192\.168\.100\.1\n\s+netmask 255\.255\.255\.0\n\s+up /bin/systemctl start dnsmasq@virbr1\.service \|\| :\n\s+down /bin/systemctl stop dnsmasq@virbr1\.service \|\| :$`,
	} {
		if !regexp.MustCompile(re).MatchString(ifaces) {
			t.Errorf("/etc/network/interfaces does not match %s:\n%s", re, ifaces)
		}
	}

	// The bridge keeps its port's MAC (and so its DHCP lease).
	if !hasLine(sh(t, ctx, h, "cat /etc/systemd/network/10-xenbr0.link"), "MACAddressPolicy=none") {
		t.Errorf("/etc/systemd/network/10-xenbr0.link does not leave xenbr0 its port's MAC")
	}

	// dnsmasq: installed, its own instance stopped and disabled, one per
	// private bridge instead.
	if got := sh(t, ctx, h, "systemctl is-enabled dnsmasq.service || true; systemctl is-active dnsmasq.service || true"); got != "disabled\ninactive\n" {
		t.Errorf("dnsmasq.service: %q, want disabled and inactive", got)
	}
	unit := sh(t, ctx, h, "cat /etc/systemd/system/dnsmasq@.service")
	for _, want := range []string{"Description=DHCP and DNS caching server for %i.", "ExecStart=/usr/sbin/dnsmasq -k --conf-file=/var/lib/dnsmasq/%i/dnsmasq.conf", "WantedBy=multi-user.target"} {
		if !hasLine(unit, want) {
			t.Errorf("dnsmasq@.service lacks %s", want)
		}
	}
	if got := sh(t, ctx, h, "stat -c '%s' /var/lib/dnsmasq/virbr1/leases; cat /var/lib/dnsmasq/virbr1/hostsfile"); got != "0\n00:16:3e:ee:ee:01,192.168.100.254\n" {
		t.Errorf("leases and hostsfile: %q", got)
	}
	conf := sh(t, ctx, h, "cat /var/lib/dnsmasq/virbr1/dnsmasq.conf")
	for _, want := range []string{"interface=virbr1", "dhcp-range=192.168.100.2,192.168.100.254", "dhcp-leasefile=/var/lib/dnsmasq/virbr1/leases", "dhcp-hostsfile=/var/lib/dnsmasq/virbr1/hostsfile"} {
		if !hasLine(conf, want) {
			t.Errorf("dnsmasq.conf lacks %s", want)
		}
	}
	// dnsmasq really serves the private bridge with that configuration.
	sh(t, ctx, h, "dnsmasq --test --conf-file=/var/lib/dnsmasq/virbr1/dnsmasq.conf")

	// Masquerading: forwarding on, the nat table loads, nftables enabled.
	if got := sh(t, ctx, h, "cat /etc/sysctl.d/80-xen-private-net.conf"); got != "net.ipv4.ip_forward = 1\n" {
		t.Errorf("sysctl: %q", got)
	}
	sh(t, ctx, h, "nft -c -f /etc/nftables.conf")
	if got := sh(t, ctx, h, "systemctl is-enabled nftables.service"); got != "enabled\n" {
		t.Errorf("nftables.service: %q", got)
	}

	// The toolstack and xendomains.
	if !hasLine(sh(t, ctx, h, "cat /etc/default/xen"), "TOOLSTACK=xl") {
		t.Errorf("/etc/default/xen lacks TOOLSTACK=xl")
	}
	xd := sh(t, ctx, h, "cat /etc/default/xendomains")
	if !hasLine(xd, "XENDOMAINS_SAVE=") || !hasLine(xd, "XENDOMAINS_RESTORE=false") {
		t.Errorf("/etc/default/xendomains does not turn save and restore off")
	}
}

func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

// lineDiff lists the lines only in a (-) and only in b (+).
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
