package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/player/web/chromium"
	"github.com/runbook-dev/runbook/recording"
)

// publishCLI runs the CLI in this process.
func publishCLI(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(args, &IO{In: strings.NewReader(""), Out: &o, Err: &e})
	return code, o.String(), e.String()
}

// demoRecording runs the built-in demo runbook for real (bash in a pty)
// once per test process and returns its recording, with its index beside
// it. Tests only read it (and write beside it under other names).
func demoRecording(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "runbook-publish-demo-")
		if err != nil {
			demoErr = err.Error()
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		// A home of its own: the session's bash then reads no ~/.bashrc of
		// this machine's user (one that waits on a lock would stall it).
		home := filepath.Join(dir, "home")
		if err := os.Mkdir(home, 0o700); err != nil {
			demoErr = err.Error()
			return
		}
		t.Setenv("HOME", home)
		rec := filepath.Join(dir, "demo.ttyrec")
		if code, _, errOut := publishCLI(t, "demo", "--record", rec, "--cols", "80", "--rows", "24", "--quiet"); code != 0 {
			demoErr = fmt.Sprintf("runbook demo: exit %d: %s", code, errOut)
			return
		}
		demoRec = rec
	})
	if demoErr != "" {
		t.Fatal(demoErr)
	}
	return demoRec
}

var (
	demoOnce sync.Once
	demoRec  string
	demoErr  string
)

// artefacts is where end-to-end tests leave screenshots for people.
func artefacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RUNBOOK_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "runbook-artefacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// renderText is `runbook render REC --at T` (text).
func renderText(t *testing.T, rec string, at float64) string {
	t.Helper()
	code, out, errOut := publishCLI(t, "render", rec, "--at", fmt.Sprintf("%.9fs", at))
	if code != 0 {
		t.Fatalf("runbook render --at %.9fs: exit %d: %s", at, code, errOut)
	}
	return strings.TrimRight(out, "\n")
}

// renderEnd is `runbook render REC --end` (text): the final screen.
func renderEnd(t *testing.T, rec string) string {
	t.Helper()
	code, out, errOut := publishCLI(t, "render", rec, "--end")
	if code != 0 {
		t.Fatalf("runbook render --end: exit %d: %s", code, errOut)
	}
	return strings.TrimRight(out, "\n")
}

// pageData returns the screens a page carries, decompressed.
func pageData(t *testing.T, html []byte) string {
	t.Helper()
	const open = `<script id="rb-data" type="application/octet-stream">`
	i := bytes.Index(html, []byte(open))
	if i < 0 {
		t.Fatal("the page has no data script")
	}
	rest := html[i+len(open):]
	j := bytes.Index(rest, []byte("</script>"))
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(rest[:j])))
	if err != nil {
		t.Fatalf("page data: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("page data: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("page data: %v", err)
	}
	return string(b)
}

type pageState struct {
	Ready    bool    `json:"ready"`
	Time     float64 `json:"time"`
	Playing  bool    `json:"playing"`
	Step     int     `json:"step"`
	Duration float64 `json:"duration"`
	Poster   bool    `json:"poster"`
}

