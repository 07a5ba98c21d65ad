package recording

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Converting a recording: read IN in any readable format, retime it (idle
// limit, cuts, speed), carry its index along (ttyrec out: OUT.json with
// every time mapped the same way; asciicast out: the steps and markers as
// marker events), write OUT in any writable format. OUT is written to a
// temporary file renamed at the end, so it is never left half-written and
// may even be IN (a repair in place); its index is renamed last.

// ConvertOptions say what Convert makes of what.
type ConvertOptions struct {
	In, Out             string // paths; "-" is Stdin / Stdout
	InFormat, OutFormat string // InFormat "" sniffs; OutFormat is a writable format's name or alias
	Stdin               io.Reader
	Stdout              io.Writer
	Retime              RetimeOptions
	NoIndex             bool // ignore IN's index: no OUT.json, no markers
	// PaceHuman paces the events for a person watching (PaceHuman),
	// after the idle limit, cuts and speed; it needs IN's index.
	PaceHuman bool

	// Filter, when set, wraps the events on their way out (redaction).
	Filter func(EventReader) EventReader
	// IndexFilter edits the index going out; IndexBytes filters its
	// encoded JSON; Redacted marks it as masked after recording.
	IndexFilter func(*Index)
	IndexBytes  func([]byte) []byte
	Redacted    bool
}

// ConvertResult is what a conversion did and found.
type ConvertResult struct {
	Events int // events written
	// Notes are remarks on index times inside a cut; Problems what the
	// reader read past (ProblemTotal counts those not listed).
	Notes        []string
	Problems     []*FormatError
	ProblemTotal int
	// StaleIndex names OUT's index when it was left as it was (IN had
	// none, OUT is ttyrec): its times may no longer match.
	StaleIndex string
}

// Convert converts opt.In to opt.Out. An error reading IN part way still
// writes the events before it (the error says so); a cancelled ctx leaves
// OUT as it was.
func Convert(ctx context.Context, opt ConvertOptions) (*ConvertResult, error) {
	out := opt.Out
	outFmt, err := LookupFormat(opt.OutFormat)
	if err != nil || outFmt.Write == nil {
		return nil, fmt.Errorf("unknown output format %q", opt.OutFormat)
	}
	toTtyrec, toCast := outFmt.Family == "ttyrec", outFmt.Family == "asciicast"
	var src EventReader
	if opt.In == "-" {
		src, err = NewEventReader(opt.Stdin, opt.InFormat, "-")
	} else {
		src, err = OpenContext(ctx, opt.In, opt.InFormat)
	}
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w (%s left as it was)", err, out)
	}
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var ix *Index
	if opt.PaceHuman && opt.NoIndex {
		return nil, fmt.Errorf("human pace needs IN's index, and NoIndex leaves it out")
	}
	if !opt.NoIndex && (toTtyrec || toCast || opt.PaceHuman) {
		if ix, err = readInputIndex(opt.In); err != nil {
			return nil, err
		}
	}
	var events EventReader = src
	if ix != nil {
		events = indexHeader{src, ix.IdleLimit}
	}
	retime := opt.Retime
	if opt.PaceHuman {
		if ix == nil {
			return nil, fmt.Errorf("human pace needs the index beside %s (%s)", opt.In, filepath.Base(IndexPath(opt.In)))
		}
		// Paced after the idle limit, cuts and speed; the paced events
		// and index then go through the rest as they are.
		if events, ix, err = PacedEvents(ctx, events, ix, retime); err != nil {
			return nil, err
		}
		retime = RetimeOptions{}
	}
	rt := Retime(events, retime)
	var ixRetime *IndexRetime
	if ix != nil && out != "-" && toTtyrec {
		if ixRetime, err = rt.RetimeIndex(ix); err != nil {
			return nil, err
		}
	}
	var marked EventReader = rt
	if toCast {
		marked = withIndexMarkers(rt, ix, src.Header().Format)
	}
	if opt.Filter != nil {
		marked = opt.Filter(marked)
	}

	var dst io.Writer = opt.Stdout
	var tmp *os.File
	if out != "-" {
		if tmp, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*"); err != nil {
			return nil, err
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		dst = tmp
	}
	// The async writer is the output buffer: blocks of 1 MiB, written on
	// another goroutine while the next block is made.
	aw := newAsyncWriter(dst, 1<<20)
	ew, err := outFmt.Write(aw, rt.Header())
	if err != nil {
		aw.Close()
		return nil, err
	}
	res := &ConvertResult{}
	n, readErr := copyEvents(ctx, ew, marked)
	res.Events = n
	if errors.Is(readErr, context.Canceled) {
		aw.Close()
		return res, fmt.Errorf("%w (%s left as it was)", readErr, out)
	}
	if err := ew.Close(); err != nil {
		return res, fmt.Errorf("write %s: %w", out, err)
	}
	if err := aw.Close(); err != nil {
		return res, fmt.Errorf("write %s: %w", out, err)
	}

	// The index is written beside OUT's temporary file before either is
	// renamed into place: OUT first, its index last.
	var nix *Index
	switch {
	case ixRetime != nil:
		nix, res.Notes = ixRetime.Index()
	case opt.Redacted && out != "-" && toTtyrec && !opt.NoIndex:
		// No index came in, but the one going out says the recording
		// was masked after it was made.
		hd := rt.Header()
		nix = &Index{Term: Term{Cols: hd.Cols, Rows: hd.Rows}}
	}
	var ixTmp string
	if nix != nil {
		if opt.IndexFilter != nil {
			opt.IndexFilter(nix)
		}
		nix.Redacted = nix.Redacted || opt.Redacted
		if ixTmp, err = writeIndexTemp(out, nix, opt.IndexBytes); err != nil {
			return res, err
		}
		defer func() {
			if ixTmp != "" {
				os.Remove(ixTmp)
			}
		}()
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return res, fmt.Errorf("write %s: %w", out, err)
		}
		mode := os.FileMode(0o644)
		if fi, err := os.Stat(out); err == nil {
			mode = fi.Mode().Perm()
		}
		os.Chmod(tmp.Name(), mode)
		if err := os.Rename(tmp.Name(), out); err != nil {
			return res, err
		}
		tmp = nil
	}
	if ixTmp != "" {
		if err := os.Rename(ixTmp, IndexPath(out)); err != nil {
			return res, fmt.Errorf("write index: %w", err)
		}
		ixTmp = ""
	} else if out != "-" && toTtyrec {
		if _, err := os.Stat(IndexPath(out)); err == nil {
			res.StaleIndex = IndexPath(out)
		}
	}
	res.Problems, res.ProblemTotal = Problems(rt)
	if readErr != nil {
		return res, fmt.Errorf("%w (wrote the %d events before it to %s)", readErr, n, out)
	}
	return res, nil
}

