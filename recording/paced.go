package recording

import (
	"context"
	"errors"
	"io"
)

// PacedEvents reads r whole, retimed with opt (ix on r's own timeline),
// and returns its events paced for a human (PaceHuman) as a reader, with
// the index moved along. A reading error part way keeps the events before
// it: the reader returns it after them. The paced header has no idle
// limit: the pauses are chosen now, and a player must keep them.
func PacedEvents(ctx context.Context, r EventReader, ix *Index, opt RetimeOptions) (EventReader, *Index, error) {
	rt := Retime(r, opt)
	ir, err := rt.RetimeIndex(ix)
	if err != nil {
		return nil, nil, err
	}
	var evs []Event
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
			var fe *FormatError
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
	pe, pix := PaceHuman(evs, nix)
	hd := rt.Header()
	hd.IdleLimit = 0
	return &pacedEvents{hd: hd, evs: pe, err: readErr, from: rt}, pix, nil
}

// pacedEvents is an EventReader over events in memory, ending with the
// error that ended their reading, if any.
type pacedEvents struct {
	hd   Header
	evs  []Event
	i    int
	err  error
	from EventReader // for the problems read past
}

func (p *pacedEvents) Header() Header { return p.hd }
func (p *pacedEvents) Close() error   { return nil }
func (p *pacedEvents) Next() (Event, error) {
	if p.i >= len(p.evs) {
		if p.err != nil {
			return Event{}, p.err
		}
		return Event{}, io.EOF
	}
	p.i++
	return p.evs[p.i-1], nil
}

// Problems passes on the problems the original reader read past.
func (p *pacedEvents) Problems() ([]*FormatError, int) { return Problems(p.from) }
