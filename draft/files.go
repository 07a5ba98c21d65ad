package draft

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/runbook-dev/runbook/internal/cmdline"
	"github.com/runbook-dev/runbook/recording"
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
	regexp string // replace the last line matching it (or remove: absent)
	after  string // insert after the last line matching it
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
	for _, h := range hunks(a, b) {
		old, neu := a[h.i1:h.i2], b[h.j1:h.j2]
		switch {
		case len(old) == len(neu):
			for k := range old {
				ops = append(ops, lineOp{line: neu[k], regexp: keyRegexp(old[k], neu[k])})
			}
		case len(old) == 0:
			for k, l := range neu {
				op := lineOp{line: l}
				switch j := h.j1 + k; {
				case h.i1 == len(a):
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
	if once == nil || !equal(once, b) {
		return nil
	}
	if twice := apply(once, ops); twice == nil || !equal(twice, b) {
		return nil
	}
	return ops
}

// keyRegexp matches the line old became new by what they share before
// the value (`GRUB_TIMEOUT=`, `PermitRootLogin `), else old exactly.
func keyRegexp(old, neu string) string {
	if i := strings.IndexAny(neu, "=: \t"); i > 0 {
		key := neu[:i+1]
		if strings.HasPrefix(old, key) {
			return "^" + regexp.QuoteMeta(key)
		}
	}
	return "^" + regexp.QuoteMeta(old) + "$"
}

// apply does what file.line does with ops (stdlib/file.go): the last
// line matching regexp is replaced (or every one removed); a line
// already there is left; otherwise it goes after the last line matching
// after, or at the end. nil when an op would fail.
func apply(ls []string, ops []lineOp) []string {
	out := append([]string(nil), ls...)
	for _, op := range ops {
		var re *regexp.Regexp
		if op.regexp != "" {
			var err error
			if re, err = regexp.Compile(op.regexp); err != nil {
				return nil
			}
		}
		if op.absent {
			var keep []string
			for _, l := range out {
				if !re.MatchString(l) {
					keep = append(keep, l)
				}
			}
			out = keep
			continue
		}
		if at := lastMatch(out, re); at >= 0 {
			out[at] = op.line
			continue
		}
		if slices.Index(out, op.line) >= 0 {
			continue
		}
		pos := len(out)
		if op.after != "" {
			if at := lastMatch(out, regexp.MustCompile(op.after)); at >= 0 {
				pos = at + 1
			}
		}
		out = append(out[:pos], append([]string{op.line}, out[pos:]...)...)
	}
	return out
}

func lastMatch(ls []string, re *regexp.Regexp) int {
	if re == nil {
		return -1
	}
	for i := len(ls) - 1; i >= 0; i-- {
		if re.MatchString(ls[i]) {
			return i
		}
	}
	return -1
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// hunk is a changed stretch: a[i1:i2] became b[j1:j2].
type hunk struct{ i1, i2, j1, j2 int }

// hunks diffs two line lists (longest common subsequence).
func hunks(a, b []string) []hunk {
	n, m := len(a), len(b)
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var out []hunk
	i, j := 0, 0
	cur := hunk{-1, -1, -1, -1}
	flush := func() {
		if cur.i1 >= 0 {
			out = append(out, cur)
			cur = hunk{-1, -1, -1, -1}
		}
	}
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			flush()
			i++
			j++
		case j < m && (i == n || l[i][j+1] > l[i+1][j]):
			if cur.i1 < 0 {
				cur = hunk{i, i, j, j}
			}
			j++
			cur.j2 = j
		default:
			if cur.i1 < 0 {
				cur = hunk{i, i, j, j}
			}
			i++
			cur.i2 = i
		}
	}
	flush()
	return out
}
