package recording

import (
	"encoding/binary"
	"math/bits"
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
// does (ESC as \u001b).
//
// It is the hot loop of every conversion to asciicast: eight bytes at a
// time, it jumps to the first byte that needs a look (an escape or a
// non-ASCII byte) and copies clean runs in one go.
func appendJSONBytes(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			x := binary.LittleEndian.Uint64(s[i:])
			m := escapeMask(x) | x&hi8
			if m == 0 {
				i += 8
				continue
			}
			// The lowest flag is exact (the bit trick can only misflag
			// bytes above a true one).
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if needsEscape[c] {
				dst = append(dst, s[start:i]...)
				dst = appendEscape(dst, c)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			start = i + 1
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
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
