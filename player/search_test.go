package player

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// TestPlaySearch: / finds text that scrolled away and shows the screen it
// was printed to, paused; n and N go through the matches, round the end.
func TestPlaySearch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.ttyrec")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := recording.NewEventWriter(f, "ttyrec", recording.Header{Cols: 40, Rows: 5})
	if err != nil {
		t.Fatal(err)
	}
	data := []string{"$ ls\r\nNOTES.txt  run.sh\r\n$ ", "seq 10\r\n", "", "$ cat notes.txt\r\nremember the notes\r\n$ "}
	var seq strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&seq, "%d\r\n", i)
	}
	data[2] = seq.String()
	for i, d := range data {
		if err := w.WriteEvent(recording.Event{Time: time.Duration(i) * time.Second, Kind: recording.Output, Data: []byte(d)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
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
	for _, k := range []string{"/", "nox", "\x7f", "tes\r", "n", "n", "N", "/zzz\r", "q"} {
		typ.Write([]byte(k))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/", "/n", "/no", "/nox", "/no", "/not", "/note", "/notes",
		"/notes: 1 of 3: NOTES.txt  run.sh",
		"/notes: 2 of 3: $ cat notes.txt",
		"/notes: 3 of 3: remember the notes",
		"/notes: 2 of 3: $ cat notes.txt",
		"/", "/z", "/zz", "/zzz", "/zzz: not found (paused)",
	}
	if got := strings.Join(notes, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("status lines:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	// The first match scrolled away by the end: its screen was redrawn.
	if !strings.Contains(out.String(), "NOTES.txt") {
		t.Error("the first match's screen was not drawn")
	}
}
