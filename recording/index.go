package recording

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// IndexVersion is the version of the index schema written by this package.
const IndexVersion = 1

// IndexSuffix is appended to a recording's path to name its index:
// NAME.ttyrec → NAME.ttyrec.json.
const IndexSuffix = ".json"

// Index is the JSON file beside a recording (NAME.ttyrec.json) holding what
// ttyrec cannot: terminal size, steps, commands, markers and cut pauses.
//
// Times (At, Start, End, Cut) are seconds from the recording's first frame,
// on the recording's own timeline (paused time already cut out). Readers
// ignore fields they do not know; writers only add fields, never change
// the meaning of one, and bump Version when they must.
type Index struct {
	Version   int       `json:"version"`
	Term      Term      `json:"term"`
	StartedAt time.Time `json:"started_at"`
	// IdleLimit is the idle limit applied while recording, in seconds
	// (0: none). `runbook check` fails a recording with a longer gap.
	IdleLimit Seconds  `json:"idle_limit,omitempty"`
	Pauses    []Pause  `json:"pauses,omitempty"`
	Markers   []Marker `json:"markers,omitempty"`
	Runbook   *Runbook `json:"runbook,omitempty"`
	// Host is the target the session ran on ("local" for this machine).
	Host    string   `json:"host,omitempty"`
	Steps   []Step   `json:"steps,omitempty"`
	Stopped *Stopped `json:"stopped,omitempty"`
}

// Term is the terminal size of the recording.
type Term struct {
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}

// Pause is a stretch of wall-clock time cut out of the recording: at At on
// the recording's timeline, Cut seconds passed that were not recorded
// (time at a step prompt, in an editor, or beyond the idle limit).
type Pause struct {
	At  Seconds `json:"at"`
	Cut Seconds `json:"cut"`
	// Reason is "prompt", "editor", "paused", "idle", "reconnect" or "cut"
	// (taken out by runbook convert --cut).
	Reason string `json:"reason,omitempty"`
}

// Marker is a labelled point in the recording (asciicast "m" events map here).
type Marker struct {
	At    Seconds `json:"at"`
	Label string  `json:"label"`
}

// Runbook identifies the runbook that made the recording.
type Runbook struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Step statuses.
const (
	StatusOK      = "ok"
	StatusChanged = "changed"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusQuit    = "quit" // the user quit at the step prompt: neither done nor failed
)

// Step is one runbook step as it ran.
type Step struct {
	N    int    `json:"n"` // 1-based position in the runbook
	Name string `json:"name"`
	// FileLine is where the step is declared ("runbooks/x.lua:42").
	FileLine string `json:"file_line"`
	// SourceSHA256 hashes the step's source text, so `runbook check` can
	// tell a recording made from an older version of the step.
	SourceSHA256 string  `json:"source_sha256"`
	Status       string  `json:"status"`
	Reason       string  `json:"reason,omitempty"` // why skipped or failed
	Start        Seconds `json:"start"`
	End          Seconds `json:"end"`
	// Comments are the step's narration, in order.
	Comments []string  `json:"comments,omitempty"`
	Commands []Command `json:"commands,omitempty"`
}

// Command is one command typed into the session.
type Command struct {
	// Text is the command as the runbook (or the user, when edited) wrote
	// it, with secrets masked.
	Text string `json:"text"`
	// Typed is what was sent to the shell, when it differs from Text.
	Typed string `json:"typed,omitempty"`
	// EditedFrom is the runbook's original command when the user edited it
	// at the step prompt.
	EditedFrom string  `json:"edited_from,omitempty"`
	Start      Seconds `json:"start"`
	End        Seconds `json:"end"`
	Exit       int     `json:"exit"`
	Skipped    bool    `json:"skipped,omitempty"`
	// Op names the stdlib operation that typed the command ("file.line").
	Op string `json:"op,omitempty"`
	// Expect lists texts the runbook expected in the output.
	Expect []string `json:"expect,omitempty"`
	// OK lists the exit statuses the runbook accepts (default [0]).
	OK []int `json:"ok,omitempty"`
}

// Stopped says why and where a run ended early.
type Stopped struct {
	At     Seconds `json:"at"`
	Reason string  `json:"reason"`
}

// Seconds is a duration stored as fractional seconds in JSON.
type Seconds float64

// Duration converts s to a time.Duration.
// It rounds to the microsecond, the index's and ttyrec's resolution, so a
// time read back equals the frame stamp it was written from (truncating
// 0.57965 s gave 579649999 ns, a nanosecond before its frame).
func (s Seconds) Duration() time.Duration {
	return time.Duration(math.Round(float64(s)*1e6)) * time.Microsecond
}

// SecondsOf converts d to Seconds, rounded to the microsecond like ttyrec.
func SecondsOf(d time.Duration) Seconds {
	return Seconds(float64(d.Round(time.Microsecond)) / float64(time.Second))
}

// IndexPath returns the index path for a recording path.
func IndexPath(recording string) string { return recording + IndexSuffix }

// ReadIndex reads the index at path. A missing file returns an error
// satisfying errors.Is(err, fs.ErrNotExist).
func ReadIndex(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeIndex(f, path)
}

// DecodeIndex decodes an index; name is used in errors.
func DecodeIndex(r io.Reader, name string) (*Index, error) {
	var ix Index
	dec := json.NewDecoder(r)
	if err := dec.Decode(&ix); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("index %s: invalid JSON at byte %d: %w", name, se.Offset, err)
		}
		return nil, fmt.Errorf("index %s: %w", name, err)
	}
	if ix.Version < 1 {
		return nil, fmt.Errorf("index %s: missing or bad version %d", name, ix.Version)
	}
	// A newer index only adds fields: read what we know.
	return &ix, nil
}

// WriteIndex writes ix to path atomically (temporary file, then rename), so
// a crash never leaves a half-written index.
func WriteIndex(path string, ix *Index) error {
	if ix.Version == 0 {
		ix.Version = IndexVersion
	}
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return fmt.Errorf("encode index %s: %w", path, err)
	}
	b = append(b, '\n')
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write index %s: %w", path, err)
	}
	return nil
}
