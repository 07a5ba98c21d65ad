package main

import (
	"regexp"

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
