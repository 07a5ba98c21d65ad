package recording

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/runbook-dev/runbook/internal/unnamed"
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
	// Redacted: texts were masked after recording (runbook convert
	// --redact): the recording is not what the terminal showed.
	Redacted bool `json:"redacted,omitempty"`
	// Replay says the index keeps what `runbook check` needs to run the
	// runbook again against it: the parameters, every command's output,
	// every side-channel read and the random bytes drawn. An index
	// without it (older) is checked as far as it allows.
	Replay bool `json:"replay,omitempty"`
	// Hand is set for a session typed by hand (runbook rec): what was
	// typed, from the shell's marks, and the files edited. Its Markers
	// are the user's (step boundaries for runbook draft) beside the
	// "resize COLSxROWS" ones every recording has.
	Hand *Hand `json:"hand,omitempty"`
}

// Hand is what `runbook rec` knows of a session typed by hand.
type Hand struct {
	Title string `json:"title,omitempty"`
	// Shell is the command that ran instead of runbook's bash (--command);
	// "" is bash with runbook's startup file.
	Shell string `json:"shell,omitempty"`
	// Marks says the shell printed marks: Commands lists what was typed.
	// Without them the index has no commands (Note says so).
	Marks bool   `json:"marks"`
	Note  string `json:"note,omitempty"`
	// Hostname and Interfaces are the host's, read when the session
	// started: runbook draft makes parameters of them.
	Hostname   string   `json:"hostname,omitempty"`
	Interfaces []string `json:"interfaces,omitempty"`
	Home       string   `json:"home,omitempty"`
	// Commands are the command lines as the shell's history has them,
	// with their working directory, exit status, start and end.
	Commands []Command `json:"commands,omitempty"`
	// Edits are the files a command may have written (an editor, sed -i,
	// tee, a redirection of cat/echo/printf), read before it ran and
	// after it ended.
	Edits []Edit `json:"edits,omitempty"`
	// StoppedAt is where the user stopped recording (Ctrl-\ q) while the
	// shell went on.
	StoppedAt *Seconds `json:"stopped_at,omitempty"`
}

// Edit is one file a command edited, as it was before and after.
type Edit struct {
	Command int    `json:"command"` // index in Hand.Commands
	Path    string `json:"path"`    // absolute
	// Existed and Exists say whether the file was there before and after.
	Existed bool  `json:"existed"`
	Exists  bool  `json:"exists"`
	Before  *Blob `json:"before,omitempty"`
	After   *Blob `json:"after,omitempty"`
	// Error says why the file could not be read (then Before/After are
	// not to be trusted).
	Error string `json:"error,omitempty"`
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
	// Params are the parameters given to this run (--set, or asked for;
	// not those left at their default), a secret one's value as "****".
	Params map[string]string `json:"params,omitempty"`
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
	// SourceSHA256 hashes the step's source text (for information:
	// `runbook check` replays the runbook instead of comparing it).
	SourceSHA256 string  `json:"source_sha256"`
	Status       string  `json:"status"`
	Reason       string  `json:"reason,omitempty"` // why skipped or failed
	Start        Seconds `json:"start"`
	End          Seconds `json:"end"`
	// Comments are the step's narration, in order.
	Comments []string  `json:"comments,omitempty"`
	Commands []Command `json:"commands,omitempty"`
	// Reads are the side-channel commands the step's operations ran to
	// read the host's state, in order, with what they returned (secrets
	// masked), so a replay gets the same answers.
	Reads []Read `json:"reads,omitempty"`
	// Random is the random bytes the step drew (net.random_mac), in hex.
	Random string `json:"random,omitempty"`
	// Intents are what the step's stdlib operations make true, in order.
	Intents []Intent `json:"intents,omitempty"`
}

// Intent is what one stdlib operation makes true, said before it reads
// the host ("/etc/default/grub has the line GRUB_DEFAULT=0").
type Intent struct {
	Op   string `json:"op"`
	Text string `json:"text"` // secrets masked
	Path string `json:"path,omitempty"`
	// Before is how many of the step's commands were typed before it.
	Before int `json:"before"`
}

// Read is one side-channel command: not typed, not shown, only read.
type Read struct {
	Cmd string `json:"cmd"` // secrets masked
	// StdinSHA256 hashes what was sent to it (secrets masked first).
	StdinSHA256 string `json:"stdin_sha256,omitempty"`
	Exit        int    `json:"exit"`
	Out         *Blob  `json:"out,omitempty"` // stdout, secrets masked
	// Before is how many of the step's commands were typed before it.
	Before int `json:"before"`
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
	// Output is what the command printed, as sh() returned it (secrets
	// masked), for replay.
	Output *Blob `json:"output,omitempty"`
	// Cwd is the working directory the command ran in (hand recordings).
	Cwd string `json:"cwd,omitempty"`
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

// WriteIndex writes ix to path atomically (a temporary file beside it,
// then rename), so a crash never leaves a half-written index; a failed
// write leaves no temporary file behind.
func WriteIndex(path string, ix *Index) error {
	b, err := encodeIndex(path, ix)
	if err != nil {
		return err
	}
	return replaceFile(path, b)
}

func encodeIndex(path string, ix *Index) ([]byte, error) {
	if ix.Version == 0 {
		ix.Version = IndexVersion
	}
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode index %s: %w", path, err)
	}
	return append(b, '\n'), nil
}

