package recording

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// needsEscape marks the ASCII bytes a JSON string cannot hold as they are.
var needsEscape = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// appendJSONBytes appends s as a JSON string. Invalid UTF-8 becomes U+FFFD
// (asciicast data is text); control characters are escaped as asciinema
// does (ESC as \u001b). dst must not share memory with s: it is written
// eight bytes at a time, up to seven past its new length.
//
// It is the hot loop of every conversion to asciicast, and terminal output
// has a control byte or a non-ASCII one every few bytes: eight bytes at a
// time, each word is stored whole and the length moved on to the first
// byte that needs a look (no call for the short runs between them); the
// common UTF-8 forms are checked in line.
func appendJSONBytes(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			x := binary.LittleEndian.Uint64(s[i:])
			m := escapeMask(x) | x&hi8
			if cap(dst)-len(dst) < 8 {
				dst = slices.Grow(dst, 8)
			}
			l := len(dst)
			binary.LittleEndian.PutUint64(dst[l:l+8], x)
			if m == 0 {
				dst = dst[:l+8]
				i += 8
				continue
			}
			// The lowest flag is exact (the bit trick can only misflag
			// bytes above a true one).
			n := bits.TrailingZeros64(m) >> 3
			dst = dst[:l+n]
			i += n
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if needsEscape[c] {
				dst = appendEscape(dst, c)
			} else {
				dst = append(dst, c)
			}
			i++
			continue
		}
		switch size := utf8Len(s[i:]); size {
		case 0:
			dst = append(dst, `\ufffd`...)
			i++
		case 2:
			dst = append(dst, c, s[i+1])
			i += 2
		case 3:
			dst = append(dst, c, s[i+1], s[i+2])
			i += 3
		default:
			dst = append(dst, s[i:i+size]...)
			i += size
		}
	}
	return append(dst, '"')
}

// utf8Len is the length of the valid UTF-8 character p starts with (a
// non-ASCII one), 0 when it is not one. The two- and three-byte forms are
// checked here; the rest as the utf8 package does.
func utf8Len(p []byte) int {
	c := p[0]
	switch {
	case c >= 0xc2 && c <= 0xdf:
		if len(p) >= 2 && p[1]&0xc0 == 0x80 {
			return 2
		}
		return 0
	case c >= 0xe1 && c <= 0xec, c == 0xee, c == 0xef:
		if len(p) >= 3 && p[1]&0xc0 == 0x80 && p[2]&0xc0 == 0x80 {
			return 3
		}
		return 0
	}
	if r, size := utf8.DecodeRune(p); r != utf8.RuneError || size > 1 {
		return size
	}
	return 0
}

func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// escapeMask sets the high bit of each byte of x that is below 0x20, a
// quote or a backslash (the classic "has zero byte" trick).
func escapeMask(x uint64) uint64 {
	less := (x - lo8*0x20) & ^x & hi8
	q := x ^ (lo8 * '"')
	b := x ^ (lo8 * '\\')
	return less | (q-lo8)&^q&hi8 | (b-lo8)&^b&hi8
}

// appendMicros appends a duration in µs as seconds with six decimals.
func appendMicros(dst []byte, us int64) []byte {
	if us < 0 {
		dst = append(dst, '-')
		us = -us
	}
	sec, frac := us/1e6, us%1e6
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + sec%10)
		sec /= 10
		if sec == 0 {
			break
		}
	}
	dst = append(dst, b[i:]...)
	dst = append(dst, '.')
	for d := int64(100000); d > 0; d /= 10 {
		dst = append(dst, byte('0'+frac/d%10))
	}
	return dst
}
