package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

const infoUse = "runbook info REC... [--from-format FORMAT] [--gaps N] [--json]"

const infoMore = `
Describes a recording — ttyrec (also .gz), termrec's nh, asciicast v1/v2/v3 —
and reports every problem in it: a cut or damaged tail (with its byte offset
or line), stamps going backwards, usec fields ≥ 1000000, zero-length frames,
invalid asciicast lines; and what other players get wrong in a sound file:
a UTF-8 character split across two frames (tty-player shows U+FFFD), one
pause far longer than every other (10 s or more, and 5 times the next
longest: a paused recording's wall-clock stamps). Each comes with the
convert command that repairs it. Duration is first to last frame, as stored.

Exit status: 0 when every file is sound, 1 when any has problems or is
not a recording at all (its bytes are no format above, whatever its name
says; an empty file is the problem "empty recording"), 2 when a file
cannot be opened.

Examples:
  runbook info recordings/demo.ttyrec
  runbook info old.ttyrec --gaps 10          # the ten longest pauses
  runbook info talk.cast --json | jq .duration
  zcat x.ttyrec.gz | runbook info - --from-format ttyrec
`

func runInfo(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "info", infoUse, infoMore)
	format := fs.String("from-format", "", "read as this format: ttyrec, nh, asciicast (default: from the extension, else the content)")
	aliasFlag(fs, "format", "from-format", "use --from-format (--format is the output format in render, export and doc)")
	nGaps := fs.Int("gaps", 3, "how many of the longest gaps to list")
	asJSON := fs.Bool("json", false, "print JSON (one object per file, one per line)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("info: no recording given (usage: %s)", infoUse)
	}
	if err := checkIntFlag(fs, "gaps", *nGaps, 0, 1000, "a number of gaps"); err != nil {
		return err
	}
	bad := 0
	for _, path := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == "-" && *format == "" {
			return usagef("info: reading standard input needs --from-format")
		}
		if err := checkInput("info", path); err != nil {
			return err
		}
		s, err := recording.Stat(ctx, path, *format, *nGaps)
		if ctx.Err() != nil {
			// Interrupted, even if the last of the file was read meanwhile.
			return ctx.Err()
		}
		var fe *recording.FormatError
		if errors.As(err, &fe) {
			// Bytes that are no recording: said, and the work failed.
			fmt.Fprintf(st.Err, "runbook: info: %v\n", err)
			bad++
			continue
		}
		if err != nil {
			return recordingInputError("info", err)
		}
		if *asJSON {
			printInfoJSON(st.Out, path, s)
		} else {
			if len(fs.Args()) > 1 && path != fs.Arg(0) {
				fmt.Fprintln(st.Out)
			}
			printInfo(st.Out, path, s)
		}
		if s.HasProblems() {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d of %d files have problems or are not recordings", errSilent, bad, fs.NArg())
	}
	return nil
}

// redacted reports whether path's index says texts were masked after
// recording.
func redacted(path string) bool {
	if path == "-" {
		return false
	}
	ix, err := recording.ReadIndex(recording.IndexPath(path))
	return err == nil && ix.Redacted
}

// handIndex is the index of a session typed by hand (runbook rec), nil
// for anything else.
func handIndex(path string) *recording.Index {
	if path == "-" {
		return nil
	}
	ix, err := recording.ReadIndex(recording.IndexPath(path))
	if err != nil || ix.Hand == nil {
		return nil
	}
	return ix
}

func printHand(w io.Writer, ix *recording.Index) {
	h := ix.Hand
	if h.Title != "" {
		fmt.Fprintf(w, "title:     %s\n", h.Title)
	}
	fmt.Fprintf(w, "by hand:   runbook rec on %s", ix.Host)
	if !h.Marks {
		fmt.Fprintf(w, "; %s\n", h.Note)
	} else {
		fails := 0
		for _, c := range h.Commands {
			if c.Exit != 0 && c.Exit != -1 {
				fails++
			}
		}
		fmt.Fprintf(w, "; %d commands (%d failed), %d file edits", len(h.Commands), fails, len(h.Edits))
		if len(h.Commands) == 0 {
			fmt.Fprint(w, "; no commands in the index")
		}
		fmt.Fprintln(w)
	}
	var cut time.Duration
	n := 0
	for _, p := range ix.Pauses {
		if p.Reason == "paused" {
			cut += p.Cut.Duration()
			n++
		}
	}
	marks := 0
	for _, m := range ix.Markers {
		if !strings.HasPrefix(m.Label, "resize ") {
			marks++
		}
	}
	fmt.Fprintf(w, "markers:   %d; paused %d times, %s cut out\n", marks, n, secs(cut))
	if h.StoppedAt != nil {
		fmt.Fprintf(w, "stopped:   recording stopped at %s (q) while the shell went on\n", secs(h.StoppedAt.Duration()))
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func printInfo(w io.Writer, path string, s *recording.Stats) {
	h := s.Header
	fmt.Fprintf(w, "file:      %s\n", path)
	fmt.Fprintf(w, "format:    %s\n", h.Format)
	unit := "events"
	if h.Format == "ttyrec" {
		unit = "frames"
	}
	fmt.Fprintf(w, "%-10s %d", unit+":", s.Frames)
	if len(s.Kinds) > 1 {
		var parts []string
		for _, k := range []recording.EventKind{recording.Output, recording.Input, recording.Mark, recording.Resize, recording.Exit} {
			if n := s.Kinds[k]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %c", n, k))
			}
		}
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "bytes:     %d output", s.Bytes)
	if s.FileBytes >= 0 {
		fmt.Fprintf(w, ", %d in the file", s.FileBytes)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "duration:  %s\n", secs(s.Duration))
	if h.Cols > 0 {
		fmt.Fprintf(w, "terminal:  %dx%d\n", h.Cols, h.Rows)
	} else {
		fmt.Fprintf(w, "terminal:  unknown\n")
	}
	if !h.StartedAt.IsZero() {
		fmt.Fprintf(w, "started:   %s\n", h.StartedAt.UTC().Format(time.RFC3339Nano))
	}
	if h.IdleLimit > 0 {
		fmt.Fprintf(w, "idle limit: %s\n", secs(h.IdleLimit))
	}
	if h.Title != "" {
		fmt.Fprintf(w, "title:     %s\n", h.Title)
	}
	if redacted(path) {
		fmt.Fprintf(w, "redacted:  yes: texts were masked after recording (runbook convert --redact)\n")
	}
	if h := handIndex(path); h != nil {
		printHand(w, h)
	}
	if len(s.Gaps) > 0 {
		fmt.Fprintf(w, "longest gaps:\n")
		for _, g := range s.Gaps {
			fmt.Fprintf(w, "  %10s before %s %d at %s\n", secs(g.Len), strings.TrimSuffix(unit, "s"), g.Before, secs(g.At))
		}
	}
	if !s.HasProblems() {
		fmt.Fprintf(w, "problems:  none\n")
		return
	}
	fmt.Fprintf(w, "problems:  %d\n", s.ProblemCount+btoi(s.Damage != nil))
	for _, p := range s.Problems {
		fmt.Fprintf(w, "  %s\n", p.Error())
	}
	if more := s.ProblemCount - len(s.Problems); more > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", more)
	}
	if s.Damage != nil && s.Damage.Kind == recording.ProblemEmpty {
		fmt.Fprintf(w, "  %s\n", s.Damage.Error())
	} else if s.Damage != nil {
		fmt.Fprintf(w, "  %s (read up to there)\n", s.Damage.Error())
	}
	for _, r := range repairs(path, s) {
		fmt.Fprintf(w, "repair:    %s\n", r)
	}
}

