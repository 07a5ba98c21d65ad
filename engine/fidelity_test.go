package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/runbook-dev/runbook/engine/target"
)

// textFile makes n bytes of printable text in lines, with multi-byte
// UTF-8 characters, from a fixed seed.
func textFile(t testing.TB, n int) (string, []byte) {
	rng := rand.New(rand.NewSource(42))
	alphabet := []rune("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,;:-_=+/é→★")
	var b bytes.Buffer
	for b.Len() < n {
		line := rng.Intn(120)
		for i := 0; i < line; i++ {
			b.WriteRune(alphabet[rng.Intn(len(alphabet))])
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, b.Bytes()
}

// TestRecordingIsByteExact: 25 runs of cat of a 5 MB file each record
// exactly the file's bytes as the terminal shows them (LF as CR LF).
// (asciinema 2.2 lost the tail of its output in 11 of 25 such runs here.)
func TestRecordingIsByteExact(t *testing.T) {
	runs := 25
	if testing.Short() {
		runs = 3
	}
	path, content := textFile(t, 5<<20)
	want := bytes.ReplaceAll(content, []byte("\n"), []byte("\r\n"))
	src := fmt.Sprintf("step('cat', function() sh('cat %s') end)", path)
	for i := 0; i < runs; i++ {
		res := runSource(t, context.Background(), src, func(o *Options) { o.Display = nil })
		if res.err != nil {
			t.Fatalf("run %d: %v", i, res.err)
		}
		if n := bytes.Count(res.data, want); n != 1 {
			t.Fatalf("run %d: the file's bytes appear %d times in the recording (%d bytes recorded, file %d as shown)", i, n, len(res.data), len(want))
		}
		// Nothing but the echo before and the prompt after.
		at := bytes.Index(res.data, want)
		if extra := len(res.data) - len(want); extra > 1024 {
			t.Fatalf("run %d: %d bytes besides the file's (at %d)", i, extra, at)
		}
	}
}

// TestNoTerminalAttached: the engine's session is its own pty, so a run
// with no terminal at all (stdin, stdout and stderr not ttys, as in CI or
// cron) records fully.
func TestNoTerminalAttached(t *testing.T) {
	res := runSource(t, context.Background(), `step("a", function() sh("tty; echo recorded") end)`, func(o *Options) { o.Display = nil })
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !bytes.Contains(res.data, []byte("/dev/pts/")) || !bytes.Contains(res.data, []byte("recorded\r\n")) {
		t.Fatalf("recording: %q", res.data)
	}
}

// BenchmarkShTrue is the per-command overhead of sh("true") in a persistent
// recorded session (bench/ runs it beside expect and script).
func BenchmarkShTrue(b *testing.B) { benchSh(b, "true") }

// BenchmarkShBinTrue is the same for an external command.
func BenchmarkShBinTrue(b *testing.B) { benchSh(b, "/bin/true") }

func benchSh(b *testing.B, cmd string) {
	b.Setenv("HOME", b.TempDir())
	dir := b.TempDir()
	src := fmt.Sprintf("step('loop', function() for i = 1, %d do sh(%q) end end)", b.N, cmd)
	loc := target.NewLocal()
	defer loc.Close()
	b.ResetTimer()
	_, err := Run(context.Background(), Options{Path: "bench.lua", Source: []byte(src), Target: loc,
		Record: filepath.Join(dir, "b.ttyrec")})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCatThroughput records sh("cat FILE") of a 50 MB file; bytes/s is
// the recorded output rate.
func BenchmarkCatThroughput(b *testing.B) {
	b.Setenv("HOME", b.TempDir())
	path, content := textFile(b, 50<<20)
	dir := b.TempDir()
	loc := target.NewLocal()
	defer loc.Close()
	b.SetBytes(int64(len(content)))
	src := fmt.Sprintf("step('cat', function() for i = 1, %d do sh('cat %s') end end)", b.N, path)
	b.ResetTimer()
	_, err := Run(context.Background(), Options{Path: "bench.lua", Source: []byte(src), Target: loc,
		Record: filepath.Join(dir, "b.ttyrec")})
	if err != nil {
		b.Fatal(err)
	}
}
