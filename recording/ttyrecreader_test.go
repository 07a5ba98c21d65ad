package recording

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// frame builds one raw ttyrec frame.
func frame(sec, usec uint32, data string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, sec)
	b = binary.LittleEndian.AppendUint32(b, usec)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

func header(sec, usec, n uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, sec)
	b = binary.LittleEndian.AppendUint32(b, usec)
	return binary.LittleEndian.AppendUint32(b, n)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// onlyReader hides Seek, to test the streaming (pipe) path.
type onlyReader struct{ io.Reader }

func TestReaderEdgeCases(t *testing.T) {
	tests := []struct {
		name     string
		file     []byte
		frames   int
		bytes    int64
		problems []string // kinds read past
		damage   string   // kind of the error that ends the reading, "" for EOF
		trunc    bool
		offset   int64
	}{
		{"empty", nil, 0, 0, nil, "", false, 0},
		{"clean", cat(frame(10, 0, "ab"), frame(11, 5, "c")), 2, 3, nil, "", false, 0},
		{"zero-length frame", cat(frame(10, 0, "a"), frame(10, 1, ""), frame(10, 2, "b")), 3, 2, []string{ProblemZeroLength}, "", false, 0},
		{"usec ≥ 1e6", cat(frame(10, 0, "a"), frame(10, 1_500_000, "b")), 2, 2, []string{ProblemBadUsec}, "", false, 0},
		{"backwards", cat(frame(20, 0, "a"), frame(10, 0, "b"), frame(11, 0, "c")), 3, 3, []string{ProblemBackwards}, "", false, 0},
		{"huge gap", cat(frame(10, 0, "a"), frame(4_000_000_000, 0, "b")), 2, 2, nil, "", false, 0},
		{"partial header", cat(frame(10, 0, "ab"), []byte{1, 2, 3, 4, 5}), 1, 2, nil, ProblemTruncated, true, 14},
		{"partial payload", cat(frame(10, 0, "ab"), header(11, 0, 10), []byte("1234")), 1, 2, nil, ProblemTruncated, true, 14},
		{"length past the end", cat(frame(10, 0, "ab"), header(11, 0, 0xfffffff0)), 1, 2, nil, ProblemTruncated, true, 14},
	}
	for _, tt := range tests {
		for _, mode := range []string{"seekable", "stream", "skip", "file"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				var src io.Reader = bytes.NewReader(tt.file)
				switch mode {
				case "stream":
					src = onlyReader{src}
				case "file":
					p := filepath.Join(t.TempDir(), "x.ttyrec")
					os.WriteFile(p, tt.file, 0o644)
					f, _ := os.Open(p)
					defer f.Close()
					src = f
				}
				r := NewReader(src, "x.ttyrec")
				r.SkipPayloads(mode == "skip")
				n := 0
				var err error
				for {
					var f Frame
					if f, err = r.Next(); err != nil {
						break
					}
					if mode != "skip" && len(f.Data) != int(f.Len) {
						t.Fatalf("frame %d: %d bytes of data, header says %d", n, len(f.Data), f.Len)
					}
					n++
				}
				if n != tt.frames || r.Bytes() != tt.bytes {
					t.Errorf("%d frames, %d bytes; want %d, %d", n, r.Bytes(), tt.frames, tt.bytes)
				}
				ps, total := r.Problems()
				var kinds []string
				for _, p := range ps {
					kinds = append(kinds, p.Kind)
				}
				if total != len(tt.problems) || !equalStrings(kinds, tt.problems) {
					t.Errorf("problems %v, want %v", kinds, tt.problems)
				}
				if tt.damage == "" {
					if err != io.EOF {
						t.Errorf("ended with %v, want EOF", err)
					}
					return
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("ended with %v, want a *FormatError", err)
				}
				damage, trunc := tt.damage, tt.trunc
				if tt.name == "length past the end" && mode == "stream" {
					// A pipe has no size: the absurd length is damage.
					damage, trunc = ProblemDamaged, false
				}
				if fe.Kind != damage || fe.Truncated != trunc || fe.Offset != tt.offset {
					t.Errorf("error %v: kind %s truncated %v offset %d; want %s %v %d", fe, fe.Kind, fe.Truncated, fe.Offset, tt.damage, tt.trunc, tt.offset)
				}
				if _, err2 := r.Next(); err2 != err {
					t.Errorf("error not sticky: then %v", err2)
				}
			})
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReaderFrameBiggerThanBuffer(t *testing.T) {
	big := bytes.Repeat([]byte("x"), readBufSize*3+7)
	file := cat(frame(1, 0, "a"), frame(2, 0, string(big)), frame(3, 0, "b"))
	for _, skip := range []bool{false, true} {
		r := NewReader(onlyReader{bytes.NewReader(file)}, "big")
		r.SkipPayloads(skip)
		var sizes []int
		for {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, int(f.Len))
			if !skip && f.Len > 1 && !bytes.Equal(f.Data, big) {
				t.Error("big payload differs")
			}
		}
		if len(sizes) != 3 || sizes[1] != len(big) {
			t.Errorf("skip=%v: sizes %v", skip, sizes)
		}
	}
}

func TestReaderDamagedLengthBeyondLimit(t *testing.T) {
	file := cat(frame(1, 0, "a"), header(2, 0, DefaultMaxFrame+1))
	r := NewReader(onlyReader{bytes.NewReader(file)}, "d")
	r.Next()
	_, err := r.Next()
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Kind != ProblemDamaged || fe.Offset != 13 {
		t.Fatalf("got %v, want damage at byte 13", err)
	}
}