// repairs are the commands that mend what info found, each with what it
// does.
func repairs(path string, s *recording.Stats) []string {
	if path == "-" {
		return nil
	}
	var out []string
	if s.Damage != nil && s.Damage.Truncated {
		out = append(out, fmt.Sprintf("runbook convert %s %s   (keeps every whole frame)", path, path))
	}
	if s.IdleLimitRepair > 0 {
		out = append(out, fmt.Sprintf("runbook convert %s %s --idle-limit %s   (shortens the long pause, keeps every other)",
			path, path, s.IdleLimitRepair))
	}
	if s.SplitUTF8 > 0 {
		out = append(out, fmt.Sprintf("runbook convert %s %s   (re-frames the split characters)", path, path))
	}
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

type infoProblem struct {
	Kind      string `json:"kind"`
	Offset    *int64 `json:"offset,omitempty"`
	Line      int    `json:"line,omitempty"`
	Frame     *int   `json:"frame,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	Message   string `json:"message"`
}

type infoGap struct {
	Before int     `json:"before"`
	At     float64 `json:"at"`
	Len    float64 `json:"len"`
}

type infoJSON struct {
	File         string         `json:"file"`
	Format       string         `json:"format"`
	Frames       int            `json:"frames"`
	Kinds        map[string]int `json:"kinds,omitempty"`
	Bytes        int64          `json:"bytes"`
	FileBytes    *int64         `json:"file_bytes,omitempty"`
	Duration     float64        `json:"duration"`
	Cols         int            `json:"cols"`
	Rows         int            `json:"rows"`
	StartedAt    *time.Time     `json:"started_at,omitempty"`
	IdleLimit    float64        `json:"idle_limit,omitempty"`
	Title        string         `json:"title,omitempty"`
	Redacted     bool           `json:"redacted,omitempty"`
	Gaps         []infoGap      `json:"gaps"`
	ProblemCount int            `json:"problem_count"`
	Problems     []infoProblem  `json:"problems"`
	Repairs      []string       `json:"repairs,omitempty"`
}

func printInfoJSON(w io.Writer, path string, s *recording.Stats) {
	h := s.Header
	j := infoJSON{File: path, Format: h.Format, Frames: s.Frames, Bytes: s.Bytes, Duration: s.Duration.Seconds(),
		Cols: h.Cols, Rows: h.Rows, IdleLimit: h.IdleLimit.Seconds(), Title: h.Title, Gaps: []infoGap{}, Problems: []infoProblem{},
		Redacted: redacted(path)}
	if len(s.Kinds) > 0 {
		j.Kinds = map[string]int{}
		for k, n := range s.Kinds {
			j.Kinds[string(rune(k))] = n
		}
	}
	if s.FileBytes >= 0 {
		j.FileBytes = &s.FileBytes
	}
	if !h.StartedAt.IsZero() {
		t := h.StartedAt.UTC()
		j.StartedAt = &t
	}
	for _, g := range s.Gaps {
		j.Gaps = append(j.Gaps, infoGap{g.Before, g.At.Seconds(), g.Len.Seconds()})
	}
	add := func(p *recording.FormatError) {
		ip := infoProblem{Kind: p.Kind, Line: p.Line, Truncated: p.Truncated, Message: p.Error()}
		if p.Offset >= 0 {
			ip.Offset = &p.Offset
		}
		if p.Frame >= 0 {
			ip.Frame = &p.Frame
		}
		j.Problems = append(j.Problems, ip)
	}
	for _, p := range s.Problems {
		add(p)
	}
	j.ProblemCount = s.ProblemCount
	if s.Damage != nil {
		add(s.Damage)
		j.ProblemCount++
	}
	j.Repairs = repairs(path, s)
	b, _ := json.Marshal(j)
	fmt.Fprintf(w, "%s\n", b)
}
