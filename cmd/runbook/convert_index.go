package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/recording"
)

// isTtyrecFormat and isCastFormat sort output format names and aliases
// by the family the format table gives them.
func isTtyrecFormat(f string) bool { return formatFamily(f) == "ttyrec" }

func isCastFormat(f string) bool { return formatFamily(f) == "asciicast" }

func formatFamily(name string) string {
	f, err := recording.LookupFormat(name)
	if err != nil {
		return ""
	}
	return f.Family
}

// readInputIndex reads the index beside IN (IN.json), nil when there is
// none or IN is standard input. A damaged index is an error naming it:
// --no-index converts without it.
func readInputIndex(in string) (*recording.Index, error) {
	if in == "-" {
		return nil, nil
	}
	ix, err := recording.ReadIndex(recording.IndexPath(in))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("convert: %w (--no-index converts without it)", err)
	}
	return ix, nil
}

// indexHeader gives a recording the index's idle limit when its own
// format has none (ttyrec), so an asciicast made from it carries it as
// idle_time_limit.
type indexHeader struct {
	recording.EventReader
	idle recording.Seconds
}

func (h indexHeader) Header() recording.Header {
	hd := h.EventReader.Header()
	if hd.IdleLimit <= 0 && h.idle > 0 {
		hd.IdleLimit = h.idle.Duration()
	}
	return hd
}

// Problems passes on the problems the wrapped reader read past.
func (h indexHeader) Problems() ([]*recording.FormatError, int) {
	return recording.Problems(h.EventReader)
}

// redactIndex masks what the redactions match in every text of the index
// a secret could be in, as copyEvents does in the output: commands (as
// written, as typed, as first written, expected output), step names,
// reasons and comments, markers, the stop reason and the host.
func redactIndex(ix *recording.Index, res []*regexp.Regexp) {
	if len(res) == 0 {
		return
	}
	red := func(s *string) { *s = string(redact([]byte(*s), res)) }
	reds := func(ss []string) {
		for i := range ss {
			red(&ss[i])
		}
	}
	// What replay keeps (outputs, reads) is redacted too; a replay then
	// sees the redacted text, and may call the recording stale.
	redBlob := func(b **recording.Blob) {
		if *b != nil {
			*b = recording.NewBlob(redact((*b).Bytes(), res))
		}
	}
	red(&ix.Host)
	for i := range ix.Markers {
		red(&ix.Markers[i].Label)
	}
	for i := range ix.Steps {
		s := &ix.Steps[i]
		red(&s.Name)
		red(&s.Reason)
		reds(s.Comments)
		for j := range s.Commands {
			c := &s.Commands[j]
			red(&c.Text)
			red(&c.Typed)
			red(&c.EditedFrom)
			reds(c.Expect)
			redBlob(&c.Output)
		}
		for j := range s.Reads {
			red(&s.Reads[j].Cmd)
			redBlob(&s.Reads[j].Out)
		}
	}
	if ix.Runbook != nil {
		for k, v := range ix.Runbook.Params {
			ix.Runbook.Params[k] = string(redact([]byte(v), res))
		}
	}
	if ix.Stopped != nil {
		red(&ix.Stopped.Reason)
	}
}

// writeIndexTemp writes ix to a temporary file beside OUT's index, to be
// renamed over it once OUT itself is in place.
//
// Every form of every secret is masked in the whole of it.
func writeIndexTemp(out string, ix *recording.Index, secrets *secret.Set) (string, error) {
	if ix.Version == 0 {
		ix.Version = recording.IndexVersion
	}
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return "", fmt.Errorf("convert: encode index: %w", err)
	}
	b = secrets.MaskJSON(b)
	path := recording.IndexPath(out)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return "", fmt.Errorf("convert: write index %s: %w", path, err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("convert: write index %s: %w", path, err)
	}
	return f.Name(), nil
}
