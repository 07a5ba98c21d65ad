package main

import (
	"bytes"
	"context"
	"github.com/runbook-dev/runbook/internal/shared"
	"github.com/runbook-dev/runbook/internal/testenv"
	"path/filepath"
	"strings"
	"testing"
)

var sharedDir = shared.Dir()

func needShared(t *testing.T) {
	t.Helper()
	testenv.File(t, sharedDir, "shared recordings")
}

// runMain runs the CLI in-process and returns its exit code and output.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestInfoExitCodes(t *testing.T) {
	needShared(t)
	sh := func(p string) string { return filepath.Join(sharedDir, p) }
	tests := []struct {
		args []string
		code int
		out  string
	}{
		// A sound file with a deliberate 21 s pause, ten times the next:
		// players keep it, so info reports it with the repair.
		{[]string{"info", sh("corpus/ttyrec.ttyrec")}, 1, "20.941s before frame 29"},
		{[]string{"info", sh("corpus/ttyrec.ttyrec")}, 1, "repair:    runbook convert " + sh("corpus/ttyrec.ttyrec") + " " + sh("corpus/ttyrec.ttyrec") + " --idle-limit 3s"},
		{[]string{"info", sh("corpus/termrec.ttyrec")}, 1, "terminal:  80x24"},
		{[]string{"info", sh("realworld/ttrp-simple.ttyrec")}, 0, "problems:  none"},
		{[]string{"info", sh("corpus/truncated-payload.ttyrec")}, 1, "cut at byte 6935: frame 42 declares 21 bytes, 18 present"},
		{[]string{"info", sh("corpus/termrec.cast")}, 1, "termrec.cast:8: asciicast-v2: invalid JSON escape"},
		{[]string{"info", sh("realworld/ttrp-malformed-header.ttyrec")}, 1, "9 stray bytes after frame 3"},
		{[]string{"info", sh("realworld/termrec-splitutf.nh")}, 1, "events 1 and 2 split a UTF-8 character (tty-player shows � for it)"},
		{[]string{"info", sh("realworld/asciinema-server-welcome.v1.json")}, 0, "events:    785"},
		{[]string{"info", sh("realworld/ttrp-simple.ttyrec"), sh("corpus/truncated-payload.ttyrec")}, 1, "problems:  none"},
		{[]string{"info"}, 2, ""},
		{[]string{"info", "--gaps", "-1", "x"}, 2, ""},
		{[]string{"info", sh("README.md-not-there")}, 2, ""},
		{[]string{"info", "--help"}, 0, "Examples:"},
	}
	for _, tt := range tests {
		code, out, errs := runMain(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) {
			t.Errorf("runbook %s: exit %d, want %d; output lacks %q:\n%s%s", strings.Join(tt.args, " "), code, tt.code, tt.out, out, errs)
		}
	}
}

func TestInfoInterrupted(t *testing.T) {
	needShared(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := runInfo(ctx, &IO{Out: &out, Err: &out}, []string{filepath.Join(sharedDir, "corpus/ttyrec.ttyrec")})
	if exitCode(err) != exitInterrupted {
		t.Errorf("cancelled info: %v (exit %d), want 130", err, exitCode(err))
	}
}