// TestExportPageMatchesRender records a real run, exports it, and checks
// in headless Chromium, with no network, that the page plays, seeks and
// jumps to steps, and that what it shows equals `runbook render`.
func TestExportPageMatchesRender(t *testing.T) {
	b := chromium.ForTest(t)
	rec := demoRecording(t)
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "demo.html")
	// At the recording's own time, to compare with runbook render.
	if code, _, errOut := publishCLI(t, "export", rec, page, "--pace", "real"); code != 0 {
		t.Fatalf("runbook export: exit %d: %s", code, errOut)
	}
	// The run's secret is nowhere in the page, compressed data included.
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	data := pageData(t, html)
	for _, where := range []string{string(html), data} {
		if strings.Contains(where, "s3cr3t-demo-token") {
			t.Error("the page holds the demo's secret")
		}
	}
	if !strings.Contains(data, "****") {
		t.Error("the page's screens lack the masked secret ****")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p, err := b.NewPage(ctx, 1200, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+page); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `document.getElementById("rb").dataset.ready`); err != nil {
		t.Fatal(err)
	}
	var ready string
	p.Eval(ctx, `document.getElementById("rb").dataset.ready`, &ready)
	if ready != "true" {
		t.Fatalf("the page did not load its recording (console: %q)", p.Console())
	}
	for _, u := range p.Requests() {
		if !strings.HasPrefix(u, "file://") {
			t.Errorf("the page requested %s", u)
		}
	}
	state := func() pageState {
		t.Helper()
		var s pageState
		if err := p.Eval(ctx, "RunbookPlayer.state()", &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	text := func() string {
		t.Helper()
		var s string
		if err := p.Eval(ctx, "RunbookPlayer.screenText()", &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	check := func(what string) {
		t.Helper()
		s := state()
		// Blank rows at the bottom are trimmed on both sides, as render prints.
		if got, want := strings.TrimRight(text(), "\n"), renderText(t, rec, s.Time); got != want {
			t.Errorf("%s (%.6fs): the page shows\n%s\nrunbook render shows\n%s", what, s.Time, got, want)
		}
	}
	if len(ix.Steps) < 3 {
		t.Fatalf("the demo recorded %d steps", len(ix.Steps))
	}

	// Play at quarter speed, so the demo's one second lasts a while, then pause.
	if err := p.Eval(ctx, "RunbookPlayer.setSpeed(0.25)", nil); err != nil {
		t.Fatal(err)
	}
	if err := p.ClickSelector(ctx, "#rb-play"); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `RunbookPlayer.state().time > 0.05`); err != nil {
		t.Fatal(err)
	}
	if err := p.ClickSelector(ctx, "#rb-play"); err != nil {
		t.Fatal(err)
	}
	if s := state(); s.Playing {
		t.Error("still playing after pause")
	}
	check("paused while playing")

	// Jump to step 3 from the step list; ] goes on to step 4.
	if err := p.ClickSelector(ctx, `.rb-step[data-n="3"] .rb-jump`); err != nil {
		t.Fatal(err)
	}
	if err := p.Eval(ctx, fmt.Sprintf("RunbookPlayer.pause(); RunbookPlayer.seek(%v)", float64(ix.Steps[2].Start)), nil); err != nil {
		t.Fatal(err)
	}
	if s := state(); s.Step != 3 {
		t.Errorf("after the jump the page is at step %d", s.Step)
	}
	check("at step 3")
	if err := p.Key(ctx, "]"); err != nil {
		t.Fatal(err)
	}
	if s := state(); s.Step != 4 || s.Time != float64(ix.Steps[3].Start) {
		t.Errorf("after ] the page is at step %d, %vs; want step 4 at %vs", s.Step, s.Time, ix.Steps[3].Start)
	}
	check("at step 4")
	// Seek back to the start of the recording and to the middle of a step.
	if err := p.Key(ctx, "Home"); err != nil {
		t.Fatal(err)
	}
	check("at the start")
	mid := float64(ix.Steps[1].Start+ix.Steps[1].End) / 2
	if err := p.Eval(ctx, fmt.Sprintf("RunbookPlayer.seek(%v)", mid), nil); err != nil {
		t.Fatal(err)
	}
	check("in the middle of step 2")
	if err := p.Key(ctx, "End"); err != nil {
		t.Fatal(err)
	}
	check("at the end")
	shot := filepath.Join(artefacts(t), "export-demo-page.png")
	if err := p.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the exported page: %s", shot)

	// Every command of the run is in the step list as text.
	var cmds []string
	if err := p.Eval(ctx, `[...document.querySelectorAll(".rb-cmd code")].map(c => c.textContent)`, &cmds); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range ix.Steps {
		for _, c := range s.Commands {
			if !c.Skipped {
				want = append(want, c.Text)
			}
		}
	}
	if strings.Join(cmds, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("the step list has commands\n%q\nthe index has\n%q", cmds, want)
	}
}

// TestExportHumanPace exports a real run at human pace (the default) and
// checks it in headless Chromium the way a reader sees it: before play a
// poster (the last screen, not a blank box) and the full length on the
// clock; step marks spread over the timeline, not piled in its first
// pixels; a width that does not change when text appears; after play, the
// final screen. Screenshots before and after play are kept as artefacts.
func TestExportHumanPace(t *testing.T) {
	b := chromium.ForTest(t)
	rec := demoRecording(t)
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "demo.html")
	if code, _, errOut := publishCLI(t, "export", rec, page); code != 0 {
		t.Fatalf("runbook export: exit %d: %s", code, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	p, err := b.NewPage(ctx, 1200, 900)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+page); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `document.getElementById("rb").dataset.ready === "true"`); err != nil {
		t.Fatalf("%v (console: %q)", err, p.Console())
	}
	var st pageState
	eval := func(expr string, out any) {
		t.Helper()
		if err := p.Eval(ctx, expr, out); err != nil {
			t.Fatal(err)
		}
	}
	text := func() string {
		var s string
		eval("RunbookPlayer.screenText()", &s)
		return strings.TrimRight(s, "\n")
	}
	width := func() float64 {
		var w float64
		eval(`document.getElementById("rb-player").getBoundingClientRect().width`, &w)
		return w
	}
	final := renderEnd(t, rec)

	// Before play: the poster, at 0:00 of a clock that shows the length.
	eval("RunbookPlayer.state()", &st)
	if !st.Poster || st.Time != 0 {
		t.Errorf("before play: poster %v at %vs", st.Poster, st.Time)
	}
	if got := text(); got != final || strings.TrimSpace(got) == "" {
		t.Errorf("before play the page shows\n%s\nwant the final screen\n%s", got, final)
	}
	var clock string
	eval(`document.getElementById("rb-dur").textContent`, &clock)
	if clock == "0:00" || st.Duration < 5 {
		t.Errorf("the clock reads %s for %.1f s", clock, st.Duration)
	}
	realLen := float64(ix.Steps[len(ix.Steps)-1].End)
	if st.Duration < 5*realLen {
		t.Errorf("human pace lasts %.1f s for a run of %.1f s", st.Duration, realLen)
	}
	before := width()
	shot1 := filepath.Join(artefacts(t), "export-human-pace-before-play.png")
	if err := p.Screenshot(ctx, shot1); err != nil {
		t.Fatal(err)
	}

	// Step marks spread over the timeline.
	var marks []float64
	eval(`[...document.querySelectorAll(".rb-mark")].map(m => parseFloat(m.style.left))`, &marks)
	if len(marks) != len(ix.Steps) {
		t.Fatalf("%d step marks for %d steps", len(marks), len(ix.Steps))
	}
	for i := 1; i < len(marks); i++ {
		if marks[i]-marks[i-1] < 2 {
			t.Errorf("step marks %d and %d are %.2f%% of the timeline apart: %v", i, i+1, marks[i]-marks[i-1], marks)
		}
	}
	if marks[len(marks)-1] < 40 {
		t.Errorf("the last step starts at %.1f%% of the timeline: %v", marks[len(marks)-1], marks)
	}

	// Play it all, fast; the width holds while text appears.
	eval("RunbookPlayer.setSpeed(8)", nil)
	if err := p.ClickSelector(ctx, "#rb-big-play"); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `RunbookPlayer.state().time > 1`); err != nil {
		t.Fatal(err)
	}
	eval("RunbookPlayer.state()", &st)
	if st.Poster || !st.Playing {
		t.Errorf("after play: poster %v, playing %v", st.Poster, st.Playing)
	}
	if w := width(); w != before {
		t.Errorf("the player is %.1f px wide while playing, %.1f px before", w, before)
	}
	if err := p.WaitFor(ctx, `!RunbookPlayer.state().playing && RunbookPlayer.state().time >= RunbookPlayer.state().duration`); err != nil {
		t.Fatal(err)
	}
	if got := text(); got != final {
		t.Errorf("after play the page shows\n%s\nwant\n%s", got, final)
	}
	if w := width(); w != before {
		t.Errorf("the player is %.1f px wide after play, %.1f px before", w, before)
	}
	shot2 := filepath.Join(artefacts(t), "export-human-pace-after-play.png")
	if err := p.Screenshot(ctx, shot2); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s, %s", shot1, shot2)
}

