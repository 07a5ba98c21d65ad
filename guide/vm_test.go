//go:build vmguide

package guide

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/testhost/andromeda"
)

// vmDiskSize is the VM's guide disk: /boot, then LUKS holding root and swap.
const vmDiskSize = 8 << 30

// TestGuideOnVM runs the whole guide as its readers run it, on a machine
// with its own kernel: part 1 from the live system with LUKS and LVM, the
// reboot that unlocks the disk (the passphrase typed at the serial console
// by the run), parts 2 and 3 and the Xen prerequisites on the installed
// system, and the reboot into Xen. It checks the host after each reboot,
// runs parts 2 to 4 again and checks that nothing changed, and checks
// every recording. The recordings go to $RUNBOOK_GUIDE_VM_OUT when set.
//
// It is built only with the vmguide tag (scripts/record-guide.sh --vm):
// under emulation it takes over an hour, more than CI's VM lane has.
func TestGuideOnVM(t *testing.T) {
	testenv.Root(t, "andromeda")
	testenv.Programs(t, "qemu-system-x86_64", "qemu-img", "mkfs.ext4", "ssh", "debootstrap", "zstd")
	ctx, cancel := context.WithTimeout(context.Background(), 170*time.Minute)
	defer cancel()
	// $RUNBOOK_GUIDE_VM_PART1 names a directory for the disk of a
	// finished part 1: saved there when it does not hold one yet, else
	// the run starts from it (parts 2 to 4 without part 1's 45 minutes).
	saved := os.Getenv("RUNBOOK_GUIDE_VM_PART1")
	pass, resume := savedPassphrase(t, saved)
	if !resume {
		pass = vmPassphrase(t)
	}
	start := time.Now()
	opts := andromeda.Options{Log: os.Stderr, VM: true, DiskSize: vmDiskSize}
	if resume {
		opts.DiskFrom = saved
	}
	h, err := andromeda.Up(ctx, opts)
	if err != nil {
		t.Fatalf("up --vm: %v", err)
	}
	defer h.Down(context.Background())
	t.Logf("andromeda VM up in %s", time.Since(start).Round(time.Second))
	if resume {
		t.Logf("starting from the disk of part 1 saved in %s", saved)
		unlockAtBoot(t, ctx, h, pass, nil)
	}
	console, err := h.ConsoleCommand()
	if err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("RUNBOOK_GUIDE_VM_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RUNBOOK_PARAM_LUKS_PASSPHRASE", pass)
	c := newCLI(t)
	recs := map[string]string{}
	run := func(p Part, rec string, extra ...string) recap {
		t.Helper()
		args := append(vmPartArgs(h, p, console, rec), extra...)
		began := time.Now()
		// A hypervisor that cannot boot here panics and resets the
		// machine, again and again: stop the run at the first panic
		// rather than at the reboot's timeout.
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		panicked := make(chan string, 1)
		go watchXenPanic(rctx, h, stop, panicked)
		res := c.run(rctx, args...)
		select {
		case msg := <-panicked:
			t.Fatalf("%s on the VM: Xen panicked at boot; the console shows:\n%s", p.Name, msg)
		default:
		}
		rc := parseRecap(t, p.Name, res)
		t.Logf("%s on the VM: exit %d, %d ok, %d changed, %d failed, %d skipped in %s",
			p.Name, res.exit, rc.OK, rc.Changed, rc.Failed, rc.Skipped, time.Since(began).Round(time.Second))
		if res.exit != 0 || rc.Failed != 0 {
			t.Fatalf("%s on the VM: exit %d, recap %+v\nstderr (tail):\n%s\nconsole (tail):\n%s",
				p.Name, res.exit, rc, tail(res.stderr, 80), consoleTail(h, 40))
		}
		return rc
	}

	for _, p := range VMParts {
		recs[p.Name] = filepath.Join(out, p.Name+".ttyrec")
		if resume && p.Name == "debian-install-1" {
			continue
		}
		// The screens golden of an earlier run is not this run's: the
		// check below writes this one's.
		os.Remove(goldenPath(recs[p.Name]))
		if p.Name == "xen-prereqs" {
			before := snapshot(t, ctx, h, "")
			run(p, recs[p.Name])
			checkXen(t, ctx, h, before)
			continue
		}
		run(p, recs[p.Name])
		if p.Name == "debian-install-1" {
			checkUnlocked(t, ctx, h)
			if saved != "" {
				saveDisk(t, ctx, h, saved, pass)
			}
		}
	}

	// Again, parts 2 to 4 without the reboot: nothing changes.
	before := snapshot(t, ctx, h, "")
	for _, p := range VMParts[1:] {
		if p.Name == "xen-prereqs" {
			p.Set = append(append([]string(nil), p.Set...), "reboot=false")
		}
		if rc := run(p, ""); rc.Changed != 0 {
			t.Errorf("%s again on the VM: %d changed, want 0", p.Name, rc.Changed)
		}
	}
	if after := snapshot(t, ctx, h, ""); after != before {
		t.Errorf("running the guide again changed the host:\n%s", lineDiff(before, after))
	}
	checkDHCP(t, ctx, h)
	for _, p := range VMParts {
		if _, err := os.Stat(recs[p.Name]); resume && err != nil {
			continue // part 1 ran in the run that saved the disk
		}
		checkRecording(t, c, p.Name, recs[p.Name])
		for _, f := range []string{recs[p.Name], recs[p.Name] + ".json", h.Dir() + "/console.log", h.Dir() + "/supervisor.log"} {
			if b, err := os.ReadFile(f); err == nil && secretIn(string(b), pass) {
				t.Errorf("%s holds the LUKS passphrase", f)
			}
		}
	}
}

