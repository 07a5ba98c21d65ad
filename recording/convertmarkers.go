package recording

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
)

// withIndexMarkers returns rt with the index's steps (and its markers) as
// marker events, for an asciicast written from a ttyrec or nh recording,
// which keep them only in the index beside them. The retimer maps their
// times exactly as the index's (Retimer.Track), so an idle limit, cuts and
// speed move them with the output around them, and they never split a gap
// the idle limit shortens. Asciicast inputs carry their own markers and
// are left alone. Call it before reading rt.
func withIndexMarkers(rt *Retimer, ix *Index, inFmt string) EventReader {
	if ix == nil || (inFmt != "ttyrec" && inFmt != "nh") {
		return rt
	}
	var marks []pendingMark
	for _, s := range ix.Steps {
		marks = append(marks, pendingMark{orig: s.Start, at: s.Start, label: fmt.Sprintf("%d. %s", s.N, s.Name)})
	}
	for _, m := range ix.Markers {
		marks = append(marks, pendingMark{orig: m.At, at: m.At, label: m.Label})
	}
	if len(marks) == 0 {
		return rt
	}
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].orig < marks[j].orig })
	for i := range marks {
		rt.Track(&marks[i].at)
	}
	return &markerMerger{rt: rt, marks: marks}
}

type pendingMark struct {
	orig, at Seconds // input time; output time once reached
	label    string
}

// markerMerger interleaves marker events with the retimed events in time
// order; a marker at the same time as an event comes first.
type markerMerger struct {
	rt      *Retimer
	marks   []pendingMark
	next    Event
	nextErr error
	held    bool
	last    time.Duration
}

func (m *markerMerger) Header() Header { return m.rt.Header() }
func (m *markerMerger) Close() error   { return m.rt.Close() }

// Problems passes on the problems the wrapped reader read past.
func (m *markerMerger) Problems() ([]*FormatError, int) { return Problems(m.rt) }

func (m *markerMerger) Next() (Event, error) {
	if !m.held {
		m.next, m.nextErr = m.rt.Next()
		m.held = true
	}
	// A marker the events have reached is mapped, and lies at or before
	// the held event. At the end of a whole file the markers left still
	// come; after damage they are dropped with the rest.
	if len(m.marks) > 0 && m.rt.Reached(m.marks[0].orig) && (m.nextErr == nil || errors.Is(m.nextErr, io.EOF)) {
		mk := m.marks[0]
		m.marks = m.marks[1:]
		t := max(mk.at.Duration().Round(time.Microsecond), m.last)
		m.last = t
		return Event{Time: t, Kind: Mark, Data: []byte(mk.label)}, nil
	}
	m.held = false
	if m.nextErr == nil {
		m.last = max(m.last, m.next.Time)
	}
	return m.next, m.nextErr
}
