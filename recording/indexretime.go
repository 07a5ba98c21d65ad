package recording

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"
)

// follower carries times that lie between events (an index's steps,
// commands, markers, pauses) through a Retimer's mapping as the events
// pass, so the times and the frames cannot disagree. It holds only the
// times, never the events: constant memory whatever the recording's size.
type follower struct {
	refs   []timeRef
	sorted bool
	next   int  // refs before it are mapped
	ended  bool // the reader has ended: every ref is mapped
}

type timeRef struct {
	at time.Duration // on the input's timeline
	p  *Seconds
}

// Track makes the retimer rewrite *p, a time on the input's timeline, to
// the same time on the output's, by the mapping the events get. Call it
// before the first Next. A tracked time is rewritten once the events
// reach it (Reached), and at the latest when Next returns an error or
// io.EOF. Times are taken on the repaired timeline (stamps going
// backwards take no time), which is the stored one for any recording
// whose stamps never go backwards, as every recording runbook makes.
func (t *Retimer) Track(ps ...*Seconds) {
	for _, p := range ps {
		t.follow.refs = append(t.follow.refs, timeRef{at: p.micros(), p: p})
	}
	t.follow.sorted = false
}

// Reached reports whether the events read so far have reached input time
// at, that is whether a time tracked at it has been rewritten.
func (t *Retimer) Reached(at Seconds) bool {
	return t.follow.ended || (!t.first && at.micros() <= t.pos)
}

// micros is s to the nearest microsecond, the resolution of ttyrec and of
// the index (a float such as 0.57965 is 579649999.99 ns: truncating would
// put it before the frame it names).
func (s Seconds) micros() time.Duration {
	return time.Duration(math.Round(float64(s)*1e6)) * time.Microsecond
}

func (f *follower) sort() {
	if !f.sorted {
		rest := f.refs[f.next:]
		sort.SliceStable(rest, func(i, j int) bool { return rest[i].at < rest[j].at })
		f.sorted = true
	}
}

// upTo maps the refs at or before pos, the position of the event being
// read, whose gap is gap.
func (f *follower) upTo(t *Retimer, pos, gap time.Duration) {
	if f.next == len(f.refs) {
		return
	}
	f.sort()
	for f.next < len(f.refs) && f.refs[f.next].at <= pos {
		r := f.refs[f.next]
		*r.p = outSeconds(t.mapBetween(r.at, gap, false))
		f.next++
	}
}

// finish maps every ref left: they lie after the last event.
func (f *follower) finish(t *Retimer) {
	if f.ended {
		return
	}
	f.sort()
	for ; f.next < len(f.refs); f.next++ {
		r := f.refs[f.next]
		*r.p = outSeconds(t.mapBetween(r.at, 0, true))
	}
	f.ended = true
}

// outSeconds converts an output time the way the ttyrec writer stamps
// frames (truncated to the microsecond), so a time equal to a frame's
// stays equal to it.
func outSeconds(d time.Duration) Seconds { return SecondsOf(d.Truncate(time.Microsecond)) }

// IndexRetime is an index being carried through a Retimer (RetimeIndex).
type IndexRetime struct {
	rt    *Retimer
	ix    *Index
	notes []string
	cuts  []cutPause
}

type cutPause struct {
	at   Seconds // the cut's start, mapped
	from time.Duration
	to   time.Duration
}