// savedPassphrase reads the passphrase of the disk saved in dir, and
// reports whether dir holds a saved disk.
func savedPassphrase(t *testing.T, dir string) (string, bool) {
	if dir == "" {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(dir, "passphrase"))
	if os.IsNotExist(err) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "disk.img")); err != nil {
		t.Fatalf("%s has a passphrase but no disk: %v", dir, err)
	}
	return string(b), true
}

// saveDisk saves the disk of a finished part 1 in dir with its passphrase
// (in a file only root reads): it remounts every filesystem read-only so
// the copy is a consistent disk, copies it, and reboots the VM, which
// unlocks its disk again at the console.
func saveDisk(t *testing.T, ctx context.Context, h *andromeda.Host, dir, pass string) {
	t.Helper()
	con, err := h.Console(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer con.Close()
	// SysRq u: sync, then every filesystem read-only, as the kernel does
	// before an emergency reboot.
	sh(t, ctx, h, "sync; echo u > /proc/sysrq-trigger; for i in $(seq 60); do dmesg | grep -q 'Emergency Remount complete' && exit 0; sleep 1; done; exit 1")
	began := time.Now()
	if err := h.SaveDisk(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "passphrase"), []byte(pass), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("disk of part 1 saved in %s in %s", dir, time.Since(began).Round(time.Second))
	// reboot(2) at once: nothing is left to write.
	h.Exec(ctx, "reboot -ff")
	unlockAtBoot(t, ctx, h, pass, con)
}

// unlockPromptLine is cryptroot's question at the console.
var unlockPromptLine = regexp.MustCompile(`(?m)(?:Please unlock disk \S+|Please enter passphrase for disk [^\n]*): *\r?$`)

// unlockAtBoot types the passphrase at the console of a VM booting the
// installed system and waits for its SSH. con is the console opened
// before the boot began (nil: open it now, the boot being still early).
func unlockAtBoot(t *testing.T, ctx context.Context, h *andromeda.Host, pass string, con *andromeda.Console) {
	t.Helper()
	if con == nil {
		var err error
		if con, err = h.Console(ctx); err != nil {
			t.Fatal(err)
		}
		defer con.Close()
	}
	began := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	if _, err := con.Expect(cctx, unlockPromptLine); err != nil {
		t.Fatalf("the installed system did not ask for its passphrase: %v", err)
	}
	if err := con.Send(pass + "\r"); err != nil {
		t.Fatal(err)
	}
	for {
		res, err := h.Exec(cctx, "systemctl is-system-running --wait")
		if err == nil {
			t.Logf("installed system: %s", strings.TrimSpace(res.Stdout))
			break
		}
		if cctx.Err() != nil {
			t.Fatalf("the installed system did not come up after the unlock: %v; console:\n%s", err, consoleTail(h, 40))
		}
		time.Sleep(5 * time.Second)
	}
	t.Logf("installed system unlocked and up in %s", time.Since(began).Round(time.Second))
}

// vmPartArgs are the arguments of a run of p on the VM, as root (the
// installed system has no other user), with its console for the unlock.
func vmPartArgs(h *andromeda.Host, p Part, console, rec string) []string {
	args := []string{p.Name + ".lua",
		"--host", "andromeda", "--ssh-config", h.SSHConfig(), "--console", console,
		"--cols", fmt.Sprint(Cols), "--rows", fmt.Sprint(Rows), "--idle-limit", IdleLimit, "--json"}
	if rec != "" {
		args = append(args, "--record", rec, "--overwrite")
	} else {
		args = append(args, "--no-record")
	}
	r := strings.NewReplacer("{disk}", h.Disk(), "{key}", filepath.Join(h.Dir(), "id_ed25519.pub"), "{proxy}", andromeda.VMProxyAddr)
	for _, s := range p.Set {
		args = append(args, "--set", r.Replace(s))
	}
	return args
}

// vmPassphrase is a new passphrase for each run, with a space and a quote
// in it, as a person's may have.
func vmPassphrase(t *testing.T) string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s := strings.ToLower(base32.StdEncoding.EncodeToString(b))
	return s[:8] + " it's " + s[8:]
}

