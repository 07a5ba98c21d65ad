package recording

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Frame is one ttyrec frame: a wall-clock stamp and the bytes the terminal
// showed.
type Frame struct {
	Sec, Usec uint32
	// Len is the payload length the header declares.
	Len uint32
	// Data is the payload. It is only valid until the next call to Next (the
	// reader reuses its buffer), and nil when payloads are skipped.
	Data []byte
	// Head and Tail, when payloads are skipped, are up to 3 bytes at the
	// payload's start and end: enough to see a UTF-8 character split
	// between two frames. Valid until the next call to Next.
	Head, Tail []byte
}

// Time returns the frame's stamp as a duration since the Unix epoch. A usec
// field ≥ 1e6 is read as plain arithmetic (it carries into the seconds), as
// ttyplay and termplay do.
func (f Frame) Time() time.Duration {
	return time.Duration(f.Sec)*time.Second + time.Duration(f.Usec)*time.Microsecond
}

const (
	ttyrecHeaderLen = 12
	readBufSize     = 256 << 10
	// DefaultMaxFrame bounds one frame's payload: a larger length is taken
	// for a damaged header rather than read into memory.
	DefaultMaxFrame = 64 << 20
)

// Reader reads ttyrec frames one at a time in constant memory (one read
// buffer, plus one frame when a frame is larger than the buffer).
//
// Odd but readable frames (zero length, usec ≥ 1e6, stamps going backwards)
// are returned and also listed by Problems. Damage ends the reading: Next
// returns a *FormatError (Truncated when the file ends inside a frame) after
// every whole frame before it.
type Reader struct {
	src  io.Reader
	name string

	buf  []byte
	r, w int   // unread window buf[r:w]
	off  int64 // file offset of buf[r]
	eof  bool
	err  error // sticky terminal error

	seeker io.Seeker
	size   int64 // total size when known, else -1

	skip     bool
	edges    [6]byte
	scratch  []byte
	maxFrame uint32

	frames   int
	bytes    int64
	prev     time.Duration
	problems problemList

	// A frame being read in parts (NextPart): its header, where it
	// starts, and how many payload bytes are left.
	part      Frame
	partStart int64
	partLeft  int64
}

// NewReader returns a Reader of src; name is used in errors. When src is a
// regular file (an io.Seeker whose size can be found), a truncated tail is
// found without reading payloads and skipped payloads are seeked over.
func NewReader(src io.Reader, name string) *Reader {
	r := &Reader{src: src, name: name, buf: make([]byte, readBufSize), size: -1, maxFrame: DefaultMaxFrame}
	if s, ok := src.(io.Seeker); ok {
		cur, err1 := s.Seek(0, io.SeekCurrent)
		end, err2 := s.Seek(0, io.SeekEnd)
		if err1 == nil && err2 == nil {
			if _, err := s.Seek(cur, io.SeekStart); err == nil {
				r.seeker, r.size, r.off = s, end, cur
			}
		}
	}
	return r
}

// SkipPayloads makes Next return frames without their Data (Len still
// tells the length): scanning a file's timing then reads little more than
// the headers.
func (r *Reader) SkipPayloads(skip bool) { r.skip = skip }

// Offset is the byte offset of the next frame.
func (r *Reader) Offset() int64 { return r.off }

// Frames is the number of whole frames read so far, Bytes their payload.
func (r *Reader) Frames() int          { return r.frames }
func (r *Reader) Bytes() int64         { return r.bytes }
func (r *Reader) Name() string         { return r.name }
func (r *Reader) Size() int64          { return r.size }
func (r *Reader) SetMaxFrame(n uint32) { r.maxFrame = n }

// Problems returns the odd frames read past so far (first ones and total).
func (r *Reader) Problems() ([]*FormatError, int) { return r.problems.list, r.problems.total }

// buffered is how many unread bytes the buffer holds.
func (r *Reader) buffered() int { return r.w - r.r }

