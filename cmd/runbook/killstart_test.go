package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/recording"
)

// killRunbook uses its secret parameter from the first command on: a
// typed reference, an exported variable, and file content.
const killRunbook = `runbook { name = "kill", params = {
  pw = { secret = true, env = "KILLPW", doc = "the secret" },
  dir = { doc = "where to write" },
} }
step("first", function()
  sh("echo first-command; printf '%s' " .. params.pw .. " | wc -c")
  sh('test -n "$KILLPW" && echo exported')
  file.write(params.dir .. "/conf", "password = " .. params.pw .. "\n")
  sh("sleep 30")
end)
`

// TestKillDuringStartupLeavesNoSecret SIGKILLs the real binary at 20
// moments through a session's startup — from before the startup file
// exists, through a slow ~/.profile and the secret's loading, to the
// first commands — with a secret given as RUNBOOK_PARAM_PW, on this
// machine and over a real sshd. After each kill no file in /tmp, $TMPDIR,
// the recording directory, the home directories or the remote user's home
// holds the secret in any form, every recording left is valid up to its
// last frame (its index, if any, readable), and none is empty: a
// recording has its first frame from the moment it has its name. No
// temporary file is left beside them.
func TestKillDuringStartupLeavesNoSecret(t *testing.T) {
	bin := builtRunbook(t)
	pw := "Kz" + randomText(t, 22)
	t.Run("local", func(t *testing.T) {
		home := t.TempDir()
		slowProfile(t, home)
		killSweep(t, bin, pw, nil, []string{"HOME=" + home}, home)
	})
	t.Run("ssh", func(t *testing.T) {
		srv := sshtest.Start(t, sshtest.Options{User: "rbkill", Password: "rbkill-login"})
		slowProfile(t, srv.HomeDir)
		client := sshtest.ClientHome(t, srv, "andromeda", true)
		// The remote user writes into the shared /tmp.
		killSweep(t, bin, pw, []string{"--host", "andromeda"}, []string{"HOME=" + client, "SSH_AUTH_SOCK="}, client, srv.HomeDir)
	})
}

