package screen

import (
	"strings"
)

// MaxSize bounds the columns and rows a Screen accepts, so a hostile size
// announcement cannot make it allocate gigabytes: a 1000×1000 screen takes
// 20 MB (the recording package reads any bigger size as 1000, and says so).
const MaxSize = 1000

// MaxCells bounds columns × rows (a million cells, 1024x1024 or 4096x256):
// 4096x4096 would take gigabytes per screen and seconds per resize.
const MaxCells = 1 << 20

// clampArea clamps each side, then takes rows away until the area fits.
func clampArea(cols, rows int) (int, int) {
	cols, rows = clampSize(cols), clampSize(rows)
	if cols*rows > MaxCells {
		rows = max(MaxCells/cols, 1)
	}
	return cols, rows
}

type pen struct {
	fg, bg Color
	attr   Attr
}

// saved is what DECSC (ESC 7) keeps and DECRC (ESC 8) brings back.
type saved struct {
	ok       bool
	x, y     int
	pen      pen
	g        [2]byte
	gl       int
	origin   bool
	autowrap bool
}

// Screen is a terminal's visible state. It is not safe for concurrent use.
// Writes never fail, never block and never panic.
type Screen struct {
	cols, rows int
	main, alt  [][]cell
	lines      [][]cell // main or alt
	wrapped    []bool   // per row of lines: continued on the next row
	mainWrap   []bool
	altWrap    []bool
	altActive  bool

	// x may equal cols: the cursor sits past the last column and the next
	// printable character wraps first (tmux's representation).
	x, y int
	pen  pen

	top, bot int // scroll region, inclusive

	autowrap, insert, origin, cursorVisible, lnm bool

	tabs []bool
	g    [2]byte // designated G0/G1 sets: 'B' ASCII, '0' DEC graphics
	gl   int     // which of g is invoked (SI/SO)

	decsc    saved // ESC 7 / CSI s
	altSaved saved // ?1049h

	title string
	last  rune // last printed character, for REP

	combs  *combTable
	spare  [][]cell // scratch for scrolling
	blanks []cell   // a row of one blank cell, for fill

	// gen grows with every change to what a row shows; rowGen[y] is gen
	// at the last change to row y (its cells, its wrapped flag, or
	// another row moving into its place). See Gen and RowChanged.
	gen    uint64
	rowGen []uint64

	p parser
}

// New returns a blank screen of cols×rows cells. Sizes are clamped to
// 1..MaxSize.
func New(cols, rows int) *Screen {
	s := &Screen{combs: newCombTable()}
	s.p.reset()
	s.setSize(cols, rows)
	s.reset()
	return s
}

func clampSize(n int) int {
	if n < 1 {
		return 1
	}
	if n > MaxSize {
		return MaxSize
	}
	return n
}

func blankRow(cols int, bg Color) []cell {
	row := make([]cell, cols)
	for i := range row {
		row[i] = cell{r: ' ', bg: bg, w: 1}
	}
	return row
}

func (s *Screen) setSize(cols, rows int) {
	s.cols, s.rows = clampArea(cols, rows)
	s.main = make([][]cell, s.rows)
	for i := range s.main {
		s.main[i] = blankRow(s.cols, DefaultColor)
	}
	s.alt = nil // made when first shown (altOn)
	s.mainWrap = make([]bool, s.rows)
	s.altWrap = make([]bool, s.rows)
	s.lines, s.wrapped = s.main, s.mainWrap
	s.altActive = false
	s.rowGen = make([]uint64, s.rows)
	s.touchAll()
}

// touch records that rows [y0,y1) changed.
func (s *Screen) touch(y0, y1 int) {
	s.gen++
	for y := max(y0, 0); y < min(y1, len(s.rowGen)); y++ {
		s.rowGen[y] = s.gen
	}
}

func (s *Screen) touchAll() { s.touch(0, s.rows) }

