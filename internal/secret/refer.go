package secret

import (
	"fmt"
	"sort"
	"strings"
)

// Secret values never travel as typed text. A command that holds one is
// rewritten so that the session's bash expands it from a shell variable
// (defined out of sight by the engine's shell driver): `${pw}`, quoted for where it
// stands, so that the command typed, recorded and shown is the one a
// person would type, and pasting it elsewhere works once the variable is
// set. A form the rewrite cannot reach (a secret inside a sed expression,
// say) is refused by Refer rather than typed.

// Ref is a secret a command refers to: the variable and its value.
type Ref struct {
	Var, Value string
}

// RefusedError reports a command that would type a secret in a form no
// shell variable can stand for.
type RefusedError struct{ Var string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the command holds secret %s in a form runbook cannot pass as a variable (escaped, encoded or inside a quoted word it cannot split); give the value through env= or a file operation", e.Var)
}

// Refer rewrites cmd so that none of refs' values is typed: each becomes
// a reference to its variable. It returns the new command and the
// variables it uses, or a *RefusedError when a secret would still be
// typed. set, when non-nil, is asked at the end whether any form of any
// secret remains.
func Refer(cmd string, refs []Ref, set *Set) (string, []string, error) {
	refs = append([]Ref(nil), refs...)
	sort.SliceStable(refs, func(i, j int) bool { return len(refs[i].Value) > len(refs[j].Value) })
	hit := false
	for _, r := range refs {
		if r.Value != "" && (strings.Contains(cmd, r.Value) || strings.Contains(cmd, sqInner(r.Value)) || strings.Contains(cmd, dqInner(r.Value))) {
			hit = true
		}
	}
	if !hit {
		if set != nil && set.Contains(cmd) {
			return "", nil, &RefusedError{Var: nameOfAny(refs, cmd, set)}
		}
		return cmd, nil, nil
	}
	l := &referrer{src: cmd, refs: refs, used: map[string]bool{}}
	out := l.run()
	if set != nil && set.Contains(out) {
		return "", nil, &RefusedError{Var: nameOfAny(refs, out, set)}
	}
	var used []string
	for _, r := range refs {
		if l.used[r.Var] {
			used = append(used, r.Var)
		}
	}
	return out, used, nil
}

func nameOfAny(refs []Ref, s string, set *Set) string {
	for _, r := range refs {
		for _, f := range Forms(r.Value) {
			if strings.Contains(s, f) {
				return r.Var
			}
		}
	}
	return "(unnamed)"
}

func sqInner(v string) string { return strings.ReplaceAll(v, "'", `'\''`) }

func dqInner(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`")
	return r.Replace(v)
}

type hdoc struct {
	delim   string
	quoted  bool
	strip   bool
	wordAt  int // where the delimiter word starts in out, and ends
	wordEnd int
}

type referrer struct {
	src  string
	refs []Ref
	out  []byte
	used map[string]bool
}

// match returns the ref whose form (one of forms(value)) starts src at i.
func (l *referrer) match(i int, forms func(string) []string) (Ref, int) {
	for _, r := range l.refs {
		if r.Value == "" {
			continue
		}
		for _, f := range forms(r.Value) {
			if f != "" && strings.HasPrefix(l.src[i:], f) {
				return r, len(f)
			}
		}
	}
	return Ref{}, 0
}

func (l *referrer) ref(r Ref, quoted string) {
	l.used[r.Var] = true
	l.out = append(l.out, quoted...)
}

func (l *referrer) run() string {
	src := l.src
	var pending []hdoc
	wordStart := true
	for i := 0; i < len(src); {
		c := src[i]
		if r, n := l.match(i, func(v string) []string {
			return []string{v, Backslashed(v), "'" + sqInner(v) + "'", `"` + dqInner(v) + `"`}
		}); n > 0 {
			l.ref(r, `"${`+r.Var+`}"`)
			i += n
			wordStart = false
			continue
		}
		switch {
		case c == '\\' && i+1 < len(src):
			l.out = append(l.out, src[i:i+2]...)
			i += 2
			wordStart = false
		case c == '\'':
			l.out = append(l.out, c)
			i = l.quoted(i+1, '\'', func(v string) []string { return []string{sqInner(v)} }, `'"${%s}"'`)
			wordStart = false
		case c == '$' && i+1 < len(src) && src[i+1] == '\'':
			l.out = append(l.out, '$', '\'')
			i = l.quoted(i+2, '\'', func(v string) []string {
				if strings.ContainsAny(v, `'\`) {
					return nil
				}
				return []string{v}
			}, `'"${%s}"$'`)
			wordStart = false
		case c == '"':
			l.out = append(l.out, c)
			i = l.quoted(i+1, '"', func(v string) []string { return []string{dqInner(v), v} }, `${%s}`)
			wordStart = false
		case c == '#' && wordStart:
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			l.out = append(l.out, l.maskPlain(src[i:i+j])...)
			i += j
		case c == '<' && strings.HasPrefix(src[i:], "<<") && !strings.HasPrefix(src[i:], "<<<"):
			h := hdoc{}
			j := i + 2
			if j < len(src) && src[j] == '-' {
				h.strip = true
				j++
			}
			for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
			l.out = append(l.out, src[i:j]...)
			k := j
			for k < len(src) && !strings.ContainsRune(" \t\n;&|<>()", rune(src[k])) {
				if src[k] == '\'' || src[k] == '"' {
					q := src[k]
					e := strings.IndexByte(src[k+1:], q)
					if e < 0 {
						k = len(src)
						break
					}
					k += e + 2
					continue
				}
				if src[k] == '\\' {
					k++
				}
				k++
			}
			k = min(k, len(src))
			word := src[j:k]
			h.quoted = strings.ContainsAny(word, `'"\`)
			h.delim = strings.NewReplacer(`'`, "", `"`, "", `\`, "").Replace(word)
			h.wordAt = len(l.out)
			l.out = append(l.out, word...)
			h.wordEnd = len(l.out)
			pending = append(pending, h)
			i = k
			wordStart = false
		case c == '\n' && len(pending) > 0:
			l.out = append(l.out, '\n')
			i++
			for _, h := range pending {
				i = l.heredoc(i, h)
			}
			pending = nil
			wordStart = true
		default:
			l.out = append(l.out, c)
			i++
			wordStart = strings.IndexByte(" \t\n;&|()", c) >= 0
		}
	}
	return string(l.out)
}

