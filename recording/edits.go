package recording

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The contents of the files a hand-typed session edited (runbook rec) are
// not in the index, which is published with the recording: a file edited
// by hand may hold a password nobody declared secret. They go to a side
// file readable by its owner only, NAME.ttyrec.edits.json, that `runbook
// draft` reads and nothing publishes; the index keeps which files were
// edited, by which command.

// EditsPath names the side file of the recording at rec.
func EditsPath(rec string) string { return rec + ".edits.json" }

// WriteEdits writes edits to path atomically, mode 0600.
func WriteEdits(path string, edits []Edit) error {
	b, err := json.Marshal(edits)
	if err != nil {
		return fmt.Errorf("encode edits %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write edits %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path) // CreateTemp made it 0600
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write edits %s: %w", path, err)
	}
	return nil
}

// ReadEdits reads the side file at path.
func ReadEdits(path string) ([]Edit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var edits []Edit
	if err := json.Unmarshal(b, &edits); err != nil {
		return nil, fmt.Errorf("edits %s: %w", path, err)
	}
	return edits, nil
}

// WithoutContents is edits with what the files held left out: what the
// index keeps.
func WithoutContents(edits []Edit) []Edit {
	out := make([]Edit, len(edits))
	for i, e := range edits {
		e.Before, e.After = nil, nil
		out[i] = e
	}
	return out
}