// fill tries to make n bytes available in buf[r:]; n ≤ len(buf).
func (r *Reader) fill(n int) error {
	if r.buffered() >= n {
		return nil
	}
	if r.r+n > len(r.buf) {
		copy(r.buf, r.buf[r.r:r.w])
		r.w -= r.r
		r.r = 0
	}
	for r.buffered() < n && !r.eof {
		m, err := r.src.Read(r.buf[r.w:])
		r.w += m
		if err == io.EOF {
			r.eof = true
		} else if err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) fail(kind string, trunc bool, off int64, format string, a ...any) error {
	r.err = &FormatError{Name: r.name, Format: "ttyrec", Offset: off, Frame: r.frames, Truncated: trunc, Kind: kind, Msg: fmt.Sprintf(format, a...)}
	return r.err
}

// Next returns the next frame: io.EOF at the clean end of the file, a
// *FormatError on damage (every whole frame before it was returned).
func (r *Reader) Next() (Frame, error) {
	f, _, err := r.NextPart(0)
	return f, err
}

// NextPart is Next for a reader that takes at most max payload bytes at a
// time (0: any): a longer frame comes as several Frames, each with the
// frame's header (stamp, Len) and the next part of its payload in Data;
// last is true for a frame's last part (and for a frame that fits).
// Frames counts a frame once, when its last part is read.
func (r *Reader) NextPart(max int) (f Frame, last bool, err error) {
	if r.err != nil {
		return Frame{}, false, r.err
	}
	if r.partLeft > 0 {
		return r.readPart(max)
	}
	start := r.off
	if err := r.fill(ttyrecHeaderLen); err != nil {
		r.err = fmt.Errorf("read %s: %w", r.name, err)
		return Frame{}, false, r.err
	}
	if have := r.buffered(); have < ttyrecHeaderLen {
		if have == 0 {
			r.err = io.EOF
			return Frame{}, false, io.EOF
		}
		return Frame{}, false, r.fail(ProblemTruncated, true, start,
			"%d stray bytes after frame %d (a header needs 12)", have, r.frames)
	}
	h := r.buf[r.r : r.r+ttyrecHeaderLen]
	f = Frame{
		Sec:  binary.LittleEndian.Uint32(h[0:4]),
		Usec: binary.LittleEndian.Uint32(h[4:8]),
		Len:  binary.LittleEndian.Uint32(h[8:12]),
	}
	n := int64(f.Len)
	if r.size >= 0 && start+ttyrecHeaderLen+n > r.size {
		present := r.size - start - ttyrecHeaderLen
		return Frame{}, false, r.fail(ProblemTruncated, true, start,
			"frame %d declares %d bytes, %d present", r.frames, n, present)
	}
	if f.Len > r.maxFrame {
		return Frame{}, false, r.fail(ProblemDamaged, false, start,
			"frame %d declares %d bytes, more than the %d-byte limit (a damaged header?)", r.frames, n, r.maxFrame)
	}
	r.r += ttyrecHeaderLen
	r.off += ttyrecHeaderLen
	r.part, r.partStart, r.partLeft = f, start, n
	return r.readPart(max)
}

// readPart reads the next part (at most max bytes, 0: all) of the frame
// being read.
func (r *Reader) readPart(max int) (Frame, bool, error) {
	if r.skip {
		n := r.partLeft
		r.partLeft = 0
		f := r.part
		// Only a payload's edges are kept: enough to find a UTF-8
		// character split across frames.
		if err := r.skipPayload(&f, n); err != nil {
			return Frame{}, false, r.payloadErr(err)
		}
		return r.frameDone(f), true, nil
	}
	n := r.partLeft
	if max > 0 && n > int64(max) {
		n = int64(max)
	}
	data, err := r.payload(int(n))
	if err != nil {
		return Frame{}, false, r.payloadErr(err)
	}
	r.partLeft -= n
	f := r.part
	f.Data = data
	if r.partLeft > 0 {
		return f, false, nil
	}
	return r.frameDone(f), true, nil
}

// frameDone notes a frame read to its end.
func (r *Reader) frameDone(f Frame) Frame {
	r.check(f, r.partStart)
	r.frames++
	r.bytes += int64(f.Len)
	return f
}

// payloadErr is the error for a failed read of the current frame's
// payload.
func (r *Reader) payloadErr(err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		present := r.off - r.partStart - ttyrecHeaderLen
		return r.fail(ProblemTruncated, true, r.partStart,
			"frame %d declares %d bytes, %d present", r.frames, r.part.Len, present)
	}
	r.err = fmt.Errorf("read %s: %w", r.name, err)
	return r.err
}

