// Package reboottest tests host.reboot for real on andromeda, the
// throwaway test host: a `systemctl reboot` typed into the recorded
// session, the wait for the host to answer SSH again, and the run going on
// in the same recording. A package of its own so that only these tests
// wait for andromeda to boot; it holds tests only.
package reboottest

import (
	"context"
	"errors"
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine"
	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/testhost/andromeda"
)

func TestMain(m *testing.M) { andromeda.Main(m) }

const idleLimit = 2 * time.Second

type result struct {
	rep     *engine.Report
	err     error
	display string
	data    string // what the recording shows
	ix      *recording.Index
	stats   *recording.Stats
}

// run runs src on andromeda as `runbook --host andromeda [--user admin
// --sudo]` would, recorded with a 2 s idle limit, and reads the recording
// back as `runbook info` does.
func run(t *testing.T, h *andromeda.Host, src string, o rssh.Options) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	return runCtx(t, ctx, h, src, o)
}

func runCtx(t *testing.T, ctx context.Context, h *andromeda.Host, src string, o rssh.Options) result {
	t.Helper()
	o.ConfigFile, o.Home = h.SSHConfig(), t.TempDir()
	tg, err := rssh.Dial(ctx, "andromeda", o)
	if err != nil {
		t.Fatalf("dial andromeda: %v", err)
	}
	defer tg.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "x.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "x.ttyrec")
	disp := &testenv.Buffer{}
	rep, err := engine.Run(ctx, engine.Options{
		Path: path, Source: []byte(src), Dir: dir, Target: tg,
		Record: rec, Display: disp, Cols: 100, Rows: 30, IdleLimit: idleLimit,
	})
	r := result{rep: rep, err: err, display: disp.String()}
	st, serr := recording.Stat(context.Background(), rec, "", 3)
	if serr != nil {
		t.Fatalf("runbook info %s: %v", rec, serr)
	}
	if st.HasProblems() {
		t.Errorf("runbook info finds problems in %s: %+v %v", rec, st.Problems, st.Damage)
	}
	r.stats = st
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := recording.NewReader(f, rec)
	var data []byte
	for {
		fr, err := rd.Next()
		if err != nil {
			break
		}
		data = append(data, fr.Data...)
	}
	r.data = string(data)
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatalf("index: %v", err)
	}
	r.ix = ix
	return r
}

// inside runs cmd in andromeda (not through the runbook), for assertions.
func inside(t *testing.T, h *andromeda.Host, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := h.Exec(ctx, cmd)
	if err != nil || res.Exit != 0 {
		t.Fatalf("%q in andromeda: %v (exit %d) %s", cmd, err, res.Exit, res.Stderr)
	}
	return strings.TrimSpace(res.Stdout)
}

// waitBack waits until andromeda answers SSH again after a reboot the
// test did not wait for.
func waitBack(t *testing.T, h *andromeda.Host) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := h.Exec(ctx, "systemctl is-system-running --wait >/dev/null; true")
		cancel()
		if err == nil && res.Exit == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("andromeda did not come back: %v", err)
		}
		time.Sleep(time.Second)
	}
}

func hasMarker(ix *recording.Index, prefix string) (recording.Marker, bool) {
	for _, m := range ix.Markers {
		if strings.HasPrefix(m.Label, prefix) {
			return m, true
		}
	}
	return recording.Marker{}, false
}

