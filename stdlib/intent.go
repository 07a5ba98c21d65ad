package stdlib

import (
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellquote"
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
	if len(it.Lines) > 0 {
		// Masked together: a secret may span lines.
		it.Lines = strings.Split(o.m.mask(strings.Join(it.Lines, "\n")), "\n")
	}
	s.Intent(it)
}

// intentLine is file.line's intent.
func (o *op) intentLine(p string, s *lineSpec) {
	switch {
	case s.absent && s.re != nil:
		o.intent(Intent{Text: fmt.Sprintf("%s without lines matching %s", p, s.re), Path: p})
	case s.absent:
		o.intent(Intent{Text: fmt.Sprintf("%s without the line %s", p, s.line), Path: p})
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
		if s.noAdd {
			where = " (in place of the lines matching " + s.re.String() + ", where there are any)"
		}
		if s.ifExists {
			where += " (where the file exists)"
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

// Planner is implemented by a Host that only lists a runbook (runbook
// steps, runbook doc): Planning reports whether this is such a listing.
// Operations then read nothing; each says its intent and types the
// command it would type on a host that needs the change.
type Planner interface {
	Planning() bool
}

func (o *op) planning() bool {
	p, ok := o.m.host.(Planner)
	return ok && p.Planning()
}

// planned ends an operation in a listing: it types cmds (those not "")
// as it would where the change is needed, and counts as a change. It
// reports false outside a listing, where the operation goes on.
func (o *op) planned(notify []*handler, cmds ...string) bool {
	if !o.planning() {
		return false
	}
	for _, c := range cmds {
		if c != "" {
			o.run(c, RunOptions{})
		}
	}
	o.done(true, notify)
	return true
}

// attrsTyped are the chmod and chown an operation asked for, as typed.
func attrsTyped(a attrs, p string) []string {
	var out []string
	if a.mode >= 0 {
		out = append(out, fmt.Sprintf("chmod %04o %s", a.mode, shellquote.Quote(p)))
	}
	if a.owner != "" || a.group != "" {
		own := a.owner
		if a.group != "" {
			own += ":" + a.group
		}
		out = append(out, "chown "+shellquote.Quote(own)+" "+shellquote.Quote(p))
	}
	return out
}

// withAttrs is cmd followed by the attributes asked for; a heredoc keeps
// them on its first line.
func withAttrs(cmd string, a attrs, p string) string {
	rest := attrsTyped(a, p)
	if len(rest) == 0 {
		return cmd
	}
	if i := strings.IndexByte(cmd, '\n'); i >= 0 {
		return cmd[:i] + " && " + strings.Join(rest, " && ") + cmd[i:]
	}
	return cmd + " && " + strings.Join(rest, " && ")
}

// modeText is " (mode 0600, owner root:root)" for the attributes asked for.
func modeText(a attrs) string {
	var parts []string
	if a.mode >= 0 {
		parts = append(parts, fmt.Sprintf("mode %04o", a.mode))
	}
	if a.owner != "" || a.group != "" {
		parts = append(parts, "owner "+strings.Trim(a.owner+":"+a.group, ":"))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// wholeIntent is the intent of a file written whole.
func (o *op) wholeIntent(p string, content []byte, a attrs, from string) {
	n := strings.Count(string(content), "\n")
	if len(content) > 0 && content[len(content)-1] != '\n' {
		n++
	}
	text := fmt.Sprintf("%s has exactly the %d lines below%s", p, n, modeText(a))
	if from != "" {
		text = fmt.Sprintf("%s has the content of %s on this machine%s", p, from, modeText(a))
	}
	if !heredocSafe(content) && len(content) > 0 {
		text = fmt.Sprintf("%s has exactly the %d bytes given%s", p, len(content), modeText(a))
	}
	m := ""
	if a.mode >= 0 {
		m = fmt.Sprintf("%04o", a.mode)
	}
	o.intent(Intent{Text: text, Path: p, Content: string(content), Whole: true, Mode: m})
}
