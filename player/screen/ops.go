package screen

// The operations below follow tmux's screen-write.c: where xterm and tmux
// differ, tmux wins, because tmux is what the fidelity tests compare with.
// Every count arrives clamped to the screen, so no loop runs longer than a
// row or a screen.

func (s *Screen) blank() cell { return cell{r: ' ', bg: s.pen.bg, w: 1} }

// fill sets every cell of row to b: a copy from a row of b kept ready (a
// memmove, where a loop stores a cell at a time), made again only when b
// or the width changes.
func (s *Screen) fill(row []cell, b cell) {
	if len(s.blanks) < len(row) || len(s.blanks) == 0 || s.blanks[0] != b {
		s.blanks = make([]cell, max(len(row), s.cols))
		for i := range s.blanks {
			s.blanks[i] = b
		}
	}
	copy(row, s.blanks)
}

// clearRect blanks cells [x0,x1) of rows [y0,y1) with the current
// background (tmux and xterm erase with the background colour).
func (s *Screen) clearRect(x0, y0, x1, y1 int) {
	x0, x1 = max(x0, 0), min(x1, s.cols)
	y0, y1 = max(y0, 0), min(y1, s.rows)
	s.touch(y0, y1)
	b := s.blank()
	for y := y0; y < y1; y++ {
		row := s.lines[y]
		s.splitWide(row, x0)
		s.splitWide(row, x1)
		if x0 < x1 {
			s.fill(row[x0:x1], b)
		}
	}
}

// splitWide blanks a wide character cut by a boundary at column x (the
// character occupies x-1 and x), so no half of it survives alone.
func (s *Screen) splitWide(row []cell, x int) {
	if x <= 0 || x >= len(row) {
		return
	}
	if row[x].w == 0 && row[x-1].w == 2 {
		row[x-1] = cell{r: ' ', w: 1, bg: row[x-1].bg}
		row[x] = cell{r: ' ', w: 1, bg: row[x].bg}
	}
}

// linefeed moves down a row, scrolling the region when at its bottom.
func (s *Screen) linefeed(wrapped bool) {
	if wrapped {
		s.wrapped[s.y] = true
		s.touchRow(s.y)
	}
	if s.y == s.bot {
		s.scrollUp(s.top, s.bot, 1)
	} else if s.y < s.rows-1 {
		s.y++
	}
}

func (s *Screen) reverseIndex() {
	if s.y == s.top {
		s.scrollDown(s.top, s.bot, 1)
	} else if s.y > 0 {
		s.y--
	}
}

// scrollUp moves rows top..bot up by n, blank rows entering at the bottom.
func (s *Screen) scrollUp(top, bot, n int) {
	if n <= 0 || top > bot {
		return
	}
	n = min(n, bot-top+1)
	s.touch(top, bot+1)
	rows := s.lines[top : bot+1]
	wr := s.wrapped[top : bot+1]
	// Rotate, reusing the rows that leave as the blank ones that enter.
	gone := s.scratch(n)
	copy(gone, rows[:n])
	copy(rows, rows[n:])
	copy(wr, wr[n:])
	b := s.blank()
	for i, row := range gone {
		s.fill(row, b)
		rows[len(rows)-n+i] = row
		wr[len(wr)-n+i] = false
	}
}

// scratch returns a reusable slice of n row headers for rotating rows.
func (s *Screen) scratch(n int) [][]cell {
	if cap(s.spare) < n {
		s.spare = make([][]cell, n)
	}
	return s.spare[:n]
}

// scrollDown moves rows top..bot down by n, blank rows entering at top.
func (s *Screen) scrollDown(top, bot, n int) {
	if n <= 0 || top > bot {
		return
	}
	n = min(n, bot-top+1)
	s.touch(top, bot+1)
	rows := s.lines[top : bot+1]
	wr := s.wrapped[top : bot+1]
	gone := s.scratch(n)
	copy(gone, rows[len(rows)-n:])
	copy(rows[n:], rows[:len(rows)-n])
	copy(wr[n:], wr[:len(wr)-n])
	b := s.blank()
	for i, row := range gone {
		s.fill(row, b)
		rows[i] = row
		wr[i] = false
	}
}

// print puts one character at the cursor: wrapping first when it does
// not fit, joining combining marks to the previous cell, filling the second
// cell of a wide character.
func (s *Screen) print(r rune) {
	attr := s.pen.attr
	if r < 0x80 && s.g[s.gl] == '0' {
		if g, ok := decGraphics[byte(r)]; ok {
			r = g
			attr |= attrCharset
		}
	}
	w := 1
	if r >= 0xa0 {
		w = RuneWidth(r)
	}
	if w == 0 {
		s.combine(r)
		return
	}
	if !s.autowrap && w > 1 && (w > s.cols || (s.x != s.cols && s.x > s.cols-w)) {
		return
	}
	if s.insert {
		s.insertBlanks(w)
	}
	if s.autowrap && s.x > s.cols-w {
		s.linefeed(true)
		s.x = 0
	}
	if s.x > s.cols-w {
		return
	}
	s.touchRow(s.y)
	row := s.lines[s.y]
	s.splitWide(row, s.x)
	s.splitWide(row, s.x+w)
	row[s.x] = cell{r: r, fg: s.pen.fg, bg: s.pen.bg, attr: attr, w: uint8(w)}
	if w == 2 {
		row[s.x+1] = cell{fg: s.pen.fg, bg: s.pen.bg, attr: s.pen.attr, w: 0}
	}
	s.x += w
	s.last = r
}

