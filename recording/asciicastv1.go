package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// v1WholeMax is the largest asciicast v1 document read whole (with
// encoding/json and termrec's repairs, any key order). A larger one is
// read as a stream, in constant memory whatever its size or the size of
// one entry: the header from the keys before "stdout" (asciinema writes
// them first), then one entry at a time, its data in parts of
// MaxEventData.
const v1WholeMax = 8 << 20

// v1Stream reads a v1 document token by token.
type v1Stream struct {
	br  *bufio.Reader
	off int64 // offset of the next byte

	inData   bool // inside an entry's data string
	returned bool // a part of that data was returned
	t        time.Duration
	entry    int
	ended    bool
	repaired bool // a repair was listed (once per document, as read whole)
}

// errV1 is a syntax error of a streamed v1 document.
type errV1 struct {
	off   int64
	trunc bool
	msg   string
}

func (e *errV1) Error() string { return e.msg }

func (s *v1Stream) fail(format string, a ...any) error {
	return &errV1{off: s.off, msg: fmt.Sprintf(format, a...)}
}

// byte returns the next byte that is not blank; a cut document is a
// truncation.
func (s *v1Stream) nextByte() (byte, error) {
	for {
		b, err := s.br.ReadByte()
		if err == io.EOF {
			return 0, &errV1{off: s.off, trunc: true, msg: "the document ends early"}
		}
		if err != nil {
			return 0, err
		}
		s.off++
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, nil
	}
}

func (s *v1Stream) unread() {
	s.br.UnreadByte()
	s.off--
}

// stringPart decodes the next part of the string being read onto dst
// (until dst holds limit bytes, or the closing quote).
func (s *v1Stream) stringPart(dst []byte, limit int) (out []byte, closed, repaired bool, err error) {
	for len(dst) < limit {
		more := true
		if s.br.Buffered() < maxEscape {
			if _, perr := s.br.Peek(maxEscape); perr == io.EOF {
				more = false
			} else if perr != nil {
				return dst, false, repaired, perr
			}
		}
		w, _ := s.br.Peek(s.br.Buffered())
		var used int
		var rep bool
		dst, used, closed, rep = decodeStringPart(dst, w, limit, more)
		repaired = repaired || rep
		s.br.Discard(used)
		s.off += int64(used)
		if closed {
			return dst, true, repaired, nil
		}
		if used == 0 && !more {
			return dst, false, repaired, &errV1{off: s.off, trunc: true, msg: "the document ends inside a string"}
		}
	}
	return dst, false, repaired, nil
}

// smallString reads a whole string (after its opening quote) of at most
// max bytes; longer ones are read past and cut.
func (s *v1Stream) smallString(max int) (string, error) {
	var b []byte
	for {
		var closed bool
		var err error
		n := len(b)
		b, closed, _, err = s.stringPart(b, n+max)
		if err != nil {
			return "", err
		}
		if len(b) > max {
			b = b[:max]
		}
		if closed {
			return string(b), nil
		}
	}
}

