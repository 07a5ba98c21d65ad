package recording

import (
	"context"
	"errors"
	"github.com/runbook-dev/runbook/internal/shared"
	"github.com/runbook-dev/runbook/internal/testenv"
	"path/filepath"
	"testing"
	"time"
)

// The shared corpus (files made by ttyrec, termrec and asciinema) and real
// files from public projects are read in place, never copied; see
// ../shared/corpus/README.md and ../shared/realworld/SOURCES.md for where
// every expected value comes from.
var sharedDir = shared.Dir()

func TestSharedRecordings(t *testing.T) {
	testenv.File(t, sharedDir, "shared recordings")
	ms := time.Millisecond
	tests := []struct {
		file      string
		format    string
		frames    int // Stat's count: ttyrec frames, or events
		bytes     int64
		duration  time.Duration // ± 1 ms (the documents round to ms)
		cols      int
		rows      int
		gap       time.Duration // the longest gap, ± 1 ms
		gapBefore int
		problems  []string // kinds read past
		damage    string   // the kind that ended the reading
		line      int      // the line named by the first problem or damage
		offset    int64    // the byte named by the damage
	}{
		{"corpus/ttyrec.ttyrec", "ttyrec", 43, 6452, 32025 * ms, 0, 0, 20941 * ms, 29, []string{ProblemLongGap}, "", 0, 0},
		{"corpus/termrec.ttyrec", "ttyrec", 44, 6457, 32057 * ms, 80, 24, 0, -1, []string{ProblemLongGap}, "", 0, 0},
		{"corpus/asciinema.cast", "asciicast-v2", 51, 6448, 31875 * ms, 80, 24, 20986 * ms, 37, []string{ProblemLongGap}, "", 0, 0},
		{"corpus/truncated-payload.ttyrec", "ttyrec", 42, 6431, 30980 * ms, 0, 0, 20941 * ms, 29, []string{ProblemLongGap}, ProblemTruncated, 0, 6935},
		{"corpus/termrec.cast", "asciicast-v2", 44, 6448, -1, 80, 24, 0, -1, []string{ProblemRepaired, ProblemLongGap}, "", 8, 0},
		{"corpus/termrec.cast-v1", "asciicast-v1", 44, 6444, -1, 80, 24, 0, -1, []string{ProblemRepaired, ProblemLongGap}, "", 8, 0},
		{"realworld/ttrp-simple.ttyrec", "ttyrec", 5, 49, 2890 * ms, 0, 0, 1381 * ms, 4, nil, "", 0, 0},
		{"realworld/ttrp-malformed-data.ttyrec", "ttyrec", 1, 19, 0, 0, 0, 0, -1, nil, ProblemTruncated, 0, 31},
		{"realworld/ttrp-malformed-header.ttyrec", "ttyrec", 3, 53, 2000 * ms, 0, 0, 1000 * ms, -1, nil, ProblemTruncated, 0, 89},
		{"realworld/jwodder-hello.ttyrec", "ttyrec", 3, 37, 42066 * ms, 0, 0, 38065 * ms, 2, []string{ProblemLongGap}, "", 0, 0},
		// termtime measures 0.100 s (bytes before the first stamp show at 0);
		// SOURCES.md counts 0.090 s from the first stamp.
		{"realworld/termrec-splitutf.nh", "nh", 11, 11, 100 * ms, 0, 0, 10 * ms, -1, []string{ProblemSplitUTF8, ProblemSplitUTF8, ProblemSplitUTF8}, "", 0, 0},
		{"realworld/termrec-asciicast-escapes.cast", "asciicast-v2", 1, 13, 0, 20, 5, 0, -1, []string{ProblemRepaired}, "", 1, 0},
		{"realworld/asciinema-server-welcome.v1.json", "asciicast-v1", 785, 5653, 119201 * ms, 80, 20, 2561 * ms, 117, nil, "", 0, 0},
		{"realworld/asciinema-server-welcome.v2.cast", "asciicast-v2", 786, 5653, 119201 * ms, 80, 20, 2561 * ms, 118, nil, "", 0, 0},
		// Durations run first event to last, as for every other file here;
		// SOURCES.md's 0.081 s counts from the start (the first interval is
		// 4 ms), and its 4 ms gap is that first interval.
		{"realworld/asciinema-server-big.v3.cast", "asciicast-v3", 4998, 2849418, 77 * ms, 160, 76, 1 * ms, -1, nil, "", 0, 0},
	}
	near := func(a, b time.Duration) bool { return a-b <= ms && b-a <= ms }
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			st, err := Stat(context.Background(), filepath.Join(sharedDir, tt.file), "", 3)
			if err != nil {
				t.Fatal(err)
			}
			h := st.Header
			if h.Format != tt.format || st.Frames != tt.frames || st.Bytes != tt.bytes {
				t.Errorf("%s, %d frames, %d bytes; want %s, %d, %d", h.Format, st.Frames, st.Bytes, tt.format, tt.frames, tt.bytes)
			}
			if tt.duration >= 0 && !near(st.Duration, tt.duration) {
				t.Errorf("duration %v, want %v", st.Duration, tt.duration)
			}
			if h.Cols != tt.cols || h.Rows != tt.rows {
				t.Errorf("size %dx%d, want %dx%d", h.Cols, h.Rows, tt.cols, tt.rows)
			}
			if tt.gap > 0 {
				if len(st.Gaps) == 0 || !near(st.Gaps[0].Len, tt.gap) || (tt.gapBefore >= 0 && st.Gaps[0].Before != tt.gapBefore) {
					t.Errorf("longest gap %+v, want %v before %d", st.Gaps, tt.gap, tt.gapBefore)
				}
			}
			var kinds []string
			for _, p := range st.Problems {
				kinds = append(kinds, p.Kind)
			}
			if !equalStrings(kinds, tt.problems) {
				t.Errorf("problems %v, want %v", st.Problems, tt.problems)
			} else if len(st.Problems) > 0 && st.Problems[0].Line != tt.line {
				t.Errorf("problem %v names line %d, want %d", st.Problems[0], st.Problems[0].Line, tt.line)
			}
			if tt.damage == "" {
				if st.Damage != nil {
					t.Errorf("damage %v", st.Damage)
				}
				return
			}
			var fe *FormatError
			if !errors.As(error(st.Damage), &fe) || fe.Kind != tt.damage || fe.Offset != tt.offset {
				t.Errorf("damage %v, want %s at byte %d", st.Damage, tt.damage, tt.offset)
			}
		})
	}
}
