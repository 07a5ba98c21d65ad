package recording

import "fmt"

// MaxCols and MaxRows bound the terminal size the readers report: more
// than any real terminal has (a 4K screen in a small font is about 640×200),
// few enough that a screen of that size costs tens of megabytes, not the
// gigabytes a hostile header (width 10⁸) would ask for. A size beyond them
// is read as the bound, and the reader lists the problem (ProblemClamped).
const (
	MaxCols = 1000
	MaxRows = 1000
)

// ProblemClamped is a terminal size beyond MaxCols×MaxRows, read as the bound.
const ProblemClamped = "clamped"

// ClampSize bounds a terminal size to MaxCols×MaxRows; clamped reports
// whether it had to.
func ClampSize(cols, rows int) (c, r int, clamped bool) {
	c, r = min(cols, MaxCols), min(rows, MaxRows)
	return c, r, c != cols || r != rows
}

func clampedMsg(what string, cols, rows int) string {
	c, r, _ := ClampSize(cols, rows)
	return fmt.Sprintf("%s %dx%d is more than a terminal has: read as %dx%d", what, cols, rows, c, r)
}
