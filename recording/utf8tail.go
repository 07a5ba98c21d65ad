package recording

import "unicode/utf8"

// incompleteTail returns how many bytes at the end of p are the start of a
// UTF-8 sequence whose remaining bytes have not arrived yet. Writers hold
// them back for the next frame: tty-player decodes each frame on its own and
// would show a split character as U+FFFD. Invalid bytes are not held.
func incompleteTail(p []byte) int {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(p); i++ {
		b := p[len(p)-i]
		if b < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(b) {
			if !utf8.FullRune(p[len(p)-i:]) {
				return i
			}
			return 0
		}
	}
	return 0
}

// splitPoint returns the largest n ≤ max such that p[:n] does not end inside
// a UTF-8 sequence (or max when no such point is near).
func splitPoint(p []byte, max int) int {
	if len(p) <= max {
		return len(p)
	}
	if k := incompleteTail(p[:max]); k > 0 && k < max {
		return max - k
	}
	return max
}

// holdIncomplete returns the bytes *held kept from the last write followed
// by p, less an incomplete UTF-8 character at the end, which it keeps in
// *held for the next: an event or frame never ends inside a character.
func holdIncomplete(held *[]byte, p []byte) []byte {
	data := p
	if len(*held) > 0 {
		data = append(append([]byte(nil), *held...), p...)
		*held = (*held)[:0]
	}
	if k := incompleteTail(data); k > 0 {
		*held = append((*held)[:0], data[len(data)-k:]...)
		data = data[:len(data)-k]
	}
	return data
}
