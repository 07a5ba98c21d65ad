package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/runbook-dev/runbook/recording"
)

// Human pace for watching (recording.PaceHuman): export paces by default,
// convert when asked (--pace human), and --pace real keeps the recording's
// true time. The recording itself is never changed.

// checkPace reads a --pace value.
func checkPace(cmd, v string) (human bool, err error) {
	switch v {
	case "human":
		return true, nil
	case "real":
		return false, nil
	}
	return false, usagef("%s: --pace %q: want human or real", cmd, v)
}

// sliceEvents is an EventReader over events in memory.
type sliceEvents struct {
	hd  recording.Header
	evs []recording.Event
	i   int
}

func (s *sliceEvents) Header() recording.Header { return s.hd }
func (s *sliceEvents) Close() error             { return nil }
func (s *sliceEvents) Next() (recording.Event, error) {
	if s.i >= len(s.evs) {
		return recording.Event{}, io.EOF
	}
	s.i++
	return s.evs[s.i-1], nil
}

// paced reads r (retimed with opt) whole, with ix on r's timeline, and
// returns the events paced for a human, the index moved with them, and
// the reading error that ended it (events before it are kept).
func paced(ctx context.Context, r recording.EventReader, ix *recording.Index, opt recording.RetimeOptions) (*sliceEvents, *recording.Index, error) {
	rt := recording.Retime(r, opt)
	ir, err := rt.RetimeIndex(ix)
	if err != nil {
		return nil, nil, err
	}
	var evs []recording.Event
	var readErr error
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		ev, err := rt.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *recording.FormatError
			if errors.As(err, &fe) && !fe.Fatal() {
				continue
			}
			readErr = err
			break
		}
		ev.Data = append([]byte(nil), ev.Data...)
		evs = append(evs, ev)
	}
	nix, _ := ir.Index()
	pe, pix := recording.PaceHuman(evs, nix)
	hd := rt.Header()
	hd.IdleLimit = 0 // the pauses are chosen now: a player must keep them
	return &sliceEvents{hd: hd, evs: pe}, pix, readErr
}

// pacedFile writes the recording at in (with its index), paced for a
// human after the idle limit, to a temporary ttyrec, and returns its path
// (remove it when done) and the paced index. A recording without an index
// cannot be paced: ok is false.
func pacedFile(ctx context.Context, in, format string, idle recording.Seconds) (path string, ix *recording.Index, ok bool, err error) {
	ix, err = readInputIndex(in)
	if err != nil || ix == nil {
		return "", nil, false, err
	}
	src, err := recording.Open(in, format)
	if err != nil {
		return "", nil, false, err
	}
	defer src.Close()
	evs, pix, readErr := paced(ctx, src, ix, recording.RetimeOptions{IdleLimit: idle.Duration()})
	if evs == nil {
		return "", nil, false, readErr
	}
	f, err := os.CreateTemp("", "runbook-paced-*.ttyrec")
	if err != nil {
		return "", nil, false, err
	}
	w, err := recording.NewEventWriter(f, "ttyrec", evs.Header())
	if err == nil {
		for _, ev := range evs.evs {
			if err = w.WriteEvent(ev); err != nil {
				break
			}
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", nil, false, fmt.Errorf("pace %s: %w", in, err)
	}
	return f.Name(), pix, true, readErr
}
