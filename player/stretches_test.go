package player

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Without an index or markers, the corpus session splits at its pauses:
// one stretch per command typed, the 21 s idle gap between two of them.
func TestStretchesFromBursts(t *testing.T) {
	path := filepath.Join(corpusDir, "ttyrec.ttyrec")
	needFile(t, path)
	r, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, err := r.Stretches()
	if err != nil {
		t.Fatal(err)
	}
	if len(st) < 6 {
		t.Fatalf("%d stretches, want one per command (at least 6): %+v", len(st), st)
	}
	var names []string
	gap := false
	for i, s := range st {
		names = append(names, s.Name)
		if s.Step != i+1 || s.Steps != len(st) {
			t.Errorf("stretch %d numbered %d/%d", i, s.Step, s.Steps)
		}
		if i > 0 && s.Start-st[i-1].End >= 20*time.Second {
			gap = true
		}
		if s.End < s.Start {
			t.Errorf("stretch %d ends before it starts: %+v", i, s)
		}
	}
	if !gap {
		t.Errorf("no stretch starts after the 21 s gap: %+v", st)
	}
	if all := strings.Join(names, "|"); !strings.Contains(all, `echo "hello from the anchors corpus"`) {
		t.Errorf("stretch names do not show the echo command: %s", all)
	}
	if st[0].Start != 0 || st[len(st)-1].End != r.Duration {
		t.Errorf("stretches span %v..%v, recording 0..%v", st[0].Start, st[len(st)-1].End, r.Duration)
	}
}

// An asciicast with markers and no index goes marker by marker.
func TestStretchesFromMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.cast")
	cast := `{"version": 2, "width": 40, "height": 5}
[0.1, "o", "intro\r\n"]
[1.0, "m", "install"]
[1.2, "o", "apt-get install\r\n"]
[3.0, "m", "configure"]
[3.5, "o", "vi conf\r\n"]
`
	if err := os.WriteFile(path, []byte(cast), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, err := r.Stretches()
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Name != "install" || st[1].Name != "configure" ||
		st[0].Start != 0 || st[0].End != 3*time.Second || st[1].End != r.Duration || st[1].Steps != 2 {
		t.Errorf("stretches %+v", st)
	}
}
