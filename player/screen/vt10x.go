package screen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hinshun/vt10x"
)

// VT10X is github.com/hinshun/vt10x, the emulator the project's mission
// named, behind guards against its defects (../shared/READERS.md): every
// byte goes through a small parser of our own first, which
//   - clamps counts (ICH, DCH, ECH, CHT, CBT, IL, DL, SU, SD) to the screen
//     and voids a sequence with a parameter past INT_MAX, as tmux does, so
//     nothing indexes out of range or loops 10¹¹ times;
//   - holds back an incomplete UTF-8 tail until the next write, so a
//     character split across writes is not lost;
//   - strips charset designations (ESC ) 0, ESC * B, ESC + B, ESC % G) that
//     vt10x would print, and maps G0/G1 with SI/SO to the one line-drawing
//     switch vt10x has;
//   - rewrites what vt10x misreads: empty and colon-form parameters,
//     sequences longer than its 256-byte buffer, ESC c (clears all),
//     ?1049l without h (restores the cursor only), ESC[1J on row 1,
//     insert mode; undoes its pre-swapped reverse video in Cell;
//   - drops sequences vt10x would misparse (private markers other than ?,
//     intermediates, non-ASCII bytes inside a sequence);
//   - and recovers from a panic inside vt10x: the piece that panicked is
//     dropped, the session goes on (Panics counts them).
//
// What no guard can fix stays: one cell per character (no wide
// characters, combining marks take a cell), no keyframes (its state
// cannot be copied: seeking back replays from the start), and its speed. docs/emulator.md has the numbers.
type VT10X struct {
	vt         vt10x.Terminal
	cols, rows int

	st     vtState
	seq    []byte // parameters of the CSI being read
	slot   byte   // designation being read: ( ) * + - . /
	out    []byte // bytes for vt10x, flushed per piece
	carry  []byte // incomplete UTF-8 held back for the next Write
	g      [2]byte
	gl     int
	insert bool

	panics    int
	lastPanic any
}

type vtState uint8

const (
	vtGround  vtState = iota
	vtEsc             // after ESC
	vtCSI             // after ESC [
	vtSkipCSI         // inside a CSI being dropped, until its final byte
	vtStr             // inside OSC/DCS/APC/PM (forwarded)
	vtStrEsc          // ESC inside a forwarded string
	vtDrop            // inside SOS (ESC X), dropped until ST or BEL
	vtDropEsc         // ESC inside a dropped string
	vtCharset         // after ESC ( ) * + - . /
	vtHash            // after ESC #
	vtSkip1           // one more byte to swallow (ESC % x)
	vtInter           // after ESC and an intermediate, until a final
)

// maxSeq bounds a CSI's parameters; longer ones are dropped.
const maxSeq = 4096

// NewVT10X returns a guarded vt10x of cols×rows cells. A size ≤ 0 is
// refused (vt10x panics on the first character); sizes past MaxSize are
// clamped like Screen's.
func NewVT10X(cols, rows int) (*VT10X, error) {
	if cols <= 0 || rows <= 0 {
		return nil, fmt.Errorf("vt10x: terminal size %dx%d: want at least 1x1", cols, rows)
	}
	cols, rows = min(cols, MaxSize), min(rows, MaxSize)
	v := &VT10X{vt: vt10x.New(vt10x.WithSize(cols, rows)), cols: cols, rows: rows, g: [2]byte{'B', 'B'}}
	return v, nil
}

// Panics reports how many pieces of input made vt10x panic (and were
// dropped), and the last panic's value.
func (v *VT10X) Panics() (int, any) { return v.panics, v.lastPanic }

// Size returns the screen's size in cells.
func (v *VT10X) Size() (cols, rows int) { return v.cols, v.rows }

// Resize changes the size; a size ≤ 0 is ignored.
func (v *VT10X) Resize(cols, rows int) {
	if cols <= 0 || rows <= 0 {
		return
	}
	cols, rows = min(cols, MaxSize), min(rows, MaxSize)
	v.flush()
	v.call(func() { v.vt.Resize(cols, rows) })
	v.cols, v.rows = v.vt.Size()
}

// call runs f, turning a panic inside vt10x into a count.
func (v *VT10X) call(f func()) {
	defer func() {
		if r := recover(); r != nil {
			v.panics++
			v.lastPanic = r
		}
	}()
	f()
}

