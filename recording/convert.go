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
	c := &converter{opt: opt}
	defer c.cleanup()
	if err := c.open(ctx); err != nil {
		return nil, err
	}
	if err := c.readIndex(); err != nil {
		return nil, err
	}
	if err := c.retime(ctx); err != nil {
		return nil, err
	}
	events := c.outEvents()
	dst, err := c.createOut()
	if err != nil {
		return nil, err
	}
	readErr, err := c.writeEvents(ctx, dst, events)
	if err != nil {
		// c.res is still nil when the format's writer could not start.
		return c.res, err
	}
	// The index is written beside OUT's temporary file before either is
	// renamed into place: OUT first, its index last.
	if err := c.writeIndex(); err != nil {
		return c.res, err
	}
	if err := c.installOut(); err != nil {
		return c.res, err
	}
	if err := c.installIndex(); err != nil {
		return c.res, err
	}
	c.res.Problems, c.res.ProblemTotal = Problems(c.rt)
	if readErr != nil {
		return c.res, fmt.Errorf("%w (wrote the %d events before it to %s)", readErr, c.res.Events, c.opt.Out)
	}
	return c.res, nil
}

// converter holds one conversion's state, built up stage by stage.
type converter struct {
	opt              ConvertOptions
	outFmt           *Format
	toTtyrec, toCast bool
	src              EventReader  // IN as read
	ix               *Index       // IN's index (paced when asked), nil for none
	rt               *Retimer     // the events retimed
	ixRetime         *IndexRetime // IN's index on its way to OUT.json
	tmp              *os.File     // OUT's temporary file until renamed
	ixTmp            string       // OUT's index's temporary file until renamed
	res              *ConvertResult
}

// open looks up the output format and opens IN.
func (c *converter) open(ctx context.Context) error {
	outFmt, err := LookupFormat(c.opt.OutFormat)
	if err != nil || outFmt.Write == nil {
		return fmt.Errorf("unknown output format %q", c.opt.OutFormat)
	}
	c.outFmt = outFmt
	c.toTtyrec, c.toCast = outFmt.Family == "ttyrec", outFmt.Family == "asciicast"
	var src EventReader
	if c.opt.In == "-" {
		src, err = NewEventReader(c.opt.Stdin, c.opt.InFormat, "-")
	} else {
		src, err = OpenContext(ctx, c.opt.In, c.opt.InFormat)
	}
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%s left as it was)", err, c.opt.Out)
	}
	if err != nil {
		return err
	}
	c.src = src
	return nil
}

// readIndex reads IN's index when the output or the pacing uses it.
func (c *converter) readIndex() error {
	if c.opt.PaceHuman && c.opt.NoIndex {
		return fmt.Errorf("human pace needs IN's index, and NoIndex leaves it out")
	}
	if !c.opt.NoIndex && (c.toTtyrec || c.toCast || c.opt.PaceHuman) {
		ix, err := readInputIndex(c.opt.In)
		if err != nil {
			return err
		}
		c.ix = ix
	}
	return nil
}

// retime paces the events when asked, then retimes them and the index bound for OUT.json.
func (c *converter) retime(ctx context.Context) error {
	var events EventReader = c.src
	if c.ix != nil {
		events = indexHeader{c.src, c.ix.IdleLimit}
	}
	retime := c.opt.Retime
	if c.opt.PaceHuman {
		if c.ix == nil {
			return fmt.Errorf("human pace needs the index beside %s (%s)", c.opt.In, filepath.Base(IndexPath(c.opt.In)))
		}
		// Paced after the idle limit, cuts and speed; the paced events
		// and index then go through the rest as they are.
		var err error
		if events, c.ix, err = PacedEvents(ctx, events, c.ix, retime); err != nil {
			return err
		}
		retime = RetimeOptions{}
	}
	c.rt = Retime(events, retime)
	if c.ix != nil && c.opt.Out != "-" && c.toTtyrec {
		ixRetime, err := c.rt.RetimeIndex(c.ix)
		if err != nil {
			return err
		}
		c.ixRetime = ixRetime
	}
	return nil
}

