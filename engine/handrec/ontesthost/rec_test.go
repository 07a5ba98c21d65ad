// Package ontesthost proves `runbook rec` and `runbook draft` for real on
// andromeda, the throwaway Debian test host: a session typed by hand
// through tmux (apt, systemctl, /etc/default/grub edited in vi and in
// nano, a failed command, markers, a pause), drafted into a runbook, and
// the draft run on a fresh andromeda, which must end as the hand session
// left it, and stay so when run again. A package of its own so that only
// these tests wait for andromeda to boot; it holds tests only.
package ontesthost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/testhost/andromeda"
)

func TestMain(m *testing.M) { andromeda.Main(m) }

func buildRunbook(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "runbook")
	if out, err := exec.Command(goBin, "build", "-o", bin, "github.com/runbook-dev/runbook/cmd/runbook").CombinedOutput(); err != nil {
		t.Fatalf("go build runbook: %v\n%s", err, out)
	}
	return bin
}

// pane is a tmux window running one command, typed into as a person
// types: keys sent, the screen read back.
type pane struct {
	t    *testing.T
	sock string
}

func startPane(t *testing.T, dir, home, command string) *pane {
	t.Helper()
	testenv.Program(t, "tmux")
	p := &pane{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	cmd := exec.Command("tmux", "-S", p.sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "-c", dir, command)
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm-256color", "EDITOR=", "VISUAL=", "SSH_AUTH_SOCK=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })
	p.tmux("set", "-g", "remain-on-exit", "on")
	p.tmux("set", "-g", "history-limit", "20000")
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

func (p *pane) typ(text string) { p.tmux("send-keys", "-l", text) }
func (p *pane) keys(k ...string) {
	p.tmux(append([]string{"send-keys"}, k...)...)
}
func (p *pane) run(line string) { p.typ(line); p.keys("Enter") }

// visible is what the window shows now; screen adds its scrollback.
func (p *pane) visible() string { return p.tmux("capture-pane", "-p") }
func (p *pane) screen() string  { return p.tmux("capture-pane", "-p", "-S", "-20000") }

