package player

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/player/screen"
	"github.com/runbook-dev/runbook/recording"
)

// Timeline is a position in a recording together with the screen at that
// position. It moves forward event by event and jumps anywhere: backwards
// from the nearest keyframe, never by replaying from the start.
type Timeline struct {
	r   *Recording
	scr *screen.Screen // our emulator; nil with another one
	// emu is what events are written to: scr, or the emulator newEmu
	// made (which has no keyframes: seeking back replays from the start).
	emu    screen.Emulator
	newEmu NewEmulator
	ev     *Events
	next   Event // peeked, Data copied
	peeked bool
	done   bool
	t      time.Duration
	idx    int // index of the next event to apply
}

// Timeline returns a timeline at the recording's start (a blank screen).
func (r *Recording) Timeline() *Timeline {
	tl := &Timeline{r: r}
	tl.from(r.keys[0])
	return tl
}

// NewEmulator makes a terminal emulator of cols×rows cells.
type NewEmulator func(cols, rows int) (screen.Emulator, error)

// Emulators are the emulators a timeline can use: "builtin" (player/screen,
// the default, with keyframes) and "vt10x" (github.com/hinshun/vt10x,
// guarded; no keyframes). docs/emulator.md compares them.
var Emulators = []string{"builtin", "vt10x"}

// EmulatorNamed returns the maker of the named emulator (nil for the
// default, "builtin" or "").
func EmulatorNamed(name string) (NewEmulator, error) {
	switch name {
	case "", "builtin":
		return nil, nil
	case "vt10x":
		return func(cols, rows int) (screen.Emulator, error) { return screen.NewVT10X(cols, rows) }, nil
	}
	return nil, fmt.Errorf("unknown emulator %q (want %s)", name, strings.Join(Emulators, " or "))
}

// TimelineWith returns a timeline at the recording's start whose screen
// comes from the emulator newEmu makes (nil: ours, as Timeline).
func (r *Recording) TimelineWith(newEmu NewEmulator) (*Timeline, error) {
	if r.endOnly && newEmu != nil {
		return nil, fmt.Errorf("%s: opened for its last screen only, with the built-in emulator", r.Path)
	}
	if newEmu == nil {
		return r.Timeline(), nil
	}
	tl := &Timeline{r: r, newEmu: newEmu}
	if err := tl.restart(); err != nil {
		return nil, err
	}
	return tl, nil
}

// restart puts a timeline with another emulator back at the start, on a
// fresh emulator.
func (tl *Timeline) restart() error {
	e, err := tl.newEmu(tl.r.Cols, tl.r.Rows)
	if err != nil {
		return fmt.Errorf("%s: %w", tl.r.Path, err)
	}
	k := tl.r.keys[0]
	tl.emu = e
	tl.ev = newEvents(&tl.r.st, k.off, k.idx)
	tl.peeked, tl.done = false, false
	tl.t, tl.idx = k.t, k.idx
	return nil
}

func (tl *Timeline) from(k keyframe) {
	if tl.scr == nil {
		tl.scr = screen.New(tl.r.Cols, tl.r.Rows)
		tl.emu = tl.scr
	}
	tl.scr.Restore(k.state)
	tl.ev = newEvents(&tl.r.st, k.off, k.idx)
	tl.peeked, tl.done = false, false
	tl.t, tl.idx = k.t, k.idx
}

// Screen is the screen at the timeline's position. It changes as the
// timeline moves; Clone it to keep a copy. It is nil on a timeline with
// another emulator: View works on both.
func (tl *Timeline) Screen() *screen.Screen { return tl.scr }

// View is the emulator's screen at the timeline's position, whichever
// emulator it is.
func (tl *Timeline) View() screen.Emulator { return tl.emu }

// Time is the timeline's position.
func (tl *Timeline) Time() time.Duration { return tl.t }

// Recording returns the recording the timeline moves through.
func (tl *Timeline) Recording() *Recording { return tl.r }

