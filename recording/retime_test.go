package recording

import (
	"io"
	"testing"
	"time"
)

// sliceReader is an EventReader over fixed events (test input only; the
// real readers are tested on real files).
type sliceReader struct {
	evs evs
	i   int
}

func (s *sliceReader) Header() Header { return Header{Format: "test"} }
func (s *sliceReader) Close() error   { return nil }
func (s *sliceReader) Next() (Event, error) {
	if s.i >= len(s.evs) {
		return Event{}, io.EOF
	}
	s.i++
	return s.evs[s.i-1], nil
}

func secondsList(ss ...float64) evs {
	var out evs
	for _, s := range ss {
		out = append(out, Event{Time: secondsToDuration(s), Kind: Output, Data: []byte("x")})
	}
	return out
}

func TestRetime(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		opt  RetimeOptions
		want []float64
		cut  float64 // total time cut by the idle limit
	}{
		{"unchanged", []float64{0, 1, 2.5}, RetimeOptions{}, []float64{0, 1, 2.5}, 0},
		{"backwards takes no time, next gap from the backwards stamp", []float64{0, 10, 4, 5}, RetimeOptions{}, []float64{0, 10, 10, 11}, 0},
		{"idle limit", []float64{0, 1, 91, 92}, RetimeOptions{IdleLimit: 2 * time.Second}, []float64{0, 1, 3, 4}, 88},
		{"speed", []float64{0, 1, 3}, RetimeOptions{Speed: 2}, []float64{0, 0.5, 1.5}, 0},
		{"cut keeps the events at the cut's start", []float64{0, 5, 12, 20, 30}, RetimeOptions{Cuts: []Span{{10 * time.Second, 25 * time.Second}}}, []float64{0, 5, 10, 10, 15}, 0},
		{"cut, then idle, then speed", []float64{0, 5, 30, 100}, RetimeOptions{Cuts: []Span{{10 * time.Second, 20 * time.Second}}, IdleLimit: 10 * time.Second, Speed: 2}, []float64{0, 2.5, 7.5, 12.5}, 60 + 5},
		{"first event late", []float64{3, 4}, RetimeOptions{}, []float64{3, 4}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Retime(&sliceReader{evs: secondsList(tt.in...)}, tt.opt)
			got, err := readEvents(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d events, want %d", len(got), len(tt.want))
			}
			for i, e := range got {
				if d := e.Time - secondsToDuration(tt.want[i]); d > time.Microsecond || d < -time.Microsecond {
					t.Errorf("event %d at %v, want %vs", i, e.Time, tt.want[i])
				}
			}
			var cut float64
			for _, p := range r.Cuts() {
				cut += float64(p.Cut)
			}
			if cut != tt.cut {
				t.Errorf("idle cut %vs, want %vs", cut, tt.cut)
			}
		})
	}
}

func TestParseSpanAndTime(t *testing.T) {
	for in, want := range map[string]Span{
		"1m-1m30s": {time.Minute, 90 * time.Second},
		"60-90":    {time.Minute, 90 * time.Second},
		"1.5-3s":   {1500 * time.Millisecond, 3 * time.Second},
	} {
		got, err := ParseSpan(in)
		if err != nil || got != want {
			t.Errorf("ParseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "5", "9-3", "a-b", "-1-2"} {
		if _, err := ParseSpan(bad); err == nil {
			t.Errorf("ParseSpan(%q): no error", bad)
		}
	}
}
