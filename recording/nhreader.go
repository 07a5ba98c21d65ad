package recording

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// nhReader reads termrec's nh_recorder format (from NetHack's recorder):
// plain output bytes with a NUL followed by a 4-byte little-endian time in
// hundredths of a second since the start. Bytes after a stamp are shown at
// that time, as termplay plays them; bytes before the first stamp at 0.
type nhReader struct {
	br     *bufio.Reader
	closer io.Closer
	name   string
	off    int64
	t      time.Duration
	buf    []byte
	err    error
}

func newNHReader(src io.Reader, name string, closer io.Closer) *nhReader {
	return &nhReader{br: bufio.NewReaderSize(src, readBufSize), closer: closer, name: name, buf: make([]byte, 0, 32<<10)}
}

func (n *nhReader) Header() Header { return Header{Format: "nh"} }

func (n *nhReader) Close() error {
	if n.closer != nil {
		return n.closer.Close()
	}
	return nil
}

func (n *nhReader) Next() (Event, error) {
	for n.err == nil {
		// Output up to the next NUL, at most one buffer's worth per event.
		n.buf = n.buf[:0]
		for len(n.buf) < cap(n.buf) {
			b, err := n.br.ReadByte()
			if err != nil {
				n.err = err
				break
			}
			if b == 0 {
				n.br.UnreadByte()
				break
			}
			n.buf = append(n.buf, b)
		}
		if len(n.buf) > 0 {
			ev := Event{Time: n.t, Kind: Output, Data: n.buf}
			n.off += int64(len(n.buf))
			return ev, nil
		}
		if n.err != nil {
			break
		}
		// A stamp: NUL + 4 bytes.
		var st [5]byte
		m, err := io.ReadFull(n.br, st[:])
		if err != nil {
			if err == io.ErrUnexpectedEOF || (err == io.EOF && m > 0) {
				n.err = &FormatError{Name: n.name, Format: "nh", Offset: n.off, Frame: -1, Truncated: true, Kind: ProblemTruncated,
					Msg: fmt.Sprintf("time stamp cut after %d of 5 bytes", m)}
			} else {
				n.err = err
			}
			break
		}
		n.off += 5
		n.t = time.Duration(binary.LittleEndian.Uint32(st[1:])) * 10 * time.Millisecond
	}
	if n.err == io.EOF {
		return Event{}, io.EOF
	}
	if _, ok := n.err.(*FormatError); !ok && n.err != nil {
		n.err = fmt.Errorf("read %s: %w", n.name, n.err)
	}
	return Event{}, n.err
}
