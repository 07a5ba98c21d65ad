package recording

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"
)

// Human pace. A runbook types a command in a millisecond and a fast host
// answers in a few more: played as recorded, a guide's screencast is a
// flash. Paced for a human, each command appears typed at a person's rate
// after a short pause, and each command's output stays on the screen long
// enough to be read before the next one is typed. All of it is computed
// from the index (where each command starts and ends, what it printed);
// the recording's own timeline is never changed on disk by it, only
// copies made for watching (runbook export, convert --pace human).

// Pacing constants: a person types about 16 characters a second; a long
// command reads as pasted once typing it would take longer than
// maxTyping; an output is read at about ten lines a second, for at least
// minRead and at most maxRead.
const (
	paceBefore  = 600 * time.Millisecond // before a command is typed
	paceChar    = 60 * time.Millisecond
	maxTyping   = 3 * time.Second
	minTyping   = 300 * time.Millisecond
	paceLine    = 100 * time.Millisecond
	minRead     = time.Second
	maxRead     = 4 * time.Second
	paceWord    = 250 * time.Millisecond // narration, read before a step's first command
	maxNarrated = 6 * time.Second
)

// PaceHuman returns evs (in time order, times on ix's timeline) paced for
// a human, and a copy of ix whose steps, commands, markers and pauses are
// moved to the new timeline. Events between commands keep their own
// spacing.
func PaceHuman(evs []Event, ix *Index) ([]Event, *Index) {
	anchors := paceAnchorsOf(ix)
	return anchors.paceEvents(evs), anchors.pacedIndex(ix)
}

// paceAnchor is a moment where pacing inserts time: a command's start or end.
type paceAnchor struct {
	at     time.Duration // events at or after it (a start), after it (an end) are moved
	start  bool
	before time.Duration // a start: the pause before typing
	typing time.Duration // a start: how long typing takes
	hold   time.Duration // an end: how long the output stays
}

// paceAnchors are the anchors of an index's commands, in time order.
type paceAnchors []paceAnchor

// paceAnchorsOf lists the start and end anchors of ix's commands not skipped.
func paceAnchorsOf(ix *Index) paceAnchors {
	var anchors paceAnchors
	for _, s := range ix.Steps {
		narr := 0
		for _, c := range s.Comments {
			narr += len(strings.Fields(c))
		}
		first := true
		for _, c := range s.Commands {
			if c.Skipped {
				continue
			}
			before := paceBefore
			if first {
				before += min(time.Duration(narr)*paceWord, maxNarrated)
				first = false
			}
			anchors = append(anchors,
				paceAnchor{at: c.Start.Duration(), start: true, before: before, typing: typingTime(c.Text)},
				paceAnchor{at: c.End.Duration(), hold: readingTime(c.Output)})
		}
	}
	anchors.sort()
	return anchors
}

// typingTime is how long a person takes to type a command's first line.
func typingTime(text string) time.Duration {
	line, _, _ := strings.Cut(text, "\n")
	return min(max(time.Duration(utf8.RuneCountInString(line))*paceChar, minTyping), maxTyping)
}

// readingTime is how long a command's output stays on screen to be read.
func readingTime(output *Blob) time.Duration {
	lines := 0
	if output != nil {
		lines = strings.Count(strings.TrimRight(string(output.Bytes()), "\n"), "\n") + 1
	}
	return min(max(minRead, time.Duration(lines)*paceLine), maxRead)
}

// sort puts the anchors in time order, stably; at one moment an end comes
// before the next start.
func (as paceAnchors) sort() {
	less := func(a, b paceAnchor) bool { return a.at < b.at || a.at == b.at && !a.start && b.start }
	for i := 1; i < len(as); i++ {
		for j := i; j > 0 && less(as[j], as[j-1]); j-- {
			as[j], as[j-1] = as[j-1], as[j]
		}
	}
}

// shift is how much is inserted before time t: the anchors before it, and
// (for an index time) the starts or ends at it.
func (as paceAnchors) shift(t time.Duration, atStart, atEnd bool) time.Duration {
	var d time.Duration
	for _, a := range as {
		switch {
		case a.start && (a.at < t || a.at == t && atStart):
			d += a.before + a.typing
		case !a.start && (a.at < t || a.at == t && atEnd):
			d += a.hold
		}
	}
	return d
}

// paceEvents moves evs to the paced timeline, typing each command's echo.
func (as paceAnchors) paceEvents(evs []Event) []Event {
	var out []Event
	var off time.Duration
	next := 0
	pendingTyping := time.Duration(-1) // typing to spread over the next output event
	for _, ev := range evs {
		// The anchors this event passes: events at a start's moment are
		// moved, at an end's moment are not.
		for next < len(as) {
			a := as[next]
			if a.start && a.at <= ev.Time {
				off += a.before
				pendingTyping = a.typing
				next++
				continue
			}
			if !a.start && a.at < ev.Time {
				off += a.hold
				next++
				continue
			}
			break
		}
		if pendingTyping >= 0 && ev.Kind == Output {
			out = appendTyped(out, ev, off, pendingTyping)
			off += pendingTyping
			pendingTyping = -1
			continue
		}
		if pendingTyping >= 0 && next < len(as) && !as[next].start {
			// No output before the command ended: typing still took time.
			off += pendingTyping
			pendingTyping = -1
		}
		ev.Time += off
		out = append(out, ev)
	}
	return out
}

