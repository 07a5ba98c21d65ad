package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// randomBytes is n bytes from a seeded generator: the same file every run.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// notRecordings are files that are no recording, named as an extension
// that says nothing or as one that lies.
func notRecordings(t *testing.T) map[string][]byte {
	files := map[string][]byte{}
	for _, n := range []int{1, 11, 12, 13, 100, 5000, 1 << 20} {
		for _, seed := range []uint64{1, 2, 3} {
			files[fmt.Sprintf("random-%d-%d", n, seed)] = randomBytes(n, seed)
		}
	}
	files["random-5000-1.ttyrec"] = randomBytes(5000, 1)
	files["random-5000-2.nh"] = randomBytes(5000, 2)
	files["random-5000-3.cast"] = randomBytes(5000, 3)
	files["picture.png"] = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"), randomBytes(200, 4)...)
	files["picture.ttyrec"] = files["picture.png"]
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(randomBytes(100000, 5))
	zw.Close()
	files["random.gz"] = gz.Bytes()
	files["random.ttyrec.gz"] = gz.Bytes()
	files["package.json"] = []byte("{\"name\": \"x\", \"version\": \"1.0.0\",\n \"dependencies\": {}}\n")
	files["config.json"] = []byte("{\"width\": 80, \"height\": 24}\n[0.5, \"o\", \"hi\"]\n")
	files["list.cast"] = []byte("[1, 2, 3]\n")
	files["notes.txt"] = []byte("just some text\n")
	return files
}

// Bytes that are no recording are refused by every command that reads
// one, with exit 1 and the same words; an empty file is a problem, not
// sound.
func TestNotARecordingRefused(t *testing.T) {
	dir := t.TempDir()
	files := notRecordings(t)
	files["empty.ttyrec"] = nil
	files["empty"] = nil
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name := range files {
		p := filepath.Join(dir, name)
		want := p + ": not a recording: format could not be recognised"
		if len(files[name]) == 0 {
			want = p + ": empty recording"
		}
		for _, args := range [][]string{
			{"info", p},
			{"check", p},
			{"play", "--speed", "1000", p},
			{"export", p, filepath.Join(dir, "out.html")},
			{"convert", p, filepath.Join(dir, "out.cast")},
		} {
			code, out, errs := runMain(t, args...)
			if code != 1 || !strings.Contains(out+errs, want) {
				t.Errorf("runbook %s: exit %d, want 1 and %q:\n%s%s", strings.Join(args, " "), code, want, out, errs)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.html")); err == nil {
		t.Errorf("export wrote a page of a file that is no recording")
	}
	if _, err := os.Stat(filepath.Join(dir, "out.cast")); err == nil {
		t.Errorf("convert wrote a file that is no recording")
	}
	// info names an empty file's problem.
	code, out, _ := runMain(t, "info", filepath.Join(dir, "empty"))
	if code != 1 || !strings.Contains(out, "problems:  1") || !strings.Contains(out, "empty recording") {
		t.Errorf("info empty: exit %d\n%s", code, out)
	}
}