// flush hands the pending bytes to vt10x.
func (v *VT10X) flush() {
	if len(v.out) == 0 {
		return
	}
	v.call(func() { v.vt.Write(v.out) })
	v.out = v.out[:0]
}

// Write feeds bytes through the guards to vt10x. It always consumes all
// of p and never fails.
func (v *VT10X) Write(p []byte) (int, error) {
	n := len(p)
	if len(v.carry) > 0 {
		v.out = append(v.out, v.carry...)
		v.carry = v.carry[:0]
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch v.st {
		case vtGround:
			j := i
			for j < len(p) && p[j] != 0x1b && p[j] != 0x0e && p[j] != 0x0f {
				j++
			}
			if j > i {
				v.text(p[i:j])
				i = j - 1
				continue
			}
			switch c {
			case 0x1b:
				v.st = vtEsc
			case 0x0e, 0x0f: // SO, SI: vt10x ignores them
				v.gl = int(0x0f - c)
				v.syncCharset()
			}
		case vtEsc:
			v.esc(c, p, &i)
		case vtCSI:
			switch {
			case c == 0x1b:
				v.st = vtEsc
			case c == 0x18 || c == 0x1a: // CAN, SUB cancel (vt10x stays in CSI)
				v.st = vtGround
			case c < 0x20:
				v.out = append(v.out, c) // executed inside the sequence
			case c >= 0x40 && c <= 0x7e:
				v.st = vtGround
				v.csi(c)
			case c >= 0x80: // vt10x would cut a rune to a byte: drop it all
				v.st = vtGround
				i--
			case c == 0x7f:
			default:
				if len(v.seq) >= maxSeq {
					v.st = vtSkipCSI
				} else {
					v.seq = append(v.seq, c)
				}
			}
		case vtSkipCSI:
			switch {
			case c == 0x1b:
				v.st = vtEsc
			case c == 0x18 || c == 0x1a:
				v.st = vtGround
			case c >= 0x40 && c <= 0x7e:
				v.st = vtGround
			}
		case vtStr:
			switch c {
			case 0x1b:
				v.st = vtStrEsc
			case 0x07:
				v.out = append(v.out, c)
				v.st = vtGround
			default:
				v.out = append(v.out, c)
			}
		case vtStrEsc:
			// vt10x would swallow the byte after ESC: end the string with
			// ST, then read the ESC again as the start of a sequence.
			v.out = append(v.out, 0x1b, '\\')
			v.st = vtGround
			if c != '\\' {
				v.st = vtEsc
				i--
			}
		case vtDrop:
			switch c {
			case 0x1b:
				v.st = vtDropEsc
			case 0x07, 0x18, 0x1a:
				v.st = vtGround
			}
		case vtDropEsc:
			v.st = vtGround
			if c != '\\' {
				v.st = vtEsc
				i--
			}
		case vtCharset:
			switch {
			case c == 0x1b:
				v.st = vtEsc
			case c == 0x18 || c == 0x1a:
				v.st = vtGround
			case c < 0x20:
				v.out = append(v.out, c)
			case c < 0x30: // an intermediate (ESC ( % 5): keep reading
			default:
				v.st = vtGround
				switch v.slot {
				case '(':
					v.g[0] = c
				case ')', '-':
					v.g[1] = c
				}
				v.syncCharset()
			}
		case vtHash:
			v.st = vtGround
			if c >= 0x30 && c <= 0x7e {
				v.out = append(v.out, 0x1b, '#', c)
			} else if c == 0x1b {
				v.st = vtEsc
			}
		case vtSkip1:
			v.st = vtGround
			if c == 0x1b {
				v.st = vtEsc
			}
		case vtInter:
			switch {
			case c == 0x1b:
				v.st = vtEsc
			case c == 0x18 || c == 0x1a:
				v.st = vtGround
			case c >= 0x30 && c <= 0x7e:
				v.st = vtGround
			}
		}
	}
	// Hold back an incomplete UTF-8 character at the end: vt10x would
	// drop it, and the next write's continuation bytes with it.
	if k := incompleteTail(v.out); k > 0 {
		v.carry = append(v.carry, v.out[len(v.out)-k:]...)
		v.out = v.out[:len(v.out)-k]
	}
	v.flush()
	return n, nil
}

// WriteString is Write for a string.
func (v *VT10X) WriteString(s string) (int, error) { return v.Write([]byte(s)) }

