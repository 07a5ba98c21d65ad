package web

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed assets/page.html assets/page.css assets/page.js
var assets embed.FS

var pageTmpl = template.Must(template.New("page.html").ParseFS(assets, "assets/page.html"))

// WritePage writes m as one self-contained HTML page: no request leaves it
// (its Content-Security-Policy forbids any), so it plays offline, from a
// file or from any web server.
func WritePage(w io.Writer, m *Movie) error {
	d, err := encodeData(m)
	if err != nil {
		return err
	}
	packed, err := packData(d)
	if err != nil {
		return err
	}
	css, err := assets.ReadFile("assets/page.css")
	if err != nil {
		return err
	}
	js, err := assets.ReadFile("assets/page.js")
	if err != nil {
		return err
	}
	title := m.Title
	if title == "" {
		title = "Terminal recording"
	}
	v := struct {
		Title, Host, StartedAt, Length string
		Duration                       float64
		CSS                            template.CSS
		JS                             template.JS
		Data                           string
		Steps                          []Step
		Notes                          []string
		// Final is the last screen's text: the poster before play, and
		// what readers without scripts see.
		Final string
		// Cols and Height size the screen before the player draws it, so
		// the page keeps its width (Height in em: rows of 1.2em).
		Cols   int
		Height string
	}{
		Title: title, Host: m.Host, StartedAt: m.StartedAt, Length: clock(m.Duration),
		Duration: m.Duration, CSS: template.CSS(css), JS: template.JS(js), Data: packed, Steps: m.Steps, Notes: m.Notes,
		Final: finalText(m), Cols: m.Cols, Height: fmt.Sprintf("%.1f", float64(m.Rows)*1.2),
	}
	if err := pageTmpl.Execute(w, v); err != nil {
		return fmt.Errorf("write page: %w", err)
	}
	return nil
}

// clock formats seconds as m:ss or h:mm:ss, as the page's player does.
func clock(sec float64) string {
	d := time.Duration(sec) * time.Second
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// finalText is the last frame's text, blank rows at the end left out.
func finalText(m *Movie) string {
	f := m.Frames[len(m.Frames)-1]
	lines := make([]string, len(f.Lines))
	for i, l := range f.Lines {
		lines[i] = l.Text()
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}
