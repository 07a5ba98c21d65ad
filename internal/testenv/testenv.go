// Package testenv is the one way a test says it needs something of the
// machine — a program, a file, root, ../shared, a browser, the test host —
// and what happens when it is missing: in CI (CI=true), where
// scripts/test.sh installs and starts everything the tests need, the test
// fails loudly; elsewhere it is skipped with the reason.
//
// Test support: only tests and test helpers import it; it imports the
// standard library only.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing ends the test for want of what format says: a failure in CI, a
// skip elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (CI must provide it: scripts/test.sh, scripts/apt-packages.txt)", msg)
	}
	t.Skip(msg)
}

// Program returns the path of the program name, or ends the test as
// Missing says.
func Program(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed: %v", name, err)
	}
	return p
}

// Programs is Program for each name.
func Programs(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		Program(t, n)
	}
}

// File ends the test as Missing says when path does not exist.
func File(t testing.TB, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "%s missing: %v", what, err)
	}
}

// Root ends the test as Missing says unless it runs as root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "%s needs root", why)
	}
}

// Buffer is a bytes.Buffer safe for one writer goroutine and readers in
// others: what a session showed, collected while the test looks at it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitCount returns what was written once it holds sub n times, or when
// within has passed: a session's next prompt may still be on its way when
// the command it follows is done.
func (s *Buffer) WaitCount(sub string, n int, within time.Duration) string {
	deadline := time.Now().Add(within)
	for {
		out := s.String()
		if strings.Count(out, sub) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}