// incompleteTail returns how many bytes at the end of b start a UTF-8
// character that is not complete yet (0 when none).
func incompleteTail(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xc0 { // a lead byte
			if utf8.FullRune(b[len(b)-k:]) {
				return 0
			}
			return k
		}
	}
	return 0
}

// text forwards printable text (and C0 controls), emulating insert mode
// (which vt10x lacks) with one ICH before each character.
func (v *VT10X) text(b []byte) {
	if !v.insert {
		v.out = append(v.out, b...)
		return
	}
	for len(b) > 0 {
		_, size := utf8.DecodeRune(b)
		// Not before a continuation byte: the rest of a character held
		// back from the last write got its ICH then.
		if b[0] >= 0x20 && b[0] != 0x7f && (b[0] < 0x80 || b[0] >= 0xc0) {
			v.out = append(v.out, "\x1b[@"...)
		}
		v.out = append(v.out, b[:size]...)
		b = b[size:]
	}
}

// esc handles the byte after ESC.
func (v *VT10X) esc(c byte, p []byte, i *int) {
	switch {
	case c == 0x1b:
	case c == 0x18 || c == 0x1a: // cancel (vt10x would stay after ESC)
		v.st = vtGround
	case c < 0x20:
		v.out = append(v.out, c)
	case c == '[':
		v.st = vtCSI
		v.seq = v.seq[:0]
	case c == ']' || c == 'P' || c == '_' || c == '^' || c == 'k':
		v.st = vtStr
		v.out = append(v.out, 0x1b, c)
	case c == 'X': // SOS: vt10x would print its text
		v.st = vtDrop
	case strings.IndexByte("()*+-./", c) >= 0:
		v.st = vtCharset
		v.slot = c
	case c == '%': // ESC % G (UTF-8): vt10x would print the G
		v.st = vtSkip1
	case c == '#':
		v.st = vtHash
	case c < 0x30: // another intermediate: swallow up to the final byte
		v.st = vtInter
	case c == 'c':
		v.st = vtGround
		// vt10x's reset clears only part of the screen: clear all.
		v.out = append(v.out, "\x1bc\x1b[2J"...)
		v.g, v.gl, v.insert = [2]byte{'B', 'B'}, 0, false
	case c >= 0x80: // not a sequence: the byte is text
		v.st = vtGround
		*i--
	case c == 0x7f:
	default:
		v.st = vtGround
		v.out = append(v.out, 0x1b, c)
	}
}

// vt10x keeps its line-drawing switch in the cursor's attributes, and
// its cursor flags in Cursor.State (unexported there).
const (
	vtAttrGfx        = 1 << 3
	vtCursorWrapNext = 1 << 1
	vtCursorOrigin   = 1 << 2
)

// syncCharset tells vt10x to draw lines or not, from G0/G1 and SI/SO.
func (v *VT10X) syncCharset() {
	v.flush()
	want := v.g[v.gl] == '0'
	has := v.vt.Cursor().Attr.Mode&vtAttrGfx != 0
	switch {
	case want && !has:
		v.out = append(v.out, "\x1b(0"...)
	case !want && has:
		v.out = append(v.out, "\x1b(B"...)
	}
}

