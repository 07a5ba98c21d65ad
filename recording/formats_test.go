package recording

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Every row of the format table does what it claims: a writable format
// writes a small recording that, when its family is readable, reads back
// with the same output; a readable one is reachable by name, by every
// alias and by its extensions; every name is one Open and NewEventWriter
// accept or refuse consistently.
func TestEveryFormatDoesWhatItClaims(t *testing.T) {
	h := Header{Cols: 80, Rows: 24, StartedAt: time.Unix(1700000000, 0)}
	evs := []Event{{Time: 0, Kind: Output, Data: []byte("hello ")}, {Time: time.Second, Kind: Output, Data: []byte("wörld\r\n")}}
	readable, writable := 0, 0
	for _, f := range AllFormats() {
		for _, n := range append([]string{f.Name}, f.Aliases...) {
			g, err := LookupFormat(strings.ToUpper(n))
			if err != nil || g != f {
				t.Errorf("%s: alias %s finds %v, %v", f.Name, n, g, err)
			}
		}
		for _, e := range f.Exts {
			if got := FormatOf("x" + e); got != f.Name {
				t.Errorf("%s: FormatOf(x%s) = %q", f.Name, e, got)
			}
		}
		for _, e := range f.OutExt {
			if got := OutputFormatOf("x" + e); got != f.Name && !(e == ".cast" && got == "asciicast-v2") {
				t.Errorf("%s: OutputFormatOf(x%s) = %q", f.Name, e, got)
			}
		}
		if f.Read != nil {
			readable++
		}
		if f.Write == nil {
			if _, err := NewEventWriter(&bytes.Buffer{}, f.Name, h); err == nil {
				t.Errorf("%s: NewEventWriter accepts a format with no writer", f.Name)
			}
			continue
		}
		writable++
		var buf bytes.Buffer
		w, err := NewEventWriter(&buf, f.Name, h)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for _, ev := range evs {
			if err := w.WriteEvent(ev); err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if f.Read == nil {
			if !bytes.Contains(buf.Bytes(), []byte("w")) {
				t.Errorf("%s wrote nothing of the output: %q", f.Name, buf.Bytes())
			}
			continue
		}
		r, err := NewEventReader(bytes.NewReader(buf.Bytes()), "", f.Name)
		if err != nil {
			t.Fatalf("%s: what it wrote is not sniffed back: %v", f.Name, err)
		}
		var out []byte
		for {
			ev, err := r.Next()
			if err != nil {
				break
			}
			if ev.Kind == Output {
				out = append(out, ev.Data...)
			}
		}
		if !bytes.Contains(out, []byte("hello wörld\r\n")) {
			t.Errorf("%s: read back %q", f.Name, out)
		}
	}
	if readable < 5 || writable < 5 {
		t.Errorf("only %d readable and %d writable formats", readable, writable)
	}
}