// peek returns the next event without applying it; ok is false at the end.
func (tl *Timeline) peek() (Event, bool, error) {
	if tl.done {
		return Event{}, false, nil
	}
	if !tl.peeked {
		ev, err := tl.ev.Next()
		if err == io.EOF {
			tl.done = true
			return Event{}, false, nil
		}
		if err != nil {
			return Event{}, false, err
		}
		ev.Data = append(tl.next.Data[:0], ev.Data...)
		tl.next, tl.peeked = ev, true
	}
	return tl.next, true, nil
}

// NextTime is the time of the next event; ok is false at the end.
func (tl *Timeline) NextTime() (t time.Duration, ok bool) {
	ev, ok, err := tl.peek()
	if err != nil {
		return 0, false
	}
	return ev.Time, ok
}

// Next applies the next event and returns it (io.EOF at the end). The
// event's Data is valid until the timeline moves again.
func (tl *Timeline) Next() (Event, error) {
	ev, ok, err := tl.peek()
	if err != nil {
		return Event{}, err
	}
	if !ok {
		return Event{}, io.EOF
	}
	tl.peeked = false
	tl.apply(context.Background(), ev)
	return ev, nil
}

func (tl *Timeline) apply(ctx context.Context, ev Event) error {
	switch ev.Kind {
	case recording.Output:
		if err := writeChunked(ctx, tl.emu, ev.Data); err != nil {
			return err
		}
	case recording.Resize:
		if c, r, err := recording.ParseResize(ev.Data); err == nil {
			tl.emu.Resize(c, r)
		}
	}
	tl.t = ev.Time
	tl.idx = ev.Index + 1
	return nil
}

// AdvanceTo applies every event up to and including time t, and sets the
// position to t. It stops with ctx's error when ctx ends.
func (tl *Timeline) AdvanceTo(ctx context.Context, t time.Duration) error {
	for n := 0; ; n++ {
		if n%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ev, ok, err := tl.peek()
		if err != nil {
			return err
		}
		if !ok || ev.Time > t {
			break
		}
		tl.peeked = false
		if err := tl.apply(ctx, ev); err != nil {
			return err
		}
	}
	if t > tl.t {
		tl.t = t
	}
	return nil
}

// Seek moves to time t: the screen shows every event up to and including
// t. Backwards and far forward seeks start from the nearest keyframe.
func (tl *Timeline) Seek(ctx context.Context, t time.Duration) error {
	t = max(t, 0)
	if tl.r.endOnly && t < tl.r.Duration {
		return fmt.Errorf("%s: opened for its last screen only, not the screen at %s", tl.r.Path, t)
	}
	if tl.newEmu != nil {
		if t < tl.t {
			if err := tl.restart(); err != nil {
				return err
			}
		}
		return tl.AdvanceTo(ctx, t)
	}
	keys := tl.r.keys
	i := sort.Search(len(keys), func(i int) bool { return keys[i].t > t }) - 1
	i = max(i, 0)
	// Going on from here is cheaper unless a later keyframe lies between.
	if t < tl.t || keys[i].idx > tl.idx {
		tl.from(keys[i])
	}
	tl.t = min(tl.t, t)
	return tl.AdvanceTo(ctx, t)
}

// SeekEnd moves past the last event.
func (tl *Timeline) SeekEnd(ctx context.Context) error { return tl.Seek(ctx, tl.r.Duration) }

// ScreenAt returns a copy of the screen at time t.
func (r *Recording) ScreenAt(ctx context.Context, t time.Duration) (*screen.Screen, error) {
	tl := r.Timeline()
	if err := tl.Seek(ctx, t); err != nil {
		return nil, err
	}
	return tl.scr, nil
}

// ViewAt returns the screen at time t as the emulator newEmu makes shows
// it (nil: ours).
func (r *Recording) ViewAt(ctx context.Context, t time.Duration, newEmu NewEmulator) (screen.Emulator, error) {
	tl, err := r.TimelineWith(newEmu)
	if err != nil {
		return nil, err
	}
	if err := tl.Seek(ctx, t); err != nil {
		return nil, err
	}
	return tl.View(), nil
}