// touchRow is touch for one row (the cursor's), the common case.
func (s *Screen) touchRow(y int) {
	s.gen++
	if y >= 0 && y < len(s.rowGen) {
		s.rowGen[y] = s.gen
	}
}

// Gen returns the screen's generation, a number that grows with every
// change to what its rows show. Keep it beside what you read of the
// screen, and ask RowChanged later which rows to read again.
func (s *Screen) Gen() uint64 { return s.gen }

// RowChanged reports whether row may show something else than it did
// when Gen returned gen: its cells (Cell), or whether it is Wrapped. It
// errs only one way: a row written with what it held already may count
// as changed, a changed row never counts as unchanged, also across
// Resize, the alternate screen and Restore. Outside the screen it
// reports true.
func (s *Screen) RowChanged(row int, gen uint64) bool {
	if row < 0 || row >= len(s.rowGen) {
		return true
	}
	return s.rowGen[row] > gen
}

// reset is RIS: everything back to power-on, screen cleared.
func (s *Screen) reset() {
	s.pen = pen{}
	s.x, s.y = 0, 0
	s.top, s.bot = 0, s.rows-1
	s.autowrap, s.insert, s.origin, s.lnm = true, false, false, false
	s.cursorVisible = true
	s.g = [2]byte{'B', 'B'}
	s.gl = 0
	s.decsc = saved{}
	s.resetTabs()
	s.clearRect(0, 0, s.cols, s.rows)
	for i := range s.wrapped {
		s.wrapped[i] = false
	}
	s.last = 0
}

func (s *Screen) resetTabs() {
	s.tabs = make([]bool, s.cols)
	for i := 8; i < s.cols; i += 8 {
		s.tabs[i] = true
	}
}

// Size returns the screen's size in cells.
func (s *Screen) Size() (cols, rows int) { return s.cols, s.rows }

// Title returns the window title last set with OSC 0 or 2.
func (s *Screen) Title() string { return s.title }

// AltScreen reports whether the alternate screen (full-screen programs) is
// showing.
func (s *Screen) AltScreen() bool { return s.altActive }

// Cell returns the cell at col, row (0-based). Outside the screen it
// returns a blank cell.
func (s *Screen) Cell(col, row int) Cell {
	if col < 0 || row < 0 || col >= s.cols || row >= s.rows {
		return Cell{Rune: ' ', Width: 1}
	}
	return s.export(s.lines[row][col])
}

// Cursor returns the cursor's cell and whether it is shown.
func (s *Screen) Cursor() (col, row int, visible bool) {
	x := s.x
	if x >= s.cols {
		x = s.cols - 1
	}
	return x, s.y, s.cursorVisible
}

// Resize changes the screen size, keeping the top-left content (no reflow),
// like a recording's resize event. Its cost is that of the screen it
// makes: rows are kept and cut or extended where they fit, and the
// alternate screen, when not showing, is dropped (altOn clears it anyway).
func (s *Screen) Resize(cols, rows int) {
	cols, rows = clampArea(cols, rows)
	if cols == s.cols && rows == s.rows {
		return
	}
	fit := func(old [][]cell, wrap []bool) ([][]cell, []bool) {
		out := make([][]cell, rows)
		ow := make([]bool, rows)
		for i := range out {
			if i >= len(old) {
				out[i] = blankRow(cols, DefaultColor)
				continue
			}
			row, n := old[i], len(old[i])
			if cap(row) >= cols {
				row = row[:cols]
			} else {
				row = make([]cell, cols)
				copy(row, old[i])
			}
			for x := n; x < cols; x++ {
				row[x] = cell{r: ' ', w: 1, bg: DefaultColor}
			}
			if cols < n && row[cols-1].w == 2 {
				row[cols-1] = cell{r: ' ', w: 1, bg: row[cols-1].bg}
			}
			out[i], ow[i] = row, wrap[i]
		}
		return out, ow
	}
	s.main, s.mainWrap = fit(s.main, s.mainWrap)
	if s.altActive {
		s.alt, s.altWrap = fit(s.alt, s.altWrap)
		s.lines, s.wrapped = s.alt, s.altWrap
	} else {
		s.alt, s.altWrap = nil, make([]bool, rows)
		s.lines, s.wrapped = s.main, s.mainWrap
	}
	s.spare = nil
	s.cols, s.rows = cols, rows
	s.rowGen = make([]uint64, rows)
	s.touchAll()
	s.top, s.bot = 0, rows-1
	s.x = min(s.x, cols-1)
	s.y = min(s.y, rows-1)
	oldTabs := s.tabs
	s.resetTabs()
	copy(s.tabs, oldTabs)
}

