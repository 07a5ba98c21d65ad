package guide

import (
	"fmt"
	"strings"
)

// What a reader of a step sees, in order: narration, the lines a file
// must have or the file written whole, what an operation makes true, and
// the commands that do it. Probes and state reads never reach a plan, so
// they never reach a page.

type blockKind int

const (
	proseBlock   blockKind = iota
	linesBlock             // "Edit FILE to have the following lines:"
	wholeBlock             // "Create or replace FILE with:"
	goalBlock              // "To have package x installed:"
	commandBlock           // the commands, with their outputs
)

type block struct {
	kind  blockKind
	text  string
	path  string
	lines []string
	cmds  []Item
}

// blocks groups a step's items for a reader: consecutive line edits of
// one file become one "Edit FILE to have the following lines" followed by
// their commands together.
func blocks(items []Item) []*block {
	var out []*block
	last := func() *block {
		if len(out) == 0 {
			return nil
		}
		return out[len(out)-1]
	}
	for _, it := range items {
		switch {
		case it.Comment != "":
			out = append(out, &block{kind: proseBlock, text: strings.TrimSpace(it.Comment)})
		case it.Intent != nil && len(it.Intent.Lines) > 0 && !it.Intent.Whole:
			// The same file as the edit just before: one list of lines.
			if n := len(out); n >= 1 {
				var lb *block
				switch {
				case out[n-1].kind == linesBlock:
					lb = out[n-1]
				case n >= 2 && out[n-1].kind == commandBlock && out[n-2].kind == linesBlock:
					lb = out[n-2]
				}
				if lb != nil && lb.path == it.Intent.Path {
					lb.lines = append(lb.lines, it.Intent.Lines...)
					continue
				}
			}
			out = append(out, &block{kind: linesBlock, path: it.Intent.Path, lines: append([]string(nil), it.Intent.Lines...)})
		case it.Intent != nil && it.Intent.Whole:
			out = append(out, &block{kind: wholeBlock, path: it.Intent.Path, text: it.Intent.Text})
		case it.Intent != nil:
			out = append(out, &block{kind: goalBlock, text: it.Intent.Text, path: it.Intent.Path})
		case it.Command != "":
			if b := last(); b != nil && b.kind == commandBlock {
				b.cmds = append(b.cmds, it)
			} else {
				out = append(out, &block{kind: commandBlock, cmds: []Item{it}})
			}
		}
	}
	return out
}

// lead is the sentence that introduces a block of a file or a goal.
func (b *block) lead() string {
	switch b.kind {
	case linesBlock:
		if len(b.lines) == 1 {
			return fmt.Sprintf("Edit `%s` to have the following line:", b.path)
		}
		return fmt.Sprintf("Edit `%s` to have the following lines:", b.path)
	case wholeBlock:
		return fmt.Sprintf("Create or replace `%s` with exactly this content:", b.path)
	case goalBlock:
		return "To have " + b.text + ":"
	}
	return b.text
}

// FoldLines is how long an output may be before a page folds it: the
// first FoldHead lines, then "… N more lines".
const (
	FoldLines = 12
	FoldHead  = 6
)

// fold returns the output as shown in the console block, and the whole
// output when it was folded ("" otherwise).
func fold(out string) (shown, whole string) {
	lines := strings.Split(out, "\n")
	if len(lines) <= FoldLines {
		return out, ""
	}
	head := append([]string{}, lines[:FoldHead]...)
	head = append(head, fmt.Sprintf("… %d more lines", len(lines)-FoldHead))
	return strings.Join(head, "\n"), out
}

// verifiedText is the box's text, as sentences.
func verifiedText(v *Verified) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Verified by running this runbook on %s", v.Host)
	if v.OS != "" {
		fmt.Fprintf(&b, " (%s)", v.OS)
	}
	if v.Date != "" {
		fmt.Fprintf(&b, " on %s", v.Date)
	}
	b.WriteString("; the recording at the end of the page is that run.")
	if len(v.NotExercised) > 0 {
		b.WriteString(" Not exercised there: " + strings.Join(v.NotExercised, "; ") + ".")
	}
	if len(v.Differs) > 0 || len(v.Set) > 0 {
		b.WriteString(" This page shows the runbook's own defaults")
		if len(v.Set) > 0 {
			b.WriteString(", except " + strings.Join(v.Set, ", "))
		}
		if len(v.Differs) > 0 {
			b.WriteString("; the recorded run differed: " + strings.Join(v.Differs, "; "))
		}
		b.WriteString(".")
	}
	return b.String()
}
