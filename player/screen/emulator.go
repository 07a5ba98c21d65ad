package screen

import "io"

// Emulator is what the player needs of a terminal emulator: recorded
// bytes in, a grid of cells out. Screen (ours, the default) and VT10X
// (github.com/hinshun/vt10x behind guards) implement it. Only Screen can
// be snapshotted for keyframes.
type Emulator interface {
	// Write takes any bytes, split anywhere; it never fails or blocks.
	io.Writer
	// Resize changes the size, keeping the top-left content.
	Resize(cols, rows int)
	Size() (cols, rows int)
	// Cell returns the cell at col, row (0-based).
	Cell(col, row int) Cell
	// Cursor returns the cursor's cell and whether it is shown.
	Cursor() (col, row int, visible bool)
	// Text returns the screen as text, rows joined by "\n", trailing
	// blanks trimmed, as tmux's capture-pane prints it.
	Text() string
}

var (
	_ Emulator = (*Screen)(nil)
	_ Emulator = (*VT10X)(nil)
)