// copyEvents copies every event from r to w and returns how many it wrote
// and the error that ended the reading (nil at the clean end).
func copyEvents(ctx context.Context, w EventWriter, r EventReader) (int, error) {
	n := 0
	for {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		ev, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := w.WriteEvent(ev); err != nil {
			return n, err
		}
		n++
	}
}

// readInputIndex reads the index beside IN (IN.json), nil when there is
// none or IN is standard input. A damaged index is an error naming it.
func readInputIndex(in string) (*Index, error) {
	if in == "-" {
		return nil, nil
	}
	ix, err := ReadIndex(IndexPath(in))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w (--no-index converts without it)", err)
	}
	return ix, nil
}

// indexHeader gives a recording the index's idle limit when its own
// format has none (ttyrec), so an asciicast made from it carries it as
// idle_time_limit.
type indexHeader struct {
	EventReader
	idle Seconds
}

func (h indexHeader) Header() Header {
	hd := h.EventReader.Header()
	if hd.IdleLimit <= 0 && h.idle > 0 {
		hd.IdleLimit = h.idle.Duration()
	}
	return hd
}

// Problems passes on the problems the wrapped reader read past.
func (h indexHeader) Problems() ([]*FormatError, int) {
	return Problems(h.EventReader)
}

// writeIndexTemp writes ix to a temporary file beside OUT's index, to be
// renamed over it once OUT itself is in place; filter (when set) is
// applied to the encoded JSON.
func writeIndexTemp(out string, ix *Index, filter func([]byte) []byte) (string, error) {
	b, err := encodeIndex(IndexPath(out), ix)
	if err != nil {
		return "", err
	}
	if filter != nil {
		b = filter(b)
	}
	path := IndexPath(out)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return "", fmt.Errorf("write index %s: %w", path, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write index %s: %w", path, err)
	}
	return f.Name(), nil
}

// asyncWriter writes to w on its own goroutine, in blocks of up to size
// bytes, so that parsing the next block overlaps the kernel's copying of
// the last one into the output file. Close waits for every block.
type asyncWriter struct {
	buf   []byte
	size  int
	work  chan []byte
	free  chan []byte
	done  chan error
	err   error
	close sync.Once
}

func newAsyncWriter(w io.Writer, size int) *asyncWriter {
	a := &asyncWriter{buf: make([]byte, 0, size), size: size, work: make(chan []byte, 1), free: make(chan []byte, 2), done: make(chan error, 1)}
	a.free <- make([]byte, 0, size)
	go func() {
		var err error
		for b := range a.work {
			if err == nil {
				_, err = w.Write(b)
			}
			a.free <- b[:0]
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		c := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf = a.buf[:len(a.buf)+c]
		p = p[c:]
		if len(a.buf) == cap(a.buf) {
			a.work <- a.buf
			a.buf = <-a.free
		}
	}
	return n, nil
}

// Close flushes what is left and returns the first write error.
func (a *asyncWriter) Close() error {
	a.close.Do(func() {
		if len(a.buf) > 0 {
			a.work <- a.buf
		}
		close(a.work)
		a.err = <-a.done
	})
	return a.err
}