// A runbook that writes a file, reboots with wait, then reads the file and
// goes on: one valid recording, the wait cut from it, markers for the
// reboot and the return, a new boot, and the new session under sudo again.
func TestRebootWaitGoesOn(t *testing.T) {
	h := andromeda.ResetShared(t)
	bootBefore := inside(t, h, "cat /proc/sys/kernel/random/boot_id")
	src := `runbook{name="reboot-wait"}
step("write", function()
  file.write("/root/before-reboot", "kept across the reboot\n")
  sh("cat /proc/sys/kernel/random/boot_id > /root/boot-before")
end)
step("reboot", function()
  host.reboot{timeout=120}
end)
step("after", function()
  sh("cat /root/before-reboot", {expect={"kept across the reboot"}})
  sh("test \"$(cat /proc/sys/kernel/random/boot_id)\" != \"$(cat /root/boot-before)\" && echo new-boot", {expect={"new-boot"}})
  sh("echo I am $(id -un)", {expect={"I am root"}})
  file.write("/root/after-reboot", "written after\n")
end)
`
	r := run(t, h, src, rssh.Options{User: "admin", Sudo: true})
	if r.err != nil {
		t.Fatalf("run: %v\n%s", r.err, r.display)
	}
	if r.rep.Stopped != "" || r.rep.Failed != 0 || len(r.rep.Steps) != 3 {
		t.Errorf("recap: %s", r.rep.Recap())
	}
	if got := inside(t, h, "cat /root/after-reboot"); got != "written after" {
		t.Errorf("after-reboot holds %q", got)
	}
	if after := inside(t, h, "cat /proc/sys/kernel/random/boot_id"); after == bootBefore {
		t.Errorf("andromeda did not reboot: boot id %s before and after", after)
	}
	// The recording shows the reboot typed and the session going on.
	for _, w := range []string{"systemctl reboot", "kept across the reboot", "new-boot", "I am root"} {
		if !strings.Contains(r.data, w) {
			t.Errorf("the recording does not show %q", w)
		}
	}
	if i, j := strings.Index(r.data, "systemctl reboot"), strings.LastIndex(r.data, "kept across the reboot\r\n"); i < 0 || j < i {
		t.Errorf("the file is not read after the reboot in the recording")
	}
	reboot, ok := hasMarker(r.ix, "reboot")
	back, ok2 := hasMarker(r.ix, "back after ")
	if !ok || !ok2 || back.At < reboot.At {
		t.Errorf("markers: %+v", r.ix.Markers)
	}
	var cut recording.Seconds
	for _, p := range r.ix.Pauses {
		if p.Reason == "reconnect" {
			cut += p.Cut
			if p.At < reboot.At || p.At > back.At {
				t.Errorf("reconnect pause at %v, not between the markers %v and %v", p.At, reboot.At, back.At)
			}
		}
	}
	if cut <= 0 {
		t.Errorf("no reconnect pause in the index: %+v", r.ix.Pauses)
	}
	for _, g := range r.stats.Gaps {
		if g.Len > idleLimit+10*time.Millisecond {
			t.Errorf("a gap of %v at %v (idle limit %v)", g.Len, g.At, idleLimit)
		}
	}
	st := r.ix.Steps
	if len(st) != 3 || st[1].Status != "changed" && st[1].Status != "ok" || st[2].Status == "failed" {
		t.Fatalf("steps: %+v", st)
	}
	if c := st[1].Commands; len(c) != 1 || c[0].Text != "systemctl reboot" || c[0].Op != "host.reboot" {
		t.Errorf("reboot step's commands: %+v", c)
	}
	if os.Getenv("REBOOT_SHOW") != "" {
		t.Logf("recording:\n%s\ndisplay:\n%s", r.data, r.display)
	}
	t.Logf("reboot at %.2fs, %s at %.2fs, %.1fs of waiting cut", reboot.At, back.Label, back.At, cut)
}

