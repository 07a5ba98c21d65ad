package web

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/shared"
	"github.com/runbook-dev/runbook/player"
	"github.com/runbook-dev/runbook/player/screen"
	"github.com/runbook-dev/runbook/recording"
)

// A snapshot reads again only the rows the screen reports changed: after
// every event of the shared recordings (made by other tools, real ones
// included; past the first 500 events every 17th is compared, a stale row
// stays stale until the next), and after seeks backwards (the timeline
// restores a keyframe into the same screen), it equals a snapshot that
// reads every row.
func TestSnapshotReadsWhatChanged(t *testing.T) {
	dir := shared.Need(t)
	var paths []string
	for _, sub := range []string{"corpus", "realworld"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if ext := filepath.Ext(e.Name()); ext != ".md" {
				paths = append(paths, filepath.Join(dir, sub, e.Name()))
			}
		}
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rec, err := player.OpenWith(context.Background(), path, player.Options{KeyframeBudget: 1 << 20})
			if err != nil {
				t.Skipf("not a recording we read: %v", err)
			}
			defer rec.Close()
			tl := rec.Timeline()
			inc := &Frames{}
			compared := 0
			compare := func(what string, whole bool) {
				t.Helper()
				scr := tl.Screen()
				inc.scr = scr
				got := inc.snapshot(0)
				if !whole {
					return
				}
				want := (&Frames{scr: scr}).snapshot(0)
				if got.Cursor != want.Cursor || !slices.EqualFunc(got.Lines, want.Lines, func(a, b Line) bool { return slices.Equal(a, b) }) {
					for r := range max(len(got.Lines), len(want.Lines)) {
						var g, w Line
						if r < len(got.Lines) {
							g = got.Lines[r]
						}
						if r < len(want.Lines) {
							w = want.Lines[r]
						}
						if !slices.Equal(g, w) {
							t.Fatalf("%s: row %d read as %+v, the whole screen has %+v", what, r, g, w)
						}
					}
					t.Fatalf("%s: cursor %+v, the whole screen has %+v", what, got.Cursor, want.Cursor)
				}
				compared++
			}
			compare("at the start", true)
			var times []time.Duration
			for {
				ev, err := tl.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("event %d: %v", len(times), err)
				}
				if ev.Kind != recording.Output && ev.Kind != recording.Resize {
					continue
				}
				times = append(times, ev.Time)
				n := len(times)
				compare(fmt.Sprintf("event %d at %v", n, ev.Time), n < 500 || n%17 == 0)
			}
			// Backwards and forwards again, a few times, in steps.
			for i := len(times) - 1; i >= 0; i -= max(len(times)/7, 1) {
				if err := tl.Seek(context.Background(), times[i]); err != nil {
					t.Fatal(err)
				}
				compare("seek back to "+times[i].String(), true)
				if err := tl.Seek(context.Background(), times[(i+len(times))/2]); err != nil {
					t.Fatal(err)
				}
				compare("seek on to "+times[(i+len(times))/2].String(), true)
			}
			t.Logf("%d snapshots compared", compared)
		})
	}
}

// Resizes, the alternate screen, scrolling regions and a restore into the
// same screen: each snapshot equals one that reads every row.
func TestSnapshotReadsWhatChangedAcrossResizes(t *testing.T) {
	scr := screen.New(20, 6)
	st := scr.Snapshot()
	inc := &Frames{scr: scr}
	steps := []func(){
		func() { scr.WriteString("one\r\ntwo\r\nthree") },
		func() { scr.Resize(30, 6) },
		func() { scr.WriteString("\x1b[2;4r\x1b[3Hscrolled\n\n\n") },
		func() { scr.Resize(30, 8) },
		func() { scr.WriteString("\x1b[?1049hfull screen\x1b[5;5Hx") },
		func() { scr.Resize(10, 3) },
		func() { scr.WriteString("\x1b[?1049l") },
		func() { scr.WriteString("e\u0301\u0301 中文 wraps past the edge") },
		func() { scr.Restore(st) },
		func() { scr.WriteString("\x1b#8") },
		func() { scr.Resize(1000, 1000) },
		func() { scr.WriteString("x\x1b[999;999Hy") },
		func() { scr.Resize(1000, 999) },
		func() { scr.WriteString("\x1bc") },
	}
	for i, step := range steps {
		step()
		got := inc.snapshot(0)
		want := (&Frames{scr: scr}).snapshot(0)
		if !sameScreen(got, want) || len(got.Lines) != len(want.Lines) {
			t.Fatalf("after step %d the snapshot differs from a whole read", i)
		}
	}
}
