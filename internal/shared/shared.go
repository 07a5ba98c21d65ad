// Package shared locates ../shared, the folder beside the checkout that
// holds recordings made by other tools (corpus/) and real files from public
// projects (realworld/). Tests read them in place, never copied into the
// repository. It is for tests only and imports nothing of the project.
package shared

import (
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is $RUNBOOK_SHARED when set, else the "shared" folder beside the
// checkout, whatever directory the test runs in.
func Dir() string {
	if d := os.Getenv("RUNBOOK_SHARED"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("..", "shared")
	}
	// file is CHECKOUT/internal/shared/shared.go.
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
}

// Need returns Dir, failing the test when it is missing in CI (CI=true)
// and skipping it elsewhere.
func Need(t testing.TB) string {
	t.Helper()
	d := Dir()
	if _, err := os.Stat(d); err != nil {
		testenv.Missing(t, "shared recordings missing (set RUNBOOK_SHARED to their folder): %v", err)
	}
	return d
}
