package recording

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// EventWriter writes events in one output format.
type EventWriter interface {
	WriteEvent(ev Event) error
	// Close writes what the format keeps back (an incomplete UTF-8 tail, a
	// final newline); it does not close the underlying writer.
	Close() error
}

// ttyrecEventWriter writes output events through a Writer at their own
// times; other events have no place in ttyrec and are dropped.
type ttyrecEventWriter struct{ w *Writer }

func newTtyrecEventWriter(w io.Writer, h Header) (*ttyrecEventWriter, error) {
	start := h.StartedAt
	if start.IsZero() {
		start = time.Unix(0, 0)
	}
	tw, err := NewWriter(w, WriterOptions{Cols: h.Cols, Rows: h.Rows, Clock: NewManualClock(start)})
	if err != nil {
		return nil, err
	}
	return &ttyrecEventWriter{w: tw}, nil
}

func (t *ttyrecEventWriter) WriteEvent(ev Event) error {
	if ev.Kind != Output {
		return nil
	}
	return t.w.WriteAt(ev.Time, ev.Data)
}

func (t *ttyrecEventWriter) Close() error { return t.w.Close() }

// CastWriter writes asciicast v2 (times since the start) or v3 (intervals
// since the previous event). Times are rounded to the microsecond from the
// absolute time, so the rounding error never accumulates. Each event is one
// Write of one line. An incomplete UTF-8 character at the end of an event
// is carried into the next event of the same kind.
type CastWriter struct {
	w       io.Writer
	version int
	lastUS  int64
	held    [2][]byte // 'o' and 'i'
	line    []byte
}

type castHeaderV2 struct {
	Version   int      `json:"version"`
	Width     int      `json:"width"`
	Height    int      `json:"height"`
	Timestamp int64    `json:"timestamp,omitempty"`
	IdleLimit *float64 `json:"idle_time_limit,omitempty"`
	Command   string   `json:"command,omitempty"`
	Title     string   `json:"title,omitempty"`
}

type castTerm struct {
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}

type castHeaderV3 struct {
	Version   int      `json:"version"`
	Term      castTerm `json:"term"`
	Timestamp int64    `json:"timestamp,omitempty"`
	IdleLimit *float64 `json:"idle_time_limit,omitempty"`
	Command   string   `json:"command,omitempty"`
	Title     string   `json:"title,omitempty"`
}

// NewCastWriter writes the header line for version 2 or 3. An unknown size
// is written as 80x24, the size players assume.
func NewCastWriter(w io.Writer, h Header, version int) (*CastWriter, error) {
	cols, rows := h.Cols, h.Rows
	if cols <= 0 || rows <= 0 {
		cols, rows = 80, 24
	}
	var ts int64
	if !h.StartedAt.IsZero() && h.StartedAt.Unix() > 0 {
		ts = h.StartedAt.Unix()
	}
	var idle *float64
	if h.IdleLimit > 0 {
		v := h.IdleLimit.Seconds()
		idle = &v
	}
	var hv any
	switch version {
	case 2:
		hv = castHeaderV2{2, cols, rows, ts, idle, h.Command, h.Title}
	case 3:
		hv = castHeaderV3{3, castTerm{cols, rows}, ts, idle, h.Command, h.Title}
	default:
		return nil, fmt.Errorf("asciicast version %d: only 2 and 3 are written", version)
	}
	b, err := json.Marshal(hv)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("write asciicast header: %w", err)
	}
	return &CastWriter{w: w, version: version, line: make([]byte, 0, 64<<10)}, nil
}

// WriteEvent writes one event line.
func (c *CastWriter) WriteEvent(ev Event) error {
	data := ev.Data
	var held *[]byte
	switch ev.Kind {
	case Output:
		held = &c.held[0]
	case Input:
		held = &c.held[1]
	}
	if held != nil {
		data = holdIncomplete(held, data)
		if len(data) == 0 {
			return nil
		}
	}
	return c.writeLine(ev.Time, ev.Kind, data)
}

func (c *CastWriter) writeLine(t time.Duration, kind EventKind, data []byte) error {
	us := int64((t + 500*time.Nanosecond) / time.Microsecond)
	if us < c.lastUS {
		us = c.lastUS // stamps never go backwards in what we write
	}
	l := append(c.line[:0], '[')
	if c.version == 3 {
		l = appendMicros(l, us-c.lastUS)
	} else {
		l = appendMicros(l, us)
	}
	c.lastUS = us
	l = append(l, ',', ' ', '"', byte(kind), '"', ',', ' ')
	l = appendJSONBytes(l, data)
	l = append(l, ']', '\n')
	c.line = l
	if _, err := c.w.Write(l); err != nil {
		return fmt.Errorf("write asciicast event: %w", err)
	}
	return nil
}

// Close writes out any held-back bytes.
func (c *CastWriter) Close() error {
	t := time.Duration(c.lastUS) * time.Microsecond
	for i, k := range []EventKind{Output, Input} {
		if len(c.held[i]) > 0 {
			d := c.held[i]
			c.held[i] = nil
			if err := c.writeLine(t, k, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// rawWriter writes the output bytes alone, as `asciinema cat` prints them.
type rawWriter struct{ w io.Writer }

func (r *rawWriter) WriteEvent(ev Event) error {
	if ev.Kind != Output {
		return nil
	}
	_, err := r.w.Write(ev.Data)
	return err
}

func (r *rawWriter) Close() error { return nil }

// TextWriter writes a plain transcript: the output with terminal control
// sequences removed and CR LF turned into LF. It is a reading aid, not a
// screen rendering (`runbook render` is that): cursor movement is dropped,
// so text a program overwrote in place appears in full.
type TextWriter struct {
	w      io.Writer
	state  int
	buf    []byte
	lastNL bool
	wrote  bool
}

const (
	txNormal = iota
	txEsc
	txCSI
	txString // OSC, DCS, APC, PM, SOS: until BEL or ESC \
	txStringEsc
	txCharset // one more byte (ESC ( B and friends)
)

func (t *TextWriter) WriteEvent(ev Event) error {
	if ev.Kind != Output {
		return nil
	}
	b := t.buf[:0]
	for _, c := range ev.Data {
		switch t.state {
		case txNormal:
			switch {
			case c == 0x1b:
				t.state = txEsc
			case c == '\n' || c == '\t' || c >= 0x20 && c != 0x7f:
				b = append(b, c)
			}
		case txEsc:
			switch c {
			case '[':
				t.state = txCSI
			case ']', 'P', 'X', '^', '_':
				t.state = txString
			case '(', ')', '*', '+', '-', '.', '/', '%', '#', ' ':
				t.state = txCharset
			default:
				t.state = txNormal
			}
		case txCSI:
			if c >= 0x40 && c <= 0x7e {
				t.state = txNormal
			}
		case txString:
			if c == 0x07 {
				t.state = txNormal
			} else if c == 0x1b {
				t.state = txStringEsc
			}
		case txStringEsc:
			if c == '\\' {
				t.state = txNormal
			} else {
				t.state = txString
			}
		case txCharset:
			t.state = txNormal
		}
	}
	t.buf = b
	if len(b) == 0 {
		return nil
	}
	t.wrote = true
	t.lastNL = b[len(b)-1] == '\n'
	_, err := t.w.Write(b)
	return err
}

// Close ends the transcript with a newline.
func (t *TextWriter) Close() error {
	if t.wrote && !t.lastNL {
		_, err := t.w.Write([]byte{'\n'})
		return err
	}
	return nil
}
