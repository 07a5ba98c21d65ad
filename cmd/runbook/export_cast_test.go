package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/runbook-dev/runbook/internal/testenv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"

	"github.com/runbook-dev/runbook/player/web/chromium"
	"github.com/runbook-dev/runbook/recording"
)

// The .cast export (`runbook convert REC out.cast`) checked by the real
// readers: asciinema 2.2's cat for v2, our reader for v3 (asciinema 2.2
// reads no v3), and asciinema-player from npm in headless Chromium for both,
// with the run's steps as markers.

// castEvents reads every event of a recording.
func castEvents(t *testing.T, path string) (recording.Header, []recording.Event) {
	t.Helper()
	r, err := recording.Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var evs []recording.Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		ev.Data = append([]byte(nil), ev.Data...)
		evs = append(evs, ev)
	}
	return r.Header(), evs
}

func outputBytes(evs []recording.Event) []byte {
	var b []byte
	for _, ev := range evs {
		if ev.Kind == recording.Output {
			b = append(b, ev.Data...)
		}
	}
	return b
}

func markersOf(evs []recording.Event) []recording.Event {
	var m []recording.Event
	for _, ev := range evs {
		if ev.Kind == recording.Mark {
			m = append(m, ev)
		}
	}
	return m
}

// needTool fails under CI when a peer tool is missing, and skips elsewhere.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	_ = pkg // the Debian package, listed in scripts/apt-packages.txt
	return testenv.Program(t, name)
}

// convertedCasts records the demo and converts it to asciicast v2 and v3.
func convertedCasts(t *testing.T) (rec, v2, v3 string, ix *recording.Index) {
	t.Helper()
	rec = demoRecording(t)
	dir := t.TempDir()
	v2, v3 = filepath.Join(dir, "demo.cast"), filepath.Join(dir, "demo-v3.cast")
	if code, _, errOut := publishCLI(t, "convert", rec, v2); code != 0 {
		t.Fatalf("runbook convert %s: exit %d: %s", v2, code, errOut)
	}
	if code, _, errOut := publishCLI(t, "convert", rec, v3, "--cast-v3"); code != 0 {
		t.Fatalf("runbook convert %s --cast-v3: exit %d: %s", v3, code, errOut)
	}
	var err error
	if ix, err = recording.ReadIndex(recording.IndexPath(rec)); err != nil {
		t.Fatal(err)
	}
	return rec, v2, v3, ix
}

// checkStepMarkers checks that a cast carries one marker per step, at the
// step's start, naming it.
func checkStepMarkers(t *testing.T, name string, evs []recording.Event, ix *recording.Index) {
	t.Helper()
	marks := markersOf(evs)
	if len(marks) != len(ix.Steps) {
		t.Errorf("%s: %d markers, the run had %d steps", name, len(marks), len(ix.Steps))
		return
	}
	for i, s := range ix.Steps {
		if d := math.Abs(marks[i].Time.Seconds() - float64(s.Start)); d > 0.001 {
			t.Errorf("%s: marker %d at %v, step %d starts at %vs", name, i, marks[i].Time, s.N, s.Start)
		}
		if !strings.Contains(string(marks[i].Data), s.Name) {
			t.Errorf("%s: marker %d is %q, want step %d's name %q", name, i, marks[i].Data, s.N, s.Name)
		}
	}
}

// TestCastExportPeers plays the v2 export with asciinema cat and reads the
// v3 export back.
func TestCastExportPeers(t *testing.T) {
	asciinema := needTool(t, "asciinema", "asciinema")
	rec, v2, v3, ix := convertedCasts(t)
	_, want := castEvents(t, rec)
	_, got2 := castEvents(t, v2)
	_, got3 := castEvents(t, v3)

	// asciinema 2.2 cat needs a terminal even to print: give it a raw pty.
	out := runOnRawPTY(t, asciinema, "cat", v2)
	if !bytes.Equal(out, outputBytes(want)) {
		t.Errorf("asciinema cat printed %d bytes, the recording has %d:\n%q\nwant\n%q", len(out), len(outputBytes(want)), out, outputBytes(want))
	}

	// v3 read back: the same output at the same times (to the microsecond),
	// and the same markers, as v2.
	for _, c := range []struct {
		name string
		evs  []recording.Event
	}{{"v2", got2}, {"v3", got3}} {
		if !bytes.Equal(outputBytes(c.evs), outputBytes(want)) {
			t.Errorf("%s: output differs from the recording's", c.name)
		}
		var wt, gt []time.Duration
		for _, ev := range want {
			if ev.Kind == recording.Output {
				wt = append(wt, ev.Time)
			}
		}
		for _, ev := range c.evs {
			if ev.Kind == recording.Output {
				gt = append(gt, ev.Time)
			}
		}
		if len(wt) != len(gt) {
			t.Errorf("%s: %d output events, the recording has %d", c.name, len(gt), len(wt))
			continue
		}
		for i := range wt {
			if d := gt[i] - wt[i]; d > time.Microsecond || d < -time.Microsecond {
				t.Errorf("%s: output event %d at %v, the recording's at %v", c.name, i, gt[i], wt[i])
				break
			}
		}
		checkStepMarkers(t, c.name, c.evs, ix)
	}
}

// runOnRawPTY runs a program with a raw pty as its terminal and returns
// what it printed.
func runOnRawPTY(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		t.Fatal(err)
	}
	pty.Setsize(master, &pty.Winsize{Cols: 80, Rows: 24})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = ptyAttr()
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var buf bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); io.Copy(&buf, master) }()
	werr := cmd.Wait()
	master.Close()
	wg.Wait()
	if werr != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), werr, buf.Bytes())
	}
	return buf.Bytes()
}

