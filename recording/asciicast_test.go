package recording

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

type evs []Event

func readEvents(t *testing.T, r EventReader) (evs, error) {
	t.Helper()
	var out evs
	for {
		ev, err := r.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return out, err
		}
		ev.Data = append([]byte(nil), ev.Data...)
		out = append(out, ev)
	}
}

func TestCastReaderV2AndV3(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		hdr    Header
		events string // "time kind data" lines
		probs  []string
		damage string
	}{
		{"v2", `{"version": 2, "width": 100, "height": 30, "timestamp": 1700000000, "idle_time_limit": 2.5, "title": "t"}
[0.5, "o", "a\u001b[0m"]
[1.25, "i", "b"]
[2.0, "m", "step 1"]
[3, "r", "81x20"]
[4.0, "z", "unknown code is ignored"]
[5.5e0, "o", "\ud83d\udca9"]
`, Header{Format: "asciicast-v2", Cols: 100, Rows: 30, StartedAt: time.Unix(1700000000, 0).UTC(), IdleLimit: 2500 * time.Millisecond, Title: "t"},
			"500ms o \"a\\x1b[0m\"\n1.25s i \"b\"\n2s m \"step 1\"\n3s r \"81x20\"\n5.5s o \"💩\"\n", nil, ""},
		{"v3 intervals, comments, exit", `{"version": 3, "term": {"cols": 90, "rows": 20, "type": "xterm"}}
# a comment
[0.1, "o", "x"]
[0.2, "o", "y"]

[1.0, "x", "0"]
`, Header{Format: "asciicast-v3", Cols: 90, Rows: 20},
			"100ms o \"x\"\n300ms o \"y\"\n1.3s x \"0\"\n", nil, ""},
		{"invalid line is skipped and named", `{"version": 2, "width": 80, "height": 24}
[1, "o", "a"]
[2, "o", "b
[3, "o", "c"]
`, Header{Format: "asciicast-v2", Cols: 80, Rows: 24}, "1s o \"a\"\n3s o \"c\"\n", []string{"x.cast:3 bad-line"}, ""},
		{"unescaped backslash is repaired", `{"version": 2, "width": 80, "height": 24}
[1, "o", "printf '\e[1m'"]
`, Header{Format: "asciicast-v2", Cols: 80, Rows: 24}, "1s o \"printf '\\\\e[1m'\"\n", []string{"x.cast:2 repaired"}, ""},
		{"trailing comma in the header", `{"version": 2, "width": 20, "height": 5, }
[0, "o", "A"]
`, Header{Format: "asciicast-v2", Cols: 20, Rows: 5}, "0s o \"A\"\n", []string{"x.cast:1 repaired"}, ""},
		{"cut last line", `{"version": 2, "width": 80, "height": 24}
[1, "o", "a"]
[2, "o", "b`, Header{Format: "asciicast-v2", Cols: 80, Rows: 24}, "1s o \"a\"\n", nil, "x.cast:3 truncated"},
		{"last line without newline is fine", `{"version": 2, "width": 80, "height": 24}
[1, "o", "a"]`, Header{Format: "asciicast-v2", Cols: 80, Rows: 24}, "1s o \"a\"\n", nil, ""},
		{"v1", `{"version": 1, "width": 80, "height": 20, "duration": 9,
 "stdout": [[0.5, "a"], [0.25, "b\\"]]}`, Header{Format: "asciicast-v1", Cols: 80, Rows: 20}, "500ms o \"a\"\n750ms o \"b\\\\\"\n", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewEventReader(strings.NewReader(tt.in), "", "x.cast")
			if err != nil {
				t.Fatal(err)
			}
			if h := r.Header(); h != tt.hdr {
				t.Errorf("header %+v\nwant %+v", h, tt.hdr)
			}
			got, err := readEvents(t, r)
			var b strings.Builder
			for _, e := range got {
				b.WriteString(e.Time.String() + " " + string(rune(e.Kind)) + " " + quote(e.Data) + "\n")
			}
			if b.String() != tt.events {
				t.Errorf("events:\n%s\nwant:\n%s", b.String(), tt.events)
			}
			ps, _ := Problems(r)
			var pk []string
			for _, p := range ps {
				pk = append(pk, p.Name+":"+itoa(p.Line)+" "+p.Kind)
			}
			if !equalStrings(pk, tt.probs) {
				t.Errorf("problems %v, want %v", pk, tt.probs)
			}
			var dk string
			var fe *FormatError
			if errors.As(err, &fe) {
				dk = fe.Name + ":" + itoa(fe.Line) + " " + fe.Kind
			} else if err != nil {
				dk = err.Error()
			}
			if dk != tt.damage {
				t.Errorf("damage %q, want %q", dk, tt.damage)
			}
		})
	}
}

func quote(b []byte) string {
	s := strings.ReplaceAll(string(b), "\\", "\\\\")
	s = strings.ReplaceAll(s, "\x1b", "\\x1b")
	return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\""
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Replace(time.Duration(i).String(), "ns", "", 1))
}

