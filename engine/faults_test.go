package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/recording"
)

// Ten runs of one runbook started in the same second in one directory:
// each gets a recording of its own, sound, with its own index beside it.
func TestConcurrentRunsNeverShareARecording(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	src := `runbook { name = "same", params = { who = { default = "x" } } }
step("hello", function() sh("echo hello-" .. params.who .. "-end") end)`
	// Every run's clock says the same second: the names collide for sure.
	stamp := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	const n = 10
	reps := make([]*Report, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loc := target.NewLocal()
			defer loc.Close()
			reps[i], errs[i] = Run(context.Background(), Options{
				Path: "same.lua", Source: []byte(src), Dir: dir, Target: loc,
				RecordDir: filepath.Join(dir, "recordings"), Set: map[string]string{"who": fmt.Sprint(i)},
				Nonce: testNonce, Cols: 80, Rows: 24, Clock: recording.NewManualClock(stamp),
			})
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		rec := reps[i].Recording
		if prev, dup := seen[rec]; dup {
			t.Fatalf("runs %d and %d both recorded to %s", prev, i, rec)
		}
		seen[rec] = i
		if reps[i].Index != recording.IndexPath(rec) {
			t.Errorf("run %d: index %s is not beside its recording %s", i, reps[i].Index, rec)
		}
		_, data := readFrames(t, rec)
		for j := range n {
			has := bytes.Contains(data, []byte(fmt.Sprintf("hello-%d-end", j)))
			if has != (j == i) {
				t.Errorf("%s (run %d) shows hello-%d-end: %v", rec, i, j, has)
			}
		}
		ix, err := recording.ReadIndex(reps[i].Index)
		if err != nil {
			t.Fatal(err)
		}
		if len(ix.Steps) != 1 || ix.Steps[0].Status != recording.StatusOK || ix.Stopped != nil ||
			len(ix.Steps[0].Commands) != 1 || !strings.Contains(ix.Steps[0].Commands[0].Text, fmt.Sprintf("hello-%d-end", i)) {
			t.Errorf("index of run %d: %+v", i, ix)
		}
	}
	// Nothing else in the directory: 10 recordings, 10 indexes, no temporary file.
	names, _ := filepath.Glob(filepath.Join(dir, "recordings", "*"))
	sort.Strings(names)
	if len(names) != 2*n {
		t.Errorf("files: %q", names)
	}
	if _, err := os.Stat(filepath.Join(dir, "recordings", "same-local-20240501T120000Z-2.ttyrec")); err != nil {
		t.Errorf("the second run's name: %v", err)
	}
}