// check notes the odd-but-readable things about a whole frame.
func (r *Reader) check(f Frame, off int64) {
	p := func(kind, format string, a ...any) {
		r.problems.add(&FormatError{Name: r.name, Format: "ttyrec", Offset: off, Frame: r.frames, Kind: kind, Msg: fmt.Sprintf(format, a...)})
	}
	if f.Len == 0 {
		p(ProblemZeroLength, "frame %d has no payload", r.frames)
	}
	if f.Usec >= 1_000_000 {
		p(ProblemBadUsec, "frame %d has usec %d (≥ 1000000)", r.frames, f.Usec)
	}
	t := f.Time()
	if r.frames > 0 && t < r.prev {
		p(ProblemBackwards, "frame %d goes back %s in time", r.frames, fmtDur(r.prev-t))
	}
	r.prev = t
}

// payload returns the next n bytes, from the buffer when they fit.
func (r *Reader) payload(n int) ([]byte, error) {
	if n <= len(r.buf) {
		if err := r.fill(n); err != nil {
			return nil, err
		}
		if r.buffered() < n {
			r.off += int64(r.buffered())
			r.r = r.w
			return nil, io.ErrUnexpectedEOF
		}
		b := r.buf[r.r : r.r+n]
		r.r += n
		r.off += int64(n)
		return b, nil
	}
	if cap(r.scratch) < n {
		r.scratch = make([]byte, n)
	}
	b := r.scratch[:n]
	c := copy(b, r.buf[r.r:r.w])
	r.r += c
	r.off += int64(c)
	m, err := io.ReadFull(r.src, b[c:])
	r.off += int64(m)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

// skipPayload skips a payload of n bytes but keeps up to 3 bytes of each
// end in f.Head and f.Tail.
func (r *Reader) skipPayload(f *Frame, n int64) error {
	const edge = 3
	if n <= 2*edge {
		b, err := r.payload(int(n))
		if err != nil {
			return err
		}
		c := copy(r.edges[:], b)
		f.Head, f.Tail = r.edges[:min(c, edge)], r.edges[max(0, c-edge):c]
		return nil
	}
	h, err := r.payload(edge)
	if err != nil {
		return err
	}
	copy(r.edges[:edge], h)
	if err := r.discard(n - 2*edge); err != nil {
		return err
	}
	t, err := r.payload(edge)
	if err != nil {
		return err
	}
	copy(r.edges[edge:], t)
	f.Head, f.Tail = r.edges[:edge], r.edges[edge:]
	return nil
}

// discard skips n payload bytes, seeking when that saves reading.
func (r *Reader) discard(n int64) error {
	if int64(r.buffered()) >= n {
		r.r += int(n)
		r.off += n
		return nil
	}
	n -= int64(r.buffered())
	r.off += int64(r.buffered())
	r.r, r.w = 0, 0
	if r.seeker != nil && n > int64(len(r.buf)) {
		if _, err := r.seeker.Seek(n, io.SeekCurrent); err != nil {
			return err
		}
		r.off += n
		return nil
	}
	for n > 0 {
		if err := r.fill(int(min(n, int64(len(r.buf))))); err != nil {
			return err
		}
		if r.buffered() == 0 {
			return io.ErrUnexpectedEOF
		}
		c := min(n, int64(r.buffered()))
		r.r += int(c)
		r.off += c
		n -= c
	}
	return nil
}

// fmtDur prints a duration as seconds with millisecond precision.
func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.3fs", d.Seconds())
}
