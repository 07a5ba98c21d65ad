package draft

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/runbook-dev/runbook/internal/cmdline"
	"github.com/runbook-dev/runbook/internal/linediff"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib"
)

// maxLineOps is how many file.line calls a change may take before the
// draft writes the whole file instead: a few lines.
const maxLineOps = 3

// interactive are editors: their command cannot be typed again by a runbook.
var interactive = map[string]bool{"vi": true, "vim": true, "nvim": true, "view": true, "vim.tiny": true, "vim.basic": true,
	"nano": true, "pico": true, "emacs": true, "mcedit": true, "editor": true, "sudoedit": true, "ed": true, "red": true}

// fileOps drafts a command that edited files as stdlib file operations;
// nil when it is better kept as typed (it did more than edit, or a file
// could not be read).
func (d *drafter) fileOps(c recording.Command, parsed []cmdline.Simple, edits []edit) []string {
	editor := false
	for _, s := range parsed {
		if interactive[path.Base(s.Name())] || strings.HasPrefix(s.Name(), "$") {
			editor = true
		}
	}
	for _, s := range parsed[:max(len(parsed)-1, 0)] {
		if s.Sep != "|" && s.Sep != "\n" {
			// cmd1 && cmd2: more than an edit. An editor is never typed again.
			if editor {
				break
			}
			return nil
		}
	}
	out := []string{comment("typed: " + c.Text)}
	if c.Exit != 0 && c.Exit != -1 {
		out[0] += comment(fmt.Sprintf("(it exited %d: check the file is as it should be)", c.Exit))
	}
	for _, e := range edits {
		if e.superseded {
			out = append(out, comment(e.Path+" was edited before: its final content is set there"))
			continue
		}
		if e.Error != "" || e.Before != nil && e.Before.Cut > 0 || e.After != nil && e.After.Cut > 0 {
			if !editor {
				return nil
			}
			why := e.Error
			if why == "" {
				why = "too large to keep"
			}
			out = append(out, comment(fmt.Sprintf("TODO: %s was edited, but its content could not be read (%s): edit it here", e.Path, why)))
			continue
		}
		out = append(out, d.fileOp(e.Edit)...)
	}
	return out
}

// fileOp is one file's change: file.write, or file.line calls when a few
// lines changed, checked to give exactly the recorded content and to
// change nothing when run again.
func (d *drafter) fileOp(e recording.Edit) []string {
	p := d.expr(e.Path)
	before, after := e.Before.Bytes(), e.After.Bytes()
	switch {
	case !e.Exists && e.Existed:
		return []string{fmt.Sprintf("  file.remove(%s)\n", p)}
	case !e.Exists:
		return []string{comment(e.Path + " was not there after the command: nothing to do")}
	case e.Existed && bytes.Equal(before, after):
		return []string{comment(e.Path + " did not change")}
	case e.Existed:
		if ops := lineOps(string(before), string(after)); ops != nil {
			var out []string
			for _, op := range ops {
				out = append(out, "  file.line("+p+", "+d.lineArgs(op)+")\n")
			}
			return out
		}
	}
	return []string{fmt.Sprintf("  file.write(%s, %s)\n", p, d.expr(string(after)))}
}

// lineOp is one file.line call.
type lineOp struct {
	line   string
	regexp string // replace every line matching it (or remove: absent)
	after  string // insert after every line matching it
	absent bool
}

func (d *drafter) lineArgs(op lineOp) string {
	var parts []string
	if op.regexp != "" {
		parts = append(parts, "regexp = "+luaString(op.regexp))
	}
	if op.absent {
		parts = append(parts, `state = "absent"`)
	} else {
		parts = append(parts, "line = "+d.expr(op.line))
	}
	if op.after != "" {
		parts = append(parts, "after = "+luaString(op.after))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// lineOps finds file.line calls that turn before into after (nil when it
// takes more than a few, or they would not give after exactly, or would
// change it again on a second run).
func lineOps(before, after string) []lineOp {
	if before != "" && !strings.HasSuffix(before, "\n") || !strings.HasSuffix(after, "\n") {
		return nil // file.line ends every line: the bytes would differ
	}
	a, b := splitLines(before), splitLines(after)
	if len(a)*len(b) > 1_000_000 {
		return nil
	}
	var ops []lineOp
	for _, h := range linediff.Hunks(a, b) {
		old, neu := a[h.A0:h.A1], b[h.B0:h.B1]
		switch {
		case len(old) == len(neu):
			for k := range old {
				ops = append(ops, lineOp{line: neu[k], regexp: keyRegexp(a, old[k], neu[k])})
			}
		case len(old) == 0:
			for k, l := range neu {
				op := lineOp{line: l}
				switch j := h.B0 + k; {
				case h.A0 == len(a):
					// At the end: file.line's default.
				case j == 0:
					return nil // at the very start: no line to go after
				default:
					op.after = "^" + regexp.QuoteMeta(b[j-1]) + "$"
				}
				ops = append(ops, op)
			}
		case len(neu) == 0:
			for _, l := range old {
				ops = append(ops, lineOp{regexp: "^" + regexp.QuoteMeta(l) + "$", absent: true})
			}
		default:
			return nil
		}
	}
	if len(ops) == 0 || len(ops) > maxLineOps {
		return nil
	}
	once := apply(a, ops)
	if once == nil || !slices.Equal(once, b) {
		return nil
	}
	if twice := apply(once, ops); twice == nil || !slices.Equal(twice, b) {
		return nil
	}
	return ops
}

// keyRegexp matches the line old became new by what they share before
// the value (`GRUB_TIMEOUT=`, `PermitRootLogin `) when no other line of
// the file ls has that key, else old exactly: file.line replaces every
// line its regexp matches.
func keyRegexp(ls []string, old, neu string) string {
	exact := "^" + regexp.QuoteMeta(old) + "$"
	i := strings.IndexAny(neu, "=: \t")
	if i <= 0 || !strings.HasPrefix(old, neu[:i+1]) {
		return exact
	}
	key := neu[:i+1]
	n := 0
	for _, l := range ls {
		if strings.HasPrefix(l, key) {
			n++
		}
	}
	if n > 1 {
		return exact
	}
	return "^" + regexp.QuoteMeta(key)
}

// apply does what file.line does with ops (stdlib.LineEdit) to the
// lines ls of a file that ends in a newline; nil when an op would fail.
func apply(ls []string, ops []lineOp) []string {
	text := []byte(strings.Join(ls, "\n") + "\n")
	if len(ls) == 0 {
		text = nil
	}
	for _, op := range ops {
		e := stdlib.LineEdit{Line: op.line, Absent: op.absent}
		var err error
		if op.regexp != "" {
			if e.Match, err = regexp.Compile(op.regexp); err != nil {
				return nil
			}
		}
		if op.after != "" {
			if e.After, err = regexp.Compile(op.after); err != nil {
				return nil
			}
		}
		if text, err = e.Apply(text); err != nil {
			return nil
		}
	}
	return splitLines(string(text))
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