// printASCII is print for a run of printable ASCII with no charset or
// insert mode in effect: the common case, done a row at a time.
func (s *Screen) printASCII(b []byte) {
	if s.g[s.gl] == '0' || s.insert || !s.autowrap {
		for _, c := range b {
			s.print(rune(c))
		}
		return
	}
	c := cell{fg: s.pen.fg, bg: s.pen.bg, attr: s.pen.attr, w: 1}
	for len(b) > 0 {
		if s.x >= s.cols {
			s.linefeed(true)
			s.x = 0
		}
		n := min(s.cols-s.x, len(b))
		s.touchRow(s.y)
		row := s.lines[s.y]
		s.splitWide(row, s.x)
		s.splitWide(row, s.x+n)
		dst := row[s.x : s.x+n]
		src := b[:len(dst)]
		for i := range dst {
			d := &dst[i]
			*d = c
			d.r = rune(src[i])
		}
		s.x += n
		s.last = rune(b[n-1])
		b = b[n:]
	}
}

// combine attaches a zero-width character to the cell before the cursor.
func (s *Screen) combine(r rune) {
	x := s.x
	if x == 0 {
		return
	}
	x--
	s.touchRow(s.y)
	row := s.lines[s.y]
	if x < len(row) && row[x].w == 0 && x > 0 {
		x--
	}
	c := &row[x]
	if c.w == 0 {
		return
	}
	prev := ""
	if c.comb != 0 {
		prev = s.combs.get(c.comb)
	}
	c.comb = s.combs.put(prev + string(r))
}

func (s *Screen) carriageReturn() { s.x = 0 }

func (s *Screen) backspace() {
	if s.x == 0 {
		if s.y > 0 && s.wrapped[s.y-1] {
			s.y--
			s.x = s.cols - 1
		}
		return
	}
	if s.x >= s.cols {
		s.x = s.cols
	}
	s.x--
}

func (s *Screen) tab() {
	if s.x >= s.cols-1 {
		return
	}
	for {
		s.x++
		if s.tabs[s.x] || s.x >= s.cols-1 {
			return
		}
	}
}

func (s *Screen) backTab(n int) {
	for ; n > 0 && s.x > 0; n-- {
		for {
			s.x--
			if s.x == 0 || s.tabs[s.x] {
				break
			}
		}
	}
}

func (s *Screen) cursorUp(n int) {
	if s.y < s.top {
		n = min(n, s.y)
	} else {
		n = min(n, s.y-s.top)
	}
	if s.x >= s.cols {
		s.x = s.cols - 1
	}
	s.y -= n
}

func (s *Screen) cursorDown(n int) {
	if s.y > s.bot {
		n = min(n, s.rows-1-s.y)
	} else {
		n = min(n, s.bot-s.y)
	}
	if s.x >= s.cols {
		s.x = s.cols - 1
	}
	s.y += n
}

func (s *Screen) cursorRight(n int) {
	if s.x >= s.cols {
		s.x = s.cols - 1
	}
	s.x += min(n, s.cols-1-s.x)
}

func (s *Screen) cursorLeft(n int) {
	s.x -= min(n, s.x)
}

// moveTo is CUP: 0-based, relative to the scroll region in origin mode.
func (s *Screen) moveTo(x, y int) {
	if s.origin {
		if y > s.bot-s.top {
			y = s.bot
		} else {
			y += s.top
		}
	}
	s.x = max(0, min(x, s.cols-1))
	s.y = max(0, min(y, s.rows-1))
}

func (s *Screen) setRegion(top, bot int) {
	top = min(top, s.rows-1)
	bot = min(bot, s.rows-1)
	if top >= bot {
		return
	}
	s.top, s.bot = top, bot
	s.moveTo(0, 0)
}

func (s *Screen) eraseLine(mode int) {
	switch mode {
	case 0:
		if s.x < s.cols {
			s.clearRect(s.x, s.y, s.cols, s.y+1)
		}
	case 1:
		s.clearRect(0, s.y, min(s.x+1, s.cols), s.y+1)
	case 2:
		s.clearRect(0, s.y, s.cols, s.y+1)
	}
	s.wrapped[s.y] = false
	s.touchRow(s.y) // also when nothing was cleared (the cursor past the edge)
}

