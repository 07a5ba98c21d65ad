package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// outputEvent is one output event of a recording, at its stored time.
type outputEvent struct {
	at   time.Duration
	data []byte
}

func readOutput(t *testing.T, path string) []outputEvent {
	t.Helper()
	r, err := recording.Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []outputEvent
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if ev.Kind == recording.Output {
			out = append(out, outputEvent{ev.Time, append([]byte(nil), ev.Data...)})
		}
	}
}

// micros reads an index time to the microsecond, the resolution of both
// the index and ttyrec.
func micros(s recording.Seconds) time.Duration {
	return time.Duration(math.Round(float64(s)*1e6)) * time.Microsecond
}

// between is the output shown from start to end, both included.
func between(evs []outputEvent, start, end recording.Seconds) []byte {
	var b []byte
	for _, e := range evs {
		if e.at >= micros(start) && e.at <= micros(end) {
			b = append(b, e.data...)
		}
	}
	return b
}

// A real recording made by runbook run (the demo runbook and a step that
// sleeps 3 s, no idle limit), repaired with --idle-limit 1s: the index
// follows the frames, so every command spans the same output bytes as
// before, info finds nothing wrong, and check passes against the runbook
// with the new idle limit and the screens golden of the original.
func TestConvertKeepsIndexTrue(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "runbooks", "demo.lua"))
	if err != nil {
		t.Fatal(err)
	}
	rb := filepath.Join(dir, "demo.lua")
	src = append(src, "\nstep(\"Wait a while\", function()\n  sh(\"sleep 3\")\n  sh(\"echo awake\")\nend)\n"...)
	if err := os.WriteFile(rb, src, 0o644); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "rec.ttyrec")
	if code, o, e := runMain(t, "run", rb, "--record", rec, "--quiet", "--cols", "80", "--rows", "24"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, o, e)
	}
	if code, o, e := runMain(t, "check", rec, "--runbook", rb, "--update"); code != 0 {
		t.Fatalf("check --update: exit %d\n%s%s", code, o, e)
	}
	orig, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	if orig.IdleLimit != 0 {
		t.Fatalf("recorded with idle limit %v, want none", orig.IdleLimit)
	}

	fixed := filepath.Join(dir, "fixed.ttyrec")
	if code, o, e := runMain(t, "convert", rec, fixed, "--idle-limit", "1s"); code != 0 {
		t.Fatalf("convert: exit %d\n%s%s", code, o, e)
	}
	ix, err := recording.ReadIndex(recording.IndexPath(fixed))
	if err != nil {
		t.Fatalf("no index written: %v", err)
	}
	if ix.IdleLimit != 1 {
		t.Errorf("idle limit %v, want 1", ix.IdleLimit)
	}
	var idle recording.Seconds
	for _, p := range ix.Pauses {
		if p.Reason == "idle" {
			idle += p.Cut
		}
	}
	if idle < 1.9 || idle > 2.5 {
		t.Errorf("idle pauses cut %.3f s, want about 2 (the 3 s sleep down to 1 s): %+v", idle, ix.Pauses)
	}
	if len(ix.Steps) != len(orig.Steps) || ix.Runbook == nil || !reflect.DeepEqual(*ix.Runbook, *orig.Runbook) || !ix.StartedAt.Equal(orig.StartedAt) {
		t.Fatalf("index lost what it held:\n%+v\nwas\n%+v", ix, orig)
	}

	a, b := readOutput(t, rec), readOutput(t, fixed)
	durA, durB := a[len(a)-1].at, b[len(b)-1].at
	if cut := durA - durB; cut < 1900*time.Millisecond || cut > 2500*time.Millisecond {
		t.Errorf("duration %v → %v: want about 2 s less", durA, durB)
	}
	sawSleep := false
	for i, s := range ix.Steps {
		o := orig.Steps[i]
		if s.Start > s.End || s.End > recording.SecondsOf(durB)+1 {
			t.Errorf("step %d: %v-%v out of the recording (%v)", s.N, s.Start, s.End, durB)
		}
		if !bytes.Equal(between(a, o.Start, o.End), between(b, s.Start, s.End)) {
			t.Errorf("step %d %q: output between start and end changed", s.N, s.Name)
		}
		for j, c := range s.Commands {
			oc := o.Commands[j]
			got := between(b, c.Start, c.End)
			if want := between(a, oc.Start, oc.End); !bytes.Equal(want, got) {
				t.Errorf("step %d `%s`: output between start and end changed:\n%q\nwas\n%q", s.N, c.Text, got, want)
			}
			// The shell echoes what was typed: the command's first line.
			line, _, _ := strings.Cut(c.Text, "\n")
			if !strings.Contains(string(got), line) {
				t.Errorf("step %d: %q not within `%s`'s start and end (%v-%v): %q", s.N, line, c.Text, c.Start, c.End, got)
			}
			if c.Text == "sleep 3" {
				sawSleep = true
				if d := c.End - c.Start; d > 1.5 {
					t.Errorf("sleep 3 still lasts %.3f s", d)
				}
			}
		}
	}
	if !sawSleep {
		t.Fatal("no sleep 3 command in the index")
	}

	if code, o, e := runMain(t, "info", fixed); code != 0 || !strings.Contains(o, "problems:  none") {
		t.Errorf("info: exit %d\n%s%s", code, o, e)
	}
	// The screens after each command are the original's.
	golden, err := os.ReadFile(filepath.Join(dir, "rec.screens.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fixed.screens.txt"), golden, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, o, e := runMain(t, "check", fixed, "--runbook", rb); code != 0 {
		t.Errorf("check of the repaired recording: exit %d\n%s%s", code, o, e)
	}
	// The original, held to the new limit, fails: the check can fail.
	strict := *orig
	strict.IdleLimit = 1
	if err := recording.WriteIndex(recording.IndexPath(rec), &strict); err != nil {
		t.Fatal(err)
	}
	if code, o, _ := runMain(t, "check", rec, "--runbook", rb); code != 1 || !strings.Contains(o, "over the idle limit of 1s") {
		t.Errorf("check of the original at 1 s: exit %d\n%s", code, o)
	}
}

// An interrupted repair in place leaves the recording and its index as
// they were, and no temporary file.
func TestConvertInPlaceInterrupted(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec.ttyrec")
	src := filepath.Join("..", "..", "recordings", "xen-prereqs.ttyrec")
	var before [2][]byte
	for i, p := range []string{src, recording.IndexPath(src)} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		before[i] = b
		if err := os.WriteFile([]string{rec, recording.IndexPath(rec)}[i], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o bytes.Buffer
	err := runConvert(ctx, &IO{Out: &o, Err: &o}, []string{rec, rec, "--idle-limit", "1s"})
	if exitCode(err) != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130", exitCode(err), err)
	}
	for i, p := range []string{rec, recording.IndexPath(rec)} {
		if b, _ := os.ReadFile(p); !bytes.Equal(b, before[i]) {
			t.Errorf("%s changed by an interrupted convert", p)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// Not interrupted, the same command rewrites both.
	if code, out, e := runMain(t, "convert", rec, rec, "--idle-limit", "1s"); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, e)
	}
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil || ix.IdleLimit != 1 {
		t.Fatalf("index after the repair: %v, %v", ix, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
