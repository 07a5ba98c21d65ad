package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/recording"
)

// `runbook rec` is driven through tmux as a person would: keys sent to a
// real terminal, the screen read back.

// needProgram fails the test when a program the tests need is missing in
// CI (scripts/apt-packages.txt installs it), and skips it elsewhere.
func needProgram(t *testing.T, name string) string {
	t.Helper()
	return testenv.Program(t, name)
}

// pane is a tmux window running one command.
type pane struct {
	t    *testing.T
	sock string
}

// recHome is a home directory whose login file sets a prompt the test
// can wait for.
func recHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".profile"), []byte("PS1='rec> '\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

// startPane runs command (a shell command line) in dir in a new tmux
// server of its own, 100x30.
func startPane(t *testing.T, dir, home, command string) *pane {
	t.Helper()
	needProgram(t, "tmux")
	p := &pane{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	cmd := exec.Command("tmux", "-S", p.sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "-c", dir, command)
	// TMPDIR: where a local rec makes its private directory; a test
	// that kills rec leaves it there, removed with the test's.
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm-256color", "EDITOR=", "VISUAL=", "RUNBOOK_SHARED=", "TMPDIR="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })
	p.tmux("set", "-g", "remain-on-exit", "on")
	return p
}

func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", p.sock}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// typ types text literally; keys sends tmux key names (Enter, C-\).
func (p *pane) typ(text string) { p.tmux("send-keys", "-l", text) }
func (p *pane) keys(k ...string) {
	p.tmux(append([]string{"send-keys"}, k...)...)
}

func (p *pane) screen() string { return p.tmux("capture-pane", "-p", "-S", "-200") }

// wait waits until the screen (with its scrollback) shows want n times.
func (p *pane) wait(want string, n int) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := p.screen()
		if strings.Count(s, want) >= n {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the screen never showed %q %d times:\n%s", want, n, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// run types a command line and presses Enter.
func (p *pane) run(line string) {
	p.typ(line)
	p.keys("Enter")
}

func TestRecByHand(t *testing.T) {
	needProgram(t, "ttyplay")
	bin := runbookBinary(t)
	dir := t.TempDir()
	home := recHome(t)
	p := startPane(t, dir, home, bin+" rec r.ttyrec --title 'By hand' --idle-limit 1s; echo EXIT=$?")
	p.wait("rec>", 1)
	// Outputs differ from what is typed: waiting for one waits for the
	// command, not for its echo.
	p.run("echo hello-$((6*7))")
	p.wait("hello-42", 1)
	p.run("ls /nonexistent-rec-dir")
	p.wait("No such file", 1)
	// A secret typed at a hidden prompt: the terminal does not echo it,
	// and it is in no history, hence in no artefact. Echo goes off
	// before the prompt shows, as sudo and passwd do it (bash's read -s
	// shows its prompt first, and a quick typist beats it).
	p.run(`stty -echo; printf 'Pass%s: ' word; read -r pw; stty echo; echo; echo "got ${#pw} characters"`)
	p.wait("Password:", 1)
	p.typ("hunter2-rec-secret")
	p.keys("Enter")
	p.wait("got 18 characters", 1)
	p.keys(`C-\`, "m")
	p.wait("marker name", 1)
	p.typ("Configure")
	p.keys("Enter")
	p.wait("marker added: Configure", 1)
	p.keys(`C-\`, "p")
	p.wait("PAUSED", 1)
	time.Sleep(2500 * time.Millisecond) // a real pause, longer than the idle limit
	p.keys(`C-\`, "p")
	p.wait("recording again", 1)
	p.run("cd /tmp && echo in-$((1+1))")
	p.wait("in-2", 1)
	p.keys(`C-\`, "x")
	p.wait("p pause/resume", 1)
	p.run("exit")
	p.wait("EXIT=0", 1)
	if s := p.screen(); !strings.Contains(s, "5 commands") || !strings.Contains(s, "1 markers") {
		t.Errorf("rec's summary is not as expected:\n%s", s)
	}

	rec := filepath.Join(dir, "r.ttyrec")
	raw, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	ixb, err := os.ReadFile(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"recording": raw, "index": ixb} {
		if bytes.Contains(b, []byte("hunter2")) {
			t.Errorf("the secret typed at a hidden prompt is in the %s: %q", name, b)
		}
	}
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	h := ix.Hand
	if h == nil || !h.Marks || h.Title != "By hand" || ix.Host != "local" || ix.Term != (recording.Term{Cols: 100, Rows: 30}) {
		t.Fatalf("index: host %q term %+v hand %+v", ix.Host, ix.Term, h)
	}
	var got []string
	for _, c := range h.Commands {
		got = append(got, fmt.Sprintf("%s => %d in %s", c.Text, c.Exit, c.Cwd))
		if c.End < c.Start {
			t.Errorf("%q ends before it starts", c.Text)
		}
	}
	want := []string{
		"echo hello-$((6*7)) => 0 in " + dir,
		"ls /nonexistent-rec-dir => 2 in " + dir,
		`stty -echo; printf 'Pass%s: ' word; read -r pw; stty echo; echo; echo "got ${#pw} characters" => 0 in ` + dir,
		"cd /tmp && echo in-$((1+1)) => 0 in " + dir,
		"exit => -1 in /tmp",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var labels []string
	for _, m := range ix.Markers {
		labels = append(labels, m.Label)
	}
	if strings.Join(labels, ",") != "Configure" {
		t.Errorf("markers %q, want Configure", labels)
	}
	var paused *recording.Pause
	for i := range ix.Pauses {
		if ix.Pauses[i].Reason == "paused" {
			paused = &ix.Pauses[i]
		}
	}
	if paused == nil || paused.Cut.Duration() < 2500*time.Millisecond {
		t.Fatalf("pauses %+v: want the 2.5 s pause cut out", ix.Pauses)
	}
	// Nothing of the pause is left on the timeline: the frames on either
	// side of it are no further apart than the idle limit.
	f, _ := os.Open(rec)
	defer f.Close()
	rd := recording.NewReader(f, rec)
	var prev time.Duration
	for {
		fr, err := rd.Next()
		if err != nil {
			break
		}
		if gap := fr.Time() - prev; prev > 0 && gap > time.Second+time.Millisecond {
			t.Errorf("a gap of %s at %s: over the idle limit", gap, prev)
		}
		prev = fr.Time()
	}

	// The recording is sound for runbook and for the peers.
	for _, args := range [][]string{{"info", rec}, {"check", rec}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("runbook %s: %v\n%s", args[0], err, out)
		}
		if args[0] == "info" && !strings.Contains(string(out), "by hand:   runbook rec on local; 5 commands (1 failed)") {
			t.Errorf("runbook info does not describe the hand session:\n%s", out)
		}
	}
	out, err := exec.Command("ttyplay", "-n", rec).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("hello-42")) || !bytes.Contains(out, []byte("in-2")) {
		t.Errorf("ttyplay -n: %v\n%q", err, out)
	}
	if tt, err := exec.LookPath("ttytime"); err == nil {
		out, err := exec.Command(tt, rec).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "r.ttyrec") {
			t.Errorf("ttytime: %v\n%s", err, out)
		}
	}
}

// A shell that prints no marks is recorded all the same; the index says
// it has no commands.
func TestRecCommandWithoutMarks(t *testing.T) {
	bin := runbookBinary(t)
	dir := t.TempDir()
	p := startPane(t, dir, recHome(t), bin+" rec plain.ttyrec --command 'PS1=\"sh> \" sh'; echo EXIT=$?")
	p.wait("sh>", 1)
	p.run("echo plain-$((2*3))")
	p.wait("plain-6", 1)
	p.run("exit")
	p.wait("EXIT=0", 1)
	if s := p.screen(); !strings.Contains(s, "no commands in the index") {
		t.Errorf("rec does not say the index has no commands:\n%s", s)
	}
	rec := filepath.Join(dir, "plain.ttyrec")
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	if ix.Hand == nil || ix.Hand.Marks || len(ix.Hand.Commands) != 0 || !strings.Contains(ix.Hand.Note, "no commands in the index") {
		t.Errorf("index hand %+v", ix.Hand)
	}
	raw, _ := os.ReadFile(rec)
	if !bytes.Contains(raw, []byte("plain-6")) {
		t.Errorf("the session is not recorded: %q", raw)
	}
	if out, err := exec.Command(bin, "info", rec).CombinedOutput(); err != nil || !strings.Contains(string(out), "no commands in the index") {
		t.Errorf("runbook info: %v\n%s", err, out)
	}

	// An existing recording is kept unless --overwrite.
	cmd := exec.Command(bin, "rec", rec)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "exists: give --overwrite") {
		t.Errorf("rec over an existing file: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(rec); !bytes.Equal(after, raw) {
		t.Errorf("the existing recording changed")
	}
}

// Killed mid-session (SIGKILL: nothing of runbook runs after it), rec
// leaves a recording valid to its last frame and an index with the
// commands so far.
func TestRecKilled(t *testing.T) {
	bin := runbookBinary(t)
	dir := t.TempDir()
	p := startPane(t, dir, recHome(t), "exec "+bin+" rec k.ttyrec")
	p.wait("rec>", 1)
	p.run("echo before-$((4+4))")
	p.wait("before-8", 1)
	rec := filepath.Join(dir, "k.ttyrec")
	// The index is rewritten as each command ends: wait for that write.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(recording.IndexPath(rec))
		if bytes.Contains(b, []byte(`"exit": 0`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index never got the command:\n%s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(p.tmux("display", "-p", "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("runbook rec (pid %d) still runs after SIGKILL", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := exec.Command(bin, "info", rec).CombinedOutput(); err != nil || !strings.Contains(string(out), "problems:  none") {
		t.Errorf("runbook info after a kill: %v\n%s", err, out)
	}
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Hand.Commands) != 1 || ix.Hand.Commands[0].Text != "echo before-$((4+4))" || ix.Hand.Commands[0].Exit != 0 {
		t.Errorf("index after a kill: %+v", ix.Hand.Commands)
	}
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] != 'Z' && b[i+2] != 'X'
	}
	return true
}

// A session typed by hand becomes a runbook: recorded through tmux (a
// heredoc, sed -i, ed typed interactively, a failed command typed again
// corrected, a marker), drafted, linted by runbook steps, then run on
// this machine from the state before the session: the files end as the
// session left them, and a second run changes nothing.
func TestDraftFromRec(t *testing.T) {
	needProgram(t, "ed")
	bin := runbookBinary(t)
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "motd"), []byte("welcome\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startPane(t, dir, recHome(t), bin+" rec s.ttyrec --title 'Set up the app'; echo EXIT=$?")
	p.wait("rec>", 1)
	p.run("cd work && echo in-$((40+2))")
	p.wait("in-42", 1)
	p.run("export APP_ENV=test")
	p.wait("rec>", 3)
	p.run("cat > app.conf <<'EOF'")
	p.run("name=demo")
	p.run("port=80")
	p.run("EOF")
	p.wait("rec>", 4)
	p.keys(`C-\`, "m")
	p.wait("marker name", 1)
	p.typ("Configure")
	p.keys("Enter")
	p.wait("marker added: Configure", 1)
	p.run("grep -q nothing-$((1)) app.conf")
	p.wait("rec>", 5)
	p.run("grep -q port app.conf && echo found-$((2+2))")
	p.wait("found-4", 1)
	p.run("sed -i 's/port=80/port=8080/' app.conf")
	p.wait("rec>", 7)
	p.run("ed motd")
	p.wait("\n8\n", 1) // ed prints the size it read
	p.run("$a")
	p.run("have fun")
	p.run(".")
	p.run("w")
	p.wait("\n17\n", 1)
	p.run("q")
	p.wait("rec>", 8)
	p.run("ls missing-$((3))")
	p.wait("No such file", 1)
	p.run("exit")
	p.wait("EXIT=0", 1)

	conf, _ := os.ReadFile(filepath.Join(work, "app.conf"))
	motd, _ := os.ReadFile(filepath.Join(work, "motd"))
	if string(conf) != "name=demo\nport=8080\n" || string(motd) != "welcome\nhave fun\n" {
		t.Fatalf("the hand session left app.conf %q and motd %q", conf, motd)
	}

	rec := filepath.Join(dir, "s.ttyrec")
	// The index, published with the recording, names the edited files
	// but holds nothing of what they held: that is in a side file only
	// its owner reads, for draft.
	if raw, _ := os.ReadFile(recording.IndexPath(rec)); !bytes.Contains(raw, []byte(`"path": "`+filepath.Join(work, "app.conf"))) || bytes.Contains(raw, []byte(`"after"`)) || bytes.Contains(raw, []byte(`"before"`)) {
		t.Errorf("the index holds the edited files' contents, or not their names:\n%s", raw)
	}
	if fi, err := os.Stat(recording.EditsPath(rec)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("edits side file: %v (mode %v), want mode 0600", err, fi.Mode())
	}
	lua := filepath.Join(dir, "app.lua")
	if out, err := exec.Command(bin, "draft", rec, "-o", lua).CombinedOutput(); err != nil {
		t.Fatalf("runbook draft: %v\n%s", err, out)
	}
	src, _ := os.ReadFile(lua)
	for _, want := range []string{
		`title = "Set up the app",`,
		"step(\"Step 1\", function()\n  sh(\"cd work && echo in-$((40+2))\")",
		`sh("export APP_ENV=test")  -- kept for the shell state`,
		"step(\"Configure\", function()\n  -- typed first, failed (exit 1), then typed again corrected:\n  -- grep -q nothing-$((1)) app.conf\n",
		`file.line("` + work + `/motd", { line = "have fun" })`,
		`sh("ls missing-$((3))", { ok = {2} })`,
		"file.write(\"" + work + "/app.conf\", [[\nname=demo\nport=8080\n]])",
		"  -- typed: sed -i 's/port=80/port=8080/' app.conf\n  -- " + work + "/app.conf was edited before: its final content is set there\n",
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the draft lacks\n%s\n--- draft:\n%s", want, src)
		}
	}
	if out, err := exec.Command(bin, "steps", lua).CombinedOutput(); err != nil {
		t.Errorf("runbook steps of the draft: %v\n%s", err, out)
	}

	// Back to the state before the session, then run the draft twice.
	os.Remove(filepath.Join(work, "app.conf"))
	os.WriteFile(filepath.Join(work, "motd"), []byte("welcome\n"), 0o644)
	for run := 1; run <= 2; run++ {
		cmd := exec.Command(bin, lua, "--no-record", "--json")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+recHome(t))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("run %d of the draft: %v\n%s", run, err, out)
		}
		var rep struct{ Changed, Failed int }
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, out)
		}
		if run == 1 && rep.Changed == 0 || run == 2 && rep.Changed != 0 || rep.Failed != 0 {
			t.Errorf("run %d of the draft: %d steps changed, %d failed\n%s", run, rep.Changed, rep.Failed, out)
		}
		conf, _ := os.ReadFile(filepath.Join(work, "app.conf"))
		motd, _ := os.ReadFile(filepath.Join(work, "motd"))
		if string(conf) != "name=demo\nport=8080\n" || string(motd) != "welcome\nhave fun\n" {
			t.Errorf("after run %d of the draft: app.conf %q, motd %q: not as the hand session left them", run, conf, motd)
		}
	}
}

