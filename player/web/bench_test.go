package web

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkFrames measures how fast output becomes the page's frames
// (emulator plus snapshots), in MB/s of terminal output: a shell printing
// coloured lines at 80x24, one event per line.
func BenchmarkFrames(b *testing.B) {
	var events [][]byte
	var size int64
	for i := range 5000 {
		e := []byte(fmt.Sprintf("\x1b[3%dmline %d\x1b[0m of some output with words in it %d\r\n", i%8, i, i*7))
		events = append(events, e)
		size += int64(len(e))
	}
	b.SetBytes(size)
	for range b.N {
		f := NewFrames(80, 24)
		for i, e := range events {
			f.Output(float64(i)*0.001, e)
		}
		m := &Movie{Cols: 80, Rows: 24, Duration: 5, Frames: f.List()}
		if err := WritePage(io.Discard, m); err != nil {
			b.Fatal(err)
		}
	}
}
