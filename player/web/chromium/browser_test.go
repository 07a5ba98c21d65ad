package chromium

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOfflinePage loads a local page that tries to fetch from the network:
// the page itself works, the fetch fails, and the attempt is recorded.
func TestOfflinePage(t *testing.T) {
	b := ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	page := filepath.Join(dir, "p.html")
	html := `<!DOCTYPE html><title>hello</title><p id=x>text é</p>
<script>fetch("http://example.invalid/x").then(() => document.title = "online", () => document.title = "offline");
document.addEventListener("keydown", e => { document.getElementById("x").textContent = "key " + e.key; });</script>`
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := b.NewPage(ctx, 800, 600)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+page); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `document.title === "offline"`); err != nil {
		t.Fatal(err)
	}
	var text string
	if err := p.Eval(ctx, `document.getElementById("x").textContent`, &text); err != nil {
		t.Fatal(err)
	}
	if text != "text é" {
		t.Errorf("text = %q", text)
	}
	if err := p.Key(ctx, "]"); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `document.getElementById("x").textContent === "key ]"`); err != nil {
		t.Fatal(err)
	}
	reqs := strings.Join(p.Requests(), " ")
	if !strings.Contains(reqs, "example.invalid") {
		t.Errorf("the fetch was not recorded among the requests: %s", reqs)
	}
	shot := filepath.Join(dir, "shot.png")
	if err := p.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 100 {
		t.Fatalf("screenshot: %v %v", fi, err)
	}
}
