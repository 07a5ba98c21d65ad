package stdlib

import (
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/internal/linediff"
)

// A unified diff written here rather than borrowed: the stdlib must show
// exactly what an operation changes, the way `diff -u` would, and it only
// ever compares two small texts.

// edit is one line of an edit script: ' ' kept, '-' removed, '+' added;
// its text keeps its "\n" unless it is a last line without one.
type edit = linediff.Edit

// splitLines cuts b into lines that keep their "\n", so a last line
// without one differs from the same line with one.
func splitLines(b []byte) []string {
	s := string(b)
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// ANSI colours of a diff, as git shows them.
const (
	colBold  = "\x1b[1m"
	colRed   = "\x1b[31m"
	colGreen = "\x1b[32m"
	colCyan  = "\x1b[36m"
	colReset = "\x1b[0m"
)

// Unified returns the unified diff (3 lines of context) turning old into
// new, headed "--- name" / "+++ name", or "" when they are equal. With
// color it is coloured as git colours it.
func Unified(name string, old, new []byte, color bool) string {
	return unified(name, name, old, new, color)
}

// unified is Unified with the two sides named apart ("/dev/null" for a
// file that did not exist, as diff -N shows it).
func unified(oldName, newName string, old, new []byte, color bool) string {
	if string(old) == string(new) {
		return ""
	}
	es := linediff.Lines(splitLines(old), splitLines(new))
	p := painter(color)
	var sb strings.Builder
	sb.WriteString(p.paint(colBold, "--- "+oldName) + "\n")
	sb.WriteString(p.paint(colBold, "+++ "+newName) + "\n")
	const ctx = 3
	// aLine/bLine: 1-based line numbers at the start of es[i].
	i := 0
	aLine, bLine := 1, 1
	for i < len(es) {
		j, start, end := nextHunk(es, i, ctx)
		if j == len(es) {
			break
		}
		// es[i:j] are kept lines, so the hunk starts that far on.
		aj, bj := aLine+(j-i), bLine+(j-i)
		aStart, bStart := aj-(j-start), bj-(j-start)
		aN, bN := sideLengths(es[start:end])
		sb.WriteString(p.paint(colCyan, fmt.Sprintf("@@ -%s +%s @@", hunkRange(aStart, aN), hunkRange(bStart, bN))) + "\n")
		writeHunkLines(&sb, es[start:end], p)
		// Advance the line counters past the hunk.
		da, db := sideLengths(es[i:end])
		aLine += da
		bLine += db
		i = end
	}
	return sb.String()
}

// painter says whether a diff is coloured.
type painter bool

// paint wraps s in colour c when the diff is coloured.
func (p painter) paint(c, s string) string {
	if !p {
		return s
	}
	return c + s + colReset
}

// nextHunk finds the first change at or after es[i], at es[j] (j is
// len(es) when there is none), and the hunk around it, es[start:end]: up
// to ctx kept lines either side, and the changes that follow within 2*ctx
// kept lines.
func nextHunk(es []edit, i, ctx int) (j, start, end int) {
	j = i
	for j < len(es) && es[j].Kind == ' ' {
		j++
	}
	if j == len(es) {
		return j, j, j
	}
	start = max(j-ctx, i)
	end = j
	for end < len(es) {
		if es[end].Kind != ' ' {
			end++
			continue
		}
		k := end
		for k < len(es) && es[k].Kind == ' ' {
			k++
		}
		if k == len(es) || k-end > 2*ctx {
			end += min(ctx, k-end)
			break
		}
		end = k
	}
	return j, start, end
}

// sideLengths counts the lines es spans in the old text (a) and the new (b).
func sideLengths(es []edit) (a, b int) {
	for _, e := range es {
		if e.Kind != '+' {
			a++
		}
		if e.Kind != '-' {
			b++
		}
	}
	return a, b
}

// writeHunkLines writes a hunk's lines, marking a last line without "\n"
// as diff does.
func writeHunkLines(sb *strings.Builder, es []edit, p painter) {
	for _, e := range es {
		line := string(e.Kind) + strings.TrimSuffix(e.Text, "\n")
		switch e.Kind {
		case '-':
			line = p.paint(colRed, line)
		case '+':
			line = p.paint(colGreen, line)
		}
		sb.WriteString(line + "\n")
		if !strings.HasSuffix(e.Text, "\n") {
			sb.WriteString("\\ No newline at end of file\n")
		}
	}
}

// hunkRange formats "start,count" as diff -u does: an empty range starts
// at the line before it, and a count of 1 is left out.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
