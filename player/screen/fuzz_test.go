package screen

import (
	"testing"
)

// FuzzWrite feeds arbitrary bytes, split at an arbitrary point, at an
// arbitrary small size: no panic, no hang (the fuzzer reports slow
// inputs), and the invariants the renderers rely on hold afterwards.
// Every row that changed, by a write, a restore or a write in pieces of
// 1 to 16 bytes, is one RowChanged reports. Seeds live in
// testdata/fuzz/FuzzWrite.
func FuzzWrite(f *testing.F) {
	f.Add([]byte("\x1b[-1@x\x1b[9223372036854775807P\x1b[99999999999Z"), uint16(3), uint8(5), uint8(3))
	f.Add([]byte("\x1b)0\x0eqqq\x0f\x1b[?1049l\x1bc\x1b[1J\x1b[4h中💩e\u0301"), uint16(9), uint8(2), uint8(2))
	f.Add([]byte("\x1b[38:2::1:2:3m\x1b[2;3r\x1b[?6h\x1b[5L\x1b[5M\x1bM\x1bD\x1b#8"), uint16(0), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, split uint16, cols, rows uint8) {
		s := New(int(cols%200), int(rows%100))
		k := min(int(split), len(in))
		s.Write(in[:k])
		st := s.Snapshot()
		before, gen := s.Clone(), s.Gen()
		s.Write(in[k:])
		checkChanges(t, before, gen, s)
		text := s.Text()
		checkInvariants(t, s)
		before, gen = s.Clone(), s.Gen()
		s.Restore(st)
		checkChanges(t, before, gen, s)
		s.Write(in[k:])
		if again := s.Text(); again != text {
			t.Fatalf("replay from snapshot differs:\n%q\n%q", text, again)
		}
		s = New(int(cols%200), int(rows%100))
		for piece := int(split%16) + 1; len(in) > 0; in = in[min(piece, len(in)):] {
			before, gen := s.Clone(), s.Gen()
			s.Write(in[:min(piece, len(in))])
			checkChanges(t, before, gen, s)
		}
	})
}

func checkInvariants(t *testing.T, s *Screen) {
	t.Helper()
	if s.x < 0 || s.x > s.cols || s.y < 0 || s.y >= s.rows {
		t.Fatalf("cursor %d,%d outside %dx%d", s.x, s.y, s.cols, s.rows)
	}
	if s.top < 0 || s.bot >= s.rows || s.top > s.bot {
		t.Fatalf("region %d..%d in %d rows", s.top, s.bot, s.rows)
	}
	if len(s.lines) != s.rows {
		t.Fatalf("%d lines for %d rows", len(s.lines), s.rows)
	}
	for y, row := range s.lines {
		if len(row) != s.cols {
			t.Fatalf("row %d has %d cells for %d cols", y, len(row), s.cols)
		}
		for x, c := range row {
			switch c.w {
			case 2:
				if x+1 >= s.cols || row[x+1].w != 0 {
					t.Fatalf("wide char at %d,%d without its tail", x, y)
				}
			case 0:
				if x == 0 || row[x-1].w != 2 {
					t.Fatalf("wide tail at %d,%d without its head", x, y)
				}
			}
		}
	}
}

// checkChanges fails unless every row of s that differs from the same row
// of before (a copy taken when s.Gen() was gen), in a cell or in being
// wrapped, is one RowChanged reports. On a big screen it looks at the
// first rows and the last.
func checkChanges(t *testing.T, before *Screen, gen uint64, s *Screen) {
	t.Helper()
	c, r := s.Size()
	bc, br := before.Size()
	for y := 0; y < r; y++ {
		if c*r > 1<<16 && y >= 8 && y < r-1 {
			continue
		}
		if s.RowChanged(y, gen) {
			continue
		}
		if c != bc || y >= br {
			t.Fatalf("%dx%d -> %dx%d: row %d reported unchanged", bc, br, c, r, y)
		}
		if s.Wrapped(y) != before.Wrapped(y) {
			t.Fatalf("row %d wrapped %v, was %v: reported unchanged", y, s.Wrapped(y), before.Wrapped(y))
		}
		for x := 0; x < c; x++ {
			if got, was := s.Cell(x, y), before.Cell(x, y); got != was {
				t.Fatalf("cell %d,%d is %+v, was %+v: row reported unchanged", x, y, got, was)
			}
		}
	}
}
