package screen

import (
	"fmt"
	"sync"
)

// Color is a cell colour: the terminal's default, one of the 256 palette
// entries, or a 24-bit RGB value.
type Color uint32

const (
	// DefaultColor is the terminal's default foreground or background.
	DefaultColor Color = 0
	kindIndexed  Color = 1 << 24
	kindRGB      Color = 2 << 24
	kindMask     Color = 0xff << 24
)

// Indexed returns palette colour n (0–255).
func Indexed(n uint8) Color { return kindIndexed | Color(n) }

// RGB returns a 24-bit colour.
func RGB(r, g, b uint8) Color { return kindRGB | Color(r)<<16 | Color(g)<<8 | Color(b) }

// IsDefault reports whether c is the terminal's default colour.
func (c Color) IsDefault() bool { return c&kindMask == 0 }

// Index returns the palette index when c is a palette colour.
func (c Color) Index() (n uint8, ok bool) { return uint8(c), c&kindMask == kindIndexed }

// RGB returns the components when c is a 24-bit colour.
func (c Color) RGB() (r, g, b uint8, ok bool) {
	return uint8(c >> 16), uint8(c >> 8), uint8(c), c&kindMask == kindRGB
}

func (c Color) String() string {
	if n, ok := c.Index(); ok {
		return fmt.Sprintf("%d", n)
	}
	if r, g, b, ok := c.RGB(); ok {
		return fmt.Sprintf("#%02x%02x%02x", r, g, b)
	}
	return "default"
}

// Attr is a set of cell attributes.
type Attr uint16

// Cell attributes set by SGR.
const (
	AttrBold Attr = 1 << iota
	AttrFaint
	AttrItalic
	AttrUnderline
	AttrBlink
	AttrReverse
	AttrInvisible
	AttrStrike

	// attrCharset marks a character drawn from the DEC graphics set;
	// kept for tests (tmux's capture-pane prints such cells as the ASCII
	// byte received) and not exported.
	attrCharset Attr = 1 << 15
)

// Cell is what one character cell of the screen shows. Colours and
// attributes are as the program set them: Reverse is reported, not applied
// (renderers swap FG and BG themselves).
type Cell struct {
	// Rune is the character; ' ' for a blank cell, 0 for the second cell
	// of a wide character (Width 0).
	Rune rune
	// Combining holds combining marks drawn over Rune, if any.
	Combining string
	// Width is 1, 2 for a wide character's first cell, 0 for its second.
	Width  int
	FG, BG Color
	Attrs  Attr

	Bold, Faint, Italic, Underline, Blink, Reverse, Invisible, Strike bool
}

// Text returns the cell's character with its combining marks ("" for the
// second cell of a wide character).
func (c Cell) Text() string {
	if c.Width == 0 {
		return ""
	}
	return string(c.Rune) + c.Combining
}

// cell is the packed form kept in the grid.
type cell struct {
	r    rune
	fg   Color
	bg   Color
	comb uint32 // index into Screen.combs, 0: none
	attr Attr
	w    uint8 // 1, 2 (wide head) or 0 (wide tail)
}

func (s *Screen) export(c cell) Cell {
	out := Cell{Rune: c.r, Width: int(c.w), FG: c.fg, BG: c.bg, Attrs: c.attr &^ attrCharset}
	if c.comb != 0 {
		out.Combining = s.combs.get(c.comb)
	}
	out.Bold = c.attr&AttrBold != 0
	out.Faint = c.attr&AttrFaint != 0
	out.Italic = c.attr&AttrItalic != 0
	out.Underline = c.attr&AttrUnderline != 0
	out.Blink = c.attr&AttrBlink != 0
	out.Reverse = c.attr&AttrReverse != 0
	out.Invisible = c.attr&AttrInvisible != 0
	out.Strike = c.attr&AttrStrike != 0
	return out
}

// combTable interns the combining-mark strings cells refer to. It is shared
// by a screen and all its snapshots and only grows, so an index never
// changes meaning; the lock lets snapshots be read from other goroutines.
type combTable struct {
	mu   sync.Mutex
	list []string
	idx  map[string]uint32
}

func newCombTable() *combTable { return &combTable{list: []string{""}, idx: map[string]uint32{}} }

// maxCombs bounds the table; past it new combinations are dropped.
const maxCombs = 1 << 16

func (t *combTable) get(i uint32) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if int(i) < len(t.list) {
		return t.list[i]
	}
	return ""
}

func (t *combTable) put(s string) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if i, ok := t.idx[s]; ok {
		return i
	}
	if len(t.list) >= maxCombs || len(s) > 64 {
		return 0
	}
	t.list = append(t.list, s)
	t.idx[s] = uint32(len(t.list) - 1)
	return uint32(len(t.list) - 1)
}
