package recording

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestAsyncWriter(t *testing.T) {
	var got bytes.Buffer
	a := newAsyncWriter(&got, 4096)
	var want []byte
	for i := 0; i < 3000; i++ {
		p := bytes.Repeat([]byte{byte(i)}, i%5000)
		want = append(want, p...)
		if n, err := a.Write(p); n != len(p) || err != nil {
			t.Fatalf("write %d: %d %v", i, n, err)
		}
	}
	if err := a.Close(); err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("close %v; %d bytes, want %d", err, got.Len(), len(want))
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	// Nothing written at all, and a failing destination.
	if err := newAsyncWriter(&got, 16).Close(); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(filepath.Join(t.TempDir(), "ro"))
	f.Close() // writes now fail
	b := newAsyncWriter(f, 16)
	b.Write(bytes.Repeat([]byte("x"), 100))
	if err := b.Close(); err == nil {
		t.Fatal("no error from a failing destination")
	}
}