func TestCastWriterRoundTrip(t *testing.T) {
	in := evs{
		{0, Output, []byte("\x1b[1mbold\x1b[0m \"q\" \\ tab\t\r\n")},
		{1500 * time.Millisecond, Input, []byte("ls\r")},
		{2 * time.Second, Mark, []byte("step 2")},
		{2 * time.Second, Resize, []byte("100x40")},
		{3*time.Second + 333333*time.Microsecond, Output, []byte("✓ é 💩")},
		{4 * time.Second, Exit, []byte("0")},
	}
	for _, v := range []int{2, 3} {
		var buf bytes.Buffer
		h := Header{Cols: 100, Rows: 40, StartedAt: time.Unix(1700000000, 0).UTC(), IdleLimit: time.Second, Title: "x"}
		w, err := NewCastWriter(&buf, h, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range in {
			if err := w.WriteEvent(e); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		r, err := NewEventReader(&buf, "", "rt.cast")
		if err != nil {
			t.Fatal(err)
		}
		got, err := readEvents(t, r)
		if err != nil {
			t.Fatal(err)
		}
		h.Format = "asciicast-v" + itoa(v)
		if r.Header() != h {
			t.Errorf("v%d header %+v, want %+v", v, r.Header(), h)
		}
		if len(got) != len(in) {
			t.Fatalf("v%d: %d events, want %d", v, len(got), len(in))
		}
		for i := range in {
			if got[i].Time != in[i].Time || got[i].Kind != in[i].Kind || !bytes.Equal(got[i].Data, in[i].Data) {
				t.Errorf("v%d event %d: %v %c %q, want %v %c %q", v, i, got[i].Time, got[i].Kind, got[i].Data, in[i].Time, in[i].Kind, in[i].Data)
			}
		}
	}
}

// v3 stores intervals: writing and reading a long recording of tiny,
// unround intervals must not drift.
func TestCastV3NoDrift(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewCastWriter(&buf, Header{}, 3)
	const n = 100000
	step := 1234567 * time.Nanosecond // 1.234567 ms: not a whole µs
	for i := 1; i <= n; i++ {
		w.WriteEvent(Event{Time: time.Duration(i) * step, Kind: Output, Data: []byte("x")})
	}
	r, _ := NewEventReader(&buf, "", "v3")
	got, err := readEvents(t, r)
	if err != nil || len(got) != n {
		t.Fatalf("%d events, %v", len(got), err)
	}
	want := (time.Duration(n) * step).Round(time.Microsecond)
	if d := got[n-1].Time - want; d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("last event at %v, want %v (drift %v)", got[n-1].Time, want, d)
	}
}

func TestCastWriterCarriesSplitUTF8(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewCastWriter(&buf, Header{}, 2)
	s := []byte("a✓b")
	for i := range s {
		w.WriteEvent(Event{Time: time.Duration(i) * time.Millisecond, Kind: Output, Data: s[i : i+1]})
	}
	w.Close()
	if strings.Contains(buf.String(), `\ufffd`) {
		t.Errorf("a character split across events became U+FFFD:\n%s", buf.String())
	}
	r, _ := NewEventReader(&buf, "", "")
	got, _ := readEvents(t, r)
	var all []byte
	for _, e := range got {
		all = append(all, e.Data...)
	}
	if string(all) != "a✓b" {
		t.Errorf("got %q", all)
	}
}

func TestTextWriter(t *testing.T) {
	var buf bytes.Buffer
	w := &TextWriter{w: &buf}
	for _, s := range []string{"\x1b[?2004h$ ", "ls\r\n\x1b[01;34mbin\x1b", "[0m  \x1b]0;title\x07ok\x1b(B\r\n", "✓ done"} {
		w.WriteEvent(Event{Kind: Output, Data: []byte(s)})
	}
	w.Close()
	if want := "$ ls\nbin  ok\n✓ done\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

// A header or a resize asking for more than a terminal has is read as
// MaxCols×MaxRows, and the reader says so (runbook info lists it).
func TestHostileSizesAreClamped(t *testing.T) {
	in := "{\"version\": 2, \"width\": 100000000, \"height\": 100000000}\n[0.1, \"o\", \"hi\"]\n[0.2, \"r\", \"5000x40\"]\n"
	r, err := NewEventReader(strings.NewReader(in), "", "hostile.cast")
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Cols != MaxCols || h.Rows != MaxRows {
		t.Errorf("header %dx%d", h.Cols, h.Rows)
	}
	var resize string
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if ev.Kind == Resize {
			resize = string(ev.Data)
		}
	}
	if resize != "1000x40" {
		t.Errorf("resize read as %q", resize)
	}
	probs, n := Problems(r)
	if n != 2 || probs[0].Kind != ProblemClamped || !strings.Contains(probs[0].Error(), "terminal size 100000000x100000000 is more than a terminal has: read as 1000x1000") {
		t.Errorf("%d problems: %v", n, probs)
	}
}
