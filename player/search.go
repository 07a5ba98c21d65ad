package player

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// searcher finds text in everything a recording printed (LineCollector's
// lines, text that scrolled away included), for play's / n N.
type searcher struct {
	rec   *Recording
	lines []TextLine // read at the first search
	read  bool
	q     string
	found []int // indexes into lines
	cur   int   // the match shown, -1 before the first
}

// query is what is typed at play's search prompt: the text so far, then
// done (Enter) or cancel (Esc, Ctrl-C).
type query struct {
	text         string
	done, cancel bool
}

// search looks for q (case folded) and returns how many lines hold it.
func (s *searcher) search(ctx context.Context, q string) (int, error) {
	if !s.read {
		var c LineCollector
		ev := s.rec.EventsFrom()
		for n := 0; ; n++ {
			if n%checkEvery == 0 && ctx.Err() != nil {
				return 0, ctx.Err()
			}
			e, err := ev.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, err
			}
			if e.Kind == recording.Output {
				c.Add(e.Time, e.Data)
			}
		}
		s.lines, s.read = c.Lines(), true
	}
	s.q, s.found, s.cur = q, s.found[:0], -1
	lq := strings.ToLower(q)
	for i, l := range s.lines {
		if lq != "" && strings.Contains(strings.ToLower(l.Text), lq) {
			s.found = append(s.found, i)
		}
	}
	return len(s.found), nil
}

// next moves to the next match (dir > 0) or the one before (dir < 0),
// round the end; the first move after a search goes to the first match at
// or after t (the last one before t, going back).
func (s *searcher) next(t time.Duration, dir int) (TextLine, bool) {
	n := len(s.found)
	if n == 0 {
		return TextLine{}, false
	}
	switch {
	case s.cur < 0 && dir > 0:
		s.cur = 0
		for i, li := range s.found {
			if s.lines[li].At >= t {
				s.cur = i
				break
			}
		}
	case s.cur < 0:
		s.cur = n - 1
		for i := n - 1; i >= 0; i-- {
			if s.lines[s.found[i]].At < t {
				s.cur = i
				break
			}
		}
	default:
		s.cur = (s.cur + dir + n) % n
	}
	return s.lines[s.found[s.cur]], true
}

// status is the line play shows for the match now shown.
func (s *searcher) status(l TextLine) string {
	text := l.Text
	if r := []rune(text); len(r) > 60 {
		text = string(r[:60]) + "…"
	}
	return fmt.Sprintf("/%s: %d of %d: %s", s.q, s.cur+1, len(s.found), text)
}
