package player

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/runbook-dev/runbook/player/screen"
)

// RenderFormats are the formats Render writes.
var RenderFormats = []string{"text", "ansi", "html", "svg"}

// Render writes one screen: "text" (what capture-pane prints), "ansi"
// (text with colours as SGR sequences, for a terminal), "html" (a
// self-contained <pre>) or "svg" (an image whose text stays selectable).
func Render(w io.Writer, s screen.Emulator, format string) error {
	bw := bufio.NewWriter(w)
	switch format {
	case "text", "":
		bw.WriteString(s.Text())
		bw.WriteByte('\n')
	case "ansi":
		renderANSI(bw, s)
	case "html":
		renderHTML(bw, s)
	case "svg":
		renderSVG(bw, s)
	default:
		return fmt.Errorf("unknown render format %q (want %s)", format, strings.Join(RenderFormats, ", "))
	}
	return bw.Flush()
}

// style is what changes the look of a cell, reverse video applied.
type style struct {
	fg, bg screen.Color
	attrs  screen.Attr
}

func styleOf(c screen.Cell) style {
	st := style{fg: c.FG, bg: c.BG, attrs: c.Attrs &^ screen.AttrReverse}
	if c.Reverse {
		st.fg, st.bg = c.BG, c.FG
		st.attrs |= screen.AttrReverse // remembered: a default swaps too
	}
	return st
}

// rowRuns splits a row into runs of one style, trailing default blanks
// dropped.
type run struct {
	st   style
	col  int
	text string
}

func rowRuns(s screen.Emulator, y int) []run {
	cols, _ := s.Size()
	end := cols
	for end > 0 {
		c := s.Cell(end-1, y)
		if (c.Rune != ' ' && c.Width != 0) || c.Combining != "" || !c.BG.IsDefault() || c.Reverse {
			break
		}
		end--
	}
	var runs []run
	var b strings.Builder
	cur, start := style{}, 0
	for x := 0; x < end; x++ {
		c := s.Cell(x, y)
		if c.Width == 0 {
			continue
		}
		st := styleOf(c)
		if b.Len() > 0 && st != cur {
			runs = append(runs, run{cur, start, b.String()})
			b.Reset()
		}
		if b.Len() == 0 {
			cur, start = st, x
		}
		b.WriteString(c.Text())
	}
	if b.Len() > 0 {
		runs = append(runs, run{cur, start, b.String()})
	}
	return runs
}

func sgrColor(b []string, c screen.Color, base int) []string {
	if n, ok := c.Index(); ok {
		switch {
		case n < 8:
			return append(b, fmt.Sprint(base+int(n)))
		case n < 16:
			return append(b, fmt.Sprint(base+60+int(n)-8))
		}
		return append(b, fmt.Sprintf("%d;5;%d", base+8, n))
	}
	if r, g, bl, ok := c.RGB(); ok {
		return append(b, fmt.Sprintf("%d;2;%d;%d;%d", base+8, r, g, bl))
	}
	return b
}

func renderANSI(w *bufio.Writer, s screen.Emulator) {
	_, rows := s.Size()
	var b bytes.Buffer
	for y := 0; y < rows; y++ {
		b.Reset()
		renderANSIRow(&b, s, y)
		w.Write(b.Bytes())
		w.WriteString("\x1b[0m\n")
	}
}

// renderANSIRow writes row y's runs, each with its full SGR.
func renderANSIRow(w *bytes.Buffer, s screen.Emulator, y int) {
	for _, r := range rowRuns(s, y) {
		codes := []string{"0"}
		a := r.st.attrs
		for _, f := range []struct {
			bit  screen.Attr
			code string
		}{{screen.AttrBold, "1"}, {screen.AttrFaint, "2"}, {screen.AttrItalic, "3"}, {screen.AttrUnderline, "4"},
			{screen.AttrBlink, "5"}, {screen.AttrReverse, "7"}, {screen.AttrInvisible, "8"}, {screen.AttrStrike, "9"}} {
			if a&f.bit != 0 {
				codes = append(codes, f.code)
			}
		}
		fg, bg := r.st.fg, r.st.bg
		if a&screen.AttrReverse != 0 {
			fg, bg = bg, fg // SGR 7 swaps them back
		}
		codes = sgrColor(codes, fg, 30)
		codes = sgrColor(codes, bg, 40)
		fmt.Fprintf(w, "\x1b[%sm%s", strings.Join(codes, ";"), r.text)
	}
}

// Default colours of the html and svg renderings (a dark terminal); the
// html page's CSS variables let a page restyle them.
const (
	defaultFG = "#d0d0d0"
	defaultBG = "#1c1c1c"
)

var base16 = [16]string{
	"#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
	"#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
}

