package screen

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/runbook-dev/runbook/internal/shared"
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTool fails the test when a reference program is missing in CI, where
// scripts/apt-packages.txt installs it, and skips it elsewhere.
func needTool(t testing.TB, name string) string {
	t.Helper()
	return testenv.Program(t, name)
}

// tmuxRef is a real tmux pane whose program copies our bytes to its raw
// terminal: the reference screen we compare with.
type tmuxRef struct {
	t    testing.TB
	sock string
	w    *os.File
	mark int
}

func startTmux(t testing.TB, cols, rows int) *tmuxRef {
	t.Helper()
	needTool(t, "tmux")
	dir := t.TempDir()
	r := &tmuxRef{t: t, sock: filepath.Join(dir, "sock")}
	fifo := filepath.Join(dir, "in")
	if err := exec.Command("mkfifo", fifo).Run(); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	// stty raw: no ONLCR or other output processing between cat and tmux.
	r.run("-f", "/dev/null", "new-session", "-d", "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows),
		"stty raw -echo; exec cat "+fifo)
	t.Cleanup(func() { exec.Command("tmux", "-S", r.sock, "kill-server").Run() })
	r.run("set", "-g", "status", "off")
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("open fifo: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	r.w = w
	return r
}

func (r *tmuxRef) run(args ...string) string {
	r.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", r.sock}, args...)...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (r *tmuxRef) feed(b []byte) {
	if _, err := r.w.Write(b); err != nil {
		r.t.Fatalf("write to tmux pane: %v", err)
	}
}

func (r *tmuxRef) resize(cols, rows int) {
	r.run("resize-window", "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows))
}

// capture waits until tmux has parsed everything fed so far (a title set
// after the data comes back), then returns the pane's text as Text does.
func (r *tmuxRef) capture() string {
	r.t.Helper()
	r.mark++
	want := fmt.Sprintf("rbmark-%d", r.mark)
	// CAN first: ends any sequence a cut frame left open, in tmux as in
	// our screen (the caller writes the same byte to both).
	r.feed([]byte("\x1b]2;" + want + "\x07"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := strings.TrimSpace(r.run("display", "-p", "#{pane_title}"))
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("tmux never showed title %q (have %q)", want, got)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return strings.TrimSuffix(r.run("capture-pane", "-p"), "\n")
}

// cursor returns tmux's cursor position, past-the-edge column included.
func (r *tmuxRef) cursor() string {
	return strings.TrimSpace(r.run("display", "-p", "#{cursor_x},#{cursor_y}"))
}

type frame struct {
	data       []byte
	cols, rows int // a resize event when cols > 0
}

// readFrames reads a ttyrec or asciicast v2/v3 file with no help from the
// recording package, so the emulator's tests stand on their own.
func readFrames(t testing.TB, path string) (cols, rows int, frames []frame) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".ttyrec") {
		for len(b) >= 12 {
			n := int(binary.LittleEndian.Uint32(b[8:12]))
			if len(b) < 12+n {
				break
			}
			frames = append(frames, frame{data: b[12 : 12+n]})
			b = b[12+n:]
		}
		return 80, 24, frames
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 16<<20)
	cols, rows = 80, 24
	for first := true; sc.Scan(); first = false {
		line := sc.Bytes()
		if first {
			var h struct {
				Width, Height int
				Term          struct{ Cols, Rows int }
			}
			if json.Unmarshal(line, &h) == nil {
				if h.Width > 0 {
					cols, rows = h.Width, h.Height
				}
				if h.Term.Cols > 0 {
					cols, rows = h.Term.Cols, h.Term.Rows
				}
			}
			continue
		}
		var ev []any
		if json.Unmarshal(line, &ev) != nil || len(ev) < 3 {
			continue
		}
		code, _ := ev[1].(string)
		data, _ := ev[2].(string)
		switch code {
		case "o":
			frames = append(frames, frame{data: []byte(data)})
		case "r":
			var c, r int
			if _, err := fmt.Sscanf(data, "%dx%d", &c, &r); err == nil {
				frames = append(frames, frame{cols: c, rows: r})
			}
		}
	}
	return cols, rows, frames
}

// compareWithTmux feeds frames to our screen and to tmux and compares the
// screen text after every frame for which check(i) is true.
func compareWithTmux(t *testing.T, path string, check func(i, n int) bool) {
	cols, rows, frames := readFrames(t, path)
	ref := startTmux(t, cols, rows)
	s := New(cols, rows)
	checked := 0
	for i, f := range frames {
		if f.cols > 0 {
			ref.resize(f.cols, f.rows)
			s.Resize(f.cols, f.rows)
			continue
		}
		ref.feed(f.data)
		s.Write(f.data)
		if !check(i, len(frames)) {
			continue
		}
		want := ref.capture()
		checked++
		if got := tmuxText(s); got != want {
			t.Fatalf("%s: screen differs from tmux after frame %d (%q):\n%s",
				filepath.Base(path), i, f.data, lineDiff(want, got))
		}
		// The cursor tells whether wide characters took the cells tmux
		// gave them, which the text alone cannot show.
		if want, got := ref.cursor(), fmt.Sprintf("%d,%d", s.x, s.y); got != want {
			t.Fatalf("%s: cursor differs from tmux after frame %d (%q): tmux %s, ours %s",
				filepath.Base(path), i, f.data, want, got)
		}
	}
	t.Logf("%s: %d frames, %d compared with tmux", filepath.Base(path), len(frames), checked)
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "row %2d tmux: %q\n       ours: %q\n", i, wl, gl)
		}
	}
	return b.String()
}

var (
	corpusDir    = filepath.Join(shared.Dir(), "corpus")
	realworldDir = filepath.Join(shared.Dir(), "realworld")
)

func TestMatchesTmuxCorpusEveryFrame(t *testing.T) {
	for _, name := range []string{"ttyrec.ttyrec", "termrec.ttyrec", "asciinema.cast", "truncated-payload.ttyrec"} {
		t.Run(name, func(t *testing.T) {
			compareWithTmux(t, filepath.Join(corpusDir, name), func(i, n int) bool { return true })
		})
	}
}

func TestMatchesTmuxRealworldSampled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		every int
	}{
		{"ttrp-simple.ttyrec", 1},
		{"jwodder-hello.ttyrec", 1},
		{"termrec-asciicast-escapes.cast", 1},
		{"asciinema-server-welcome.v2.cast", 7},
		{"asciinema-server-big.v3.cast", 97},
	} {
		t.Run(tc.name, func(t *testing.T) {
			compareWithTmux(t, filepath.Join(realworldDir, tc.name), func(i, n int) bool {
				return i%tc.every == 0 || i == n-1
			})
		})
	}
}

// tmuxText is Text as tmux's capture-pane prints it: line-drawing cells
// (DEC graphics) as the ASCII byte the program sent.
func tmuxText(s *Screen) string {
	back := map[rune]rune{}
	for b, r := range decGraphics {
		back[r] = rune(b)
	}
	rows := make([]string, s.rows)
	for y := range rows {
		var b strings.Builder
		for _, c := range s.lines[y] {
			switch {
			case c.w == 0:
			case c.attr&attrCharset != 0:
				b.WriteRune(back[c.r])
			default:
				b.WriteRune(c.r)
				if c.comb != 0 {
					b.WriteString(s.combs.get(c.comb))
				}
			}
		}
		rows[y] = strings.TrimRight(b.String(), " ")
	}
	return strings.Join(rows, "\n")
}
