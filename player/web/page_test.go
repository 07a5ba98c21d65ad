package web

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/player/screen"
	"github.com/runbook-dev/runbook/player/web/chromium"
)

// event is one chunk of terminal output in a test session.
type event struct {
	at   float64
	data string
}

// session is a short shell session with colours, wide characters, a
// full-screen redraw and two steps: real terminal output for the emulator.
var session = []event{
	{0, "\x1b%G\x1b[8;12;60t"},
	{0.1, "\x1b[?2004h$ "},
	{0.5, "echo hello"},
	{1.0, "\r\nhello\r\n$ "},
	{1.5, "ls --color"},
	{2.0, "\r\n\x1b[0m\x1b[01;34mbin\x1b[0m  \x1b[01;32mrun.sh\x1b[0m  notes.txt  \x1b[7mrev\x1b[27m\r\n$ "},
	{3.0, "printf '日本語 ✓ é\\n'"},
	{3.2, "\r\n日本語 ✓ é\r\n$ "},
	{4.0, "seq 1 20"},
	{4.3, "\r\n" + seqLines(1, 20) + "$ "},
	{5.0, "clear"},
	{5.1, "\r\n\x1b[H\x1b[2J$ "},
	{6.0, "\x1b[38;2;255;128;0mtruecolour\x1b[0m \x1b[48;5;22mbg\x1b[0m"},
	{7.5, "\r\n$ "},
}

func seqLines(a, b int) string {
	var sb strings.Builder
	for i := a; i <= b; i++ {
		fmt.Fprintf(&sb, "%d\r\n", i)
	}
	return sb.String()
}

func sessionMovie(t testing.TB) *Movie {
	t.Helper()
	f := NewFrames(60, 12)
	for _, e := range session {
		f.Output(e.at, []byte(e.data))
	}
	cols, rows := f.Size()
	return &Movie{
		Title: "Test session <&>", Host: "andromeda", StartedAt: "2024-05-01T10:00:00Z",
		Cols: cols, Rows: rows, Duration: session[len(session)-1].at,
		Frames: f.List(),
		Steps: []Step{
			{N: 1, Name: "Say hello", Status: "ok", Start: 0.5, End: 1.0, Narration: []string{"A greeting."},
				Commands: []Command{{Text: "echo hello", Start: 0.5, End: 1.0}}},
			{N: 2, Name: "List and print", Status: "ok", Start: 1.5, End: 3.2,
				Commands: []Command{{Text: "ls --color", Start: 1.5, End: 2.0}, {Text: "printf '日本語 ✓ é\\n'", Start: 3.0, End: 3.2}}},
			{N: 3, Name: "Count", Status: "failed", Start: 4.0, End: 4.3,
				Commands: []Command{{Text: "seq 1 20 && echo '<done>'", Start: 4.0, End: 4.3, Exit: 1}}},
			{N: 4, Name: "Clear", Status: "ok", Start: 5.0, End: 7.5},
		},
		Markers: []Marker{{At: 6.0, Label: "colours"}},
	}
}

// screenAt is what the emulator shows at time t: the text `runbook render
// --at t` prints.
func screenAt(t float64) string {
	s := screen.New(60, 12)
	for _, e := range session {
		if e.at <= t {
			s.Write([]byte(e.data))
		}
	}
	return s.Text()
}

// artefactDir is where the tests leave screenshots for people to look at.
func artefactDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("testdata", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

func writePage(t testing.TB, m *Movie) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.html")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePage(out, m); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type playerState struct {
	Ready    bool    `json:"ready"`
	Time     float64 `json:"time"`
	Playing  bool    `json:"playing"`
	Speed    float64 `json:"speed"`
	Frame    int     `json:"frame"`
	Step     int     `json:"step"`
	Duration float64 `json:"duration"`
	Poster   bool    `json:"poster"`
}

