package stdlib_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/stdlib"
)

// notifyingHost is a bashHost that says when a command is about to run
// (stdlib.CommandNotifier), as the engine's hosts do.
type notifyingHost struct {
	bashHost
	before []func()
	dpkg   int // dpkg-query commands on the side channel
}

func (h *notifyingHost) Exec(ctx context.Context, cmd string, stdin []byte) ([]byte, int, error) {
	if strings.HasPrefix(cmd, "dpkg-query ") {
		h.dpkg++
	}
	return h.bashHost.Exec(ctx, cmd, stdin)
}

func (h *notifyingHost) BeforeCommand(f func()) { h.before = append(h.before, f) }

func (h *notifyingHost) Run(ctx context.Context, cmd string, opts stdlib.RunOptions) (stdlib.RunResult, error) {
	for _, f := range h.before {
		f()
	}
	return h.bashHost.Run(ctx, cmd, opts)
}

// A run of apt.installed checks asks dpkg once; a command typed after
// them may install or remove a package, so the next check asks again.
func TestAptInstalledAsksDpkgOncePerCommand(t *testing.T) {
	testenv.Programs(t, "dpkg-query")
	dir := t.TempDir()
	h := &notifyingHost{bashHost: bashHost{dir: dir}}
	mustRun(t, h, `
		assert(apt.installed("bash"), "bash")
		assert(apt.installed({"coreutils", "dpkg"}), "coreutils and dpkg")
		assert(not apt.installed("no-such-package-here"), "a missing package")
		assert(not apt.installed({"bash", "no-such-package-here"}), "one of two missing")
		file.write(PATH, "x\n")
		assert(apt.installed("bash"), "bash again")
	`, map[string]string{"PATH": filepath.Join(dir, "f")})
	if h.dpkg != 2 {
		t.Errorf("dpkg asked %d times, want twice (once before the command, once after)", h.dpkg)
	}
	if len(h.runs) != 1 {
		t.Errorf("commands typed: %q, want the file's write only", h.runs)
	}
}
