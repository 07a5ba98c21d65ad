// Package secret holds the values that must never appear in anything
// runbook writes or prints, and masks them: in clear and in every encoding
// a program or a format is likely to give them (JSON, Go and shell quoting,
// URL escaping, hex, base64 at any byte alignment, a terminal's CR LF), as
// whole strings or as a stream cut anywhere.
//
// Masked text reads "****". It imports the standard library only.
package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Mask is what a secret reads as wherever it is masked.
const Mask = "****"

// An encoded form (hex, base64) is masked when it is at least as long as
// the secret (up to 4 characters) and never shorter than 3: one or two
// hex or base64 characters are in every number and word. A secret's clear and quoted forms are
// masked at any length. So a 1-byte secret that a program prints in
// base64 cannot be told from other text: secrets should be long.
func minEncoded(v string) int { return max(3, min(len(v), 4)) }

// Value is one secret: its name (a parameter's, or one given to
// secret()), used where a command refers to it as a shell variable.
type Value struct {
	Name  string
	Value string
}

// Set is a set of secrets, safe for concurrent use. The zero value is
// empty and ready to use; a nil *Set masks nothing.
type Set struct {
	mu     sync.RWMutex
	values []Value
	forms  [][]byte // every form of every value, longest first
	gen    int      // bumped on every change, so streams refresh
}

// New returns a set holding values (unnamed).
func New(values ...string) *Set {
	s := &Set{}
	for _, v := range values {
		s.Add("", v)
	}
	return s
}

// Add puts v in the set under name (may be empty). An empty value is
// ignored; a value already there keeps its first name, unless it had none.
func (s *Set) Add(name, v string) {
	if s == nil || v == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.values {
		if x.Value == v {
			if x.Name == "" && name != "" {
				s.values[i].Name = name
			}
			return
		}
	}
	s.values = append(s.values, Value{Name: name, Value: v})
	seen := map[string]bool{}
	for _, f := range s.forms {
		seen[string(f)] = true
	}
	for _, f := range Forms(v) {
		if !seen[f] {
			seen[f] = true
			s.forms = append(s.forms, []byte(f))
		}
	}
	sort.SliceStable(s.forms, func(i, j int) bool { return len(s.forms[i]) > len(s.forms[j]) })
	s.gen++
}

// Values returns the secrets in the order they were added.
func (s *Set) Values() []Value {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Value(nil), s.values...)
}

// Len is the number of secrets.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values)
}

// snapshot returns the forms (never modified afterwards) and generation.
func (s *Set) snapshot() ([][]byte, int) {
	if s == nil {
		return nil, 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.forms, s.gen
}

// MaskString replaces every form of every secret in t by Mask.
func (s *Set) MaskString(t string) string {
	forms, _ := s.snapshot()
	for _, f := range forms {
		if strings.Contains(t, string(f)) {
			t = strings.ReplaceAll(t, string(f), Mask)
		}
	}
	return t
}

// MaskBytes is MaskString for bytes; it returns b itself when nothing
// needed masking.
func (s *Set) MaskBytes(b []byte) []byte {
	forms, _ := s.snapshot()
	return maskBytes(b, forms)
}

func maskBytes(b []byte, forms [][]byte) []byte {
	for _, f := range forms {
		if bytes.Contains(b, f) {
			b = bytes.ReplaceAll(b, f, []byte(Mask))
		}
	}
	return b
}

// Contains reports whether t holds any form of any secret.
func (s *Set) Contains(t string) bool {
	forms, _ := s.snapshot()
	for _, f := range forms {
		if strings.Contains(t, string(f)) {
			return true
		}
	}
	return false
}

// ContainsValue reports whether t holds a secret in clear.
func (s *Set) ContainsValue(t string) bool {
	for _, v := range s.Values() {
		if strings.Contains(t, v.Value) {
			return true
		}
	}
	return false
}

// Forms returns the texts that stand for v: v itself, v as a terminal
// shows it (LF as CR LF), quoted as JSON (with and without HTML escapes),
// Go, shell (single quotes, backslashes) and HTML write it, URL-escaped,
// and, when long enough to mean v, its hex and the base64 characters that
// v alone decides at each of the three byte alignments (standard and URL
// alphabets).
func Forms(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(f string, min int) {
		if len(f) >= min && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	add(v, 1)
	add(strings.ReplaceAll(v, "\n", "\r\n"), 1)
	add(jsonInner(v, false), 1)
	add(jsonInner(v, true), 1)
	q := strconv.Quote(v)
	add(q[1:len(q)-1], 1)
	q = strconv.QuoteToASCII(v)
	add(q[1:len(q)-1], 1)
	add(strings.ReplaceAll(v, "'", `'\''`), 1)
	add(strings.ReplaceAll(v, "'", `'"'"'`), 1)
	add(Backslashed(v), 1)
	add(strings.NewReplacer(`\`, `\\`, `/`, `\/`, `&`, `\&`, "\n", "\\\n").Replace(v), 1) // sed's s///
	add(regexp.QuoteMeta(v), 1)
	add(html.EscapeString(v), 1)
	add(url.QueryEscape(v), 1)
	add(url.PathEscape(v), 1)
	add(hex.EncodeToString([]byte(v)), minEncoded(v))
	add(strings.ToUpper(hex.EncodeToString([]byte(v))), minEncoded(v))
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for a := 0; a < 3; a++ {
			add(base64Core(enc, []byte(v), a), minEncoded(v))
		}
	}
	return out
}

func jsonInner(v string, escapeHTML bool) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(escapeHTML)
	_ = e.Encode(v)
	s := strings.TrimSpace(b.String())
	return s[1 : len(s)-1]
}

// Backslashed is v with every character a POSIX shell treats specially
// escaped by a backslash, as bash's printf %q writes plain text.
func Backslashed(v string) string {
	var b strings.Builder
	for _, r := range v {
		if strings.ContainsRune(" \t\n'\"\\$`!&|;<>()[]{}*?#~=%^,", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// base64Core is the run of base64 characters that only v's bits decide
// when v starts a bytes into a 3-byte group.
func base64Core(enc *base64.Encoding, v []byte, a int) string {
	buf := append(make([]byte, a), v...)
	s := enc.EncodeToString(buf)
	first := (8*a + 5) / 6       // first character wholly inside v
	last := (8*a + 8*len(v)) / 6 // one past the last one
	if last > len(s) {
		last = len(s)
	}
	if first >= last {
		return ""
	}
	return s[first:last]
}

var timestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)

// MaskJSON masks the string values of a JSON document (b), leaving its
// keys and structure alone, so that a short secret cannot break the
// document. Strings are masked as they are written in b (escaped), which
// Forms covers.
func (s *Set) MaskJSON(b []byte) []byte {
	forms, _ := s.snapshot()
	if len(forms) == 0 {
		return b
	}
	var out []byte
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(b) {
			break
		}
		k := j + 1
		for k < len(b) && (b[k] == ' ' || b[k] == '\n' || b[k] == '\t' || b[k] == '\r') {
			k++
		}
		if k < len(b) && b[k] == ':' { // a key
			i = j
			continue
		}
		body := b[i+1 : j]
		if timestamp.Match(body) {
			// A time the clock gave (started_at) holds no secret, and
			// a digit secret must not break it.
			i = j
			continue
		}
		if m := maskBytes(body, forms); !bytes.Equal(m, body) {
			out = append(out, b[last:i+1]...)
			out = append(out, m...)
			last = j
		}
		i = j
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
