package player

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"time"

	"github.com/runbook-dev/runbook/player/screen"
	"github.com/runbook-dev/runbook/recording"
)

// Recording is an opened recording: its header, index, chapters and a
// timeline of keyframes for seeking.
type Recording struct {
	Path   string
	Header recording.Header
	// Index is the index beside the recording, nil when there is none.
	Index *recording.Index
	// Cols and Rows are the terminal size at the start (header, else
	// index, else 80x24).
	Cols, Rows int
	// Duration is the time of the last event.
	Duration time.Duration
	// Events counts all events; OutputBytes the bytes of output events.
	Events      int
	OutputBytes int64
	// Markers are the recording's own markers ('m' events) and the
	// index's, in time order.
	Markers []Marker
	// Damage is the error that ended reading early (a cut or damaged
	// file): everything before it was read. Nil for a whole file.
	Damage error
	// Problems are the problems the reader read past, the first of
	// ProblemCount.
	Problems     []*recording.FormatError
	ProblemCount int
	// Gaps are the times between consecutive events, longest first, as
	// many as maxGaps.
	Gaps []Gap

	st        store
	keys      []keyframe
	keyEvery  int64 // output bytes between keyframes
	keyBudget int
	endOnly   bool // no events kept: see Options.EndOnly
}

// Marker is a labelled moment.
type Marker struct {
	At    time.Duration
	Label string
}

// Gap is a stretch with no event, before event Index.
type Gap struct {
	At    time.Duration // time of the event before the gap
	Len   time.Duration
	Index int
}

const maxGaps = 32

type keyframe struct {
	t     time.Duration // time of the last event applied
	off   int64         // store offset of the next event
	idx   int           // index of the next event
	state *screen.State
}

// Options tune Open; the zero value is fine.
type Options struct {
	// Format forces a format ("" sniffs; see recording.Formats).
	Format string
	// KeyframeBudget bounds the memory keyframes take, in bytes
	// (default 64 MB). Keyframes thin out (every other one dropped, the
	// spacing doubled) to stay under it, whatever the file's size.
	KeyframeBudget int
	// Forward says the recording is read in time order only (check:
	// one screen after another): no keyframe is kept but the first, and
	// memory stays flat whatever the file's size. Seeking back replays
	// from the start.
	Forward bool
	// EndOnly keeps no events, only the last screen (render --end): the
	// recording is then viewed at its end only, with the built-in
	// emulator; keeping every event to seek back was a quarter of the
	// time of rendering the last screen.
	EndOnly bool
}

