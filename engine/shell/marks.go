package shell

import (
	"bytes"

	"github.com/runbook-dev/runbook/internal/secret"
)

// markPrefix starts every mark the engine's shell prints: an OSC 133
// sequence ("ESC ] 133 ; KIND ; [ARG ;] NONCE BEL"), the convention
// terminals use for shell integration.
var markPrefix = []byte("\x1b]133;")

// maxMark bounds a mark's length: a longer OSC 133 cannot be ours and is
// passed through as the program's output.
const maxMark = 128

// Mark kinds printed by the rcfile.
const (
	MarkPrompt    = 'A' // PS1: the shell waits for a command
	MarkContinue  = 'B' // PS2: the shell wants more of an incomplete command
	MarkStart     = 'C' // PS0: a command line was read and starts running
	MarkEnd       = 'D' // PROMPT_COMMAND: the last command ended; Arg is $?
	MarkPromptEnd = 'P' // the end of PS1: the prompt's text is all out
	MarkLoad      = 'S' // __rb_load has turned echo off and reads variables
	// With Options.Describe (runbook rec), before MarkStart:
	MarkDir     = 'W' // a piece of the working directory (escaped, see Unescape)
	MarkCommand = 'E' // a piece of the command line just read (escaped)
	MarkAsk     = 'Q' // the shell waits for the recorder to answer Arg (see Describe)
)

// Mark is one shell mark found in the output stream.
type Mark struct {
	Kind byte
	Arg  string
}

// Filter splits a shell's output into what the terminal shows and the
// marks, and masks secrets in what it shows. Marks carry the session's
// nonce: an OSC 133 without it is a program's output and passes through.
//
// Bytes that may be the start of a mark or of a secret are held back until
// the next Feed shows what they are, so neither is ever cut in two.
type Filter struct {
	nonce   []byte
	secrets *secret.Set
	mask    *secret.Stream
	held    []byte
}

// NewFilter returns a filter for marks carrying nonce, masking the secrets
// of set (in every form secret.Forms lists) as they are at each Feed.
// set may be nil: a set of its own is made.
func NewFilter(nonce string, set *secret.Set) *Filter {
	if set == nil {
		set = &secret.Set{}
	}
	return &Filter{nonce: []byte(nonce), secrets: set, mask: secret.NewStream(set)}
}

// AddSecret masks s ("****") in everything the filter passes on from now on.
func (f *Filter) AddSecret(s string) { f.secrets.Add("", s) }

// Feed processes p, calling text for what the terminal shows and mark for
// each mark, in stream order. text's argument is only valid during the call.
func (f *Filter) Feed(p []byte, text func([]byte), mark func(Mark)) {
	buf := p
	if len(f.held) > 0 {
		buf = append(f.held, p...)
		f.held = nil
	}
	for len(buf) > 0 {
		i := bytes.Index(buf, markPrefix)
		if i < 0 {
			break
		}
		end := bytes.IndexByte(buf[i+len(markPrefix):min(len(buf), i+maxMark)], '\a')
		if end < 0 {
			if len(buf)-i < maxMark {
				// The mark may end in the next chunk.
				f.emit(buf[:i], true, text)
				f.held = append([]byte(nil), buf[i:]...)
				return
			}
			f.emit(buf[:i+len(markPrefix)], true, text)
			buf = buf[i+len(markPrefix):]
			continue
		}
		body := buf[i+len(markPrefix) : i+len(markPrefix)+end]
		next := buf[i+len(markPrefix)+end+1:]
		if m, ok := f.parse(body); ok {
			f.emit(buf[:i], true, text)
			mark(m)
		} else {
			f.emit(buf[:i+len(markPrefix)+end+1], true, text)
		}
		buf = next
	}
	// Hold back a tail that may begin a mark.
	keep := partialSuffix(buf, markPrefix)
	f.emit(buf[:len(buf)-keep], false, text)
	if keep > 0 {
		f.held = append(f.held, buf[len(buf)-keep:]...)
	}
}

// Flush passes on whatever is held back (at the end of the stream).
func (f *Filter) Flush(text func([]byte)) {
	h := f.held
	f.held = nil
	f.emit(h, true, text)
}

// parse reads "KIND;[ARG;]NONCE".
func (f *Filter) parse(body []byte) (Mark, bool) {
	if len(body) < 2 || body[1] != ';' || !bytes.HasSuffix(body, f.nonce) {
		return Mark{}, false
	}
	rest := body[2 : len(body)-len(f.nonce)]
	m := Mark{Kind: body[0]}
	if len(rest) > 0 {
		if rest[len(rest)-1] != ';' {
			return Mark{}, false
		}
		m.Arg = string(rest[:len(rest)-1])
	}
	return m, true
}

// emit masks secrets in p and passes it on. When final is false, a tail
// that may begin a secret is held back (by the mask stream) for the next
// Feed; final flushes it: a secret never spans a mark.
func (f *Filter) emit(p []byte, final bool, text func([]byte)) {
	f.mask.Write(p, text)
	if final {
		f.mask.Flush(text)
	}
}

// partialSuffix returns the length of the longest proper prefix of pat
// that p ends with.
func partialSuffix(p, pat []byte) int {
	for n := min(len(pat)-1, len(p)); n > 0; n-- {
		if bytes.Equal(p[len(p)-n:], pat[:n]) {
			return n
		}
	}
	return 0
}
