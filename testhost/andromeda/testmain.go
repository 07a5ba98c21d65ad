package andromeda

import (
	"context"
	"fmt"
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"testing"
	"time"
)

// shared is the instance Main brought up for this test binary.
var (
	shared     *Host
	sharedSkip string // why there is none, outside CI
)

// SharedDiskSize is the size of the sparse disk Main attaches for the
// install guide (it costs nothing until written).
const SharedDiskSize = 4 << 30

// Main is for a package's TestMain: it brings one andromeda up for the
// whole package run, runs the tests, and takes it down whatever they did.
// If the test binary dies (a panic, a -timeout), the supervisor sees its
// stdin close and takes andromeda down itself.
//
//	func TestMain(m *testing.M) { andromeda.Main(m) }
//
// Tests get the instance with Shared(t). When andromeda cannot come up
// (not root, no debootstrap...) the tests that need it fail under CI=true
// and are skipped otherwise.
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	start := time.Now()
	h, err := Up(ctx, Options{Log: os.Stderr, DiskSize: SharedDiskSize})
	cancel()
	if err != nil {
		sharedSkip = fmt.Sprintf("andromeda did not come up: %v", err)
		fmt.Fprintln(os.Stderr, "testhost:", sharedSkip)
		return m.Run()
	}
	fmt.Fprintf(os.Stderr, "testhost: andromeda up on %s (tree %s) in %s\n", h.Addr(), h.Tree, time.Since(start).Round(10*time.Millisecond))
	shared = h
	code := m.Run()
	dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer dcancel()
	if err := h.Down(dctx); err != nil {
		fmt.Fprintln(os.Stderr, "testhost:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Shared returns the instance Main brought up. Without one it fails the
// test under CI=true (CI installs everything andromeda needs) and skips
// it elsewhere.
func Shared(t testing.TB) *Host {
	t.Helper()
	if shared == nil {
		why := sharedSkip
		if why == "" {
			why = "no andromeda: the package's TestMain must call andromeda.Main(m)"
		}
		testenv.Missing(t, "%s", why)
	}
	return shared
}

// ResetShared starts a group of tests on a clean andromeda: it reboots the
// shared instance onto a fresh overlay.
func ResetShared(t testing.TB) *Host {
	t.Helper()
	h := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.Reset(ctx); err != nil {
		t.Fatalf("reset andromeda: %v", err)
	}
	return h
}