// ColorCSS returns c as a CSS colour (xterm's palette), or "" for the
// default.
func ColorCSS(c screen.Color) string {
	if n, ok := c.Index(); ok {
		switch {
		case n < 16:
			return base16[n]
		case n < 232:
			n -= 16
			lv := func(v uint8) int {
				if v == 0 {
					return 0
				}
				return 55 + 40*int(v)
			}
			return fmt.Sprintf("#%02x%02x%02x", lv(n/36), lv(n/6%6), lv(n%6))
		default:
			g := 8 + 10*int(n-232)
			return fmt.Sprintf("#%02x%02x%02x", g, g, g)
		}
	}
	if r, g, b, ok := c.RGB(); ok {
		return fmt.Sprintf("#%02x%02x%02x", r, g, b)
	}
	return ""
}

// colours resolves a style's colours, defaults included; bold makes the
// eight basic colours bright, as terminals do.
func colours(st style) (fg, bg string) {
	f, b := st.fg, st.bg
	if n, ok := f.Index(); ok && n < 8 && st.attrs&screen.AttrBold != 0 {
		f = screen.Indexed(n + 8)
	}
	fg, bg = ColorCSS(f), ColorCSS(b)
	if st.attrs&screen.AttrReverse != 0 {
		if fg == "" {
			fg = defaultBG
		}
		if bg == "" {
			bg = defaultFG
		}
	}
	if fg == "" {
		fg = defaultFG
	}
	return fg, bg
}

func cssOf(st style) string {
	fg, bg := colours(st)
	var css []string
	if fg != defaultFG {
		css = append(css, "color:"+fg)
	}
	if bg != "" {
		css = append(css, "background:"+bg)
	}
	a := st.attrs
	if a&screen.AttrBold != 0 {
		css = append(css, "font-weight:bold")
	}
	if a&screen.AttrFaint != 0 {
		css = append(css, "opacity:.6")
	}
	if a&screen.AttrItalic != 0 {
		css = append(css, "font-style:italic")
	}
	var deco []string
	if a&screen.AttrUnderline != 0 {
		deco = append(deco, "underline")
	}
	if a&screen.AttrStrike != 0 {
		deco = append(deco, "line-through")
	}
	if len(deco) > 0 {
		css = append(css, "text-decoration:"+strings.Join(deco, " "))
	}
	if a&screen.AttrInvisible != 0 {
		css = append(css, "visibility:hidden")
	}
	return strings.Join(css, ";")
}

func renderHTML(w *bufio.Writer, s screen.Emulator) {
	cols, rows := s.Size()
	fmt.Fprintf(w, `<pre class="runbook-screen" style="background:%s;color:%s;font-family:monospace;line-height:1.2;width:%dch;padding:.5em;margin:0">`,
		defaultBG, defaultFG, cols)
	for y := 0; y < rows; y++ {
		for _, r := range rowRuns(s, y) {
			if css := cssOf(r.st); css != "" {
				fmt.Fprintf(w, `<span style="%s">%s</span>`, css, html.EscapeString(r.text))
			} else {
				w.WriteString(html.EscapeString(r.text))
			}
		}
		w.WriteByte('\n')
	}
	w.WriteString("</pre>\n")
}

func renderSVG(w *bufio.Writer, s screen.Emulator) {
	const cw, ch = 8.4, 17.0 // cell size in px for a 14 px monospace font
	cols, rows := s.Size()
	width, height := float64(cols)*cw, float64(rows)*ch
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.1f %.1f">`+"\n",
		width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="%s"/>`+"\n", defaultBG)
	w.WriteString(`<g font-family="monospace" font-size="14" xml:space="preserve">` + "\n")
	for y := 0; y < rows; y++ {
		runs := rowRuns(s, y)
		for _, r := range runs {
			if _, bg := colours(r.st); bg != "" {
				n := 0
				for _, c := range r.text {
					n += max(screen.RuneWidth(c), 0)
				}
				fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n",
					float64(r.col)*cw, float64(y)*ch, float64(n)*cw, ch, bg)
			}
		}
		if len(runs) == 0 {
			continue
		}
		fmt.Fprintf(w, `<text y="%.1f">`, float64(y)*ch+ch*0.78)
		for _, r := range runs {
			fg, _ := colours(r.st)
			extra := ""
			if r.st.attrs&screen.AttrBold != 0 {
				extra += ` font-weight="bold"`
			}
			if r.st.attrs&screen.AttrItalic != 0 {
				extra += ` font-style="italic"`
			}
			if r.st.attrs&screen.AttrUnderline != 0 {
				extra += ` text-decoration="underline"`
			}
			fmt.Fprintf(w, `<tspan x="%.1f" fill="%s"%s>%s</tspan>`, float64(r.col)*cw, fg, extra, html.EscapeString(r.text))
		}
		w.WriteString("</text>\n")
	}
	w.WriteString("</g>\n</svg>\n")
}
