package recording

import (
	"bytes"
	"context"
	"github.com/runbook-dev/runbook/internal/testenv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needTool finds a peer program. CI installs every one (scripts/test.sh),
// so there a missing tool fails the test; elsewhere it skips.
func needTool(t *testing.T, name string) string {
	t.Helper()
	return testenv.Program(t, name)
}

// run runs a program and returns its standard output.
func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\nstderr: %s", name, args, err, errb.String())
	}
	return out.Bytes()
}

// inTerminal runs a shell command line under script(1), in a pty of
// 100x30, with standard input held open until it ends (recorders stop at
// EOF on their input). It returns what the terminal showed.
func inTerminal(t *testing.T, dir, cmdline string) []byte {
	t.Helper()
	needTool(t, "script")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "script", "-qfec", "stty cols 100 rows 30; "+cmdline, "/dev/null")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=xterm")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	in.Close()
	if err != nil {
		t.Fatalf("script -c %q: %v\n%s", cmdline, err, out.String())
	}
	return out.Bytes()
}

// ourRecording writes a recording with odd timing and UTF-8 split across
// writes, as the engine would, and returns its path and raw frames.
func ourRecording(t *testing.T, dir string) (string, []Frame) {
	t.Helper()
	path := filepath.Join(dir, "ours.ttyrec")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	c := NewManualClock(time.Date(2026, 11, 25, 9, 0, 0, 900_000_000, time.UTC))
	w, err := NewWriter(f, WriterOptions{Cols: 100, Rows: 30, Clock: c, IdleLimit: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		d time.Duration
		s string
	}{
		{300 * time.Millisecond, "$ "}, {1200 * time.Millisecond, "echo ✓ é\r\n"}, {5 * time.Millisecond, "\xe2\x9c"},
		{time.Millisecond, "\x93 é\r\n$ "}, {90 * time.Second, "ls\r\n\x1b[01;34mbin\x1b[0m\r\n"}, {700 * time.Millisecond, "$ exit\r\n"},
	}
	for _, s := range steps {
		c.Advance(s.d)
		if _, err := w.Write([]byte(s.s)); err != nil {
			t.Fatal(err)
		}
	}
	w.Pause()
	c.Advance(time.Hour)
	w.Resume()
	c.Advance(400 * time.Millisecond)
	w.Write([]byte("bye\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(path)
	return path, readAll(t, b)
}

func payloads(fr []Frame) []byte {
	var b []byte
	for _, f := range fr {
		b = append(b, f.Data...)
	}
	return b
}

// TestPeersReadOurTtyrec: ttyplay, ttytime, termtime and termcat read what
// our Writer wrote, with the same bytes and each tool's own duration rule.
func TestPeersReadOurTtyrec(t *testing.T) {
	dir := t.TempDir()
	path, fr := ourRecording(t, dir)
	first, last := fr[0], fr[len(fr)-1]
	dur := last.Time() - first.Time()
	if dur != 4*time.Second+606*time.Millisecond {
		// 0.3+1.2+0.005+0.001 + 2 (the 90 s pause at the idle limit) + 0.7 + 0.4
		t.Fatalf("our duration %v", dur)
	}

	t.Run("ttytime", func(t *testing.T) {
		needTool(t, "ttytime")
		out := strings.Fields(string(run(t, "ttytime", path)))
		if len(out) < 1 || out[0] != strconv.Itoa(int(last.Sec-first.Sec)) {
			t.Errorf("ttytime says %q, want %d whole seconds (last.sec − first.sec)", out, last.Sec-first.Sec)
		}
	})
	t.Run("ttyplay -n", func(t *testing.T) {
		needTool(t, "ttyplay")
		if got := run(t, "ttyplay", "-n", path); !bytes.Equal(got, payloads(fr)) {
			t.Errorf("ttyplay -n printed\n%q\nwant\n%q", got, payloads(fr))
		}
	})
	t.Run("termtime", func(t *testing.T) {
		needTool(t, "termtime")
		out := strings.Fields(string(run(t, "termtime", path)))
		secs, err := strconv.ParseFloat(out[0], 64)
		if err != nil || secondsToDuration(secs) != dur {
			t.Errorf("termtime says %q, want %.6f", out, dur.Seconds())
		}
	})
	t.Run("termcat", func(t *testing.T) {
		needTool(t, "termcat")
		outp := filepath.Join(dir, "termcat.txt")
		run(t, "termcat", path, outp)
		if got, _ := os.ReadFile(outp); !bytes.Equal(got, payloads(fr)) {
			t.Errorf("termcat wrote %q, want %q", got, payloads(fr))
		}
	})
}

// TestAsciinemaReadsOurCast: asciinema cat prints exactly our output bytes
// from the .cast we convert our ttyrec to.
func TestAsciinemaReadsOurCast(t *testing.T) {
	needTool(t, "asciinema")
	dir := t.TempDir()
	path, fr := ourRecording(t, dir)
	castPath := filepath.Join(dir, "ours.cast")
	convertFile(t, path, castPath, "asciicast-v2")
	got := inTerminal(t, dir, "asciinema cat ours.cast")
	want := payloads(fr[1:]) // without the size announcement, which is header data in asciicast
	if !bytes.Equal(got, want) {
		t.Errorf("asciinema cat printed\n%q\nwant\n%q", got, want)
	}
	r, _ := Open(castPath, "")
	if h := r.Header(); h.Cols != 100 || h.Rows != 30 {
		t.Errorf("cast header %dx%d, want 100x30", h.Cols, h.Rows)
	}
	r.Close()
}

func convertFile(t *testing.T, in, out, format string) {
	t.Helper()
	r, err := Open(in, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewEventWriter(f, format, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

const peerScript = "#!/bin/sh\nsleep 0.2\nprintf 'hi \\342\\234\\223 \\033[1mbold\\033[0m\\n'\nsleep 0.3\nprintf 'bye\\n'\nsleep 0.1\n"

// TestWeReadPeerRecordings: files the peers write now, on this machine, are
// read by us with the bytes and durations the peers themselves report.
func TestWeReadPeerRecordings(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.sh"), []byte(peerScript), 0o755); err != nil {
		t.Fatal(err)
	}
	recorders := []struct {
		tool, cmd, file string
	}{
		{"ttyrec", "ttyrec -e ./s.sh ttyrec.ttyrec", "ttyrec.ttyrec"},
		{"termrec", "termrec -e ./s.sh termrec.ttyrec", "termrec.ttyrec"},
		{"termrec", "termrec -f asciicast -e ./s.sh termrec.cast", "termrec.cast"},
		{"asciinema", "asciinema rec -q -c ./s.sh asciinema.cast", "asciinema.cast"},
	}
	for _, rec := range recorders {
		t.Run(rec.file, func(t *testing.T) {
			needTool(t, rec.tool)
			inTerminal(t, dir, rec.cmd)
			path := filepath.Join(dir, rec.file)
			r, err := Open(path, "")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			evs, err := readEvents(t, r)
			if err != nil {
				t.Fatal(err)
			}
			var out []byte
			for _, e := range evs {
				out = append(out, e.Data...)
			}
			if !bytes.Contains(out, []byte("hi ✓ \x1b[1mbold\x1b[0m\r\nbye\r\n")) {
				t.Errorf("output %q lacks the script's output", out)
			}
			if p, n := Problems(r); n != 0 {
				t.Errorf("problems in a fresh %s file: %v", rec.tool, p)
			}
			h := r.Header()
			if rec.tool != "ttyrec" && (h.Cols != 100 || h.Rows != 30) {
				t.Errorf("size %dx%d, want 100x30", h.Cols, h.Rows)
			}
			dur := evs[len(evs)-1].Time - evs[0].Time
			switch {
			case strings.HasSuffix(rec.file, ".ttyrec"):
				// The peers' own measure of the same file.
				needTool(t, "termtime")
				secs, _ := strconv.ParseFloat(strings.Fields(string(run(t, "termtime", path)))[0], 64)
				st, err := Stat(context.Background(), path, "", 1)
				if err != nil {
					t.Fatal(err)
				}
				if secondsToDuration(secs) != st.Duration {
					t.Errorf("termtime %.6fs, our duration %v", secs, st.Duration)
				}
				needTool(t, "ttyplay")
				if tp := run(t, "ttyplay", "-n", path); !bytes.HasSuffix(tp, out) {
					t.Errorf("ttyplay -n printed %q, we read %q", tp, out)
				}
			default:
				needTool(t, "asciinema")
				if cat := inTerminal(t, dir, "asciinema cat "+rec.file); !bytes.Equal(cat, out) {
					t.Errorf("asciinema cat printed %q, we read %q", cat, out)
				}
				if dur <= 0 {
					t.Errorf("duration %v", dur)
				}
			}
		})
	}
}
