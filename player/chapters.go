package player

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Chapter is a stretch of a recording to jump to: a runbook step from the
// index, or, for recordings without one, a marker.
type Chapter struct {
	N          int // step number, or 1-based marker position
	Name       string
	Start, End time.Duration
	Status     string // step status; "" for markers
	FromMarker bool
}

// Chapters returns the index's steps, or the markers when the index has
// none.
func (r *Recording) Chapters() []Chapter {
	var out []Chapter
	if r.Index != nil && len(r.Index.Steps) > 0 {
		for _, s := range r.Index.Steps {
			out = append(out, Chapter{N: s.N, Name: s.Name, Start: s.Start.Duration(),
				End: s.End.Duration(), Status: s.Status})
		}
		return out
	}
	for i, m := range r.Markers {
		end := r.Duration
		if i+1 < len(r.Markers) {
			end = r.Markers[i+1].At
		}
		out = append(out, Chapter{N: i + 1, Name: m.Label, Start: m.At, End: end, FromMarker: true})
	}
	return out
}

// Chapter finds a chapter by number or name.
func (r *Recording) Chapter(ref string) (Chapter, error) {
	chs := r.Chapters()
	if len(chs) == 0 {
		return Chapter{}, fmt.Errorf("%s has no steps or markers (no index beside it?)", r.Path)
	}
	if n, err := strconv.Atoi(ref); err == nil {
		for _, c := range chs {
			if c.N == n {
				return c, nil
			}
		}
		return Chapter{}, fmt.Errorf("%s: no step %d (steps %d to %d)", r.Path, n, chs[0].N, chs[len(chs)-1].N)
	}
	for _, c := range chs {
		if c.Name == ref {
			return c, nil
		}
	}
	// Without regard to case, when that picks one step.
	var found []Chapter
	for _, c := range chs {
		if strings.EqualFold(strings.TrimSpace(c.Name), strings.TrimSpace(ref)) {
			found = append(found, c)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	var names []string
	for _, c := range chs {
		names = append(names, fmt.Sprintf("%d %q", c.N, c.Name))
	}
	return Chapter{}, fmt.Errorf("%s: no step named %q (have: %s)", r.Path, ref, strings.Join(names, ", "))
}

// ParseWhen reads a moment given as a time with a unit ("90s", "1m30s",
// "500ms") or as a step number or name.
func (r *Recording) ParseWhen(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("time %q is negative", s)
		}
		return d, nil
	}
	c, err := r.Chapter(s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither a time with a unit (90s, 1m30s) nor a step: %w", s, err)
	}
	return c.Start, nil
}

// ChapterAt returns the position of the chapter playing at t (-1 before
// the first).
func ChapterAt(chs []Chapter, t time.Duration) int {
	at := -1
	for i, c := range chs {
		if c.Start <= t {
			at = i
		}
	}
	return at
}
