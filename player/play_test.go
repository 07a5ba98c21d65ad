package player

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPlayWritesTheRecordedBytes(t *testing.T) {
	path := filepath.Join(corpusDir, "ttyrec.ttyrec")
	needFile(t, path)
	r, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var want bytes.Buffer
	ev := r.EventsFrom()
	for {
		e, err := ev.Next()
		if err != nil {
			break
		}
		want.Write(e.Data)
	}
	var got bytes.Buffer
	if err := Play(context.Background(), r, &got, PlayOptions{Speed: 64, IdleLimit: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("played %d bytes, recorded %d", got.Len(), want.Len())
	}
}

// safeBuffer is written by Play and read by the test.
type safeBuffer struct {
	mu chan struct{}
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.String()
}

func TestPlayKeys(t *testing.T) {
	path := filepath.Join(corpusDir, "ttyrec.ttyrec")
	needFile(t, path)
	r, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	keys, typ := io.Pipe()
	out := &safeBuffer{mu: make(chan struct{}, 1)}
	var notes []string
	done := make(chan error, 1)
	go func() {
		done <- Play(context.Background(), r, out, PlayOptions{Keys: keys, Status: func(s string) { notes = append(notes, s) }})
	}()
	// Pause, then jump 5 s forward twice (past the vi session), then
	// step one frame, speed up, and quit.
	for _, k := range []string{" ", "\x1b[C", "\x1b[C", ".", "+", "q"} {
		typ.Write([]byte(k))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\x1b[H\x1b[2J") {
		t.Errorf("seeking did not redraw the screen")
	}
	// After the seeks the redraw shows the screen at 10 s: the listing
	// of /usr from the 3 s command, left by vi's alternate screen.
	want, _ := r.ScreenAt(context.Background(), 10*time.Second)
	if !strings.Contains(out.String(), strings.Fields(want.Line(0))[0]) {
		t.Errorf("redraw does not show the screen at 10 s (%q)", want.Line(0))
	}
	if strings.Join(notes, ",") != "paused,speed 2x" {
		t.Errorf("status notes %q", notes)
	}
}
