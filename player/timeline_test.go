package player

import (
	"context"
	"encoding/binary"
	"fmt"
	"github.com/runbook-dev/runbook/internal/shared"
	"github.com/runbook-dev/runbook/internal/testenv"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/player/screen"
)

var corpusDir = filepath.Join(shared.Dir(), "corpus")

func needFile(t testing.TB, path string) {
	t.Helper()
	testenv.File(t, path, "test input")
}

// linear is the screen after every output event up to t, replayed from
// the start with no keyframes: what a seek must equal.
func linear(t testing.TB, r *Recording, at time.Duration) string {
	s := screen.New(r.Cols, r.Rows)
	ev := r.EventsFrom()
	for {
		e, err := ev.Next()
		if err != nil || e.Time > at {
			break
		}
		if e.Kind == 'o' {
			s.Write(e.Data)
		}
	}
	return s.Text()
}

func TestOpenCorpusAndSeek(t *testing.T) {
	for _, name := range []string{"ttyrec.ttyrec", "termrec.ttyrec", "asciinema.cast", "truncated-payload.ttyrec", "termrec.cast"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(corpusDir, name)
			needFile(t, path)
			r, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Cols != 80 || r.Rows != 24 {
				t.Errorf("size %dx%d", r.Cols, r.Rows)
			}
			if r.Duration < 30*time.Second || r.Duration > 33*time.Second {
				t.Errorf("duration %v, want about 32 s", r.Duration)
			}
			if name == "truncated-payload.ttyrec" && r.Damage == nil {
				t.Errorf("cut file read with no damage reported")
			}
			if g := r.Gaps[0]; g.Len < 20*time.Second {
				t.Errorf("longest gap %v, want the 21 s idle", g.Len)
			}
			tl := r.Timeline()
			// Forward, then backward, then to points on both sides.
			for _, at := range []time.Duration{r.Duration, 5 * time.Second, 0, 31 * time.Second, 4500 * time.Millisecond, r.Duration} {
				if err := tl.Seek(context.Background(), at); err != nil {
					t.Fatal(err)
				}
				if got, want := tl.Screen().Text(), linear(t, r, at); got != want {
					t.Fatalf("seek to %v:\n%s\nwant\n%s", at, got, want)
				}
			}
		})
	}
}

// writeTtyrec writes a synthetic recording: frames of shell-like output
// and full-screen redraws, spread over dur.
func writeTtyrec(t testing.TB, path string, size int, dur time.Duration) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewSource(1))
	start := time.Unix(1700000000, 0)
	var written int
	var hdr [12]byte
	var buf []byte
	for i := 0; written < size; i++ {
		buf = buf[:0]
		switch i % 50 {
		case 0:
			buf = append(buf, "\x1b[?1049h\x1b[H\x1b[2J"...)
			for y := 1; y <= 24; y++ {
				buf = fmt.Appendf(buf, "\x1b[%d;1H\x1b[3%dm%-70d\x1b[0m", y, y%8, rng.Int())
			}
		case 25:
			buf = append(buf, "\x1b[?1049l"...)
		default:
			for k := 0; k < 20; k++ {
				buf = fmt.Appendf(buf, "line %d of frame %d: %x\r\n", k, i, rng.Int63())
			}
		}
		at := start.Add(time.Duration(float64(dur) * float64(written) / float64(size)))
		binary.LittleEndian.PutUint32(hdr[0:], uint32(at.Unix()))
		binary.LittleEndian.PutUint32(hdr[4:], uint32(at.Nanosecond()/1000))
		binary.LittleEndian.PutUint32(hdr[8:], uint32(len(buf)))
		f.Write(hdr[:])
		f.Write(buf)
		written += len(buf)
	}
}

func TestSeekMatchesLinearReplayAndKeyframesBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.ttyrec")
	writeTtyrec(t, path, 10<<20, 10*time.Minute)
	const budget = 4 << 20
	r, err := OpenWith(context.Background(), path, Options{KeyframeBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, bytes := r.Keyframes()
	if bytes > budget || n < 4 {
		t.Errorf("%d keyframes taking %d bytes, budget %d", n, bytes, budget)
	}
	if r.st.file == nil {
		t.Errorf("a 10 MB recording stayed in memory, want it spilled to a temporary file")
	}
	tl := r.Timeline()
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 8; i++ {
		at := time.Duration(rng.Int63n(int64(r.Duration)))
		if err := tl.Seek(context.Background(), at); err != nil {
			t.Fatal(err)
		}
		if got, want := tl.Screen().Text(), linear(t, r, at); got != want {
			t.Fatalf("seek %d to %v differs from a replay from the start", i, at)
		}
	}
}

// TestEndOnlyKeepsTheLastScreen opens a recording for its last screen
// only: the screen is the one a full open seeks to at the end, no event
// is kept, and a seek before the end or another emulator is refused.
func TestEndOnlyKeepsTheLastScreen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.ttyrec")
	writeTtyrec(t, path, 3<<20, time.Minute)
	ctx := context.Background()
	full, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	end, err := OpenWith(ctx, path, Options{EndOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer end.Close()
	want, err := full.ScreenAt(ctx, full.Duration)
	if err != nil {
		t.Fatal(err)
	}
	got, err := end.ScreenAt(ctx, end.Duration)
	if err != nil {
		t.Fatal(err)
	}
	gx, gy, gv := got.Cursor()
	wx, wy, wv := want.Cursor()
	if got.Text() != want.Text() || gx != wx || gy != wy || gv != wv || got.AltScreen() != want.AltScreen() {
		t.Errorf("the last screen differs from a full open's")
	}
	cols, rows := want.Size()
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			if got.Cell(x, y) != want.Cell(x, y) {
				t.Fatalf("cell %d,%d: %+v, a full open has %+v", x, y, got.Cell(x, y), want.Cell(x, y))
			}
		}
	}
	if end.st.size != 0 || end.Events != full.Events || end.Duration != full.Duration {
		t.Errorf("end-only: %d bytes of events kept, %d events over %v; want 0 kept, %d over %v",
			end.st.size, end.Events, end.Duration, full.Events, full.Duration)
	}
	if _, err := end.ScreenAt(ctx, end.Duration/2); err == nil {
		t.Error("end-only: a seek before the end was not refused")
	}
	vt, err := EmulatorNamed("vt10x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := end.TimelineWith(vt); err == nil {
		t.Error("end-only: another emulator was not refused")
	}
}

// BenchmarkSeek seeks to random points of a one-hour, 50 MB recording,
// after opening it (the target is under 50 ms a seek).
func BenchmarkSeek(b *testing.B) {
	path := filepath.Join(b.TempDir(), "hour.ttyrec")
	writeTtyrec(b, path, 50<<20, time.Hour)
	start := time.Now()
	r, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	opened := time.Since(start)
	n, bytes := r.Keyframes()
	tl := r.Timeline()
	rng := rand.New(rand.NewSource(3))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tl.Seek(context.Background(), time.Duration(rng.Int63n(int64(r.Duration)))); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(opened.Milliseconds()), "open-ms")
	b.ReportMetric(float64(n), "keyframes")
	b.ReportMetric(float64(bytes)/(1<<20), "keyframe-MB")
}