// Line returns row's text, trailing blanks trimmed. Wide characters appear
// once; combining marks follow their base character.
func (s *Screen) Line(row int) string {
	if row < 0 || row >= s.rows {
		return ""
	}
	var b strings.Builder
	s.appendLine(&b, row)
	return b.String()
}

func (s *Screen) appendLine(b *strings.Builder, row int) {
	line := s.lines[row]
	end := len(line)
	for end > 0 && line[end-1].r == ' ' && line[end-1].comb == 0 {
		end--
	}
	for _, c := range line[:end] {
		if c.w == 0 {
			continue
		}
		b.WriteRune(c.r)
		if c.comb != 0 {
			b.WriteString(s.combs.get(c.comb))
		}
	}
}

// Text returns the whole screen as text: one line per row, trailing blanks
// trimmed per row, rows joined with "\n" (no final newline), as tmux's
// capture-pane prints it.
func (s *Screen) Text() string {
	var b strings.Builder
	b.Grow(s.rows * (s.cols + 1))
	for row := 0; row < s.rows; row++ {
		if row > 0 {
			b.WriteByte('\n')
		}
		s.appendLine(&b, row)
	}
	return b.String()
}

// State is a copy of a Screen's whole state, for keyframes.
type State struct {
	s Screen
}

// Bytes estimates the memory a State holds, for bounding keyframes.
func (st *State) Bytes() int {
	const cellSize = 20
	n := 1
	if st.s.altActive {
		n = 2
	}
	return n*st.s.cols*st.s.rows*cellSize + 256
}

func copyGrid(g [][]cell) [][]cell {
	if len(g) == 0 {
		return nil
	}
	cols := len(g[0])
	flat := make([]cell, len(g)*cols)
	out := make([][]cell, len(g))
	for i, row := range g {
		out[i] = flat[i*cols : (i+1)*cols : (i+1)*cols]
		copy(out[i], row)
	}
	return out
}

func (s *Screen) clone() Screen {
	c := *s
	c.main = copyGrid(s.main)
	c.alt = nil // altOn clears it anyway: only worth copying while shown
	if s.altActive {
		c.alt = copyGrid(s.alt)
	}
	c.spare = nil
	c.mainWrap = append([]bool(nil), s.mainWrap...)
	c.altWrap = append([]bool(nil), s.altWrap...)
	if s.altActive {
		c.lines, c.wrapped = c.alt, c.altWrap
	} else {
		c.lines, c.wrapped = c.main, c.mainWrap
	}
	c.tabs = append([]bool(nil), s.tabs...)
	c.rowGen = append([]uint64(nil), s.rowGen...)
	c.p = s.p.clone()
	// combs is shared and append-only: an index never changes meaning.
	return c
}

// Snapshot copies the screen's whole state, parser included, so Restore
// continues exactly where the snapshot was taken.
func (s *Screen) Snapshot() *State { return &State{s: s.clone()} }

// Restore puts the screen back to st. st stays usable for later restores.
// Every row counts as changed (RowChanged) against any earlier Gen.
func (s *Screen) Restore(st *State) {
	gen := s.gen
	*s = st.s.clone()
	s.gen = max(gen, s.gen)
	s.touchAll()
}

// Clone returns an independent copy of the screen.
func (s *Screen) Clone() *Screen {
	c := s.clone()
	return &c
}
