package shell

import (
	"bytes"
	"fmt"
	"strings"
)

// captureHalf bounds what is kept of one command's output: its first and
// last captureHalf bytes. A 200 MB cat is recorded whole; only what the
// runbook gets back as r.output is cut in the middle.
const captureHalf = 4 << 20

// capture keeps a command's output as the terminal got it.
type capture struct {
	head bytes.Buffer
	// ring holds the last captureHalf bytes after head is full, written
	// round (made when first needed, so one buffer a command whatever
	// its output: a copy a chunk kept the collector busy on a 200 MB cat).
	ring  []byte
	ringN int64 // bytes written to ring in all
}

func (c *capture) add(p []byte) {
	if room := captureHalf - c.head.Len(); room > 0 {
		n := min(room, len(p))
		c.head.Write(p[:n])
		p = p[n:]
	}
	if len(p) == 0 {
		return
	}
	if c.ring == nil {
		c.ring = make([]byte, captureHalf)
	}
	c.ringN += int64(len(p))
	if len(p) > captureHalf {
		p = p[len(p)-captureHalf:]
	}
	at := int((c.ringN - int64(len(p))) % captureHalf)
	n := copy(c.ring[at:], p)
	copy(c.ring, p[n:])
}

func (c *capture) bytes() []byte {
	b := append([]byte(nil), c.head.Bytes()...)
	if c.ringN <= captureHalf {
		return append(b, c.ring[:c.ringN]...)
	}
	b = append(b, fmt.Sprintf("\r\n[... %d bytes not kept ...]\r\n", c.ringN-captureHalf)...)
	at := int(c.ringN % captureHalf)
	b = append(b, c.ring[at:]...)
	return append(b, c.ring[:at]...)
}

// CleanText turns terminal output into plain text: escape sequences
// (CSI, OSC, DCS and two-byte ESC sequences) removed, CR LF turned into LF,
// and other control characters but tab and newline dropped.
func CleanText(p []byte) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		// Plain text goes over in runs (a command's output is megabytes).
		if j := i; plain[p[j]] {
			for j < len(p) && plain[p[j]] {
				j++
			}
			b.Write(p[i:j])
			if i = j; i == len(p) {
				break
			}
		}
		c := p[i]
		switch {
		case c == 0x1b && i+1 < len(p):
			i = skipEscape(p, i)
		case c == 0x1b:
		case c == '\r' && i+1 < len(p) && p[i+1] == '\n':
		case c == '\n' || c == '\t':
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// plain marks the bytes CleanText keeps as they are.
var plain = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != 0x7f || c == '\n' || c == '\t'
	}
	return t
}()

// skipEscape returns the index of the last byte of the escape sequence
// starting at p[i] (an ESC).
func skipEscape(p []byte, i int) int {
	switch p[i+1] {
	case '[': // CSI: parameters and intermediates, then a final byte @..~
		j := i + 2
		for j < len(p) && (p[j] < 0x40 || p[j] > 0x7e) {
			j++
		}
		return min(j, len(p)-1)
	case ']', 'P', '_', '^', 'X': // strings ended by BEL or ST (ESC \)
		for j := i + 2; j < len(p); j++ {
			if p[j] == '\a' {
				return j
			}
			if p[j] == 0x1b && j+1 < len(p) && p[j+1] == '\\' {
				return j + 1
			}
		}
		return len(p) - 1
	case '(', ')', '*', '+', '#', '%': // designate charset etc.: one more byte
		return min(i+2, len(p)-1)
	}
	return i + 1
}