// secretIn reports whether text holds s in a form a reader could undo.
func secretIn(text, s string) bool {
	for _, form := range []string{s, s[:8], strings.TrimSpace(s[len(s)-12:])} {
		if strings.Contains(text, form) {
			return true
		}
	}
	return false
}

// watchXenPanic reads the VM's console log until ctx ends; at Xen's
// panic message it sends Xen's last lines on msg and calls stop.
func watchXenPanic(ctx context.Context, h *andromeda.Host, stop func(), msg chan<- string) {
	log := filepath.Join(h.Dir(), "console.log")
	start := 0
	if fi, err := os.Stat(log); err == nil {
		start = int(fi.Size())
	}
	panicRe := regexp.MustCompile(`\(XEN\) (Panic on CPU|Reboot in five seconds)`)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
		b, err := os.ReadFile(log)
		if err != nil || len(b) <= start {
			continue
		}
		if panicRe.Match(b[start:]) {
			var xen []string
			for _, l := range strings.Split(string(b[start:]), "\n") {
				if strings.Contains(l, "(XEN)") {
					xen = append(xen, l)
				}
			}
			msg <- strings.Join(xen, "\n")
			stop()
			return
		}
	}
}

func consoleTail(h *andromeda.Host, n int) string {
	b, _ := os.ReadFile(filepath.Join(h.Dir(), "console.log"))
	return tail(string(b), n)
}

// checkUnlocked checks the installed system part 1 rebooted into: its root
// on LVM inside the LUKS volume it unlocked, discards passed down.
func checkUnlocked(t *testing.T, ctx context.Context, h *andromeda.Host) {
	t.Helper()
	status := sh(t, ctx, h, "cryptsetup status crypt")
	for _, want := range []string{"is active and is in use", "discards"} {
		if !strings.Contains(status, want) {
			t.Errorf("cryptsetup status crypt lacks %q:\n%s", want, status)
		}
	}
	if got := sh(t, ctx, h, "lvs --noheadings -o vg_name,lv_name | awk '{print $1\"/\"$2}' | sort"); got != "lvm/root\nlvm/swap\n" {
		t.Errorf("lvs: %q, want lvm/root and lvm/swap", got)
	}
	if !regexp.MustCompile(`(?m)^crypt\s+UUID=\S+\s+none\s+luks,discard$`).MatchString(sh(t, ctx, h, "cat /etc/crypttab")) {
		t.Errorf("/etc/crypttab does not open crypt with luks,discard")
	}
	if got := sh(t, ctx, h, "findmnt -n -o SOURCE /; findmnt -n -o SOURCE /boot"); got != "/dev/mapper/lvm-root\n/dev/vdb1\n" {
		t.Errorf("findmnt / and /boot: %q", got)
	}
	if got := sh(t, ctx, h, "systemctl is-enabled ssh.service"); got != "enabled\n" {
		t.Errorf("ssh.service: %q", got)
	}
}

