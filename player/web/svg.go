package web

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SVGOptions shape the animated SVG.
type SVGOptions struct {
	// Loop repeats the animation; otherwise it plays once and stays on the
	// final screen.
	Loop bool
	// FontSize in pixels (default 14).
	FontSize float64
	// MaxFrames bounds the number of distinct screens (default 3000):
	// frames closer together than needed are merged, keeping the later.
	MaxFrames int
}

// svgHold is how long the final screen shows before a loop starts again.
const svgHold = 2.0

// WriteSVG writes m as an animated SVG that needs no script: every distinct
// screen is drawn once, stacked in a strip, and a CSS animation moves the
// strip behind a window one screen high. Text stays text: it can be
// selected, searched and read by screen readers.
func WriteSVG(w io.Writer, m *Movie, opt SVGOptions) error {
	if m.Cols <= 0 || m.Rows <= 0 || len(m.Frames) == 0 {
		return fmt.Errorf("movie has no screen to draw (%dx%d, %d frames)", m.Cols, m.Rows, len(m.Frames))
	}
	if opt.FontSize <= 0 {
		opt.FontSize = 14
	}
	if opt.MaxFrames <= 0 {
		opt.MaxFrames = 3000
	}
	g := newSVGLayout(m, opt.FontSize)
	frames := svgFrames(m, opt.MaxFrames)
	screens, order := svgScreens(frames)
	total := m.Duration
	if opt.Loop || total <= 0 {
		total += svgHold
	}
	// Draw the strip first so the style sheet knows every style.
	styles := &svgStyles{index: map[Style]int{}}
	strip := svgStrip(screens, g, styles)

	bw := bufio.NewWriter(w)
	writeSVGHead(bw, m.Title, g)
	for _, c := range styles.css {
		fmt.Fprintf(bw, "%s\n", c)
	}
	writeSVGKeyframes(bw, frames, order, total, g.sh)
	iter := "1 forwards"
	if opt.Loop {
		iter = "infinite"
	}
	fmt.Fprintf(bw, ".strip{animation:play %.3fs steps(1,end) %s}\n", total, iter)
	fmt.Fprintf(bw, "</style>\n")
	fmt.Fprintf(bw, `<rect width="%g" height="%g" rx="6" style="fill:var(--bg)"/>`+"\n", g.W, g.H)
	fmt.Fprintf(bw, `<svg x="%g" y="%g" width="%g" height="%g" viewBox="0 0 %g %g">`+"\n", g.pad, g.pad, g.sw, g.sh, g.sw, g.sh)
	fmt.Fprintf(bw, `<g class="strip">`+"\n%s</g>\n</svg>\n</svg>\n", strip)
	return bw.Flush()
}

// svgLayout is where things go in the SVG, in pixels, for one font size.
type svgLayout struct {
	fs     float64 // font size
	cw, lh float64 // a monospace cell's width, a row's height
	pad    float64 // around the screen
	sw, sh float64 // the screen's window
	W, H   float64 // the whole image
}

// newSVGLayout places m's screen for font size fs.
func newSVGLayout(m *Movie, fs float64) svgLayout {
	g := svgLayout{fs: fs}
	g.cw = round2(fs * 0.6)
	g.lh = round2(fs * 1.25)
	g.pad = round2(fs)
	g.sw, g.sh = round2(float64(m.Cols)*g.cw), round2(float64(m.Rows)*g.lh)
	g.W, g.H = g.sw+2*g.pad, g.sh+2*g.pad
	return g
}

// svgScreens lists the distinct screens among frames, each drawn once, and
// for each frame the index of its screen: the timeline refers to them.
func svgScreens(frames []Frame) (screens []Frame, order []int) {
	seen := map[string]int{}
	order = make([]int, len(frames))
	for i, f := range frames {
		k := svgScreenKey(f)
		j, ok := seen[k]
		if !ok {
			j = len(screens)
			seen[k] = j
			screens = append(screens, f)
		}
		order[i] = j
	}
	return screens, order
}

// svgScreenKey is the same for frames that draw the same screen.
func svgScreenKey(f Frame) string {
	var b strings.Builder
	for _, l := range f.Lines {
		for _, s := range l {
			fmt.Fprintf(&b, "%q%d,%d,%d,%t;", s.Text, s.Style.FG, s.Style.BG, s.Style.Attrs, s.Wide)
		}
		b.WriteByte('\n')
	}
	if f.Cursor.Visible {
		fmt.Fprintf(&b, "c%d,%d", f.Cursor.Col, f.Cursor.Row)
	}
	return b.String()
}

