package web

// Movie is everything a published recording shows: the screen at every
// moment it changed, and the steps and markers to navigate by. It is plain
// data so the page and the SVG writers need no emulator of their own.
type Movie struct {
	Title string
	// Host is where the session ran ("local" for the machine itself).
	Host string
	// StartedAt is when the recording started, as text (RFC 3339), or "".
	StartedAt string
	Cols      int
	Rows      int
	// Duration is the recording's length in seconds (its last frame's time).
	Duration float64
	// Frames are the screens in time order; the first is at time 0.
	Frames  []Frame
	Steps   []Step
	Markers []Marker
	// Notes are shown above the player (the page only): how the run
	// differed from what a reader will do, say.
	Notes []string
	// Text is every line the recording printed (commands echo what was
	// typed), with the time it was complete: what the page searches,
	// text that scrolled away included.
	Text []TextLine
}

// TextLine is a line of Text, complete at At (seconds).
type TextLine struct {
	At   float64
	Text string
}

// Frame is the whole screen from time At (seconds) until the next frame.
type Frame struct {
	At     float64
	Lines  []Line // one per row, top first
	Cursor Cursor
}

// Cursor is where the cursor is drawn; Visible false hides it.
type Cursor struct {
	Col, Row int
	Visible  bool
}

// Line is one screen row as runs of identically styled text. Trailing
// default-styled blanks may be left out.
type Line []Span

// Span is text drawn in one style, one rune per cell; when Wide is set,
// every rune of Text is a wide character taking two cells.
type Span struct {
	Text  string
	Style Style
	Wide  bool
}

// Style is how a cell is drawn.
type Style struct {
	FG, BG Color
	Attrs  Attr
}

// Color is a terminal colour: DefaultColor, a palette index 0–255, or a
// true colour made with RGB.
type Color int32

// DefaultColor is the terminal's default foreground or background.
const DefaultColor Color = -1

// rgbFlag marks a true colour; the low 24 bits are 0xRRGGBB.
const rgbFlag = 1 << 24

// RGB returns the true colour r, g, b.
func RGB(r, g, b uint8) Color {
	return Color(rgbFlag | int32(r)<<16 | int32(g)<<8 | int32(b))
}

// IsRGB reports whether c is a true colour.
func (c Color) IsRGB() bool { return c >= rgbFlag }

// Attr is a set of text attributes.
type Attr uint8

// Text attributes. Inverse is kept as an attribute (not pre-swapped
// colours) so the page can draw it for either theme.
const (
	Bold Attr = 1 << iota
	Faint
	Italic
	Underline
	Blink
	Inverse
	Invisible
	Strike
)

// Step is one runbook step on the recording's timeline.
type Step struct {
	N      int
	Name   string
	Status string // "ok", "changed", "failed", "skipped" or ""
	Start  float64
	End    float64
	// Narration is the step's comments, in order.
	Narration []string
	Commands  []Command
}

// Command is one command typed during a step.
type Command struct {
	Text  string
	Start float64
	End   float64
	Exit  int
}

// Marker is a labelled point on the timeline.
type Marker struct {
	At    float64
	Label string
}

// Text returns the line as plain text, trailing blanks removed.
func (l Line) Text() string {
	n := 0
	for _, s := range l {
		n += len(s.Text)
	}
	b := make([]byte, 0, n)
	for _, s := range l {
		b = append(b, s.Text...)
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// FrameAt returns the index of the frame shown at time t (seconds): the last
// frame whose At is not after t.
func (m *Movie) FrameAt(t float64) int {
	lo, hi := 0, len(m.Frames)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.Frames[mid].At <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return 0
	}
	return lo - 1
}
