package stdlib

import (
	"fmt"
	"strings"
)

// A unified diff written here rather than borrowed: the stdlib must show
// exactly what an operation changes, the way `diff -u` would, and it only
// ever compares two small texts.

// edit is one line of an edit script: ' ' kept, '-' removed, '+' added.
type edit struct {
	kind byte
	text string // the line, with its "\n" unless it is a last line without one
}

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

// diffLines returns an edit script turning a into b: common head and tail
// first (line edits in long files are cheap), Myers in between.
func diffLines(a, b []string) []edit {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	out := make([]edit, 0, len(a)+len(b)-p-s)
	for _, l := range a[:p] {
		out = append(out, edit{' ', l})
	}
	out = append(out, myers(a[p:len(a)-s], b[p:len(b)-s])...)
	for _, l := range a[len(a)-s:] {
		out = append(out, edit{' ', l})
	}
	return out
}

// maxEdits bounds the Myers search; past it the middle is shown as all
// removed then all added, which is still a correct diff.
const maxEdits = 2000

// myers returns a shortest edit script turning a into b (Myers' O(ND)
// algorithm), or all of a removed then all of b added past maxEdits.
func myers(a, b []string) []edit {
	if len(a) == 0 || len(b) == 0 {
		return replaceAll(a, b)
	}
	trace, found := myersTrace(a, b)
	if found < 0 {
		return replaceAll(a, b)
	}
	return myersBacktrack(a, b, trace, found)
}

// replaceAll is the edit script that removes all of a then adds all of b.
func replaceAll(a, b []string) []edit {
	out := make([]edit, 0, len(a)+len(b))
	for _, l := range a {
		out = append(out, edit{'-', l})
	}
	for _, l := range b {
		out = append(out, edit{'+', l})
	}
	return out
}

// myersTrace runs Myers' forward search, returning the furthest-reaching
// x of each diagonal (offset by len(a)+len(b)) before each step d, and the
// number of edits found, or -1 past maxEdits.
func myersTrace(a, b []string) (trace [][]int, found int) {
	n, m := len(a), len(b)
	max := n + m
	off := max
	v := make([]int, 2*max+2)
	for d := 0; d <= max && d <= maxEdits; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return trace, d
			}
		}
	}
	return trace, -1
}

// myersBacktrack walks trace back from the end to recover the edit script
// of found edits.
func myersBacktrack(a, b []string, trace [][]int, found int) []edit {
	off := len(a) + len(b)
	var rev []edit
	x, y := len(a), len(b)
	for d := found; d >= 0; d-- {
		v := trace[d]
		k := x - y
		var pk int
		if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := v[off+pk]
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, edit{' ', a[x]})
		}
		if d > 0 {
			if x == px {
				y--
				rev = append(rev, edit{'+', b[y]})
			} else {
				x--
				rev = append(rev, edit{'-', a[x]})
			}
		}
	}
	out := make([]edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
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
	es := diffLines(splitLines(old), splitLines(new))
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
	for j < len(es) && es[j].kind == ' ' {
		j++
	}
	if j == len(es) {
		return j, j, j
	}
	start = max(j-ctx, i)
	end = j
	for end < len(es) {
		if es[end].kind != ' ' {
			end++
			continue
		}
		k := end
		for k < len(es) && es[k].kind == ' ' {
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
		if e.kind != '+' {
			a++
		}
		if e.kind != '-' {
			b++
		}
	}
	return a, b
}

// writeHunkLines writes a hunk's lines, marking a last line without "\n"
// as diff does.
func writeHunkLines(sb *strings.Builder, es []edit, p painter) {
	for _, e := range es {
		line := string(e.kind) + strings.TrimSuffix(e.text, "\n")
		switch e.kind {
		case '-':
			line = p.paint(colRed, line)
		case '+':
			line = p.paint(colGreen, line)
		}
		sb.WriteString(line + "\n")
		if !strings.HasSuffix(e.text, "\n") {
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