// waitShown waits until the window shows want.
func (p *pane) waitShown(want string) {
	p.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(p.visible(), want) {
		if time.Now().After(deadline) {
			p.t.Fatalf("the window never showed %q:\n%s", want, p.visible())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitScreen waits until the screen with its scrollback shows want.
func (p *pane) waitScreen(want string) {
	p.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(p.screen(), want) {
		if time.Now().After(deadline) {
			p.t.Fatalf("the screen never showed %q:\n%s", want, p.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// session follows the recording's index as rec rewrites it after each
// command: a person waits for the prompt; the test waits for the index
// to have the command, ended, and then for the prompt.
type session struct {
	*pane
	index string
	n     int
}

const prompt = "root@andromeda:"

// cmd types line and waits until it ended; it returns its exit status.
func (s *session) cmd(line string) int {
	s.t.Helper()
	s.run(line)
	return s.ended()
}

// ended waits for the next command to end, and the prompt after it.
func (s *session) ended() int {
	s.t.Helper()
	s.n++
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if ix, err := recording.ReadIndex(s.index); err == nil && ix.Hand != nil && len(ix.Hand.Commands) >= s.n && ix.Hand.Commands[s.n-1].Exit != -1 {
			s.waitPrompt()
			return ix.Hand.Commands[s.n-1].Exit
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(s.index)
			s.t.Fatalf("command %d never ended:\n%s\nindex:\n%s", s.n, s.visible(), b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPrompt waits until the last line with text is the shell's prompt.
func (s *session) waitPrompt() {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		lines := strings.Split(strings.TrimRight(s.visible(), "\n "), "\n")
		if last := lines[len(lines)-1]; strings.HasPrefix(last, prompt) && strings.HasSuffix(strings.TrimRight(last, " "), "#") {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no prompt:\n%s", s.visible())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// state is what a session changes on andromeda: the packages installed,
// the units enabled, and every file under /etc (its checksum, or where a
// link points) but /etc/machine-id, which systemd makes anew at each
// boot of a fresh andromeda.
func state(t *testing.T, h *andromeda.Host) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := h.Exec(ctx, `set -e
echo '## packages'; dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' | sort
echo '## enabled units'; systemctl list-unit-files --state=enabled --no-legend --no-pager | awk '{print $1}' | sort
echo '## /etc'; find /etc -xdev -type l -printf '%p -> %l\n' | sort
find /etc -xdev -type f ! -path /etc/machine-id -print0 | sort -z | xargs -0 sha256sum`)
	if err != nil || res.Exit != 0 {
		t.Fatalf("read andromeda's state: %v exit %d\n%s", err, res.Exit, res.Stderr)
	}
	return string(res.Stdout)
}

// diffLines names the lines only in a and only in b.
func diffLines(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// The proof: a hand session on andromeda, recorded with
// `runbook rec --host andromeda`, drafted, and the draft run on a fresh
// andromeda twice.
func TestRecDraftOnAndromeda(t *testing.T) {
	testenv.Program(t, "ttyplay")
	h := andromeda.ResetShared(t)
	bin := buildRunbook(t)
	dir := t.TempDir()
	home := t.TempDir()
	rec := filepath.Join(dir, "grub.ttyrec")
	before := state(t, h)

	start := time.Now()
	p := startPane(t, dir, home, bin+" rec grub.ttyrec --host andromeda --ssh-config "+h.SSHConfig()+" --title 'Grub and packages' --idle-limit 2s; echo EXIT=$?")
	s := &session{pane: p, index: recording.IndexPath(rec)}
	p.waitScreen("runbook rec: recording andromeda")
	s.waitPrompt()
	if e := s.cmd("hostname"); e != 0 {
		t.Fatalf("hostname: exit %d", e)
	}
	if e := s.cmd("cat /etc/default/grub.d/serial.cfg"); e != 1 {
		t.Errorf("the failed command: exit %d, want 1", e)
	}
	if e := s.cmd("apt-get update -q"); e != 0 {
		t.Fatalf("apt-get update: exit %d\n%s", e, p.screen())
	}
	p.keys(`C-\`, "m")
	p.waitShown("marker name")
	p.typ("Packages")
	p.keys("Enter")
	p.waitShown("marker added: Packages")
	if e := s.cmd("apt-get install -y -q vim-tiny"); e != 0 {
		t.Fatalf("apt-get install: exit %d\n%s", e, p.screen())
	}
	if e := s.cmd("systemctl enable systemd-networkd"); e != 0 {
		t.Fatalf("systemctl enable: exit %d\n%s", e, p.screen())
	}
	// A real pause of 20 s: nothing of it may be on the recording's
	// timeline. The recorder's pause holds the 20 s between PAUSED shown
	// and the keys that end it, and lies within the time from the keys
	// that start it to "recording again" shown.
	pauseOuter := time.Now()
	p.keys(`C-\`, "p")
	p.waitShown("PAUSED")
	paused := time.Now()
	time.Sleep(pauseHeld)
	p.keys(`C-\`, "p")
	pauseSeen := time.Since(paused)
	p.waitShown("recording again")
	outer := time.Since(pauseOuter)
	p.keys(`C-\`, "m")
	p.waitShown("marker name")
	p.typ("Grub")
	p.keys("Enter")
	p.waitShown("marker added: Grub")

	// vi (vim-tiny, just installed): GRUB_TIMEOUT=5 becomes 2.
	p.run("vi /etc/default/grub")
	p.waitShown("GRUB_DISTRIBUTOR=")
	p.run(":%s/^GRUB_TIMEOUT=5$/GRUB_TIMEOUT=2/")
	p.waitShown("GRUB_TIMEOUT=2")
	p.run(":wq")
	if e := s.ended(); e != 0 {
		t.Fatalf("vi: exit %d", e)
	}
	// nano: a line added after GRUB_CMDLINE_LINUX.
	p.run("nano /etc/default/grub")
	p.waitShown("GNU nano")
	p.keys("C-w")
	p.waitShown("Search")
	p.run(`GRUB_CMDLINE_LINUX=`)
	p.keys("End", "Enter")
	p.typ("GRUB_TERMINAL=console")
	p.keys("C-o")
	p.waitShown("File Name to Write")
	p.keys("Enter")
	p.waitShown("Wrote")
	p.keys("C-x")
	if e := s.ended(); e != 0 {
		t.Fatalf("nano: exit %d", e)
	}
	if e := s.cmd("grep -c ^GRUB_ /etc/default/grub"); e != 0 {
		t.Errorf("grep: exit %d", e)
	}
	p.run("exit")
	p.waitScreen("EXIT=0")
	wall := time.Since(start)
	if out := p.screen(); !strings.Contains(out, "9 commands") || !strings.Contains(out, "2 files edited") || !strings.Contains(out, "2 markers") {
		t.Errorf("rec's summary:\n%s", out)
	}
	handState := state(t, h)
	grub := grubOf(t, h)
	if !strings.Contains(grub, "\nGRUB_TIMEOUT=2\n") || !strings.Contains(grub, "GRUB_CMDLINE_LINUX=\"\"\nGRUB_TERMINAL=console\n") {
		t.Fatalf("the hand session left /etc/default/grub:\n%s", grub)
	}
	if d := diffLines(before, handState); !strings.Contains(d, "+ vim-tiny ") || !strings.Contains(d, "+ systemd-networkd.service") {
		t.Fatalf("the hand session's changes to andromeda:\n%s", d)
	}

	// The index.
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	hand := ix.Hand
	if ix.Host != "andromeda" || hand == nil || hand.Hostname != "andromeda" || hand.Title != "Grub and packages" || !hand.Marks {
		t.Fatalf("index: host %q, hand %+v", ix.Host, hand)
	}
	var got []string
	for _, c := range hand.Commands {
		got = append(got, fmt.Sprintf("%s => %d", c.Text, c.Exit))
	}
	want := []string{
		"hostname => 0",
		"cat /etc/default/grub.d/serial.cfg => 1",
		"apt-get update -q => 0",
		"apt-get install -y -q vim-tiny => 0",
		"systemctl enable systemd-networkd => 0",
		"vi /etc/default/grub => 0",
		"nano /etc/default/grub => 0",
		"grep -c ^GRUB_ /etc/default/grub => 0",
		"exit => -1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var labels []string
	for _, m := range ix.Markers {
		labels = append(labels, m.Label)
	}
	if strings.Join(labels, ",") != "Packages,Grub" {
		t.Errorf("markers %q", labels)
	}
	var cut, idle time.Duration
	for _, pz := range ix.Pauses {
		if pz.Reason == "paused" {
			cut += pz.Cut.Duration()
		} else {
			idle += pz.Cut.Duration()
		}
	}
	if cut < pauseHeld || cut > outer {
		t.Errorf("pauses %+v: %s cut, want the pause's: at least the %s it was held, at most the %s from its keys to its end shown", ix.Pauses, cut, pauseHeld, outer)
	}
	// Nothing over the idle limit is left on the timeline, and ttyplay
	// plays it through.
	if g, at := longestGap(t, rec); g > 2*time.Second+time.Millisecond {
		t.Errorf("a gap of %s at %s: over the idle limit of 2 s", g, at)
	}
	if out, err := exec.Command("ttyplay", "-n", rec).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("vim-tiny")) {
		t.Errorf("ttyplay -n: %v\n%.2000q", err, out)
	}
	// The recording's duration excludes the pause: its timeline plus
	// what was cut is at most the wall-clock time the session took.
	dur := duration(t, rec)
	if dur+cut+idle > wall {
		t.Errorf("the recording lasts %s, %s cut: more than the %s the session took", dur, cut+idle, wall)
	}
	t.Logf("session %s (wall clock, from tmux start to exit seen), recording %s, pause cut %s (the test held it %s, %s from its keys to its end shown), other cuts %s; wall - recording - pause = %s",
		wall.Round(time.Millisecond), dur.Round(time.Millisecond), cut.Round(time.Millisecond), pauseSeen.Round(time.Millisecond), outer.Round(time.Millisecond), idle, (wall - dur - cut).Round(time.Millisecond))

	// The edited file is named in the index; what it held is in the
	// side file only.
	raw, _ := os.ReadFile(recording.IndexPath(rec))
	if bytes.Count(raw, []byte(`"path": "/etc/default/grub"`)) != 2 || bytes.Contains(raw, []byte("GRUB_DISTRIBUTOR")) {
		t.Errorf("the index does not name /etc/default/grub twice, or holds its content:\n%s", raw)
	}
	edits, err := recording.ReadEdits(recording.EditsPath(rec))
	if err != nil || len(edits) != 2 {
		t.Fatalf("edits: %v %+v", err, edits)
	}
	if a := edits[0].After; a == nil || !strings.Contains(string(a.Bytes()), "\nGRUB_TIMEOUT=2\n") || strings.Contains(string(a.Bytes()), "\nGRUB_TERMINAL=console") {
		t.Errorf("the vi edit's content after: %+v", edits[0])
	}
	if a := edits[1].After; a == nil || string(a.Bytes()) != grub {
		t.Errorf("the nano edit's content after: %+v", edits[1])
	}

	for _, args := range [][]string{{"info", rec}, {"check", rec}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("runbook %s: %v\n%s", args[0], err, out)
		}
		if args[0] == "info" && !strings.Contains(string(out), "runbook rec on andromeda; 9 commands (1 failed), 2 file edits") {
			t.Errorf("runbook info:\n%s", out)
		}
	}

	// The draft.
	lua := filepath.Join(dir, "grub.lua")
	if out, err := exec.Command(bin, "draft", rec, "-o", lua).CombinedOutput(); err != nil {
		t.Fatalf("runbook draft: %v\n%s", err, out)
	}
	src, _ := os.ReadFile(lua)
	t.Logf("the draft:\n%s", src)
	for _, w := range []string{
		`step("Packages", function()`,
		`apt.install({ "vim-tiny" })`,
		`systemd.enable("systemd-networkd")`,
		`step("Grub", function()`,
		`sh("cat /etc/default/grub.d/serial.cfg", { ok = {1} })`,
	} {
		if !strings.Contains(string(src), w) {
			t.Errorf("the draft lacks %s", w)
		}
	}
	if out, err := exec.Command(bin, "steps", lua).CombinedOutput(); err != nil {
		t.Errorf("runbook steps of the draft: %v\n%s", err, out)
	}

	// On a fresh andromeda, twice: the state of the hand session, then
	// nothing changed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.Reset(ctx); err != nil {
		t.Fatalf("reset andromeda: %v", err)
	}
	if fresh := state(t, h); fresh != before {
		t.Fatalf("a reset andromeda differs from the first:\n%s", diffLines(before, fresh))
	}
	for run := 1; run <= 2; run++ {
		cmd := exec.CommandContext(ctx, bin, "run", lua, "--host", "andromeda", "--ssh-config", h.SSHConfig(), "--no-record", "--json")
		cmd.Env = append(os.Environ(), "HOME="+home)
		out, err := cmd.Output()
		var rep struct{ Changed, Failed int }
		if jerr := json.Unmarshal(out, &rep); err != nil || jerr != nil {
			t.Fatalf("run %d of the draft: %v %v\n%s", run, err, jerr, out)
		}
		if run == 1 && rep.Changed == 0 || run == 2 && rep.Changed != 0 || rep.Failed != 0 {
			t.Errorf("run %d of the draft: %d steps changed, %d failed\n%s", run, rep.Changed, rep.Failed, out)
		}
		if now := state(t, h); now != handState {
			t.Errorf("after run %d of the draft andromeda differs from the hand session's:\n%s", run, diffLines(handState, now))
		}
	}
}

func grubOf(t *testing.T, h *andromeda.Host) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := h.Exec(ctx, "cat /etc/default/grub")
	if err != nil || res.Exit != 0 {
		t.Fatalf("cat /etc/default/grub: %v %d", err, res.Exit)
	}
	return string(res.Stdout)
}

// pauseHeld is how long the hand session holds its pause.
const pauseHeld = 20 * time.Second

// frameTimes are the times of rec's frames, in order.
func frameTimes(t *testing.T, rec string) []time.Duration {
	t.Helper()
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := recording.NewReader(f, rec)
	var times []time.Duration
	for {
		fr, err := rd.Next()
		if err != nil {
			return times
		}
		times = append(times, fr.Time())
	}
}

// longestGap is the longest time between two frames of rec, and where.
func longestGap(t *testing.T, rec string) (gap, at time.Duration) {
	times := frameTimes(t, rec)
	for i := 1; i < len(times); i++ {
		if times[i]-times[i-1] > gap {
			gap, at = times[i]-times[i-1], times[i-1]
		}
	}
	return gap, at
}

// duration is the time from the recording's first frame to its last.
func duration(t *testing.T, rec string) time.Duration {
	times := frameTimes(t, rec)
	if len(times) == 0 {
		return 0
	}
	return times[len(times)-1] - times[0]
}