// Open reads the recording at path (any format the recording package
// reads) and the index beside it, if any. It stops with ctx's error when
// ctx ends (Ctrl-C while a big or hostile file loads).
func Open(ctx context.Context, path string) (*Recording, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opt Options) (*Recording, error) {
	er, err := recording.OpenContext(ctx, path, opt.Format)
	if err != nil {
		var fe *recording.FormatError
		if errors.As(err, &fe) {
			return nil, err // names the file already: "x: not a recording: ..."
		}
		return nil, fmt.Errorf("open recording %s: %w", path, err)
	}
	defer er.Close()
	r := &Recording{Path: path, Header: er.Header(), keyEvery: 256 << 10, keyBudget: opt.KeyframeBudget, endOnly: opt.EndOnly}
	if r.keyBudget <= 0 {
		r.keyBudget = 64 << 20
	}
	if opt.Forward {
		r.keyEvery = math.MaxInt64
	}
	ix, err := recording.ReadIndex(recording.IndexPath(path))
	switch {
	case err == nil:
		r.Index = ix
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, err
	}
	r.Cols, r.Rows = r.Header.Cols, r.Header.Rows
	if (r.Cols <= 0 || r.Rows <= 0) && r.Index != nil {
		r.Cols, r.Rows = r.Index.Term.Cols, r.Index.Term.Rows
	}
	if r.Cols <= 0 || r.Rows <= 0 {
		r.Cols, r.Rows = 80, 24
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && !r.endOnly {
		r.st.sizeHint(fi.Size())
	}
	if err := r.load(ctx, recording.Retime(er, recording.RetimeOptions{})); err != nil {
		r.st.close()
		return nil, err
	}
	r.Problems, r.ProblemCount = recording.Problems(er)
	if r.Index != nil {
		for _, m := range r.Index.Markers {
			r.Markers = append(r.Markers, Marker{At: m.At.Duration(), Label: m.Label})
		}
		sort.SliceStable(r.Markers, func(i, j int) bool { return r.Markers[i].At < r.Markers[j].At })
	}
	return r, nil
}

// load reads every event into the store, emulating output as it goes to
// take keyframes. It looks at ctx every few events and every chunk of
// output, so even one huge event ends promptly on Ctrl-C.
func (r *Recording) load(ctx context.Context, er recording.EventReader) error {
	scr := screen.New(r.Cols, r.Rows)
	r.keys = append(r.keys, keyframe{state: scr.Snapshot()})
	var since int64
	var prev time.Duration
	for {
		if r.Events%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ev, err := er.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *recording.FormatError
			if errors.As(err, &fe) {
				r.Damage = fe
				break
			}
			return fmt.Errorf("read recording %s: %w", r.Path, err)
		}
		if r.Events > 0 {
			r.noteGap(prev, ev.Time-prev, r.Events)
		}
		prev = ev.Time
		if !r.endOnly {
			if err := r.st.add(ev.Time, ev.Kind, ev.Data); err != nil {
				return err
			}
		}
		r.Events++
		r.Duration = ev.Time
		switch ev.Kind {
		case recording.Output:
			if err := writeChunked(ctx, scr, ev.Data); err != nil {
				return err
			}
			r.OutputBytes += int64(len(ev.Data))
			since += int64(len(ev.Data))
		case recording.Resize:
			if c, rows, err := recording.ParseResize(ev.Data); err == nil {
				scr.Resize(c, rows)
			}
		case recording.Mark:
			r.Markers = append(r.Markers, Marker{At: ev.Time, Label: string(ev.Data)})
		}
		if since >= r.keyEvery && !r.endOnly {
			since = 0
			r.addKey(keyframe{t: ev.Time, off: r.st.size, idx: r.Events, state: scr.Snapshot()})
		}
	}
	if r.endOnly {
		// The one keyframe: the last screen, with no event after it.
		r.keys = []keyframe{{t: r.Duration, idx: r.Events, state: scr.Snapshot()}}
	}
	return r.st.flush()
}

// checkEvery is how many events an emulating loop applies between two
// looks at its context; writeChunk how many bytes of one event.
const (
	checkEvery = 256
	writeChunk = 1 << 20
)

// writeChunked writes one event's output to the emulator a chunk at a
// time, looking at ctx between chunks.
func writeChunked(ctx context.Context, e screen.Emulator, b []byte) error {
	for len(b) > writeChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		e.Write(b[:writeChunk])
		b = b[writeChunk:]
	}
	e.Write(b)
	return nil
}

func (r *Recording) addKey(k keyframe) {
	r.keys = append(r.keys, k)
	if len(r.keys)*k.state.Bytes() <= r.keyBudget {
		return
	}
	// Over budget: keep every other keyframe (the first always) and space
	// the next ones twice as far apart.
	kept := r.keys[:1]
	for i := 2; i < len(r.keys); i += 2 {
		kept = append(kept, r.keys[i])
	}
	for i := len(kept); i < len(r.keys); i++ {
		r.keys[i] = keyframe{}
	}
	r.keys = kept
	r.keyEvery *= 2
}

func (r *Recording) noteGap(at, d time.Duration, idx int) {
	if len(r.Gaps) == maxGaps && d <= r.Gaps[maxGaps-1].Len {
		return
	}
	g := Gap{At: at, Len: d, Index: idx}
	i := sort.Search(len(r.Gaps), func(i int) bool { return r.Gaps[i].Len < d })
	r.Gaps = append(r.Gaps, Gap{})
	copy(r.Gaps[i+1:], r.Gaps[i:])
	r.Gaps[i] = g
	if len(r.Gaps) > maxGaps {
		r.Gaps = r.Gaps[:maxGaps]
	}
}

// Close releases the recording's temporary storage.
func (r *Recording) Close() error { return r.st.close() }

// Keyframes reports how many keyframes are kept and the memory they take.
func (r *Recording) Keyframes() (n, bytes int) {
	for _, k := range r.keys {
		bytes += k.state.Bytes()
	}
	return len(r.keys), bytes
}

// EventsFrom iterates over all events from the first.
func (r *Recording) EventsFrom() *Events { return newEvents(&r.st, 0, 0) }
