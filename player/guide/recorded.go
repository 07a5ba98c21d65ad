package guide

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/player/screen"
	"github.com/runbook-dev/runbook/recording"
)

// Recorded is one command as a recording shows it.
type Recorded struct {
	Text    string
	Output  string
	Exit    int
	Skipped bool
	Prompt  Prompt
}

// RecordedStep is one step as a recording's index shows it.
type RecordedStep struct {
	// Comments are the narration as the run wrote it (computed parts filled in).
	Comments []string
	Commands []Recorded
	// Skipped is why the step was skipped in this recording ("" when it ran).
	Skipped string
}

// MaxOutputLines bounds a command's output in a guide: longer outputs keep
// their first and last lines around a note of how many were left out.
// (Pages fold what is longer than FoldLines.)
const MaxOutputLines = 300

// ReadRecorded reads what every command of the index showed in the
// recording at path: its output (between the command's start and end, the
// echo of the command and the next prompt left out, drawn by the player's
// emulator so overwritten progress lines show as they ended) and the prompt
// it was typed at. The result is by step number, commands in order.
func ReadRecorded(ctx context.Context, path, format string, ix *recording.Index) (map[int]*RecordedStep, error) {
	r, err := recording.OpenContext(ctx, path, format)
	if err != nil {
		return nil, fmt.Errorf("open recording %s: %w", path, err)
	}
	defer r.Close()
	rt := recording.Retime(r, recording.RetimeOptions{})
	cols := ix.Term.Cols
	if cols <= 0 {
		cols = rt.Header().Cols
	}
	if cols <= 0 {
		cols = 80
	}
	type span struct {
		step, i    int
		start, end float64
		out, tail  []byte
		started    bool
	}
	var spans []*span
	out := map[int]*RecordedStep{}
	for _, s := range ix.Steps {
		rs := &RecordedStep{Comments: s.Comments}
		if s.Status == recording.StatusSkipped {
			rs.Skipped = s.Reason
			if rs.Skipped == "" {
				rs.Skipped = "skipped"
			}
		}
		out[s.N] = rs
		for i, c := range s.Commands {
			rs.Commands = append(rs.Commands, Recorded{Text: c.Text, Exit: c.Exit, Skipped: c.Skipped})
			if !c.Skipped {
				spans = append(spans, &span{step: s.N, i: i, start: float64(c.Start), end: float64(c.End)})
			}
		}
	}
	// tail keeps the latest output, for the prompt a command was typed at.
	const tailMax = 2048
	var tail []byte
	var readErr error
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ev, err := rt.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *recording.FormatError
			if errors.As(err, &fe) && !fe.Fatal() {
				continue
			}
			readErr = fmt.Errorf("read recording %s: %w", path, err)
			break
		}
		if ev.Kind != recording.Output {
			continue
		}
		t := ev.Time.Seconds()
		for _, sp := range spans {
			if t < sp.start-1e-7 || t > sp.end+1e-7 {
				continue
			}
			if !sp.started {
				sp.started = true
				sp.tail = append([]byte(nil), tail...)
			}
			sp.out = append(sp.out, ev.Data...)
		}
		tail = append(tail, ev.Data...)
		if len(tail) > tailMax {
			tail = append(tail[:0], tail[len(tail)-tailMax:]...)
		}
	}
	for _, sp := range spans {
		rc := &out[sp.step].Commands[sp.i]
		rc.Output = commandOutput(sp.out, rc.Text, cols)
		rc.Prompt = parsePrompt(screenText(sp.tail, cols))
	}
	return out, readErr
}

// commandOutput is the text a command printed: the bytes after the shell's
// echo of the command (one line per line of the command) up to the last
// line end (what follows is the next prompt).
func commandOutput(b []byte, command string, cols int) string {
	for range strings.Count(command, "\n") + 1 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return ""
		}
		b = b[i+1:]
	}
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 {
		return ""
	}
	return limitLines(screenText(b[:i+1], cols), MaxOutputLines)
}

// screenText draws b on a screen tall enough that nothing scrolls away
// (within the emulator's limits) and returns its text, blank lines at the
// end left out. Lines the terminal's width folded are joined again: a
// page is not 100 columns wide, and a copied line must be whole.
func screenText(b []byte, cols int) string {
	rows := min(bytes.Count(b, []byte{'\n'})+2+len(b)/max(cols, 1), screen.MaxSize)
	s := screen.New(cols, rows)
	s.Write(b)
	return strings.TrimRight(s.UnwrappedText(), "\n ")
}

func limitLines(s string, max int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= max {
		return s
	}
	head, tail := max*2/3, max-max*2/3
	left := len(lines) - head - tail
	out := append([]string{}, lines[:head]...)
	out = append(out, fmt.Sprintf("[… %d more lines …]", left))
	out = append(out, lines[len(lines)-tail:]...)
	return strings.Join(out, "\n")
}

// promptRE matches the common bash prompt user@host:dir$ (or #).
var promptRE = regexp.MustCompile(`([A-Za-z0-9._-]+)@([A-Za-z0-9._-]+):([^\s#$]*)\s*[#$]\s*$`)

// parsePrompt reads user, host and directory from the last line of text.
func parsePrompt(text string) Prompt {
	lines := strings.Split(text, "\n")
	last := lines[len(lines)-1]
	m := promptRE.FindStringSubmatch(last)
	if m == nil {
		return Prompt{}
	}
	return Prompt{User: m[1], Host: m[2], Path: m[3]}
}
