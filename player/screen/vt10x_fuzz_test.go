package screen

import "testing"

// FuzzVT10X feeds arbitrary bytes, split at an arbitrary point, to the
// guarded vt10x at an arbitrary small size: vt10x must not panic behind
// the guards (recovery is the last resort, not the plan), must not hang
// (the fuzzer reports slow inputs), and a split must read like the whole.
// Seeds live in testdata/fuzz/FuzzVT10X.
func FuzzVT10X(f *testing.F) {
	f.Add([]byte("x\x1b[-1@x\x1b[9223372036854775807P\x1b[99999999999Z"), uint16(3), uint8(5), uint8(3))
	f.Add([]byte("\x1b)0\x0eqqq\x0f\x1b[?1049l\x1bc\x1b[1J\x1b[4h中💩e\u0301"), uint16(9), uint8(2), uint8(2))
	f.Add([]byte("\x1b[38:2::1:2:3m\x1b[2;3r\x1b[?6h\x1b[5L\x1b[5M\x1bM\x1bD\x1b#8"), uint16(0), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, split uint16, cols, rows uint8) {
		c, r := int(cols%200), int(rows%100)
		v, err := NewVT10X(c, r)
		if c == 0 || r == 0 {
			if err == nil {
				t.Fatalf("NewVT10X(%d, %d) accepted", c, r)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		k := min(int(split), len(in))
		v.Write(in[:k])
		v.Write(in[k:])
		noPanics(t, v)
		x, y, _ := v.Cursor()
		if x < 0 || x >= c || y < 0 || y >= r {
			t.Fatalf("cursor %d,%d outside %dx%d", x, y, c, r)
		}
		whole, _ := NewVT10X(c, r)
		whole.Write(in)
		noPanics(t, whole)
		if got, want := v.Text(), whole.Text(); got != want {
			t.Fatalf("split at %d reads differently:\n%q\n%q", k, got, want)
		}
	})
}
