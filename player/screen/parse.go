package screen

import "unicode/utf8"

// The parser is a byte-at-a-time state machine (after Paul Williams' DEC
// parser, as tmux's input.c is), so a sequence split across writes at any
// byte continues where it stopped, and nothing is ever buffered without
// bound: parameters past maxParams are dropped, numbers saturate, string
// payloads (OSC titles) are capped.

const (
	maxParams = 32
	maxNumber = 65535
	// tmux ignores a sequence with a parameter past INT_MAX.
	tooBig = 1<<31 - 1
	maxOSC = 4096
)

type pstate uint8

const (
	stGround pstate = iota
	stEsc
	stEscInter
	stCSI
	stCSIIgnore
	stOSC
	stStr // DCS, SOS, PM, APC: ignored up to ST
	stStrEsc
)

type parser struct {
	st      pstate
	params  [maxParams]int
	sub     [maxParams]bool // params[i] followed a ':' (a sub-parameter)
	n       int             // params in use
	digits  bool            // the current param has digits
	big     bool            // a parameter passed tooBig: ignore the sequence
	raw     int64           // the current parameter before clamping
	priv    byte            // '?', '>', '<' or '=' leading a CSI
	inter   byte            // last intermediate byte
	osc     []byte
	oscEsc  bool // OSC saw ESC: ST if '\' follows
	utf     [4]byte
	un      int // bytes held in utf
	uneed   int // total bytes of the held character
	strFrom pstate
}

func (p *parser) reset() {
	p.st = stGround
	p.clearParams()
	p.osc = p.osc[:0]
	p.un, p.uneed = 0, 0
}

func (p *parser) clearParams() {
	p.n, p.digits, p.priv, p.inter, p.big, p.raw = 0, false, 0, 0, false, 0
	p.params[0], p.sub[0] = 0, false
}

func (p *parser) clone() parser {
	c := *p
	c.osc = append([]byte(nil), p.osc...)
	return c
}

// param returns parameter i, or def when missing or zero.
func (p *parser) param(i, def int) int {
	if i >= p.n || p.params[i] == 0 {
		return def
	}
	return p.params[i]
}

// Write feeds terminal output to the screen. It always consumes all of p
// and never fails; an incomplete trailing sequence or UTF-8 character is
// held and completed by the next Write.
func (s *Screen) Write(b []byte) (int, error) {
	n := len(b)
	p := &s.p
	for i := 0; i < len(b); i++ {
		c := b[i]
		if p.st == stGround {
			if c >= 0x20 && c < 0x7f {
				if p.uneed != 0 {
					p.un, p.uneed = 0, 0 // a cut UTF-8 character is dropped
				}
				j := i + 1
				for j < len(b) && b[j] >= 0x20 && b[j] < 0x7f {
					j++
				}
				s.printASCII(b[i:j])
				i = j - 1
				continue
			}
			if c >= 0x80 {
				s.utf8Byte(c)
				continue
			}
		}
		s.step(c)
	}
	return n, nil
}

// WriteString is Write for a string.
func (s *Screen) WriteString(str string) (int, error) { return s.Write([]byte(str)) }

func (s *Screen) utf8Byte(c byte) {
	p := &s.p
	if p.uneed != 0 {
		if c&0xc0 == 0x80 {
			p.utf[p.un] = c
			p.un++
			if p.un < p.uneed {
				return
			}
			r, size := utf8.DecodeRune(p.utf[:p.un])
			p.un, p.uneed = 0, 0
			if r == utf8.RuneError && size <= 1 {
				return // invalid (overlong, surrogate): dropped, as tmux does
			}
			s.print(r)
			return
		}
		p.un, p.uneed = 0, 0 // not a continuation: drop the cut character
	}
	switch {
	case c >= 0xc2 && c <= 0xdf:
		p.uneed = 2
	case c >= 0xe0 && c <= 0xef:
		p.uneed = 3
	case c >= 0xf0 && c <= 0xf4:
		p.uneed = 4
	default:
		return // a lone continuation or invalid lead byte
	}
	p.utf[0] = c
	p.un = 1
}

// control runs a C0 control character; it acts even inside sequences.
func (s *Screen) control(c byte) {
	switch c {
	case '\b':
		s.backspace()
	case '\t':
		s.tab()
	case '\n', '\v', '\f':
		s.linefeed(false)
		if s.lnm {
			s.carriageReturn()
		}
	case '\r':
		s.carriageReturn()
	case 0x0e: // SO
		s.gl = 1
	case 0x0f: // SI
		s.gl = 0
	}
}