// svgStyles numbers the styles the strip draws with, in order of first
// use, each with its CSS class.
type svgStyles struct {
	index map[Style]int
	css   []string
}

// class is the CSS class for s ("" for the default style), made at its
// first use.
func (st *svgStyles) class(s Style) string {
	if s == (Style{FG: DefaultColor, BG: DefaultColor}) {
		return ""
	}
	i, ok := st.index[s]
	if !ok {
		i = len(st.index) + 1
		st.index[s] = i
		st.css = append(st.css, svgStyleCSS(i, s))
	}
	return "s" + strconv.Itoa(i)
}

// writeSVGHead writes the SVG's opening up to the style sheet's fixed rules.
func writeSVGHead(bw *bufio.Writer, title string, g svgLayout) {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s">`+"\n",
		g.W, g.H, g.W, g.H, html.EscapeString(title))
	p("<title>%s</title>\n", html.EscapeString(title))
	p("<style>\n")
	p(":root{--bg:#0e0f11;--fg:#d0d0d0;%s}\n", paletteVars(darkPalette))
	p("@media (prefers-color-scheme: light){:root{--bg:#ffffff;--fg:#222222;%s}}\n", paletteVars(lightPalette))
	p(`text{font-family:"DejaVu Sans Mono","Cascadia Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:%gpx;fill:var(--fg);white-space:pre}`+"\n", g.fs)
	p(".cur{fill:var(--fg);opacity:.7}\n")
}

// writeSVGKeyframes writes the strip's moves: one stop per frame, holding
// until the next, showing screen order[i] for frames[i].
func writeSVGKeyframes(bw *bufio.Writer, frames []Frame, order []int, total, sh float64) {
	fmt.Fprintf(bw, "@keyframes play{")
	for i, f := range frames {
		pct := 0.0
		if total > 0 {
			pct = 100 * f.At / total
		}
		fmt.Fprintf(bw, "%s%%{transform:translateY(%gpx)}", strconv.FormatFloat(round3(pct), 'f', -1, 64), -round2(float64(order[i])*sh))
	}
	fmt.Fprintf(bw, "100%%{transform:translateY(%gpx)}}\n", -round2(float64(order[len(order)-1])*sh))
}

// svgStrip draws the screens one under another, registering the styles
// they use.
func svgStrip(screens []Frame, g svgLayout, styles *svgStyles) string {
	var strip strings.Builder
	for i, f := range screens {
		fmt.Fprintf(&strip, `<g transform="translate(0 %g)">`, round2(float64(i)*g.sh))
		for r, l := range f.Lines {
			writeSVGRow(&strip, f, r, l, g, styles)
		}
		strip.WriteString("</g>\n")
	}
	return strip.String()
}

// writeSVGRow draws row r of screen f: backgrounds first, so the text lies
// on them, then the cursor, then the text.
func writeSVGRow(b *strings.Builder, f Frame, r int, l Line, g svgLayout, styles *svgStyles) {
	y := round2(float64(r) * g.lh)
	col := 0
	for _, s := range l {
		n := utf8.RuneCountInString(s.Text)
		if s.Wide {
			n *= 2
		}
		if bg := svgBG(s.Style); bg != "" {
			fmt.Fprintf(b, `<rect x="%g" y="%g" width="%g" height="%g" style="fill:%s"/>`, round2(float64(col)*g.cw), y, round2(float64(n)*g.cw), g.lh, bg)
		}
		col += n
	}
	if f.Cursor.Visible && f.Cursor.Row == r {
		fmt.Fprintf(b, `<rect class="cur" x="%g" y="%g" width="%g" height="%g"/>`, round2(float64(f.Cursor.Col)*g.cw), y, g.cw, g.lh)
	}
	if len(l) == 0 {
		return
	}
	fmt.Fprintf(b, `<text y="%g">`, round2(y+g.lh*0.8))
	writeSVGText(b, l, g, styles)
	b.WriteString("</text>")
}

// writeSVGText writes a row's spans as tspans at their cells; blanks in the
// default style are left out, and every wide rune gets its own x.
func writeSVGText(b *strings.Builder, l Line, g svgLayout, styles *svgStyles) {
	col := 0
	for _, s := range l {
		n := utf8.RuneCountInString(s.Text)
		cls := styles.class(s.Style)
		attr := ""
		if cls != "" {
			attr = ` class="` + cls + `"`
		}
		if s.Wide {
			xs := make([]string, 0, n)
			for k := 0; k < n; k++ {
				xs = append(xs, strconv.FormatFloat(round2(float64(col+2*k)*g.cw), 'f', -1, 64))
			}
			fmt.Fprintf(b, `<tspan x="%s"%s>%s</tspan>`, strings.Join(xs, " "), attr, html.EscapeString(s.Text))
			col += 2 * n
			continue
		}
		if strings.TrimSpace(s.Text) != "" || cls != "" {
			fmt.Fprintf(b, `<tspan x="%g"%s>%s</tspan>`, round2(float64(col)*g.cw), attr, html.EscapeString(s.Text))
		}
		col += n
	}
}

