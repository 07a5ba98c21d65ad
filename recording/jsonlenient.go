package recording

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the small JSON pieces the asciicast reader needs to be
// both fast (a hand-written parser for the one line shape asciicast events
// have) and forgiving (termrec writes backslashes unescaped and leaves
// trailing commas in headers).

// appendJSONString decodes the JSON string starting at s[i] == '"' onto dst.
// It returns the new dst, the index after the closing quote, whether an
// invalid escape had to be read as a literal backslash, and ok=false when
// there is no closing quote.
func appendJSONString(dst, s []byte, i int) (out []byte, next int, repaired, ok bool) {
	i++     // opening quote
	q := -1 // position of the next '"' at or after i, found once and reused
	for {
		if q < i {
			q = len(s)
			if n := bytes.IndexByte(s[i:], '"'); n >= 0 {
				q = i + n
			}
		}
		j := q
		if k := bytes.IndexByte(s[i:q], '\\'); k >= 0 {
			j = i + k
		}
		dst = append(dst, s[i:j]...)
		if j >= len(s) {
			return dst, j, repaired, false
		}
		if s[j] == '"' {
			return dst, j + 1, repaired, true
		}
		// backslash
		if b, n := shortEscape(s, j); n > 0 {
			dst, i = append(dst, b), j+n
			continue
		}
		var rep, eok bool
		if dst, i, rep, eok = jsonEscape(dst, s, j); !eok {
			return dst, j, repaired, false
		}
		repaired = repaired || rep
	}
}

// jsonEscape decodes the escape at s[j] == '\\' onto dst and returns the
// index after it. An escape that is not JSON's is read as a literal
// backslash (repaired, as termrec writes them); ok is false when s ends
// right after the backslash.
func jsonEscape(dst, s []byte, j int) (out []byte, next int, repaired, ok bool) {
	if j+1 >= len(s) {
		return dst, j, false, false
	}
	c := s[j+1]
	i := j + 2
	switch c {
	case '"', '\\', '/':
		dst = append(dst, c)
	case 'b':
		dst = append(dst, '\b')
	case 'f':
		dst = append(dst, '\f')
	case 'n':
		dst = append(dst, '\n')
	case 'r':
		dst = append(dst, '\r')
	case 't':
		dst = append(dst, '\t')
	case 'u':
		r, n := hex4(s, j+2)
		if n == 0 {
			return append(dst, '\\', 'u'), i, true, true
		}
		i = j + 6
		if utf16.IsSurrogate(r) {
			if r2, n2 := hex4(s, i+2); n2 > 0 && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			} else {
				r = utf8.RuneError
			}
		}
		dst = utf8.AppendRune(dst, r)
	default:
		// Not a JSON escape: termrec wrote a literal backslash.
		return append(dst, '\\'), j + 1, true, true
	}
	return dst, i, false, true
}

// shortEscape decodes the escapes terminal output is made of (\r, \n,
// \t, \", \\ and \u0000 to \u007f, an ESC above all) at s[j] == '\\'
// to the one byte each stands for, and returns how long the escape is;
// 0 sends the caller to jsonEscape. It is small enough to be inlined: a
// call per escape was a sixth of the time of reading a .cast.
func shortEscape(s []byte, j int) (byte, int) {
	if j+5 >= len(s) {
		return 0, 0 // near the end: jsonEscape checks every length
	}
	e := s[j+1 : j+6]
	if b := oneCharEscape[e[0]]; b != 0 {
		return b, 2
	}
	if h, l := asciiHigh[e[3]], hexDigit[e[4]]; string(e[:3]) == "u00" && h|l < 16 {
		return h<<4 | l, 6
	}
	return 0, 0
}

// oneCharEscape maps the character after a backslash to the byte it
// stands for, 0 for none.
var oneCharEscape = [256]byte{'n': '\n', 'r': '\r', 't': '\t', '"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f'}

// asciiHigh is the value of a hex digit that can lead an ASCII
// character's code (0 to 7), 0xff for other bytes.
var asciiHigh = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '7'; c++ {
		t[c] = byte(c - '0')
	}
	return t
}()

// hexDigit is a hex digit's value, 0xff for other bytes.
var hexDigit = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = byte(c-'a'+10), byte(c-'a'+10)
	}
	return t
}()

// maxEscape is the longest escape: a surrogate pair, \uXXXX\uXXXX.
const maxEscape = 12

// decodeStringPart decodes the content of a JSON string from s (which
// starts after the opening quote, or part way through) onto dst until dst
// holds limit bytes (an escape may pass it by 3), the closing quote, or
// the end of s. It returns how much of s it used and whether that took in
// the closing quote. With more (s is a window of a longer input), it stops
// before an escape that may be cut by the window's end, so the caller can
// go on from there with the next window: the string is decoded exactly as
// appendJSONString decodes it whole.
func decodeStringPart(dst, s []byte, limit int, more bool) (out []byte, used int, closed, repaired bool) {
	i := 0
	q := -1 // position of the next '"' at or after i, found once and reused
	for i < len(s) && len(dst) < limit {
		if q < i {
			q = len(s)
			if n := bytes.IndexByte(s[i:], '"'); n >= 0 {
				q = i + n
			}
		}
		j := q
		if k := bytes.IndexByte(s[i:q], '\\'); k >= 0 {
			j = i + k
		}
		if room := limit - len(dst); j-i > room {
			return append(dst, s[i:i+room]...), i + room, false, repaired
		}
		dst = append(dst, s[i:j]...)
		i = j
		if i >= len(s) {
			break
		}
		if s[i] == '"' {
			return dst, i + 1, true, repaired
		}
		if len(dst) >= limit {
			break // full: the escape starts the next part
		}
		if more && len(s)-i < maxEscape {
			break
		}
		if b, n := shortEscape(s, i); n > 0 {
			dst, i = append(dst, b), i+n
			continue
		}
		var rep, ok bool
		if dst, i, rep, ok = jsonEscape(dst, s, i); !ok {
			break
		}
		repaired = repaired || rep
	}
	return dst, i, false, repaired
}