// TestConvertPaceHuman: convert --pace human writes a plain ttyrec that
// any player plays at human pace, with its index moved along; --pace real
// keeps the time.
func TestConvertPaceHuman(t *testing.T) {
	rec := demoRecording(t)
	dir := t.TempDir()
	human, real := filepath.Join(dir, "human.ttyrec"), filepath.Join(dir, "real.ttyrec")
	if code, _, errOut := publishCLI(t, "convert", rec, human, "--pace", "human"); code != 0 {
		t.Fatalf("convert --pace human: exit %d: %s", code, errOut)
	}
	if code, _, errOut := publishCLI(t, "convert", rec, real, "--pace", "real"); code != 0 {
		t.Fatalf("convert --pace real: exit %d: %s", code, errOut)
	}
	orig, _ := recording.ReadIndex(recording.IndexPath(rec))
	hix, err := recording.ReadIndex(recording.IndexPath(human))
	if err != nil {
		t.Fatal(err)
	}
	rix, _ := recording.ReadIndex(recording.IndexPath(real))
	n := len(orig.Steps) - 1
	if rix.Steps[n].End != orig.Steps[n].End {
		t.Errorf("--pace real moved the end from %v to %v", orig.Steps[n].End, rix.Steps[n].End)
	}
	if hix.Steps[n].End < 5*orig.Steps[n].End || hix.Steps[n].End < 5 {
		t.Errorf("--pace human ends at %v, the run at %v", hix.Steps[n].End, orig.Steps[n].End)
	}
	// The same screens at the end: pacing moves time, not bytes.
	if a, b := renderEnd(t, human), renderEnd(t, rec); a != b {
		t.Errorf("final screens differ:\n%s\n---\n%s", a, b)
	}
	if code, _, errOut := publishCLI(t, "convert", rec, filepath.Join(dir, "x.ttyrec"), "--pace", "slow"); code != 2 || !strings.Contains(errOut, "want human or real") {
		t.Errorf("--pace slow: exit %d: %s", code, errOut)
	}
}

