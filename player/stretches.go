package player

import (
	"strings"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// Stretch is one piece of a recording that `runbook play --step` asks
// about: a command from the index, or, for a recording without one, the
// stretch after a marker or after a pause between bursts of output.
type Stretch struct {
	Step, Steps int    // 1-based step number, and how many steps
	Name        string // the step's name (or the marker's label)
	// Narration is the step's comments, set on its first stretch only.
	Narration []string
	// Command is the command typed in this stretch ("" when unknown);
	// Op the stdlib operation that typed it.
	Command, Op string
	Start, End  time.Duration
}

// BurstPause is the silence that separates two stretches of a recording
// that has neither an index with commands nor markers.
const BurstPause = time.Second

// Stretches splits the recording for stepping through it: the commands of
// the index (commands skipped when recording are left out: nothing of
// them was shown), else the markers, else bursts of output separated by a
// pause of at least BurstPause.
func (r *Recording) Stretches() ([]Stretch, error) {
	if r.Index != nil && len(r.Index.Steps) > 0 {
		return r.indexStretches(), nil
	}
	if len(r.Markers) > 0 {
		var out []Stretch
		for i, c := range r.Chapters() {
			out = append(out, Stretch{Step: i + 1, Name: c.Name, Start: c.Start, End: c.End})
		}
		for i := range out {
			out[i].Steps = len(out)
		}
		// Output before the first marker goes with it.
		out[0].Start = 0
		return out, nil
	}
	return r.burstStretches()
}

func (r *Recording) indexStretches() []Stretch {
	var out []Stretch
	steps := 0
	for _, s := range r.Index.Steps {
		steps = max(steps, s.N)
	}
	steps = max(steps, len(r.Index.Steps))
	for _, s := range r.Index.Steps {
		first := true
		add := func(st Stretch) {
			st.Step, st.Steps, st.Name = s.N, steps, s.Name
			if first {
				st.Narration = s.Comments
				first = false
			}
			out = append(out, st)
		}
		for _, c := range s.Commands {
			if c.Skipped {
				continue
			}
			add(Stretch{Command: c.Text, Op: c.Op, Start: usec(c.Start), End: usec(c.End)})
		}
		// A step that typed nothing but showed something (a failure
		// message, a probe's output) is one stretch of its own.
		if first && s.Status != recording.StatusSkipped && s.End > s.Start {
			add(Stretch{Start: usec(s.Start), End: usec(s.End)})
		}
	}
	return out
}

// burstStretches splits at pauses of BurstPause or more; each stretch is
// named by the first line of text it shows.
func (r *Recording) burstStretches() ([]Stretch, error) {
	var out []Stretch
	ev := r.EventsFrom()
	var prev time.Duration
	var text []byte
	cur := -1
	for {
		e, err := ev.Next()
		if err != nil {
			break
		}
		if e.Kind != recording.Output {
			continue
		}
		if cur < 0 || e.Time-prev >= BurstPause {
			if cur >= 0 {
				out[cur].End = prev
				out[cur].Name = firstLine(text)
			}
			start := e.Time
			if cur < 0 {
				start = 0
			}
			out = append(out, Stretch{Start: start})
			cur = len(out) - 1
			text = text[:0]
		}
		if len(text) < 4096 {
			text = append(text, e.Data...)
		}
		prev = e.Time
	}
	if cur >= 0 {
		out[cur].End = r.Duration
		out[cur].Name = firstLine(text)
	}
	for i := range out {
		out[i].Step, out[i].Steps = i+1, len(out)
	}
	return out, nil
}

// firstLine is the first non-blank line of a burst's text, shortened.
func firstLine(b []byte) string {
	for _, l := range strings.Split(PlainText(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if r := []rune(l); len(r) > 60 {
				l = string(r[:59]) + "…"
			}
			return l
		}
	}
	return "output"
}

// usec reads an index time as the recording stamps frames: to the
// microsecond (a float's last bit must not move a frame across a bound).
func usec(s recording.Seconds) time.Duration { return s.Duration().Round(time.Microsecond) }
