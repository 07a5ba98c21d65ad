package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCOnAHugeRecording interrupts render, export, convert, info and
// check while they read a 1 GB recording (made here, in the test's
// directory): each exits 130 saying it was interrupted, and leaves no
// output file, not even a temporary one. How soon it exits is logged, not
// asserted (bench/rows/hostile.sh measures it).
func TestCtrlCOnAHugeRecording(t *testing.T) {
	bin := builtRunbook(t)
	in := filepath.Join(t.TempDir(), "huge.cast")
	writeHugeCast(t, in, hugeSize(t, filepath.Dir(in)))
	for _, tc := range []struct {
		name string
		args func(out string) []string
	}{
		{"render", func(out string) []string { return []string{"render", in, "-o", filepath.Join(out, "screen.txt")} }},
		{"export html", func(out string) []string { return []string{"export", in, filepath.Join(out, "page.html")} }},
		{"export svg", func(out string) []string { return []string{"export", in, filepath.Join(out, "anim.svg")} }},
		{"convert", func(out string) []string { return []string{"convert", in, filepath.Join(out, "copy.ttyrec")} }},
		{"convert to cast", func(out string) []string { return []string{"convert", in, filepath.Join(out, "copy.cast")} }},
		{"info", func(out string) []string { return []string{"info", in} }},
		{"check", func(out string) []string { return []string{"check", in} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(bin, tc.args(out)...)
			cmd.Dir = out
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(5*time.Minute, func() { cmd.Process.Kill() })
			defer timer.Stop()
			// Interrupt it once it is well into the file.
			read := waitRead(cmd.Process.Pid, 64<<20)
			sent := time.Now()
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			took := time.Since(sent)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Fatalf("exit %v, want 130 (SIGINT after %d MB read)\n%s", err, read>>20, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr does not say it was interrupted:\n%s", stderr.String())
			}
			ents, _ := os.ReadDir(out)
			for _, e := range ents {
				t.Errorf("left behind: %s", e.Name())
			}
			t.Logf("SIGINT after %d MB read: exit 130 after %v", read>>20, took.Round(time.Millisecond))
		})
	}
}

// hugeSize is 1 GB, or 128 MB outside CI when the disk has no room for
// 1 GB and a copy of part of it.
func hugeSize(t *testing.T, dir string) int64 {
	const size = 1 << 30
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if free := int64(st.Bavail) * st.Bsize; free < 2*size {
		if testenv.InCI() {
			t.Fatalf("%d MB free in %s: the test needs 2 GB", free>>20, dir)
		}
		t.Logf("%d MB free in %s: a 128 MB recording instead of 1 GB", free>>20, dir)
		return 128 << 20
	}
	return size
}

// writeHugeCast writes an asciicast recording of about size bytes:
// coloured output in 16 KiB events, and every 4 MB an event of 3 MiB
// (read in parts).
func writeHugeCast(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "{\"version\": 2, \"width\": 120, \"height\": 40}\n")
	line := strings.Repeat(`\u001b[32mok\u001b[0m line of output \r\n`, 16<<10/40)
	big := strings.Repeat(`\u001b[1;31mhuge\u001b[0m event text   \r\n`, 3<<20/40)
	var n int64
	for ev := 0; n < size; ev++ {
		data := line
		if ev%256 == 255 {
			data = big
		}
		k, _ := fmt.Fprintf(w, "[%d.%03d, \"o\", \"%s\"]\n", ev/1000, ev%1000, data)
		n += int64(k)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// waitRead waits until process pid has read at least n bytes (rchar in
// /proc/PID/io), or has exited, and returns what it had read.
func waitRead(pid int, n int64) int64 {
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
		if st := procState(pid); err != nil || st == "" || st == "Z" {
			return -1
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "rchar: "); ok {
				if r, _ := strconv.ParseInt(v, 10, 64); r >= n {
					return r
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}