// wait=false: the reboot is typed, the session ends, and the run ends
// cleanly after that step (stopped: rebooted), exit 0; later steps do not run.
func TestRebootNoWaitEndsRun(t *testing.T) {
	h := andromeda.Shared(t)
	bootBefore := inside(t, h, "cat /proc/sys/kernel/random/boot_id")
	src := `runbook{name="reboot-nowait"}
step("reboot", function()
  sh("echo going down")
  host.reboot{wait=false}
end)
step("after", function()
  sh("touch /root/must-not-exist")
end)
`
	r := run(t, h, src, rssh.Options{})
	if r.err != nil {
		t.Fatalf("run: %v\n%s", r.err, r.display)
	}
	if r.rep.Stopped != "rebooted" || len(r.rep.Steps) != 1 || r.rep.Failed != 0 {
		t.Errorf("recap: %s", r.rep.Recap())
	}
	if r.ix.Stopped == nil || r.ix.Stopped.Reason != "rebooted" {
		t.Errorf("index stopped: %+v", r.ix.Stopped)
	}
	if _, ok := hasMarker(r.ix, "reboot"); !ok {
		t.Errorf("markers: %+v", r.ix.Markers)
	}
	waitBack(t, h)
	if after := inside(t, h, "cat /proc/sys/kernel/random/boot_id"); after == bootBefore {
		t.Errorf("andromeda did not reboot")
	}
	if out := inside(t, h, "ls /root"); strings.Contains(out, "must-not-exist") {
		t.Errorf("the step after the reboot ran")
	}
}

// A host that never answers SSH again within the timeout fails the step
// with a message naming the host, the step and the timeout; the recording
// stays valid.
func TestRebootNeverBack(t *testing.T) {
	h := andromeda.Shared(t)
	sshdLate(t, h)
	src := `runbook{name="reboot-never"}
step("reboot", function()
  host.reboot{timeout=5}
end)
step("after", function() sh("true") end)
`
	r := run(t, h, src, rssh.Options{})
	var sf *engine.StepFailedError
	if !errors.As(r.err, &sf) {
		t.Fatalf("want a failed step, got %v\n%s", r.err, r.display)
	}
	msg := r.err.Error()
	for _, w := range []string{`step 1 "reboot"`, "andromeda", "did not come back within 5s", "x.lua:3"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
	if r.ix.Stopped == nil || !strings.Contains(r.ix.Stopped.Reason, "failed") || len(r.ix.Steps) != 1 || r.ix.Steps[0].Status != "failed" {
		t.Errorf("index: stopped %+v, steps %+v", r.ix.Stopped, r.ix.Steps)
	}
	t.Logf("error: %s", msg)
}

// sshdLate makes sshd start 20 s late after the next boot: far beyond the
// runbook's timeout. (Never starting it would hold the test host's
// supervisor, which waits for sshd after a reboot, for minutes.) The test
// host is reset after the test.
func sshdLate(t *testing.T, h *andromeda.Host) {
	t.Helper()
	inside(t, h, "mkdir -p /etc/systemd/system/ssh.service.d && printf '[Service]\\nExecStartPre=/bin/sleep 20\\n' >/etc/systemd/system/ssh.service.d/late.conf && systemctl daemon-reload")
	t.Cleanup(func() { andromeda.ResetShared(t) })
}

// Ctrl-C while waiting for the host: the run ends as interrupted (exit
// 130) and the recording stays valid, the wait cut from it.
func TestRebootInterruptedWhileWaiting(t *testing.T) {
	h := andromeda.Shared(t)
	sshdLate(t, h)
	src := `runbook{name="reboot-interrupted"}
step("reboot", function()
  host.reboot{timeout=120}
end)
`
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	go func() {
		time.Sleep(5 * time.Second) // the reboot typed, the host not back yet
		cancel()
	}()
	began := time.Now()
	r := runCtx(t, ctx, h, src, rssh.Options{})
	var ie *engine.InterruptedError
	if !errors.As(r.err, &ie) {
		t.Fatalf("want an interrupted run, got %v\n%s", r.err, r.display)
	}
	if took := time.Since(began); took > time.Minute {
		t.Errorf("the interrupt was not honoured during the wait (run took %v)", took)
	}
	if r.ix.Stopped == nil || r.ix.Stopped.Reason != "interrupted" {
		t.Errorf("index stopped: %+v", r.ix.Stopped)
	}
	cut := false
	for _, p := range r.ix.Pauses {
		cut = cut || p.Reason == "reconnect"
	}
	if !cut {
		t.Errorf("the wait is not cut from the recording: %+v", r.ix.Pauses)
	}
}
