package screen

func (s *Screen) csiDispatch(final byte) {
	p := &s.p
	if p.inter != 0 {
		// CSI with intermediates: DECSTR (CSI ! p) resets; the rest
		// (cursor style, DECSCA...) do not change what the screen shows.
		if p.inter == '!' && final == 'p' && p.priv == 0 {
			s.softReset()
		}
		return
	}
	if p.priv == '?' {
		switch final {
		case 'h':
			s.setPrivateModes(true)
		case 'l':
			s.setPrivateModes(false)
		case 'J':
			s.eraseDisplay(p.param(0, 0))
		case 'K':
			s.eraseLine(p.param(0, 0))
		}
		return
	}
	if p.priv != 0 {
		return // CSI > c, CSI > m and friends: queries and key modes
	}
	n := p.param(0, 1)
	switch final {
	case '@':
		s.insertBlanks(n)
	case 'A':
		s.cursorUp(n)
	case 'B', 'e':
		s.cursorDown(n)
	case 'C', 'a':
		s.cursorRight(n)
	case 'D':
		s.cursorLeft(n)
	case 'E':
		s.cursorDown(n)
		s.x = 0
	case 'F':
		s.cursorUp(n)
		s.x = 0
	case 'G', '`':
		s.x = min(n, s.cols) - 1
	case 'H', 'f':
		s.moveTo(p.param(1, 1)-1, n-1)
	case 'I':
		// CHT: tmux 3.3 does not implement it, and tmux is the reference.
	case 'J':
		s.eraseDisplay(p.param(0, 0))
	case 'K':
		s.eraseLine(p.param(0, 0))
	case 'L':
		s.insertLines(n)
	case 'M':
		s.deleteLines(n)
	case 'P':
		s.deleteChars(n)
	case 'S':
		s.scrollUp(s.top, s.bot, n)
	case 'T':
		if p.n <= 1 { // CSI T with more params is mouse tracking
			s.scrollDown(s.top, s.bot, n)
		}
	case 'X':
		s.eraseChars(n)
	case 'Z':
		s.backTab(min(n, s.cols))
	case 'b':
		if s.last != 0 {
			r := s.last
			for i := min(n, s.cols*s.rows); i > 0; i-- {
				s.print(r)
			}
		}
	case 'd':
		s.moveTo(s.x, n-1)
	case 'g':
		switch p.param(0, 0) {
		case 0:
			if x := min(s.x, s.cols-1); x >= 0 {
				s.tabs[x] = false
			}
		case 3:
			for i := range s.tabs {
				s.tabs[i] = false
			}
		}
	case 'h':
		s.setModes(true)
	case 'l':
		s.setModes(false)
	case 'm':
		s.sgr()
	case 'r':
		s.setRegion(n-1, p.param(1, s.rows)-1)
	case 's':
		s.saveCursor(&s.decsc)
	case 'u':
		s.restoreCursor(&s.decsc)
	}
	// c (DA), n (DSR), t (window ops, including the size announcement
	// ESC[8;R;Ct), q, x...: queries or no effect on the cells.
}

func (s *Screen) softReset() {
	s.cursorVisible = true
	s.insert, s.origin, s.autowrap = false, false, true
	s.top, s.bot = 0, s.rows-1
	s.pen = pen{}
	s.g, s.gl = [2]byte{'B', 'B'}, 0
	s.decsc = saved{}
}

func (s *Screen) setModes(on bool) {
	p := &s.p
	for i := 0; i < max(p.n, 1); i++ {
		switch p.params[i] {
		case 4:
			s.insert = on
		case 20:
			s.lnm = on
		}
	}
}

func (s *Screen) setPrivateModes(on bool) {
	p := &s.p
	for i := 0; i < max(p.n, 1); i++ {
		switch p.params[i] {
		case 3: // DECCOLM: tmux clears and homes, keeping the size
			s.clearRect(0, 0, s.cols, s.rows)
			s.top, s.bot = 0, s.rows-1
			s.x, s.y = 0, 0
		case 6:
			s.origin = on
			s.moveTo(0, 0)
		case 7:
			s.autowrap = on
		case 25:
			s.cursorVisible = on
		case 47, 1047:
			if on {
				s.altOn(false)
			} else {
				s.altOff(false)
			}
		case 1049:
			if on {
				s.altOn(true)
			} else {
				s.altOff(true)
			}
		case 1048:
			if on {
				s.saveCursor(&s.decsc)
			} else {
				s.restoreCursor(&s.decsc)
			}
		}
	}
}

