package recording

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// Seeds live in testdata/fuzz/<Target>; `go test` replays them every run,
// `go test -fuzz=FuzzTtyrecReader` searches for more.

func FuzzTtyrecReader(f *testing.F) {
	f.Add(cat(frame(10, 0, "ab"), frame(11, 5, "c")))
	f.Add(cat(frame(10, 0, "a"), header(11, 0, 99)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, skip := range []bool{false, true} {
			for _, src := range []io.Reader{bytes.NewReader(data), onlyReader{bytes.NewReader(data)}} {
				r := NewReader(src, "fuzz")
				r.SkipPayloads(skip)
				var sum int64
				for i := 0; ; i++ {
					fr, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						var fe *FormatError
						if !errors.As(err, &fe) {
							t.Fatalf("error %v is not a *FormatError", err)
						}
						if fe.Offset < 0 || fe.Offset > int64(len(data)) {
							t.Fatalf("offset %d outside the %d-byte input", fe.Offset, len(data))
						}
						break
					}
					if !skip && len(fr.Data) != int(fr.Len) {
						t.Fatalf("frame %d: %d bytes, header says %d", i, len(fr.Data), fr.Len)
					}
					sum += int64(fr.Len)
				}
				if sum != r.Bytes() || sum > int64(len(data)) {
					t.Fatalf("bytes %d, counted %d, input %d", r.Bytes(), sum, len(data))
				}
			}
		}
	})
}

func FuzzEventReader(f *testing.F) {
	f.Add([]byte("{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"hi\\u001b[0m\"]\n"))
	f.Add([]byte("{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n# c\n[0.5, \"o\", \"\\ud83d\\udca9\"]\n[1, \"x\", \"0\"]\n"))
	f.Add([]byte("{\"version\": 1, \"stdout\": [[0.1, \"a\\e\"]]}"))
	f.Add([]byte("a\x00\x01\x00\x00\x00b\x00\x02\x00"))
	f.Add(cat(frame(10, 0, "\x1b%G\x1b[8;24;80t"), frame(11, 0, "x")))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"", "ttyrec", "nh", "asciicast"} {
			r, err := NewEventReader(bytes.NewReader(data), format, "fuzz")
			if err != nil {
				continue
			}
			r.Header()
			var last error
			for n := 0; n <= len(data)+1; n++ {
				ev, err := r.Next()
				if err != nil {
					last = err
					break
				}
				if ev.Kind != Output && ev.Kind != Input && ev.Kind != Mark && ev.Kind != Resize && ev.Kind != Exit {
					t.Fatalf("event kind %q", ev.Kind)
				}
			}
			if last == nil {
				t.Fatalf("%s: more events than input bytes", format)
			}
			if last != io.EOF {
				var fe *FormatError
				if !errors.As(last, &fe) {
					t.Fatalf("%s: error %v is not a *FormatError", format, last)
				}
			}
			Problems(r)
			r.Close()
		}
	})
}

// FuzzWriterRoundTrip: whatever bytes are written in whatever pieces, the
// file holds exactly them, frame by frame whole UTF-8 where the input was.
func FuzzWriterRoundTrip(f *testing.F) {
	f.Add([]byte("a✓é\r\n"), uint8(1))
	f.Add([]byte("\xe2\x9c\x93\xff"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, piece uint8) {
		p := int(piece%16) + 1
		var buf bytes.Buffer
		c := NewManualClock(t0)
		w, _ := NewWriter(&buf, WriterOptions{Cols: 80, Rows: 24, Clock: c, IdleLimit: time.Second})
		for i := 0; i < len(data); i += p {
			c.Advance(time.Duration(i%7) * 300 * time.Millisecond)
			w.Write(data[i:min(i+p, len(data))])
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		fr := readAll(t, buf.Bytes())
		var all []byte
		var prev time.Duration
		for i, f := range fr[1:] {
			if len(f.Data) == 0 || f.Usec >= 1e6 || f.Time() < prev {
				t.Fatalf("frame %d: len %d usec %d time %v after %v", i, len(f.Data), f.Usec, f.Time(), prev)
			}
			if i > 0 && f.Time()-prev > time.Second {
				t.Fatalf("gap %v over the idle limit", f.Time()-prev)
			}
			prev = f.Time()
			all = append(all, f.Data...)
		}
		if !bytes.Equal(all, data) {
			t.Fatalf("read back %q, wrote %q", all, data)
		}
	})
}
