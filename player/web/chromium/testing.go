package chromium

import (
	"context"
	"github.com/runbook-dev/runbook/internal/testenv"
	"testing"
	"time"
)

// ForTest starts a browser for t and closes it when t ends. Without
// Chromium the test fails under CI (CI=true), where it must run, and is
// skipped elsewhere.
func ForTest(t testing.TB) *Browser {
	t.Helper()
	if _, err := Find(); err != nil {
		testenv.Missing(t, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
