package recording

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// WriterOptions configure a ttyrec Writer.
type WriterOptions struct {
	// Cols and Rows are announced in the first frame as
	// ESC % G ESC [ 8 ; ROWS ; COLS t (termrec's convention, which tty-player
	// and asciinema-player read to size themselves). 0: no announcement.
	Cols, Rows int
	// Clock stamps the frames; nil: the real clock.
	Clock Clock
	// IdleLimit, when > 0, records any longer gap between frames as exactly
	// the limit (the time beyond it is cut and listed by Pauses).
	IdleLimit time.Duration
	// Announced says the file holds the size announcement already, as its
	// first and only frame (AnnouncementFrame, written before the file
	// got its name, so that no moment sees the recording empty). The
	// Writer then stamps that frame with its start instead of writing
	// it again: the file is the same as one NewWriter began. w must be an
	// *os.File (or an io.WriterAt) positioned after that frame.
	Announced bool
}

// maxChunk bounds one frame's payload; a bigger write becomes several frames
// with the same stamp, split between UTF-8 characters. termrec only detects
// ttyrec when the first frame is under 64 KiB, and players read each frame
// in one piece.
const maxChunk = 32 << 10

// pageSize is the unit in which the kernel copies a write into a file.
var pageSize = os.Getpagesize()

// Writer writes a ttyrec recording as it happens.
//
// A frame's stamp is the wall-clock time at NewWriter plus the monotonic time
// elapsed since, minus the time cut out (pauses, gaps beyond the idle
// limit). Stamps never go backwards, usec is always < 1e6, no frame is
// empty, and no UTF-8 character is split across frames.
//
// Buffering: none. Each frame (header and payload) goes to the underlying
// io.Writer in a single Write call, so a crash leaves a file that is whole
// up to its last frame. The only bytes held back are the first bytes of a
// UTF-8 character whose rest has not been written yet (at most 3); Close
// writes them out.
//
// SIGKILL is harsher: Linux may stop a write to a file between two pages.
// When w is a regular *os.File, the Writer therefore splits frames so that
// no write crosses a page boundary where it can avoid it (a frame then
// becomes several with the same stamp). It cannot when fewer than 13 bytes
// are left in a page: a kill at that moment can leave a cut header, which
// TrimCut (or `runbook convert REC REC`) removes.
//
// A Writer is safe for concurrent use: the engine writes output from one
// goroutine and pauses or reads Elapsed from another.
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	clock Clock
	limit time.Duration

	cols, rows int
	start      time.Time     // wall clock (with monotonic reading) at NewWriter
	startUsec  int64         // start, in µs since the epoch
	cut        time.Duration // time cut out so far
	paused     bool
	pausedPos  time.Duration
	pausedAt   time.Time
	reason     string

	lastPos  time.Duration // timeline position of the last frame
	lastUsec int64         // stamp of the last frame, µs since the epoch
	held     []byte
	frame    []byte
	// off is the file offset of the next frame when w is a regular file
	// (-1 otherwise): frames are then split so that no write crosses a
	// page boundary (see emit).
	off    int64
	pauses []Pause
	frames int
	err    error
}

// NewWriter starts a recording on w and writes the size announcement frame
// at once (when Cols and Rows are set).
func NewWriter(w io.Writer, opt WriterOptions) (*Writer, error) {
	c := opt.Clock
	if c == nil {
		c = RealClock
	}
	start := c.Now()
	tw := &Writer{w: w, clock: c, limit: opt.IdleLimit, cols: opt.Cols, rows: opt.Rows, start: start, startUsec: start.UnixMicro(), held: make([]byte, 0, 4)}
	tw.lastUsec = tw.startUsec
	tw.off = -1
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			if off, err := f.Seek(0, io.SeekCurrent); err == nil {
				tw.off = off
			}
		}
	}
	if opt.Announced {
		wa, ok := w.(io.WriterAt)
		if !ok {
			return nil, fmt.Errorf("restamp the size announcement: %T cannot write at an offset", w)
		}
		// 8 bytes at offset 0, inside the first page: a kill leaves the
		// old stamp or the new one, never half of each.
		var stamp [8]byte
		binary.LittleEndian.PutUint32(stamp[0:], uint32(tw.startUsec/1e6))
		binary.LittleEndian.PutUint32(stamp[4:], uint32(tw.startUsec%1e6))
		if _, err := wa.WriteAt(stamp[:], 0); err != nil {
			return nil, fmt.Errorf("restamp the size announcement: %w", err)
		}
		tw.frames = 1
		return tw, nil
	}
	if opt.Cols > 0 && opt.Rows > 0 {
		if err := tw.writeFrame(tw.startUsec, SizeAnnouncement(opt.Cols, opt.Rows)); err != nil {
			return nil, err
		}
	}
	return tw, nil
}

