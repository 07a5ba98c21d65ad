package player

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// FuzzPlay opens any bytes as a recording (ttyrec, nh or asciicast,
// sniffed) and plays it headless, as fast as play goes, under a deadline:
// no panic, no hang, a terminal size within bounds, and every output byte
// played exactly once, in order (the frames play coalesces lose nothing).
// Seeds in testdata/fuzz/FuzzPlay hold the hostile recordings found by
// the fault sweep, small: a 10⁸×10⁸ header, resize storms near 4096×4096,
// CSI bombs, an unterminated OSC, many tiny events, a huge frame length.
func FuzzPlay(f *testing.F) {
	f.Add([]byte("{\"version\": 2, \"width\": 100000000, \"height\": 100000000}\n[0.1, \"o\", \"hi\"]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		path := filepath.Join(t.TempDir(), "rec")
		if err := os.WriteFile(path, in, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		rec, err := Open(ctx, path)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("opening took past the deadline")
		}
		if err != nil {
			return // not a recording: refused, which is fine
		}
		defer rec.Close()
		if rec.Cols < 1 || rec.Rows < 1 || rec.Cols > recording.MaxCols || rec.Rows > recording.MaxRows {
			t.Fatalf("terminal %dx%d", rec.Cols, rec.Rows)
		}
		var want bytes.Buffer
		ev := rec.EventsFrom()
		for {
			e, err := ev.Next()
			if err != nil {
				break
			}
			if e.Kind == recording.Output {
				want.Write(e.Data)
			}
		}
		var got bytes.Buffer
		err = Play(ctx, rec, &got, PlayOptions{Speed: 1e6, IdleLimit: time.Microsecond})
		if err != nil {
			t.Fatalf("play: %v", err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("played %d bytes, the recording has %d", got.Len(), want.Len())
		}
	})
}

// Ctrl-C while a recording loads ends the loading with the context's error.
func TestOpenStopsWhenCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.cast")
	var b bytes.Buffer
	b.WriteString("{\"version\": 2, \"width\": 80, \"height\": 24}\n")
	for range 5000 {
		b.WriteString("[0.001, \"o\", \"x\"]\n")
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, path); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	rec, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if err := rec.Timeline().Seek(ctx, rec.Duration); !errors.Is(err, context.Canceled) {
		t.Fatalf("seek: got %v, want context.Canceled", err)
	}
}