// replaceFile puts b at path through a temporary file of a name no other
// writer uses, renamed over path. Where it can, the file has no name while
// it is written (unnamed): a process killed then leaves nothing, and one
// killed between naming and renaming leaves a hidden file (.NAME.*.tmp).
func replaceFile(path string, b []byte) error {
	if err := replaceUnnamed(path, b); !errors.Is(err, errUnnamedOpen) {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write index %s: %w", path, err)
	}
	return nil
}

var errUnnamedOpen = errors.New("no unnamed file")

// replaceUnnamed is replaceFile through an unnamed file; errUnnamedOpen
// when none can be made here (then a named temporary file stands in).
func replaceUnnamed(path string, b []byte) error {
	f, err := unnamed.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("%w: %v", errUnnamedOpen, err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
	if err := unnamed.Link(f, tmp); err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write index %s: %w", path, err)
	}
	return nil
}

// IndexFile is the index of a recording being made, rewritten as the run
// goes on. Every write is atomic while the disk has room; and until the
// last write the file keeps room in reserve (blanks after the JSON, which
// readers skip), so that when the disk fills up — the recording took the
// rest — the index can still be written over itself in place and say
// where the recording ends.
type IndexFile struct {
	// Filter, when set, is applied to the encoded JSON before it is
	// written: the engine masks every secret in the whole of it there,
	// whatever field a text went into.
	Filter func([]byte) []byte
	Path   string
}

// indexReserve is the least room an index in progress takes.
const indexReserve = 16 << 10

// Update writes ix, with room in reserve.
func (f *IndexFile) Update(ix *Index) error {
	b, err := f.encode(ix)
	if err != nil {
		return err
	}
	padded := make([]byte, max(2*len(b), indexReserve))
	copy(padded, b)
	for i := len(b); i < len(padded)-1; i++ {
		padded[i] = ' '
	}
	padded[len(padded)-1] = '\n'
	err = replaceFile(f.Path, padded)
	if err != nil && f.inPlace(b, false) == nil {
		return nil
	}
	return err
}

// Final writes ix as it stays: no reserve.
func (f *IndexFile) Final(ix *Index) error {
	b, err := f.encode(ix)
	if err != nil {
		return err
	}
	err = replaceFile(f.Path, b)
	if err == nil || f.inPlace(b, true) == nil {
		return nil
	}
	// No room even in place: what check needs to replay (outputs, reads)
	// is what may be large; the steps and where the recording ends are
	// what must be there.
	if small, serr := f.encode(ix.withoutReplay()); serr == nil && f.inPlace(small, true) == nil {
		return nil
	}
	return err
}

// withoutReplay is a copy of ix without what a replay needs (command
// outputs, side-channel reads, random bytes).
func (ix *Index) withoutReplay() *Index {
	c := *ix
	c.Replay = false
	c.Steps = append([]Step(nil), ix.Steps...)
	for i := range c.Steps {
		s := &c.Steps[i]
		s.Reads, s.Random = nil, ""
		s.Commands = append([]Command(nil), s.Commands...)
		for j := range s.Commands {
			s.Commands[j].Output = nil
		}
	}
	return &c
}

func (f *IndexFile) encode(ix *Index) ([]byte, error) {
	b, err := encodeIndex(f.Path, ix)
	if err == nil && f.Filter != nil {
		b = f.Filter(b)
	}
	return b, err
}

// inPlace writes b over the index file's reserve when there is no room
// for a new file: not atomic, but it needs no space the file does not
// already have. It refuses a b longer than the file.
func (f *IndexFile) inPlace(b []byte, final bool) error {
	fd, err := os.OpenFile(f.Path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if int64(len(b)) > size {
		return fmt.Errorf("index %s: no room in place", f.Path)
	}
	buf := make([]byte, size)
	copy(buf, b)
	for i := len(b); i < len(buf); i++ {
		buf[i] = ' '
	}
	if len(buf) > len(b) {
		buf[len(buf)-1] = '\n'
	}
	if _, err := fd.WriteAt(buf, 0); err != nil {
		return err
	}
	if final {
		if err := fd.Truncate(int64(len(b))); err != nil {
			return err
		}
	}
	return fd.Sync()
}
