package stdlib

import (
	"fmt"
	"strings"
)

// Every operation says what it makes true before it reads anything: its
// intent ("/etc/default/grub has the line GRUB_DEFAULT=0", "package
// xen-system-amd64 installed", "dnsmasq.service stopped and disabled").
// It needs no host, so `runbook steps`, the guide's pages, --step and
// --dry-run show it; then the operation reads the host and acts.

// Intent is what one operation makes true.
type Intent struct {
	// Op is the operation ("file.line").
	Op string
	// Text is the intent in one line.
	Text string
	// Path is the file the intent is about, when it is one.
	Path string
	// Lines are lines the file has afterwards (an edit), in order.
	Lines []string
	// Content is the whole content of a file written whole.
	Content string
	// Whole says Content is the file's whole content ("Create FILE with:").
	Whole bool
	// Mode is the mode asked for ("0644"), "" when kept.
	Mode string
}

// IntentSink is implemented by a Host that wants every operation's
// intent, before the operation reads the host.
type IntentSink interface {
	Intent(it Intent)
}

// intent hands the operation's intent to the host (masked: a secret in a
// line or a file is shown as ****).
func (o *op) intent(it Intent) {
	it.Op = o.name
	o.intentShown = true
	s, ok := o.m.host.(IntentSink)
	if !ok {
		return
	}
	it.Text = o.m.mask(it.Text)
	it.Content = o.m.mask(it.Content)
	for i := range it.Lines {
		it.Lines[i] = o.m.mask(it.Lines[i])
	}
	s.Intent(it)
}

// intentLine is file.line's intent.
func (o *op) intentLine(p string, s *lineSpec) {
	switch {
	case s.absent && s.re != nil:
		o.intent(Intent{Text: fmt.Sprintf("%s has no line matching %s", p, s.re), Path: p})
	case s.absent:
		o.intent(Intent{Text: fmt.Sprintf("%s does not have the line %s", p, s.line), Path: p})
	default:
		where := ""
		switch {
		case s.re != nil:
			where = " (in place of the lines matching " + s.re.String() + ")"
		case s.after != nil:
			where = " (after the line matching " + s.after.String() + ")"
		case s.before != nil:
			where = " (before the line matching " + s.before.String() + ")"
		}
		if s.re != nil && s.before != nil {
			where = " (in place of the lines matching " + s.re.String() + ", else before the line matching " + s.before.String() + ")"
		}
		o.intent(Intent{Text: fmt.Sprintf("%s has the line %s%s", p, s.line, where), Path: p, Lines: []string{s.line}})
	}
}

// quoted joins names for an intent: "a, b and c".
func quoted(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
