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
	var stack []opener
	line := 1
	word := func(i int) (string, int) {
		j := i
		for j < len(s) && (isIdent(s[j]) || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		return s[i:j], j
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			if n := longBracket(s[i+2:]); n >= 0 {
				end := strings.Index(s[i+2:], "]"+strings.Repeat("=", n)+"]")
				if end < 0 {
					return fmt.Sprintf("a --[[ comment is not closed (line %d)", line)
				}
				line += strings.Count(s[i:i+2+end], "\n")
				i += 2 + end + n + 2
			} else {
				for i < len(s) && s[i] != '\n' {
					i++
				}
			}
		case c == '"' || c == '\'':
			start := line
			i++
			for i < len(s) && s[i] != c && s[i] != '\n' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(s) || s[i] == '\n' {
				return fmt.Sprintf("a string is not closed (line %d)", start)
			}
			i++
		case c == '[' && longBracket(s[i:]) >= 0:
			n := longBracket(s[i:])
			end := strings.Index(s[i:], "]"+strings.Repeat("=", n)+"]")
			if end < 0 {
				return fmt.Sprintf("a [[ string is not closed (line %d)", line)
			}
			line += strings.Count(s[i:i+end], "\n")
			i += end + n + 2
		case c == '(' || c == '{' || c == '[':
			text := string(c)
			if c == '(' {
				text = callee(s[:i]) + "("
			}
			stack = append(stack, opener{text, line})
			i++
		case c == ')' || c == '}' || c == ']':
			if len(stack) > 0 && isBracket(stack[len(stack)-1].text) {
				stack = stack[:len(stack)-1]
			}
			i++
		case isIdent(c):
			w, j := word(i)
			if i > 0 && (s[i-1] == '.' || s[i-1] == ':') {
				i = j
				continue
			}
			switch w {
			case "function", "if", "do", "repeat":
				stack = append(stack, opener{w, line})
			case "end", "until":
				if len(stack) > 0 && !isBracket(stack[len(stack)-1].text) {
					stack = stack[:len(stack)-1]
				}
			}
			i = j
		default:
			i++
		}
	}
	if len(stack) == 0 {
		return ""
	}
	top := stack[len(stack)-1]
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
