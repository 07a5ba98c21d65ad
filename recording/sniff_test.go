package recording

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// seeded fills b from a seeded generator, 8 bytes at a time.
func seeded(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, ^seed))
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b[:n]
}

func wantKind(t *testing.T, what string, err error, kind string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Kind != kind {
		t.Errorf("%s: error %v, want a %s FormatError", what, err, kind)
	}
}

// Random bytes are no format, whatever the name says or the format asked.
func TestSniffRefusesRandomBytes(t *testing.T) {
	sizes := []int{1, 5, 11, 12, 13, 64, 512, 4096, 5000, 1 << 16, 1 << 20}
	for _, n := range sizes {
		for seed := uint64(1); seed <= 20; seed++ {
			b := seeded(n, seed)
			for _, format := range []string{"", "ttyrec", "nh", "asciicast"} {
				if format == "nh" && n < 64 {
					continue // a few bytes may well be nh output
				}
				_, err := NewEventReader(bytes.NewReader(b), format, "x")
				wantKind(t, format+" "+string(rune('0'+seed)), err, ProblemUnrecognised)
			}
		}
	}
}

// Up to 200 MB of random bytes: refused after a look at the head, by
// name, by content and through gzip.
func TestSniffRefusesBigRandomFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		f.Write(seeded(1<<20, uint64(i)))
	}
	f.Close()
	for _, name := range []string{"big", "big.ttyrec", "big.cast"} {
		p := filepath.Join(dir, name)
		os.Link(filepath.Join(dir, "big"), p)
		_, err := Open(p, "")
		wantKind(t, name, err, ProblemUnrecognised)
		_, err = Stat(context.Background(), p, "", 3)
		wantKind(t, name+" stat", err, ProblemUnrecognised)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(seeded(1<<20, 7))
	zw.Close()
	_, err = NewEventReader(&gz, "", "x.gz")
	wantKind(t, "gzip", err, ProblemUnrecognised)
}

func TestSniffEmptyAndOddFiles(t *testing.T) {
	for _, format := range []string{"", "ttyrec", "nh", "asciicast"} {
		_, err := NewEventReader(bytes.NewReader(nil), format, "empty")
		wantKind(t, "empty "+format, err, ProblemEmpty)
	}
	var gz bytes.Buffer
	gzip.NewWriter(&gz).Close()
	_, err := NewEventReader(&gz, "", "empty.gz")
	wantKind(t, "empty gzip", err, ProblemEmpty)
	for name, b := range map[string]string{
		"png":              "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
		"json object":      `{"name": "x", "width": 80}` + "\n",
		"json list":        "[0.5, \"o\", \"x\"]\n",
		"json multi-line":  "{\n \"a\": 1\n}\n",
		"broken json":      "{\"stdout\" oops\n",
		"text":             "just some text\n",
		"a comment only":   "# nothing else\n",
		"ttyrec first 0":   string(cat(header(1, 0, 0), frame(1, 0, "x"))),
		"ttyrec bad usec":  string(cat(frame(1, 2_000_000, "x"))),
		"ttyrec huge len":  string(header(1, 0, DefaultMaxFrame+1)) + "xx",
		"ttyrec 2nd huge":  string(cat(frame(1, 0, "x"), header(1, 0, DefaultMaxFrame+1))),
		"nh going back":    "\x00\x00\x00\x00\x00a\x00\x10\x00\x00\x00b\x00\x05\x00\x00\x00c",
		"nh a year's jump": "\x00\x00\x00\x00\x00a\x00\x00\x00\x00\x10b",
	} {
		_, err := NewEventReader(bytes.NewReader([]byte(b)), "", name)
		wantKind(t, name, err, ProblemUnrecognised)
	}
	// As nh when named so, though: text is output at time 0.
	if _, err := NewEventReader(bytes.NewReader([]byte("just some text\n")), "nh", "t.nh"); err != nil {
		t.Errorf("text as nh: %v", err)
	}
	// An nh file that starts with a zero stamp is nh without its name.
	r, err := NewEventReader(bytes.NewReader([]byte("\x00\x00\x00\x00\x00a\x00\x05\x00\x00\x00b")), "", "x")
	if err != nil || r.Header().Format != "nh" {
		t.Fatalf("nh sniffed: %v", err)
	}
	n := 0
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d events, want 2", n)
	}
}
