package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math/rand"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/internal/secret"
)

// leakRunbook puts its secret parameter pw into every position a runbook
// can: a command argument, an env value, an exported env, file content
// (write, line, block, replace), an answer, a secret() value, a command's
// output in clear, base64 and hex and split across frames, a comment,
// and a failing command's tail. Each position has a context ("ctx-NAME=")
// so a short secret can be looked for where it would be.
const leakRunbook = `runbook { name = "leak", params = {
  pw = { secret = true, env = "MYPW", doc = "the secret" },
  dir = { default = "/tmp" },
} }
local plain = not params.pw:find("[^%w]")
step("Use it everywhere", function()
  comment("narration ctx-comment=" .. params.pw)
  sh("echo ctx-arg=" .. params.pw)
  sh('echo "ctx-env=$V"', { env = { V = params.pw } })
  sh('echo "ctx-exported=$MYPW"')
  file.write(params.dir .. "/a.conf", "ctx-write=" .. params.pw .. "\n")
  if not params.pw:find("\n") then
    file.line(params.dir .. "/b.conf", { line = "ctx-line=" .. params.pw, regexp = "^ctx-line=", create = true })
    sh("read -r -p 'Password: ' x; echo \"ctx-answer=$x\"", { answers = { ["Password: "] = params.pw } })
  end
  file.block(params.dir .. "/c.conf", "ctx-block=" .. params.pw .. "\n", { create = true })
  if plain then
    if not file.exists(params.dir .. "/d.conf") then file.write(params.dir .. "/d.conf", "ctx-replace=old\n") end
    file.replace(params.dir .. "/d.conf", "old", params.pw)
  end
  local tok = secret("tokA" .. params.pw .. "Btok", "tok")
  sh("echo ctx-token=" .. tok)
  sh([[printf 'ctx-b64=%s\n' "$(printf 'ctx-b64=%s' "$V" | base64 -w0)"; printf 'ctx-hex=%s\n' "$(printf 'ctx-hex=%s' "$V" | od -An -tx1 | tr -d ' \n')"]], { env = { V = params.pw } })
  sh([[v="ctx-split=$MYPW"; printf '%s' "${v:0:12}"; sleep 0.3; printf '%s\n' "${v:12}"]])
end)
step("Fail with it", function()
  sh('echo "ctx-tail=$MYPW"; false')
end)
`

// contexts are the prefixes the runbook writes its secret behind.
var leakContexts = []string{"ctx-comment=", "ctx-arg=", "ctx-env=", "ctx-exported=", "ctx-write=", "ctx-line=",
	"ctx-answer=", "ctx-block=", "ctx-replace=", "ctx-token=tokA", "ctx-b64=", "ctx-hex=", "ctx-split=", "ctx-tail="}

// leakForms are the texts that would betray pw: for a secret long enough
// to mean itself, every form secret.Forms lists and its whole base64 and
// hex; for any secret, pw behind each context, in clear and encoded.
func leakForms(pw string) []string {
	var forms []string
	if len(pw) >= 6 {
		forms = append(forms, secret.Forms(pw)...)
	}
	for _, c := range leakContexts {
		if (c == "ctx-b64=" || c == "ctx-hex=") && len(pw) < 3 {
			// A program printing base64 or hex of text that holds a
			// 1- or 2-byte secret: its characters say too little to mask.
			continue
		}
		s := c + pw
		forms = append(forms, s, strings.ReplaceAll(s, "\n", "\r\n"), strconv.Quote(s)[1:len(strconv.Quote(s))-1],
			url.QueryEscape(s), hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s))[:4*(len(s)/3)])
		for a := 0; a < 3; a++ {
			enc := base64.StdEncoding.EncodeToString(append(make([]byte, a), s...))
			first, last := (8*a+5)/6, (8*a+8*len(s))/6
			forms = append(forms, enc[first:last])
		}
	}
	return forms
}

