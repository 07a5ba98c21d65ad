package web

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/player"
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

// Load opens the recording at path with the player (the same reading,
// repair and emulator `runbook render` uses) and turns it into a Movie with
// steps and markers from its index. A recording damaged part way gives the
// movie up to the damage together with the error; problems that were read
// past come back as warnings.
func Load(ctx context.Context, path string, opt LoadOptions) (m *Movie, warnings []string, err error) {
	rec, err := player.OpenWith(ctx, path, player.Options{Format: opt.Format})
	if err != nil {
		return nil, nil, err
	}
	defer rec.Close()
	ix := opt.Index
	if ix == nil {
		ix = rec.Index
	}
	frames := NewFrames(rec.Cols, rec.Rows)
	tl := rec.Timeline()
	frames.Capture(0, tl.Screen())
	var text player.LineCollector
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		ev, err := tl.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read recording %s: %w", path, err)
		}
		if ev.Kind != recording.Output && ev.Kind != recording.Resize {
			continue
		}
		if ev.Kind == recording.Output {
			text.Add(ev.Time, ev.Data)
		}
		// Events at the same moment show together: read the screen once.
		if next, ok := tl.NextTime(); ok && next == ev.Time {
			continue
		}
		frames.Capture(ev.Time.Seconds(), tl.Screen())
	}
	for _, p := range rec.Problems {
		warnings = append(warnings, p.Error())
	}
	if rec.ProblemCount > len(rec.Problems) {
		warnings = append(warnings, fmt.Sprintf("%d more problems", rec.ProblemCount-len(rec.Problems)))
	}
	c, r := frames.Size()
	m = &Movie{Cols: c, Rows: r, Duration: rec.Duration.Seconds(), Frames: frames.List(), Title: rec.Header.Title}
	if !rec.Header.StartedAt.IsZero() {
		m.StartedAt = rec.Header.StartedAt.UTC().Format(time.RFC3339)
	}
	for _, l := range text.Lines() {
		m.Text = append(m.Text, TextLine{At: l.At.Seconds(), Text: l.Text})
	}
	if text.Truncated() {
		warnings = append(warnings, fmt.Sprintf("the page's search holds the first %d lines the recording printed, not the rest", len(m.Text)))
	}
	for _, mk := range rec.Markers {
		m.Markers = append(m.Markers, Marker{At: mk.At.Seconds(), Label: mk.Label})
	}
	if ix != nil {
		fillFromIndex(m, ix)
	}
	if opt.IdleLimit > 0 {
		m.LimitIdle(opt.IdleLimit.Seconds())
	}
	if opt.Title != "" {
		m.Title = opt.Title
	}
	if m.Title == "" {
		m.Title = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return m, warnings, rec.Damage
}

// fillFromIndex adds the index's steps, host, start time and title.
func fillFromIndex(m *Movie, ix *recording.Index) {
	if ix.Runbook != nil && ix.Runbook.Name != "" {
		m.Title = ix.Runbook.Name
	}
	m.Host = ix.Host
	if !ix.StartedAt.IsZero() {
		m.StartedAt = ix.StartedAt.UTC().Format(time.RFC3339)
	}
	for _, s := range ix.Steps {
		st := Step{N: s.N, Name: s.Name, Status: s.Status, Start: float64(s.Start), End: float64(s.End), Narration: s.Comments}
		for _, c := range s.Commands {
			if c.Skipped {
				continue
			}
			st.Commands = append(st.Commands, Command{Text: c.Text, Start: float64(c.Start), End: float64(c.End), Exit: c.Exit})
		}
		m.Steps = append(m.Steps, st)
	}
}

// LimitIdle shortens every stretch longer than limit seconds in which the
// screen does not change to limit; steps and markers move with the time
// around them (a time inside a shortened stretch lands at its end).
func (m *Movie) LimitIdle(limit float64) {
	type cut struct{ from, to, removed float64 } // on the old timeline; removed: total up to to
	var cuts []cut
	var removed float64
	for i := 1; i < len(m.Frames); i++ {
		if gap := m.Frames[i].At - m.Frames[i-1].At; gap > limit {
			removed += gap - limit
			cuts = append(cuts, cut{from: m.Frames[i-1].At + limit, to: m.Frames[i].At, removed: removed})
		}
	}
	if end := len(m.Frames) - 1; end >= 0 && m.Duration-m.Frames[end].At > limit {
		removed += m.Duration - m.Frames[end].At - limit
		cuts = append(cuts, cut{from: m.Frames[end].At + limit, to: m.Duration, removed: removed})
	}
	if len(cuts) == 0 {
		return
	}
	at := func(t float64) float64 {
		var before float64
		for _, c := range cuts {
			if t < c.from {
				break
			}
			if t < c.to {
				return c.to - c.removed
			}
			before = c.removed
		}
		return t - before
	}
	for i := range m.Frames {
		m.Frames[i].At = at(m.Frames[i].At)
	}
	for i := range m.Steps {
		s := &m.Steps[i]
		s.Start, s.End = at(s.Start), at(s.End)
		for j := range s.Commands {
			s.Commands[j].Start, s.Commands[j].End = at(s.Commands[j].Start), at(s.Commands[j].End)
		}
	}
	for i := range m.Markers {
		m.Markers[i].At = at(m.Markers[i].At)
	}
	for i := range m.Text {
		m.Text[i].At = at(m.Text[i].At)
	}
	m.Duration = at(m.Duration)
}
