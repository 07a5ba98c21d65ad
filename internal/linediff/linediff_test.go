package linediff

import (
	"math/rand"
	"runtime"
	"slices"
	"testing"
)

// lcs is the length of the longest common subsequence, the slow way.
func lcs(a, b []string) int {
	l := make([][]int, len(a)+1)
	for i := range l {
		l[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	return l[0][0]
}

func randomLines(r *rand.Rand) []string {
	out := make([]string, r.Intn(12))
	for i := range out {
		out[i] = string(rune('a' + r.Intn(4)))
	}
	return out
}

// Every script turns a into b with the fewest edits, and the hunks cover
// exactly what it changes.
func TestLinesShortestAndHunksAgree(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 5000; n++ {
		a, b := randomLines(r), randomLines(r)
		es := Lines(a, b)
		var gotA, gotB []string
		edits := 0
		for _, e := range es {
			if e.Kind != '+' {
				gotA = append(gotA, e.Text)
			}
			if e.Kind != '-' {
				gotB = append(gotB, e.Text)
			}
			if e.Kind != ' ' {
				edits++
			}
		}
		if !slices.Equal(gotA, a) || !slices.Equal(gotB, b) {
			t.Fatalf("Lines(%q, %q) = %v: does not give both sides", a, b, es)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("Lines(%q, %q): %d edits, want %d", a, b, edits, want)
		}
		// Applying the hunks to a gives b.
		var out []string
		i := 0
		for _, h := range Hunks(a, b) {
			out = append(out, a[i:h.A0]...)
			out = append(out, b[h.B0:h.B1]...)
			i = h.A1
		}
		out = append(out, a[i:]...)
		if !slices.Equal(out, b) {
			t.Fatalf("Hunks(%q, %q) give %q", a, b, out)
		}
	}
}

// Past MaxEdits the script is still correct: all removed, then all added.
func TestLinesPastTheBound(t *testing.T) {
	a := make([]string, MaxEdits+10)
	b := make([]string, MaxEdits+10)
	for i := range a {
		a[i], b[i] = "a", "b"
	}
	es := Lines(a, b)
	if len(es) != len(a)+len(b) || es[0].Kind != '-' || es[len(es)-1].Kind != '+' {
		t.Fatalf("got %d edits, first %q", len(es), es[0].Kind)
	}
}

// Two long texts with nothing in common: the search runs to MaxEdits, and
// what it keeps must not grow with their length (it kept a copy of every
// diagonal per step: 1.3 GB here).
func TestLinesMemoryBoundedByEdits(t *testing.T) {
	a := make([]string, 20000)
	b := make([]string, 20000)
	for i := range a {
		a[i], b[i] = "a", "b"
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	es := Lines(a, b)
	runtime.ReadMemStats(&after)
	if len(es) != len(a)+len(b) {
		t.Fatalf("got %d edits", len(es))
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 256<<20 {
		t.Errorf("allocated %d MB for a diff bounded at %d edits", got>>20, MaxEdits)
	}
}