// value reads a JSON value whose first byte is first, keeping its text
// when it is at most max bytes long (raw is nil otherwise); strings are
// read in parts, so a huge value costs nothing to skip.
func (s *v1Stream) value(first byte, max int) (raw []byte, err error) {
	raw = []byte{first}
	keep := func(b ...byte) {
		if raw != nil {
			if raw = append(raw, b...); len(raw) > max {
				raw = nil
			}
		}
	}
	depth := 0
	b := first
	for {
		switch b {
		case '"':
			var part []byte
			for {
				var closed bool
				part, closed, _, err = s.stringPart(part[:0], 64<<10)
				if err != nil {
					return nil, err
				}
				if raw != nil {
					q, _ := json.Marshal(string(part))
					keep(q[1 : len(q)-1]...)
				}
				if closed {
					keep('"')
					break
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		if depth <= 0 {
			if b == '"' || b == '}' || b == ']' || depth < 0 {
				return raw, nil
			}
			// A number or literal: up to the next delimiter.
			for {
				c, err := s.br.ReadByte()
				if err == io.EOF {
					return raw, nil
				}
				if err != nil {
					return nil, err
				}
				if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
					s.br.UnreadByte()
					return raw, nil
				}
				s.off++
				keep(c)
			}
		}
		if b, err = s.nextByte(); err != nil {
			return nil, err
		}
		keep(b)
	}
}

// header reads the document's members up to its "stdout" array (left at
// its first entry) or its end, and returns the header they make and
// whether there is a "stdout".
func (s *v1Stream) header() (h castHeader, stdout bool, err error) {
	b, err := s.nextByte()
	if err != nil {
		return h, false, err
	}
	if b != '{' {
		return h, false, s.fail("not a JSON object")
	}
	raw := map[string]json.RawMessage{}
	for first := true; ; first = false {
		b, err := s.nextByte()
		if err != nil {
			return h, false, err
		}
		if b == '}' {
			break
		}
		if !first {
			if b != ',' {
				return h, false, s.fail("want , or } between members, got %q", b)
			}
			if b, err = s.nextByte(); err != nil {
				return h, false, err
			}
			if b == '}' { // termrec's trailing comma
				break
			}
		}
		if b != '"' {
			return h, false, s.fail("want a member name, got %q", b)
		}
		key, err := s.smallString(1 << 10)
		if err != nil {
			return h, false, err
		}
		if b, err = s.nextByte(); err != nil || b != ':' {
			if err != nil {
				return h, false, err
			}
			return h, false, s.fail("want : after %q", key)
		}
		if b, err = s.nextByte(); err != nil {
			return h, false, err
		}
		if key == "stdout" {
			if b != '[' {
				return h, false, s.fail(`"stdout" is not an array`)
			}
			stdout = true
			break
		}
		v, err := s.value(b, 1<<20)
		if err != nil {
			return h, false, err
		}
		if v != nil {
			raw[key] = v
		}
	}
	doc, _ := json.Marshal(raw)
	if err := json.Unmarshal(doc, &h); err != nil {
		// A member of an odd type: take the ones that read.
		for k, v := range raw {
			one, _ := json.Marshal(map[string]json.RawMessage{k: v})
			json.Unmarshal(one, &h)
		}
	}
	return h, stdout, nil
}

// startV1Stream reads a v1 document too large to read whole, from src
// (its start, then the rest of the input).
func (c *castReader) startV1Stream(src io.Reader) error {
	s := &v1Stream{br: bufio.NewReaderSize(src, readBufSize)}
	c.version = 1
	h, stdout, err := s.header()
	if err != nil {
		return c.v1StreamErr(err)
	}
	if !stdout && h.Version != 1 {
		return c.formatErr(ProblemDamaged, false, "a multi-line document with version %d (want asciicast v1)", h.Version)
	}
	c.recognised = true
	c.hdr = h.header()
	c.hdr.Format = "asciicast-v1"
	c.clampHeader()
	c.v1s = s
	if !stdout {
		s.ended = true
	}
	return nil
}

func (c *castReader) v1StreamErr(err error) error {
	var e *errV1
	if errors.As(err, &e) {
		return &FormatError{Name: c.name, Format: "asciicast-v1", Offset: e.off, Frame: -1, Truncated: e.trunc,
			Kind: map[bool]string{true: ProblemTruncated, false: ProblemDamaged}[e.trunc], Msg: "invalid asciicast v1 JSON: " + e.msg}
	}
	return fmt.Errorf("read %s: %w", c.name, err)
}

// nextV1Stream returns the next event (or part of one) of a streamed v1
// document.
func (c *castReader) nextV1Stream() (Event, error) {
	s := c.v1s
	for {
		if s.inData {
			data, closed, rep, err := s.stringPart(c.data[:0], c.maxData)
			c.data = data
			if rep && !s.repaired {
				s.repaired = true
				c.problem(ProblemRepaired, 0, "stdout entry %d: invalid JSON escape read as a literal backslash", s.entry-1)
			}
			if err != nil {
				c.err = c.v1StreamErr(err)
				if len(data) > 0 && s.returned {
					return Event{Time: s.t, Kind: Output, Data: data}, nil
				}
				return Event{}, c.err
			}
			if !closed {
				s.returned = true
				return Event{Time: s.t, Kind: Output, Data: data}, nil
			}
			s.inData = false
			if err := s.endEntry(c); err != nil {
				c.err = c.v1StreamErr(err)
			}
			if len(data) > 0 || !s.returned {
				return Event{Time: s.t, Kind: Output, Data: data}, nil
			}
			if c.err != nil {
				return Event{}, c.err
			}
			continue
		}
		if s.ended {
			c.err = io.EOF
			return Event{}, io.EOF
		}
		if err := s.startEntry(c); err != nil {
			c.err = c.v1StreamErr(err)
			return Event{}, c.err
		}
	}
}

// startEntry reads up to the data of the next stdout entry, skipping
// (and listing) entries that are not [delay, "data"], or finds the end.
func (s *v1Stream) startEntry(c *castReader) error {
	for {
		b, err := s.nextByte()
		if err != nil {
			return err
		}
		if s.entry > 0 {
			if b == ']' {
				s.ended = true
				return nil
			}
			if b != ',' {
				return s.fail("want , or ] after stdout entry %d, got %q", s.entry-1, b)
			}
			if b, err = s.nextByte(); err != nil {
				return err
			}
		}
		if b == ']' {
			s.ended = true // empty, or termrec's trailing comma
			return nil
		}
		s.entry++
		if b != '[' {
			if _, err := s.value(b, 0); err != nil {
				return err
			}
			c.problem(ProblemBadLine, 0, "stdout entry %d is not [delay, data], skipped", s.entry-1)
			continue
		}
		if b, err = s.nextByte(); err != nil {
			return err
		}
		num, err := s.value(b, 64)
		if err != nil {
			return err
		}
		secs, perr := strconv.ParseFloat(string(num), 64)
		if b, err = s.nextByte(); err != nil {
			return err
		}
		if perr == nil && !math.IsNaN(secs) && !math.IsInf(secs, 0) && b == ',' {
			if b, err = s.nextByte(); err != nil {
				return err
			}
			if b == '"' {
				s.t += secondsToDuration(secs) // v1 stores delays
				s.inData, s.returned = true, false
				return nil
			}
		}
		// Not [delay, "data"]: skip to the entry's end.
		if b != ']' {
			s.unread()
			if _, err := s.value('[', 0); err != nil {
				return err
			}
		}
		c.problem(ProblemBadLine, 0, "stdout entry %d is not [delay, data], skipped", s.entry-1)
	}
}

// endEntry reads the ] that ends an entry after its data.
func (s *v1Stream) endEntry(c *castReader) error {
	b, err := s.nextByte()
	if err != nil {
		return err
	}
	if b != ']' {
		// More elements: read past them.
		s.unread()
		if _, err := s.value('[', 0); err != nil {
			return err
		}
		c.problem(ProblemBadLine, 0, "stdout entry %d has more than [delay, data]; read its data", s.entry-1)
	}
	return nil
}

// v1Prefix reads up to v1WholeMax bytes of a v1 document after what was
// read already (head); whole says whether the document's end came.
func v1Prefix(head []byte, br *bufio.Reader) (doc []byte, whole bool, err error) {
	var buf bytes.Buffer
	buf.Write(head)
	n, err := io.Copy(&buf, io.LimitReader(br, int64(v1WholeMax-len(head)+1)))
	if err != nil {
		return nil, false, err
	}
	return buf.Bytes(), int(n) <= v1WholeMax-len(head), nil
}
