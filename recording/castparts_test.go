package recording

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// readAllEvents reads r to its end: the events (data copied), the error
// that ended it (io.EOF at the clean end) and the problems.
func readAllEvents(t *testing.T, r EventReader) ([]Event, error, []*FormatError) {
	t.Helper()
	var evs []Event
	for n := 0; ; n++ {
		if n > 1<<20 {
			t.Fatal("no end to the events")
		}
		ev, err := r.Next()
		if err != nil {
			list, _ := Problems(r)
			return evs, err, list
		}
		ev.Data = append([]byte(nil), ev.Data...)
		evs = append(evs, ev)
	}
}

// castParts reads an asciicast file with a read buffer of bufSize and
// parts of maxData.
func castParts(t *testing.T, file string, bufSize, maxData int) ([]Event, error, []*FormatError) {
	t.Helper()
	c, err := newCastReaderSize(strings.NewReader(file), "t.cast", nil, 0, bufSize, maxData)
	if err != nil {
		t.Fatal(err)
	}
	return readAllEvents(t, c)
}

// joined concatenates consecutive events of one time and kind: what a
// line read in parts was.
func joined(evs []Event) []Event {
	var out []Event
	for _, ev := range evs {
		if n := len(out); n > 0 && out[n-1].Time == ev.Time && out[n-1].Kind == ev.Kind && ev.Kind.split() {
			out[n-1].Data = append(out[n-1].Data, ev.Data...)
			continue
		}
		out = append(out, ev)
	}
	return out
}

