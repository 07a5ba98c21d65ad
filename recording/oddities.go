package recording

import (
	"fmt"
	"time"
)

// Thresholds of a pause "far longer than every other": a recording paused
// the way termrec keeps a pause (wall-clock stamps), not a slow command.
const (
	longGapMin    = 10 * time.Second
	longGapFactor = 5
)

// oddities finds what a sound file still shows wrong in other players: a
// UTF-8 character split across two frames (tty-player decodes each frame
// alone and shows U+FFFD) and one pause far longer than every other (kept
// as it is by every player without an idle limit).
type oddities struct {
	name, format string
	// the last output frame: its number and whether it ended inside a
	// UTF-8 character.
	last       int
	incomplete bool
	found      []*FormatError
	count      int
	top        [2]Gap
}

// output looks at an output frame's first and last bytes.
func (o *oddities) output(frame int, head, tail []byte) {
	if o.incomplete && len(head) > 0 && head[0]&0xC0 == 0x80 {
		o.add(&FormatError{Name: o.name, Format: o.format, Offset: -1, Frame: o.last, Kind: ProblemSplitUTF8,
			Msg: fmt.Sprintf("%ss %d and %d split a UTF-8 character (tty-player shows � for it)", o.unit(), o.last, frame)})
	}
	o.last, o.incomplete = frame, incompleteTail(tail) > 0
}

// gap notes a pause.
func (o *oddities) gap(g Gap) {
	switch {
	case g.Len > o.top[0].Len:
		o.top[1], o.top[0] = o.top[0], g
	case g.Len > o.top[1].Len:
		o.top[1] = g
	}
}

func (o *oddities) add(e *FormatError) {
	o.count++
	if len(o.found) < maxProblems {
		o.found = append(o.found, e)
	}
}

// finish adds what was found to st. A header's idle limit below the long
// pause means players shorten it already.
func (o *oddities) finish(st *Stats) {
	g, next := o.top[0], o.top[1].Len
	if g.Len >= longGapMin && g.Len >= longGapFactor*next && (st.Header.IdleLimit <= 0 || st.Header.IdleLimit >= g.Len) {
		limit := max(time.Second, next.Truncate(time.Second)+time.Second)
		st.IdleLimitRepair = limit
		o.add(&FormatError{Name: o.name, Format: o.format, Offset: -1, Frame: g.Before, Kind: ProblemLongGap,
			Msg: fmt.Sprintf("a pause of %s before %s %d at %s, far longer than every other (the next longest is %s): players keep it",
				fmtSecs(g.Len), o.unit(), g.Before, fmtSecs(g.At), fmtSecs(next))})
	}
	for _, e := range o.found {
		if len(st.Problems) < maxProblems {
			st.Problems = append(st.Problems, e)
		}
	}
	st.ProblemCount += o.count
	st.SplitUTF8 = 0
	for _, e := range o.found {
		if e.Kind == ProblemSplitUTF8 {
			st.SplitUTF8++
		}
	}
}

func (o *oddities) unit() string {
	if o.format == "ttyrec" {
		return "frame"
	}
	return "event"
}

func fmtSecs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }
