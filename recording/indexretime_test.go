package recording

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

func TestRetimeIndexTable(t *testing.T) {
	// Events at 0, 1, 5, 6; an idle limit of 1 s turns the 4 s gap into
	// 1 s: the first half second after 1 and the last before 5 run as they
	// were, the middle is cut (at 1.5).
	ix := &Index{Version: 1, IdleLimit: 0, Steps: []Step{{N: 1, Name: "s", Start: 0.5, End: 6.5,
		Commands: []Command{{Text: "a", Start: 1.2, End: 3}, {Text: "b", Start: 4.9, End: 5}}}},
		Markers: []Marker{{At: 9, Label: "late"}},
		Pauses:  []Pause{{At: 5, Cut: 10, Reason: "prompt"}},
		Stopped: &Stopped{At: 6, Reason: "x"}}
	rt := Retime(&sliceReader{evs: secondsList(0, 1, 5, 6)}, RetimeOptions{IdleLimit: time.Second})
	ir, err := rt.RetimeIndex(ix)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := readEvents(t, rt)
	if err != nil || len(evs) != 4 || evs[2].Time != 2*time.Second {
		t.Fatalf("events %v, %v", evs, err)
	}
	got, notes := ir.Index()
	if len(notes) != 0 {
		t.Errorf("notes %q", notes)
	}
	s := got.Steps[0]
	for _, c := range []struct {
		name      string
		got, want Seconds
	}{
		{"step start", s.Start, 0.5}, {"step end (tail, within the limit)", s.End, 3.5},
		{"a start", s.Commands[0].Start, 1.2}, {"a end (in the cut middle)", s.Commands[0].End, 1.5},
		{"b start (kept its distance to the next event)", s.Commands[1].Start, 1.9}, {"b end (on an event)", s.Commands[1].End, 2},
		{"marker after the end: at most the limit", got.Markers[0].At, 4}, {"stopped", got.Stopped.At, 3},
	} {
		if d := c.got - c.want; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if got.IdleLimit != 1 {
		t.Errorf("idle limit %v, want 1", got.IdleLimit)
	}
	want := []Pause{{At: 1.5, Cut: 3, Reason: "idle"}, {At: 2, Cut: 10, Reason: "prompt"}}
	if len(got.Pauses) != 2 || got.Pauses[0] != want[0] || got.Pauses[1] != want[1] {
		t.Errorf("pauses %+v, want %+v", got.Pauses, want)
	}
	if ix.Steps[0].Commands[0].End != 3 || ix.Pauses[0].At != 5 {
		t.Errorf("the original index changed: %+v", ix)
	}
}

func TestRetimeIndexCutsAndSpeed(t *testing.T) {
	ix := &Index{Version: 1, IdleLimit: 4, Markers: []Marker{{At: 2, Label: "before"}, {At: 12, Label: "inside"}, {At: 30, Label: "after"}}}
	rt := Retime(&sliceReader{evs: secondsList(0, 5, 12, 20, 30, 40)},
		RetimeOptions{Speed: 2, Cuts: []Span{{10 * time.Second, 25 * time.Second}, {100 * time.Second, 200 * time.Second}}})
	ir, err := rt.RetimeIndex(ix)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := readEvents(t, rt)
	got, notes := ir.Index()
	// Output: 0, 2.5, 5, 5, 7.5, 12.5 (cut 10-25, then halved).
	if evs[4].Time != 7500*time.Millisecond {
		t.Fatalf("events %v", evs)
	}
	for i, want := range []Seconds{1, 5, 7.5} {
		if got.Markers[i].At != want {
			t.Errorf("marker %q at %v, want %v", got.Markers[i].Label, got.Markers[i].At, want)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], `marker "inside" at 12.000s lies inside the cut 10s-25s`) {
		t.Errorf("notes %q", notes)
	}
	// The second cut lies past the end: nothing of it was cut.
	if len(got.Pauses) != 1 || got.Pauses[0] != (Pause{At: 5, Cut: 15, Reason: "cut"}) {
		t.Errorf("pauses %+v", got.Pauses)
	}
	if got.IdleLimit != 2 {
		t.Errorf("idle limit %v, want the index's 4 at speed 2", got.IdleLimit)
	}
}

// Every time keeps its order against every event: before stays before,
// on stays on, after stays after, whatever the gaps and the idle limit.
// This is what lets a command's start and end still bracket the same
// output bytes after a repair.
func TestRetimeIndexKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		var stamps []float64
		at := 0.0
		for i := 0; i < 2+rng.Intn(30); i++ {
			at += float64(rng.Intn(5_000_000)) / 1e6 // up to 5 s, in µs
			if rng.Intn(4) == 0 {
				at += float64(rng.Intn(1000)) / 1e6 // near neighbours
			}
			stamps = append(stamps, at)
		}
		var times []Seconds
		for i := 0; i < 40; i++ {
			switch rng.Intn(3) {
			case 0: // on an event
				times = append(times, Seconds(stamps[rng.Intn(len(stamps))]))
			case 1: // a microsecond either side of one
				times = append(times, Seconds(stamps[rng.Intn(len(stamps))]+float64(rng.Intn(3)-1)/1e6))
			default:
				times = append(times, Seconds(float64(rng.Intn(int(at*1e6)+3_000_000))/1e6))
			}
		}
		ix := &Index{Version: 1}
		for _, x := range times {
			ix.Markers = append(ix.Markers, Marker{At: x})
		}
		limit := time.Duration(1+rng.Intn(3000)) * time.Millisecond
		rt := Retime(&sliceReader{evs: secondsList(stamps...)}, RetimeOptions{IdleLimit: limit})
		ir, err := rt.RetimeIndex(ix)
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := readEvents(t, rt)
		got, _ := ir.Index()
		for i, x := range times {
			y := got.Markers[i].At.micros()
			for j, e := range evs {
				in := secondsToDuration(stamps[j]).Truncate(time.Microsecond)
				xin := x.micros()
				out := e.Time.Truncate(time.Microsecond)
				if (xin < in) != (y < out) || (xin == in) != (y == out) {
					t.Fatalf("round %d (limit %v): time %v → %v, event %v → %v: order changed", round, limit, xin, y, in, out)
				}
			}
		}
	}
}
