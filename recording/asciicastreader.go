package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// castHeader is the union of the asciicast v1, v2 and v3 headers.
type castHeader struct {
	Version   int     `json:"version"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Timestamp float64 `json:"timestamp"`
	Duration  float64 `json:"duration"`
	IdleLimit float64 `json:"idle_time_limit"`
	Command   string  `json:"command"`
	Title     string  `json:"title"`
	Term      struct {
		Cols int    `json:"cols"`
		Rows int    `json:"rows"`
		Type string `json:"type"`
	} `json:"term"`
	Stdout []json.RawMessage `json:"stdout"` // v1 only
}

func (h *castHeader) header() Header {
	hd := Header{Cols: h.Width, Rows: h.Height, Title: h.Title, Command: h.Command}
	if h.Version == 3 {
		hd.Cols, hd.Rows = h.Term.Cols, h.Term.Rows
	}
	hd.Format = fmt.Sprintf("asciicast-v%d", h.Version)
	if h.Timestamp > 0 {
		sec, frac := math.Modf(h.Timestamp)
		hd.StartedAt = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	if h.IdleLimit > 0 {
		hd.IdleLimit = secondsToDuration(h.IdleLimit)
	}
	return hd
}

func secondsToDuration(s float64) time.Duration {
	return time.Duration(math.Round(s * 1e9))
}

// castReader reads asciicast v2 and v3 line by line in constant memory, and
// v1 (one JSON document) whole. It is lenient: a line that is not valid JSON
// is repaired when it is termrec's known mistake, skipped otherwise, and
// listed by Problems either way; only a cut last line ends the reading with
// an error.
type castReader struct {
	br       *bufio.Reader
	closer   io.Closer
	name     string
	hdr      Header
	version  int
	line     int
	long     []byte // a header line longer than the bufio buffer
	data     []byte // decoded event data
	part     castPart
	maxData  int // MaxEventData; smaller in tests
	t        time.Duration
	problems problemList
	err      error

	v1     []json.RawMessage // v1 events
	v1next int
	v1s    *v1Stream // a v1 document too large to read whole
	v1cur  string    // the data of the v1 entry being returned in parts

	// recognised: the header (or v1 document) is asciicast's, whatever
	// damage follows; an error before that means the bytes are not
	// asciicast at all.
	recognised bool
}

// MaxEventData bounds the data of one event an EventReader returns, so
// that no single event, however large in the file (a 50 MB escape
// sequence never ended), is ever held whole: longer output and input is
// returned as consecutive events of at most this many bytes (plus 3), with
// the same time; the data of a longer marker, resize or exit event is cut
// to this and listed as a problem.
const MaxEventData = 1 << 20

// castPart is an event line longer than the read buffer, read in parts: its
// data is decoded window by window and returned MaxEventData at a time,
// never held whole. What was returned stands when the line turns out
// damaged after it (the damage is listed, or ends the reading when the
// file ends inside it).
type castPart struct {
	on       bool
	t        time.Duration
	kind     EventKind
	line     int
	win      []byte // undecoded bytes of the line (owned: a bufio window can move)
	wpos     int
	more     bool  // the line goes on past win
	atEOF    bool  // the line ends the input
	returned bool  // a part of the data was returned already
	dropped  int64 // data bytes cut off (kinds that are not split)
	repaired bool
}

// split reports whether an event kind's data is returned in parts.
func (k EventKind) split() bool { return k == Output || k == Input }

func newCastReader(src io.Reader, name string, closer io.Closer, want int) (*castReader, error) {
	return newCastReaderSize(src, name, closer, want, readBufSize, MaxEventData)
}

// newCastReaderSize is newCastReader with a read buffer of bufSize bytes
// (a longer line is read in parts) and parts of maxData bytes.
func newCastReaderSize(src io.Reader, name string, closer io.Closer, want, bufSize, maxData int) (*castReader, error) {
	c := &castReader{br: bufio.NewReaderSize(src, bufSize), closer: closer, name: name, maxData: maxData}
	// The header is the first line that is not blank or a comment.
	var first []byte
	for {
		l, long, err := c.readHeadLine(v1WholeMax)
		if err != nil && len(l) == 0 {
			if err == io.EOF {
				return nil, c.formatErr(ProblemDamaged, true, "no asciicast header")
			}
			return nil, err
		}
		t := bytes.TrimSpace(l)
		if long {
			if len(t) == 0 || t[0] != '{' {
				return nil, c.formatErr(ProblemDamaged, false, "header is not JSON: a first line of more than %d bytes", v1WholeMax)
			}
			// No header is that long: a v1 document on one line.
			return c, c.startV1Stream(io.MultiReader(bytes.NewReader(append([]byte(nil), l...)), c.br))
		}
		if len(t) == 0 || t[0] == '#' {
			if err != nil {
				return nil, c.formatErr(ProblemDamaged, true, "no asciicast header")
			}
			continue
		}
		first = append([]byte(nil), t...)
		break
	}
	var h castHeader
	if err := json.Unmarshal(first, &h); err != nil {
		fixed, at := repairJSON(first)
		if at >= 0 && json.Unmarshal(fixed, &h) == nil {
			c.problem(ProblemRepaired, c.line, "header is invalid JSON (%v); read as repaired", err)
		} else if first[0] == '{' {
			// Not a one-line header: a v1 document spread over lines.
			return c, c.readV1(first)
		} else {
			return nil, c.formatErr(ProblemDamaged, false, "header is not JSON: %v", err)
		}
	}
	switch h.Version {
	case 1:
		return c, c.readV1(first)
	case 2, 3:
		c.recognised = true
	case 0:
		return nil, c.formatErr(ProblemDamaged, false, "JSON without an asciicast version")
	default:
		return nil, c.formatErr(ProblemDamaged, false, "unsupported asciicast version %d", h.Version)
	}
	if want != 0 && want != h.Version {
		return c, c.formatErr(ProblemDamaged, false, "asciicast v%d, not v%d as asked", h.Version, want)
	}
	c.version = h.Version
	c.hdr = h.header()
	c.clampHeader()
	return c, nil
}

// clampHeader bounds the header's terminal size (see MaxCols).
func (c *castReader) clampHeader() {
	if cols, rows, clamped := ClampSize(c.hdr.Cols, c.hdr.Rows); clamped {
		c.problem(ProblemClamped, c.line, "%s", clampedMsg("terminal size", c.hdr.Cols, c.hdr.Rows))
		c.hdr.Cols, c.hdr.Rows = cols, rows
	}
}

// clampResize bounds a resize event's size (see MaxCols), rewriting data.
func (c *castReader) clampResize(data []byte) []byte {
	cols, rows, err := ParseResize(data)
	if err != nil {
		return data
	}
	if cc, rr, clamped := ClampSize(cols, rows); clamped {
		c.problem(ProblemClamped, c.line, "%s", clampedMsg("resize to", cols, rows))
		return fmt.Appendf(data[:0], "%dx%d", cc, rr)
	}
	return data
}

// readV1 reads a v1 document whose first line is first: whole when it is
// at most v1WholeMax bytes, else as a stream.
func (c *castReader) readV1(first []byte) error {
	startLine := c.line
	doc, whole, err := v1Prefix(append(first, '\n'), c.br)
	if err != nil {
		return fmt.Errorf("read %s: %w", c.name, err)
	}
	if !whole {
		return c.startV1Stream(io.MultiReader(bytes.NewReader(doc), c.br))
	}
	c.version = 1
	// A v1 document, even a damaged one, has a version and its events
	// under "stdout".
	c.recognised = bytes.Contains(doc, []byte(`"stdout"`)) && bytes.Contains(doc, []byte(`"version"`))
	var h castHeader
	if jerr := json.Unmarshal(doc, &h); jerr != nil {
		fixed, at := repairJSON(doc)
		if at < 0 || json.Unmarshal(fixed, &h) != nil {
			line := startLine
			var se *json.SyntaxError
			if errors.As(jerr, &se) {
				line = startLine - 1 + lineOf(doc, int(se.Offset))
			}
			trunc := errors.Is(jerr, io.ErrUnexpectedEOF) || strings_HasSuffixEOF(jerr)
			c.line = line
			return c.formatErr(ProblemDamaged, trunc, "invalid asciicast v1 JSON: %v", jerr)
		}
		c.problem(ProblemRepaired, startLine-1+lineOf(doc, at), "invalid JSON (%v); read as repaired", jerr)
	}
	if h.Version != 1 {
		c.recognised = false
		return c.formatErr(ProblemDamaged, false, "a multi-line document with version %d (want asciicast v1)", h.Version)
	}
	c.recognised = true
	c.version = 1
	c.hdr = h.header()
	c.clampHeader()
	c.v1 = h.Stdout
	return nil
}

func strings_HasSuffixEOF(err error) bool {
	return err != nil && bytes.HasSuffix([]byte(err.Error()), []byte("unexpected end of JSON input"))
}

func (c *castReader) Header() Header { return c.hdr }

func (c *castReader) Problems() ([]*FormatError, int) { return c.problems.list, c.problems.total }

func (c *castReader) Close() error {
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}

func (c *castReader) formatErr(kind string, trunc bool, format string, a ...any) *FormatError {
	return &FormatError{Name: c.name, Format: c.formatName(), Offset: -1, Line: c.line, Frame: -1, Truncated: trunc, Kind: kind, Msg: fmt.Sprintf(format, a...)}
}

func (c *castReader) formatName() string {
	if c.version == 0 {
		return "asciicast"
	}
	return fmt.Sprintf("asciicast-v%d", c.version)
}

func (c *castReader) problem(kind string, line int, format string, a ...any) {
	c.problems.add(&FormatError{Name: c.name, Format: c.formatName(), Offset: -1, Line: line, Frame: -1, Kind: kind, Msg: fmt.Sprintf(format, a...)})
}

// readHeadLine is readLine for the header: a line longer than max is not
// read on; long says so, and l holds its first max bytes or more.
func (c *castReader) readHeadLine(max int) (l []byte, long bool, err error) {
	c.line++
	l, err = c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.long = append(c.long[:0], l...)
		for err == bufio.ErrBufferFull {
			if len(c.long) > max {
				return c.long, true, nil
			}
			l, err = c.br.ReadSlice('\n')
			c.long = append(c.long, l...)
		}
		l = c.long
	}
	if err == nil {
		return l[:len(l)-1], false, nil
	}
	if err == io.EOF {
		return l, false, io.EOF
	}
	return l, false, fmt.Errorf("read %s: %w", c.name, err)
}

func (c *castReader) Next() (Event, error) {
	if c.err != nil {
		return Event{}, c.err
	}
	if c.v1s != nil {
		return c.nextV1Stream()
	}
	if c.version == 1 {
		return c.nextV1()
	}
	for {
		if c.part.on {
			ev, ok, err := c.nextPart()
			if err != nil {
				c.err = err
				return Event{}, err
			}
			if ok {
				return ev, nil
			}
			if c.err != nil {
				return Event{}, c.err
			}
			continue
		}
		c.line++
		l, err := c.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// Longer than the buffer: read it in parts.
			if err := c.startPart(l); err != nil {
				c.err = err
				return Event{}, err
			}
			continue
		}
		if err != nil && err != io.EOF {
			c.err = fmt.Errorf("read %s: %w", c.name, err)
			return Event{}, c.err
		}
		atEOF := err == io.EOF
		if !atEOF {
			l = l[:len(l)-1]
		}
		t := bytes.TrimSpace(l)
		if len(t) == 0 || t[0] == '#' {
			if atEOF {
				c.err = io.EOF
				return Event{}, io.EOF
			}
			continue
		}
		ev, ok, perr := c.parseEvent(t)
		if perr != nil {
			if atEOF {
				// A cut last line: every whole event before it was read.
				c.err = c.formatErr(ProblemTruncated, true, "last line is cut short: %v", perr)
				return Event{}, c.err
			}
			c.problem(ProblemBadLine, c.line, "invalid event, skipped: %v", perr)
			continue
		}
		if atEOF {
			c.err = io.EOF
		}
		if ok {
			return ev, nil
		}
		if atEOF {
			return Event{}, io.EOF
		}
	}
}

// startPart begins reading a line longer than the buffer, whose first
// bufferful is l: an event of the usual shape `[time, "code", "data"]` is
// read in parts; any other line that long is skipped without being held.
func (c *castReader) startPart(l []byte) error {
	secs, code, q, ok := parseEventPrefix(l)
	if ok && (math.IsNaN(secs) || math.IsInf(secs, 0)) {
		ok = false
	}
	if !ok {
		n, atEOF, err := c.skipLine(int64(len(l)))
		if err != nil {
			return err
		}
		if atEOF {
			return c.formatErr(ProblemTruncated, true, "last line (%d bytes) is cut short, or not an event", n)
		}
		c.problem(ProblemBadLine, c.line, "line of %d bytes is not an event [time, code, data], skipped", n)
		return nil
	}
	d := secondsToDuration(secs)
	if c.version == 3 {
		c.t += d
	} else {
		c.t = d
	}
	p := &c.part
	*p = castPart{on: true, t: c.t, kind: EventKind(code), line: c.line, win: append(p.win[:0], l[q+1:]...), more: true}
	return nil
}

// skipLine reads past the rest of a line, counting its bytes (n counts
// from start), without holding it.
func (c *castReader) skipLine(start int64) (n int64, atEOF bool, err error) {
	n = start
	for {
		l, err := c.br.ReadSlice('\n')
		n += int64(len(l))
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return n - 1, false, nil
		case io.EOF:
			return n, true, nil
		}
		return n, false, fmt.Errorf("read %s: %w", c.name, err)
	}
}

// refill moves the next window of the long line into p.win, after what is
// left of the current one (the start of an escape cut by its end).
func (c *castReader) refill() error {
	p := &c.part
	rest := copy(p.win, p.win[p.wpos:])
	p.win, p.wpos = p.win[:rest], 0
	l, err := c.br.ReadSlice('\n')
	switch err {
	case bufio.ErrBufferFull:
	case nil:
		l = l[:len(l)-1]
		p.more = false
	case io.EOF:
		p.more, p.atEOF = false, true
	default:
		return fmt.Errorf("read %s: %w", c.name, err)
	}
	p.win = append(p.win, l...)
	return nil
}

// nextPart returns the next part of a long line's data (ok false: nothing
// to return, the line is done).
func (c *castReader) nextPart() (ev Event, ok bool, err error) {
	p := &c.part
	c.data = c.data[:0]
	for {
		full := len(c.data) >= c.maxData
		if full && p.kind.split() {
			p.returned = true
			return Event{Time: p.t, Kind: p.kind, Data: c.data}, true, nil
		}
		var used int
		var closed, rep, limit bool
		if full {
			// Not split: keep the first c.maxData, count the rest.
			var d []byte
			d, used, closed, rep = decodeStringPart(c.long[:0], p.win[p.wpos:], c.maxData, p.more)
			p.dropped += int64(len(d))
			c.long, limit = d[:0], len(d) >= c.maxData
		} else {
			c.data, used, closed, rep = decodeStringPart(c.data, p.win[p.wpos:], c.maxData, p.more)
			limit = len(c.data) >= c.maxData
		}
		p.wpos += used
		p.repaired = p.repaired || rep
		switch {
		case closed:
			return c.endPart(c.lineEndsEvent())
		case limit:
			continue
		case !p.more:
			// The line ended inside the string.
			return c.endPart(false, nil)
		}
		// The window is used up, or ends inside an escape.
		if err := c.refill(); err != nil {
			return Event{}, false, err
		}
	}
}

// lineEndsEvent reads the rest of a long line after its data: whether it
// is `]` and blanks, as an event ends.
func (c *castReader) lineEndsEvent() (bool, error) {
	p := &c.part
	good, bracket := true, false
	for {
		for _, b := range p.win[p.wpos:] {
			switch {
			case b == ' ' || b == '\t' || b == '\r':
			case b == ']' && !bracket:
				bracket = true
			default:
				good = false
			}
		}
		p.wpos = len(p.win)
		if !p.more {
			return good && bracket, nil
		}
		if err := c.refill(); err != nil {
			return false, err
		}
	}
}

// endPart ends a long line: whole says whether it was a whole event. It
// returns the last part of its data, if there is one to return: a line
// damaged after parts of it were returned gives the rest as read; one
// damaged before is skipped, as a short one is.
func (c *castReader) endPart(whole bool, err error) (Event, bool, error) {
	p := &c.part
	p.on = false
	if err != nil {
		return Event{}, false, err
	}
	if p.repaired {
		c.problem(ProblemRepaired, p.line, "invalid JSON escape read as a literal backslash")
	}
	switch {
	case p.atEOF && !whole && p.returned:
		c.err = c.formatErr(ProblemTruncated, true, "last line is cut short: its data was read up to the cut")
	case p.atEOF && !whole:
		c.err = c.formatErr(ProblemTruncated, true, "last line (a long event) is cut short")
	case !whole && p.returned:
		c.problem(ProblemBadLine, p.line, "long event does not end as [time, code, data]: its data was read up to where it ends")
	case !whole:
		c.problem(ProblemBadLine, p.line, "invalid event, skipped: long line not of the form [time, code, data]")
	}
	if p.atEOF && c.err == nil {
		c.err = io.EOF
	}
	ev := Event{Time: p.t, Kind: p.kind, Data: c.data}
	ok := whole || p.returned
	if p.returned && len(c.data) == 0 {
		ok = false
	}
	switch p.kind {
	case Output, Input, Mark, Exit:
	case Resize:
		if ok {
			ev.Data = c.clampResize(ev.Data)
		}
	default:
		return Event{}, false, nil // unknown codes are ignored, as the spec says
	}
	if ok && p.dropped > 0 {
		c.problem(ProblemClamped, p.line, "%c event data of %d bytes cut to its first %d", p.kind, int64(len(c.data))+p.dropped, len(c.data))
	}
	return ev, ok, nil
}

// parseEvent decodes one event line; ok is false for codes we skip.
func (c *castReader) parseEvent(l []byte) (Event, bool, error) {
	secs, code, data, repaired, ok := parseEventLine(l, c.data[:0])
	if !ok {
		var err error
		if secs, code, data, repaired, err = parseEventJSON(l, c.data[:0]); err != nil {
			return Event{}, false, err
		}
	}
	c.data = data
	if repaired {
		c.problem(ProblemRepaired, c.line, "invalid JSON escape read as a literal backslash")
	}
	if math.IsNaN(secs) || math.IsInf(secs, 0) {
		return Event{}, false, fmt.Errorf("bad time %v", secs)
	}
	d := secondsToDuration(secs)
	if c.version == 3 {
		c.t += d // v3 stores the interval since the previous event
	} else {
		c.t = d
	}
	switch EventKind(code) {
	case Resize:
		return Event{Time: c.t, Kind: Resize, Data: c.clampResize(data)}, true, nil
	case Output, Input, Mark, Exit:
		return Event{Time: c.t, Kind: EventKind(code), Data: data}, true, nil
	}
	return Event{}, false, nil // unknown codes are ignored, as the spec says
}

func (c *castReader) nextV1() (Event, error) {
	if c.v1cur != "" {
		n := min(len(c.v1cur), c.maxData)
		c.data = append(c.data[:0], c.v1cur[:n]...)
		c.v1cur = c.v1cur[n:]
		return Event{Time: c.t, Kind: Output, Data: c.data}, nil
	}
	for c.v1next < len(c.v1) {
		raw := c.v1[c.v1next]
		c.v1next++
		var pair []json.RawMessage
		var secs float64
		var s string
		if json.Unmarshal(raw, &pair) != nil || len(pair) != 2 ||
			json.Unmarshal(pair[0], &secs) != nil || json.Unmarshal(pair[1], &s) != nil {
			c.problem(ProblemBadLine, 0, "stdout entry %d is not [delay, data], skipped", c.v1next-1)
			continue
		}
		c.t += secondsToDuration(secs) // v1 stores delays
		n := min(len(s), c.maxData)
		c.data = append(c.data[:0], s[:n]...)
		c.v1cur = s[n:]
		return Event{Time: c.t, Kind: Output, Data: c.data}, nil
	}
	c.v1 = nil
	c.err = io.EOF
	return Event{}, io.EOF
}

// parseEventJSON is the slow path for event lines parseEventLine cannot
// take (odd spacing, non-string data): encoding/json, repaired if need be.
// It is its own function so its variables stay off the fast path's heap.
func parseEventJSON(l, buf []byte) (secs float64, code byte, data []byte, repaired bool, err error) {
	var raw []json.RawMessage
	if err = json.Unmarshal(l, &raw); err != nil {
		fixed, at := repairJSON(l)
		if at < 0 || json.Unmarshal(fixed, &raw) != nil {
			return
		}
		err, repaired = nil, true
	}
	if len(raw) < 3 {
		err = fmt.Errorf("want [time, code, data], got %d elements", len(raw))
		return
	}
	var cs string
	if e := json.Unmarshal(raw[0], &secs); e != nil {
		err = fmt.Errorf("bad time %s", raw[0])
		return
	}
	if e := json.Unmarshal(raw[1], &cs); e != nil || len(cs) != 1 {
		err = fmt.Errorf("bad event code %s", raw[1])
		return
	}
	code = cs[0]
	var ds string
	if e := json.Unmarshal(raw[2], &ds); e == nil {
		data = append(buf, ds...)
	} else {
		data = append(buf, bytes.TrimSpace(raw[2])...)
	}
	return
}