// TestExportSVGFinalScreen exports the demo as an SVG and checks in
// Chromium that the animation ends on the screen `runbook render --end`
// prints.
func TestExportSVGFinalScreen(t *testing.T) {
	b := chromium.ForTest(t)
	rec := demoRecording(t)
	svg := filepath.Join(t.TempDir(), "demo.svg")
	if code, _, errOut := publishCLI(t, "export", rec, svg); code != 0 {
		t.Fatalf("runbook export: exit %d: %s", code, errOut)
	}
	code, want, errOut := publishCLI(t, "render", rec, "--end")
	if code != 0 {
		t.Fatalf("runbook render --end: exit %d: %s", code, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := b.NewPage(ctx, 900, 600)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+svg); err != nil {
		t.Fatal(err)
	}
	if err := p.Eval(ctx, `document.getAnimations().forEach(a => a.finish())`, nil); err != nil {
		t.Fatal(err)
	}
	// The screen in the window: rows by their y, text pieces by their x.
	var rows []string
	if err := p.Eval(ctx, `(() => {
		const strip = document.querySelector(".strip");
		const h = strip.ownerSVGElement.viewBox.baseVal.height;
		const g = strip.children[Math.round(-new DOMMatrix(getComputedStyle(strip).transform).m42 / h)];
		const rowH = 14 * 1.25, cw = 14 * 0.6, out = [];
		for (const tx of g.querySelectorAll("text")) {
			const r = Math.round((Number(tx.getAttribute("y")) - rowH * 0.8) / rowH);
			const cells = [];
			for (const sp of tx.querySelectorAll("tspan")) {
				const xs = sp.getAttribute("x").split(" ").map(Number);
				[...sp.textContent].forEach((c, k) => {
					const col = Math.round((xs.length > 1 ? xs[k] : xs[0] + k * cw) / cw);
					while (cells.length < col) cells.push(" ");
					cells[col] = c;
				});
			}
			while (out.length <= r) out.push("");
			out[r] = cells.map(c => c === undefined ? " " : c).join("").replace(/ +$/, "");
		}
		return out;
	})()`, &rows); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimRight(strings.Join(rows, "\n"), "\n")
	if want = strings.TrimRight(want, "\n"); got != want {
		t.Errorf("the SVG ends on\n%s\nrunbook render --end shows\n%s", got, want)
	}
	shot := filepath.Join(artefacts(t), "export-demo-svg.png")
	if err := p.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the exported SVG: %s", shot)
}
