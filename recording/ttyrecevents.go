package recording

import (
	"bytes"
	"io"
	"strconv"
	"time"
)

// ttyrecEvents reads a ttyrec file as output events: a frame longer than
// MaxEventData as several events.
type ttyrecEvents struct {
	r      *Reader
	closer io.Closer
	hdr    Header
	first  time.Duration // stamp of the first frame, since the epoch
	next   *Frame        // first frame, read ahead for the header
	err    error         // error met while reading ahead
	// clamped is the size announcement's problem, when it was beyond
	// MaxCols×MaxRows.
	clamped *FormatError
}

func newTtyrecEvents(src io.Reader, name string, closer io.Closer) *ttyrecEvents {
	e := &ttyrecEvents{r: NewReader(src, name), closer: closer, hdr: Header{Format: "ttyrec"}}
	f, _, err := e.r.NextPart(MaxEventData)
	if err != nil {
		e.err = err
		return e
	}
	e.first = f.Time()
	if f.Sec != 0 || f.Usec != 0 {
		e.hdr.StartedAt = time.Unix(int64(f.Sec), int64(f.Usec)*1000).UTC()
	}
	if cols, rows, n := parseSizeAnnouncement(f.Data); n > 0 {
		e.hdr.Cols, e.hdr.Rows = cols, rows
		if c, r, clamped := ClampSize(cols, rows); clamped {
			e.clamped = &FormatError{Name: name, Format: "ttyrec", Offset: 12, Frame: 0, Kind: ProblemClamped,
				Msg: clampedMsg("size announcement", cols, rows)}
			e.hdr.Cols, e.hdr.Rows = c, r
		}
		// The announcement is termrec's (or ours), not the program's
		// output: it goes into the header, and writers add it back.
		f.Data = f.Data[n:]
	}
	e.next = &f
	return e
}

func (e *ttyrecEvents) Header() Header { return e.hdr }

func (e *ttyrecEvents) Problems() ([]*FormatError, int) {
	list, n := e.r.Problems()
	if e.clamped != nil {
		list = append([]*FormatError{e.clamped}, list...)
		n++
	}
	return list, n
}

func (e *ttyrecEvents) Next() (Event, error) {
	for {
		var f Frame
		if e.next != nil {
			f, e.next = *e.next, nil
		} else if e.err != nil {
			return Event{}, e.err
		} else {
			var err error
			if f, _, err = e.r.NextPart(MaxEventData); err != nil {
				return Event{}, err
			}
		}
		if len(f.Data) == 0 {
			continue // zero-length frames carry nothing to show
		}
		return Event{Time: f.Time() - e.first, Kind: Output, Data: f.Data}, nil
	}
}

func (e *ttyrecEvents) Close() error {
	if e.closer != nil {
		return e.closer.Close()
	}
	return nil
}

// parseSizeAnnouncement recognises a leading ESC [ 8 ; ROWS ; COLS t,
// optionally preceded by ESC % G, and returns the size and its length.
func parseSizeAnnouncement(b []byte) (cols, rows, n int) {
	i := 0
	if bytes.HasPrefix(b, []byte("\x1b%G")) {
		i = 3
	}
	if !bytes.HasPrefix(b[i:], []byte("\x1b[8;")) {
		return 0, 0, 0
	}
	i += 4
	num := func() (int, bool) {
		j := i
		for j < len(b) && j-i < 6 && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i {
			return 0, false
		}
		v, _ := strconv.Atoi(string(b[i:j]))
		i = j
		return v, true
	}
	r, ok := num()
	if !ok || i >= len(b) || b[i] != ';' {
		return 0, 0, 0
	}
	i++
	c, ok := num()
	if !ok || i >= len(b) || b[i] != 't' || r == 0 || c == 0 {
		return 0, 0, 0
	}
	return c, r, i + 1
}