func state(ctx context.Context, t *testing.T, p *chromium.Page) playerState {
	t.Helper()
	var st playerState
	if err := p.Eval(ctx, "RunbookPlayer.state()", &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func pageText(ctx context.Context, t *testing.T, p *chromium.Page) string {
	t.Helper()
	var s string
	if err := p.Eval(ctx, "RunbookPlayer.screenText()", &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitReady waits for the page to load its data, failing on a load error.
func waitReady(ctx context.Context, t *testing.T, p *chromium.Page) {
	t.Helper()
	if err := p.WaitFor(ctx, `document.getElementById("rb").dataset.ready`); err != nil {
		t.Fatal(err)
	}
	var ready, msg string
	p.Eval(ctx, `document.getElementById("rb").dataset.ready`, &ready)
	if ready != "true" {
		p.Eval(ctx, `document.getElementById("rb-overlay").textContent`, &msg)
		t.Fatalf("page did not load: %s (console: %q)", msg, p.Console())
	}
}

func TestPageInChromium(t *testing.T) {
	b := chromium.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	m := sessionMovie(t)
	path := writePage(t, m)
	p, err := b.NewPage(ctx, 1100, 900)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+path); err != nil {
		t.Fatal(err)
	}
	waitReady(ctx, t, p)
	var overlay bool
	if err := p.Eval(ctx, `getComputedStyle(document.getElementById("rb-overlay")).display !== "none"`, &overlay); err != nil {
		t.Fatal(err)
	}
	if overlay {
		t.Error("the loading overlay still covers the screen")
	}
	// Loaded with no network: nothing but the file itself was requested.
	for _, u := range p.Requests() {
		if !strings.HasPrefix(u, "file://") {
			t.Errorf("the page requested %s", u)
		}
	}

	// It opens on a poster, the last screen, at time 0.
	if got, want := pageText(ctx, t, p), screenAt(m.Duration); got != want || !state(ctx, t, p).Poster {
		t.Errorf("before play the page shows\n%s\nwant the last screen\n%s", got, want)
	}

	// Plays: space starts it from the start, time moves and the screen follows.
	if err := p.Eval(ctx, `document.getElementById("rb-player").focus()`, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Key(ctx, " "); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `RunbookPlayer.state().time > 1.2`); err != nil {
		t.Fatal(err)
	}
	if !state(ctx, t, p).Playing {
		t.Error("not playing after space")
	}
	if err := p.Key(ctx, " "); err != nil {
		t.Fatal(err)
	}
	st := state(ctx, t, p)
	if st.Playing {
		t.Error("still playing after a second space")
	}
	if got, want := pageText(ctx, t, p), screenAt(st.Time); got != want {
		t.Errorf("paused at %.3fs the page shows\n%s\nwant\n%s", st.Time, got, want)
	}

	// Seeks: → is 5 s on; Home back to 0.
	if err := p.Key(ctx, "Home"); err != nil {
		t.Fatal(err)
	}
	if err := p.Key(ctx, "ArrowRight"); err != nil {
		t.Fatal(err)
	}
	if st := state(ctx, t, p); st.Time != 5 {
		t.Errorf("after Home, → the time is %v, want 5", st.Time)
	}
	if got, want := pageText(ctx, t, p), screenAt(5); got != want {
		t.Errorf("at 5s the page shows\n%s\nwant\n%s", got, want)
	}
	// Seek backwards far, past a keyframe: the screen is rebuilt, not replayed.
	if err := p.Eval(ctx, "RunbookPlayer.seek(4.3)", nil); err != nil {
		t.Fatal(err)
	}
	if got, want := pageText(ctx, t, p), screenAt(4.3); got != want {
		t.Errorf("at 4.3s the page shows\n%s\nwant\n%s", got, want)
	}

	// Speed: + goes up a notch, - back down.
	if err := p.Key(ctx, "+"); err != nil {
		t.Fatal(err)
	}
	if st := state(ctx, t, p); st.Speed != 1.5 {
		t.Errorf("after + the speed is %v, want 1.5", st.Speed)
	}
	if err := p.Key(ctx, "-"); err != nil {
		t.Fatal(err)
	}
	if st := state(ctx, t, p); st.Speed != 1 {
		t.Errorf("after - the speed is %v, want 1", st.Speed)
	}
	// 5 jumps to half way.
	if err := p.Key(ctx, "5"); err != nil {
		t.Fatal(err)
	}
	if st := state(ctx, t, p); st.Time != m.Duration/2 {
		t.Errorf("after 5 the time is %v, want %v", st.Time, m.Duration/2)
	}
	if got, want := pageText(ctx, t, p), screenAt(m.Duration/2); got != want {
		t.Errorf("at half way the page shows\n%s\nwant\n%s", got, want)
	}

	// A step's mark on the seek bar takes you to the step's start.
	if err := p.ClickSelector(ctx, ".rb-mark:nth-child(3)"); err != nil {
		t.Fatal(err)
	}
	if st := state(ctx, t, p); st.Time != 4.0 || st.Step != 3 {
		t.Errorf("after clicking step 3's mark the page is at %vs, step %d", st.Time, st.Step)
	}

	// Jumps to a step from the step list, and to the next with ].
	if err := p.ClickSelector(ctx, `.rb-step[data-n="2"] .rb-jump`); err != nil {
		t.Fatal(err)
	}
	if err := p.Eval(ctx, "RunbookPlayer.pause()", nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Eval(ctx, "RunbookPlayer.seek(1.5)", nil); err != nil {
		t.Fatal(err)
	}
	st = state(ctx, t, p)
	if st.Step != 2 {
		t.Errorf("after jumping to step 2 the page is at step %d", st.Step)
	}
	if got, want := pageText(ctx, t, p), screenAt(1.5); got != want {
		t.Errorf("at step 2 the page shows\n%s\nwant\n%s", got, want)
	}
	if err := p.Key(ctx, "]"); err != nil {
		t.Fatal(err)
	}
	if st := state(ctx, t, p); st.Step != 3 || st.Time != 4.0 {
		t.Errorf("after ] the page is at step %d, %vs; want step 3 at 4s", st.Step, st.Time)
	}
	if got, want := pageText(ctx, t, p), screenAt(4.0); got != want {
		t.Errorf("at step 3 the page shows\n%s\nwant\n%s", got, want)
	}
	var current string
	if err := p.Eval(ctx, `document.querySelector(".rb-step.current").dataset.n`, &current); err != nil {
		t.Fatal(err)
	}
	if current != "3" {
		t.Errorf("step list highlights step %s, want 3", current)
	}
	// The end shows the final screen, colours and all.
	if err := p.Key(ctx, "End"); err != nil {
		t.Fatal(err)
	}
	if got, want := pageText(ctx, t, p), screenAt(m.Duration); got != want {
		t.Errorf("at the end the page shows\n%s\nwant\n%s", got, want)
	}
	var colour string
	if err := p.Eval(ctx, `getComputedStyle([...document.querySelectorAll("#rb-screen span")].find(s => s.textContent === "truecolour")).color`, &colour); err != nil {
		t.Fatal(err)
	}
	if colour != "rgb(255, 128, 0)" {
		t.Errorf("truecolour text is drawn in %s", colour)
	}

	// Commands are selectable text, escaped, in the step list.
	var cmds []string
	if err := p.Eval(ctx, `[...document.querySelectorAll(".rb-cmd code")].map(c => c.textContent)`, &cmds); err != nil {
		t.Fatal(err)
	}
	want := []string{"echo hello", "ls --color", "printf '日本語 ✓ é\\n'", "seq 1 20 && echo '<done>'"}
	if strings.Join(cmds, "|") != strings.Join(want, "|") {
		t.Errorf("step list commands = %q, want %q", cmds, want)
	}
	var sel string
	if err := p.Eval(ctx, `(() => { const c = document.querySelectorAll(".rb-cmd code")[3]; const r = document.createRange();
		r.selectNodeContents(c); getSelection().removeAllRanges(); getSelection().addRange(r); return getSelection().toString(); })()`, &sel); err != nil {
		t.Fatal(err)
	}
	if sel != want[3] {
		t.Errorf("selecting a command gives %q", sel)
	}
	// Copy: the button puts the command on the clipboard, or selects it
	// where the browser allows no clipboard.
	if err := p.ClickSelector(ctx, `.rb-step[data-n="1"] .rb-copy`); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `document.querySelector('.rb-step[data-n="1"] .rb-copy').textContent === "copied" || getSelection().toString() === "echo hello"`); err != nil {
		t.Error(err)
	}
	shot := filepath.Join(artefactDir(t), "page-desktop.png")
	if err := p.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)

	// Light and dark: the theme button switches the terminal's colours.
	var bg1, bg2 string
	p.Eval(ctx, `getComputedStyle(document.getElementById("rb-screen")).backgroundColor`, &bg1)
	if err := p.ClickSelector(ctx, "#rb-theme"); err != nil {
		t.Fatal(err)
	}
	p.Eval(ctx, `getComputedStyle(document.getElementById("rb-screen")).backgroundColor`, &bg2)
	if bg1 == bg2 {
		t.Errorf("the theme button left the background at %s", bg1)
	}

	// Responsive: on a phone-sized viewport the terminal still fits.
	if err := p.SetViewport(ctx, 380, 800); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `(() => { const s = document.getElementById("rb-screen"); return s.scrollWidth <= s.clientWidth + 1 && document.documentElement.scrollWidth <= 381; })()`); err != nil {
		t.Error(err)
	}
	shot = filepath.Join(artefactDir(t), "page-phone.png")
	if err := p.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	for _, l := range p.Console() {
		if strings.HasPrefix(l, "exception") || strings.HasPrefix(l, "error") {
			t.Errorf("page console: %s", l)
		}
	}
}

// TestLimitIdle shortens a long still stretch, moving steps and markers
// with the time around them.
func TestLimitIdle(t *testing.T) {
	m := &Movie{Cols: 10, Rows: 2, Duration: 30,
		Frames:  []Frame{{At: 0}, {At: 1}, {At: 21}, {At: 22}},
		Steps:   []Step{{N: 1, Start: 0.5, End: 1}, {N: 2, Start: 10, End: 22}, {N: 3, Start: 21.5, End: 30}},
		Markers: []Marker{{At: 25}},
	}
	m.LimitIdle(2)
	var got []float64
	for _, f := range m.Frames {
		got = append(got, f.At)
	}
	if want := []float64{0, 1, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("frames at %v, want %v", got, want)
	}
	// A time inside a shortened stretch lands at its end.
	if s := m.Steps[1]; s.Start != 3 || s.End != 4 {
		t.Errorf("step 2 at %v–%v, want 3–4", s.Start, s.End)
	}
	if s := m.Steps[2]; s.Start != 3.5 || s.End != 6 {
		t.Errorf("step 3 at %v–%v, want 3.5–6", s.Start, s.End)
	}
	if m.Markers[0].At != 6 || m.Duration != 6 {
		t.Errorf("marker at %v, duration %v; want 6 and 6", m.Markers[0].At, m.Duration)
	}
}

// TestResizeGrowsThePage: a recording that grows its terminal exports at
// its largest size, every frame fitting.
func TestResizeGrowsThePage(t *testing.T) {
	f := NewFrames(20, 3)
	f.Output(0.1, []byte("small\r\n"))
	f.Resize(0.2, 40, 6)
	f.Output(0.3, []byte("\x1b[6;1Hbottom row of the larger screen"))
	cols, rows := f.Size()
	if cols != 40 || rows != 6 {
		t.Fatalf("size %dx%d, want 40x6", cols, rows)
	}
	m := &Movie{Cols: cols, Rows: rows, Duration: 0.3, Frames: f.List()}
	d, err := encodeData(m)
	if err != nil {
		t.Fatal(err)
	}
	last := d.K[0]
	for j := 1; j < len(d.D); j++ {
		for x := 0; x+1 < len(d.D[j]); x += 2 {
			last[d.D[j][x]] = d.D[j][x+1]
		}
	}
	if got := d.Lines[last[5]]; len(got) == 0 || got[0] != "bottom row of the larger screen" {
		t.Errorf("last row of the last frame is %v", got)
	}
	if err := WritePage(io.Discard, m); err != nil {
		t.Fatal(err)
	}
}