func (s *Screen) eraseDisplay(mode int) {
	switch mode {
	case 0:
		if s.x < s.cols {
			s.clearRect(s.x, s.y, s.cols, s.y+1)
		}
		s.clearRect(0, s.y+1, s.cols, s.rows)
		for y := s.y; y < s.rows; y++ {
			s.wrapped[y] = false
		}
		s.touch(s.y, s.rows) // the cursor's row too when nothing was cleared
	case 1:
		s.clearRect(0, 0, s.cols, s.y)
		s.clearRect(0, s.y, min(s.x+1, s.cols), s.y+1)
	case 2:
		s.clearRect(0, 0, s.cols, s.rows)
		for y := range s.wrapped {
			s.wrapped[y] = false
		}
	}
}

// insertBlanks is ICH: shift the rest of the row right by n.
func (s *Screen) insertBlanks(n int) {
	x := min(s.x, s.cols-1)
	n = min(n, s.cols-x)
	s.touchRow(s.y)
	row := s.lines[s.y]
	s.splitWide(row, x)
	copy(row[x+n:], row[x:s.cols-n])
	b := s.blank()
	for i := x; i < x+n; i++ {
		row[i] = b
	}
	s.splitWide(row, s.cols) // no-op; a pushed-out wide head is cut below
	if row[s.cols-1].w == 2 {
		row[s.cols-1] = b
	}
}

// deleteChars is DCH: shift the rest of the row left by n.
func (s *Screen) deleteChars(n int) {
	x := min(s.x, s.cols-1)
	n = min(n, s.cols-x)
	s.touchRow(s.y)
	row := s.lines[s.y]
	s.splitWide(row, x)
	s.splitWide(row, x+n)
	copy(row[x:], row[x+n:])
	b := s.blank()
	for i := s.cols - n; i < s.cols; i++ {
		row[i] = b
	}
}

// eraseChars is ECH: blank n cells from the cursor without moving.
func (s *Screen) eraseChars(n int) {
	x := min(s.x, s.cols-1)
	s.clearRect(x, s.y, min(x+n, s.cols), s.y+1)
}

// insertLines is IL: tmux shifts from the cursor row to the region's
// bottom, or to the screen's bottom when the cursor is outside the region.
func (s *Screen) insertLines(n int) {
	bot := s.bot
	if s.y < s.top || s.y > s.bot {
		bot = s.rows - 1
	}
	s.scrollDown(s.y, bot, n)
	s.x = 0
}

func (s *Screen) deleteLines(n int) {
	bot := s.bot
	if s.y < s.top || s.y > s.bot {
		bot = s.rows - 1
	}
	s.scrollUp(s.y, bot, n)
	s.x = 0
}

func (s *Screen) saveCursor(to *saved) {
	*to = saved{ok: true, x: s.x, y: s.y, pen: s.pen, g: s.g, gl: s.gl, origin: s.origin, autowrap: s.autowrap}
}

func (s *Screen) restoreCursor(from *saved) {
	if !from.ok {
		s.x, s.y = 0, 0
		s.pen = pen{}
		s.g, s.gl = [2]byte{'B', 'B'}, 0
		return
	}
	s.x = min(from.x, s.cols)
	s.y = min(from.y, s.rows-1)
	s.pen, s.g, s.gl, s.origin = from.pen, from.g, from.gl, from.origin
}

// altOn shows the alternate screen, cleared (47, 1047, 1049). tmux does
// nothing when it is already showing.
func (s *Screen) altOn(withCursor bool) {
	if withCursor {
		s.saveCursor(&s.altSaved)
	}
	if s.altActive {
		return
	}
	s.altActive = true
	if len(s.alt) != s.rows || len(s.alt[0]) != s.cols {
		s.alt = make([][]cell, s.rows)
		for i := range s.alt {
			s.alt[i] = blankRow(s.cols, DefaultColor)
		}
	}
	s.lines, s.wrapped = s.alt, s.altWrap
	s.clearRect(0, 0, s.cols, s.rows) // every row changed: clearRect says so
	for i := range s.wrapped {
		s.wrapped[i] = false
	}
}

// altOff goes back to the main screen. Like tmux, the cursor is restored
// even when the alternate screen was not showing, and the screen is left
// alone then (vt10x blanked it).
func (s *Screen) altOff(withCursor bool) {
	if withCursor && s.altSaved.ok {
		s.x = min(s.altSaved.x, s.cols)
		s.y = min(s.altSaved.y, s.rows-1)
		s.pen = s.altSaved.pen
	}
	if !s.altActive {
		return
	}
	s.altActive = false
	s.lines, s.wrapped = s.main, s.mainWrap
	s.touchAll()
}

// alignmentTest is DECALN: the screen filled with E.
func (s *Screen) alignmentTest() {
	s.touchAll()
	for _, row := range s.lines {
		for x := range row {
			row[x] = cell{r: 'E', w: 1}
		}
	}
	s.top, s.bot = 0, s.rows-1
	s.x, s.y = 0, 0
}