// checkXen checks the host the Xen prerequisites rebooted into: Xen
// first in grub with dom0's options, the bridges and the dummy up, dom0
// with the memory and CPUs configured. before is the snapshot taken
// before the part ran.
func checkXen(t *testing.T, ctx context.Context, h *andromeda.Host, before string) {
	t.Helper()
	cfg := sh(t, ctx, h, "cat /boot/grub/grub.cfg")
	entries := regexp.MustCompile(`(?m)^menuentry '([^']*)'`).FindAllStringSubmatch(cfg, -1)
	if len(entries) < 2 || !strings.Contains(entries[0][1], "Xen") {
		t.Errorf("grub.cfg's first entry is not Xen's: %q", entries)
	}
	if !regexp.MustCompile(`(?m)^\s*module2\s+/vmlinuz-\S+ placeholder root=/dev/mapper/lvm-root ro cryptdevice=/dev/disk/by-uuid/\S+:lvm:allow-discards net\.ifnames=1`).MatchString(cfg) {
		t.Errorf("grub.cfg's Xen entry does not pass cryptdevice= and the kernel line to dom0")
	}
	info := sh(t, ctx, h, "xl info")
	if !regexp.MustCompile(`(?m)^xen_version\s*:`).MatchString(info) {
		t.Errorf("xl info names no hypervisor:\n%s", info)
	}
	dom0 := strings.Fields(sh(t, ctx, h, "xl list 0 | tail -n 1"))
	if len(dom0) < 4 || dom0[0] != "Domain-0" || dom0[3] != "1" {
		t.Errorf("xl list 0: %q, want Domain-0 with 1 VCPU", dom0)
	} else if mem, _ := strconv.Atoi(dom0[2]); mem < 480 || mem > 512 {
		t.Errorf("dom0 has %s MB, want about 512", dom0[2])
	}
	// xenbr0 has the MAC of its port, so the same DHCP lease: the
	// test host reached it at the same address after the reboot.
	if got := sh(t, ctx, h, "cat /sys/class/net/xenbr0/address /sys/class/net/ens3/address"); len(strings.Fields(got)) != 2 || strings.Fields(got)[0] != strings.Fields(got)[1] {
		t.Errorf("xenbr0 and ens3 MACs: %q, want the same", got)
	}
	links := sh(t, ctx, h, "ip -br link")
	for _, re := range []string{`(?m)^xenbr0\s+UP`, `(?m)^virbr1\s+(UP|UNKNOWN)\s`, `(?m)^virbr1-dummy\s+\S+\s+00:16:3e:`} {
		if !regexp.MustCompile(re).MatchString(links) {
			t.Errorf("ip -br link does not match %s:\n%s", re, links)
		}
	}
	if got := sh(t, ctx, h, "systemctl is-active dnsmasq@virbr1.service nftables.service"); got != "active\nactive\n" {
		t.Errorf("dnsmasq@virbr1 and nftables: %q", got)
	}
	if !strings.Contains(sh(t, ctx, h, "nft list ruleset"), "masquerade") {
		t.Errorf("no masquerading rule loaded")
	}
	if before == snapshot(t, ctx, h, "") {
		t.Errorf("xen-prereqs changed nothing on the installed system")
	}
}

// checkDHCP asks dnsmasq@virbr1 for a lease from a client on the private
// bridge (a network namespace of its own inside the VM), as a guest would.
func checkDHCP(t *testing.T, ctx context.Context, h *andromeda.Host) {
	t.Helper()
	defer h.Exec(ctx, "ip netns del rbclient 2>/dev/null; ip link del rbc-br 2>/dev/null")
	out := sh(t, ctx, h, `set -e
ip netns add rbclient
ip link add rbc type veth peer name rbc-br
ip link set rbc netns rbclient
ip link set rbc-br master virbr1 up
ip netns exec rbclient ip link set rbc up
ip netns exec rbclient timeout 120 dhclient -1 -v -pf /run/rbclient.pid -lf /run/rbclient.leases rbc 2>&1
ip netns exec rbclient ip -4 -br addr show rbc
ip netns exec rbclient dhclient -x -pf /run/rbclient.pid 2>/dev/null || true`)
	if !regexp.MustCompile(`rbc(@\S+)?\s+UP\s+192\.168\.100\.\d+/24`).MatchString(out) {
		t.Errorf("no lease from dnsmasq@virbr1:\n%s", out)
	}
	if leases := sh(t, ctx, h, "cat /var/lib/dnsmasq/virbr1/leases"); !strings.Contains(leases, "192.168.100.") {
		t.Errorf("dnsmasq's lease file holds no lease: %q", leases)
	}
}
