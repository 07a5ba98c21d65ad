package player

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

// store keeps a recording's events in a compact append-only log, in memory
// up to memLimit and in an unlinked temporary file beyond, so a 50 MB
// recording costs keyframes, not its size, in memory, and any event can be
// read again from its offset (which the format readers cannot do: gzip and
// asciicast have no random access).
//
// Record layout: time (int64 ns, little endian), kind (1 byte), length
// (uint32), data.
type store struct {
	mem  []byte
	file *os.File
	// wbuf gathers records on their way to file: two writes an event
	// cost more than emulating it.
	wbuf []byte
	size int64
}

const (
	recHeader = 13
	memLimit  = 8 << 20
	spillBuf  = 256 << 10
)

func (s *store) add(t time.Duration, kind recording.EventKind, data []byte) error {
	var h [recHeader]byte
	binary.LittleEndian.PutUint64(h[0:], uint64(t))
	h[8] = byte(kind)
	binary.LittleEndian.PutUint32(h[9:], uint32(len(data)))
	if s.file == nil && len(s.mem)+recHeader+len(data) > memLimit {
		f, err := os.CreateTemp("", "runbook-play-*")
		if err != nil {
			return fmt.Errorf("spill recording to a temporary file: %w", err)
		}
		os.Remove(f.Name()) // unlinked: gone when closed, even after a crash
		if _, err := f.Write(s.mem); err != nil {
			f.Close()
			return fmt.Errorf("spill recording: %w", err)
		}
		s.file, s.mem, s.wbuf = f, nil, make([]byte, 0, spillBuf)
	}
	s.size += int64(recHeader + len(data))
	if s.file == nil {
		s.mem = append(s.mem, h[:]...)
		s.mem = append(s.mem, data...)
		return nil
	}
	if len(s.wbuf)+recHeader+len(data) > cap(s.wbuf) {
		if err := s.flush(); err != nil {
			return err
		}
	}
	if recHeader+len(data) > cap(s.wbuf) {
		if _, err := s.file.Write(h[:]); err != nil {
			return fmt.Errorf("spill recording: %w", err)
		}
		if _, err := s.file.Write(data); err != nil {
			return fmt.Errorf("spill recording: %w", err)
		}
		return nil
	}
	s.wbuf = append(s.wbuf, h[:]...)
	s.wbuf = append(s.wbuf, data...)
	return nil
}

// sizeHint sizes the memory log for a recording of n bytes (a file's
// size: the log holds about as much), so it is not grown by copies.
func (s *store) sizeHint(n int64) {
	if s.mem == nil && s.file == nil {
		s.mem = make([]byte, 0, min(n+n/8+4096, memLimit))
	}
}

// flush writes what wbuf gathered to the file. The store is read only
// after the last add and a flush.
func (s *store) flush() error {
	if s.file == nil || len(s.wbuf) == 0 {
		return nil
	}
	if _, err := s.file.Write(s.wbuf); err != nil {
		return fmt.Errorf("spill recording: %w", err)
	}
	s.wbuf = s.wbuf[:0]
	return nil
}

func (s *store) readerAt() io.ReaderAt {
	if s.file != nil {
		return s.file
	}
	return memReaderAt(s.mem)
}

func (s *store) close() error {
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}

type memReaderAt []byte

func (m memReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Event is one event of an opened recording, on its repaired timeline.
type Event struct {
	// Index counts all events from 0.
	Index int
	Time  time.Duration
	Kind  recording.EventKind
	// Data is valid until the next call to Next.
	Data []byte
}

// Events iterates over a recording's events from a position.
type Events struct {
	r    io.ReaderAt
	off  int64
	end  int64
	idx  int
	rbuf []byte
	rpos int
}

func newEvents(st *store, off int64, idx int) *Events {
	return &Events{r: st.readerAt(), off: off, end: st.size, idx: idx}
}

// fill makes n bytes from off available in e.rbuf[e.rpos:] (reading ahead
// in 64 KB blocks).
func (e *Events) fill(n int) ([]byte, error) {
	if e.rpos+n <= len(e.rbuf) {
		b := e.rbuf[e.rpos : e.rpos+n]
		e.rpos += n
		return b, nil
	}
	want := max(n, 64<<10)
	want = int(min(int64(want), e.end-e.off+int64(len(e.rbuf)-e.rpos)))
	// The block is read into the same buffer when it fits (an event's
	// Data lives until the next call to Next): a buffer a block kept the
	// collector busy.
	var nb []byte
	if cap(e.rbuf) >= want {
		nb = e.rbuf[:want]
	} else {
		nb = make([]byte, want)
	}
	k := copy(nb, e.rbuf[e.rpos:])
	m, err := e.r.ReadAt(nb[k:], e.off)
	if m < want-k && err != nil {
		return nil, fmt.Errorf("read back recording: %w", err)
	}
	e.off += int64(m)
	e.rbuf, e.rpos = nb, 0
	b := e.rbuf[:n]
	e.rpos = n
	return b, nil
}

// Next returns the next event, or io.EOF after the last.
func (e *Events) Next() (Event, error) {
	if e.rpos == len(e.rbuf) && e.off >= e.end {
		return Event{}, io.EOF
	}
	h, err := e.fill(recHeader)
	if err != nil {
		return Event{}, err
	}
	t := time.Duration(binary.LittleEndian.Uint64(h[0:]))
	kind := recording.EventKind(h[8])
	n := int(binary.LittleEndian.Uint32(h[9:]))
	data, err := e.fill(n)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Index: e.idx, Time: t, Kind: kind, Data: data}
	e.idx++
	return ev, nil
}

// Pos returns the log offset and index of the next event.
func (e *Events) pos() (int64, int) {
	return e.off - int64(len(e.rbuf)-e.rpos), e.idx
}