// AnnouncementFrame is the first frame NewWriter writes for a cols×rows
// terminal, stamped at: what a file holds before its Writer starts (see
// WriterOptions.Announced).
func AnnouncementFrame(cols, rows int, at time.Time) []byte {
	usec := at.UnixMicro()
	p := SizeAnnouncement(cols, rows)
	b := binary.LittleEndian.AppendUint32(nil, uint32(usec/1e6))
	b = binary.LittleEndian.AppendUint32(b, uint32(usec%1e6))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

// SizeAnnouncement is the first frame termrec writes for a terminal of the
// given size: UTF-8 mode, then the xterm "resize to ROWS;COLS" request.
func SizeAnnouncement(cols, rows int) []byte {
	return fmt.Appendf(nil, "\x1b%%G\x1b[8;%d;%dt", rows, cols)
}

// rawPos is the timeline position at now, before the idle limit.
func (w *Writer) rawPos(now time.Time) time.Duration {
	if w.paused {
		return w.pausedPos
	}
	return now.Sub(w.start) - w.cut
}

// advance returns the timeline position at now, cutting any gap beyond the
// idle limit (and noting the cut).
func (w *Writer) advance(now time.Time) time.Duration {
	pos := w.rawPos(now)
	if w.limit > 0 && !w.paused && pos-w.lastPos > w.limit {
		extra := pos - w.lastPos - w.limit
		w.cut += extra
		pos -= extra
		w.pauses = append(w.pauses, Pause{At: SecondsOf(pos), Cut: SecondsOf(extra), Reason: "idle"})
	}
	if pos < w.lastPos {
		// The monotonic clock never goes back, but a ManualClock can.
		pos = w.lastPos
	}
	return pos
}

// Write records p as one frame (more when p is over 32 KiB) stamped now.
// An incomplete UTF-8 character at the end of p is held back and sent with
// the next write. It always accepts all of p unless the underlying writer
// failed.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	data := holdIncomplete(&w.held, p)
	if len(data) == 0 {
		return len(p), nil
	}
	pos := w.advance(w.clock.Now())
	if err := w.emit(pos, data); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteAt records p at position at on the recording's timeline, ignoring the
// clock: for conversions, whose times come from another recording. Stamps
// still never go backwards; the idle limit and pauses do not apply.
func (w *Writer) WriteAt(at time.Duration, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	data := holdIncomplete(&w.held, p)
	if len(data) == 0 {
		return nil
	}
	if at < w.lastPos {
		at = w.lastPos
	}
	return w.emit(at, data)
}

// emit writes data at timeline position pos, in chunks of at most maxChunk,
// all of them with one Write call.
func (w *Writer) emit(pos time.Duration, data []byte) error {
	usec := w.startUsec + int64(pos/time.Microsecond)
	if usec < w.lastUsec {
		usec = w.lastUsec
	}
	w.frame = w.frame[:0]
	frames := 0
	for len(data) > 0 {
		n := splitPoint(data, maxChunk)
		if w.off >= 0 {
			// Linux cuts a write to a file at a page boundary when the
			// process is killed (SIGKILL, the OOM killer) mid-write; a write
			// within one page lands whole or not at all. So end the frame
			// at the page boundary (at a character boundary just before it)
			// and start the rest in a new frame with the same stamp. Every
			// page boundary is then a frame's end, and a write of several
			// frames cut at one leaves whole frames only.
			off := w.off + int64(len(w.frame))
			if room := pageSize - int(off%int64(pageSize)) - ttyrecHeaderLen; room >= 1 && n > room {
				if k := splitPoint(data, room); k > 0 && incompleteTail(data[:k]) == 0 {
					n = k
				}
			}
		}
		w.appendFrame(usec, data[:n])
		frames++
		data = data[n:]
	}
	if err := w.flush(usec, frames); err != nil {
		return err
	}
	w.lastPos = pos
	return nil
}

// writeFrame writes one frame with a single Write call.
func (w *Writer) writeFrame(usec int64, p []byte) error {
	w.frame = w.frame[:0]
	w.appendFrame(usec, p)
	return w.flush(usec, 1)
}

// appendFrame adds a frame stamped usec holding p to w.frame.
func (w *Writer) appendFrame(usec int64, p []byte) {
	w.frame = binary.LittleEndian.AppendUint32(w.frame, uint32(usec/1e6))
	w.frame = binary.LittleEndian.AppendUint32(w.frame, uint32(usec%1e6))
	w.frame = binary.LittleEndian.AppendUint32(w.frame, uint32(len(p)))
	w.frame = append(w.frame, p...)
}

// flush writes the frames in w.frame (n of them, the last stamped usec)
// with one Write call.
func (w *Writer) flush(usec int64, n int) error {
	if _, err := w.w.Write(w.frame); err != nil {
		w.err = fmt.Errorf("write ttyrec frame %d: %w", w.frames, err)
		if f, ok := w.w.(*os.File); ok && w.off >= 0 {
			// A write cut short (a full disk) leaves part of a frame: cut
			// the file back to its last whole frame, so it stays valid.
			f.Truncate(w.off)
			f.Seek(w.off, io.SeekStart)
		}
		return w.err
	}
	w.lastUsec = usec
	w.frames += n
	if w.off >= 0 {
		w.off += int64(len(w.frame))
	}
	if cap(w.frame) > 4*maxChunk {
		w.frame = nil // one huge write: do not keep its buffer
	}
	return nil
}

// Pause stops the recording's clock: the time until Resume is cut out
// entirely (listed by Pauses with reason "paused"). Output written while
// paused is stamped at the moment of the pause.
func (w *Writer) Pause() { w.PauseFor("paused") }

// PauseFor is Pause with the reason to list in the index ("prompt",
// "editor", "paused", "reconnect").
func (w *Writer) PauseFor(reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.paused {
		return
	}
	now := w.clock.Now()
	w.pausedPos = w.advance(now)
	w.pausedAt = now
	w.paused = true
	w.reason = reason
}

// Resume restarts the clock after Pause.
func (w *Writer) Resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.paused {
		return
	}
	d := w.clock.Now().Sub(w.pausedAt)
	if d < 0 {
		d = 0
	}
	w.paused = false
	// Cut the pause, and any idle time before it that advance already cut
	// stays cut: the position picks up exactly at pausedPos.
	w.cut = w.clock.Now().Sub(w.start) - w.pausedPos
	if d > 0 {
		w.pauses = append(w.pauses, Pause{At: SecondsOf(w.pausedPos), Cut: SecondsOf(d), Reason: w.reason})
	}
}