// csi checks, clamps and rewrites one CSI sequence before vt10x sees it.
func (v *VT10X) csi(final byte) {
	s := v.seq
	priv := false
	if len(s) > 0 && s[0] >= 0x3c && s[0] <= 0x3f {
		if s[0] != '?' {
			return // < = >: vt10x knows none and would misread them
		}
		priv = true
		s = s[1:]
	}
	// Parameters: digits, ';' and ':' only (no intermediates, no
	// second private marker).
	params := make([][]int, 0, 8)
	cur := []int{-1}
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			n := cur[len(cur)-1]
			if n < 0 {
				n = 0
			}
			n = n*10 + int(c-'0')
			if n > 2147483647 {
				return // tmux voids the whole sequence
			}
			cur[len(cur)-1] = n
		case c == ';':
			params = append(params, cur)
			cur = []int{-1}
		case c == ':':
			cur = append(cur, -1)
		default:
			return
		}
	}
	params = append(params, cur)
	if len(s) == 0 {
		params = nil
	}
	arg := func(i, def int) int {
		if i < len(params) && params[i][0] >= 0 {
			return params[i][0]
		}
		return def
	}
	if final == 'm' && !priv {
		v.sgr(params)
		return
	}
	for _, p := range params {
		if len(p) > 1 {
			return // colon parameters mean something only in SGR
		}
	}
	if len(params) > 16 {
		params = params[:16]
	}
	switch {
	case priv && (final == 'h' || final == 'l'):
		v.privateModes(params, final == 'h')
		return
	case priv:
		v.emitCSI("?", params, final, nil)
		return
	}
	clamp := func(lo, hi int) []int { return []int{max(lo, min(arg(0, 1), hi))} }
	switch final {
	case 'J':
		v.emitCSI("", params, final, nil)
		// vt10x's ED 1 on row 1 leaves row 0: clear it from row 0 and
		// come back (not in origin mode or with a wrap pending, where
		// moving would change more than the screen).
		cur := v.vt.Cursor()
		if arg(0, 0) == 1 && cur.Y == 1 && cur.State&(vtCursorWrapNext|vtCursorOrigin) == 0 {
			v.out = append(v.out, "\x1b[A\x1b[2K\x1b[B"...)
			v.flush()
		}
	case '@', 'P', 'X', 'I', 'Z':
		v.emitCSI("", nil, final, clamp(1, v.cols))
	case 'L', 'M', 'S', 'T':
		v.emitCSI("", nil, final, clamp(1, v.rows))
	case 'h', 'l':
		for _, p := range params {
			if p[0] == 4 {
				v.insert = final == 'h'
			}
		}
		v.emitCSI("", params, final, nil)
	default:
		v.emitCSI("", params, final, nil)
	}
}

// emitCSI writes CSI lead params final, numbers clamped to 65535 and
// empty ones as 0 (vt10x stops reading at an empty one); one, if set,
// replaces params by a single number.
func (v *VT10X) emitCSI(lead string, params [][]int, final byte, one []int) {
	v.out = append(v.out, 0x1b, '[')
	v.out = append(v.out, lead...)
	if one != nil {
		v.out = strconv.AppendInt(v.out, int64(one[0]), 10)
	}
	for i, p := range params {
		if i > 0 {
			v.out = append(v.out, ';')
		}
		v.out = strconv.AppendInt(v.out, int64(min(max(p[0], 0), 65535)), 10)
	}
	v.out = append(v.out, final)
	// Each sequence alone: a panic drops it and nothing else.
	v.flush()
}

// privateModes handles ?h/?l: leaving the alternate screen when it is not
// showing would swap to a blank one in vt10x, so only the cursor is
// restored (as tmux does); entering it clears it, as xterm does.
func (v *VT10X) privateModes(params [][]int, set bool) {
	v.flush()
	alt := v.vt.Mode()&vt10x.ModeAltScreen != 0
	var keep [][]int
	clearAlt := false
	for _, p := range params {
		switch p[0] {
		case 1049, 1047, 47:
			if !set && !alt {
				if p[0] == 1049 {
					keep = append(keep, []int{1048})
				}
				continue
			}
			if set && !alt && p[0] == 1049 {
				clearAlt = true
			}
		}
		keep = append(keep, p)
	}
	if len(keep) == 0 {
		return
	}
	final := byte('l')
	if set {
		final = 'h'
	}
	v.emitCSI("?", keep, final, nil)
	if clearAlt {
		v.out = append(v.out, "\x1b[2J"...)
	}
}