// --record names a file: a second run recording to it at the same time is
// refused, and the first run's file is left alone. A file holds its first
// frame from the moment it has its name, and nothing else is left in the
// directory.
func TestRecordRefusesAFileAnotherRunRecordsTo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.ttyrec")
	first := recording.AnnouncementFrame(80, 24, time.Now())
	f, got, err := createRecording(path, false, true, first)
	if err != nil || got != path {
		t.Fatal(got, err)
	}
	defer f.Close()
	if b, _ := os.ReadFile(path); !bytes.Equal(b, first) {
		t.Fatalf("a new recording holds %q, want its first frame %q", b, first)
	}
	f.WriteString("first run's frames")
	for _, noClobber := range []bool{false, true} {
		if _, _, err := createRecording(path, false, noClobber, first); err == nil || !strings.Contains(err.Error(), "another run is recording to it") {
			t.Fatalf("second run (noClobber %v): %v", noClobber, err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != string(first)+"first run's frames" {
		t.Errorf("the first run's file changed: %q", b)
	}
	// A name the engine picked is never truncated: the next one is taken.
	f2, got2, err := createRecording(path, true, true, first)
	if err != nil {
		t.Fatal(err)
	}
	f2.Close()
	if want := strings.TrimSuffix(path, ".ttyrec") + "-2.ttyrec"; got2 != want {
		t.Errorf("picked %s, want %s", got2, want)
	}
	// Once no run holds it: refused with noClobber, truncated without.
	f.Close()
	var exists *RecordingExistsError
	if _, _, err := createRecording(path, false, true, first); !errors.As(err, &exists) {
		t.Fatalf("noClobber onto a file no run holds: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(first)+"first run's frames" {
		t.Errorf("a refused file changed: %q", b)
	}
	f3, _, err := createRecording(path, false, false, first)
	if err != nil {
		t.Fatal(err)
	}
	// Replaced: the new file is the one locked, the old one gone.
	if _, _, err := createRecording(path, false, false, first); err == nil || !strings.Contains(err.Error(), "another run is recording to it") {
		t.Errorf("a third run onto the replaced file: %v", err)
	}
	f3.WriteString("third")
	f3.Close()
	if b, _ := os.ReadFile(path); string(b) != string(first)+"third" {
		t.Errorf("not replaced: %q", b)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(names) != 2 || len(hidden) != 0 {
		t.Errorf("files left: %q %q", names, hidden)
	}
}

// smallDisk mounts a tmpfs of size bytes on a new directory, for the life
// of the test. It needs root (CI runs the tests as root); elsewhere the
// test skips.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		testenv.Missing(t, "mount a %d-byte tmpfs (the full-disk tests need root): %v", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// noEmptyOrTemp fails on an empty file or a temporary index left in dir.
func noEmptyOrTemp(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		if fi.Size() == 0 || strings.HasSuffix(p, ".tmp") {
			t.Errorf("left behind: %s (%d bytes)", p, fi.Size())
		}
		return nil
	})
}

// The disk fills up mid-run: the run stops after the command that was
// running, the error names the recording and the reason, the recording
// stays sound, and the index says where it ends.
func TestFullDiskStopsTheRun(t *testing.T) {
	disk := smallDisk(t, 1<<20)
	src := `step("fill", function() sh("for i in $(seq 1 12000); do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done; echo fill-done") end)
step("after", function() sh("echo second-step-ran") end)`
	rec := filepath.Join(disk, "x.ttyrec")
	res := runSource(t, context.Background(), src, func(o *Options) { o.Record = rec })
	var re *RecordingError
	if !errors.As(res.err, &re) {
		t.Fatalf("got %v, want a RecordingError", res.err)
	}
	msg := res.err.Error()
	if !strings.Contains(msg, rec) || !strings.Contains(msg, "no space left on device") || !strings.Contains(msg, `step 1 "fill"`) {
		t.Errorf("message: %s", msg)
	}
	// Stopped at the safe point: the command ran to its end (on the
	// display), the next step never ran.
	if !strings.Contains(res.display, "fill-done") || strings.Contains(res.display, "second-step-ran") {
		t.Errorf("display: ...%q", tail(res.display, 300))
	}
	if len(res.ix.Steps) != 1 || res.ix.Steps[0].Status != recording.StatusFailed || res.ix.Stopped == nil ||
		!strings.Contains(res.ix.Stopped.Reason, "no space left on device") {
		t.Fatalf("index: steps %+v, stopped %+v", res.ix.Steps, res.ix.Stopped)
	}
	if res.rep.Failed != 1 || res.rep.OK != 0 {
		t.Errorf("recap: %s", res.rep.Recap())
	}
	// The index ends where the recording does: its last frame.
	last := res.frames[len(res.frames)-1].Time() - res.frames[0].Time()
	if got := res.ix.Stopped.At.Duration(); got != last {
		t.Errorf("index says the recording ends at %v, its last frame is at %v", got, last)
	}
	for _, s := range res.ix.Steps {
		if s.End.Duration() > last {
			t.Errorf("step %d ends at %v, after the recording (%v)", s.N, s.End.Duration(), last)
		}
	}
	noEmptyOrTemp(t, disk)
}

// The disk is full before the run starts: it stops before running
// anything, names the file and the reason, and leaves nothing behind.
func TestFullDiskBeforeTheStart(t *testing.T) {
	disk := smallDisk(t, 256<<10)
	filler, err := os.Create(filepath.Join(disk, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := filler.Write(buf); err != nil {
			break
		}
	}
	filler.Close()
	src := `step("a", function() sh("echo must-not-run") end)`
	rec := filepath.Join(disk, "rec", "x.ttyrec")
	t.Setenv("HOME", t.TempDir())
	loc := target.NewLocal()
	defer loc.Close()
	disp := &testenv.Buffer{}
	_, err = Run(context.Background(), Options{Path: "x.lua", Source: []byte(src), Target: loc,
		Record: rec, Display: disp, Nonce: testNonce})
	if err == nil || !strings.Contains(err.Error(), rec) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(disp.String(), "must-not-run") {
		t.Errorf("the run went on: %q", disp.String())
	}
	os.Remove(filepath.Join(disk, "filler"))
	noEmptyOrTemp(t, disk)
	if names, _ := filepath.Glob(filepath.Join(disk, "rec", "*")); len(names) > 0 {
		t.Errorf("left behind: %q", names)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
