package recording

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A two-command session as the engine records it: the prompt, the echo
// of the typed command with its output, the next prompt.
func pacedSession() ([]Event, *Index) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	evs := []Event{
		{Time: 0, Kind: Output, Data: []byte("$ ")},
		{Time: ms(10), Kind: Output, Data: []byte("echo hello\r\nhello\r\n")},
		{Time: ms(12), Kind: Output, Data: []byte("$ ")},
		{Time: ms(20), Kind: Output, Data: []byte("\x1b[1mls\x1b[0m -l\r\n")},
		{Time: ms(25), Kind: Output, Data: []byte("a\r\nb\r\nc\r\n$ ")},
	}
	ix := &Index{Version: 1, IdleLimit: 2, Steps: []Step{
		{N: 1, Name: "one", Start: 0.005, End: 0.013, Comments: []string{"Say hello to the world."},
			Commands: []Command{{Text: "echo hello", Start: 0.01, End: 0.012, Output: NewBlob([]byte("hello\n"))}}},
		{N: 2, Name: "two", Start: 0.015, End: 0.026,
			Commands: []Command{{Text: "ls -l", Start: 0.02, End: 0.025, Output: NewBlob([]byte("a\nb\nc\n"))}}},
	}, Markers: []Marker{{At: 0.02, Label: "m"}}}
	return evs, ix
}

func TestPaceHuman(t *testing.T) {
	evs, ix := pacedSession()
	out, pix := PaceHuman(evs, ix)

	// Nothing is lost: the same bytes, in the same order.
	var in, got bytes.Buffer
	for _, e := range evs {
		in.Write(e.Data)
	}
	for i, e := range out {
		got.Write(e.Data)
		if i > 0 && e.Time < out[i-1].Time {
			t.Fatalf("event %d at %v goes back from %v", i, e.Time, out[i-1].Time)
		}
	}
	if in.String() != got.String() {
		t.Fatalf("paced bytes differ:\n%q\n%q", got.String(), in.String())
	}
	// Each command is typed a character at a time: "echo hello" is ten
	// keystrokes, "ls -l" five (its escape sequences go with them).
	var typedEcho, typedLs int
	counter := &typedEcho
	for _, e := range out {
		switch {
		case bytes.Contains(e.Data, []byte("hello\r\n")):
			counter = &typedLs
		case bytes.Contains(e.Data, []byte("\n")), string(e.Data) == "$ ":
		default:
			*counter++
		}
	}
	// echo hello: ten characters and the Enter; ls -l: five and the Enter
	// (an escape sequence goes with the character after it).
	if typedEcho != 11 || typedLs != 6 {
		t.Errorf("keystrokes: %d for echo hello, %d for ls -l; want 11 and 6", typedEcho, typedLs)
	}
	// Human pace: seconds, not milliseconds; the first command waits for
	// the narration to be read, each output is held before the next.
	end := out[len(out)-1].Time
	if end < 3*time.Second || end > 20*time.Second {
		t.Errorf("paced length %v, want seconds", end)
	}
	c1, c2 := pix.Steps[0].Commands[0], pix.Steps[1].Commands[0]
	if c1.Start.Duration() < paceBefore+4*paceWord {
		t.Errorf("the first command starts at %v, before the narration could be read", c1.Start.Duration())
	}
	if gap := c2.Start.Duration() - c1.End.Duration(); gap < minRead+paceBefore {
		t.Errorf("the first output is on screen %v before the next command, want at least %v", gap, minRead+paceBefore)
	}
	// The index moves with the events: steps in order, each command
	// within its step, the marker where its command is typed.
	for i, s := range pix.Steps {
		for _, c := range s.Commands {
			if c.Start < s.Start || c.End > s.End || c.End < c.Start {
				t.Errorf("step %d [%v, %v] command [%v, %v]", i+1, s.Start, s.End, c.Start, c.End)
			}
		}
		if i > 0 && s.Start < pix.Steps[i-1].End {
			t.Errorf("step %d starts at %v before step %d ends at %v", i+1, s.Start, i, pix.Steps[i-1].End)
		}
	}
	if pix.IdleLimit != 0 {
		t.Errorf("a paced index keeps idle limit %v: its pauses are deliberate", pix.IdleLimit)
	}
	if ix.Steps[0].Start != 0.005 || ix.Markers[0].At != 0.02 {
		t.Error("the original index was changed")
	}
	// The typed echo shows where the index says the command starts: the
	// first keystroke at the command's start.
	for _, e := range out {
		if strings.HasPrefix(string(e.Data), "e") {
			if d := e.Time - c1.Start.Duration(); d < 0 || d > time.Millisecond {
				t.Errorf("the first keystroke at %v, the command starts at %v", e.Time, c1.Start.Duration())
			}
			break
		}
	}
}

func TestTypedPieces(t *testing.T) {
	ps := typedPieces([]byte("\x1b[1mls\x1b[0m é\r\nout\r\n"))
	var s []string
	for _, p := range ps {
		s = append(s, string(p))
	}
	want := []string{"\x1b[1ml", "s", "\x1b[0m ", "é", "\r", "\nout\r\n"}
	if strings.Join(s, "|") != strings.Join(want, "|") {
		t.Errorf("pieces %q, want %q", s, want)
	}
}
