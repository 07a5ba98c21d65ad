package recording

import (
	"bytes"
	"compress/gzip"
	"io"
	"sync"
	"unicode/utf8"
)

// Blob is bytes kept in the index for replay (a command's output, what a
// side-channel read returned): short UTF-8 text as it is, anything else
// gzip-compressed (base64 in JSON), and at most MaxBlob bytes of it.
type Blob struct {
	Text string `json:"text,omitempty"`
	GZ   []byte `json:"gz,omitempty"`
	// Cut counts bytes left out past MaxBlob.
	Cut int64 `json:"cut,omitempty"`
}

// MaxBlob bounds what a Blob keeps; MaxBlobText what it keeps as text.
const (
	MaxBlob     = 1 << 20
	MaxBlobText = 512
)

// NewBlob keeps b (nil for no bytes).
func NewBlob(b []byte) *Blob {
	if len(b) == 0 {
		return nil
	}
	bl := &Blob{}
	if len(b) > MaxBlob {
		bl.Cut = int64(len(b) - MaxBlob)
		b = b[:MaxBlob]
	}
	if len(b) <= MaxBlobText && utf8.Valid(b) {
		bl.Text = string(b)
		return bl
	}
	var z bytes.Buffer
	zw, _ := gzipWriters.Get().(*gzip.Writer)
	if zw == nil {
		// The fastest level: the recording beside the index holds these
		// bytes anyway, and the best level costs 4 to 9 times the
		// instructions (1 MB of a command's text: 180 M against 20 M)
		// for an index a quarter smaller.
		zw, _ = gzip.NewWriterLevel(&z, gzip.BestSpeed)
	} else {
		zw.Reset(&z)
	}
	zw.Write(b)
	zw.Close()
	gzipWriters.Put(zw)
	bl.GZ = z.Bytes()
	return bl
}

// gzipWriters keeps compressors for NewBlob: each holds about a megabyte
// of tables, and a run (a fleet of runs) keeps many blobs.
var gzipWriters sync.Pool

// Bytes returns what the blob keeps (nil for a nil blob).
func (bl *Blob) Bytes() []byte {
	if bl == nil {
		return nil
	}
	if bl.GZ == nil {
		return []byte(bl.Text)
	}
	zr, err := gzip.NewReader(bytes.NewReader(bl.GZ))
	if err != nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(zr, MaxBlob))
	return b
}
