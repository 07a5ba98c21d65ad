package web

import (
	"slices"
	"strings"

	"github.com/runbook-dev/runbook/player/screen"
)

// Frames builds a movie's frames from the player's terminal emulator,
// keeping one frame per moment the screen (or its cursor) changed. No
// moment is merged with another, so the page at any time shows the screen
// `runbook render --at` computes for that time.
type Frames struct {
	scr        *screen.Screen
	frames     []Frame
	cols, rows int
	last       float64
	// What the last snapshot read: the screen, its generation then, its
	// width and each row's line. A row the screen says has not changed
	// since (screen.RowChanged) is not read again, so an event costs the
	// rows it changed, not the whole screen (10⁶ cells at 1000x1000).
	seen     *screen.Screen
	seenGen  uint64
	seenCols int
	rowLines []Line
	rowCells []screen.Cell // one row, read from the screen
}

// NewFrames starts with a blank cols×rows screen.
func NewFrames(cols, rows int) *Frames {
	return &Frames{scr: screen.New(cols, rows), cols: cols, rows: rows}
}

// Output feeds the bytes written at time at (seconds on the recording's
// timeline; never earlier than the previous call's).
func (f *Frames) Output(at float64, p []byte) {
	f.scr.Write(p)
	f.capture(at)
}

// Resize changes the terminal's size at time at.
func (f *Frames) Resize(at float64, cols, rows int) {
	f.scr.Resize(cols, rows)
	c, r := f.scr.Size()
	f.cols, f.rows = max(f.cols, c), max(f.rows, r)
	f.capture(at)
}

// Size returns the largest size the screen had.
func (f *Frames) Size() (cols, rows int) { return f.cols, f.rows }

// List returns the frames so far; the first one is at time 0.
func (f *Frames) List() []Frame {
	if len(f.frames) == 0 {
		return []Frame{f.snapshot(0)}
	}
	return f.frames
}

// Capture records scr, a screen driven by someone else (the player's
// timeline), as it is at time at.
func (f *Frames) Capture(at float64, scr *screen.Screen) {
	f.scr = scr
	c, r := scr.Size()
	f.cols, f.rows = max(f.cols, c), max(f.rows, r)
	f.capture(at)
}

func (f *Frames) capture(at float64) {
	if at < f.last {
		at = f.last
	}
	f.last = at
	fr := f.snapshot(at)
	if len(f.frames) == 0 && at > 0 {
		// The screen is blank until the first output.
		f.frames = append(f.frames, Frame{At: 0, Lines: make([]Line, len(fr.Lines)), Cursor: Cursor{Visible: true}})
	}
	if n := len(f.frames); n > 0 {
		prev := &f.frames[n-1]
		if prev.At == at {
			// Output at the same moment: the later state is what shows.
			*prev = fr
			if n > 1 && sameScreen(f.frames[n-2], fr) {
				f.frames = f.frames[:n-1]
			}
			return
		}
		if sameScreen(*prev, fr) {
			return
		}
	}
	f.frames = append(f.frames, fr)
}

func sameScreen(a, b Frame) bool {
	return a.Cursor == b.Cursor && slices.EqualFunc(a.Lines, b.Lines, sameLine)
}

// sameLine compares two lines, at once when they are the same slice (a
// row a snapshot did not read again).
func sameLine(x, y Line) bool {
	if len(x) != len(y) {
		return false
	}
	if len(x) == 0 || &x[0] == &y[0] {
		return true
	}
	return slices.Equal(x, y)
}

// snapshot reads the emulator's screen as styled runs. Only the rows that
// changed since the previous snapshot are read (all of them when the
// screen or its width is another); a row that shows what the same row,
// or a neighbour (the screen scrolled), showed at the previous snapshot
// reuses that row's line. Only one row of cells is held at a time: a
// 1000x1000 screen costs its lines, not 64 MB of cells.
func (f *Frames) snapshot(at float64) Frame {
	cols, rows := f.scr.Size()
	fr := Frame{At: at, Lines: make([]Line, rows)}
	if len(f.rowLines) != rows {
		f.rowLines = make([]Line, rows)
	}
	prev := f.rowLines
	whole := f.seen != f.scr || f.seenCols != cols
	for r := 0; r < rows; r++ {
		if !whole && !f.scr.RowChanged(r, f.seenGen) {
			fr.Lines[r] = prev[r]
			continue
		}
		cells := f.rowCells[:0]
		for c := 0; c < cols; c++ {
			cells = append(cells, f.scr.Cell(c, r))
		}
		f.rowCells = cells
		line := lineOf(cells)
		for _, pr := range [3]int{r, r + 1, r - 1} {
			if pr >= 0 && pr < rows && slices.Equal(line, prev[pr]) {
				line = prev[pr]
				break
			}
		}
		fr.Lines[r] = line
	}
	// prev is not read any more: this snapshot's lines take its place.
	copy(f.rowLines, fr.Lines)
	f.seen, f.seenGen, f.seenCols = f.scr, f.scr.Gen(), cols
	col, row, vis := f.scr.Cursor()
	fr.Cursor = Cursor{Col: col, Row: row, Visible: vis}
	return fr
}

// lineOf turns a row of cells into styled runs, trailing default blanks
// left out.
func lineOf(cells []screen.Cell) Line {
	// Trailing default blanks first, without building their text: most
	// of a big screen is blank.
	for len(cells) > 0 && defaultBlank(cells[len(cells)-1]) {
		cells = cells[:len(cells)-1]
	}
	var line Line
	var cur Span
	var sb strings.Builder
	flush := func() {
		if sb.Len() > 0 {
			cur.Text = sb.String()
			line = append(line, cur)
			sb.Reset()
		}
	}
	for _, cell := range cells {
		if cell.Width == 0 {
			continue // the second cell of a wide character
		}
		st := Style{FG: colorOf(cell.FG), BG: colorOf(cell.BG), Attrs: attrsOf(cell)}
		wide := cell.Width == 2
		if sb.Len() > 0 && (st != cur.Style || wide != cur.Wide) {
			flush()
		}
		cur.Style, cur.Wide = st, wide
		sb.WriteString(cell.Text())
	}
	flush()
	for len(line) > 0 {
		last := &line[len(line)-1]
		if last.Style != (Style{FG: DefaultColor, BG: DefaultColor}) || last.Wide {
			break
		}
		last.Text = strings.TrimRight(last.Text, " ")
		if last.Text != "" {
			break
		}
		line = line[:len(line)-1]
	}
	return line
}

// defaultBlank reports whether a cell is a blank the line trims: a space
// in the default style.
func defaultBlank(c screen.Cell) bool {
	return c.Rune == ' ' && c.Width == 1 && c.Combining == "" &&
		(Style{FG: colorOf(c.FG), BG: colorOf(c.BG), Attrs: attrsOf(c)}) == Style{FG: DefaultColor, BG: DefaultColor}
}

func colorOf(c screen.Color) Color {
	if n, ok := c.Index(); ok {
		return Color(n)
	}
	if r, g, b, ok := c.RGB(); ok {
		return RGB(r, g, b)
	}
	return DefaultColor
}

func attrsOf(c screen.Cell) Attr {
	var a Attr
	if c.Bold {
		a |= Bold
	}
	if c.Faint {
		a |= Faint
	}
	if c.Italic {
		a |= Italic
	}
	if c.Underline {
		a |= Underline
	}
	if c.Blink {
		a |= Blink
	}
	if c.Reverse {
		a |= Inverse
	}
	if c.Invisible {
		a |= Invisible
	}
	if c.Strike {
		a |= Strike
	}
	return a
}
