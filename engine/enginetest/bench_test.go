package enginetest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine"
	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
)

// The benchmark: 200 line edits on one host over SSH, by a
// runbook (file.line) and by Ansible (lineinfile, pipelining on), against
// the same real sshd in the same run; then the same again when nothing
// is left to change. Reported per edit, and as ratios (Ansible's time
// over ours). bench/stdlib-fileline.sh runs it.

const benchEdits = 200

func benchFile(path string) {
	var sb strings.Builder
	for i := 0; i < benchEdits; i++ {
		fmt.Fprintf(&sb, "KEY%d=old\n", i)
	}
	os.WriteFile(path, []byte(sb.String()), 0o644)
}

func checkBenchFile(b *testing.B, path string) {
	got, _ := os.ReadFile(path)
	var sb strings.Builder
	for i := 0; i < benchEdits; i++ {
		fmt.Fprintf(&sb, "KEY%d=new\n", i)
	}
	if string(got) != sb.String() {
		b.Fatalf("%s after the edits:\n%.300s", path, got)
	}
}

func BenchmarkFileLine200(b *testing.B) {
	srv := sshtest.Start(b, sshtest.Options{})
	home := sshtest.ClientHome(b, srv, "testbox", true)
	b.Setenv("HOME", home)
	b.Setenv("SSH_AUTH_SOCK", "")
	dir := b.TempDir()
	file := filepath.Join(dir, "edits.conf")

	// Ours: one runbook run (connect, shell, 200 operations, recorded).
	src := fmt.Sprintf(`step("edits", function()
  for i = 0, %d do
    file.line(%q, {regexp = "^KEY" .. i .. "=", line = "KEY" .. i .. "=new"})
  end
end)`, benchEdits-1, file)
	runbook := func() time.Duration {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		tg, err := rssh.Dial(ctx, "testbox", rssh.Options{Home: home})
		if err != nil {
			b.Fatal(err)
		}
		defer tg.Close()
		_, err = engine.Run(ctx, engine.Options{
			Path: "edits.lua", Source: []byte(src), Target: tg,
			Record: filepath.Join(dir, "edits.ttyrec"), Cols: 120, Rows: 30,
		})
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}

	// Ansible: the same edits as lineinfile tasks, pipelining on.
	var play strings.Builder
	play.WriteString("- hosts: testbox\n  gather_facts: false\n  tasks:\n")
	for i := 0; i < benchEdits; i++ {
		fmt.Fprintf(&play, "    - lineinfile: {path: %q, regexp: '^KEY%d=', line: 'KEY%d=new'}\n", file, i, i)
	}
	playbook := filepath.Join(dir, "edits.yml")
	os.WriteFile(playbook, []byte(play.String()), 0o644)
	inventory := filepath.Join(dir, "hosts")
	os.WriteFile(inventory, []byte(fmt.Sprintf(
		"testbox ansible_ssh_common_args='-F %s/.ssh/config -o UserKnownHostsFile=%s/.ssh/known_hosts' ansible_python_interpreter=/usr/bin/python3\n",
		home, home)), 0o644)
	ansible := func() time.Duration {
		start := time.Now()
		cmd := exec.Command("ansible-playbook", "-i", inventory, playbook)
		cmd.Env = append(os.Environ(), "ANSIBLE_PIPELINING=True", "ANSIBLE_NOCOLOR=1", "ANSIBLE_HOME="+filepath.Join(home, ".ansible"))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ansible-playbook: %v\n%s", err, out)
		}
		return time.Since(start)
	}
	_, ansibleErr := exec.LookPath("ansible-playbook")
	if os.Getenv("RUNBOOK_BENCH_PEERS") == "0" {
		ansibleErr = fmt.Errorf("RUNBOOK_BENCH_PEERS=0")
	}

	per := func(d time.Duration, n int) float64 { return d.Seconds() / float64(n*benchEdits) }
	var oursChange, oursSame, ansChange, ansSame time.Duration
	for i := 0; i < b.N; i++ {
		benchFile(file)
		oursChange += runbook()
		checkBenchFile(b, file)
		oursSame += runbook()
		if ansibleErr == nil {
			benchFile(file)
			ansChange += ansible()
			checkBenchFile(b, file)
			ansSame += ansible()
		}
	}
	b.ReportMetric(per(oursChange, b.N)*1e3, "ms/edit")
	b.ReportMetric(per(oursSame, b.N)*1e3, "ms/unchanged-edit")
	if ansibleErr != nil {
		b.Logf("no comparison with Ansible: %v", ansibleErr)
		return
	}
	b.ReportMetric(per(ansChange, b.N)*1e3, "ansible-ms/edit")
	b.ReportMetric(per(ansSame, b.N)*1e3, "ansible-ms/unchanged-edit")
	b.ReportMetric(ansChange.Seconds()/oursChange.Seconds(), "x-faster")
	b.ReportMetric(ansSame.Seconds()/oursSame.Seconds(), "x-faster-unchanged")
}
