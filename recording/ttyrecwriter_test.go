package recording

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 250_000_000, time.UTC)

// writeLog records every Write call, to prove one call per frame.
type writeLog struct {
	bytes.Buffer
	calls []int
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.calls = append(w.calls, len(p))
	return w.Buffer.Write(p)
}

// readAll reads every frame of a ttyrec, copying the payloads.
func readAll(t *testing.T, b []byte) []Frame {
	t.Helper()
	r := NewReader(bytes.NewReader(b), "test")
	var out []Frame
	for {
		f, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("frame %d: %v", len(out), err)
		}
		f.Data = append([]byte(nil), f.Data...)
		out = append(out, f)
	}
}

func stamp(f Frame) time.Duration { return f.Time() - time.Duration(t0.UnixMicro())*time.Microsecond }

func TestWriterAnnouncesSizeFirst(t *testing.T) {
	var buf writeLog
	c := NewManualClock(t0)
	w, err := NewWriter(&buf, WriterOptions{Cols: 132, Rows: 43, Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(1500 * time.Millisecond)
	w.Write([]byte("hello"))
	w.Close()
	fr := readAll(t, buf.Bytes())
	if len(fr) != 2 {
		t.Fatalf("got %d frames, want 2", len(fr))
	}
	if got, want := string(fr[0].Data), "\x1b%G\x1b[8;43;132t"; got != want {
		t.Errorf("first frame %q, want exactly %q", got, want)
	}
	if fr[0].Sec != uint32(t0.Unix()) || fr[0].Usec != 250000 {
		t.Errorf("first stamp %d.%06d, want the start %d.250000", fr[0].Sec, fr[0].Usec, t0.Unix())
	}
	if d := stamp(fr[1]); d != 1500*time.Millisecond {
		t.Errorf("second frame at %v, want 1.5s", d)
	}
	if len(buf.calls) != 2 || buf.calls[1] != 12+5 {
		t.Errorf("Write calls %v, want one per frame [25 17]", buf.calls)
	}
	if !w.StartedAt().Equal(t0) {
		t.Errorf("StartedAt %v, want %v", w.StartedAt(), t0)
	}
}

// A file that holds the size announcement before its Writer starts (so
// it is never empty) ends up byte for byte as one NewWriter began: the
// announcement restamped with the Writer's start, the frames after it.
func TestWriterAnnouncedBefore(t *testing.T) {
	write := func(f *os.File, opt WriterOptions, c *ManualClock) {
		t.Helper()
		w, err := NewWriter(f, opt)
		if err != nil {
			t.Fatal(err)
		}
		if w.Frames() != 1 {
			t.Errorf("Frames %d after the start, want 1 (the announcement)", w.Frames())
		}
		c.Advance(time.Second)
		w.Write([]byte("hello"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	c := NewManualClock(t0)
	plain, _ := os.Create(filepath.Join(dir, "plain"))
	write(plain, WriterOptions{Cols: 100, Rows: 30, Clock: c}, c)
	plain.Close()

	c = NewManualClock(t0.Add(-3 * time.Second))
	early, _ := os.Create(filepath.Join(dir, "early"))
	if _, err := early.Write(AnnouncementFrame(100, 30, c.Now())); err != nil {
		t.Fatal(err)
	}
	if fr := readAll(t, readFile(t, early.Name())); len(fr) != 1 || string(fr[0].Data) != "\x1b%G\x1b[8;30;100t" {
		t.Fatalf("before the Writer: %+v", fr)
	}
	c.Advance(3 * time.Second) // the session starts: the Writer starts at t0
	write(early, WriterOptions{Cols: 100, Rows: 30, Clock: c, Announced: true}, c)
	early.Close()
	if a, b := readFile(t, plain.Name()), readFile(t, early.Name()); !bytes.Equal(a, b) {
		t.Errorf("announced before:\n%q\nwant\n%q", b, a)
	}
	if _, err := NewWriter(&bytes.Buffer{}, WriterOptions{Announced: true}); err == nil {
		t.Error("Announced on a writer that cannot write at an offset: no error")
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriterTimeline(t *testing.T) {
	type step struct {
		advance time.Duration
		op      string // "w" write, "p" pause, "r" resume, "set" jump the clock back
		data    string
	}
	tests := []struct {
		name   string
		limit  time.Duration
		steps  []step
		want   []time.Duration // stamps of the written frames, after the announcement
		pauses []Pause
	}{
		{"plain", 0, []step{{0, "w", "a"}, {time.Second, "w", "b"}, {90 * time.Second, "w", "c"}},
			[]time.Duration{0, time.Second, 91 * time.Second}, nil},
		{"pause cuts the time out", 0, []step{{time.Second, "w", "a"}, {time.Second, "p", ""}, {time.Hour, "r", ""}, {time.Second, "w", "b"}},
			[]time.Duration{time.Second, 3 * time.Second}, []Pause{{At: 2, Cut: 3600, Reason: "paused"}}},
		{"output while paused is stamped at the pause", 0, []step{{time.Second, "p", ""}, {time.Minute, "w", "x"}, {time.Minute, "r", ""}, {time.Second, "w", "y"}},
			[]time.Duration{time.Second, 2 * time.Second}, []Pause{{At: 1, Cut: 120, Reason: "paused"}}},
		{"idle limit", 2 * time.Second, []step{{time.Second, "w", "a"}, {90 * time.Second, "w", "b"}, {time.Second, "w", "c"}},
			[]time.Duration{time.Second, 3 * time.Second, 4 * time.Second}, []Pause{{At: 3, Cut: 88, Reason: "idle"}}},
		// No gap on the timeline ever exceeds the limit, a pause or not.
		{"idle before a pause is cut at the pause", 2 * time.Second, []step{{0, "w", "a"}, {10 * time.Second, "p", ""}, {time.Minute, "r", ""}, {time.Second, "w", "b"}},
			[]time.Duration{0, 2 * time.Second}, []Pause{{At: 2, Cut: 8, Reason: "idle"}, {At: 2, Cut: 60, Reason: "paused"}, {At: 2, Cut: 1, Reason: "idle"}}},
		{"wall clock jumping back never goes back", 0, []step{{5 * time.Second, "w", "a"}, {0, "set", ""}, {time.Second, "w", "b"}},
			[]time.Duration{5 * time.Second, 5 * time.Second}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := NewManualClock(t0)
			w, _ := NewWriter(&buf, WriterOptions{Cols: 80, Rows: 24, Clock: c, IdleLimit: tt.limit})
			for _, s := range tt.steps {
				c.Advance(s.advance)
				switch s.op {
				case "w":
					w.Write([]byte(s.data))
				case "p":
					w.Pause()
				case "r":
					w.Resume()
				case "set":
					c.Set(t0.Add(-time.Hour))
				}
			}
			w.Close()
			fr := readAll(t, buf.Bytes())[1:]
			var got []time.Duration
			for _, f := range fr {
				got = append(got, stamp(f))
				if f.Usec >= 1e6 {
					t.Errorf("usec %d ≥ 1e6", f.Usec)
				}
			}
			if !equalDurations(got, tt.want) {
				t.Errorf("stamps %v, want %v", got, tt.want)
			}
			if p := w.Pauses(); !equalPauses(p, tt.pauses) {
				t.Errorf("pauses %+v, want %+v", p, tt.pauses)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalPauses(a, b []Pause) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWriterElapsed(t *testing.T) {
	c := NewManualClock(t0)
	w, _ := NewWriter(io.Discard, WriterOptions{Clock: c, IdleLimit: 2 * time.Second})
	c.Advance(time.Second)
	if e := w.Elapsed(); e != time.Second {
		t.Errorf("Elapsed %v, want 1s", e)
	}
	c.Advance(time.Minute)
	if e := w.Elapsed(); e != 2*time.Second {
		t.Errorf("Elapsed past the idle limit %v, want the limit 2s (never ahead of the next frame)", e)
	}
	w.Write([]byte("x"))
	w.Pause()
	c.Advance(time.Hour)
	if e := w.Elapsed(); e != 2*time.Second {
		t.Errorf("Elapsed while paused %v, want 2s", e)
	}
	w.Resume()
	c.Advance(time.Second)
	if e := w.Elapsed(); e != 3*time.Second {
		t.Errorf("Elapsed after resume %v, want 3s", e)
	}
}

func TestWriterNeverSplitsUTF8(t *testing.T) {
	text := []byte("a✓é𝚊ｂ€\r\n")
	// Feed it one byte per write, then in every split of two writes.
	for split := 0; split <= len(text); split++ {
		var buf bytes.Buffer
		c := NewManualClock(t0)
		w, _ := NewWriter(&buf, WriterOptions{Clock: c})
		if split == 0 {
			for i := range text {
				w.Write(text[i : i+1])
				c.Advance(time.Millisecond)
			}
		} else {
			w.Write(text[:split])
			c.Advance(time.Millisecond)
			w.Write(text[split:])
		}
		w.Close()
		var all []byte
		for _, f := range readAll(t, buf.Bytes()) {
			if len(f.Data) == 0 {
				t.Fatalf("split %d: zero-length frame", split)
			}
			if !utf8.Valid(f.Data) {
				t.Errorf("split %d: frame %q is not whole UTF-8", split, f.Data)
			}
			all = append(all, f.Data...)
		}
		if !bytes.Equal(all, text) {
			t.Errorf("split %d: got %q, want %q", split, all, text)
		}
	}
}

func TestWriterKeepsInvalidBytesAndFlushesTailOnClose(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, WriterOptions{Clock: NewManualClock(t0)})
	w.Write([]byte("\xff\xfeok"))
	w.Write([]byte("end\xe2\x9c")) // an incomplete ✓ at the very end
	w.Close()
	var all []byte
	for _, f := range readAll(t, buf.Bytes()) {
		all = append(all, f.Data...)
	}
	if want := "\xff\xfeokend\xe2\x9c"; string(all) != want {
		t.Errorf("got %q, want every byte %q", all, want)
	}
}

func TestWriterChunksBigWrites(t *testing.T) {
	big := bytes.Repeat([]byte("✓"), 40000) // 120000 bytes
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, WriterOptions{Clock: NewManualClock(t0)})
	w.Write(big)
	w.Close()
	fr := readAll(t, buf.Bytes())
	if len(fr) < 4 {
		t.Fatalf("%d frames for 120000 bytes, want chunks of ≤ %d", len(fr), maxChunk)
	}
	var all []byte
	for _, f := range fr {
		if len(f.Data) > maxChunk || !utf8.Valid(f.Data) {
			t.Errorf("chunk of %d bytes, valid UTF-8 %v", len(f.Data), utf8.Valid(f.Data))
		}
		all = append(all, f.Data...)
	}
	if !bytes.Equal(all, big) {
		t.Error("chunks do not add up to the write")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestWriterReportsWriteErrors(t *testing.T) {
	w, err := NewWriter(&failWriter{n: 1}, WriterOptions{Cols: 80, Rows: 24, Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("no error from a failing writer")
	}
	if _, err := w.Write([]byte("y")); err == nil {
		t.Fatal("error not sticky")
	}
}

// A recording cut at any byte (a crash mid-write, a kill) is read back
// whole up to its last whole frame, with the cut reported.
func TestWriterFileCutAnywhereStaysReadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.ttyrec")
	f, _ := os.Create(path)
	c := NewManualClock(t0)
	w, _ := NewWriter(f, WriterOptions{Cols: 80, Rows: 24, Clock: c})
	var ends []int64
	for i := 0; i < 5; i++ {
		c.Advance(time.Second)
		w.Write([]byte("line ✓\r\n"))
		off, _ := f.Seek(0, io.SeekCurrent)
		ends = append(ends, off)
	}
	// No Close: the file is already whole up to the last frame.
	f.Close()
	full, _ := os.ReadFile(path)
	if got := readAll(t, full); len(got) != 6 {
		t.Fatalf("unclosed file: %d frames, want 6", len(got))
	}
	for cut := 1; cut < len(full); cut++ {
		r := NewReader(bytes.NewReader(full[:cut]), "cut")
		n := 0
		var err error
		for {
			if _, err = r.Next(); err != nil {
				break
			}
			n++
		}
		whole := 0
		if cut >= 25 {
			whole = 1
		}
		for _, e := range ends {
			if int64(cut) >= e {
				whole++
			}
		}
		if n != whole {
			t.Errorf("cut at %d: %d frames, want %d", cut, n, whole)
		}
		atBoundary := cut == 25
		for _, e := range ends {
			atBoundary = atBoundary || int64(cut) == e
		}
		var fe *FormatError
		if atBoundary {
			if err != io.EOF {
				t.Errorf("cut at frame boundary %d: %v, want EOF", cut, err)
			}
		} else if !errors.As(err, &fe) || !fe.Truncated {
			t.Errorf("cut at %d: %v, want a truncation error", cut, err)
		}
	}
}

func TestWriterFrameHeaderLayout(t *testing.T) {
	var buf bytes.Buffer
	c := NewManualClock(time.Unix(1000, 999_999_999))
	w, _ := NewWriter(&buf, WriterOptions{Clock: c})
	w.Write([]byte("z"))
	b := buf.Bytes()
	if sec, usec, n := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:]); sec != 1000 || usec != 999999 || n != 1 {
		t.Errorf("header sec=%d usec=%d len=%d, want 1000 999999 1 (µs truncated, never 1e6)", sec, usec, n)
	}
}