// outEvents is what goes to OUT: the retimed events, marked (asciicast) and filtered.
func (c *converter) outEvents() EventReader {
	var marked EventReader = c.rt
	if c.toCast {
		marked = withIndexMarkers(c.rt, c.ix, c.src.Header().Format)
	}
	if c.opt.Filter != nil {
		marked = c.opt.Filter(marked)
	}
	return marked
}

// createOut returns where OUT is written: Stdout, or a temporary file beside OUT.
func (c *converter) createOut() (io.Writer, error) {
	if c.opt.Out == "-" {
		return c.opt.Stdout, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.opt.Out), "."+filepath.Base(c.opt.Out)+".*")
	if err != nil {
		return nil, err
	}
	c.tmp = tmp
	return tmp, nil
}

// writeEvents writes events to dst in OUT's format; readErr is what ended the reading.
func (c *converter) writeEvents(ctx context.Context, dst io.Writer, events EventReader) (readErr, err error) {
	// The async writer is the output buffer: blocks of 1 MiB, written on
	// another goroutine while the next block is made.
	aw := newAsyncWriter(dst, 1<<20)
	ew, err := c.outFmt.Write(aw, c.rt.Header())
	if err != nil {
		aw.Close()
		return nil, err
	}
	// From here on a result goes back with any error.
	c.res = &ConvertResult{}
	c.res.Events, readErr = copyEvents(ctx, ew, events)
	if errors.Is(readErr, context.Canceled) {
		aw.Close()
		return nil, fmt.Errorf("%w (%s left as it was)", readErr, c.opt.Out)
	}
	if err := ew.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", c.opt.Out, err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", c.opt.Out, err)
	}
	return readErr, nil
}

// outIndex is the index going out (nil for none); it sets c.res.Notes.
func (c *converter) outIndex() *Index {
	switch {
	case c.ixRetime != nil:
		var nix *Index
		nix, c.res.Notes = c.ixRetime.Index()
		return nix
	case c.opt.Redacted && c.opt.Out != "-" && c.toTtyrec && !c.opt.NoIndex:
		// No index came in, but the one going out says the recording
		// was masked after it was made.
		hd := c.rt.Header()
		return &Index{Term: Term{Cols: hd.Cols, Rows: hd.Rows}}
	}
	return nil
}

// writeIndex writes the index going out, if any, to a temporary file beside OUT's.
func (c *converter) writeIndex() error {
	nix := c.outIndex()
	if nix == nil {
		return nil
	}
	if c.opt.IndexFilter != nil {
		c.opt.IndexFilter(nix)
	}
	nix.Redacted = nix.Redacted || c.opt.Redacted
	ixTmp, err := writeIndexTemp(c.opt.Out, nix, c.opt.IndexBytes)
	if err != nil {
		return err
	}
	c.ixTmp = ixTmp
	return nil
}

// installOut renames OUT's temporary file over OUT, keeping the old file's mode.
func (c *converter) installOut() error {
	if c.tmp == nil {
		return nil
	}
	out := c.opt.Out
	if err := c.tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(out); err == nil {
		mode = fi.Mode().Perm()
	}
	os.Chmod(c.tmp.Name(), mode)
	if err := os.Rename(c.tmp.Name(), out); err != nil {
		return err
	}
	c.tmp = nil
	return nil
}

// installIndex renames OUT's new index into place, or notes a stale one beside OUT.
func (c *converter) installIndex() error {
	out := c.opt.Out
	if c.ixTmp != "" {
		if err := os.Rename(c.ixTmp, IndexPath(out)); err != nil {
			return fmt.Errorf("write index: %w", err)
		}
		c.ixTmp = ""
	} else if out != "-" && c.toTtyrec {
		if _, err := os.Stat(IndexPath(out)); err == nil {
			c.res.StaleIndex = IndexPath(out)
		}
	}
	return nil
}

// cleanup removes the temporary files not renamed into place and closes IN.
func (c *converter) cleanup() {
	if c.ixTmp != "" {
		os.Remove(c.ixTmp)
	}
	if c.tmp != nil {
		c.tmp.Close()
		os.Remove(c.tmp.Name())
	}
	if c.src != nil {
		c.src.Close()
	}
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
