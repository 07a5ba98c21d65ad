package recording

import (
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"time"
)

// Gap is a stretch with no events: Len long, ending at the event numbered
// Before (0-based), which is at At since the start.
type Gap struct {
	Before int
	At     time.Duration
	Len    time.Duration
}

// Stats describe a recording for `runbook info`.
type Stats struct {
	Header Header
	// Frames counts ttyrec frames (every one, the size announcement and
	// zero-length ones included) or, for other formats, events.
	Frames int
	// Kinds counts events by kind (other formats than ttyrec).
	Kinds map[EventKind]int
	// Bytes is the payload (output) bytes.
	Bytes int64
	// FileBytes is the file's size, -1 when unknown (a pipe, gzip).
	FileBytes int64
	// Duration is the time from the first frame to the last, as stored
	// (what tty-player and termtime show).
	Duration time.Duration
	// Gaps are the longest gaps, longest first.
	Gaps []Gap
	// Problems are the problems read past (first ones) and their total;
	// Damage is what ended the reading early, if anything.
	Problems     []*FormatError
	ProblemCount int
	Damage       *FormatError
	// IdleLimitRepair, when one pause is far longer than every other
	// (a ProblemLongGap), is the idle limit that shortens it and keeps
	// every other pause: what convert --idle-limit should be given.
	IdleLimitRepair time.Duration
	// SplitUTF8 counts the ProblemSplitUTF8 problems listed (convert
	// re-frames them).
	SplitUTF8 int
}

// HasProblems reports whether the file is anything but sound.
func (s *Stats) HasProblems() bool { return s.ProblemCount > 0 || s.Damage != nil }

type gapTop struct {
	n    int
	gaps []Gap
}

func (g *gapTop) add(x Gap) {
	if x.Len <= 0 || g.n == 0 {
		return
	}
	if len(g.gaps) == g.n && x.Len <= g.gaps[len(g.gaps)-1].Len {
		return
	}
	i := sort.Search(len(g.gaps), func(i int) bool { return g.gaps[i].Len < x.Len })
	g.gaps = append(g.gaps, Gap{})
	copy(g.gaps[i+1:], g.gaps[i:])
	g.gaps[i] = x
	if len(g.gaps) > g.n {
		g.gaps = g.gaps[:g.n]
	}
}

// Stat reads a whole recording and describes it, listing its nGaps longest
// gaps. A damaged file is described up to the damage (Stats.Damage); err
// is only for files that cannot be read at all. ttyrec files are scanned
// header by header without reading the payloads.
func Stat(ctx context.Context, path, format string, nGaps int) (*Stats, error) {
	if format == "" && path != "-" {
		format = FormatOf(path)
	}
	if _, err := normalFormat(format); err != nil {
		return nil, err
	}
	r, err := OpenContext(ctx, path, format)
	var fe *FormatError
	if errors.As(err, &fe) && fe.Kind == ProblemEmpty {
		// Nothing to describe, and that is the problem.
		return &Stats{Header: Header{Format: "empty"}, Damage: fe}, nil
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if _, ok := r.(*ttyrecEvents); ok && path != "-" {
		// A ttyrec: scan it the fast way.
		r.Close()
		return statTtyrec(ctx, path, nGaps)
	}
	return statEvents(ctx, r, path, nGaps)
}

// StatEvents describes what r reads (see Stat). It stops with ctx's
// error when ctx ends.
func StatEvents(ctx context.Context, r EventReader, nGaps int) (*Stats, error) {
	return statEvents(ctx, r, "", nGaps)
}

func statEvents(ctx context.Context, r EventReader, name string, nGaps int) (*Stats, error) {
	st := &Stats{Header: r.Header(), Kinds: map[EventKind]int{}, FileBytes: -1}
	top := gapTop{n: nGaps}
	odd := oddities{name: name, format: r.Header().Format}
	var first, last time.Duration
	for {
		if st.Frames%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) {
				st.Damage = fe
				break
			}
			return nil, err
		}
		if st.Frames == 0 {
			first = ev.Time
		} else {
			g := Gap{Before: st.Frames, At: ev.Time - first, Len: ev.Time - last}
			top.add(g)
			odd.gap(g)
		}
		last = ev.Time
		if ev.Kind == Output {
			st.Bytes += int64(len(ev.Data))
			odd.output(st.Frames, ev.Data[:min(3, len(ev.Data))], ev.Data[max(0, len(ev.Data)-3):])
		}
		st.Frames++
		st.Kinds[ev.Kind]++
	}
	st.Duration = last - first
	st.Gaps = top.gaps
	st.Problems, st.ProblemCount = Problems(r)
	odd.finish(st)
	return st, nil
}

func statTtyrec(ctx context.Context, path string, nGaps int) (*Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head, src, err := peek(ctxSource(ctx, f), 2)
	if err != nil {
		return nil, err
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		r, err := newEventReader(src, "ttyrec", path, nil)
		if err != nil {
			return nil, err
		}
		return statEvents(ctx, r, path, nGaps)
	}
	rd := NewReader(src, path)
	st := &Stats{Header: Header{Format: "ttyrec"}, FileBytes: rd.Size()}
	top := gapTop{n: nGaps}
	odd := oddities{name: path, format: "ttyrec"}
	var first, prev time.Duration
	var clamped *FormatError
	for {
		if st.Frames%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fr, last, err := rd.NextPart(MaxEventData)
		if err == nil && !last {
			// The first frame, longer than one part: the announcement is
			// at its start; skip the rest.
			rd.SkipPayloads(true)
			_, _, err = rd.NextPart(0)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) {
				st.Damage = fe
				break
			}
			return nil, err
		}
		t := fr.Time()
		if st.Frames == 0 {
			first = t
			if fr.Sec != 0 || fr.Usec != 0 {
				st.Header.StartedAt = time.Unix(int64(fr.Sec), int64(fr.Usec)*1000).UTC()
			}
			cols, rows, _ := parseSizeAnnouncement(fr.Data)
			st.Header.Cols, st.Header.Rows = cols, rows
			if c, r, ok := ClampSize(cols, rows); ok {
				clamped = &FormatError{Name: path, Format: "ttyrec", Offset: 12, Frame: 0, Kind: ProblemClamped,
					Msg: clampedMsg("size announcement", cols, rows)}
				st.Header.Cols, st.Header.Rows = c, r
			}
			odd.output(0, fr.Data[:min(3, len(fr.Data))], fr.Data[max(0, len(fr.Data)-3):])
			rd.SkipPayloads(true)
		} else {
			g := Gap{Before: st.Frames, At: t - first, Len: t - prev}
			top.add(g)
			odd.gap(g)
			odd.output(st.Frames, fr.Head, fr.Tail)
		}
		prev = t
		st.Frames++
	}
	st.Bytes = rd.Bytes()
	st.Duration = prev - first
	st.Gaps = top.gaps
	st.Problems, st.ProblemCount = rd.Problems()
	if clamped != nil {
		st.Problems = append([]*FormatError{clamped}, st.Problems...)
		st.ProblemCount++
	}
	odd.finish(st)
	return st, nil
}
