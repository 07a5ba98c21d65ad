package player

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/player/web/chromium"
)

// renderInChromium renders the corpus session at 4.5 s (after the
// printf of bold red, green, reverse video and UTF-8) in format, loads it
// in headless Chromium and returns the page, the emulator's text and the
// rendered file.
func renderInChromium(t *testing.T, format string) (context.Context, *chromium.Page, *Recording, string) {
	t.Helper()
	path := filepath.Join(corpusDir, "ttyrec.ttyrec")
	needFile(t, path)
	r, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	scr, err := r.ScreenAt(context.Background(), 4500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Render(&out, scr, format); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "screen."+format)
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b := chromium.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	p, err := b.NewPage(ctx, 900, 500)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+file); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(renderArtefacts(t), "render-"+format+".png")
	if err := p.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	return ctx, p, r, scr.Text()
}

func renderArtefacts(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func trimLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// cssRGB turns "#rrggbb" into what getComputedStyle reports.
func cssRGB(hex string) string {
	n, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	return fmt.Sprintf("rgb(%d, %d, %d)", n>>16, n>>8&0xff, n&0xff)
}

// The html rendering, as Chromium lays it out, shows the emulator's text
// row for row, and each styled run in its colour.
func TestRenderHTMLInChromium(t *testing.T) {
	ctx, p, r, want := renderInChromium(t, "html")
	var got string
	if err := p.Eval(ctx, `document.querySelector("pre.runbook-screen").innerText`, &got); err != nil {
		t.Fatal(err)
	}
	if trimLines(got) != trimLines(want) {
		t.Errorf("Chromium shows\n%s\nthe emulator\n%s", got, want)
	}
	var spans []struct{ Text, Color, Background, Weight string }
	if err := p.Eval(ctx, `[...document.querySelectorAll("pre.runbook-screen span")].map(s => {
		const c = getComputedStyle(s);
		return {text: s.textContent, color: c.color, background: c.backgroundColor, weight: c.fontWeight};
	})`, &spans); err != nil {
		t.Fatal(err)
	}
	scr, _ := r.ScreenAt(context.Background(), 4500*time.Millisecond)
	_, rows := scr.Size()
	styled := 0
	for y := 0; y < rows; y++ {
		for _, run := range rowRuns(scr, y) {
			fg, bg := colours(run.st)
			if fg == defaultFG && bg == "" {
				continue
			}
			styled++
			found := false
			for _, s := range spans {
				if s.Text == run.text && s.Color == cssRGB(fg) && (bg == "" || s.Background == cssRGB(bg)) {
					found = true
				}
			}
			if !found {
				t.Errorf("row %d: %q should show in %s on %q; spans: %+v", y, run.text, fg, bg, spans)
			}
		}
	}
	if styled < 3 {
		t.Errorf("only %d styled runs at 4.5 s: the moment lacks the printf of colours", styled)
	}
}

// The svg rendering, as Chromium lays it out: every piece of text at its
// row and column gives back the emulator's text, and it is selectable.
func TestRenderSVGInChromium(t *testing.T) {
	ctx, p, _, want := renderInChromium(t, "svg")
	var pieces []struct {
		Y, X float64
		S    string
	}
	if err := p.Eval(ctx, `[...document.querySelectorAll("text")].flatMap(tx =>
		[...tx.querySelectorAll("tspan")].map(sp => ({y: +tx.getAttribute("y"), x: +sp.getAttribute("x"), s: sp.textContent})))`, &pieces); err != nil {
		t.Fatal(err)
	}
	const cw, ch = 8.4, 17.0
	grid := map[int][]rune{}
	for _, pc := range pieces {
		row := int((pc.Y-ch*0.78)/ch + 0.5)
		col := int(pc.X/cw + 0.5)
		line := grid[row]
		for len(line) < col {
			line = append(line, ' ')
		}
		line = append(line[:col], []rune(pc.S)...)
		grid[row] = line
	}
	rows := strings.Count(want, "\n") + 1
	var b strings.Builder
	for y := 0; y < rows; y++ {
		if y > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(string(grid[y]))
	}
	if got := trimLines(b.String()); got != trimLines(want) {
		t.Errorf("Chromium places\n%s\nthe emulator\n%s", got, want)
	}
	var sel string
	if err := p.Eval(ctx, `(() => { getSelection().selectAllChildren(document.documentElement); return getSelection().toString(); })()`, &sel); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sel, "hello from the anchors corpus") {
		t.Errorf("the SVG's text is not selectable: selection %q", sel)
	}
}
