package recording

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Benchmarks of the readers and writers on ~20 MB of realistic terminal
// output; bench/run.sh compares the commands with the peer tools.

var (
	benchOnce   sync.Once
	benchTtyrec []byte
	benchCast   []byte
)

func benchInputs(b *testing.B) ([]byte, []byte) {
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		var buf bytes.Buffer
		c := NewManualClock(t0)
		w, _ := NewWriter(&buf, WriterOptions{Cols: 120, Rows: 40, Clock: c})
		chunk := make([]byte, 0, 4096)
		for buf.Len() < 20<<20 {
			chunk = chunk[:0]
			for len(chunk) < 200+r.IntN(3800) {
				chunk = fmt.Appendf(chunk, "\x1b[01;3%dm%s\x1b[0m Setting up “x” ✓ %d\r\n", r.IntN(8), "linux-image-amd64", r.IntN(1e6))
			}
			c.Advance(time.Duration(r.IntN(300)) * time.Millisecond)
			w.Write(chunk)
		}
		w.Close()
		benchTtyrec = buf.Bytes()
		var cast bytes.Buffer
		src, _ := NewEventReader(bytes.NewReader(benchTtyrec), "ttyrec", "bench")
		cw, _ := NewEventWriter(&cast, "asciicast-v2", src.Header())
		copyAll(src, cw)
		benchCast = cast.Bytes()
	})
	return benchTtyrec, benchCast
}

func copyAll(r EventReader, w EventWriter) error {
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return w.Close()
		}
		if err != nil {
			return err
		}
		if err := w.WriteEvent(ev); err != nil {
			return err
		}
	}
}

func benchConvert(b *testing.B, in []byte, from, to string) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r, err := NewEventReader(bytes.NewReader(in), from, "bench")
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(io.Discard, 256<<10)
		w, err := NewEventWriter(bw, to, r.Header())
		if err != nil {
			b.Fatal(err)
		}
		if err := copyAll(Retime(r, RetimeOptions{}), w); err != nil {
			b.Fatal(err)
		}
		bw.Flush()
	}
}

func BenchmarkTtyrecToCast(b *testing.B) {
	tr, _ := benchInputs(b)
	benchConvert(b, tr, "ttyrec", "asciicast-v2")
}

func BenchmarkCastToRaw(b *testing.B) {
	_, cast := benchInputs(b)
	benchConvert(b, cast, "asciicast", "raw")
}

func BenchmarkCastToTtyrec(b *testing.B) {
	_, cast := benchInputs(b)
	benchConvert(b, cast, "asciicast", "ttyrec")
}

func BenchmarkStatTtyrec(b *testing.B) {
	tr, _ := benchInputs(b)
	p := filepath.Join(b.TempDir(), "x.ttyrec")
	os.WriteFile(p, tr, 0o644)
	b.SetBytes(int64(len(tr)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Stat(context.Background(), p, "", 3); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	p := bytes.Repeat([]byte("Setting up linux-image ✓ \x1b[0m\r\n"), 64)
	w, _ := NewWriter(io.Discard, WriterOptions{Clock: NewManualClock(t0)})
	b.SetBytes(int64(len(p)))
	for i := 0; i < b.N; i++ {
		w.Write(p)
	}
}
