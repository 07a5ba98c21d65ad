package stdlib

import (
	"fmt"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"strings"
)

// Line edits as the sed -i command a person would type: "12d",
// "12s/^#//", "12c\new text", "12a\added line". Addresses are the old
// file's line numbers, which GNU sed keeps for the whole script, so hunks
// do not shift one another.

// Past these a whole-file write reads better than a sed script.
const (
	maxSedHunks = 8
	maxSedLines = 12
)

// sedEdit returns sed expressions turning old into new, or false when
// the edit is better (or only exactly) done by writing the whole file.
func sedEdit(old, new []byte) ([]string, bool) {
	if len(old) == 0 || len(new) == 0 || old[len(old)-1] != '\n' || new[len(new)-1] != '\n' {
		return nil, false
	}
	es := diffLines(splitLines(old), splitLines(new))
	var exprs []string
	added := 0
	ln := 0 // old lines passed
	for i := 0; i < len(es); {
		if es[i].kind == ' ' {
			ln++
			i++
			continue
		}
		first := ln + 1
		var dels, adds []string
		for ; i < len(es) && es[i].kind != ' '; i++ {
			t := strings.TrimSuffix(es[i].text, "\n")
			if es[i].kind == '-' {
				dels = append(dels, t)
				ln++
			} else {
				adds = append(adds, t)
			}
		}
		for _, a := range adds {
			if !typeable(a) {
				return nil, false
			}
		}
		added += len(adds)
		addr := fmt.Sprint(first)
		if len(dels) > 1 {
			addr = fmt.Sprintf("%d,%d", first, ln)
		}
		switch {
		case len(adds) == 0:
			exprs = append(exprs, addr+"d")
		case len(dels) == 0 && ln == 0:
			exprs = append(exprs, "1i"+sedText(adds))
		case len(dels) == 0:
			exprs = append(exprs, fmt.Sprintf("%da", ln)+sedText(adds))
		case len(dels) == 1 && len(adds) == 1:
			exprs = append(exprs, addr+sedLine(dels[0], adds[0]))
		default:
			exprs = append(exprs, addr+"c"+sedText(adds))
		}
	}
	if len(exprs) == 0 || len(exprs) > maxSedHunks || added > maxSedLines {
		return nil, false
	}
	return exprs, true
}

// sedLine is the command replacing line old by new: a comment marker
// added or removed reads as s/^#// or s/^/# /, anything else as c\.
func sedLine(old, new string) string {
	if p, ok := strings.CutSuffix(old, new); ok && p != "" && isCommentPrefix(p) {
		return "s/^" + p + "//"
	}
	if p, ok := strings.CutSuffix(new, old); ok && p != "" && isCommentPrefix(p) {
		return "s/^/" + p + "/"
	}
	return "c" + sedText([]string{new})
}

// isCommentPrefix: only characters that mean themselves both in a sed
// regular expression and in its replacement.
func isCommentPrefix(p string) bool {
	return strings.Trim(p, "#; ") == ""
}

// sedText is the text argument of a, i and c: one non-empty line on the
// command's own line, else GNU sed's classic form, a line each.
func sedText(lines []string) string {
	esc := make([]string, len(lines))
	for i, l := range lines {
		esc[i] = strings.ReplaceAll(l, `\`, `\\`)
	}
	if len(lines) == 1 && lines[0] != "" {
		return `\` + esc[0]
	}
	return "\\\n" + strings.Join(esc, "\\\n")
}

// sedCommand is `sed -i EXPR FILE`, one -e per expression when several.
func sedCommand(exprs []string, file string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	if len(exprs) == 1 {
		return "sed -i " + q(exprs[0]) + " " + shellquote.Quote(file)
	}
	var sb strings.Builder
	sb.WriteString("sed -i")
	for _, e := range exprs {
		sb.WriteString(" -e " + q(e))
	}
	return sb.String() + " " + shellquote.Quote(file)
}
