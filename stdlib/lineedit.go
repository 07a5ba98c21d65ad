package stdlib

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellquote"
)

// Line edits that are safe to copy. Each line operation (file.line,
// comment, uncomment) is defined by what it does to any content, and
// types one command — GNU grep and sed, addressed by what lines match,
// never by line number — that does exactly that to any copy of the file,
// or fails (non-zero, the file untouched). So the command a reader copies
// from a page does on their host what the runbook would have done there,
// and run where the edit is already made, it changes nothing.
//
// Lines are as sed sees them: a last line without a newline keeps
// missing it unless something is added after it.

// textLines is a file's content as lines; nl[i] says whether line i
// ended with a newline (only the last may not).
type textLines struct {
	ls []string
	nl []bool
}

func parseText(b []byte) textLines {
	var t textLines
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			t.ls = append(t.ls, string(b))
			t.nl = append(t.nl, false)
			break
		}
		t.ls = append(t.ls, string(b[:i]))
		t.nl = append(t.nl, true)
		b = b[i+1:]
	}
	return t
}

func (t textLines) bytes() []byte {
	var b bytes.Buffer
	for i, l := range t.ls {
		b.WriteString(l)
		if t.nl[i] || i < len(t.ls)-1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// insert adds line before position i.
func (t *textLines) insert(i int, line string) {
	t.ls = append(t.ls[:i], append([]string{line}, t.ls[i:]...)...)
	t.nl = append(t.nl[:i], append([]bool{true}, t.nl[i:]...)...)
}

// lineSpec is file.line's edit.
type lineSpec struct {
	path     string
	line     string
	re       *regexp.Regexp // nil: the line itself
	after    *regexp.Regexp // insert after every line matching it
	before   *regexp.Regexp // insert before every line matching it
	bof      bool           // before="BOF"
	absent   bool
	create   bool
	ifExists bool // a missing file is left missing
	noAdd    bool // add=false: only lines matching re are replaced
}

// LineEdit is what file.line does to the text of a file that exists,
// without a host: with Match, every line matching it becomes Line (or,
// Absent, is removed); else Line, when not there already, goes after
// every line matching After (an error when none does), or at the end.
// draft uses it to know what the file.line calls it writes will do.
type LineEdit struct {
	Line         string
	Match, After *regexp.Regexp
	Absent       bool
}

// Apply returns what the edit makes of content.
func (e LineEdit) Apply(content []byte) ([]byte, error) {
	s := lineSpec{line: e.Line, re: e.Match, after: e.After, absent: e.Absent}
	return s.apply(content, true)
}

// apply is what the edit makes of content (exists: the file is there).
func (s *lineSpec) apply(content []byte, exists bool) ([]byte, error) {
	if !exists {
		if s.absent || s.ifExists {
			return nil, nil
		}
		if !s.create {
			return nil, fmt.Errorf("no such file")
		}
	}
	t := parseText(content)
	if s.absent {
		var out textLines
		for i, l := range t.ls {
			if s.re != nil && s.re.MatchString(l) || s.re == nil && l == s.line {
				continue
			}
			out.ls, out.nl = append(out.ls, l), append(out.nl, t.nl[i])
		}
		return keepSame(content, t, out), nil
	}
	if s.re != nil {
		hit := false
		for i, l := range t.ls {
			if s.re.MatchString(l) {
				t.ls[i] = s.line
				hit = true
			}
		}
		if hit {
			return t.bytes(), nil
		}
	}
	if s.noAdd {
		return content, nil
	}
	for _, l := range t.ls {
		if l == s.line {
			return content, nil
		}
	}
	if len(content) == 0 && !s.create {
		return nil, fmt.Errorf("is empty: there is no line to edit (give create=true to add the line to an empty file)")
	}
	switch {
	case s.after != nil || s.before != nil:
		anchor, off := s.after, 1
		if anchor == nil {
			anchor, off = s.before, 0
		}
		var at []int
		for i, l := range t.ls {
			if anchor.MatchString(l) {
				at = append(at, i)
			}
		}
		if len(at) == 0 {
			which := "after"
			if off == 0 {
				which = "before"
			}
			return nil, fmt.Errorf("no line matches %s=%q to put the line next to", which, anchor.String())
		}
		for k := len(at) - 1; k >= 0; k-- {
			t.insert(at[k]+off, s.line)
		}
	case s.bof:
		t.insert(0, s.line)
	default:
		t.insert(len(t.ls), s.line)
	}
	return t.bytes(), nil
}

// keepSame returns the old bytes when the lines did not change.
func keepSame(old []byte, before, after textLines) []byte {
	if b := after.bytes(); !bytes.Equal(b, old) || len(before.ls) != len(after.ls) {
		return b
	}
	return old
}

// command is the copy-safe command for the edit, or false when there is
// none (a regular expression sed cannot say exactly, a line a terminal
// cannot carry).
func (s *lineSpec) command() (string, bool) {
	f := shellquote.Quote(s.path)
	if !typeable(s.line) || strings.ContainsAny(s.line, "\r") {
		return "", false
	}
	var rBRE string
	if s.re != nil {
		var ok bool
		if rBRE, ok = bre(s.re.String()); !ok {
			return "", false
		}
	}
	if s.absent {
		return s.deleteCommand(f, rBRE)
	}
	if s.line == "" {
		return "", false // sed's a\ with no text adds nothing
	}
	grep := "grep -q "
	if s.create {
		grep = "grep -qs " // the file may not be there yet
	}
	ins, ok := s.insertCommand(f, grep)
	if !ok {
		return "", false
	}
	has := "grep -qxF " + sq(s.line) + " " + f
	if s.create {
		has = "grep -qsxF " + sq(s.line) + " " + f
	}
	var cmd string
	switch {
	case s.noAdd && s.re != nil:
		subst, ok := sedReplaceLine(rBRE, s.re, s.line)
		if !ok {
			return "", false
		}
		cmd = "sed -i " + sq(subst) + " " + f
	case s.re == nil:
		cmd = has + " || " + ins
	default:
		subst, ok := sedReplaceLine(rBRE, s.re, s.line)
		if !ok {
			return "", false
		}
		cmd = grep + sq(rBRE) + " " + f + " && sed -i " + sq(subst) + " " + f + " || "
		if !s.re.MatchString(s.line) {
			cmd += has + " || "
		}
		cmd += ins
	}
	if s.ifExists {
		cmd = "test ! -e " + f + " || { " + cmd + "; }"
	}
	return cmd, true
}

// deleteCommand is the sed that deletes the lines matching the spec (absent=true)
// from the file f (quoted), rBRE being its regexp as a BRE.
func (s *lineSpec) deleteCommand(f, rBRE string) (string, bool) {
	pat := rBRE
	if s.re == nil {
		lit, ok := breLiteral(s.line)
		if !ok {
			return "", false
		}
		pat = "^" + lit + "$"
	}
	a, ok := sedAddr(pat)
	if !ok {
		return "", false
	}
	return "sed -i " + sq(a+"d") + " " + f, true
}

// insertCommand is the command that adds the line where the spec puts it
// (after or before an anchor, first or last) to the file f (quoted); grep is
// the grep that tests for the anchor.
func (s *lineSpec) insertCommand(f, grep string) (string, bool) {
	var ins string
	text := sedText(s.line)
	switch {
	case s.after != nil || s.before != nil:
		anchor, verb := s.after, "a"
		if anchor == nil {
			anchor, verb = s.before, "i"
		}
		aBRE, ok := bre(anchor.String())
		if !ok {
			return "", false
		}
		addr, ok := sedAddr(aBRE)
		if !ok {
			return "", false
		}
		ins = "{ " + grep + sq(aBRE) + " " + f + " && sed -i " + sq(addr+verb+text) + " " + f + "; }"
	case s.bof:
		ins = "sed -i " + sq("1i"+text) + " " + f
	default:
		ins = "sed -i " + sq("$a"+text) + " " + f
	}
	if s.create && s.after == nil && s.before == nil {
		// sed adds nothing to an empty file.
		ins = "{ test -s " + f + " && " + ins + " || " + echoLine(s.line) + " >> " + f + "; }"
	}
	return ins, true
}

// sedReplaceLine is the s command that replaces every whole line
// matching rBRE (the translation of re) by line.
func sedReplaceLine(rBRE string, re *regexp.Regexp, line string) (string, bool) {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return "", false
	}
	begins, ends := anchored(t)
	pat := rBRE
	if t.Op == syntax.OpAlternate && (!begins || !ends) {
		pat = `\(` + pat + `\)`
	}
	if !begins {
		pat = ".*" + pat
	}
	if !ends {
		pat += ".*"
	}
	d, ok := sedDelim(pat, line)
	if !ok {
		return "", false
	}
	return "s" + d + pat + d + sedRepl(line, d) + d, true
}

// anchored says whether t can only match from a line's start, and to its end.
func anchored(t *syntax.Regexp) (begins, ends bool) {
	switch t.Op {
	case syntax.OpBeginLine, syntax.OpBeginText:
		return true, false
	case syntax.OpEndLine, syntax.OpEndText:
		return false, true
	case syntax.OpConcat:
		if len(t.Sub) == 0 {
			return false, false
		}
		b, _ := anchored(t.Sub[0])
		_, e := anchored(t.Sub[len(t.Sub)-1])
		return b, e
	case syntax.OpCapture:
		return anchored(t.Sub[0])
	case syntax.OpAlternate:
		begins, ends = true, true
		for _, s := range t.Sub {
			b, e := anchored(s)
			begins, ends = begins && b, ends && e
		}
		return begins, ends
	}
	return false, false
}

// sedDelim picks a delimiter for s that none of parts holds.
func sedDelim(parts ...string) (string, bool) {
	for _, d := range []string{"/", "|", "#", ",", ":", "@", "%", "~", "!"} {
		in := false
		for _, p := range parts {
			in = in || strings.Contains(p, d)
		}
		if !in {
			return d, true
		}
	}
	return "", false
}

// sedAddr is a line address matching the BRE pat: /pat/ or \|pat|.
func sedAddr(pat string) (string, bool) {
	d, ok := sedDelim(pat)
	if !ok {
		return "", false
	}
	if d == "/" {
		return "/" + pat + "/", true
	}
	return `\` + d + pat + d, true
}

// sedRepl is line as the replacement of an s command delimited by d.
func sedRepl(line, d string) string {
	return strings.NewReplacer(`\`, `\\`, "&", `\&`, d, `\`+d).Replace(line)
}

// sedText is the text of an a, i or c command on one line (GNU sed):
// " text", or "\text" when the text begins with a blank or a backslash
// (which the short form would drop).
func sedText(line string) string {
	esc := strings.ReplaceAll(line, `\`, `\\`)
	if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '\\' {
		return `\` + esc
	}
	return " " + esc
}

// echoLine is the command that prints line and a newline.
func echoLine(line string) string {
	if strings.HasPrefix(line, "-") || strings.Contains(line, `\`) {
		return "printf '%s\\n' " + sq(line)
	}
	return "echo " + sq(line)
}

// sq quotes s in single quotes for a POSIX shell.
func sq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// commentSpec is file.comment's edit.
type commentSpec struct {
	path   string
	re     *regexp.Regexp
	prefix string
	mark   string // the prefix without its blanks
}

func (s *commentSpec) apply(content []byte) []byte {
	t := parseText(content)
	out := textLines{ls: append([]string{}, t.ls...), nl: t.nl}
	for i, l := range t.ls {
		if !strings.HasPrefix(strings.TrimLeft(l, " \t\r\f\v"), s.mark) && s.re.MatchString(l) {
			out.ls[i] = s.prefix + l
		}
	}
	return keepSame(content, t, out)
}

func (s *commentSpec) setPath(p string) { s.path = p }

func (s *commentSpec) command() (string, bool) {
	pBRE, ok := bre(s.re.String())
	mark, ok2 := breLiteral(s.mark)
	if !ok || !ok2 || !typeable(s.prefix) {
		return "", false
	}
	skip, ok := sedAddr("^[[:space:]]*" + mark)
	if !ok {
		return "", false
	}
	addr, ok := sedAddr(pBRE)
	if !ok {
		return "", false
	}
	d, ok := sedDelim(s.prefix)
	if !ok {
		return "", false
	}
	return "sed -i " + sq(skip+"!{"+addr+"s"+d+"^"+d+sedRepl(s.prefix, d)+d+";}") + " " + shellquote.Quote(s.path), true
}

// uncommentSpec is file.uncomment's edit: a commented line whose text
// (after the marker and the blanks after it) matches loses its marker.
type uncommentSpec struct {
	path   string
	re     *regexp.Regexp
	marker string
}

// goPattern and sedPattern are the same pattern: blanks, the marker once
// or more, blanks, then the text the runbook's pattern must match (from
// its start when anchored, else anywhere in it).
func (s *uncommentSpec) parts() (anchoredText bool, rest *syntax.Regexp, ok bool) {
	t, err := syntax.Parse(s.re.String(), syntax.Perl)
	if err != nil {
		return false, nil, false
	}
	if t.Op == syntax.OpBeginLine || t.Op == syntax.OpBeginText {
		return true, &syntax.Regexp{Op: syntax.OpEmptyMatch}, true
	}
	if t.Op == syntax.OpConcat && len(t.Sub) > 0 && (t.Sub[0].Op == syntax.OpBeginLine || t.Sub[0].Op == syntax.OpBeginText) {
		c := *t
		c.Sub = t.Sub[1:]
		return true, &c, true
	}
	return false, t, true
}

func (s *uncommentSpec) goRegexp() *regexp.Regexp {
	anch, rest, ok := s.parts()
	if !ok {
		return nil
	}
	body := rest.String()
	if !anch {
		body = ".*(?:" + body + ")"
	}
	re, err := regexp.Compile(`^([\t\n\v\f\r ]*)(?:` + regexp.QuoteMeta(s.marker) + `)+[\t\n\v\f\r ]*(` + body + `)`)
	if err != nil {
		return nil
	}
	return re
}

func (s *uncommentSpec) apply(content []byte) []byte {
	re := s.goRegexp()
	t := parseText(content)
	out := textLines{ls: append([]string{}, t.ls...), nl: t.nl}
	for i, l := range t.ls {
		if m := re.FindStringSubmatchIndex(l); m != nil && m[5] > m[4] {
			out.ls[i] = l[m[2]:m[3]] + l[m[4]:]
		}
	}
	return keepSame(content, t, out)
}

func (s *uncommentSpec) setPath(p string) { s.path = p }

func (s *uncommentSpec) command() (string, bool) {
	if s.goRegexp() == nil || s.re.MatchString("") {
		return "", false
	}
	anch, rest, _ := s.parts()
	rBRE, ok := bre(rest.String())
	if !ok {
		return "", false
	}
	if !anch {
		rBRE = ".*" + rBRE
		if rest.Op == syntax.OpAlternate {
			rBRE = `.*\(` + rBRE[2:] + `\)`
		}
	}
	if rest.Op == syntax.OpEmptyMatch {
		rBRE = ""
	}
	// The text after the blanks must not start with a blank the pattern
	// itself could take: sed and Go would cut differently.
	if strings.HasPrefix(rBRE, "[[:space:]]") || strings.HasPrefix(rBRE, " ") || strings.HasPrefix(rBRE, "[[:blank:]]") {
		return "", false
	}
	mark, ok := breLiteral(s.marker)
	if !ok {
		return "", false
	}
	group := 2
	if len([]rune(s.marker)) == 1 {
		mark += `\+`
	} else {
		mark = `\(` + mark + `\)\+`
		group = 3
	}
	pat := `^\([[:space:]]*\)` + mark + `[[:space:]]*\(` + rBRE + `\)`
	d, ok := sedDelim(pat)
	if !ok {
		return "", false
	}
	return "sed -i " + sq("s"+d+pat+d+`\1\`+fmt.Sprint(group)+d) + " " + shellquote.Quote(s.path), true
}