// Paused reports whether the clock is paused.
func (w *Writer) Paused() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.paused
}

// Elapsed is the position on the recording's own timeline now: what the
// index stores for steps and commands. It already accounts for the idle
// limit, so it never runs ahead of the next frame's stamp.
func (w *Writer) Elapsed() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	pos := w.rawPos(w.clock.Now())
	if w.limit > 0 && !w.paused && pos-w.lastPos > w.limit {
		pos = w.lastPos + w.limit
	}
	if pos < w.lastPos {
		pos = w.lastPos
	}
	return pos
}

// End is the stamp of the last frame written, from the first: where the
// recording ends, also after a failed write.
func (w *Writer) End() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Duration(w.lastUsec-w.startUsec) * time.Microsecond
}

// Err is the error that stopped the Writer (a full disk), nil while it
// writes.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// StartedAt is the wall-clock time the recording started (its first stamp).
func (w *Writer) StartedAt() time.Time { return w.start.Round(0) }

// Pauses lists the time cut out so far (pauses and idle-limit cuts), for
// the index.
func (w *Writer) Pauses() []Pause {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Pause(nil), w.pauses...)
}

// Frames is the number of frames written (the size announcement included).
func (w *Writer) Frames() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames
}

// Close writes any held-back bytes as a last frame. It does not close the
// underlying writer, which the caller owns.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if len(w.held) > 0 {
		data := append([]byte(nil), w.held...)
		w.held = w.held[:0]
		pos := w.lastPos
		if w.clock != nil {
			pos = max(pos, w.advance(w.clock.Now()))
		}
		return w.emit(pos, data)
	}
	return nil
}

// Index returns an index holding what the writer knows — terminal size,
// start, idle limit and the time cut so far — for the engine to complete
// with steps and write beside the recording.
func (w *Writer) Index() *Index {
	w.mu.Lock()
	defer w.mu.Unlock()
	return &Index{
		Version:   IndexVersion,
		Term:      Term{Cols: w.cols, Rows: w.rows},
		StartedAt: w.start.Round(0),
		IdleLimit: SecondsOf(w.limit),
		Pauses:    append([]Pause(nil), w.pauses...),
	}
}