// The status line sits on the bottom row of the user's screen without
// eating what the session shows there: the prompt at the bottom moves up
// a row, what is typed while it is up is seen, output scrolls above it,
// and nothing of it stays behind once it is gone, even when it was up
// as a full-screen program (vi) took over and left the screen.
func TestRecStatusLineLeavesScreenClean(t *testing.T) {
	needProgram(t, "vi")
	bin := runbookBinary(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f.conf"), []byte("a=1\n"), 0o644)
	p := startPane(t, dir, recHome(t), bin+" rec s.ttyrec; echo EXIT=$?")
	p.wait("rec>", 1)
	for i := 1; i <= 32; i++ { // the prompt ends on the bottom row
		p.run(fmt.Sprintf("echo line-$((%d+100))", i))
	}
	p.wait("line-132", 1)
	p.keys(`C-\`, "m")
	p.wait("marker name", 1)
	visible := func() []string {
		return strings.Split(strings.TrimRight(p.tmux("capture-pane", "-p"), "\n"), "\n")
	}
	if v := visible(); len(v) != 30 || !strings.HasPrefix(v[28], "rec>") || !strings.Contains(v[29], "marker name") {
		t.Errorf("the status line hides the prompt:\n%s", strings.Join(v, "\n"))
	}
	p.typ("Edit")
	p.keys("Enter")
	p.wait("marker added: Edit", 1)
	p.typ("vi f.conf")
	p.wait("rec> vi f.conf", 1) // seen while the status is up
	p.keys("Enter")
	p.wait("a=1", 1)
	p.keys(`C-\`, "p")
	p.wait("PAUSED", 1)
	p.keys(`C-\`, "p")
	p.wait("recording again", 1)
	p.run(":wq")
	p.typ("echo after-$((6*7))")
	p.keys("Enter")
	p.wait("after-42", 1)
	deadline := time.Now().Add(30 * time.Second)
	for {
		v := visible()
		s := strings.Join(v, "\n")
		last := strings.TrimSpace(v[len(v)-1])
		if !strings.Contains(s, "recording again") && !strings.Contains(s, "marker added") && !strings.Contains(s, "PAUSED") && last == "rec>" {
			if !strings.Contains(s, "rec> vi f.conf\n") || strings.Contains(s, "~") {
				t.Errorf("the screen after vi and the status line:\n%s", s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status line stays on the screen, or no prompt at the bottom:\n%s", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.run("exit")
	p.wait("EXIT=0", 1)
}
