package player

import (
	"bytes"
	"strings"
	"time"
)

// TextLine is one line of text the recording printed (what a command
// typed is echoed, so it is there too), as a reader searches it: escape
// sequences left out, and of a line rewritten in place with carriage
// returns (a progress bar) only its last state. At is when the line was
// complete.
type TextLine struct {
	At   time.Duration
	Text string
}

// Bounds of what a LineCollector keeps: a line's raw bytes, its text, and
// all lines' text together. Past maxAllText it keeps no more lines and
// says so (Truncated).
const (
	maxLineRaw  = 64 << 10
	maxLineText = 1000
	maxAllText  = 8 << 20
)

// LineCollector turns a recording's output into the lines it printed.
// Feed it every output event in order (Add); Lines returns what it made.
type LineCollector struct {
	lines     []TextLine
	raw       []byte
	last      time.Duration
	size      int
	truncated bool
}

// Add takes the output data written at time at.
func (c *LineCollector) Add(at time.Duration, data []byte) {
	c.last = at
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			c.keep(data)
			return
		}
		c.keep(data[:i])
		c.flush(at)
		data = data[i+1:]
	}
}

func (c *LineCollector) keep(b []byte) {
	if room := maxLineRaw - len(c.raw); room > 0 {
		c.raw = append(c.raw, b[:min(len(b), room)]...)
	}
}

// flush ends the line being collected.
func (c *LineCollector) flush(at time.Duration) {
	raw := c.raw
	c.raw = c.raw[:0]
	// A carriage return starts the line again: keep its last non-blank
	// state ("50%\r100%\r\n" is "100%").
	var text string
	for _, piece := range bytes.Split(raw, []byte{'\r'}) {
		if t := strings.TrimRight(PlainText(piece), " \t"); strings.TrimSpace(t) != "" {
			text = t
		}
	}
	if text == "" || c.truncated {
		return
	}
	if r := []rune(text); len(r) > maxLineText {
		text = string(r[:maxLineText]) + "…"
	}
	if c.size+len(text) > maxAllText {
		c.truncated = true
		return
	}
	c.size += len(text)
	c.lines = append(c.lines, TextLine{At: at, Text: text})
}

// Lines returns the lines collected, the last one even without its
// newline.
func (c *LineCollector) Lines() []TextLine {
	if len(c.raw) > 0 {
		c.flush(c.last)
	}
	return c.lines
}

// Truncated reports whether lines were left out past the bound on all
// lines' text together.
func (c *LineCollector) Truncated() bool { return c.truncated }
