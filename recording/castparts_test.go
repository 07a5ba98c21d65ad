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

	"github.com/runbook-dev/runbook/internal/shared"
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
	if readBufSize > MaxEventData {
		t.Fatalf("a line shorter than the %d-byte buffer is read whole: MaxEventData (%d) must not be smaller", readBufSize, MaxEventData)
	}
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

// FuzzCastParts: any bytes read with a tiny buffer and tiny parts, or as a
// streamed v1 document, never give a part over the bound; a v1 document
// that reads whole without a problem streams to the same events; and any
// data, encoded by encoding/json or escaped byte by byte, read in parts is
// the data.
func FuzzCastParts(f *testing.F) {
	f.Add([]byte("{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\", \"a\\u001b]0;aaaaaaaaaaaaaaaaaaaaaaaaaa\\ud83d\\ude00\\\\\\\"\"]\n"))
	f.Add([]byte("\x1b]0;\xff\\\"\U0001F600\r\nplain text of some length"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, evs, serr, _ := v1Streamed(t, string(in), 4)
		for _, ev := range evs {
			if len(ev.Data) > 7 {
				t.Fatalf("v1 stream: part of %d bytes", len(ev.Data))
			}
		}
		if c, err := newCastReaderSize(bytes.NewReader(in), "fuzz", nil, 0, readBufSize, 4); err == nil && c.version == 1 && utf8.Valid(in) {
			want, werr, wprobs := readAllEvents(t, c)
			if werr == io.EOF && len(wprobs) == 0 && serr == io.EOF {
				g, w := joined(evs), joined(want)
				if len(g) != len(w) {
					t.Fatalf("v1 stream: %d events, whole %d", len(g), len(w))
				}
				for i := range w {
					if g[i].Time != w[i].Time || !bytes.Equal(g[i].Data, w[i].Data) {
						t.Fatalf("v1 stream: event %d %v %q, whole %v %q", i, g[i].Time, g[i].Data, w[i].Time, w[i].Data)
					}
				}
			}
		}
		for _, sizes := range [][2]int{{16, 1}, {16, 4}, {40, 9}} {
			c, err := newCastReaderSize(bytes.NewReader(in), "fuzz", nil, 0, sizes[0], sizes[1])
			if err == nil {
				for n := 0; ; n++ {
					ev, err := c.Next()
					if err != nil {
						break
					}
					// A line shorter than the buffer is read whole (the
					// real buffer is smaller than MaxEventData).
					if len(ev.Data) > max(sizes[1]+3, sizes[0]) {
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

// v1Streamed reads doc as a v1 document too large to read whole would be
// read (a stream), with parts of maxData.
func v1Streamed(t *testing.T, doc string, maxData int) (Header, []Event, error, []*FormatError) {
	t.Helper()
	c := &castReader{name: "t.json", maxData: maxData}
	if err := c.startV1Stream(strings.NewReader(doc)); err != nil {
		return Header{}, nil, err, nil
	}
	evs, err, probs := readAllEvents(t, c)
	return c.Header(), evs, err, probs
}

// A v1 document read as a stream reads as it does whole: the same header
// (from the keys before "stdout", where asciinema writes them), the same
// events once parts are joined, whatever the layout, escapes and sizes.
func TestV1StreamReadsAsWhole(t *testing.T) {
	data := longData(5000)
	quoted, _ := json.Marshal(data)
	docs := map[string]string{
		"one line": `{"version":1,"width":100,"height":30,"title":"t","stdout":[[0.5,"a"],[0.25,` + string(quoted) + `],[1e-1,""]]}`,
		"pretty":   "{\n  \"version\": 1,\n  \"width\": 90,\n  \"height\": 25,\n  \"env\": {\"TERM\": \"xterm\", \"X\": [1, {\"y\": \"}]\"}]},\n  \"stdout\": [\n    [\n      0.5,\n      " + escapeAll(data) + "\n    ],\n    [0.1, \"\\u003e \"]\n  ]\n}\n",
		"termrec":  "{\"version\":1, \"width\":80, \"height\":24, \"timestamp\":1795561250, \"stdout\":[\n[0.1, \"a\\qb\"],\n[0.2, \"c\"],\n]}\n",
		"skipped":  `{"version": 1, "width": 80, "height": 24, "stdout": [[0.5, "a"], "odd", [0.25], [0.1, 7], [{"x": [1]}, "y"], [0.5, "b"]]}`,
		"empty":    `{"version": 1, "width": 80, "height": 24, "stdout": []}`,
	}
	if d := shared.Dir(); d != "" {
		for _, f := range []string{"corpus/termrec.cast-v1", "realworld/asciinema-server-welcome.v1.json"} {
			if b, err := os.ReadFile(filepath.Join(d, f)); err == nil {
				docs[f] = string(b)
			}
		}
	}
	for name, doc := range docs {
		c, err := newCastReaderSize(strings.NewReader(doc), "t.json", nil, 0, readBufSize, MaxEventData)
		if err != nil {
			t.Fatalf("%s: whole: %v", name, err)
		}
		want, wantErr, wantProbs := readAllEvents(t, c)
		for _, maxData := range []int{1, 7, MaxEventData} {
			hd, got, err, probs := v1Streamed(t, doc, maxData)
			if err != wantErr || len(probs) != len(wantProbs) {
				t.Errorf("%s/%d: ended with %v, problems %v; whole: %v, %v", name, maxData, err, probs, wantErr, wantProbs)
			}
			if hd != c.Header() {
				t.Errorf("%s/%d: header %+v, whole %+v", name, maxData, hd, c.Header())
			}
			for _, ev := range got {
				if len(ev.Data) > maxData+3 {
					t.Fatalf("%s/%d: a part of %d bytes", name, maxData, len(ev.Data))
				}
			}
			g := joined(got)
			if len(g) != len(joined(want)) {
				t.Fatalf("%s/%d: %d events joined, whole %d", name, maxData, len(g), len(joined(want)))
			}
			for i, w := range joined(want) {
				if g[i].Time != w.Time || g[i].Kind != w.Kind || !bytes.Equal(g[i].Data, w.Data) {
					t.Fatalf("%s/%d: event %d: %v %q, whole %v %q", name, maxData, i, g[i].Time, g[i].Data, w.Time, w.Data)
				}
			}
		}
	}
}

// A v1 document cut, or damaged, while streamed: the entries before stand.
func TestV1StreamDamage(t *testing.T) {
	for _, tc := range []struct{ doc, want, kind string }{
		{`{"version": 1, "width": 80, "height": 24, "stdout": [[0.5, "ab"], [0.5, "cd`, "ab", ProblemTruncated}, // a cut entry is dropped, as a cut line
		{`{"version": 1, "width": 80, "height": 24, "stdout": [[0.5, "ab"], [0.5, "cd"]`, "ab|cd", ProblemTruncated},
		{`{"version": 1, "width": 80, "height": 24, "stdout": [[0.5, "ab"] [0.5, "cd"]]}`, "ab", ProblemDamaged},
	} {
		_, evs, err, _ := v1Streamed(t, tc.doc, MaxEventData)
		var got []string
		for _, ev := range evs {
			got = append(got, string(ev.Data))
		}
		var fe *FormatError
		if strings.Join(got, "|") != tc.want || !errors.As(err, &fe) || fe.Kind != tc.kind {
			t.Errorf("%s: %q, ended with %v; want %q and %s", tc.doc, got, err, tc.want, tc.kind)
		}
	}
	// Not a v1 document at all: no "stdout", another version.
	if _, _, err, _ := v1Streamed(t, `{"version": 2, "width": 80}`, 10); err == nil {
		t.Error("a version 2 object read as v1")
	}
}

// A v1 document over v1WholeMax is streamed: an entry of 12 MiB comes in
// parts of MaxEventData, the header is right, through Open too.
func TestV1HugeDocument(t *testing.T) {
	big := strings.Repeat("v1 data \\u001b[0m ", 12<<20/18)
	doc := "{\"version\": 1, \"width\": 132, \"height\": 43, \"title\": \"big\",\n \"stdout\": [[0.5, \"start\"], [1.5, \"" + big + "\"], [0.25, \"end\"]]}\n"
	for _, oneLine := range []bool{true, false} {
		d := doc
		if oneLine {
			d = strings.ReplaceAll(doc, "\n", "")
		}
		path := filepath.Join(t.TempDir(), "big.json")
		if err := os.WriteFile(path, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path, "")
		if err != nil {
			t.Fatal(err)
		}
		if c := r.(*castReader); c.v1s == nil {
			t.Fatalf("one line %v: a %d MB document read whole", oneLine, len(d)>>20)
		}
		evs, rerr, probs := readAllEvents(t, r)
		r.Close()
		if rerr != io.EOF || len(probs) > 0 {
			t.Fatalf("ended with %v, problems %v", rerr, probs)
		}
		if h := r.Header(); h.Cols != 132 || h.Rows != 43 || h.Title != "big" || h.Format != "asciicast-v1" {
			t.Errorf("header %+v", h)
		}
		var n int
		for _, ev := range evs[1 : len(evs)-1] {
			if len(ev.Data) > MaxEventData+3 || ev.Time != 2*time.Second {
				t.Fatalf("a part of %d bytes at %v", len(ev.Data), ev.Time)
			}
			n += len(ev.Data)
		}
		if want := len(strings.ReplaceAll(big, `\u001b`, "\x1b")); n != want || string(evs[len(evs)-1].Data) != "end" {
			t.Fatalf("%d bytes in parts, want %d; last %q", n, want, evs[len(evs)-1].Data)
		}
	}
}