// sgr applies Select Graphic Rendition, both the ';' form and the ':'
// sub-parameter form of colours (38:2::R:G:B, 38:5:N) and underline
// styles (4:3), which vt10x misread as resets.
func (s *Screen) sgr() {
	p := &s.p
	if p.n == 0 {
		s.pen = pen{}
		return
	}
	for i := 0; i < p.n; i++ {
		v := p.params[i]
		// Sub-parameters of a code we do not know are skipped with it.
		next := i + 1
		for next < p.n && p.sub[next] {
			next++
		}
		subs := p.params[i+1 : next]
		switch {
		case v == 0:
			s.pen = pen{}
		case v == 1:
			s.pen.attr |= AttrBold
		case v == 2:
			s.pen.attr |= AttrFaint
		case v == 3:
			s.pen.attr |= AttrItalic
		case v == 4:
			if len(subs) > 0 && subs[0] == 0 {
				s.pen.attr &^= AttrUnderline
			} else {
				s.pen.attr |= AttrUnderline
			}
		case v == 5 || v == 6:
			s.pen.attr |= AttrBlink
		case v == 7:
			s.pen.attr |= AttrReverse
		case v == 8:
			s.pen.attr |= AttrInvisible
		case v == 9:
			s.pen.attr |= AttrStrike
		case v == 21:
			s.pen.attr |= AttrUnderline
		case v == 22:
			s.pen.attr &^= AttrBold | AttrFaint
		case v == 23:
			s.pen.attr &^= AttrItalic
		case v == 24:
			s.pen.attr &^= AttrUnderline
		case v == 25:
			s.pen.attr &^= AttrBlink
		case v == 27:
			s.pen.attr &^= AttrReverse
		case v == 28:
			s.pen.attr &^= AttrInvisible
		case v == 29:
			s.pen.attr &^= AttrStrike
		case v >= 30 && v <= 37:
			s.pen.fg = Indexed(uint8(v - 30))
		case v == 38 || v == 48 || v == 58:
			var c Color
			var ok bool
			if len(subs) > 0 {
				c, ok = extColor(subs, true)
			} else {
				var used int
				c, ok, used = extColorSemi(p.params[i+1 : p.n])
				next = i + 1 + used
			}
			if ok {
				if v == 38 {
					s.pen.fg = c
				} else if v == 48 {
					s.pen.bg = c
				}
			}
		case v == 39:
			s.pen.fg = DefaultColor
		case v >= 40 && v <= 47:
			s.pen.bg = Indexed(uint8(v - 40))
		case v == 49:
			s.pen.bg = DefaultColor
		case v >= 90 && v <= 97:
			s.pen.fg = Indexed(uint8(v - 90 + 8))
		case v >= 100 && v <= 107:
			s.pen.bg = Indexed(uint8(v - 100 + 8))
		}
		i = next - 1
	}
}

// extColor reads the sub-parameters after 38/48 in colon form:
// 5:N, 2:R:G:B or 2:CS:R:G:B (colour-space id).
func extColor(subs []int, colon bool) (Color, bool) {
	if len(subs) == 0 {
		return 0, false
	}
	switch subs[0] {
	case 5:
		if len(subs) >= 2 {
			return Indexed(uint8(min(subs[1], 255))), true
		}
	case 2:
		rgb := subs[1:]
		if colon && len(rgb) >= 4 {
			rgb = rgb[1:]
		}
		if len(rgb) >= 3 {
			return RGB(uint8(min(rgb[0], 255)), uint8(min(rgb[1], 255)), uint8(min(rgb[2], 255))), true
		}
	}
	return 0, false
}

// extColorSemi reads 5;N or 2;R;G;B after 38/48, returning how many
// parameters it used.
func extColorSemi(rest []int) (Color, bool, int) {
	if len(rest) == 0 {
		return 0, false, 0
	}
	switch rest[0] {
	case 5:
		if len(rest) >= 2 {
			c, ok := extColor(rest[:2], false)
			return c, ok, 2
		}
		return 0, false, len(rest)
	case 2:
		if len(rest) >= 4 {
			c, ok := extColor(rest[:4], false)
			return c, ok, 4
		}
		return 0, false, len(rest)
	}
	return 0, false, 1
}