// escapeAll writes s as a JSON string with every byte that is not a
// letter escaped, the way a hostile or odd writer may: \u escapes (with
// surrogate pairs beyond the BMP), short escapes, and runs of backslashes.
func escapeAll(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&b, `\u%04X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func longData(n int) string {
	pieces := []string{"abc", "\x1b[0m", "\\", "\"", "é", "😀", "\x1b]0;", "\r\n", "\\\\", "x"}
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(pieces[i*7%len(pieces)])
	}
	return b.String()
}

// A line longer than the read buffer is read in parts of at most maxData
// bytes (an escape may pass it by 3), decoded exactly as a whole line is,
// whatever the escapes and wherever the windows cut them.
func TestLongEventLinesReadInParts(t *testing.T) {
	data := longData(3000)
	quoted, _ := json.Marshal(data)
	encodings := map[string]string{
		"encoding/json": string(quoted),
		"all escaped":   escapeAll(data),
		// termrec's literal backslashes, at every offset after a window.
		"termrec": `"` + strings.Repeat(`a\q\e`, 700) + `"`,
	}
	for name, enc := range encodings {
		for _, sizes := range [][2]int{{16, 1}, {16, 5}, {64, 100}, {100, 7}, {1 << 10, 1 << 20}} {
			file := "{\"version\": 2, \"width\": 80, \"height\": 24}\n" +
				"[0.5, \"o\", \"before\"]\n" +
				"[1.25, \"o\", " + enc + "]\n" +
				"[1.5, \"i\", " + enc + " ] \n" +
				"[2, \"o\", \"after\"]\n"
			want, wantErr, wantProbs := castParts(t, file, readBufSize, MaxEventData)
			got, gotErr, gotProbs := castParts(t, file, sizes[0], sizes[1])
			if wantErr != io.EOF || gotErr != io.EOF {
				t.Fatalf("%s %v: ended with %v and %v", name, sizes, wantErr, gotErr)
			}
			if len(wantProbs) != len(gotProbs) {
				t.Errorf("%s %v: problems %v, read whole %v", name, sizes, gotProbs, wantProbs)
			}
			for _, ev := range got {
				if len(ev.Data) > sizes[1]+3 {
					t.Fatalf("%s %v: a part of %d bytes", name, sizes, len(ev.Data))
				}
			}
			if len(got) <= len(want) && sizes[1] < 100 {
				t.Errorf("%s %v: %d events, not more than the %d read whole", name, sizes, len(got), len(want))
			}
			g := joined(got)
			if len(g) != len(want) {
				t.Fatalf("%s %v: %d events once joined, want %d", name, sizes, len(g), len(want))
			}
			for i := range want {
				if g[i].Time != want[i].Time || g[i].Kind != want[i].Kind || !bytes.Equal(g[i].Data, want[i].Data) {
					t.Fatalf("%s %v: event %d is %v %c %d bytes, want %v %c %d bytes", name, sizes, i,
						g[i].Time, g[i].Kind, len(g[i].Data), want[i].Time, want[i].Kind, len(want[i].Data))
				}
			}
			if name == "encoding/json" && string(want[1].Data) != data {
				t.Fatalf("decoded data differs from what was encoded")
			}
		}
	}
}

// An event of 3 MiB at the real sizes: parts of MaxEventData, nothing
// lost; a v3 file's intervals add up once per line, not per part.
func TestHugeEventInParts(t *testing.T) {
	data := strings.Repeat("0123456789abcdef", 3<<16) // 3 MiB
	for _, v := range []string{
		"{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\", \"" + data + "\"]\n[2, \"o\", \"end\"]\n",
		"{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n[1, \"o\", \"" + data + "\"]\n[1, \"o\", \"end\"]\n",
	} {
		evs, err, probs := castParts(t, v, readBufSize, MaxEventData)
		if err != io.EOF || len(probs) != 0 {
			t.Fatalf("ended with %v, problems %v", err, probs)
		}
		if len(evs) != 4 {
			t.Fatalf("%d events, want 3 parts and the last event", len(evs))
		}
		var got []byte
		for _, ev := range evs[:3] {
			if len(ev.Data) > MaxEventData+3 || ev.Time != time.Second {
				t.Fatalf("part of %d bytes at %v", len(ev.Data), ev.Time)
			}
			got = append(got, ev.Data...)
		}
		if string(got) != data || string(evs[3].Data) != "end" || evs[3].Time != 2*time.Second {
			t.Fatalf("parts do not add up: %d bytes, last %q at %v", len(got), evs[3].Data, evs[3].Time)
		}
	}
}

// Damage in or after a long line: what was returned stands, the rest is
// listed or ends the reading, as for a short line.
func TestLongLineDamage(t *testing.T) {
	const hdr = "{\"version\": 2, \"width\": 80, \"height\": 24}\n"
	long := strings.Repeat("y", 200)
	cases := []struct {
		name, file string
		want       []string // each event as KIND:DATA
		kind       string   // a problem's kind, or the ending error's
		truncated  bool
	}{
		{"cut in its data", hdr + "[1, \"o\", \"" + long, []string{"o:" + long}, ProblemTruncated, true},
		{"cut after its data", hdr + "[1, \"o\", \"" + long + "\"", []string{"o:" + long}, ProblemTruncated, true},
		{"bad end, then an event", hdr + "[1, \"o\", \"" + long + "\", 7]\n[2, \"o\", \"z\"]\n", []string{"o:" + long, "o:z"}, ProblemBadLine, false},
		{"not an event", hdr + "{\"x\": \"" + long + "\"}\n[2, \"o\", \"z\"]\n", []string{"o:z"}, ProblemBadLine, false},
		{"long marker is cut", hdr + "[1, \"m\", \"" + long + "\"]\n", []string{"m:" + long[:50]}, ProblemClamped, false},
		{"long marker with a bad end is skipped", hdr + "[1, \"m\", \"" + long + "\" x]\n[2, \"o\", \"z\"]\n", []string{"o:z"}, ProblemBadLine, false},
		{"unknown code", hdr + "[1, \"q\", \"" + long + "\"]\n[2, \"o\", \"z\"]\n", []string{"o:z"}, "", false},
		{"long resize is cut and read as no size", hdr + "[1, \"r\", \"" + long + "\"]\n", []string{"r:" + long[:50]}, ProblemClamped, false},
	}
	for _, tc := range cases {
		evs, err, probs := castParts(t, tc.file, 32, 50)
		var got []string
		for _, ev := range joined(evs) {
			got = append(got, string(ev.Kind)+":"+string(ev.Data))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: events %q, want %q", tc.name, got, tc.want)
		}
		var fe *FormatError
		switch {
		case tc.truncated:
			if !errors.As(err, &fe) || !fe.Truncated || fe.Kind != tc.kind {
				t.Errorf("%s: ended with %v, want a cut", tc.name, err)
			}
		case err != io.EOF:
			t.Errorf("%s: ended with %v", tc.name, err)
		case tc.kind == "" && len(probs) > 0:
			t.Errorf("%s: problems %v", tc.name, probs)
		case tc.kind != "" && (len(probs) != 1 || probs[0].Kind != tc.kind || probs[0].Line != 2):
			t.Errorf("%s: problems %v, want one %s on line 2", tc.name, probs, tc.kind)
		}
	}
}

// A ttyrec frame longer than the part size comes in parts with its stamp,
// counted once; Stat reads a huge first frame's size announcement without
// holding the frame.
func TestTtyrecFrameInParts(t *testing.T) {
	file := cat(frame(10, 0, "0123456789"), frame(11, 0, "ab"))
	r := NewReader(bytes.NewReader(file), "t.ttyrec")
	var parts []string
	for {
		f, last, err := r.NextPart(3)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%d:%s:%v", f.Sec, f.Data, last))
	}
	if got := strings.Join(parts, " "); got != "10:012:false 10:345:false 10:678:false 10:9:true 11:ab:true" {
		t.Fatalf("parts %s", got)
	}
	if r.Frames() != 2 || r.Bytes() != 12 {
		t.Fatalf("%d frames, %d bytes", r.Frames(), r.Bytes())
	}

	big := "\x1b%G\x1b[8;30;100t" + strings.Repeat("z", 3*MaxEventData)
	path := filepath.Join(t.TempDir(), "big.ttyrec")
	if err := os.WriteFile(path, cat(frame(10, 0, big), frame(12, 0, "end")), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Stat(context.Background(), path, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 2 || st.Header.Cols != 100 || st.Header.Rows != 30 || st.Bytes != int64(len(big)+3) || st.Duration != 2*time.Second {
		t.Fatalf("stat: %d frames, %dx%d, %d bytes, %v", st.Frames, st.Header.Cols, st.Header.Rows, st.Bytes, st.Duration)
	}
	er, err := Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer er.Close()
	evs, rerr, _ := readAllEvents(t, er)
	if rerr != io.EOF || len(evs) != 5 {
		t.Fatalf("%d events, ended with %v", len(evs), rerr)
	}
	var n int
	for _, ev := range evs[:4] {
		if len(ev.Data) > MaxEventData {
			t.Fatalf("an event of %d bytes", len(ev.Data))
		}
		n += len(ev.Data)
	}
	if n != 3*MaxEventData || er.Header().Cols != 100 {
		t.Fatalf("%d bytes of output, header %+v", n, er.Header())
	}
}

// OpenContext stops inside one huge event once its context ends: the next
// read fails with the context's error, long before the event's end.
func TestOpenContextStopsInsideAnEvent(t *testing.T) {
	for _, name := range []string{"huge.cast", "huge.ttyrec"} {
		path := filepath.Join(t.TempDir(), name)
		data := strings.Repeat("A", 12<<20) // ttyrec sniffing takes a first frame under 16 MB
		var file []byte
		if strings.HasSuffix(name, ".cast") {
			file = []byte("{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"\\u001b]0;" + data + "\"]\n")
		} else {
			file = cat(frame(10, 0, "\x1b]0;"+data))
		}
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		r, err := OpenContext(ctx, path, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		cancel()
		var after int
		for {
			ev, err := r.Next()
			if err == nil {
				after += len(ev.Data)
				continue
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: ended with %v, want context.Canceled", name, err)
			}
			break
		}
		// At most what was already buffered: one read buffer and a part.
		if after > readBufSize+MaxEventData+3 {
			t.Fatalf("%s: %d bytes read after the context ended", name, after)
		}
		r.Close()
	}
}

// FuzzCastParts: any bytes read with a tiny buffer and tiny parts never
// give a part over the bound; and any data, encoded by encoding/json or
// escaped byte by byte, read in parts is the data.
func FuzzCastParts(f *testing.F) {
	f.Add([]byte("{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\", \"a\\u001b]0;aaaaaaaaaaaaaaaaaaaaaaaaaa\\ud83d\\ude00\\\\\\\"\"]\n"))
	f.Add([]byte("\x1b]0;\xff\\\"\U0001F600\r\nplain text of some length"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, sizes := range [][2]int{{16, 1}, {16, 4}, {40, 9}} {
			c, err := newCastReaderSize(bytes.NewReader(in), "fuzz", nil, 0, sizes[0], sizes[1])
			if err == nil {
				for n := 0; ; n++ {
					ev, err := c.Next()
					if err != nil {
						break
					}
					if len(ev.Data) > sizes[1]+3 {
						t.Fatalf("part of %d bytes, bound %d", len(ev.Data), sizes[1])
					}
					if n > 2*len(in)+2 {
						t.Fatal("more events than bytes")
					}
				}
			}
			// The same bytes as an event's data.
			s := strings.ToValidUTF8(string(in), "\uFFFD")
			quoted, _ := json.Marshal(s)
			for _, enc := range []string{string(quoted), escapeAll(s)} {
				file := "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.25, \"o\", " + enc + "]\n"
				evs, err, probs := castParts(t, file, sizes[0], sizes[1])
				if err != io.EOF || len(probs) > 0 {
					t.Fatalf("%s: ended with %v, problems %v", enc, err, probs)
				}
				var got []byte
				for _, ev := range evs {
					got = append(got, ev.Data...)
				}
				if string(got) != s || !utf8.Valid(got) {
					t.Fatalf("read %q, want %q (from %s)", got, s, enc)
				}
			}
		}
	})
}
