package player

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func ttyrecFrame(sec, usec uint32, data string) []byte {
	b := make([]byte, 12, 12+len(data))
	binary.LittleEndian.PutUint32(b[0:], sec)
	binary.LittleEndian.PutUint32(b[4:], usec)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(data)))
	return append(b, data...)
}

// FuzzPlay drives play without a terminal: whatever the bytes, opening
// them either refuses them or gives a recording that plays to its end
// before a deadline (at a high speed with a short idle limit, so time in
// the recording costs nothing). A hang in the reader, the emulator or
// the play loop fails it. Seeds: testdata/fuzz/FuzzPlay.
func FuzzPlayNeverHangs(f *testing.F) {
	f.Add([]byte("{\"version\": 2, \"width\": 20, \"height\": 5}\n[0.5, \"o\", \"hi\\u001b[99999999999I\\u001b[99999999999Z\"]\n[3600, \"o\", \"x\"]\n"))
	f.Add([]byte("{\"version\": 2, \"width\": 0, \"height\": -3}\n[0.5, \"o\", \"x\\u001b[-1@\\u001b[9223372036854775807P\"]\n"))
	f.Add(append(ttyrecFrame(10, 0, "\x1b%G\x1b[8;24;80t"), ttyrecFrame(4000000000, 999999, "\x1b[?1049l\x1bc")...))
	f.Add([]byte("\x00\x00\x00\x00\x00a\x00\xff\xff\xff\x00b"))
	f.Add([]byte("{\"version\": 1, \"width\": 80, \"height\": 24, \"stdout\": [[1e300, \"a\"], [-5, \"b\"]]}"))
	f.Add([]byte("# c\n{\"version\": 3, \"term\": {\"cols\": 2, \"rows\": 1}}\n[1e9, \"o\", \"x\"]\n[0.1, \"r\", \"100000x100000\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rec, err := Open(context.Background(), p)
		if err != nil {
			return
		}
		defer rec.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err = Play(ctx, rec, io.Discard, PlayOptions{Speed: 1000, IdleLimit: time.Millisecond})
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("play did not end within 20 s (%d events, %v long)", rec.Events, rec.Duration)
		}
	})
}