// svgFrames keeps about limit frames at most, merging frames too close together
// (the later screen wins), and always the first and the last.
func svgFrames(m *Movie, limit int) []Frame {
	in := m.Frames
	gap := 1.0 / 30 // no eye sees screens shorter than this
	if m.Duration > 0 && m.Duration/float64(limit) > gap {
		gap = m.Duration / float64(limit)
	}
	out := make([]Frame, 0, min(len(in), limit+1))
	for _, f := range in {
		if n := len(out); n > 0 && f.At-out[n-1].At < gap {
			// Too soon after the frame kept before: this later screen
			// replaces it, so the last frame kept is the final screen.
			out[n-1].Lines, out[n-1].Cursor = f.Lines, f.Cursor
			continue
		}
		out = append(out, f)
	}
	return out
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

var (
	darkPalette = [16]string{"#1b1d1e", "#e05555", "#5ec35e", "#e2c044", "#5f8ee8", "#c678dd", "#45c0c0", "#c8c8c8",
		"#6f7378", "#ff7070", "#8ae08a", "#ffe070", "#8ab4ff", "#e29ef0", "#7ee0e0", "#ffffff"}
	lightPalette = [16]string{"#000000", "#b21818", "#127b12", "#8a6d00", "#1c4fb3", "#9b1e9b", "#117a7a", "#b8b8b8",
		"#5f5f5f", "#e02424", "#1e9e1e", "#b08900", "#3a6fe0", "#c33bc3", "#1aa0a0", "#e8e8e8"}
)

func paletteVars(p [16]string) string {
	var b strings.Builder
	for i, c := range p {
		fmt.Fprintf(&b, "--c%d:%s;", i, c)
	}
	return b.String()
}

// cssColor is the CSS for a terminal colour ("" for the default).
func cssColor(c Color) string {
	switch {
	case c < 0:
		return ""
	case c < 16:
		return fmt.Sprintf("var(--c%d)", c)
	case c < 232:
		lv := [6]int{0, 95, 135, 175, 215, 255}
		i := int(c) - 16
		return fmt.Sprintf("#%02x%02x%02x", lv[i/36], lv[i/6%6], lv[i%6])
	case c < 256:
		g := 8 + (int(c)-232)*10
		return fmt.Sprintf("#%02x%02x%02x", g, g, g)
	}
	v := int(c) & 0xffffff
	return fmt.Sprintf("#%06x", v)
}

// fgBG returns the colours a style draws with: bold brightens the basic
// colours and inverse swaps foreground and background, as on the page.
func fgBG(s Style) (fg, bg string) {
	f := s.FG
	if s.Attrs&Bold != 0 && f >= 0 && f < 8 {
		f += 8
	}
	fg, bg = cssColor(f), cssColor(s.BG)
	if s.Attrs&Inverse != 0 {
		fg, bg = bg, fg
		if fg == "" {
			fg = "var(--bg)"
		}
		if bg == "" {
			bg = "var(--fg)"
		}
	}
	return fg, bg
}

func svgBG(s Style) string { _, bg := fgBG(s); return bg }

func svgStyleCSS(i int, s Style) string {
	fg, _ := fgBG(s)
	var r []string
	if fg != "" {
		r = append(r, "fill:"+fg)
	}
	if s.Attrs&Bold != 0 {
		r = append(r, "font-weight:bold")
	}
	if s.Attrs&Faint != 0 {
		r = append(r, "opacity:.65")
	}
	if s.Attrs&Italic != 0 {
		r = append(r, "font-style:italic")
	}
	var dec []string
	if s.Attrs&Underline != 0 {
		dec = append(dec, "underline")
	}
	if s.Attrs&Strike != 0 {
		dec = append(dec, "line-through")
	}
	if len(dec) > 0 {
		r = append(r, "text-decoration:"+strings.Join(dec, " "))
	}
	if s.Attrs&Invisible != 0 {
		r = append(r, "fill:transparent")
	}
	return fmt.Sprintf(".s%d{%s}", i, strings.Join(r, ";"))
}
