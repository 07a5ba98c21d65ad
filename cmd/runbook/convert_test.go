package main

import (
	"bytes"
	"context"
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The example: termrec's recording with a 21-second idle gap,
// repaired with --idle-limit 2s. The peers agree on the result.
func TestConvertRepairsTermrecGap(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	in := filepath.Join(sharedDir, "corpus", "termrec.ttyrec")
	out := filepath.Join(dir, "fixed.ttyrec")
	if code, o, e := runMain(t, "convert", in, out, "--idle-limit", "2s"); code != 0 {
		t.Fatalf("exit %d: %s%s", code, o, e)
	}
	_, o, _ := runMain(t, "info", out, "--gaps", "1")
	if !strings.Contains(o, "     2.000s before frame ") || !strings.Contains(o, "duration:  13.031s") || !strings.Contains(o, "terminal:  80x24") {
		t.Errorf("repaired file:\n%s", o)
	}
	testenv.Programs(t, "ttyplay", "termtime")
	// Every byte kept: ttyplay prints the same bytes from both files.
	a, err1 := exec.Command("ttyplay", "-n", in).Output()
	b, err2 := exec.Command("ttyplay", "-n", out).Output()
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Errorf("ttyplay output differs after the repair (%v %v): %d vs %d bytes", err1, err2, len(a), len(b))
	}
	tt, err := exec.Command("termtime", out).Output()
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(tt)), "13.030") {
		t.Errorf("termtime says %q (%v), want 13.030…", tt, err)
	}
}

func TestConvertExitCodes(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	sh := func(p string) string { return filepath.Join(sharedDir, p) }
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"convert", sh("corpus/ttyrec.ttyrec"), filepath.Join(dir, "a.cast")}, 0, ""},
		{[]string{"convert", sh("corpus/termrec.cast"), filepath.Join(dir, "b.ttyrec")}, 0, "warning: " + sh("corpus/termrec.cast") + ":8"},
		{[]string{"convert", sh("corpus/truncated-payload.ttyrec"), filepath.Join(dir, "c.cast")}, 1, "wrote the 42 events before it"},
		{[]string{"convert", sh("realworld/termrec-splitutf.nh"), filepath.Join(dir, "d.cast")}, 0, ""},
		{[]string{"convert", sh("realworld/asciinema-server-big.v3.cast"), filepath.Join(dir, "e.ttyrec")}, 0, ""},
		{[]string{"convert", "nope.ttyrec", filepath.Join(dir, "f.cast")}, 2, "no such file"},
		{[]string{"convert", sh("corpus/ttyrec.ttyrec"), filepath.Join(dir, "g.cast"), "--speed", "0"}, 2, "--speed 0: want a number above 0"},
		{[]string{"convert", sh("corpus/ttyrec.ttyrec"), filepath.Join(dir, "h.cast"), "--redact-regex", "("}, 2, "--redact-regex"},
	}
	for _, tt := range tests {
		code, _, errs := runMain(t, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.err) {
			t.Errorf("runbook %s: exit %d, want %d; stderr lacks %q:\n%s", strings.Join(tt.args, " "), code, tt.code, tt.err, errs)
		}
	}
	// The cut file's output still holds its 42 whole frames.
	_, o, _ := runMain(t, "info", filepath.Join(dir, "c.cast"))
	if !strings.Contains(o, "events:    42") {
		t.Errorf("converted cut file:\n%s", o)
	}
	// The split UTF-8 of the nh file is whole in the .cast (no U+FFFD).
	b, _ := os.ReadFile(filepath.Join(dir, "d.cast"))
	if bytes.Contains(b, []byte(`\ufffd`)) || !bytes.Contains(b, []byte("а")) || !bytes.Contains(b, []byte("𝚊")) {
		t.Errorf("nh → cast lost split characters:\n%s", b)
	}
}

func TestConvertInterruptedLeavesOutAlone(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "keep.cast")
	os.WriteFile(out, []byte("old"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o bytes.Buffer
	err := runConvert(ctx, &IO{Out: &o, Err: &o}, []string{filepath.Join(sharedDir, "realworld", "asciinema-server-big.v3.cast"), out, "--overwrite"})
	if exitCode(err) != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130", exitCode(err), err)
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("OUT changed by an interrupted convert: %q", b[:min(len(b), 40)])
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".keep.cast.*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
