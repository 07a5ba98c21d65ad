package ssh_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/engine/target"
)

// BenchmarkExecTrue is one side-channel command: an exec channel on the
// open connection running `sh -c true`.
func BenchmarkExecTrue(b *testing.B) {
	srv := sshtest.Start(b, sshtest.Options{})
	home := sshtest.ClientHome(b, srv, "andromeda", true)
	b.Setenv("HOME", home)
	b.Setenv("SSH_AUTH_SOCK", "")
	tg, err := rssh.Dial(b.Context(), "andromeda", rssh.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer tg.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res, err := tg.Exec(b.Context(), "true", nil); err != nil || res.Exit != 0 {
			b.Fatal(err, res.Exit)
		}
	}
}

// BenchmarkPtyTrue is the transport's floor for one command in the
// session: type `true` and a mark into the remote bash, wait for the mark.
func BenchmarkPtyTrue(b *testing.B) {
	srv := sshtest.Start(b, sshtest.Options{})
	home := sshtest.ClientHome(b, srv, "andromeda", true)
	b.Setenv("HOME", home)
	b.Setenv("SSH_AUTH_SOCK", "")
	tg, err := rssh.Dial(b.Context(), "andromeda", rssh.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer tg.Close()
	sess, err := tg.Shell(b.Context(), target.ShellOptions{Command: "PS1= bash --norc --noprofile -i"})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	io.WriteString(sess, "stty -echo\n")
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 4096)
	wait := func(mark string) {
		for !bytes.Contains(buf, []byte(mark)) {
			n, err := sess.Read(chunk)
			if err != nil {
				b.Fatal(err)
			}
			buf = append(buf, chunk[:n]...)
		}
		buf = buf[:0]
	}
	io.WriteString(sess, "echo M$((1+1))\n")
	wait("M2")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The mark is computed by the shell so the echo of the typed line
		// cannot match it.
		fmt.Fprintf(sess, "true; echo D$((%d+1))\n", i)
		wait(fmt.Sprintf("D%d", i+1))
	}
}

// BenchmarkDialFirstExec is what every run pays before its session: the
// connection, then the first side-channel command (the engine puts the
// shell's startup file in place with it). Before sshd opens a pty it
// leaves Nagle's algorithm on, so without quick ACKs (quickack_linux.go)
// the first command waited for a delayed ACK: ~55 ms instead of ~10 ms.
func BenchmarkDialFirstExec(b *testing.B) {
	srv := sshtest.Start(b, sshtest.Options{})
	home := sshtest.ClientHome(b, srv, "andromeda", true)
	b.Setenv("HOME", home)
	b.Setenv("SSH_AUTH_SOCK", "")
	var first time.Duration
	for i := 0; i < b.N; i++ {
		tg, err := rssh.Dial(b.Context(), "andromeda", rssh.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if res, err := tg.Exec(b.Context(), "true", nil); err != nil || res.Exit != 0 {
			b.Fatal(err, res.Exit)
		}
		first += time.Since(start)
		tg.Close()
	}
	b.ReportMetric(first.Seconds()*1e3/float64(b.N), "ms/first-exec")
}