func (s *Screen) step(c byte) {
	p := &s.p
	// CAN and SUB abort any sequence; ESC starts a new one except inside
	// strings, where it may be the start of ST.
	switch {
	case c == 0x18 || c == 0x1a:
		if p.st != stGround {
			p.st = stGround
		}
		return
	case c == 0x1b && p.st != stOSC && p.st != stStr:
		p.st = stEsc
		p.clearParams()
		return
	}
	switch p.st {
	case stGround:
		if c < 0x20 {
			s.control(c)
		}
	case stEsc:
		switch {
		case c < 0x20:
			s.control(c)
		case c == '[':
			p.st = stCSI
			p.clearParams()
		case c == ']':
			p.st = stOSC
			p.osc = p.osc[:0]
			p.oscEsc = false
		case c == 'P' || c == 'X' || c == '^' || c == '_':
			p.st = stStr
		case c >= 0x20 && c < 0x30:
			p.inter = c
			p.st = stEscInter
		default:
			p.st = stGround
			s.escDispatch(c, 0)
		}
	case stEscInter:
		switch {
		case c < 0x20:
			s.control(c)
		case c < 0x30:
			p.inter = c
		default:
			p.st = stGround
			s.escDispatch(c, p.inter)
		}
	case stCSI:
		s.csiByte(c)
	case stCSIIgnore:
		switch {
		case c < 0x20:
			s.control(c)
		case c >= 0x40 && c < 0x7f:
			p.st = stGround
		}
	case stOSC:
		switch {
		case p.oscEsc:
			p.oscEsc = false
			s.oscDispatch()
			p.st = stGround
			if c != '\\' {
				// ESC ended the string and starts a new sequence.
				p.st = stEsc
				p.clearParams()
				s.step(c)
			}
		case c == 0x07:
			s.oscDispatch()
			p.st = stGround
		case c == 0x1b:
			p.oscEsc = true
		case c < 0x20:
			// ignored inside OSC
		default:
			if len(p.osc) < maxOSC {
				p.osc = append(p.osc, c)
			}
		}
	case stStr:
		if c == 0x1b {
			p.st = stStrEsc
		}
	case stStrEsc:
		p.st = stGround
		if c != '\\' {
			if c == 0x1b {
				p.st = stStrEsc
				return
			}
			p.st = stEsc
			p.clearParams()
			s.step(c)
		}
	}
}

func (s *Screen) csiByte(c byte) {
	p := &s.p
	switch {
	case c < 0x20:
		s.control(c)
	case c >= '0' && c <= '9':
		if p.n == 0 {
			p.n = 1
			p.params[0], p.sub[0] = 0, false
		}
		if p.raw <= tooBig {
			p.raw = p.raw*10 + int64(c-'0')
		}
		if p.raw > tooBig {
			p.big = true
		}
		p.params[p.n-1] = int(min(p.raw, maxNumber))
		p.digits = true
	case c == ';' || c == ':':
		if p.n == 0 {
			p.n = 1
			p.params[0], p.sub[0] = 0, false
		}
		p.raw = 0
		if p.n < maxParams {
			p.params[p.n] = 0
			p.sub[p.n] = c == ':'
			p.n++
		}
		p.digits = false
	case c >= 0x3c && c <= 0x3f:
		if p.n == 0 && p.priv == 0 && p.inter == 0 {
			p.priv = c
		} else {
			p.st = stCSIIgnore
		}
	case c >= 0x20 && c < 0x30:
		p.inter = c
	case c >= 0x40 && c < 0x7f:
		p.st = stGround
		if !p.big {
			s.csiDispatch(c)
		}
	default:
		p.st = stCSIIgnore
	}
}

func (s *Screen) escDispatch(c, inter byte) {
	switch inter {
	case 0:
		switch c {
		case '7':
			s.saveCursor(&s.decsc)
		case '8':
			s.restoreCursor(&s.decsc)
		case 'D':
			s.linefeed(false)
		case 'E':
			s.carriageReturn()
			s.linefeed(false)
		case 'H':
			if x := min(s.x, s.cols-1); x >= 0 {
				s.tabs[x] = true
			}
		case 'M':
			s.reverseIndex()
		case 'c':
			s.altOff(false)
			s.reset()
		}
	case '(', ')':
		// G0/G1: DEC graphics or, for every other set, plain ASCII.
		set := byte('B')
		if c == '0' {
			set = '0'
		}
		s.g[inter-'('] = set
	case '#':
		if c == '8' {
			s.alignmentTest()
		}
	}
	// ESC * X, ESC + X (G2/G3), ESC % G and the rest: consumed, no effect.
}

func (s *Screen) oscDispatch() {
	p := &s.p
	b := p.osc
	i := 0
	n := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && i < 6 {
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == 0 || i >= len(b) || b[i] != ';' {
		return
	}
	if n == 0 || n == 2 {
		s.title = string(b[i+1:])
	}
}
