package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// withIndexMarkers returns r with the index's steps (and its markers) as
// marker events, for an asciicast written from a ttyrec or nh recording,
// which keep them only in the index beside them. The markers go in before
// the retiming, so an idle limit, cuts and speed move them with the output
// around them. Asciicast inputs carry their own markers and are left alone.
func withIndexMarkers(r recording.EventReader, in, outFmt string) (recording.EventReader, error) {
	switch strings.ToLower(outFmt) {
	case "asciicast", "asciicast-v2", "asciicast-v3", "cast", "cast-v2", "cast-v3", "v2", "v3":
	default:
		return r, nil
	}
	if in == "-" {
		return r, nil
	}
	if f := r.Header().Format; f != "ttyrec" && f != "nh" {
		return r, nil
	}
	ix, err := recording.ReadIndex(recording.IndexPath(in))
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	var marks []recording.Event
	for _, s := range ix.Steps {
		marks = append(marks, recording.Event{Time: s.Start.Duration(), Kind: recording.Mark,
			Data: []byte(fmt.Sprintf("%d. %s", s.N, s.Name))})
	}
	for _, m := range ix.Markers {
		marks = append(marks, recording.Event{Time: m.At.Duration(), Kind: recording.Mark, Data: []byte(m.Label)})
	}
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].Time < marks[j].Time })
	if len(marks) == 0 {
		return r, nil
	}
	return &markerMerger{r: r, marks: marks}, nil
}

// markerMerger interleaves marker events with a recording's events in time
// order; a marker at the same time as an event comes first.
type markerMerger struct {
	r       recording.EventReader
	marks   []recording.Event
	next    recording.Event
	nextErr error
	held    bool
	last    time.Duration
}

func (m *markerMerger) Header() recording.Header { return m.r.Header() }
func (m *markerMerger) Close() error             { return m.r.Close() }

// Problems passes on the problems the wrapped reader read past.
func (m *markerMerger) Problems() ([]*recording.FormatError, int) { return recording.Problems(m.r) }

func (m *markerMerger) Next() (recording.Event, error) {
	if !m.held {
		m.next, m.nextErr = m.r.Next()
		m.held = true
	}
	if len(m.marks) > 0 && (m.nextErr != nil || m.marks[0].Time <= m.next.Time) {
		// At the end of a whole file the markers left still come; after
		// damage they are dropped with the rest.
		if m.nextErr == nil || errors.Is(m.nextErr, io.EOF) {
			mk := m.marks[0]
			m.marks = m.marks[1:]
			mk.Time = max(mk.Time, m.last)
			return mk, nil
		}
	}
	m.held = false
	if m.nextErr == nil {
		m.last = m.next.Time
	}
	return m.next, m.nextErr
}
