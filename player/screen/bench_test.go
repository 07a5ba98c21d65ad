package screen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hinshun/vt10x"
)

// benchInput is the output of the realworld and corpus recordings
// concatenated: shell sessions, vi, top and a 2.8 MB base64 flood.
func benchInput(b *testing.B) ([]byte, int, int) {
	var all bytes.Buffer
	for _, p := range []string{
		filepath.Join(corpusDir, "asciinema.cast"),
		filepath.Join(realworldDir, "asciinema-server-welcome.v2.cast"),
		filepath.Join(realworldDir, "asciinema-server-big.v3.cast"),
	} {
		if _, err := os.Stat(p); err != nil {
			b.Skipf("bench input: %v", err)
		}
		_, _, frames := readFrames(b, p)
		for _, f := range frames {
			all.Write(f.data)
		}
	}
	return all.Bytes(), 160, 76
}

// BenchmarkWrite measures emulator throughput, fed in 4 KB writes like a
// pty read loop. bench/emulator.sh runs the same bytes through xterm.js
// headless and tmux for the ratios.
func BenchmarkWrite(b *testing.B) {
	data, cols, rows := benchInput(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s := New(cols, rows)
		for off := 0; off < len(data); off += 4096 {
			s.Write(data[off:min(off+4096, len(data))])
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	s := New(160, 76)
	s.WriteString("\x1b[?1049hsome text")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Restore(s.Snapshot())
	}
}

// BenchmarkVT10x is the same input through bare vt10x, the emulator this
// package replaced (docs/emulator.md), for the ratio.
func BenchmarkVT10x(b *testing.B) {
	data, cols, rows := benchInput(b)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		t := vt10x.New(vt10x.WithSize(cols, rows))
		for off := 0; off < len(data); off += 4096 {
			t.Write(data[off:min(off+4096, len(data))])
		}
	}
}

// BenchmarkVT10XGuarded is the same input through the guarded vt10x
// (--emulator vt10x): bare vt10x's cost plus the guards'.
func BenchmarkVT10XGuarded(b *testing.B) {
	data, cols, rows := benchInput(b)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		v, err := NewVT10X(cols, rows)
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); off += 4096 {
			v.Write(data[off:min(off+4096, len(data))])
		}
	}
}
