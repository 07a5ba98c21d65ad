package handrec

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/recording"
)

// keys is a keyboard the test types on.
type keys struct{ ch chan []byte }

func (k *keys) Read(ctx context.Context, p []byte) (int, error) {
	select {
	case b := <-k.ch:
		return copy(p, b), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// screen is the display: everything shown, to wait on.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

type recSession struct {
	t     *testing.T
	keys  *keys
	scr   *screen
	done  chan struct{}
	res   *Result
	err   error
	clock *recording.ManualClock
}

func startRec(t *testing.T, o Options) *recSession {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home) // no login files of the machine's user
	t.Setenv("ENV", "")
	s := &recSession{t: t, keys: &keys{ch: make(chan []byte, 16)}, scr: &screen{}, done: make(chan struct{})}
	if o.Target == nil {
		l := target.NewLocal()
		t.Cleanup(func() { l.Close() })
		o.Target = l
	}
	o.Keys, o.Display = s.keys, s.scr
	if c, ok := o.Clock.(*recording.ManualClock); ok {
		s.clock = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	go func() {
		defer close(s.done)
		s.res, s.err = Record(ctx, o)
	}()
	return s
}

func (s *recSession) typ(text string) { s.keys.ch <- []byte(text) }

// wait waits until the display has shown want n times in all.
func (s *recSession) wait(want string, n int) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(s.scr.String(), want) < n {
		if time.Now().After(deadline) {
			s.t.Fatalf("%q never shown %d times; the display had:\n%s", want, n, s.scr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// prompt waits for the shell's first prompt (the user's, $ or #).
func (s *recSession) prompt() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := strings.TrimRight(s.scr.String(), " ")
		if strings.HasSuffix(out, "$") || strings.HasSuffix(out, "#") {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no prompt; the display had:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *recSession) end() {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("rec did not end; the display had:\n%s", s.scr.String())
	}
	if s.err != nil {
		s.t.Fatalf("Record: %v", s.err)
	}
}

// The seed case: the guide's author paused his recording for 90 s and
// termrec kept the gap. Paused here, with a fake clock moving 90 s while
// paused and 90 s more while idle, the recording has no gap over the idle
// limit, and the index lists the cut pause.
func TestPauseCutsTime(t *testing.T) {
	clock := recording.NewManualClock(time.Date(2024, 5, 1, 15, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "r.ttyrec")
	s := startRec(t, Options{Path: path, Cols: 80, Rows: 24, IdleLimit: 2 * time.Second, Clock: clock, Nonce: "0123456789abcdef01234567"})
	s.prompt()
	// Outputs differ from the typed line, so waiting for one waits
	// for the command, not its echo. Not for the line end after it: the
	// status line may be drawn again in between.
	s.typ("echo one-$((1))\r")
	s.wait("one-1", 1)
	s.typ("\x1cp")
	s.wait("PAUSED", 1)
	clock.Advance(90 * time.Second)
	s.typ("echo hidden-while-$((2))\r")
	s.wait("hidden-while-2", 1)
	s.typ("\x1cp")
	s.wait("recording again", 1)
	clock.Advance(90 * time.Second) // idle, not paused: cut to the limit
	s.typ("echo two-$((3))\r")
	s.wait("two-3", 1)
	s.typ("exit\r")
	s.end()

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := recording.NewReader(f, path)
	var last time.Duration
	var all []byte
	first := true
	for {
		fr, err := rd.Next()
		if err != nil {
			break
		}
		if !first && fr.Time()-last > 2*time.Second {
			t.Errorf("a gap of %s before %q: over the idle limit", fr.Time()-last, fr.Data)
		}
		first = false
		last = fr.Time()
		all = append(all, fr.Data...)
	}
	if bytes.Contains(all, []byte("hidden-while")) {
		t.Errorf("output shown while paused was recorded")
	}
	if !bytes.Contains(all, []byte("two-3")) {
		t.Errorf("output after the pause not recorded: %q", all)
	}
	ix, err := recording.ReadIndex(recording.IndexPath(path))
	if err != nil {
		t.Fatal(err)
	}
	var paused, idle time.Duration
	for _, p := range ix.Pauses {
		switch p.Reason {
		case "paused":
			paused += p.Cut.Duration()
		case "idle":
			idle += p.Cut.Duration()
		}
	}
	if paused != 90*time.Second || idle != 88*time.Second {
		t.Errorf("pauses %+v: want 90 s paused and 88 s idle cut", ix.Pauses)
	}
	var texts []string
	for _, c := range ix.Hand.Commands {
		texts = append(texts, c.Text)
	}
	if got := strings.Join(texts, "|"); got != "echo one-$((1))|echo two-$((3))|exit" {
		t.Errorf("commands %q: want the ones recorded, none typed while paused", got)
	}
	if s.res.Paused != 90*time.Second {
		t.Errorf("result says %s paused", s.res.Paused)
	}
}
