// Package enginetest runs runbooks through the engine for the stdlib's
// tests — locally, over SSH to a test sshd, on andromeda — and returns what
// a user would have seen: the report, the display, the recording.
//
// It is test support: only _test files import it. It imports the engine
// and the recording format, never the player or cmd.
package enginetest

import (
	"bytes"
	"context"
	"errors"
	"github.com/runbook-dev/runbook/internal/testenv"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/recording"
)

// Result is one run as the user saw it.
type Result struct {
	Report  *engine.Report
	Err     error
	Display string           // what the display showed (diffs, notes, the session)
	Data    string           // what the recording shows
	Index   *recording.Index // the index beside the recording
}

// Options of one run.
type Options struct {
	Set    map[string]string // --set
	DryRun bool
	Diff   bool
}

// Run saves src as x.lua in dir, runs it on tg recorded into a temporary
// file, and reads the recording and its index back (failing the test if
// either is damaged).
func Run(t testing.TB, tg target.Target, src, dir string, o Options) Result {
	t.Helper()
	path := filepath.Join(dir, "x.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(t.TempDir(), "x.ttyrec")
	disp := &testenv.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := engine.Run(ctx, engine.Options{
		Path: path, Source: []byte(src), Dir: dir, Target: tg,
		Set: o.Set, Record: rec, Display: disp, Cols: 120, Rows: 30,
		DryRun: o.DryRun, Diff: o.Diff,
	})
	r := Result{Report: rep, Err: err, Display: disp.String()}
	f, ferr := os.Open(rec)
	if ferr != nil {
		if err == nil {
			t.Fatalf("recording: %v", ferr)
		}
		return r // the run failed before it recorded anything
	}
	f.Close()
	r.Data = ReadRecording(t, rec)
	ix, ierr := recording.ReadIndex(recording.IndexPath(rec))
	if ierr != nil {
		t.Fatalf("index: %v", ierr)
	}
	r.Index = ix
	return r
}

// ReadRecording reads a ttyrec recording to its end and returns what it
// shows, failing the test on any problem in it.
func ReadRecording(t testing.TB, rec string) string {
	t.Helper()
	f, err := os.Open(rec)
	if err != nil {
		t.Fatalf("recording: %v", err)
	}
	defer f.Close()
	rd := recording.NewReader(f, rec)
	var data []byte
	for {
		fr, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", rec, err)
		}
		data = append(data, fr.Data...)
	}
	if probs, n := rd.Problems(); n > 0 {
		t.Errorf("%s has %d problems, first %v", rec, n, probs[0])
	}
	return string(data)
}

// StripANSI removes CSI sequences (colours) so tests can look for text.
func StripANSI(s string) string {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