// slowProfile gives home a ~/.profile that takes its time, as a real one
// may: the startup file has removed itself by then, and the secret is not
// loaded yet.
func slowProfile(t *testing.T, home string) {
	t.Helper()
	p := filepath.Join(home, ".profile")
	if err := os.WriteFile(p, []byte("sleep 0.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(home); err == nil {
		st := fi.Sys().(*syscall.Stat_t)
		os.Lchown(p, int(st.Uid), int(st.Gid))
	}
}

func randomText(t *testing.T, n int) string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// killSweep times one whole startup, then starts the run 20 times and
// SIGKILLs it at moments spread from 0 to a little past that time.
func killSweep(t *testing.T, bin, pw string, hostArgs, env []string, scanDirs ...string) {
	start := time.Now()
	dir := t.TempDir()
	tmpdir := t.TempDir()
	files := filepath.Join("/tmp", "rbkill-"+randomText(t, 8))
	os.Mkdir(files, 0o777)
	os.Chmod(files, 0o777)
	t.Cleanup(func() { os.RemoveAll(files) })
	if err := os.WriteFile(filepath.Join(dir, "kill.lua"), []byte(killRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	// --record makes no directory: it names a missing one.
	if err := os.Mkdir(filepath.Join(dir, "recordings"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(n int) (*exec.Cmd, string, *bytes.Buffer) {
		rec := filepath.Join(dir, "recordings", fmt.Sprintf("kill-%02d.ttyrec", n))
		cmd := exec.Command(bin, append([]string{"kill.lua", "--record", rec, "--set", "dir=" + files, "-q"}, hostArgs...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append(env, "RUNBOOK_PARAM_PW="+pw, "TMPDIR="+tmpdir)...)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, rec, out
	}

	// One run to its first commands: how long a startup takes.
	cmd, rec, out := run(0)
	t0 := time.Now()
	for !bytes.Contains(readOrNil(rec), []byte("exported\r\n")) {
		if time.Since(t0) > 60*time.Second {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the run never reached its first commands:\n%s", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	startup := time.Since(t0)
	// It goes on to write the file with the real value, through the side
	// channel (the secret reached the host).
	for string(readOrNil(filepath.Join(files, "conf"))) != "password = "+pw+"\n" {
		if time.Since(t0) > 60*time.Second {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the run never wrote its file:\n%s", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	killAndCheck(t, cmd, rec, pw, "whole startup")
	t.Logf("startup to the first commands: %v", startup.Round(time.Millisecond))

	scan := append([]string{"/tmp", tmpdir, filepath.Join(dir, "recordings")}, scanDirs...)
	frames := map[string]int{}
	reported := map[string]bool{}
	for i := 1; i <= 20; i++ {
		at := startup * time.Duration(i-1) * 23 / 20 / 19
		cmd, rec, _ := run(i)
		time.Sleep(at)
		kind := killAndCheck(t, cmd, rec, pw, fmt.Sprintf("kill %d at %v", i, at.Round(time.Millisecond)))
		frames[kind]++
		scanForSecret(t, reported, pw, start, files, scan...)
	}
	// Once more, after the hung-up sessions had time to write anything.
	time.Sleep(time.Second)
	scanForSecret(t, reported, pw, start, files, scan...)
	t.Logf("recordings left by the 20 kills: %v", frames)
	ents, _ := os.ReadDir(filepath.Join(dir, "recordings"))
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, ".") || !(strings.HasSuffix(n, ".ttyrec") || strings.HasSuffix(n, ".ttyrec.json")) {
			t.Errorf("left in the recording directory: %s", n)
		}
	}
}

// killAndCheck SIGKILLs the run, waits for its session to end, and checks
// the recording it left (if any); it says what was left.
func killAndCheck(t *testing.T, cmd *exec.Cmd, rec, pw, what string) string {
	t.Helper()
	procs := descendants(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// The session's shell gets a hangup; wait until it is gone.
	for _, pid := range procs {
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			if st := procState(pid); st == "" || st == "Z" {
				break
			}
		}
	}
	b, err := os.ReadFile(rec)
	if errors.Is(err, fs.ErrNotExist) {
		return "none"
	}
	if err != nil {
		t.Fatal(err)
	}
	n := framesUpToLast(t, rec, what)
	if ix := recording.IndexPath(rec); readOrNil(ix) != nil {
		if _, err := recording.ReadIndex(ix); err != nil {
			t.Errorf("%s: index: %v", what, err)
		}
	}
	if len(b) == 0 {
		t.Errorf("%s: an empty recording is left: %s", what, rec)
		return "empty"
	}
	switch n {
	case 0:
		return "cut in its first frame"
	case 1:
		return "its size announcement"
	}
	return "frames"
}

// framesUpToLast reads a killed run's recording: whole frames, time never
// going back, no shell mark, and at most the last frame cut short.
func framesUpToLast(t *testing.T, path, what string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := recording.NewReader(f, path)
	var last time.Duration
	var data []byte
	n := 0
	for ; ; n++ {
		fr, err := r.Next()
		if err == io.EOF {
			break
		}
		var fe *recording.FormatError
		if errors.As(err, &fe) && fe.Truncated {
			break // the file ends inside its last frame, as the kill found it
		}
		if err != nil {
			t.Errorf("%s: %s is not valid: %v", what, path, err)
			return n
		}
		if fr.Time() < last {
			t.Errorf("%s: frame %d goes back in time", what, n)
		}
		last = fr.Time()
		data = append(data, fr.Data...)
	}
	if bytes.Contains(data, []byte("\x1b]133;")) {
		t.Errorf("%s: a shell mark is in the recording", what)
	}
	return n
}

// scanForSecret fails for every file under roots, written since start,
// that holds pw in any form the masking knows (once per file), or as the session's
// loading sends it (\xNN escapes). skip is the directory the runbook
// writes pw into on purpose.
func scanForSecret(t *testing.T, reported map[string]bool, pw string, start time.Time, skip string, roots ...string) {
	t.Helper()
	forms := secret.Forms(pw)
	forms = append(forms, strings.TrimSuffix(strings.SplitN(shell.LoadPayload([]shell.Var{{Name: "pw", Value: pw}}), "\n", 4)[2], "\n"))
	seen := map[string]bool{}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p == skip {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || seen[p] {
				return nil
			}
			seen[p] = true
			fi, err := d.Info()
			if err != nil || fi.ModTime().Before(start) {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return nil
			}
			b, _ := io.ReadAll(io.LimitReader(f, 64<<20))
			f.Close()
			for _, form := range forms {
				if len(form) >= 6 && bytes.Contains(b, []byte(form)) {
					if !reported[p] {
						t.Errorf("%s holds the secret as %q", p, form)
					}
					reported[p] = true
					break
				}
			}
			return nil
		})
	}
}

func readOrNil(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}