// playerPage loads asciinema-player on a cast, served from a loopback
// server: the player's bundle from npm (player/web/npm, installed here).
const playerPage = `<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/player/asciinema-player.css"></head><body>
<div id="p"></div>
<script src="/player/asciinema-player.min.js"></script>
<script>
window.marks = [];
window.P = AsciinemaPlayer.create(%s, document.getElementById("p"), {preload: true, pauseOnMarkers: true, cols: 80, rows: 24});
P.addEventListener("marker", e => marks.push({index: e.index, time: e.time, label: e.label}));
</script></body></html>`

// asciinemaPlayerDir installs the pinned asciinema-player (npm ci) and
// returns its bundle's directory.
func asciinemaPlayerDir(t *testing.T) string {
	t.Helper()
	npm := needTool(t, "npm", "npm")
	dir, err := filepath.Abs(filepath.Join("..", "..", "player", "web", "npm"))
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "node_modules", "asciinema-player", "dist", "bundle")
	if _, err := os.Stat(filepath.Join(bundle, "asciinema-player.min.js")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return bundle
}

type apState struct {
	Duration float64 `json:"duration"`
	Time     float64 `json:"time"`
	Marks    []struct {
		Index int     `json:"index"`
		Time  float64 `json:"time"`
		Label string  `json:"label"`
	} `json:"marks"`
	Text []string `json:"text"`
}

// TestCastExportInAsciinemaPlayer plays the v2 and v3 exports in
// asciinema-player: their length is the recording's, playing stops at each
// step's marker, and the final screen is the one `runbook render --end`
// prints.
func TestCastExportInAsciinemaPlayer(t *testing.T) {
	b := chromium.ForTest(t)
	bundle := asciinemaPlayerDir(t)
	rec, v2, v3, ix := convertedCasts(t)
	code, final, errOut := publishCLI(t, "render", rec, "--end")
	if code != 0 {
		t.Fatalf("runbook render --end: exit %d: %s", code, errOut)
	}
	final = strings.TrimRight(final, "\n")
	mux := http.NewServeMux()
	mux.Handle("/player/", http.StripPrefix("/player/", http.FileServer(http.Dir(bundle))))
	mux.HandleFunc("/v2.cast", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, v2) })
	mux.HandleFunc("/v3.cast", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, v3) })
	for _, v := range []string{"v2", "v3"} {
		src, _ := json.Marshal("/" + v + ".cast")
		page := fmt.Sprintf(playerPage, src)
		mux.HandleFunc("/"+v+".html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
		})
	}
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	_, evs := castEvents(t, rec)
	duration := evs[len(evs)-1].Time.Seconds()
	for _, v := range []string{"v2", "v3"} {
		t.Run(v, func(t *testing.T) {
			p, err := b.NewPage(ctx, 1000, 700)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.SetOffline(ctx, false); err != nil {
				t.Fatal(err)
			}
			if err := p.Navigate(ctx, srv.URL+"/"+v+".html"); err != nil {
				t.Fatal(err)
			}
			if err := p.WaitFor(ctx, `window.P && P.getDuration() !== undefined`); err != nil {
				t.Fatal(err)
			}
			read := func() apState {
				t.Helper()
				var s apState
				if err := p.Eval(ctx, `({duration: P.getDuration(), time: P.getCurrentTime(), marks: marks,
					text: [...document.querySelectorAll(".ap-term .ap-line, .ap-terminal .ap-line")].map(l => l.textContent.replace(/\s+$/, ""))})`, &s); err != nil {
					t.Fatal(err)
				}
				return s
			}
			if s := read(); math.Abs(s.Duration-duration) > 0.01 {
				t.Errorf("asciinema-player says the cast lasts %vs, the recording %vs", s.Duration, duration)
			}
			// Play: it stops at every step's marker, in order.
			castPath := v2
			if v == "v3" {
				castPath = v3
			}
			_, castEvs := castEvents(t, castPath)
			steps := ix.Steps
			if len(markersOf(castEvs)) == 0 {
				t.Errorf("the %s cast has no markers: runbook convert does not carry the index's steps as m events", v)
				steps = nil
			}
			for i, step := range steps {
				if err := p.Eval(ctx, `P.play()`, nil); err != nil {
					t.Fatal(err)
				}
				wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
				err := p.WaitFor(wctx, fmt.Sprintf(`marks.length > %d`, i))
				wcancel()
				if err != nil {
					t.Fatalf("no marker %d (step %d %q): %v", i, step.N, step.Name, err)
				}
				m := read().Marks[i]
				if math.Abs(m.Time-float64(step.Start)) > 0.001 || !strings.Contains(m.Label, step.Name) {
					t.Errorf("marker %d is %q at %vs; step %d %q starts at %vs", i, m.Label, m.Time, step.N, step.Name, step.Start)
				}
			}
			// The end: the final screen.
			if err := p.Eval(ctx, `P.seek("100%")`, nil); err != nil {
				t.Fatal(err)
			}
			var got string
			deadline := time.Now().Add(10 * time.Second)
			for {
				got = strings.TrimRight(strings.Join(read().Text, "\n"), "\n")
				if got == final || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got != final {
				t.Errorf("asciinema-player's final screen is\n%s\nrunbook render --end shows\n%s", got, final)
			}
			shot := filepath.Join(artefacts(t), "asciinema-player-"+v+".png")
			if err := p.Screenshot(ctx, shot); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", shot)
			for _, l := range p.Console() {
				if strings.HasPrefix(l, "exception") || strings.HasPrefix(l, "error") {
					t.Errorf("page console: %s", l)
				}
			}
		})
	}
}