// scanLeaks fails the test for every form of pw found in what.
func scanLeaks(t *testing.T, what string, b []byte, pw string) {
	t.Helper()
	for _, f := range leakForms(pw) {
		if f != "" && bytes.Contains(b, []byte(f)) {
			i := bytes.Index(b, []byte(f))
			t.Errorf("%s holds the secret as %q: …%q…", what, f, b[max(0, i-40):min(len(b), i+len(f)+40)])
		}
	}
}

func TestSecretsLeakNowhere(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	long := make([]byte, 200)
	for i := range long {
		long[i] = alnum[rng.Intn(len(alnum))]
	}
	cases := map[string]string{
		"1-byte":   "Q",
		"3-byte":   "k9Z",
		"200-byte": string(long),
		"special":  "it's \"$HOME\" `x` \\ ü\nnext-Zq9",
	}
	for name, pw := range cases {
		t.Run(name+"/local", func(t *testing.T) { leakCheck(t, pw, "") })
	}
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "andromeda", true)
	for name, pw := range cases {
		t.Run(name+"/ssh", func(t *testing.T) {
			t.Setenv("HOME", home)
			t.Setenv("SSH_AUTH_SOCK", "")
			leakCheck(t, pw, "andromeda")
		})
	}
}

// leakCheck runs leakRunbook with pw (from the environment), makes every
// artefact of the recording, and scans all of them and all output.
func leakCheck(t *testing.T, pw, host string) {
	dir := t.TempDir()
	rb := filepath.Join(dir, "leak.lua")
	os.WriteFile(rb, []byte(leakRunbook), 0o644)
	files := t.TempDir()
	if host != "" {
		// The remote user writes into its own /tmp.
		files = "/tmp/leak-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(rand.Int())
		t.Cleanup(func() { os.RemoveAll(files) })
	}
	os.MkdirAll(files, 0o777)
	os.Chmod(files, 0o777)
	t.Setenv("RUNBOOK_PARAM_PW", pw)
	rec := filepath.Join(dir, "leak.ttyrec")
	hostArgs := []string{}
	if host != "" {
		hostArgs = []string{"--host", host}
	}
	var outputs []string
	run := func(want int, args ...string) {
		t.Helper()
		code, out, errOut := runHostsCLI(t, args...)
		outputs = append(outputs, out, errOut)
		if code != want {
			t.Fatalf("runbook %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, out, errOut)
		}
	}
	run(1, append([]string{rb, "--record", rec, "--set", "dir=" + files, "--diff"}, hostArgs...)...)
	// Run again: nothing to change but the failing step; then a dry run
	// with a new secret shows its diffs masked, the old value too.
	run(1, append([]string{rb, "--no-record", "--set", "dir=" + files, "--json"}, hostArgs...)...)
	old := pw
	t.Setenv("RUNBOOK_PARAM_PW", pw+"X2")
	run(0, append([]string{rb, "--dry-run", "--diff", "--set", "dir=" + files, "--only", "1"}, hostArgs...)...)
	t.Setenv("RUNBOOK_PARAM_PW", old)

	art := filepath.Join(dir, "art")
	os.Mkdir(art, 0o755)
	a := func(name string) string { return filepath.Join(art, name) }
	run(0, "convert", rec, a("out.cast"))
	run(0, "convert", rec, a("out3.cast"), "--cast-v3")
	run(0, "convert", rec, a("out.txt"))
	run(0, "convert", rec, a("out.raw"), "--to", "raw")
	run(0, "export", rec, a("page.html"))
	run(0, "export", rec, a("anim.svg"))
	run(0, "doc", rb, "--recording", rec, "--format", "markdown", "-o", a("page.md"))
	run(0, "doc", rb, "--recording", rec, "--format", "hugo", "-o", a("hugo.md"))
	for _, f := range []string{"text", "ansi", "html", "svg"} {
		run(0, "render", rec, "--format", f, "-o", a("screen."+f))
	}
	run(0, "steps", rb)
	run(0, "steps", rb, "--set", "pw="+pw) // warns, masks
	run(0, "info", rec, "--json")
	run(1, "check", rec, "--runbook", rb) // the run failed, as it should

	scanLeaks(t, "the recording", mustRead(t, rec), pw)
	scanLeaks(t, "the index", mustRead(t, rec+".json"), pw)
	entries, _ := os.ReadDir(art)
	if len(entries) < 12 {
		t.Fatalf("only %d artefacts made", len(entries))
	}
	for _, e := range entries {
		scanLeaks(t, e.Name(), mustRead(t, a(e.Name())), pw)
	}
	for i, o := range outputs {
		scanLeaks(t, "output "+strconv.Itoa(i), []byte(o), pw)
		if i == 4 || i == 5 { // the dry run given the new value
			scanLeaks(t, "output "+strconv.Itoa(i), []byte(o), pw+"X2")
		}
	}
	all := strings.Join(outputs, "")
	if !strings.Contains(all, "visible to every user of this machine") {
		t.Error("--set of a secret did not warn")
	}
	// The host got the real value, and the session showed the reference.
	if host == "" {
		if got := string(mustRead(t, filepath.Join(files, "a.conf"))); got != "ctx-write="+pw+"\n" {
			t.Errorf("a.conf = %q", got)
		}
	}
	if !bytes.Contains(mustRead(t, rec), []byte("ctx-write=${pw}")) {
		t.Error("the recording does not show the heredoc referring to ${pw}")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// No process of a run — runbook, its session's bash, the commands it
// types, ssh — shows the secret on its command line, given through the
// environment or --set-file.
func TestSecretNotInProcessList(t *testing.T) {
	bin := builtRunbook(t)
	const pw = "Ps-Zq9-never-in-argv"
	dir := t.TempDir()
	src := `runbook { name = "ps", params = { pw = { secret = true } } }
step("use", function()
  file.write("` + dir + `/conf", "password = " .. params.pw .. "\n")
  sh("echo " .. params.pw .. "; sleep 1.5; echo done")
end)`
	os.WriteFile(filepath.Join(dir, "ps.lua"), []byte(src), 0o644)
	os.WriteFile(filepath.Join(dir, "pw.txt"), []byte(pw+"\n"), 0o600)
	for _, how := range []string{"env", "set-file"} {
		cmd := exec.Command(bin, "ps.lua", "--no-record")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+dir)
		if how == "env" {
			cmd.Env = append(cmd.Env, "RUNBOOK_PARAM_PW="+pw)
		} else {
			cmd.Args = append(cmd.Args, "--set-file", "pw=pw.txt")
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		seen := 0
	poll:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s: %v\n%s", how, err, out.String())
				}
				break poll
			default:
			}
			procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
			for _, p := range procs {
				b, err := os.ReadFile(p)
				if err != nil || len(b) == 0 {
					continue
				}
				seen++
				if bytes.Contains(b, []byte(pw)) {
					t.Errorf("%s: %s is %q", how, p, bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		if seen == 0 || !strings.Contains(out.String(), "done") {
			t.Fatalf("%s: nothing polled or the run did not finish:\n%s", how, out.String())
		}
		if strings.Contains(out.String(), pw) {
			t.Errorf("%s: the output shows the secret", how)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "conf")); string(got) != "password = "+pw+"\n" {
			t.Errorf("%s: the file holds %q", how, got)
		}
		os.Remove(filepath.Join(dir, "conf"))
	}
}

// A secret of a few characters is masked inside every word that holds
// them: runbook says so, without saying the secret.
func TestShortSecretWarns(t *testing.T) {
	rb := filepath.Join(t.TempDir(), "short.lua")
	if err := os.WriteFile(rb, []byte(`runbook { name = "short", params = { pw = { secret = true, default = "" } } }
step("Say it", function() sh("echo exactly") end)
`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RUNBOOK_PARAM_PW", "x")
	code, out, errs := runMain(t, "steps", rb)
	if code != 0 {
		t.Fatalf("steps: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(errs, "secret parameter pw is shorter than 4 characters") {
		t.Errorf("no warning of a one-character secret:\n%s", errs)
	}
	t.Setenv("RUNBOOK_PARAM_PW", "long enough")
	if _, _, errs := runMain(t, "steps", rb); strings.Contains(errs, "shorter than") {
		t.Errorf("a long secret warned:\n%s", errs)
	}
}
