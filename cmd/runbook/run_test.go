package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

var (
	runBinOnce sync.Once
	runBin     string
	runBinErr  error
)

// builtRunbook builds the CLI once per test process, to run it as a
// separate process that the tests can kill.
func builtRunbook(t *testing.T) string {
	t.Helper()
	runBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "runbook-run-bin-")
		if err != nil {
			runBinErr = err
			return
		}
		runBin = filepath.Join(dir, "runbook")
		if out, err := exec.Command("go", "build", "-o", runBin, ".").CombinedOutput(); err != nil {
			runBinErr = errors.New(string(out))
		}
	})
	if runBinErr != nil {
		t.Fatalf("build runbook: %v", runBinErr)
	}
	return runBin
}

// startLongRun starts a run whose first step prints a line and then
// sleeps, and waits until the recording shows the line.
func startLongRun(t *testing.T) (cmd *exec.Cmd, rec string, out *bytes.Buffer) {
	t.Helper()
	bin := builtRunbook(t)
	dir := t.TempDir()
	src := `step("long", function() sh("echo started-long; sleep 60") end)
step("never", function() sh("echo never") end)`
	if err := os.WriteFile(filepath.Join(dir, "long.lua"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rec = filepath.Join(dir, "long.ttyrec")
	cmd = exec.Command(bin, "long.lua", "--record", rec)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(rec)
		if bytes.Contains(b, []byte("started-long\r\n")) {
			return cmd, rec, out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run never showed its first output:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// validRecording reads a recording to its end and checks it is whole.
func validRecording(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := recording.NewReader(f, path)
	var data []byte
	var last time.Duration
	for n := 0; ; n++ {
		fr, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not valid: %v", path, err)
		}
		if fr.Time() < last {
			t.Errorf("frame %d goes back in time", n)
		}
		last = fr.Time()
		data = append(data, fr.Data...)
	}
	if probs, n := r.Problems(); n > 0 {
		t.Errorf("%s: %d problems, first: %v", path, n, probs[0])
	}
	if bytes.Contains(data, []byte("\x1b]133;")) {
		t.Errorf("a shell mark is in the recording")
	}
	return data
}

func TestKilledRunLeavesValidRecording(t *testing.T) {
	cmd, rec, _ := startLongRun(t)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	data := validRecording(t, rec)
	if !bytes.Contains(data, []byte("started-long")) {
		t.Errorf("the recording lost what was shown before the kill")
	}
	// The index written when the run started is there and readable.
	if _, err := recording.ReadIndex(recording.IndexPath(rec)); err != nil {
		t.Errorf("index: %v", err)
	}
}

// SIGINT, SIGTERM and SIGHUP mid-command all stop the run the same way:
// the command interrupted, the recording and its index finished and marked
// stopped, a message, the signal's exit code, and no process left behind.
func TestSignalsStopTheRun(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		msg  string
	}{
		{syscall.SIGINT, 130, `interrupted in step 1 "long"`},
		{syscall.SIGTERM, 143, `terminated (SIGTERM) in step 1 "long"`},
		{syscall.SIGHUP, 129, `hung up (SIGHUP: the terminal closed) in step 1 "long"`},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			cmd, rec, out := startLongRun(t)
			procs := descendants(cmd.Process.Pid)
			if len(procs) == 0 {
				t.Fatal("the run has no session processes")
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("exit: %v, want %d\n%s", err, tc.code, out)
			}
			data := validRecording(t, rec)
			if !bytes.Contains(data, []byte("^C")) || bytes.Contains(data, []byte("never\r\n")) {
				t.Errorf("recording: %q", data)
			}
			ix, err := recording.ReadIndex(recording.IndexPath(rec))
			if err != nil {
				t.Fatal(err)
			}
			if ix.Stopped == nil || ix.Stopped.Reason != "interrupted" || len(ix.Steps) != 1 {
				t.Errorf("index: stopped %+v, %d steps", ix.Stopped, len(ix.Steps))
			}
			if !bytes.Contains(out.Bytes(), []byte(tc.msg)) {
				t.Errorf("message, want %q:\n%s", tc.msg, out)
			}
			// The session's bash and its sleep are gone (or dead, waiting
			// for init to reap them) once runbook has exited.
			for _, pid := range procs {
				if st := procState(pid); st != "" && st != "Z" {
					t.Errorf("process %d (%s) outlived runbook: state %s", pid, procComm(pid), st)
				}
			}
		})
	}
}

// descendants lists the processes under pid, read from /proc.
func descendants(pid int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 {
			parent[n], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for c, pp := range parent {
			if pp == p {
				out = append(out, c)
				walk(c)
			}
		}
	}
	walk(pid)
	return out
}

// procState is a process's state letter, "" when it is gone.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func procComm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}
