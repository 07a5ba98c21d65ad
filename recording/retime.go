package recording

import (
	"fmt"
	"sort"
	"time"
)

// Span is a stretch of a recording's timeline, [From, To).
type Span struct{ From, To time.Duration }

// RetimeOptions say how to repair and reshape a recording's timeline.
type RetimeOptions struct {
	// IdleLimit, when > 0, shortens every longer gap to the limit.
	IdleLimit time.Duration
	// Speed, when > 0 and not 1, divides every time (2: twice as fast).
	Speed float64
	// Cuts remove stretches of time, given on the input's timeline (after
	// backwards stamps are repaired, before the idle limit and speed).
	// Events inside a cut keep their bytes and show at the cut's start, so
	// the screen after the cut is what it was: nothing is lost but time.
	Cuts []Span
}

// Retimer is an EventReader that repairs and reshapes the times of another
// one. It always repairs stamps that go backwards the way ttyplay plays
// them: the backwards step takes no time, and the next gap is measured
// from the backwards stamp.
type Retimer struct {
	r     EventReader
	opt   RetimeOptions
	first bool
	prevT time.Duration // previous raw time
	pos   time.Duration // repaired timeline (backwards fixed)
	prevC time.Duration // previous position after cuts
	out   time.Duration // output position before speed
	cuts  []Pause
	// follow holds times between events (an index's) that the same
	// mapping carries along: indexretime.go.
	follow follower
}

// Retime wraps r. The header's idle limit becomes opt.IdleLimit when set.
func Retime(r EventReader, opt RetimeOptions) *Retimer {
	cuts := append([]Span(nil), opt.Cuts...)
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].From < cuts[j].From })
	opt.Cuts = cuts
	return &Retimer{r: r, opt: opt, first: true}
}

// ParseSpan reads "FROM-TO" with times as Go durations or seconds
// ("1m30s-2m", "90-120", "1.5-3s").
func ParseSpan(s string) (Span, error) {
	for i := 1; i < len(s); i++ {
		if s[i] != '-' {
			continue
		}
		from, err1 := ParseTime(s[:i])
		to, err2 := ParseTime(s[i+1:])
		if err1 == nil && err2 == nil {
			if to <= from {
				return Span{}, fmt.Errorf("cut %q: end must come after start", s)
			}
			return Span{from, to}, nil
		}
	}
	return Span{}, fmt.Errorf("cut %q: want FROM-TO, e.g. 1m30s-2m or 90-120", s)
}

// ParseTime reads a time as a Go duration ("1m30s", "500ms") or as plain
// seconds ("90", "1.5").
func ParseTime(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("negative time %q", s)
		}
		return d, nil
	}
	var f float64
	var rest string
	if n, _ := fmt.Sscanf(s, "%g%s", &f, &rest); n == 1 && f >= 0 {
		return secondsToDuration(f), nil
	}
	return 0, fmt.Errorf("bad time %q: want e.g. 2s, 1m30s or 90", s)
}

func (t *Retimer) Header() Header {
	h := t.r.Header()
	if t.opt.IdleLimit > 0 {
		h.IdleLimit = t.opt.IdleLimit
	}
	if t.opt.Speed > 0 && t.opt.Speed != 1 && h.IdleLimit > 0 {
		h.IdleLimit = time.Duration(float64(h.IdleLimit) / t.opt.Speed)
	}
	return h
}

func (t *Retimer) Problems() ([]*FormatError, int) { return Problems(t.r) }

func (t *Retimer) Close() error { return t.r.Close() }

// Cuts lists the time taken out by the idle limit and the cuts, at their
// place on the output timeline: for the index's pauses.
func (t *Retimer) Cuts() []Pause { return t.cuts }

// cutBefore is how much of the cuts lies before position p.
func (t *Retimer) cutBefore(p time.Duration) time.Duration {
	var c time.Duration
	for _, s := range t.opt.Cuts {
		if p <= s.From {
			break
		}
		c += min(p, s.To) - s.From
	}
	return c
}

func (t *Retimer) Next() (Event, error) {
	ev, err := t.r.Next()
	if err != nil {
		// The end (or damage): what follows the last event is mapped too.
		t.follow.finish(t)
		return ev, err
	}
	d := ev.Time - t.prevT
	if t.first {
		d = max(ev.Time, 0)
		t.first = false
	}
	t.prevT = ev.Time
	if d < 0 {
		d = 0 // a stamp going backwards: no wait
	}
	pos := t.pos + d
	c := pos - t.cutBefore(pos)
	gap := c - t.prevC
	// Times followed up to this event are mapped with the state before it
	// and the gap it ends, by mapBetween: the same arithmetic as below.
	t.follow.upTo(t, pos, gap)
	t.pos = pos
	t.prevC = c
	if t.opt.IdleLimit > 0 && gap > t.opt.IdleLimit {
		t.addCut(gap - t.opt.IdleLimit)
		t.out += t.opt.IdleLimit
	} else {
		t.out += gap
	}
	ev.Time = t.scale(t.out)
	return ev, nil
}

// mapBetween maps position p of the repaired input timeline, at or after
// the last event read and at or before the next, whose gap (after the
// cuts) is gap; tail says there is no next event. At p = the next event it
// gives exactly that event's output time (Next's arithmetic). Inside a gap
// the idle limit shortens, the first half of the limit runs as it was and
// the last half too, the middle is cut: so a time strictly before an event
// stays strictly before it, and a time after one stays after it.
func (t *Retimer) mapBetween(p, gap time.Duration, tail bool) time.Duration {
	q := max(p-t.cutBefore(p)-t.prevC, 0)
	if l := t.opt.IdleLimit; l > 0 {
		switch {
		case tail:
			// Nothing follows: run on up to the limit, as a live
			// recording's clock does.
			q = min(q, l)
		case gap > l:
			h := l / 2
			switch {
			case q <= h:
			case gap-q <= l-h:
				q = l - (gap - q)
			default:
				q = h
			}
		}
	}
	return t.scale(t.out + q)
}

// scale applies the speed to an output position.
func (t *Retimer) scale(d time.Duration) time.Duration {
	if t.opt.Speed > 0 && t.opt.Speed != 1 {
		return time.Duration(float64(d) / t.opt.Speed)
	}
	return d
}

// addCut notes d cut by the idle limit from the gap that ends at the event
// being read, at the place mapBetween cuts it (half the limit into it).
func (t *Retimer) addCut(d time.Duration) {
	at := t.scale(t.out + t.opt.IdleLimit/2)
	if len(t.cuts) < 10000 {
		t.cuts = append(t.cuts, Pause{At: SecondsOf(at), Cut: SecondsOf(d), Reason: "idle"})
	}
}
