package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// LoadOptions say how to read a recording for publishing.
type LoadOptions struct {
	// Format is the recording's format ("" picks it from the name or the
	// content), as recording.Open takes it.
	Format string
	// Index is the recording's index; nil reads NAME.json beside it when
	// there is one.
	Index *recording.Index
	// IdleLimit, when > 0, shortens every longer pause to it; steps and
	// markers move with the time around them.
	IdleLimit time.Duration
	// Title overrides the page's title (default: the runbook's name or the
	// recording's own title or file name).
	Title string
}

// Load reads the recording at path through the player's emulator into a
// Movie, with steps and markers from its index. A recording damaged part
// way returns the movie up to the damage together with the error; problems
// that were read past are returned in warnings.
func Load(ctx context.Context, path string, opt LoadOptions) (m *Movie, warnings []string, err error) {
	ix := opt.Index
	if ix == nil {
		ix, err = recording.ReadIndex(recording.IndexPath(path))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
	}
	r, err := recording.Open(path, opt.Format)
	if err != nil {
		return nil, nil, fmt.Errorf("open recording %s: %w", path, err)
	}
	defer r.Close()
	rt := recording.Retime(r, recording.RetimeOptions{IdleLimit: opt.IdleLimit})
	h := rt.Header()
	cols, rows := h.Cols, h.Rows
	if ix != nil && ix.Term.Cols > 0 && ix.Term.Rows > 0 {
		cols, rows = ix.Term.Cols, ix.Term.Rows
	}
	if cols <= 0 || rows <= 0 {
		cols, rows = 80, 24 // what players assume for a recording that says nothing
	}
	frames := NewFrames(cols, rows)
	var last float64
	var readErr error
	var markers []Marker
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		ev, err := rt.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *recording.FormatError
			if errors.As(err, &fe) && !fe.Fatal() {
				continue
			}
			readErr = err
			break
		}
		at := ev.Time.Seconds()
		last = max(last, at)
		switch ev.Kind {
		case recording.Output:
			frames.Output(at, ev.Data)
		case recording.Resize:
			if c, r, err := recording.ParseResize(ev.Data); err == nil {
				frames.Resize(at, c, r)
			}
		case recording.Mark:
			markers = append(markers, Marker{At: at, Label: string(ev.Data)})
		}
	}
	problems, total := recording.Problems(rt)
	for _, p := range problems {
		warnings = append(warnings, p.Error())
	}
	if total > len(problems) {
		warnings = append(warnings, fmt.Sprintf("%d more problems", total-len(problems)))
	}
	c, rr := frames.Size()
	m = &Movie{Cols: c, Rows: rr, Duration: last, Frames: frames.List(), Markers: markers}
	if !h.StartedAt.IsZero() {
		m.StartedAt = h.StartedAt.UTC().Format(time.RFC3339)
	}
	m.Title = h.Title
	if ix != nil {
		shift := newTimeMap(rt.Cuts())
		fillFromIndex(m, ix, shift)
	}
	if opt.Title != "" {
		m.Title = opt.Title
	}
	if m.Title == "" {
		m.Title = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return m, warnings, readErr
}

// fillFromIndex adds the index's steps, markers, host and start time.
func fillFromIndex(m *Movie, ix *recording.Index, at timeMap) {
	if ix.Runbook != nil && ix.Runbook.Name != "" {
		m.Title = ix.Runbook.Name
	}
	m.Host = ix.Host
	if !ix.StartedAt.IsZero() {
		m.StartedAt = ix.StartedAt.UTC().Format(time.RFC3339)
	}
	for _, s := range ix.Steps {
		st := Step{N: s.N, Name: s.Name, Status: s.Status, Start: at.of(s.Start), End: at.of(s.End), Narration: s.Comments}
		for _, c := range s.Commands {
			if c.Skipped {
				continue
			}
			st.Commands = append(st.Commands, Command{Text: c.Text, Start: at.of(c.Start), End: at.of(c.End), Exit: c.Exit})
		}
		m.Steps = append(m.Steps, st)
	}
	// The recording's own marks (asciicast "m" events) are already in;
	// a ttyrec keeps its markers in the index.
	if len(m.Markers) == 0 {
		for _, mk := range ix.Markers {
			m.Markers = append(m.Markers, Marker{At: at.of(mk.At), Label: mk.Label})
		}
	}
}

// timeMap moves times of the recording's timeline onto the published one,
// where pauses longer than the idle limit were shortened.
type timeMap struct {
	// cuts are at their place on the published timeline.
	cuts []recording.Pause
}

func newTimeMap(cuts []recording.Pause) timeMap { return timeMap{cuts: cuts} }

// of maps t (seconds on the recording's timeline). A shortened pause
// keeps its first part; a time in the part cut out lands at its end.
func (m timeMap) of(t recording.Seconds) float64 {
	x := float64(t)
	var removed float64
	for _, c := range m.cuts {
		end := float64(c.At) // where the shortened pause ends, published
		if x >= end+removed+float64(c.Cut) {
			removed += float64(c.Cut)
			continue
		}
		return min(x-removed, end)
	}
	return x - removed
}