// sgr rewrites colon forms (38:2::r:g:b, 4:3) into what vt10x reads, and
// splits long lists so none reaches vt10x's 256-byte cut.
func (v *VT10X) sgr(params [][]int) {
	var flat []int
	val := func(n int) int { return min(max(n, 0), 65535) }
	for i := 0; i < len(params); i++ {
		p := params[i]
		switch {
		case len(p) == 1:
			flat = append(flat, val(p[0]))
		case p[0] == 38 || p[0] == 48:
			sub := p[1:]
			if len(sub) >= 1 && sub[0] == 5 && len(sub) >= 2 {
				flat = append(flat, p[0], 5, val(sub[1]))
			} else if len(sub) >= 1 && sub[0] == 2 {
				rgb := sub[1:]
				if len(rgb) == 4 { // 38:2:colourspace:r:g:b
					rgb = rgb[1:]
				}
				if len(rgb) == 3 {
					flat = append(flat, p[0], 2, val(rgb[0]), val(rgb[1]), val(rgb[2]))
				}
			}
		case p[0] == 4:
			if p[1] == 0 {
				flat = append(flat, 24)
			} else {
				flat = append(flat, 4)
			}
		case p[0] == 58: // underline colour: vt10x has none
		default:
			flat = append(flat, val(p[0]))
		}
	}
	if len(flat) == 0 {
		v.out = append(v.out, "\x1b[0m"...)
		v.flush()
		return
	}
	// Up to 24 numbers per sequence (≤ 6 bytes each), never cutting
	// 38;5;n or 38;2;r;g;b apart.
	for start := 0; start < len(flat); {
		end := start
		for end < len(flat) && end-start < 24 {
			n := 1
			if (flat[end] == 38 || flat[end] == 48) && end+1 < len(flat) {
				switch flat[end+1] {
				case 5:
					n = 3
				case 2:
					n = 5
				}
			}
			end = min(end+n, len(flat))
		}
		v.out = append(v.out, 0x1b, '[')
		for i, n := range flat[start:end] {
			if i > 0 {
				v.out = append(v.out, ';')
			}
			v.out = strconv.AppendInt(v.out, int64(n), 10)
		}
		v.out = append(v.out, 'm')
		start = end
	}
	v.flush()
}

// vt10x's attribute bits (unexported there).
const (
	vtAttrReverse   = 1 << 0
	vtAttrUnderline = 1 << 1
	vtAttrBold      = 1 << 2
	vtAttrItalic    = 1 << 4
	vtAttrBlink     = 1 << 5
)

func vtColor(c vt10x.Color) Color {
	switch {
	case c < 256:
		return Indexed(uint8(c))
	case c >= vt10x.DefaultFG:
		return DefaultColor
	}
	return RGB(uint8(c>>16), uint8(c>>8), uint8(c))
}

// Cell returns the cell at col, row. vt10x stores reverse video with the
// colours already swapped and bold colours brightened: both are undone,
// so a cell reads as Screen's does.
func (v *VT10X) Cell(col, row int) Cell {
	if col < 0 || row < 0 || col >= v.cols || row >= v.rows {
		return Cell{Rune: ' ', Width: 1}
	}
	v.flush()
	g := v.vt.Cell(col, row)
	c := Cell{Rune: g.Char, Width: 1, FG: vtColor(g.FG), BG: vtColor(g.BG)}
	if c.Rune == 0 {
		c.Rune = ' '
	}
	m := g.Mode
	if m&vtAttrReverse != 0 {
		c.FG, c.BG = c.BG, c.FG
		c.Reverse = true
		c.Attrs |= AttrReverse
	}
	if m&vtAttrBold != 0 {
		c.Bold = true
		c.Attrs |= AttrBold
		if n, ok := c.FG.Index(); ok && n >= 8 && n < 16 {
			c.FG = Indexed(n - 8)
		}
	}
	if m&vtAttrUnderline != 0 {
		c.Underline = true
		c.Attrs |= AttrUnderline
	}
	if m&vtAttrItalic != 0 {
		c.Italic = true
		c.Attrs |= AttrItalic
	}
	if m&vtAttrBlink != 0 {
		c.Blink = true
		c.Attrs |= AttrBlink
	}
	return c
}

// Cursor returns the cursor's cell and whether it is shown.
func (v *VT10X) Cursor() (col, row int, visible bool) {
	cur := v.vt.Cursor()
	return cur.X, cur.Y, v.vt.CursorVisible()
}

// Line returns row's text, trailing blanks trimmed.
func (v *VT10X) Line(row int) string {
	if row < 0 || row >= v.rows {
		return ""
	}
	var b strings.Builder
	v.appendLine(&b, row)
	return b.String()
}

func (v *VT10X) appendLine(b *strings.Builder, row int) {
	end := v.cols
	for end > 0 {
		if r := v.vt.Cell(end-1, row).Char; r != ' ' && r != 0 {
			break
		}
		end--
	}
	for x := 0; x < end; x++ {
		r := v.vt.Cell(x, row).Char
		if r == 0 {
			r = ' '
		}
		b.WriteRune(r)
	}
}

// Text returns the screen as text, like Screen.Text.
func (v *VT10X) Text() string {
	var b strings.Builder
	for row := 0; row < v.rows; row++ {
		if row > 0 {
			b.WriteByte('\n')
		}
		v.appendLine(&b, row)
	}
	return b.String()
}
