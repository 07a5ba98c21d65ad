//go:build vmguide

package guide

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/testhost/andromeda"
)

// faultRunbook reboots the host with the LUKS passphrase typed at the
// console, then runs a command that can be made long enough to be cut.
const faultRunbook = `runbook { name = "vm-faults", params = {
  luks_passphrase = { default = "", secret = true, doc = "typed at the console" },
  reboot = { default = false, type = "bool" },
  sleep = { default = "0" },
} }
step("Reboot", function()
  if params.reboot then
    host.reboot({ unlock = params.luks_passphrase, timeout = 900 })
  end
end)
step("Work", function()
  sh("echo before; sleep " .. params.sleep .. "; echo after")
end)
`

// TestGuideVMFaults runs faults on the installed system of a saved part 1
// ($RUNBOOK_GUIDE_VM_PART1, saved by TestGuideOnVM): a reboot given the
// wrong LUKS passphrase, and the connection cut while a command runs.
// Each must end with a clear error naming the host and the step, leave a
// recording that reads to its last frame, and be followed by a run that
// finishes. Built only with the vmguide tag, as TestGuideOnVM.
func TestGuideVMFaults(t *testing.T) {
	testenv.Root(t, "andromeda")
	testenv.Programs(t, "qemu-system-x86_64", "qemu-img", "ssh")
	saved := os.Getenv("RUNBOOK_GUIDE_VM_PART1")
	pass, ok := savedPassphrase(t, saved)
	if !ok {
		t.Fatalf("RUNBOOK_GUIDE_VM_PART1 (%q) holds no saved part 1: run scripts/record-guide.sh --vm with it set first", saved)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	h, err := andromeda.Up(ctx, andromeda.Options{Log: os.Stderr, VM: true, DiskFrom: saved})
	if err != nil {
		t.Fatalf("up --vm from %s: %v", saved, err)
	}
	defer h.Down(context.Background())
	unlockAtBoot(t, ctx, h, pass, nil)
	console, err := h.ConsoleCommand()
	if err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	rb := filepath.Join(c.dir, "vm-faults.lua")
	if err := os.WriteFile(rb, []byte(faultRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(rec string, set ...string) []string {
		a := []string{rb, "--host", "andromeda", "--ssh-config", h.SSHConfig(), "--console", console, "--record", rec}
		for _, s := range set {
			a = append(a, "--set", s)
		}
		return a
	}
	recs := t.TempDir()

	t.Run("wrong passphrase", func(t *testing.T) {
		wrong := "not the " + pass[:4] + " one"
		t.Setenv("RUNBOOK_PARAM_LUKS_PASSPHRASE", wrong)
		con, err := h.Console(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer con.Close()
		rec := filepath.Join(recs, "wrong.ttyrec")
		began := time.Now()
		res := c.run(ctx, args(rec, "reboot=true")...)
		t.Logf("the run with the wrong passphrase: exit %d in %s\n%s", res.exit, time.Since(began).Round(time.Second), tail(res.stderr, 6))
		if res.exit != 1 {
			t.Errorf("exit %d, want 1 (a failed step)", res.exit)
		}
		for _, want := range []string{"andromeda", `step 1 "Reboot"`, "passphrase", "wrong", "not tried again"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("the error does not say %q:\n%s", want, tail(res.stderr, 20))
			}
		}
		checkReadable(t, c, rec, 1, "")
		for _, f := range []string{rec, rec + ".json", filepath.Join(h.Dir(), "console.log")} {
			b, _ := os.ReadFile(f)
			if strings.Contains(string(b), wrong) || secretIn(string(b), pass) {
				t.Errorf("%s holds a passphrase", f)
			}
		}
		// The machine still waits at its prompt (cryptroot asks again):
		// the right passphrase boots it, and the next run finishes. The
		// first prompt, the one runbook answered, is not that one.
		if _, err := con.Expect(ctx, unlockPromptLine); err != nil {
			t.Fatal(err)
		}
		unlockAtBoot(t, ctx, h, pass, con)
		t.Setenv("RUNBOOK_PARAM_LUKS_PASSPHRASE", pass)
		if res := c.run(ctx, args(filepath.Join(recs, "after-wrong.ttyrec"))...); res.exit != 0 {
			t.Errorf("the run after the wrong passphrase: exit %d\n%s", res.exit, tail(res.stderr, 20))
		}
	})

	t.Run("connection cut mid-command", func(t *testing.T) {
		rec := filepath.Join(recs, "cut.ttyrec")
		done := make(chan result, 1)
		go func() { done <- c.run(ctx, args(rec, "sleep=600")...) }()
		// Once the command runs, kill the sshd that carries its session:
		// to runbook, the connection drops as a cable pulled would.
		kill := `for i in $(seq 300); do p=$(pgrep -f -n '^sleep 600$') && break; sleep 1; done
[ -n "$p" ] || exit 1
while p=$(ps -o ppid= -p "$p" | tr -d ' ') && [ "$p" -gt 1 ]; do
	c=$(tr '\0' ' ' </proc/$p/cmdline); echo "$p: $c"
	# The pty session's process carries the connection; this
	# command's own session has no pty (notty).
	case $c in "sshd: root@pts"*) kill -9 "$p"; echo "killed $p"; break;; esac
done`
		// Detached, so that nothing of this test's own connection
		// depends on the kill; its log is read over a new one.
		sh(t, ctx, h, "cat > /root/kill.sh <<'EOF'\n"+kill+"\nEOF\nsetsid sh /root/kill.sh >/root/kill.log 2>&1 </dev/null &")
		var out string
		for i := 0; i < 120 && !strings.Contains(out, "killed"); i++ {
			time.Sleep(2 * time.Second)
			if res, err := h.Exec(ctx, "cat /root/kill.log"); err == nil {
				out = res.Stdout
			}
		}
		t.Logf("the runbook's sleep and its ancestors:\n%s", out)
		if !strings.Contains(out, "killed") {
			t.Fatalf("found no sshd to kill: %q", out)
		}
		cutShort(t, done, "the connection was cut", 5*time.Minute, `step 2 "Work"`)
		checkReadable(t, c, rec, 2, "before")
		if res := c.run(ctx, args(filepath.Join(recs, "after-cut.ttyrec"))...); res.exit != 0 {
			t.Errorf("the run after the cut: exit %d\n%s", res.exit, tail(res.stderr, 20))
		}
	})
}

// TestGuideVMPowerOff cuts the VM's power while part 1's debootstrap
// installs the base system, boots the live system again, and runs part 1
// again: it must finish (the LUKS volume opened, not made again; the
// half-installed system installed over), and the installed system must
// unlock and boot. The first run's recording must read to its last
// frame. Built only with the vmguide tag; it takes as long as part 1.
func TestGuideVMPowerOff(t *testing.T) {
	testenv.Root(t, "andromeda")
	testenv.Programs(t, "qemu-system-x86_64", "qemu-img", "mkfs.ext4", "ssh", "debootstrap", "zstd")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Minute)
	defer cancel()
	h, err := andromeda.Up(ctx, andromeda.Options{Log: os.Stderr, VM: true, DiskSize: vmDiskSize})
	if err != nil {
		t.Fatalf("up --vm: %v", err)
	}
	defer h.Down(context.Background())
	console, err := h.ConsoleCommand()
	if err != nil {
		t.Fatal(err)
	}
	pass := vmPassphrase(t)
	t.Setenv("RUNBOOK_PARAM_LUKS_PASSPHRASE", pass)
	c := newCLI(t)
	recs := t.TempDir()
	part := VMParts[0]

	cut := filepath.Join(recs, "cut.ttyrec")
	done := make(chan result, 1)
	go func() { done <- c.run(ctx, vmPartArgs(h, part, console, cut)...) }()
	// Mid-debootstrap: the base system's packages half unpacked.
	began := time.Now()
	for {
		res, err := h.Exec(ctx, "pgrep -x debootstrap >/dev/null && test $(grep -c '^Package:' /target/var/lib/dpkg/status 2>/dev/null || echo 0) -ge 20")
		if err == nil && res.Exit == 0 {
			break
		}
		select {
		case res := <-done:
			t.Fatalf("part 1 ended before debootstrap was half done: exit %d\n%s", res.exit, tail(res.stderr, 20))
		case <-time.After(10 * time.Second):
		}
	}
	t.Logf("debootstrap half done after %s: power off", time.Since(began).Round(time.Second))
	if err := h.PowerCycle(ctx); err != nil {
		t.Fatalf("power cycle: %v", err)
	}
	cutShort(t, done, "the host lost its power", 10*time.Minute, `step 7 "Install the base system"`)
	checkReadable(t, c, cut, 7, "I: Unpacking")

	again := filepath.Join(recs, "again.ttyrec")
	began = time.Now()
	res := c.run(ctx, vmPartArgs(h, part, console, again)...)
	rc := parseRecap(t, part.Name, res)
	t.Logf("part 1 again: exit %d, %d ok, %d changed, %d failed in %s", res.exit, rc.OK, rc.Changed, rc.Failed, time.Since(began).Round(time.Second))
	if res.exit != 0 {
		t.Fatalf("part 1 again after the power cut: exit %d\n%s\nconsole:\n%s", res.exit, tail(res.stderr, 40), consoleTail(h, 30))
	}
	checkUnlocked(t, ctx, h)
	for _, f := range []string{cut, cut + ".json", again, again + ".json", filepath.Join(h.Dir(), "console.log")} {
		if b, err := os.ReadFile(f); err == nil && secretIn(string(b), pass) {
			t.Errorf("%s holds the LUKS passphrase", f)
		}
	}
}