// appendTyped appends output ev, moved by off, spread over typing a keystroke at a time.
func appendTyped(out []Event, ev Event, off, typing time.Duration) []Event {
	pieces := typedPieces(ev.Data)
	step := typing / time.Duration(max(len(pieces), 1))
	t := ev.Time + off
	for _, p := range pieces[:len(pieces)-1] {
		out = append(out, Event{Time: t, Kind: Output, Data: p})
		t += step
	}
	// The last piece shows when typing ends.
	return append(out, Event{Time: ev.Time + off + typing, Kind: Output, Data: pieces[len(pieces)-1]})
}

// pacedIndex is a copy of ix with every time in it moved to the paced timeline.
func (as paceAnchors) pacedIndex(ix *Index) *Index {
	nix := *ix
	// The pauses are chosen now: no limit applies to them.
	nix.IdleLimit = 0
	nix.Steps = make([]Step, len(ix.Steps))
	for i, s := range ix.Steps {
		nix.Steps[i] = as.pacedStep(s)
	}
	nix.Markers = append([]Marker(nil), ix.Markers...)
	for i := range nix.Markers {
		t := nix.Markers[i].At.Duration()
		nix.Markers[i].At = SecondsOf(t + as.shift(t, false, false))
	}
	nix.Pauses = append([]Pause(nil), ix.Pauses...)
	for i := range nix.Pauses {
		t := nix.Pauses[i].At.Duration()
		nix.Pauses[i].At = SecondsOf(t + as.shift(t, false, false))
	}
	if nix.Stopped != nil {
		st := *nix.Stopped
		st.At = SecondsOf(st.At.Duration() + as.shift(st.At.Duration(), true, true))
		nix.Stopped = &st
	}
	return &nix
}

// pacedStep is s, and a copy of its commands, moved to the paced timeline.
func (as paceAnchors) pacedStep(s Step) Step {
	s.Start = SecondsOf(s.Start.Duration() + as.shift(s.Start.Duration(), false, false))
	s.End = SecondsOf(s.End.Duration() + as.shift(s.End.Duration(), false, true))
	cs := make([]Command, len(s.Commands))
	for j, c := range s.Commands {
		cs[j] = as.pacedCommand(c)
	}
	s.Commands = cs
	return s
}

// pacedCommand is c moved to the paced timeline, its start after the pause before typing.
func (as paceAnchors) pacedCommand(c Command) Command {
	st, end := c.Start.Duration(), c.End.Duration()
	newStart, newEnd := st+as.shift(st, false, false), end+as.shift(end, false, false)
	if !c.Skipped {
		// Typing starts after the pause before it, and takes time.
		for _, a := range as {
			if a.start && a.at == st {
				newStart += a.before
				newEnd = max(newEnd, newStart+a.typing)
				break
			}
		}
	}
	c.Start, c.End = SecondsOf(newStart), SecondsOf(newEnd)
	return c
}

// typedPieces cuts an output chunk that begins with the echo of a typed
// command into what appears one keystroke at a time: each printable
// character of the first line (escape sequences go with the character
// after them), then the rest of the chunk in one piece.
func typedPieces(b []byte) [][]byte {
	line := b
	rest := []byte(nil)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line, rest = b[:i], b[i:]
	}
	var pieces [][]byte
	start := 0
	for i := 0; i < len(line); {
		if line[i] == 0x1b {
			i = escEnd(line, i)
			continue
		}
		_, n := utf8.DecodeRune(line[i:])
		i += n
		pieces = append(pieces, line[start:i])
		start = i
	}
	tail := append(append([]byte(nil), line[start:]...), rest...)
	if len(pieces) == 0 {
		return [][]byte{b}
	}
	if len(tail) > 0 {
		pieces = append(pieces, tail)
	} else {
		// The last piece shows when typing ends.
		pieces = append(pieces[:len(pieces)-1:len(pieces)-1], pieces[len(pieces)-1])
	}
	return pieces
}

// escEnd is the index after the escape sequence starting at b[i] (CSI
// and OSC; anything else is ESC and one byte).
func escEnd(b []byte, i int) int {
	if i+1 >= len(b) {
		return len(b)
	}
	switch b[i+1] {
	case '[':
		for j := i + 2; j < len(b); j++ {
			if b[j] >= 0x40 && b[j] <= 0x7e {
				return j + 1
			}
		}
		return len(b)
	case ']':
		for j := i + 2; j < len(b); j++ {
			if b[j] == 0x07 {
				return j + 1
			}
			if b[j] == 0x1b && j+1 < len(b) && b[j+1] == '\\' {
				return j + 2
			}
		}
		return len(b)
	}
	return i + 2
}
