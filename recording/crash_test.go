package recording

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// When RECORDING_TEST_WRITER names a file, the test binary becomes a
// recorder that writes frames until it is killed (see
// TestKilledRecorderLeavesWholeFile).
func init() {
	path := os.Getenv("RECORDING_TEST_WRITER")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	w, err := NewWriter(f, WriterOptions{Cols: 80, Rows: 24})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	line := []byte(strings.Repeat("✓ recorded output, killed at any moment ", 20) + "\r\n")
	for i := 0; ; i++ {
		if _, err := w.Write(line); err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		if i == 200 {
			fmt.Println("WRITING") // the parent kills us from here on
		}
	}
}

func TestKilledRecorderLeavesWholeFile(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 20; round++ {
		path := filepath.Join(t.TempDir(), "killed.ttyrec")
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "RECORDING_TEST_WRITER="+path)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "WRITING" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("recorder said %q", sc.Text())
		}
		time.Sleep(time.Duration(round%7) * 3 * time.Millisecond) // kill at different moments
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		st, err := Stat(context.Background(), path, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Problems) > 0 || st.Frames < 200 {
			t.Fatalf("killed recording: %d frames, problems %v", st.Frames, st.Problems)
		}
		if st.Damage != nil {
			// Only a header that could not fit before a page boundary can
			// be cut; every whole frame was read, and TrimCut removes it.
			if !st.Damage.Truncated || (st.Damage.Offset+ttyrecHeaderLen)/int64(pageSize) == st.Damage.Offset/int64(pageSize) {
				t.Fatalf("killed recording cut inside a page: %v", st.Damage)
			}
			t.Logf("round %d: a header straddling a page was cut: %v", round, st.Damage)
			if _, err := TrimCut(path); err != nil {
				t.Fatal(err)
			}
			if st, err = Stat(context.Background(), path, "", 1); err != nil || st.HasProblems() {
				t.Fatalf("after TrimCut: %v %v", err, st.Damage)
			}
		}
		// The peers accept it whole, too.
		if _, err := exec.LookPath("termtime"); err == nil {
			tt := strings.Fields(string(run(t, "termtime", path)))
			secs, _ := strconv.ParseFloat(tt[0], 64)
			if secondsToDuration(secs) != st.Duration {
				t.Errorf("termtime %s, ours %v", tt[0], st.Duration)
			}
		} else {
			needTool(t, "termtime")
		}
		if _, err := exec.LookPath("ttyplay"); err == nil {
			if got := int64(len(run(t, "ttyplay", "-n", path))); got != st.Bytes {
				t.Errorf("ttyplay -n printed %d bytes, the frames hold %d", got, st.Bytes)
			}
		} else {
			needTool(t, "ttyplay")
		}
	}
}

func TestOpenGzip(t *testing.T) {
	dir := t.TempDir()
	var plain bytes.Buffer
	c := NewManualClock(t0)
	w, _ := NewWriter(&plain, WriterOptions{Cols: 90, Rows: 20, Clock: c})
	for i := 0; i < 50; i++ {
		c.Advance(100 * time.Millisecond)
		fmt.Fprintf(w, "line %d ✓\r\n", i)
	}
	w.Close()
	gzPath := filepath.Join(dir, "x.ttyrec.gz")
	f, _ := os.Create(gzPath)
	zw := gzip.NewWriter(f)
	zw.Write(plain.Bytes())
	zw.Close()
	f.Close()
	if FormatOf(gzPath) != "ttyrec" {
		t.Errorf("FormatOf(%s) = %q", gzPath, FormatOf(gzPath))
	}
	// By extension, and sniffed from a name that says nothing.
	odd := filepath.Join(dir, "recording.bin")
	os.Link(gzPath, odd)
	for _, p := range []string{gzPath, odd} {
		r, err := Open(p, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := readEvents(t, r)
		r.Close()
		if err != nil || len(got) != 50 || r.Header().Cols != 90 {
			t.Fatalf("%s: %d events, %v, header %+v", p, len(got), err, r.Header())
		}
		if got[49].Time != 5*time.Second || string(got[49].Data) != "line 49 ✓\r\n" {
			t.Errorf("%s: last event %v %q", p, got[49].Time, got[49].Data)
		}
	}
	st, err := Stat(context.Background(), gzPath, "", 1)
	// Through gzip, Stat reads events (the announcement is header data).
	if err != nil || st.Frames != 50 || st.FileBytes != -1 || st.Header.Cols != 90 {
		t.Errorf("Stat gz: %+v %v", st, err)
	}
}

func TestWriterIndex(t *testing.T) {
	c := NewManualClock(t0)
	w, _ := NewWriter(io.Discard, WriterOptions{Cols: 100, Rows: 30, Clock: c, IdleLimit: 2 * time.Second})
	w.Write([]byte("a"))
	w.Pause()
	c.Advance(time.Minute)
	w.Resume()
	ix := w.Index()
	if ix.Version != IndexVersion || ix.Term != (Term{100, 30}) || !ix.StartedAt.Equal(t0) || ix.IdleLimit != 2 || len(ix.Pauses) != 1 || ix.Pauses[0].Cut != 60 {
		t.Errorf("index %+v", ix)
	}
}

func TestTrimCut(t *testing.T) {
	dir := t.TempDir()
	whole := cat(frame(10, 0, "ab"), frame(11, 0, "cd"))
	for cut := 1; cut < 15; cut++ {
		p := filepath.Join(dir, "t.ttyrec")
		os.WriteFile(p, append(append([]byte(nil), whole...), frame(12, 0, "0123456789abcdef")[:cut]...), 0o644)
		n, err := TrimCut(p)
		b, _ := os.ReadFile(p)
		if err != nil || n != int64(cut) || !bytes.Equal(b, whole) {
			t.Errorf("cut %d: removed %d, %v, left %d bytes", cut, n, err, len(b))
		}
	}
	p := filepath.Join(dir, "ok.ttyrec")
	os.WriteFile(p, whole, 0o644)
	if n, err := TrimCut(p); n != 0 || err != nil {
		t.Errorf("whole file: %d %v", n, err)
	}
}

// Frames written to a file never cross a page boundary when they can help
// it, and every byte and stamp survives the splitting.
func TestWriterPageAligned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.ttyrec")
	f, _ := os.Create(path)
	c := NewManualClock(t0)
	w, _ := NewWriter(f, WriterOptions{Cols: 80, Rows: 24, Clock: c})
	var want []byte
	for i := 0; i < 300; i++ {
		c.Advance(time.Millisecond)
		p := []byte(strings.Repeat("ü✓x", 1+i*7%900))
		want = append(want, p...)
		w.Write(p)
	}
	w.Close()
	f.Close()
	b, _ := os.ReadFile(path)
	var got []byte
	off, crossing := 0, 0
	for i, fr := range readAll(t, b) {
		end := off + ttyrecHeaderLen + len(fr.Data)
		if off/pageSize != (end-1)/pageSize && pageSize-off%pageSize > ttyrecHeaderLen {
			crossing++
		}
		off = end
		if i > 0 { // after the size announcement
			got = append(got, fr.Data...)
		}
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("bytes differ after page splitting at %d (got %d, want %d bytes): %q vs %q", i, len(got), len(want), got[i:min(i+8, len(got))], want[i:min(i+8, len(want))])
	}
	if crossing > 0 {
		t.Errorf("%d frames cross a page boundary they could have ended at", crossing)
	}
}
