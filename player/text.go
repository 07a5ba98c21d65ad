package player

import (
	"regexp"
	"strings"
)

// PlainText strips terminal control sequences from output, keeping the
// text a person would read in order (including text that later scrolled
// off the screen): CR LF becomes LF, a lone CR and other controls vanish.
func PlainText(b []byte) string {
	var out strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == 0x1b && i+1 < len(b):
			i++
			switch b[i] {
			case '[':
				for i+1 < len(b) && !(b[i+1] >= 0x40 && b[i+1] <= 0x7e) {
					i++
				}
				i++
			case ']', 'P', '_', '^', 'X':
				for i+1 < len(b) && b[i+1] != 0x07 && !(b[i+1] == 0x1b && i+2 < len(b) && b[i+2] == '\\') {
					i++
				}
				if i+1 < len(b) && b[i+1] == 0x07 {
					i++
				} else {
					i += 2
				}
			case '(', ')', '*', '+', '#', '%':
				i++
			}
		case c == '\n' || c == '\t':
			out.WriteByte(c)
		case c < 0x20 || c == 0x7f:
		default:
			out.WriteByte(c)
		}
	}
	return out.String()
}

// builtinNormalize blanks out what changes from run to run, so goldens and
// expectations compare what matters. Order matters: UUIDs before numbers.
// No pattern matches a newline: they apply line by line.
var builtinNormalize = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), "<UUID>"},
	{regexp.MustCompile(`(?i)\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b`), "<MAC>"},
	{regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b`), "<TIME>"},
	{regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d+ \d{2}:\d{2}:\d{2}( [A-Z]{3,4})?( \d{4})?`), "<TIME>"},
	{regexp.MustCompile(`\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d+ +(\d{2}:\d{2}|\d{4})\b`), "<TIME>"},
	{regexp.MustCompile(`\b\d{1,2}:\d{2}:\d{2}(\.\d+)?\b`), "<TIME>"},
	{regexp.MustCompile(`\b\d+(\.\d+)?[ \t]?(ns|µs|us|ms|s|sec|secs|seconds|m|min|h)\b`), "<DURATION>"},
	{regexp.MustCompile(`\b\d+m\d+(\.\d+)?s\b`), "<DURATION>"},
	{regexp.MustCompile(`(?i)\b(pid|process)[ =:]+\d+`), "$1 <PID>"},
	{regexp.MustCompile(`\[\d{2,}\]`), "[<PID>]"},
}

// Normalizer rewrites text for comparison: the runbook's own patterns
// (each regexp's matches become <NORMALIZED>), then the built-in ones.
// The built-in ones apply line by line, and a line seen before is not
// matched again: a recording's screens share most of their lines.
// A Normalizer is not safe for concurrent use.
type Normalizer struct {
	extra []*regexp.Regexp
	seen  map[string]string
}

// NewNormalizer compiles the runbook's normalize patterns.
func NewNormalizer(patterns []string) (*Normalizer, error) {
	n := &Normalizer{}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, err
		}
		n.extra = append(n.extra, re)
	}
	return n, nil
}

// Apply normalises s.
func (n *Normalizer) Apply(s string) string {
	for _, re := range n.extra {
		s = re.ReplaceAllString(s, "<NORMALIZED>")
	}
	var out strings.Builder
	out.Grow(len(s))
	for len(s) > 0 {
		line, rest, nl := strings.Cut(s, "\n")
		out.WriteString(n.line(line))
		if nl {
			out.WriteByte('\n')
		}
		s = rest
	}
	return out.String()
}

// line applies the built-in patterns to one line, remembering the
// result for lines that come again (up to a bound).
func (n *Normalizer) line(l string) string {
	if r, ok := n.seen[l]; ok {
		return r
	}
	r := l
	for _, b := range builtinNormalize {
		r = b.re.ReplaceAllString(r, b.with)
	}
	if n.seen == nil {
		n.seen = map[string]string{}
	}
	if len(n.seen) < 1<<16 {
		n.seen[l] = r
	}
	return r
}

// squeeze collapses runs of whitespace, so an expected text still matches
// when the terminal wrapped or padded it.
func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }
