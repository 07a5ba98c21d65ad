// Package cmdline reads a shell command line as a person typed it into
// its simple commands: words with their quotes removed, redirections and
// heredoc bodies. It is what `runbook rec` uses to see which files a
// command edits and what `runbook draft` uses to recognise a command. It
// reads; it never expands: a word holding a variable, a command
// substitution or a glob is marked as not literal.
//
// It imports the standard library only.
package cmdline

import "strings"

// Simple is one simple command of a command line.
type Simple struct {
	// Words are its words, quotes removed (variables left as written).
	Words []string
	// Literal says, per word, that it means exactly what Words holds:
	// no unquoted or double-quoted $ or backtick, no unquoted glob.
	Literal []bool
	// Out are its output redirections (> and >>, any descriptor).
	Out []Redirect
	// Heredoc is the body of a << heredoc given to it (nil: none);
	// HeredocLiteral says its delimiter was quoted (no expansion).
	Heredoc        *string
	HeredocLiteral bool
	// Sep is what follows it: ";", "&&", "||", "|", "&", "(" or ")" ,
	// "\n", or "" at the end.
	Sep string
}

// Redirect is one output redirection.
type Redirect struct {
	Append  bool
	Target  string
	Literal bool
}

// Name is the command's name: its first word after leading VAR=value
// assignments and sudo (with sudo's options), "" when there is none.
func (s Simple) Name() string {
	i := s.Start()
	if i < len(s.Words) {
		return s.Words[i]
	}
	return ""
}

// Sudo reports whether the command runs through sudo.
func (s Simple) Sudo() bool {
	for _, w := range s.Words {
		if w == "sudo" {
			return true
		}
		if !isAssign(w) {
			return false
		}
	}
	return false
}

// Start is the index in Words of the command's name (see Name).
func (s Simple) Start() int {
	i := 0
	for i < len(s.Words) && isAssign(s.Words[i]) {
		i++
	}
	if i < len(s.Words) && s.Words[i] == "sudo" {
		i++
		for i < len(s.Words) && strings.HasPrefix(s.Words[i], "-") {
			if w := s.Words[i]; w == "-u" || w == "-g" || w == "-C" || w == "-D" || w == "-h" || w == "-p" || w == "-U" || w == "-r" || w == "-t" {
				i++ // an option with a value
			}
			i++
		}
		for i < len(s.Words) && isAssign(s.Words[i]) {
			i++
		}
	}
	return i
}

// Args are the words after the command's name.
func (s Simple) Args() []string {
	i := s.Start()
	if i+1 > len(s.Words) {
		return nil
	}
	return s.Words[i+1:]
}

// AllLiteral reports whether every word and redirection is literal.
func (s Simple) AllLiteral() bool {
	for _, l := range s.Literal {
		if !l {
			return false
		}
	}
	for _, r := range s.Out {
		if !r.Literal {
			return false
		}
	}
	return true
}

func isAssign(w string) bool {
	i := strings.IndexByte(w, '=')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := w[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Parse splits a command line (several lines when it holds a heredoc, a
// quoted newline or a compound command) into its simple commands. Keywords
// of compound commands (if, for, while, do, done...) are words like any
// other: a caller that sees one knows the line is not one simple command.
func Parse(line string) []Simple {
	p := &parser{s: line}
	p.run()
	return p.out
}

type parser struct {
	s   string
	i   int
	out []Simple
	cur Simple
	// word being read
	word    strings.Builder
	inWord  bool
	literal bool
	// redirection waiting for its target
	redir *Redirect
	// heredocs waiting for their body at the next newline
	pending []pendingDoc
}

type pendingDoc struct {
	cmd     int // index in out of the command, or -1: the current one
	delim   string
	strip   bool
	literal bool
	target  *Simple
}

func (p *parser) run() {
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ' ' || c == '\t':
			p.endWord()
			p.i++
		case c == '\n':
			p.endWord()
			p.endCmd("\n")
			p.i++
			p.readHeredocs()
		case c == '#' && !p.inWord:
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		case c == ';' || c == '&' || c == '|' || c == '(' || c == ')':
			if c == '&' && p.i+1 < len(p.s) && p.s[p.i+1] == '>' {
				// &> FILE: both outputs.
				p.endWord()
				p.i += 2
				p.startRedir(false)
				continue
			}
			if c == '&' && p.inWord && strings.HasSuffix(p.word.String(), ">") {
				// 2>&1 and the like: a descriptor, not a file.
				p.word.WriteByte(c)
				p.i++
				continue
			}
			p.endWord()
			sep := string(c)
			if p.i+1 < len(p.s) && (c == '&' || c == '|' || c == ';') && p.s[p.i+1] == c {
				sep += string(c)
			}
			p.i += len(sep)
			p.endCmd(sep)
		case c == '>' || c == '<':
			p.redirect()
		default:
			p.wordChar()
		}
	}
	p.endWord()
	p.endCmd("")
}

// redirect reads a redirection operator at p.i; a descriptor number
// typed just before it is part of it, not a word.
func (p *parser) redirect() {
	if p.inWord {
		w := p.word.String()
		if isDigits(w) {
			p.word.Reset()
			p.inWord = false
		} else {
			p.endWord()
		}
	}
	c := p.s[p.i]
	if c == '<' {
		if strings.HasPrefix(p.s[p.i:], "<<<") {
			p.i += 3
			p.startRedir(true) // a here-string: its word is no file
			p.redir = &Redirect{Target: "\x00"}
			return
		}
		if strings.HasPrefix(p.s[p.i:], "<<") {
			p.i += 2
			strip := false
			if p.i < len(p.s) && p.s[p.i] == '-' {
				strip = true
				p.i++
			}
			for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
				p.i++
			}
			delim, quoted := p.readRawWord()
			p.pending = append(p.pending, pendingDoc{cmd: -1, delim: delim, strip: strip, literal: quoted})
			return
		}
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '&' || p.s[p.i] == '>') {
			p.i++
		}
		p.redir = &Redirect{Target: "\x00"} // input: read its word, drop it
		return
	}
	app := strings.HasPrefix(p.s[p.i:], ">>")
	if app {
		p.i += 2
	} else {
		p.i++
		if p.i < len(p.s) && p.s[p.i] == '|' {
			p.i++
		}
	}
	if p.i < len(p.s) && p.s[p.i] == '&' {
		// >&2: a descriptor.
		p.i++
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '-') {
			p.i++
		}
		return
	}
	p.startRedir(app)
}

func (p *parser) startRedir(app bool) {
	p.redir = &Redirect{Append: app}
}

// readRawWord reads a heredoc delimiter: quotes removed, and whether any
// part of it was quoted.
func (p *parser) readRawWord() (string, bool) {
	var b strings.Builder
	quoted := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\'' || c == '"':
			quoted = true
			j := strings.IndexByte(p.s[p.i+1:], c)
			if j < 0 {
				b.WriteString(p.s[p.i+1:])
				p.i = len(p.s)
				return b.String(), quoted
			}
			b.WriteString(p.s[p.i+1 : p.i+1+j])
			p.i += j + 2
		case c == '\\' && p.i+1 < len(p.s):
			quoted = true
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case strings.IndexByte(" \t\n;&|<>()", c) >= 0:
			return b.String(), quoted
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return b.String(), quoted
}

func (p *parser) wordChar() {
	if !p.inWord {
		p.inWord, p.literal = true, true
	}
	c := p.s[p.i]
	switch c {
	case '\'':
		j := strings.IndexByte(p.s[p.i+1:], '\'')
		if j < 0 {
			p.word.WriteString(p.s[p.i+1:])
			p.i = len(p.s)
			return
		}
		p.word.WriteString(p.s[p.i+1 : p.i+1+j])
		p.i += j + 2
	case '"':
		p.i++
		for p.i < len(p.s) && p.s[p.i] != '"' {
			d := p.s[p.i]
			switch {
			case d == '\\' && p.i+1 < len(p.s) && strings.IndexByte("$`\"\\\n", p.s[p.i+1]) >= 0:
				if p.s[p.i+1] != '\n' {
					p.word.WriteByte(p.s[p.i+1])
				}
				p.i += 2
			case d == '$' || d == '`':
				p.literal = false
				p.expansion()
			default:
				p.word.WriteByte(d)
				p.i++
			}
		}
		p.i++
	case '\\':
		if p.i+1 < len(p.s) {
			if p.s[p.i+1] != '\n' {
				p.word.WriteByte(p.s[p.i+1])
			}
			p.i += 2
			return
		}
		p.i++
	case '$', '`':
		p.literal = false
		p.expansion()
	case '*', '?', '[':
		p.literal = false
		p.word.WriteByte(c)
		p.i++
	case '~':
		if p.word.Len() == 0 {
			p.literal = false // the home directory: left to the shell
		}
		p.word.WriteByte(c)
		p.i++
	default:
		p.word.WriteByte(c)
		p.i++
	}
}

// expansion copies $NAME, ${...}, $(...), $((...)) or `...` as written.
func (p *parser) expansion() {
	start := p.i
	c := p.s[p.i]
	end := p.i + 1
	switch {
	case c == '`':
		j := strings.IndexByte(p.s[p.i+1:], '`')
		end = len(p.s)
		if j >= 0 {
			end = p.i + j + 2
		}
	case p.i+1 < len(p.s) && (p.s[p.i+1] == '(' || p.s[p.i+1] == '{'):
		open, closeC := p.s[p.i+1], byte(')')
		if open == '{' {
			closeC = '}'
		}
		depth := 0
		end = len(p.s)
		for j := p.i + 1; j < len(p.s); j++ {
			switch p.s[j] {
			case open:
				depth++
			case closeC:
				depth--
			}
			if depth == 0 {
				end = j + 1
				break
			}
		}
	default:
		for end < len(p.s) {
			d := p.s[end]
			if d == '_' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d >= '0' && d <= '9' {
				end++
				continue
			}
			if end == p.i+1 && strings.IndexByte("?#$!@*-", d) >= 0 {
				end++
			}
			break
		}
	}
	p.word.WriteString(p.s[start:end])
	p.i = end
}

func (p *parser) endWord() {
	if !p.inWord {
		return
	}
	w := p.word.String()
	p.word.Reset()
	p.inWord = false
	if p.redir != nil {
		if p.redir.Target != "\x00" {
			p.redir.Target = w
			p.redir.Literal = p.literal
			p.cur.Out = append(p.cur.Out, *p.redir)
		}
		p.redir = nil
		return
	}
	p.cur.Words = append(p.cur.Words, w)
	p.cur.Literal = append(p.cur.Literal, p.literal)
}

func (p *parser) endCmd(sep string) {
	p.redir = nil
	if len(p.cur.Words) == 0 && len(p.cur.Out) == 0 && !p.hasPendingCur() {
		if sep != "\n" && len(p.out) > 0 && p.out[len(p.out)-1].Sep == "\n" {
			p.out[len(p.out)-1].Sep = sep
		}
		return
	}
	p.cur.Sep = sep
	p.out = append(p.out, p.cur)
	for k := range p.pending {
		if p.pending[k].cmd == -1 {
			p.pending[k].cmd = len(p.out) - 1
		}
	}
	p.cur = Simple{}
}

func (p *parser) hasPendingCur() bool {
	for _, d := range p.pending {
		if d.cmd == -1 {
			return true
		}
	}
	return false
}

// readHeredocs reads the bodies of the heredocs opened on the line that
// just ended.
func (p *parser) readHeredocs() {
	docs := p.pending
	p.pending = nil
	for _, d := range docs {
		var body strings.Builder
		for p.i < len(p.s) {
			j := strings.IndexByte(p.s[p.i:], '\n')
			line := p.s[p.i:]
			if j >= 0 {
				line = p.s[p.i : p.i+j]
				p.i += j + 1
			} else {
				p.i = len(p.s)
			}
			cmp := line
			if d.strip {
				cmp = strings.TrimLeft(line, "\t")
			}
			if cmp == d.delim {
				break
			}
			body.WriteString(cmp + "\n")
		}
		if d.cmd >= 0 && d.cmd < len(p.out) {
			s := body.String()
			p.out[d.cmd].Heredoc = &s
			p.out[d.cmd].HeredocLiteral = d.literal
		}
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
