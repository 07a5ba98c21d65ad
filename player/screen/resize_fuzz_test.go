package screen

import (
	"encoding/binary"
	"testing"
)

// FuzzResize applies resize events (any size, hostile ones included)
// between writes: no panic, the size stays within MaxSize, and a resize
// keeps the top-left content and blanks the rest, also when a row grows
// back into cells it had before (rows are reused, not copied). Every row
// an op changed is one RowChanged reports. in is read
// as records: an op byte, then for a resize two uint32 (cols, rows), for
// a write a length byte and that many bytes (see the code for the rest). Seeds live in
// testdata/fuzz/FuzzResize (resize storms near 4096×4096, a 10⁸ size).
func FuzzResize(f *testing.F) {
	f.Add([]byte("\x81\x00\x10\x00\x00\xff\x0f\x00\x00\x01\x05hello\x00\x00\x01\x00\x00\x02\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := New(80, 24)
		for len(in) > 0 {
			prev, gen := s.Clone(), s.Gen()
			op := in[0]
			in = in[1:]
			switch op % 3 {
			case 0: // resize
				if len(in) < 8 {
					return
				}
				cols := int(int32(binary.LittleEndian.Uint32(in)))
				rows := int(int32(binary.LittleEndian.Uint32(in[4:])))
				in = in[8:]
				if op&0x80 == 0 {
					// Mostly small sizes, where the fuzzer explores fast;
					// op's high bit asks for the size as it is (hostile).
					cols, rows = cols%300, rows%300
				}
				before := s.Clone()
				s.Resize(cols, rows)
				checkResized(t, before, s, cols, rows)
			case 1: // write
				if len(in) == 0 {
					return
				}
				n := min(int(in[0]), len(in)-1)
				s.Write(in[1 : 1+n])
				in = in[1+n:]
			case 2: // the alternate screen on or off
				if op&4 != 0 {
					s.WriteString("\x1b[?1049h")
				} else {
					s.WriteString("\x1b[?1049l")
				}
			}
			checkInvariants(t, s)
			checkChanges(t, prev, gen, s)
		}
	})
}

func checkResized(t *testing.T, before, s *Screen, cols, rows int) {
	t.Helper()
	c, r := s.Size()
	if c != clampSize(cols) || r != clampSize(rows) {
		t.Fatalf("resize to %dx%d gave %dx%d", cols, rows, c, r)
	}
	bc, br := before.Size()
	for y := 0; y < r; y++ {
		if c*r > 1<<16 && y >= 8 && y < r-1 {
			// A big screen: its first rows and its last tell as much,
			// in a fraction of the time.
			continue
		}
		for x := 0; x < c; x++ {
			got := s.Cell(x, y)
			if x < bc && y < br {
				want := before.Cell(x, y)
				if x == c-1 && want.Width == 2 {
					want = Cell{Rune: ' ', Width: 1, BG: want.BG}
				}
				if got != want {
					t.Fatalf("resize %dx%d -> %dx%d: cell %d,%d is %+v, was %+v", bc, br, c, r, x, y, got, want)
				}
			} else if got.Rune != ' ' || got.Width != 1 || got.Combining != "" || !got.BG.IsDefault() || got.Attrs != 0 {
				t.Fatalf("resize %dx%d -> %dx%d: new cell %d,%d is not blank: %+v", bc, br, c, r, x, y, got)
			}
		}
	}
}
