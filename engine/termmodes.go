package engine

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// termModes follows the DEC private modes a session's commands set on the
// terminal that a user's own terminal keeps after the run: the alternate
// screen, a hidden cursor, line wrap off, application keys, mouse
// reporting. At the end of a run the modes still set are put back, on the
// recording and on the user's display alike.
type termModes struct {
	set   map[int]bool // mode → set (true) or reset (false) by the session
	carry []byte       // an escape sequence cut between two writes
}

// modeSeq matches CSI ? Pm h and CSI ? Pm l.
var modeSeq = regexp.MustCompile(`\x1b\[\?([0-9;]+)([hl])`)

// watched modes, with the value a terminal starts with and the name the
// index gives them.
var watched = []struct {
	mode    int
	initial bool
	name    string
}{
	{1049, false, "alternate screen"},
	{1047, false, "alternate screen"},
	{47, false, "alternate screen"},
	{25, true, "cursor"},
	{7, true, "line wrap"},
	{1, false, "application cursor keys"},
	{1000, false, "mouse reporting"},
	{1002, false, "mouse reporting"},
	{1003, false, "mouse reporting"},
	{1006, false, "mouse reporting"},
}

func (m *termModes) watch(p []byte) {
	b := p
	if len(m.carry) > 0 {
		b = append(m.carry, p...)
		m.carry = nil
	}
	if !bytes.Contains(b, modePrefix) {
		// Most output sets no mode: skip the regexp.
		m.keepUnfinished(b)
		return
	}
	for rest := b; ; {
		i := bytes.Index(rest, modePrefix)
		if i < 0 {
			break
		}
		rest = rest[i+len(modePrefix):]
		params, on, ok := modeParams(rest)
		if !ok {
			continue
		}
		for len(params) > 0 {
			f := params
			if j := bytes.IndexByte(params, ';'); j >= 0 {
				f, params = params[:j], params[j+1:]
			} else {
				params = nil
			}
			n, err := strconv.Atoi(string(f))
			if err != nil {
				continue
			}
			for _, w := range watched {
				if w.mode == n {
					if m.set == nil {
						m.set = map[int]bool{}
					}
					m.set[n] = on
				}
			}
		}
	}
	m.keepUnfinished(b)
}

// modeParams reads what follows CSI ? in b as modeSeq does: the
// parameters (digits and semicolons, at least one) and whether the final
// byte sets (h) or resets (l) them.
func modeParams(b []byte) (params []byte, on, ok bool) {
	i := 0
	for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == ';') {
		i++
	}
	if i == 0 || i == len(b) || b[i] != 'h' && b[i] != 'l' {
		return nil, false, false
	}
	return b[:i], b[i] == 'h', true
}

// modePrefix starts every sequence modeSeq matches.
var modePrefix = []byte("\x1b[?")

// keepUnfinished keeps a sequence b ends with, unfinished, for the next
// write: an ESC in b's last 23 bytes (only its tail is searched: a chunk
// of output may be megabytes).
func (m *termModes) keepUnfinished(b []byte) {
	from := max(0, len(b)-23)
	if i := bytes.LastIndexByte(b[from:], 0x1b); i >= 0 {
		i += from
		if !modeSeq.Match(b[i:]) && !finalByte(b[i+1:]) {
			m.carry = append([]byte(nil), b[i:]...)
		}
	}
}

// finalByte reports whether a CSI sequence after its ESC has ended.
func finalByte(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] != '[' {
		return true // not a CSI: nothing of ours
	}
	for _, c := range b[1:] {
		if c >= 0x40 && c <= 0x7e {
			return true
		}
	}
	return false
}

// restore returns the bytes that put every watched mode the session left
// changed back as a terminal starts, and what they restore (nil when
// nothing needs it). Leaving the alternate screen comes first, so the
// cursor and wrap apply to the user's own screen.
func (m *termModes) restore() (seq string, what []string) {
	var b strings.Builder
	seen := map[string]bool{}
	for _, w := range watched {
		on, ok := m.set[w.mode]
		if !ok || on == w.initial {
			continue
		}
		flag := byte('l')
		if w.initial {
			flag = 'h'
		}
		b.WriteString("\x1b[?" + strconv.Itoa(w.mode) + string(flag))
		if !seen[w.name] {
			seen[w.name] = true
			what = append(what, w.name)
		}
	}
	return b.String(), what
}
