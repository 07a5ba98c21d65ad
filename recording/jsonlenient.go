package recording

import (
	"encoding/binary"
	"math/bits"
	"slices"
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
// there is no closing quote. dst must not share memory with s: it is
// written eight bytes at a time, up to seven past its new length.
//
// It is the hot loop of every conversion from asciicast, whose strings
// hold an escape every few bytes (\r\n, \u001b): runs of plain bytes are
// found eight bytes at a time, and the common escapes decode without a
// call.
func appendJSONString(dst, s []byte, i int) (out []byte, next int, repaired, ok bool) {
	i++ // opening quote
	for {
		// Eight bytes at a time to the next quote or backslash (the
		// lowest flag is exact: the bit trick can only misflag bytes
		// above a true one), each word stored whole and the length
		// moved on by its plain bytes: no call for the short runs
		// between escapes.
		for ; i+8 <= len(s); i += 8 {
			x := binary.LittleEndian.Uint64(s[i:])
			q, b := x^(lo8*'"'), x^(lo8*'\\')
			m := ((q-lo8)&^q | (b-lo8)&^b) & hi8
			if cap(dst)-len(dst) < 8 {
				dst = slices.Grow(dst, 8)
			}
			l := len(dst)
			binary.LittleEndian.PutUint64(dst[l:l+8], x)
			if m != 0 {
				n := bits.TrailingZeros64(m) >> 3
				dst = dst[:l+n]
				i += n
				goto found
			}
			dst = dst[:l+8]
		}
		for i < len(s) && s[i] != '"' && s[i] != '\\' {
			dst = append(dst, s[i])
			i++
		}
	found:
		if i >= len(s) {
			return dst, i, repaired, false
		}
		if s[i] == '"' {
			return dst, i + 1, repaired, true
		}
		// backslash
		j := i
		if j+1 >= len(s) {
			return dst, j, repaired, false
		}
		c := s[j+1]
		i = j + 2
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
			r := rune(-1)
			if j+6 <= len(s) {
				h := s[j+2 : j+6]
				if a, b, c, d := unhex[h[0]], unhex[h[1]], unhex[h[2]], unhex[h[3]]; a|b|c|d >= 0 {
					r = rune(a)<<12 | rune(b)<<8 | rune(c)<<4 | rune(d)
				}
			}
			if r < 0 {
				dst = append(dst, '\\', 'u')
				repaired = true
				break
			}
			i = j + 6
			if r < utf8.RuneSelf {
				dst = append(dst, byte(r))
				break
			}
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
			dst = append(dst, '\\')
			i = j + 1
			repaired = true
		}
	}
}

// unhex is each byte's value as a hex digit, -1 for the rest.
var unhex = func() (t [256]int8) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9':
			t[c] = int8(c - '0')
		case c >= 'a' && c <= 'f':
			t[c] = int8(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			t[c] = int8(c - 'A' + 10)
		default:
			t[c] = -1
		}
	}
	return t
}()

func hex4(s []byte, i int) (rune, int) {
	if i+4 > len(s) {
		return 0, 0
	}
	a, b, c, d := unhex[s[i]], unhex[s[i+1]], unhex[s[i+2]], unhex[s[i+3]]
	if a|b|c|d < 0 {
		return 0, 0
	}
	return rune(a)<<12 | rune(b)<<8 | rune(c)<<4 | rune(d), 4
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
