package stdlib

import (
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The runbook's regular expressions are Go's (RE2). The commands typed
// for line edits use them as GNU grep and sed basic regular expressions,
// so a reader can paste them anywhere: bre translates the part of RE2
// that means the same thing to both, line by line, and refuses the rest
// (the operation then types a guarded whole-file write instead).

// bre returns re as a GNU basic regular expression matching the same
// lines, or false when it cannot be said exactly.
func bre(re string) (string, bool) {
	t, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b breWriter
	b.node(t, true, true)
	if b.bad {
		return "", false
	}
	return b.String(), true
}

type breWriter struct {
	strings.Builder
	bad bool
}

// node writes t; first and last say whether t may begin or end the
// expression (where ^ and $ anchor in a GNU BRE).
func (b *breWriter) node(t *syntax.Regexp, first, last bool) {
	if t.Flags&syntax.FoldCase != 0 && t.Op != syntax.OpCharClass {
		for _, r := range t.Rune {
			if unicode.SimpleFold(r) != r {
				b.bad = true
			}
		}
	}
	switch t.Op {
	case syntax.OpEmptyMatch:
	case syntax.OpLiteral:
		for _, r := range t.Rune {
			b.literal(r)
		}
	case syntax.OpCharClass:
		b.class(t.Rune)
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteString(".")
	case syntax.OpBeginLine, syntax.OpBeginText:
		if !first {
			b.bad = true
		}
		b.WriteString("^")
	case syntax.OpEndLine, syntax.OpEndText:
		if !last {
			b.bad = true
		}
		b.WriteString("$")
	case syntax.OpWordBoundary:
		b.WriteString(`\b`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`\B`)
	case syntax.OpCapture:
		b.WriteString(`\(`)
		b.node(t.Sub[0], true, true)
		b.WriteString(`\)`)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		b.atom(t.Sub[0])
		b.WriteString(map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: `\+`, syntax.OpQuest: `\?`}[t.Op])
	case syntax.OpRepeat:
		b.atom(t.Sub[0])
		switch {
		case t.Max == t.Min:
			b.WriteString(`\{` + strconv.Itoa(t.Min) + `\}`)
		case t.Max < 0:
			b.WriteString(`\{` + strconv.Itoa(t.Min) + `,\}`)
		default:
			b.WriteString(`\{` + strconv.Itoa(t.Min) + "," + strconv.Itoa(t.Max) + `\}`)
		}
	case syntax.OpConcat:
		for i, s := range t.Sub {
			b.node(s, first && i == 0, last && i == len(t.Sub)-1)
		}
	case syntax.OpAlternate:
		for i, s := range t.Sub {
			if i > 0 {
				b.WriteString(`\|`)
			}
			b.node(s, first, last)
		}
	default:
		b.bad = true
	}
}

// atom writes t as something a repetition operator applies to whole.
func (b *breWriter) atom(t *syntax.Regexp) {
	switch {
	case t.Op == syntax.OpLiteral && len(t.Rune) == 1,
		t.Op == syntax.OpCharClass, t.Op == syntax.OpAnyCharNotNL, t.Op == syntax.OpAnyChar,
		t.Op == syntax.OpCapture:
		b.node(t, false, false)
	default:
		// A group of its own; nothing reads group numbers in a match.
		b.WriteString(`\(`)
		b.node(t, true, true)
		b.WriteString(`\)`)
	}
}

