package guide

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/testhost/andromeda"
)

// TestInstallPart1Interrupted kills part 1's debootstrap, and everything
// it started, with the base system half unpacked, then runs part 1 again:
// the run must take the half-installed system for what it is, install the
// base system over it and finish. The killed run's recording must read to
// its last frame with the step failed.
func TestInstallPart1Interrupted(t *testing.T) {
	h := andromeda.ResetShared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	c := newCLI(t)
	p := part(t, "debian-install-1")
	giveNIC(t, ctx, h)

	cut := filepath.Join(t.TempDir(), "cut.ttyrec")
	done := make(chan result, 1)
	go func() {
		done <- c.run(ctx, append(partArgs(h, p), "--record", cut)...)
	}()
	// base-files, and with it /etc/debian_version, is among the first
	// packages unpacked; 20 packages in, the base system is half there.
	half := "pgrep -x debootstrap >/dev/null && test -e /target/etc/debian_version && test $(grep -c '^Package:' /target/var/lib/dpkg/status 2>/dev/null || echo 0) -ge 20"
	for {
		res, err := h.Exec(ctx, half)
		if err == nil && res.Exit == 0 {
			break
		}
		select {
		case res := <-done:
			t.Fatalf("part 1 ended before debootstrap was half done: exit %d\n%s", res.exit, tail(res.stderr, 20))
		case <-time.After(time.Second):
		}
	}
	// debootstrap's process group: the script and the dpkg it runs.
	sh(t, ctx, h, "kill -KILL -- -$(ps -o pgid= -p $(pgrep -xo debootstrap) | tr -d ' ')")
	cutShort(t, done, "debootstrap was killed", 2*time.Minute, `step 7 "Install the base system"`)
	checkReadable(t, c, cut, 7, "I: ")

	rc, res := c.runPart(ctx, h, p, "")
	if res.exit != 0 || rc.Failed != 0 {
		t.Fatalf("part 1 again after debootstrap was killed: exit %d, recap %+v\nstderr (tail):\n%s", res.exit, rc, tail(res.stderr, 60))
	}
	if len(rc.Steps) < 7 || rc.Steps[6].Status != "ok" && rc.Steps[6].Status != "changed" {
		t.Errorf("step 7 of the second run: %+v, want it run", rc.Steps)
	}
	sh(t, ctx, h, "test ! -e /target/debootstrap && chroot /target dpkg-query -W linux-image-amd64 openssh-server grub-pc")
	if got := sh(t, ctx, h, "chroot /target dpkg --audit || true"); strings.TrimSpace(got) != "" {
		t.Errorf("dpkg --audit in the new system:\n%s", got)
	}
}

// cutShort waits up to wait for a run, whose end is done, that was cut
// short (how says by what), and checks that it failed and said where: on
// andromeda, in step.
func cutShort(t *testing.T, done <-chan result, how string, wait time.Duration, step string) {
	t.Helper()
	var res result
	select {
	case res = <-done:
	case <-time.After(wait):
		t.Fatalf("runbook did not notice in %s that %s", wait, how)
	}
	t.Logf("the run cut short (%s): exit %d\n%s", how, res.exit, tail(res.stderr, 6))
	if res.exit == 0 {
		t.Fatalf("exit 0 from a run cut short: %s", how)
	}
	for _, want := range []string{"andromeda", step} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, tail(res.stderr, 20))
		}
	}
}

// checkReadable checks that rec reads to its last frame with no problem
// reported, that its index has step n not done (failed, or cut), and that its last screen
// shows text.
func checkReadable(t *testing.T, c *cli, rec string, n int, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if res := c.run(ctx, "info", rec); res.exit != 0 {
		t.Errorf("runbook info %s: exit %d\n%s%s", rec, res.exit, res.stdout, res.stderr)
	}
	if res := c.run(ctx, "render", rec); res.exit != 0 {
		t.Errorf("runbook render %s: exit %d\n%s", rec, res.exit, res.stderr)
	} else if !strings.Contains(res.stdout, text) {
		t.Errorf("%s does not end showing %q:\n%s", rec, text, tail(res.stdout, 20))
	}
	var ix struct {
		Steps []struct {
			N      int    `json:"n"`
			Status string `json:"status"`
		} `json:"steps"`
	}
	b, err := os.ReadFile(rec + ".json")
	if err == nil {
		err = json.Unmarshal(b, &ix)
	}
	if err != nil {
		t.Fatalf("the index of %s: %v", rec, err)
	}
	if len(ix.Steps) < n || ix.Steps[n-1].Status == "ok" || ix.Steps[n-1].Status == "changed" {
		t.Errorf("the index of %s does not have step %d failed: %+v", rec, n, ix.Steps)
	}
}