// quoted copies a quoted string starting at i (after its opening quote)
// up to and including the closing quote q, replacing secrets' forms with
// the reference format refFmt.
func (l *referrer) quoted(i int, q byte, forms func(string) []string, refFmt string) int {
	src := l.src
	for i < len(src) {
		if r, n := l.match(i, forms); n > 0 {
			l.ref(r, fmt.Sprintf(refFmt, r.Var))
			i += n
			continue
		}
		c := src[i]
		if c == '\\' && q == '"' && i+1 < len(src) {
			l.out = append(l.out, src[i:i+2]...)
			i += 2
			continue
		}
		if c == '\\' && q == '\'' && i+1 < len(src) && l.out != nil && isANSIC(l.out) {
			l.out = append(l.out, src[i:i+2]...)
			i += 2
			continue
		}
		l.out = append(l.out, c)
		i++
		if c == q {
			return i
		}
	}
	return i
}

// isANSIC is a guess good enough for escapes: the quoted string being
// copied began with $'.
func isANSIC(out []byte) bool {
	j := len(out) - 1
	for j >= 0 && out[j] != '\'' {
		j--
	}
	return j > 0 && out[j-1] == '$'
}

// heredoc copies the body of h starting at i, through its delimiter line.
// A body holding a secret refers to it; a quoted body that holds one
// becomes an unquoted heredoc with everything else escaped.
func (l *referrer) heredoc(i int, h hdoc) int {
	src := l.src
	end, bodyEnd := len(src), len(src)
	for j := i; j < len(src); {
		e := strings.IndexByte(src[j:], '\n')
		line := src[j:]
		next := len(src)
		if e >= 0 {
			line, next = src[j:j+e], j+e+1
		}
		cmp := line
		if h.strip {
			cmp = strings.TrimLeft(line, "\t")
		}
		if cmp == h.delim {
			bodyEnd, end = j, next
			break
		}
		j = next
	}
	body := src[i:bodyEnd]
	has := false
	for _, r := range l.refs {
		if r.Value != "" && strings.Contains(body, r.Value) {
			has = true
		}
	}
	switch {
	case !has:
		l.out = append(l.out, body...)
	case !h.quoted:
		for k := 0; k < len(body); {
			if r, n := l.matchIn(body, k); n > 0 {
				l.ref(r, "${"+r.Var+"}")
				k += n
				continue
			}
			l.out = append(l.out, body[k])
			k++
		}
	default:
		// Unquote the delimiter; escape what an unquoted body expands.
		word := []byte(h.delim)
		l.out = append(l.out[:h.wordAt], append(word, l.out[h.wordEnd:]...)...)
		for k := 0; k < len(body); {
			if r, n := l.matchIn(body, k); n > 0 {
				l.ref(r, "${"+r.Var+"}")
				k += n
				continue
			}
			if c := body[k]; c == '\\' || c == '$' || c == '`' {
				l.out = append(l.out, '\\')
			}
			l.out = append(l.out, body[k])
			k++
		}
	}
	l.out = append(l.out, src[bodyEnd:end]...)
	return end
}

func (l *referrer) matchIn(body string, k int) (Ref, int) {
	for _, r := range l.refs {
		if r.Value != "" && strings.HasPrefix(body[k:], r.Value) {
			return r, len(r.Value)
		}
	}
	return Ref{}, 0
}

// maskPlain masks secrets in inert text (a comment).
func (l *referrer) maskPlain(s string) string {
	for _, r := range l.refs {
		if r.Value != "" {
			s = strings.ReplaceAll(s, r.Value, Mask)
		}
	}
	return s
}
