package prompt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// editExternal opens cmd in the user's editor on a private temporary file
// and returns what it holds when the editor exits. The editor gets the
// terminal in the mode the caller had it (cooked, normally). An empty
// file, or an editor that fails, keeps cmd.
func (p *Prompter) editExternal(ctx context.Context, cmd string) (string, error) {
	f, err := os.CreateTemp("", "runbook-step-*.sh")
	if err != nil {
		return cmd, fmt.Errorf("edit: %w", err)
	}
	path := f.Name()
	// The command may hold values the user would not want left on disk.
	defer os.Remove(path)
	_, werr := f.WriteString(cmd + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return cmd, fmt.Errorf("edit: write %s: %w", path, werr)
	}
	// The editor setting is a command line ("code -w", "vim -u NONE"), so
	// the shell splits it, as git does with core.editor.
	c := exec.CommandContext(ctx, "/bin/sh", "-c", p.Editor+` "$1"`, "sh", path)
	// Editors expect the terminal as a shell leaves it, whatever mode the
	// caller had put it in meanwhile.
	back, err := p.T.cooked()
	if err != nil {
		return cmd, err
	}
	defer back()
	c.Stdin, c.Stdout, c.Stderr = p.T.File(), p.T.Display(), p.T.Display()
	if err := c.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return cmd, fmt.Errorf("editor %q exited with status %d; command unchanged", p.Editor, ee.ExitCode())
		}
		return cmd, fmt.Errorf("editor %q: %w", p.Editor, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cmd, fmt.Errorf("edit: read %s: %w", path, err)
	}
	out := strings.TrimRight(string(b), "\r\n")
	if strings.TrimSpace(out) == "" {
		p.T.crlf("empty command: unchanged\n")
		return cmd, nil
	}
	return out, nil
}
