package recording

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// Open opens a recording. format "" picks it from the extension, else from
// the content; path "-" reads standard input; gzip-compressed files are
// read transparently. Close the reader to close the file.
func Open(path, format string) (EventReader, error) {
	return OpenContext(context.Background(), path, format)
}

// OpenContext is Open for a reading that stops when ctx ends: every read
// of the file looks at ctx first, and Next returns ctx's error (wrapped)
// from the first read after it ended. As no event is held whole (see
// MaxEventData), Ctrl-C is seen within one read buffer even inside a
// huge event.
func OpenContext(ctx context.Context, path, format string) (EventReader, error) {
	if path == "-" {
		return NewEventReader(ctxSource(ctx, os.Stdin), format, "-")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = FormatOf(path)
	}
	r, err := newEventReader(ctxSource(ctx, f), format, path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// ctxSource returns f reading through ctx (f itself when ctx never ends).
func ctxSource(ctx context.Context, f *os.File) io.Reader {
	if ctx == nil || ctx.Done() == nil {
		return f
	}
	return &ctxFile{File: f, ctx: ctx}
}

// ctxFile is a file whose reads fail with ctx's error once ctx ends. It
// keeps the file's Seek and Stat, so regular files stay seekable.
type ctxFile struct {
	*os.File
	ctx context.Context
}

func (f *ctxFile) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	return f.File.Read(p)
}

func (f *ctxFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

// NewEventReader reads a recording from r. format "" sniffs the content;
// name is used in errors. Gzip-compressed input is read transparently.
// Closing the returned reader does not close r.
func NewEventReader(r io.Reader, format, name string) (EventReader, error) {
	return newEventReader(r, format, name, nil)
}

func newEventReader(r io.Reader, format, name string, closer io.Closer) (EventReader, error) {
	format, err := normalFormat(format)
	if err != nil {
		return nil, err
	}
	head, src, err := peek(r, sniffLen)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, notRecording(name, "gzip: %v", err)
		}
		zr.Multistream(true)
		if head, src, err = peek(zr, sniffLen); err != nil {
			return nil, notRecording(name, "gzip: %v", err)
		}
		closer = multiCloser{zr, closer}
	}
	if len(head) == 0 {
		return nil, &FormatError{Name: name, Offset: -1, Frame: -1, Kind: ProblemEmpty, Msg: "empty recording"}
	}
	if format == "" {
		if format = sniff(head); format == "" {
			return nil, notRecording(name, "")
		}
	} else if !plausible(format, head) {
		// Named or asked for a format whose bytes these are not.
		return nil, notRecording(name, "not %s, as its name or --format says", format)
	}
	f, err := LookupFormat(format)
	if err != nil {
		return nil, err
	}
	return f.Read(src, name, closer)
}

// statFile is what peek needs of a file to read its head in place.
type statFile interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	Stat() (os.FileInfo, error)
}

// sniffLen is how much of a file sniffing looks at: enough for a few
// ttyrec headers of small frames, or an asciicast header line.
const sniffLen = 4096

// notRecording is the error for bytes that are no format this package
// reads; detail (optional) says what was seen.
func notRecording(name, detail string, a ...any) *FormatError {
	msg := "not a recording: format could not be recognised"
	if detail != "" {
		msg += " (" + fmt.Sprintf(detail, a...) + ")"
	}
	return &FormatError{Name: name, Offset: -1, Frame: -1, Kind: ProblemUnrecognised, Msg: msg}
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var first error
	for _, c := range m {
		if c != nil {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// peek returns up to n first bytes of r and a reader that still yields
// them. A regular file is read with ReadAt and stays seekable, so the
// ttyrec reader can skip payloads by seeking.
func peek(r io.Reader, n int) ([]byte, io.Reader, error) {
	if f, ok := r.(statFile); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if cur, err := f.Seek(0, io.SeekCurrent); err == nil {
				b := make([]byte, n)
				m, err := f.ReadAt(b, cur)
				if err != nil && err != io.EOF {
					return nil, nil, err
				}
				return b[:m], f, nil
			}
		}
	}
	br := bufio.NewReaderSize(r, readBufSize)
	b, err := br.Peek(n)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, nil, err
	}
	return b, br, nil
}

// castLike: asciicast is JSON lines (v3 allows # comments), so the first
// byte that is not blank opens an object or a comment.
func castLike(b []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '#')
}

// ttyrecLike checks the headers that lie whole in b: the first as termrec
// tests it (usec < 1e6, a length above 0 and below 16 MB), every later one
// with a length a reader would take. Random bytes pass the first test
// about once in a million.
func ttyrecLike(b []byte) bool {
	if len(b) < ttyrecHeaderLen {
		return false
	}
	for off, i := 0, 0; off+ttyrecHeaderLen <= len(b); i++ {
		usec := binary.LittleEndian.Uint32(b[off+4 : off+8])
		n := binary.LittleEndian.Uint32(b[off+8 : off+12])
		if i == 0 && (usec >= 1_000_000 || n == 0 || n >= 1<<24) {
			return false
		}
		if n > DefaultMaxFrame {
			return false
		}
		off += ttyrecHeaderLen + int(n)
	}
	return true
}

// nhLike checks the stamps (NUL + 4-byte little-endian hundredths) in b:
// each within a day of the one before and none going backwards. Random
// bytes hold a NUL about every 256 bytes, with stamps anywhere in 497
// days. Without a whole stamp to judge, the output must be UTF-8 text.
func nhLike(b []byte) bool {
	const day = 24 * 60 * 60 * 100
	var prev uint32
	stamps := 0
	var text []byte
	for i := 0; i < len(b); i++ {
		if b[i] != 0 {
			text = append(text, b[i])
			continue
		}
		if i+5 > len(b) {
			break
		}
		t := binary.LittleEndian.Uint32(b[i+1 : i+5])
		if t < prev || t-prev > day {
			return false
		}
		prev = t
		stamps++
		i += 4
	}
	if stamps > 0 {
		return true
	}
	// The window may end inside a character.
	for k := 0; k < utf8.UTFMax && len(text) > 0 && !utf8.Valid(text); k++ {
		text = text[:len(text)-1]
	}
	return utf8.Valid(text)
}
