package player

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A timeline on the guarded vt10x seeks forward and back (replaying from
// the start, it has no keyframes) and shows what our emulator shows on
// the corpus session, which has nothing vt10x gets wrong.
func TestTimelineWithVT10X(t *testing.T) {
	path := filepath.Join(corpusDir, "termrec.ttyrec")
	needFile(t, path)
	r, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	newEmu, err := EmulatorNamed("vt10x")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := r.TimelineWith(newEmu)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Screen() != nil {
		t.Errorf("Screen() on a vt10x timeline is our emulator")
	}
	for _, at := range []time.Duration{r.Duration, 5 * time.Second, 0, 31 * time.Second, 4500 * time.Millisecond, 6 * time.Second} {
		if err := tl.Seek(context.Background(), at); err != nil {
			t.Fatal(err)
		}
		if got, want := tl.View().Text(), linear(t, r, at); got != want {
			t.Fatalf("vt10x at %v:\n%s\nours:\n%s", at, got, want)
		}
	}
	if _, err := EmulatorNamed("xterm"); err == nil {
		t.Errorf("EmulatorNamed(xterm) accepted")
	}
	if e, err := EmulatorNamed("builtin"); e != nil || err != nil {
		t.Errorf("builtin is not the default: %v, %v", e, err)
	}
}
