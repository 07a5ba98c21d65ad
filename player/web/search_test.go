package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/player/web/chromium"
	"github.com/runbook-dev/runbook/recording"
)

// sessionFile writes the test session as a ttyrec file.
func sessionFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "session.ttyrec")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := recording.NewEventWriter(f, "ttyrec", recording.Header{Cols: 60, Rows: 12})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range session {
		ev := recording.Event{Time: time.Duration(e.at * float64(time.Second)), Kind: recording.Output, Data: []byte(e.data)}
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadKeepsWhatScrolledAway: the movie's text holds every line
// printed, with the time it was complete, even lines no screen shows at
// the end.
func TestLoadKeepsWhatScrolledAway(t *testing.T) {
	m, _, err := Load(context.Background(), sessionFile(t), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]float64{}
	for _, l := range m.Text {
		at[l.Text] = l.At
	}
	for text, want := range map[string]float64{"$ echo hello": 1.0, "hello": 1.0, "bin  run.sh  notes.txt  rev": 2.0, "日本語 ✓ é": 3.2, "1": 4.3, "20": 4.3} {
		if got, ok := at[text]; !ok || got < want-1e-6 || got > want+1e-6 {
			t.Errorf("line %q: at %v (found %v), want %v; lines: %+v", text, got, ok, want, m.Text)
		}
	}
}

// TestPageSearch: the page's search finds text that scrolled away, lists
// it by step, and picking a match pauses on the screen it was printed to.
func TestPageSearch(t *testing.T) {
	b := chromium.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	m, _, err := Load(ctx, sessionFile(t), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.Steps = sessionMovie(t).Steps
	p, err := b.NewPage(ctx, 900, 700)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+writePage(t, m)); err != nil {
		t.Fatal(err)
	}
	waitReady(ctx, t, p)
	if strings.Contains(pageText(ctx, t, p), "notes.txt") {
		t.Fatal("the last screen already shows notes.txt: the test needs text that scrolled away")
	}
	var n int
	if err := p.Eval(ctx, `RunbookPlayer.search("NOTES.TXT")`, &n); err != nil || n != 1 {
		t.Fatalf("search NOTES.TXT: %d matches (%v), want 1 (case folded)", n, err)
	}
	var matches []struct {
		Time float64 `json:"time"`
		Step int     `json:"step"`
		Text string  `json:"text"`
	}
	p.Eval(ctx, `RunbookPlayer.matches()`, &matches)
	if len(matches) != 1 || matches[0].Step != 2 || matches[0].Time < 1.99 || matches[0].Time > 2.01 {
		t.Errorf("matches %+v, want one in step 2 at 2s", matches)
	}
	var listed string
	p.Eval(ctx, `document.getElementById("rb-results").textContent`, &listed)
	if !strings.Contains(listed, "step 2 · 0:02") || !strings.Contains(listed, "notes.txt") {
		t.Errorf("the list of matches reads %q", listed)
	}
	// "/" focuses the box; n shows the next match.
	p.Eval(ctx, `document.dispatchEvent(new KeyboardEvent("keydown", {key: "/"})), document.activeElement.id`, &listed)
	if listed != "rb-search" {
		t.Errorf("/ focused %q, want the search box", listed)
	}
	p.Eval(ctx, `document.activeElement.blur(), document.dispatchEvent(new KeyboardEvent("keydown", {key: "n"})), 0`, nil)
	st := state(ctx, t, p)
	if st.Playing || st.Time < 1.99 || st.Time > 2.01 || st.Step != 2 {
		t.Errorf("after n: %+v, want paused at 2s in step 2", st)
	}
	if got := pageText(ctx, t, p); !strings.Contains(got, "notes.txt") {
		t.Errorf("the match's screen does not show it:\n%s", got)
	}
	if err := p.Screenshot(ctx, filepath.Join(artefactDir(t), "page-search.png")); err != nil {
		t.Log(err)
	}
	if err := p.Eval(ctx, `RunbookPlayer.search("no such text")`, &n); err != nil || n != 0 {
		t.Errorf("search for text never printed: %d matches (%v)", n, err)
	}
}

// TestPageNotes: notes stand above the player, as text.
func TestPageNotes(t *testing.T) {
	m := sessionMovie(t)
	m.Notes = []string{"Recorded on a <test> host"}
	b, err := os.ReadFile(writePage(t, m))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	note := strings.Index(page, `<aside class="rb-note"`)
	if note < 0 || note > strings.Index(page, `id="rb-player"`) || !strings.Contains(page, "<li>Recorded on a &lt;test&gt; host</li>") {
		t.Errorf("the note is not above the player, escaped:\n%.2000s", page)
	}
}
