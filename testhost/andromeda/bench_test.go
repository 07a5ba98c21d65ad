package andromeda

import (
	"context"
	"os/exec"
	"testing"
)

// go test -run '^$' -bench . ./testhost/andromeda
//
// BenchmarkUpDown is a cached boot and a teardown; BenchmarkReset a reboot
// onto a clean overlay; the Exec pair puts Host.Exec beside OpenSSH's own
// `ssh -F CONFIG andromeda true`, measured in the same run.

func BenchmarkUpDown(b *testing.B) {
	Shared(b) // the tree is in the cache by now
	for i := 0; i < b.N; i++ {
		h, err := Up(context.Background(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Down(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReset(b *testing.B) {
	h := Shared(b)
	for i := 0; i < b.N; i++ {
		if err := h.Reset(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExec(b *testing.B) {
	h := Shared(b)
	for i := 0; i < b.N; i++ {
		if res, err := h.Exec(context.Background(), "true"); err != nil || res.Exit != 0 {
			b.Fatal(err, res)
		}
	}
}

func BenchmarkExecOpenSSH(b *testing.B) {
	h := Shared(b)
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		b.Skip("no ssh")
	}
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(ssh, "-F", h.SSHConfig(), "andromeda", "true").CombinedOutput(); err != nil {
			b.Fatal(err, string(out))
		}
	}
}
