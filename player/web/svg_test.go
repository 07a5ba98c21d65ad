package web

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/player/web/chromium"
)

func writeSVG(t *testing.T, m *Movie, opt SVGOptions) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.svg")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSVG(f, m, opt); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSVGWellFormed parses the SVG as XML: an SVG that is not well-formed
// shows nothing at all.
func TestSVGWellFormed(t *testing.T) {
	for _, loop := range []bool{false, true} {
		b, err := os.ReadFile(writeSVG(t, sessionMovie(t), SVGOptions{Loop: loop}))
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(strings.NewReader(string(b)))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("loop=%v: not well-formed XML: %v", loop, err)
				}
				break
			}
		}
		if !strings.Contains(string(b), "truecolour") {
			t.Error("the SVG lacks the session's text")
		}
	}
}

// svgVisibleText reads, in Chromium, the screen that the strip's animation
// has moved into the window: each text piece with the cell it starts at.
const svgVisibleText = `(() => {
	const strip = document.querySelector(".strip");
	const ty = new DOMMatrix(getComputedStyle(strip).transform).m42;
	const win = strip.ownerSVGElement;
	const h = win.viewBox.baseVal.height;
	const g = strip.children[Math.round(-ty / h)];
	if (!g) return [];
	const out = [];
	for (const tx of g.querySelectorAll("text")) {
		for (const sp of tx.querySelectorAll("tspan")) {
			const xs = sp.getAttribute("x").split(" ").map(Number);
			const chars = [...sp.textContent];
			if (xs.length > 1) chars.forEach((c, k) => out.push({y: Number(tx.getAttribute("y")), x: xs[k], s: c, w: true}));
			else out.push({y: Number(tx.getAttribute("y")), x: xs[0], s: sp.textContent});
		}
	}
	return out;
})()`

func TestSVGInChromium(t *testing.T) {
	b := chromium.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m := sessionMovie(t)
	path := writeSVG(t, m, SVGOptions{})
	p, err := b.NewPage(ctx, 800, 400)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+path); err != nil {
		t.Fatal(err)
	}
	// Run the animation to its end: it stays on the final screen.
	if err := p.Eval(ctx, `(() => { const a = document.getAnimations(); a.forEach(x => x.finish()); return a.length; })()`, nil); err != nil {
		t.Fatal(err)
	}
	final := visibleSVGScreen(ctx, t, p, m.Rows)
	if want := screenAt(m.Duration); final != want {
		t.Errorf("the SVG's final screen is\n%s\nwant\n%s", final, want)
	}
	shot := filepath.Join(artefactDir(t), "svg-final.png")
	if err := p.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	// Part way, the animation shows that moment's screen.
	if err := p.Eval(ctx, `document.getAnimations().forEach(a => { a.pause(); a.currentTime = 4500; })`, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := visibleSVGScreen(ctx, t, p, m.Rows), screenAt(4.5); got != want {
		t.Errorf("at 4.5s the SVG shows\n%s\nwant\n%s", got, want)
	}
	// Wide characters sit in their two cells.
	if err := p.Eval(ctx, `document.getAnimations().forEach(a => { a.currentTime = 3500; })`, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := visibleSVGScreen(ctx, t, p, m.Rows), screenAt(3.5); got != want || !strings.Contains(got, "日本語 ✓ é") {
		t.Errorf("at 3.5s the SVG shows\n%s\nwant\n%s", got, want)
	}
	for _, u := range p.Requests() {
		if !strings.HasPrefix(u, "file://") {
			t.Errorf("the SVG requested %s", u)
		}
	}
}

// visibleSVGScreen returns the screen text in the SVG's window, each piece
// placed at its row and column, trailing blanks trimmed, as the emulator's
// Text prints it (a wide character once, in its first cell).
func visibleSVGScreen(ctx context.Context, t *testing.T, p *chromium.Page, rows int) string {
	t.Helper()
	var pieces []struct {
		Y, X float64
		S    string
		W    bool // a wide character: its second cell shows nothing
	}
	if err := p.Eval(ctx, svgVisibleText, &pieces); err != nil {
		t.Fatal(err)
	}
	const fs = 14.0
	cw, lh := round2(fs*0.6), round2(fs*1.25)
	grid := make([][]string, rows)
	for _, pc := range pieces {
		r := int((pc.Y-lh*0.8)/lh + 0.5)
		c := int(pc.X/cw + 0.5)
		if r < 0 || r >= rows {
			t.Fatalf("text at y=%v is off the screen", pc.Y)
		}
		for _, ch := range pc.S {
			for len(grid[r]) <= c {
				grid[r] = append(grid[r], " ")
			}
			grid[r][c] = string(ch)
			c++
			if pc.W {
				for len(grid[r]) <= c {
					grid[r] = append(grid[r], " ")
				}
				grid[r][c] = ""
				c++
			}
		}
	}
	lines := make([]string, rows)
	for r := range grid {
		lines[r] = strings.TrimRight(strings.Join(grid[r], ""), " ")
	}
	return strings.Join(lines, "\n")
}
