package recording

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// TrimCut truncates a ttyrec file after its last whole frame, removing a
// frame cut short by a killed recorder, so that every player accepts it
// (tty-player rejects a file with a cut tail). It returns how many bytes it
// removed; a file with no cut is left alone. Other damage (a frame length
// beyond the limit) is reported and the file left as it is.
func TrimCut(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := NewReader(f, path)
	r.SkipPayloads(true)
	for {
		_, err := r.Next()
		if err == io.EOF {
			return 0, nil
		}
		var fe *FormatError
		if errors.As(err, &fe) && fe.Truncated {
			size := r.Size()
			if err := f.Truncate(fe.Offset); err != nil {
				return 0, fmt.Errorf("trim %s: %w", path, err)
			}
			return size - fe.Offset, f.Sync()
		}
		if err != nil {
			return 0, err
		}
	}
}