func hex4(s []byte, i int) (rune, int) {
	if i+4 > len(s) {
		return 0, 0
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, 0
		}
	}
	return r, 4
}

func skipWS(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// parseEventLine parses `[time, "code", "data"]`. data is appended to buf.
// ok is false when the line is not of that shape (the caller then tries
// encoding/json); repaired is true when an invalid escape was read as text.
func parseEventLine(line, buf []byte) (t float64, code byte, data []byte, repaired, ok bool) {
	t, code, i, pok := parseEventPrefix(line)
	if !pok {
		return
	}
	var sok bool
	data, i, repaired, sok = appendJSONString(buf, line, i)
	if !sok {
		return
	}
	i = skipWS(line, i)
	if i >= len(line) || line[i] != ']' {
		return
	}
	if i = skipWS(line, i+1); i != len(line) {
		return
	}
	ok = true
	return
}

// parseEventPrefix parses the start of an event line, `[time, "code", `,
// up to the opening quote of its data, and returns that quote's index.
func parseEventPrefix(line []byte) (t float64, code byte, quote int, ok bool) {
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '[' {
		return
	}
	i = skipWS(line, i+1)
	j := i
	for j < len(line) && (line[j] >= '0' && line[j] <= '9' || line[j] == '.' || line[j] == '-' || line[j] == '+' || line[j] == 'e' || line[j] == 'E') {
		j++
	}
	if d, dok := parseDecimalSeconds(line[i:j]); dok {
		t = d
	} else {
		var err error
		if t, err = strconv.ParseFloat(string(line[i:j]), 64); err != nil {
			return
		}
	}
	i = skipWS(line, j)
	if i >= len(line) || line[i] != ',' {
		return
	}
	i = skipWS(line, i+1)
	if i+2 >= len(line) || line[i] != '"' || line[i+2] != '"' || line[i+1] == '\\' {
		return
	}
	code = line[i+1]
	i = skipWS(line, i+3)
	if i >= len(line) || line[i] != ',' {
		return
	}
	i = skipWS(line, i+1)
	if i >= len(line) || line[i] != '"' {
		return
	}
	return t, code, i, true
}

// repairJSON fixes what termrec gets wrong in JSON: backslashes that start
// no valid escape are doubled, and commas before } or ] are dropped. It
// returns the fixed text and the offset of the first fix (-1: none).
func repairJSON(s []byte) ([]byte, int) {
	out := make([]byte, 0, len(s)+16)
	first := -1
	fix := func(i int) {
		if first < 0 {
			first = i
		}
	}
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if in {
			switch c {
			case '"':
				in = false
			case '\\':
				if i+1 < len(s) {
					switch n := s[i+1]; n {
					case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
						out = append(out, c, n)
						i++
						continue
					case 'u':
						if _, ok := hex4(s, i+2); ok > 0 {
							out = append(out, c, n)
							i++
							continue
						}
					}
				}
				fix(i)
				out = append(out, '\\', '\\')
				continue
			}
			out = append(out, c)
			continue
		}
		switch c {
		case '"':
			in = true
		case ',':
			j := skipWS(s, i+1)
			if j < len(s) && (s[j] == '}' || s[j] == ']') {
				fix(i)
				continue
			}
		}
		out = append(out, c)
	}
	return out, first
}

// lineOf returns the 1-based line of offset off in s.
func lineOf(s []byte, off int) int {
	n := 1
	for _, c := range s[:min(off, len(s))] {
		if c == '\n' {
			n++
		}
	}
	return n
}

// parseDecimalSeconds reads the plain "123.456789" form every recorder
// writes, without allocating (the reader's hot path); anything else
// (exponents, signs, more than 9 decimals) is left to strconv.
func parseDecimalSeconds(b []byte) (float64, bool) {
	var ip, fp uint64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if i >= 15 {
			return 0, false
		}
		ip = ip*10 + uint64(b[i]-'0')
	}
	if i == 0 {
		return 0, false
	}
	scale := uint64(1)
	if i < len(b) && b[i] == '.' {
		i++
		for k := 0; i < len(b) && b[i] >= '0' && b[i] <= '9'; i, k = i+1, k+1 {
			if k >= 9 {
				return 0, false
			}
			fp = fp*10 + uint64(b[i]-'0')
			scale *= 10
		}
	}
	if i != len(b) {
		return 0, false
	}
	return float64(ip) + float64(fp)/float64(scale), true
}
