package handrec

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"github.com/runbook-dev/runbook/recording"
)

// markEvent is one mark the shell printed, with where it came on the
// recording's timeline and whether the recording was paused then (the
// marks are handled later, on their own goroutine, when a pause key
// typed since may have been seen).
type markEvent struct {
	m      shell.Mark
	at     time.Duration
	paused bool
}

// commands follows the shell's marks and keeps what the index says of
// the commands typed: text, working directory, exit status, start and
// end, and the files edited (read through the side channel while the
// shell waits for it, see shell.Describe).
type commands struct {
	t       target.Target
	dir     string // the private directory on the target (acks)
	home    string
	editors []string
	changed func() // the index should be written again

	mu       sync.Mutex
	list     []recording.Command
	edits    []recording.Edit
	cwd      strings.Builder
	text     strings.Builder
	lastKind byte
	running  int // index of the running command in list, -1: none
	// pending are the edits of the running command, read before it ran.
	pending []int
	// frozen: recording stopped (q); commands typed after are not kept.
	frozen bool
}

// stop keeps no more commands (the shell's asks are still answered).
func (c *commands) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = true
	c.running = -1
	c.pending = nil
}

func newCommands(t target.Target, dir, home string, editors []string, changed func()) *commands {
	return &commands{t: t, dir: dir, home: home, editors: editors, changed: changed, running: -1}
}

// handle takes the marks in order, on one goroutine.
func (c *commands) handle(ctx context.Context, ev markEvent) {
	m := ev.m
	switch m.Kind {
	case shell.MarkDir, shell.MarkCommand:
		c.mu.Lock()
		b := &c.cwd
		if m.Kind == shell.MarkCommand {
			b = &c.text
		}
		if c.lastKind != m.Kind {
			b.Reset()
		}
		b.WriteString(m.Arg)
		c.lastKind = m.Kind
		c.mu.Unlock()
	case shell.MarkAsk:
		phase, _, _ := strings.Cut(m.Arg, ".")
		if phase == "pre" {
			c.begin(ev.at, ev.paused) // held before it runs: it starts now
			c.readBefore(ctx)
		} else {
			c.readAfter(ctx)
		}
		c.mu.Lock()
		c.lastKind = m.Kind
		c.mu.Unlock()
		c.ack(ctx, m.Arg)
	case shell.MarkStart:
		c.begin(ev.at, ev.paused)
		c.mu.Lock()
		c.lastKind = m.Kind
		c.mu.Unlock()
	case shell.MarkEnd:
		c.mu.Lock()
		c.lastKind = m.Kind
		i := c.running
		if i >= 0 {
			c.list[i].End = recording.SecondsOf(ev.at)
			c.list[i].Exit, _ = strconv.Atoi(m.Arg)
			c.running = -1
		}
		c.mu.Unlock()
		if i >= 0 {
			c.changed()
		}
	}
}

// begin starts the command whose text and directory the marks just gave,
// once (a held command begins at its ask, then gets its start mark); a
// command begun while the recording was paused is not kept.
func (c *commands) begin(at time.Duration, paused bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastKind != shell.MarkCommand && c.lastKind != shell.MarkDir {
		return
	}
	if c.frozen || paused {
		// Not recorded: not in the index either.
		c.lastKind = shell.MarkStart
		c.running = -1
		c.pending = nil
		return
	}
	c.lastKind = shell.MarkStart
	c.list = append(c.list, recording.Command{
		Text:  shell.Unescape(c.text.String()),
		Cwd:   shell.Unescape(c.cwd.String()),
		Start: recording.SecondsOf(at),
		End:   recording.SecondsOf(at),
		Exit:  -1,
	})
	c.running = len(c.list) - 1
	c.pending = nil
}

// maxContent bounds what is kept of a file edited.
const maxContent = recording.MaxBlob

// readBefore reads the files the running command may edit, before it runs.
func (c *commands) readBefore(ctx context.Context) {
	c.mu.Lock()
	i := c.running
	if i < 0 {
		c.mu.Unlock()
		return
	}
	cmd := c.list[i]
	c.mu.Unlock()
	for _, f := range EditedFiles(cmd.Text, c.editors...) {
		p := c.resolve(f, cmd.Cwd)
		if p == "" {
			continue
		}
		e := recording.Edit{Command: i, Path: p}
		b, exists, err := c.read(ctx, p)
		e.Existed = exists
		if err != nil {
			e.Error = err.Error()
		} else {
			e.Before = recording.NewBlob(b)
		}
		c.mu.Lock()
		c.edits = append(c.edits, e)
		c.pending = append(c.pending, len(c.edits)-1)
		c.mu.Unlock()
	}
}

// readAfter reads them again once the command ended.
func (c *commands) readAfter(ctx context.Context) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	var paths []string
	for _, k := range pending {
		paths = append(paths, c.edits[k].Path)
	}
	c.mu.Unlock()
	for n, k := range pending {
		b, exists, err := c.read(ctx, paths[n])
		c.mu.Lock()
		e := &c.edits[k]
		e.Exists = exists
		if err != nil && e.Error == "" {
			e.Error = err.Error()
		} else if err == nil {
			e.After = recording.NewBlob(b)
		}
		c.mu.Unlock()
	}
	if len(pending) > 0 {
		c.changed()
	}
}

// resolve makes p absolute: against the command's directory, or the
// session's home for ~/. "" when it cannot be known (~user).
func (c *commands) resolve(p, cwd string) string {
	switch {
	case strings.HasPrefix(p, "~/"):
		if c.home == "" {
			return ""
		}
		return path.Join(c.home, p[2:])
	case strings.HasPrefix(p, "~"):
		return ""
	case path.IsAbs(p):
		return path.Clean(p)
	case cwd == "":
		return ""
	}
	return path.Join(cwd, p)
}

// read reads a file through the side channel: its content, and whether
// it exists.
func (c *commands) read(ctx context.Context, p string) ([]byte, bool, error) {
	q := shellquote.Quote(p)
	res, err := c.t.Exec(ctx, fmt.Sprintf(`if [ -f %s ]; then head -c %d -- %s; elif [ -e %s ]; then exit 4; else exit 3; fi`, q, maxContent+1, q, q), nil)
	if err != nil {
		return nil, false, err
	}
	switch res.Exit {
	case 0:
		if len(res.Stdout) > maxContent {
			return nil, true, fmt.Errorf("larger than %d bytes: not kept", maxContent)
		}
		return res.Stdout, true, nil
	case 3:
		return nil, false, nil
	case 4:
		return nil, true, fmt.Errorf("not a regular file")
	}
	return nil, true, fmt.Errorf("read it: exit %d: %s", res.Exit, strings.TrimSpace(string(res.Stderr)))
}

// ack lets the held shell go on.
func (c *commands) ack(ctx context.Context, arg string) {
	if strings.ContainsAny(arg, "/ \n'") {
		return
	}
	c.t.Exec(ctx, ": >"+shellquote.Quote(c.dir+"/ack."+arg), nil)
}

// snapshot returns the commands and edits so far.
func (c *commands) snapshot() ([]recording.Command, []recording.Edit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]recording.Command(nil), c.list...), append([]recording.Edit(nil), c.edits...)
}

// end ends a command still running when the session ended.
func (c *commands) end(at time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running >= 0 {
		c.list[c.running].End = recording.SecondsOf(at)
		c.running = -1
	}
}
