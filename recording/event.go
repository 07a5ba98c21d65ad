package recording

import (
	"fmt"
	"time"
)

// EventKind says what an event carries.
type EventKind byte

// Event kinds (asciicast's codes; ttyrec and nh only have output).
const (
	Output EventKind = 'o' // bytes the terminal showed
	Input  EventKind = 'i' // bytes typed
	Mark   EventKind = 'm' // a marker; Data is its label
	Resize EventKind = 'r' // Data is "COLSxROWS"
	Exit   EventKind = 'x' // Data is the exit status (asciicast v3)
)

// Event is one thing that happened in a recording.
type Event struct {
	// Time is since the recording's start, as stored (not repaired: it may
	// go backwards; see Retime).
	Time time.Duration
	Kind EventKind
	// Data is only valid until the next call to Next: readers reuse their
	// buffers. Copy it to keep it.
	Data []byte
}

// Header describes a recording as a whole.
type Header struct {
	// Format is "ttyrec", "nh", "asciicast-v1", "asciicast-v2" or
	// "asciicast-v3".
	Format string
	// Cols and Rows are 0 when unknown (ttyrec: taken from the size
	// announcement in the first frame, when there is one).
	Cols, Rows int
	// StartedAt is zero when unknown.
	StartedAt time.Time
	// IdleLimit is the limit the recording asks players to apply (asciicast
	// idle_time_limit); 0: none.
	IdleLimit time.Duration
	Title     string
	// Command is the command that was recorded (asciicast), if known.
	Command string
}

// EventReader reads any recording format as a stream of events.
type EventReader interface {
	Header() Header
	// Next returns the next event: io.EOF at the clean end, a *FormatError
	// (with Offset or Line, and Truncated) on damage, after every whole
	// event before it was returned.
	Next() (Event, error)
	Close() error
}

// ParseResize reads a resize event's "COLSxROWS".
func ParseResize(data []byte) (cols, rows int, err error) {
	if _, err := fmt.Sscanf(string(data), "%dx%d", &cols, &rows); err != nil || cols <= 0 || rows <= 0 {
		return 0, 0, fmt.Errorf("bad resize %q: want COLSxROWS", data)
	}
	return cols, rows, nil
}
