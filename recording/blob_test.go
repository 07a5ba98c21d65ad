package recording

import (
	"bytes"
	"strings"
	"testing"
)

// A blob gives back what it keeps, compressed or not, one after another
// (the compressors are reused).
func TestBlobRoundTrip(t *testing.T) {
	text := []byte(strings.Repeat("line of a command's output\n", 1000))
	big := bytes.Repeat([]byte("0123456789abcdef"), MaxBlob/16+100)
	for i, c := range []struct {
		in, want []byte
		gz       bool
		cut      int64
	}{
		{[]byte("short"), []byte("short"), false, 0},
		{[]byte("\xff\xfe binary"), []byte("\xff\xfe binary"), true, 0},
		{text, text, true, 0},
		{text[:100], text[:100], false, 0},
		{big, big[:MaxBlob], true, 1600},
		{text, text, true, 0},
	} {
		bl := NewBlob(c.in)
		if (bl.GZ != nil) != c.gz || bl.Cut != c.cut {
			t.Errorf("%d: gz %v cut %d, want %v %d", i, bl.GZ != nil, bl.Cut, c.gz, c.cut)
		}
		if c.gz && len(bl.GZ) >= len(c.want) && i != 1 {
			t.Errorf("%d: %d bytes compressed to %d", i, len(c.want), len(bl.GZ))
		}
		if got := bl.Bytes(); !bytes.Equal(got, c.want) {
			t.Errorf("%d: got back %d bytes, want %d", i, len(got), len(c.want))
		}
	}
	if NewBlob(nil) != nil || (*Blob)(nil).Bytes() != nil {
		t.Error("no bytes: want a nil blob and nil bytes")
	}
}
