package recording

import (
	"fmt"
	"strings"
)

// FormatError reports damage in a recording: where it is (a byte offset for
// binary formats, a line for text ones) and whether the file was cut short.
// Readers return it from Next after every whole event before the damage, and
// also use it for problems they recovered from (see Problems).
type FormatError struct {
	Name   string // file name as given to the reader ("-" for stdin)
	Format string // "ttyrec", "asciicast-v2", ...
	// Offset is the byte offset of the damage, or -1 when lines are used.
	Offset int64
	// Line is the 1-based line of the damage (text formats), or 0.
	Line int
	// Frame is the 0-based frame or event the problem belongs to, or -1.
	Frame int
	// Truncated is true when the file ends in the middle of a frame or line.
	Truncated bool
	// Kind classifies the problem (see the Problem* constants).
	Kind string
	Msg  string
	Err  error
}

// Problem kinds.
const (
	ProblemTruncated  = "truncated"   // the file ends inside a frame or line
	ProblemDamaged    = "damaged"     // bytes that are not the format
	ProblemBackwards  = "backwards"   // a stamp earlier than the one before it
	ProblemBadUsec    = "bad-usec"    // a ttyrec usec field ≥ 1e6
	ProblemZeroLength = "zero-length" // a ttyrec frame with no payload
	ProblemBadLine    = "bad-line"    // an asciicast line that is not valid JSON (skipped)
	ProblemRepaired   = "repaired"    // invalid JSON that was repaired and read
	// ProblemEmpty: a file with no bytes at all (a recording that never
	// started): not sound, and nothing to read.
	ProblemEmpty = "empty"
	// ProblemUnrecognised: bytes that are no format this package reads.
	ProblemUnrecognised = "unrecognised"
	ProblemSplitUTF8    = "split-utf8" // a UTF-8 character split across two frames
	ProblemLongGap      = "long-gap"   // one pause far longer than every other
)

func (e *FormatError) Error() string {
	var b strings.Builder
	if e.Name != "" {
		b.WriteString(e.Name)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Format != "" {
		b.WriteString(e.Format)
		b.WriteString(": ")
	}
	if e.Offset >= 0 && e.Line == 0 {
		if e.Truncated {
			fmt.Fprintf(&b, "cut at byte %d: ", e.Offset)
		} else {
			fmt.Fprintf(&b, "at byte %d: ", e.Offset)
		}
	} else if e.Truncated {
		b.WriteString("cut short: ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// Fatal reports whether the problem ended the reading (truncation or
// damage) rather than being read past.
func (e *FormatError) Fatal() bool {
	return e.Kind == ProblemTruncated || e.Kind == ProblemDamaged || e.Kind == ProblemEmpty || e.Kind == ProblemUnrecognised
}

// maxProblems bounds the problems a reader keeps, so a file with millions of
// odd frames still reads in constant memory; the count goes on.
const maxProblems = 100

// problemList keeps the first maxProblems problems and counts the rest.
type problemList struct {
	list  []*FormatError
	total int
}

func (p *problemList) add(e *FormatError) {
	p.total++
	if len(p.list) < maxProblems {
		p.list = append(p.list, e)
	}
}

// ProblemReporter is implemented by readers that read past problems
// (repaired or skipped lines, odd stamps): Problems returns the first ones
// seen so far and how many there were in all.
type ProblemReporter interface {
	Problems() (first []*FormatError, total int)
}

// Problems returns the problems r read past, if it reports them.
func Problems(r EventReader) (first []*FormatError, total int) {
	if p, ok := r.(ProblemReporter); ok {
		return p.Problems()
	}
	return nil, 0
}