// RetimeIndex makes the retimer carry a copy of ix along: every time in it
// (steps' and commands' start and end, markers, pauses, stopped) is mapped
// exactly as the events around it. Call it before the first Next, and
// Index once Next has returned io.EOF (or an error). ix itself is left
// as it was.
func (t *Retimer) RetimeIndex(ix *Index) (*IndexRetime, error) {
	cp, err := copyIndex(ix)
	if err != nil {
		return nil, err
	}
	r := &IndexRetime{rt: t, ix: cp}
	track := func(p *Seconds, what string) {
		r.noteInCut(*p, what)
		t.Track(p)
	}
	for i := range cp.Pauses {
		track(&cp.Pauses[i].At, fmt.Sprintf("pause (%s)", cp.Pauses[i].Reason))
	}
	for i := range cp.Markers {
		track(&cp.Markers[i].At, fmt.Sprintf("marker %q", cp.Markers[i].Label))
	}
	for i := range cp.Steps {
		s := &cp.Steps[i]
		track(&s.Start, fmt.Sprintf("step %d %q start", s.N, s.Name))
		track(&s.End, fmt.Sprintf("step %d %q end", s.N, s.Name))
		for j := range s.Commands {
			c := &s.Commands[j]
			track(&c.Start, fmt.Sprintf("step %d command `%s` start", s.N, c.Text))
			track(&c.End, fmt.Sprintf("step %d command `%s` end", s.N, c.Text))
		}
	}
	if cp.Stopped != nil {
		track(&cp.Stopped.At, "stopped")
	}
	for _, c := range t.opt.Cuts {
		r.cuts = append(r.cuts, cutPause{at: SecondsOf(c.From), from: c.From, to: c.To})
	}
	for i := range r.cuts {
		t.Track(&r.cuts[i].at)
	}
	return r, nil
}

// noteInCut says when a time falls strictly inside a --cut: it is kept,
// moved to the cut's start, where the cut's output now shows.
func (r *IndexRetime) noteInCut(at Seconds, what string) {
	d := at.micros()
	for _, c := range r.rt.opt.Cuts {
		if c.From < d && d < c.To {
			r.notes = append(r.notes, fmt.Sprintf("%s at %.3fs lies inside the cut %s-%s: moved to the cut's start",
				what, float64(at), c.From, c.To))
			return
		}
	}
}

// Index returns the retimed index: times mapped, the idle limit's cuts
// added to the pauses (reason "idle", merged with an idle pause already
// at the same place), each cut made by RetimeOptions.Cuts added as a
// pause with reason "cut", the idle limit set to the one now applied, and
// notes on the times that fell inside a cut. Call it after Next has
// returned io.EOF or an error.
func (r *IndexRetime) Index() (*Index, []string) {
	t := r.rt
	t.follow.finish(t)
	ix := r.ix
	limit := t.opt.IdleLimit
	if limit <= 0 {
		limit = ix.IdleLimit.Duration()
	}
	ix.IdleLimit = SecondsOf(t.scale(limit))

	pauses := append([]Pause(nil), ix.Pauses...)
	for _, c := range r.cuts {
		// Only what the recording had of the cut was cut.
		if end := min(c.to, t.pos); end > c.from {
			pauses = append(pauses, Pause{At: c.at, Cut: SecondsOf(end - c.from), Reason: "cut"})
		}
	}
	sort.SliceStable(pauses, func(i, j int) bool { return pauses[i].At < pauses[j].At })
	for _, c := range t.Cuts() {
		pauses = addIdlePause(pauses, c)
	}
	ix.Pauses = pauses
	return ix, r.notes
}

// addIdlePause inserts p in time order, merged into an idle pause already
// at the same place (a gap the recorder shortened, shortened again).
func addIdlePause(ps []Pause, p Pause) []Pause {
	i := sort.Search(len(ps), func(i int) bool { return ps[i].At > p.At })
	for j := i - 1; j >= 0 && ps[j].At == p.At; j-- {
		if ps[j].Reason == p.Reason {
			ps[j].Cut += p.Cut
			return ps
		}
	}
	ps = append(ps, Pause{})
	copy(ps[i+1:], ps[i:])
	ps[i] = p
	return ps
}

// copyIndex copies ix deeply (through its JSON form, which is all an index
// is), so retiming and redacting the copy leave ix alone.
func copyIndex(ix *Index) (*Index, error) {
	b, err := json.Marshal(ix)
	if err != nil {
		return nil, fmt.Errorf("copy index: %w", err)
	}
	var cp Index
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("copy index: %w", err)
	}
	return &cp, nil
}
