package engine

import (
	"fmt"
	"strings"
)

// eofMessage explains a syntax error at the end of a runbook: what was
// opened and never closed, where. gopher-lua says only "x.lua at EOF:
// syntax error".
func eofMessage(path string, src []byte) string {
	lines := strings.Count(string(src), "\n") + 1
	what := unclosed(string(src))
	if what == "" {
		return fmt.Sprintf("%s:%d: unexpected end of file", path, lines)
	}
	return fmt.Sprintf("%s:%d: unexpected end of file: %s", path, lines, what)
}

type opener struct {
	text string // "sh(", "{", "function"
	line int
}

// unclosed scans Lua source for the innermost bracket or block left open
// at its end, skipping strings and comments: "sh( is not closed (line 2)".
func unclosed(s string) string {
	sc := &eofScan{s: s, line: 1}
	for sc.i < len(s) {
		if msg := sc.step(); msg != "" {
			return msg
		}
	}
	return sc.verdict()
}

// eofScan is unclosed's state: where it is in the source, on which line,
// and what is open there.
type eofScan struct {
	s     string
	i     int
	line  int
	stack []opener
}

// step consumes one character or token at sc.i; it returns a message
// when a comment or string runs to the end unclosed.
func (sc *eofScan) step() string {
	s, i := sc.s, sc.i
	c := s[i]
	switch {
	case c == '\n':
		sc.line++
		sc.i++
	case c == '-' && strings.HasPrefix(s[i:], "--"):
		return sc.comment()
	case c == '"' || c == '\'':
		return sc.quoted(c)
	case c == '[' && longBracket(s[i:]) >= 0:
		return sc.longString()
	case c == '(' || c == '{' || c == '[':
		text := string(c)
		if c == '(' {
			text = callee(s[:i]) + "("
		}
		sc.stack = append(sc.stack, opener{text, sc.line})
		sc.i++
	case c == ')' || c == '}' || c == ']':
		if len(sc.stack) > 0 && isBracket(sc.stack[len(sc.stack)-1].text) {
			sc.stack = sc.stack[:len(sc.stack)-1]
		}
		sc.i++
	case isIdent(c):
		sc.word()
	default:
		sc.i++
	}
	return ""
}

// comment skips a -- comment, long (--[[ ]]) or to the end of the line.
func (sc *eofScan) comment() string {
	s, i := sc.s, sc.i
	if n := longBracket(s[i+2:]); n >= 0 {
		end := strings.Index(s[i+2:], "]"+strings.Repeat("=", n)+"]")
		if end < 0 {
			return fmt.Sprintf("a --[[ comment is not closed (line %d)", sc.line)
		}
		sc.line += strings.Count(s[i:i+2+end], "\n")
		sc.i = i + 2 + end + n + 2
		return ""
	}
	for sc.i < len(s) && s[sc.i] != '\n' {
		sc.i++
	}
	return ""
}

// quoted skips a string quoted with q, which must end on its line.
func (sc *eofScan) quoted(q byte) string {
	s := sc.s
	start := sc.line
	i := sc.i + 1
	for i < len(s) && s[i] != q && s[i] != '\n' {
		if s[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(s) || s[i] == '\n' {
		return fmt.Sprintf("a string is not closed (line %d)", start)
	}
	sc.i = i + 1
	return ""
}

// longString skips a [[ ]] (or [==[ ]==]) string.
func (sc *eofScan) longString() string {
	s, i := sc.s, sc.i
	n := longBracket(s[i:])
	end := strings.Index(s[i:], "]"+strings.Repeat("=", n)+"]")
	if end < 0 {
		return fmt.Sprintf("a [[ string is not closed (line %d)", sc.line)
	}
	sc.line += strings.Count(s[i:i+end], "\n")
	sc.i = i + end + n + 2
	return ""
}

// word consumes a name; a block keyword opens or closes a block, unless
// it is a field or method name (after . or :).
func (sc *eofScan) word() {
	s, i := sc.s, sc.i
	j := i
	for j < len(s) && (isIdent(s[j]) || s[j] >= '0' && s[j] <= '9') {
		j++
	}
	w := s[i:j]
	sc.i = j
	if i > 0 && (s[i-1] == '.' || s[i-1] == ':') {
		return
	}
	switch w {
	case "function", "if", "do", "repeat":
		sc.stack = append(sc.stack, opener{w, sc.line})
	case "end", "until":
		if len(sc.stack) > 0 && !isBracket(sc.stack[len(sc.stack)-1].text) {
			sc.stack = sc.stack[:len(sc.stack)-1]
		}
	}
}

// verdict names the innermost opener still open at the end, "" when none.
func (sc *eofScan) verdict() string {
	if len(sc.stack) == 0 {
		return ""
	}
	top := sc.stack[len(sc.stack)-1]
	if isBracket(top.text) {
		return fmt.Sprintf("%s is not closed (line %d)", top.text, top.line)
	}
	closer := "end"
	if top.text == "repeat" {
		closer = "until"
	}
	return fmt.Sprintf("%s of line %d has no %s", top.text, top.line, closer)
}

func isIdent(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isBracket(t string) bool {
	return strings.HasSuffix(t, "(") || t == "{" || t == "["
}

// longBracket returns n for a "[" "="*n "[" at the start of s, else -1.
func longBracket(s string) int {
	if !strings.HasPrefix(s, "[") {
		return -1
	}
	n := 0
	for n+1 < len(s) && s[n+1] == '=' {
		n++
	}
	if n+1 < len(s) && s[n+1] == '[' {
		return n
	}
	return -1
}

// callee is the name called with the "(" that follows s: sh, file.line,
// obj:method ("" for a plain parenthesis).
func callee(s string) string {
	j := len(s)
	for j > 0 && (isIdent(s[j-1]) || s[j-1] >= '0' && s[j-1] <= '9' || s[j-1] == '.' || s[j-1] == ':') {
		j--
	}
	return s[j:]
}
