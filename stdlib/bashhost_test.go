package stdlib_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/stdlib"
	"github.com/runbook-dev/runbook/stdlib/stdlibtest"
	lua "github.com/yuin/gopher-lua"
)

// bashHost is a stdlib.Host on this machine that runs every command in a
// real bash (Run) or sh (Exec): real processes, real files, no canned
// answers. It keeps what ran, what was shown and what changed, so tests
// can check what a person watching the session would have seen.
type bashHost struct {
	dry, diff bool
	secrets   []string
	dir       string // working directory of both channels

	runs    []string // commands typed into the "session"
	execs   int      // side-channel reads
	shown   strings.Builder
	changes []change
}

type change struct {
	op, target string
	changed    bool
}

func (h *bashHost) Name() string { return "local" }

func (h *bashHost) Run(ctx context.Context, cmd string, opts stdlib.RunOptions) (stdlib.RunResult, error) {
	if h.dry {
		return stdlib.RunResult{}, errors.New("Run called in a dry run: " + cmd)
	}
	// As the engine does: a secret is never typed, the command refers to
	// it as a shell variable the session has (secret.Refer).
	var refs []secret.Ref
	env := append(os.Environ(), opts.Env...)
	for i, s := range h.secrets {
		v := fmt.Sprintf("secret%d", i+1)
		refs = append(refs, secret.Ref{Var: v, Value: s})
		env = append(env, v+"="+s)
	}
	cmd, _, err := secret.Refer(cmd, refs, secret.New(h.secrets...))
	if err != nil {
		return stdlib.RunResult{}, err
	}
	h.runs = append(h.runs, cmd)
	c := exec.CommandContext(ctx, "bash", "-c", cmd)
	c.Dir = h.dir
	c.Env = env
	out, err := c.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return stdlib.RunResult{Exit: ee.ExitCode(), Output: string(out)}, nil
	case err != nil:
		return stdlib.RunResult{}, err
	}
	return stdlib.RunResult{Output: string(out)}, nil
}

func (h *bashHost) Exec(ctx context.Context, cmd string, stdin []byte) ([]byte, int, error) {
	h.execs++
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Dir = h.dir
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	out, err := c.Output()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out, ee.ExitCode(), nil
	case err != nil:
		return nil, 0, err
	}
	return out, 0, nil
}

func (h *bashHost) ReadLocal(path string) ([]byte, error) { return os.ReadFile(path) }
func (h *bashHost) DryRun() bool                          { return h.dry }
func (h *bashHost) ShowDiff() bool                        { return h.diff || h.dry }
func (h *bashHost) Show(text string)                      { h.shown.WriteString(text) }
func (h *bashHost) Secrets() []string                     { return h.secrets }
func (h *bashHost) Changed(op, target string, changed bool) {
	h.changes = append(h.changes, change{op, target, changed})
}

// nChanged counts the operations that changed something.
func (h *bashHost) nChanged() int {
	n := 0
	for _, c := range h.changes {
		if c.changed {
			n++
		}
	}
	return n
}

// runLua runs script (named test.lua, so errors say test.lua:LINE) with
// the stdlib open on h, then ends the step and the runbook as the engine
// does. vars become Lua globals (paths of the test's directory).
func runLua(t *testing.T, h stdlib.Host, script string, vars map[string]string) error {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	L.SetContext(context.Background())
	m := stdlib.Open(L, h)
	for k, v := range vars {
		L.SetGlobal(k, lua.LString(v))
	}
	fn, err := L.Load(strings.NewReader(script), "test.lua")
	if err != nil {
		return err
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		return err
	}
	if err := m.EndStep(L); err != nil {
		return err
	}
	return m.EndRunbook(L)
}

func mustRun(t *testing.T, h stdlib.Host, script string, vars map[string]string) {
	t.Helper()
	if err := runLua(t, h, script, vars); err != nil {
		t.Fatalf("runbook failed: %v", err)
	}
}

func readFile(t *testing.T, p string) string { return stdlibtest.ReadFile(t, p) }
func writeFile(t *testing.T, p, content string, mode os.FileMode) {
	stdlibtest.WriteFile(t, p, content, mode)
}