func (b *breWriter) literal(r rune) {
	switch {
	case r < 0x20 || r == 0x7f || r > 0x7e:
		// Typed into a terminal or told apart by the locale: not here.
		b.bad = true
	case strings.ContainsRune(`.[\*^$`, r):
		b.WriteString(`\` + string(r))
	default:
		b.WriteRune(r)
	}
}

// Perl's classes as Go parses them, and what GNU says for them. \s is
// [\t\n\f\r ]; [[:space:]] adds \v, which no line of a text file holds.
var breClasses = []struct {
	ranges []rune
	text   string
}{
	{[]rune{'\t', '\n', '\f', '\r', ' ', ' '}, "[[:space:]]"},
	{[]rune{'\t', '\t', '\f', '\r', ' ', ' '}, "[[:space:]]"},
	{[]rune{'0', '9'}, "[0-9]"},
	{[]rune{'0', '9', 'A', 'Z', '_', '_', 'a', 'z'}, "[0-9A-Z_a-z]"},
	{[]rune{'\t', '\t', ' ', ' '}, "[[:blank:]]"},
}

// class writes a character class as a bracket expression.
func (b *breWriter) class(rs []rune) {
	neg := false
	if len(rs) >= 2 && rs[0] == 0 && rs[len(rs)-1] == unicode.MaxRune {
		neg = true
		rs = negate(rs)
	}
	// A newline is never inside a line: leave it out of the class.
	rs = dropNL(rs)
	for _, c := range breClasses {
		if slices.Equal(rs, dropNL(c.ranges)) {
			if neg {
				b.WriteString("[^" + c.text[1:])
			} else {
				b.WriteString(c.text)
			}
			return
		}
	}
	set, ok := bracketMembers(rs)
	var text string
	if ok {
		text, ok = set.expression(neg)
	}
	if !ok {
		b.bad = true
		return
	}
	b.WriteString(text)
}

// bracketSet is a class's members as a bracket expression needs them: the
// plain ones, and which of ] - [ ^ it holds, as these must go in set places.
type bracketSet struct {
	members                              []string
	hasClose, hasDash, hasOpen, hasCaret bool
}

// bracketMembers sorts the ranges rs into a bracketSet, or false when one
// of them cannot be written in a bracket expression.
func bracketMembers(rs []rune) (bracketSet, bool) {
	var s bracketSet
	for i := 0; i+1 < len(rs); i += 2 {
		lo, hi := rs[i], rs[i+1]
		if lo < 0x20 || hi > 0x7e || lo == '\\' || hi == '\\' || lo <= '\\' && '\\' <= hi {
			return s, false
		}
		for _, sp := range []struct {
			r    rune
			flag *bool
		}{{']', &s.hasClose}, {'-', &s.hasDash}, {'[', &s.hasOpen}, {'^', &s.hasCaret}} {
			if lo <= sp.r && sp.r <= hi {
				*sp.flag = true
				if lo == hi {
					lo = -1
				} else if lo != sp.r && hi != sp.r {
					// A range across a special character: give up.
					return s, false
				} else if lo == sp.r {
					lo++
				} else {
					hi--
				}
			}
		}
		if lo < 0 || lo > hi {
			continue
		}
		if lo == hi {
			s.members = append(s.members, string(lo))
		} else {
			s.members = append(s.members, string(lo)+"-"+string(hi))
		}
	}
	return s, true
}

// expression writes s as a bracket expression (negated when neg), with
// ] first, [ ^ - last, or false when no placement of ^ means it literally.
func (s bracketSet) expression(neg bool) (string, bool) {
	var sb strings.Builder
	sb.WriteString("[")
	if neg {
		sb.WriteString("^")
	}
	if s.hasClose {
		sb.WriteString("]")
	}
	if len(s.members) == 0 && s.hasCaret && !s.hasClose && !neg {
		// [^] would negate: put it after something else.
		if !s.hasDash && !s.hasOpen {
			return `\^`, true
		}
	}
	for _, m := range s.members {
		sb.WriteString(m)
	}
	if s.hasOpen {
		sb.WriteString("[")
	}
	if s.hasCaret {
		if sb.Len() == 1 || neg && sb.Len() == 2 {
			return "", false
		}
		sb.WriteString("^")
	}
	if s.hasDash {
		sb.WriteString("-")
	}
	sb.WriteString("]")
	return sb.String(), true
}

func negate(rs []rune) []rune {
	var out []rune
	next := rune(0)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] > next {
			out = append(out, next, rs[i]-1)
		}
		next = rs[i+1] + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, next, unicode.MaxRune)
	}
	return out
}

func dropNL(rs []rune) []rune {
	var out []rune
	for i := 0; i+1 < len(rs); i += 2 {
		lo, hi := rs[i], rs[i+1]
		switch {
		case lo == '\n' && hi == '\n':
		case lo == '\n':
			out = append(out, lo+1, hi)
		case hi == '\n':
			out = append(out, lo, hi-1)
		case lo < '\n' && '\n' < hi:
			out = append(out, lo, '\n'-1, '\n'+1, hi)
		default:
			out = append(out, lo, hi)
		}
	}
	return out
}

// breLiteral is s as a BRE matching exactly s, or false.
func breLiteral(s string) (string, bool) {
	var b breWriter
	for _, r := range s {
		b.literal(r)
	}
	return b.String(), !b.bad
}
