package recording

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Formats accepted by Open and NewEventReader ("" sniffs the content).
// "asciicast" takes any version; the versioned names insist on one.
var Formats = []string{"ttyrec", "nh", "asciicast", "asciicast-v1", "asciicast-v2", "asciicast-v3"}

// FormatOf names the format a path's extension implies ("" when it implies
// none). A trailing .gz is looked through.
func FormatOf(path string) string {
	p := strings.ToLower(strings.TrimSuffix(strings.ToLower(path), ".gz"))
	switch ext := filepath.Ext(p); ext {
	case ".ttyrec", ".tty", ".rec":
		return "ttyrec"
	case ".nh":
		return "nh"
	case ".cast":
		return "asciicast"
	case ".json", ".cast-v1":
		return "asciicast"
	}
	return ""
}

// normalFormat maps aliases to the names in Formats.
func normalFormat(f string) (string, error) {
	switch strings.ToLower(f) {
	case "":
		return "", nil
	case "ttyrec", "tty":
		return "ttyrec", nil
	case "nh", "nh_recorder", "nh-recorder":
		return "nh", nil
	case "asciicast", "cast":
		return "asciicast", nil
	case "asciicast-v1", "cast-v1", "v1", "json":
		return "asciicast-v1", nil
	case "asciicast-v2", "cast-v2", "v2":
		return "asciicast-v2", nil
	case "asciicast-v3", "cast-v3", "v3":
		return "asciicast-v3", nil
	}
	return "", fmt.Errorf("unknown recording format %q (want one of %s)", f, strings.Join(Formats, ", "))
}

// Open opens a recording. format "" picks it from the extension, else from
// the content; path "-" reads standard input; gzip-compressed files are
// read transparently. Close the reader to close the file.
func Open(path, format string) (EventReader, error) {
	if path == "-" {
		return NewEventReader(os.Stdin, format, "-")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = FormatOf(path)
	}
	r, err := newEventReader(f, format, path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
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
	head, src, err := peek(r, 512)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("read %s: gzip: %w", name, err)
		}
		zr.Multistream(true)
		if head, src, err = peek(zr, 512); err != nil {
			return nil, fmt.Errorf("read %s: gzip: %w", name, err)
		}
		closer = multiCloser{zr, closer}
	}
	if format == "" {
		if format = sniff(head); format == "" {
			return nil, &FormatError{Name: name, Offset: 0, Frame: -1, Kind: ProblemDamaged,
				Msg: "not a recording this reader knows (ttyrec, nh, asciicast v1/v2/v3); name the format"}
		}
	}
	switch format {
	case "ttyrec":
		return newTtyrecEvents(src, name, closer), nil
	case "nh":
		return newNHReader(src, name, closer), nil
	default:
		want := 0
		switch format {
		case "asciicast-v1":
			want = 1
		case "asciicast-v2":
			want = 2
		case "asciicast-v3":
			want = 3
		}
		c, err := newCastReader(src, name, closer, want)
		if err != nil {
			return nil, err
		}
		if want == 1 && c.version != 1 {
			return nil, c.formatErr(ProblemDamaged, false, "asciicast v%d, not v1 as asked", c.version)
		}
		return c, nil
	}
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
	if f, ok := r.(*os.File); ok {
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

// sniff guesses a format from a file's first bytes ("" when it cannot).
func sniff(b []byte) string {
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '#') {
		return "asciicast"
	}
	if len(b) >= 12 {
		usec := binary.LittleEndian.Uint32(b[4:8])
		n := binary.LittleEndian.Uint32(b[8:12])
		// termrec's test: a plausible first header.
		if usec < 1_000_000 && n > 0 && n < 1<<24 {
			return "ttyrec"
		}
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return "nh"
	}
	return ""
}
