package prompt

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/internal/console"
	"github.com/runbook-dev/runbook/internal/testenv"
)

// ask runs Ask on a real pty in the background; the test plays the user.
func ask(t *testing.T, ctx context.Context, p func(*Terminal) *Prompter, it Item) (*console.Console, <-chan result) {
	t.Helper()
	c := console.New(t, 100, 30)
	term, err := NewTerminal(c.Tty(), c.Tty())
	if err != nil {
		t.Fatal(err)
	}
	pr := p(term)
	ch := make(chan result, 1)
	go func() {
		d, err := pr.Ask(ctx, it)
		ch <- result{d, err}
	}()
	return c, ch
}

type result struct {
	d   Decision
	err error
}

func plain(t *Terminal) *Prompter { return &Prompter{T: t} }

func wait(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(console.Timeout):
		t.Fatal("Ask did not return")
	}
	return result{}
}

func checkCooked(t *testing.T, c *console.Console) {
	t.Helper()
	if s := c.Stty(); !console.Cooked(s) {
		t.Errorf("terminal not back in cooked mode:\n%s", s)
	}
}

var item = Item{Step: 3, Steps: 14, Name: "Make Xen boot first",
	Narration: []string{"Xen must come before Linux in grub's menu."},
	Command:   "dpkg-divert --divert /etc/grub.d/08_linux_xen --rename /etc/grub.d/20_linux_xen"}

func TestAskKeys(t *testing.T) {
	for _, tc := range []struct {
		name, keys string
		want       Action
	}{
		{"y", "y", Run},
		{"enter", "\r", Run},
		{"n", "n", Skip},
		{"s", "s", Shell},
		{"c", "c", Continue},
		{"q", "q", Quit},
		{"ctrl-c", "\x03", Quit},
		{"unknown keys then y", "x\x1b[Az" + "y", Run},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ch := ask(t, context.Background(), plain, item)
			c.Expect("step 3/14: Make Xen boot first")
			c.Expect("Xen must come before Linux")
			c.Expect("$ dpkg-divert --divert")
			c.Expect(Keys)
			c.Send(tc.keys)
			r := wait(t, ch)
			if r.err != nil || r.d.Action != tc.want || r.d.Command != item.Command || r.d.Edited {
				t.Errorf("got %+v, %v; want %v of the original command", r.d, r.err, tc.want)
			}
			checkCooked(t, c)
		})
	}
}

func TestAskHelp(t *testing.T) {
	c, ch := ask(t, context.Background(), plain, item)
	c.Expect(Keys)
	c.Send("?")
	c.Expect("Ctrl-] comes back here")
	c.Expect(Keys)
	c.Send("n")
	if r := wait(t, ch); r.d.Action != Skip {
		t.Errorf("got %+v", r.d)
	}
}

func TestAskRawWhileWaiting(t *testing.T) {
	c, ch := ask(t, context.Background(), plain, item)
	c.Expect(Keys)
	// The key line is written before raw mode is set: wait until it is.
	deadline := time.Now().Add(console.Timeout)
	for console.Cooked(c.Stty()) {
		if time.Now().After(deadline) {
			t.Fatal("terminal never went raw at the prompt")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := c.Stty(); !strings.Contains(s, "-icanon") || !strings.Contains(s, "-echo") {
		t.Errorf("prompt is not in raw mode:\n%s", s)
	}
	c.Send("y")
	wait(t, ch)
	checkCooked(t, c)
}

func TestAskEditInline(t *testing.T) {
	it := Item{Step: 1, Steps: 1, Name: "greet", Command: "echo helo world"}
	c, ch := ask(t, context.Background(), plain, it)
	c.Expect(Keys)
	c.Send("e")
	c.Expect("edit> echo helo world")
	// Cursor to after "hel" (Home, then 8 right), insert "l"; End, delete
	// the last word with Ctrl-W, type "there".
	c.Send("\x1b[H" + strings.Repeat("\x1b[C", 8) + "l" + "\x05\x17there\r")
	c.Expect("edited: echo hello there")
	c.Expect(Keys)
	c.Send("y")
	r := wait(t, ch)
	if r.err != nil || r.d.Action != Run || r.d.Command != "echo hello there" || !r.d.Edited {
		t.Errorf("got %+v, %v", r.d, r.err)
	}
	checkCooked(t, c)
}

func TestAskEditInlineCancel(t *testing.T) {
	it := Item{Step: 1, Steps: 1, Name: "greet", Command: "echo hi"}
	c, ch := ask(t, context.Background(), plain, it)
	c.Expect(Keys)
	c.Send("e")
	c.Expect("edit> echo hi")
	c.Send("\x15rm -rf /tmp/nothing")
	c.Expect("rm -rf /tmp/nothing")
	c.Send("\x1b") // Esc: keep the original
	c.Expect(Keys)
	c.Send("\r")
	r := wait(t, ch)
	if r.d.Command != "echo hi" || r.d.Edited {
		t.Errorf("cancelled edit changed the command: %+v", r.d)
	}
}

// TestAskEditExternal drives a real editor, ed(1), through the pty.
func TestAskEditExternal(t *testing.T) {
	testenv.Program(t, "ed")
	var phases []string
	it := Item{Step: 2, Steps: 5, Name: "write", Command: "touch /tmp/old"}
	c, ch := ask(t, context.Background(), func(term *Terminal) *Prompter {
		return &Prompter{T: term, Editor: "ed -p '*'", OnPhase: func(p string) { phases = append(phases, p) }}
	}, it)
	c.Expect(Keys)
	c.Send("e")
	c.Expect("*") // ed's prompt: it is reading commands from the terminal
	// ed works in cooked mode: the editor must get the terminal as a shell leaves it.
	if s := c.Stty(); !console.Cooked(s) {
		t.Errorf("editor got a raw terminal:\n%s", s)
	}
	c.Send(",s/old/new/\nw\nq\n")
	c.Expect("edited: touch /tmp/new")
	c.Send("y")
	r := wait(t, ch)
	if r.err != nil || r.d.Command != "touch /tmp/new" || !r.d.Edited {
		t.Errorf("got %+v, %v", r.d, r.err)
	}
	if strings.Join(phases, ",") != "editor,prompt" {
		t.Errorf("phases = %v, want editor then prompt", phases)
	}
	checkCooked(t, c)
}

func TestAskEditorFails(t *testing.T) {
	it := Item{Step: 1, Steps: 1, Name: "x", Command: "true"}
	c, ch := ask(t, context.Background(), func(term *Terminal) *Prompter {
		return &Prompter{T: term, Editor: "false"}
	}, it)
	c.Expect(Keys)
	c.Send("e")
	c.Expect(`editor "false" exited with status 1; command unchanged`)
	c.Expect(Keys)
	c.Send("y")
	if r := wait(t, ch); r.d.Command != "true" || r.d.Edited {
		t.Errorf("got %+v", r.d)
	}
}

func TestAskCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, ch := ask(t, ctx, plain, item)
	c.Expect(Keys)
	cancel()
	r := wait(t, ch)
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", r.err)
	}
	checkCooked(t, c)
}

func TestAskHangup(t *testing.T) {
	c := console.New(t, 80, 24)
	term, err := NewTerminal(c.Tty(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The user's terminal goes away (a closed window, a dropped ssh -t):
	// Ask must return, not spin.
	ch := make(chan result, 1)
	go func() {
		d, err := (&Prompter{T: term}).Ask(context.Background(), item)
		ch <- result{d, err}
	}()
	time.Sleep(100 * time.Millisecond)
	c.Hangup()
	if r := wait(t, ch); r.err == nil {
		t.Errorf("Ask after hang-up returned %+v without error", r.d)
	}
}

// panicky panics on the first write after armed, as a bug in a caller's
// display (or in the prompt) would, while the prompt holds raw mode.
type panicky struct {
	w     io.Writer
	armed bool
}

func (p *panicky) Write(b []byte) (int, error) {
	if p.armed && strings.Contains(string(b), "edit> ") {
		panic("display broke")
	}
	return p.w.Write(b)
}

func TestAskPanicRestoresTerminal(t *testing.T) {
	c := console.New(t, 80, 24)
	out := &panicky{w: c.Tty(), armed: true}
	term, err := NewTerminal(c.Tty(), out)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		(&Prompter{T: term}).Ask(context.Background(), item)
	}()
	c.Expect(Keys)
	c.Send("e") // the inline editor goes raw, then its first redraw panics
	select {
	case r := <-done:
		if r != "display broke" {
			t.Fatalf("recovered %v", r)
		}
	case <-time.After(console.Timeout):
		t.Fatal("no panic")
	}
	checkCooked(t, c)
}

func TestHeaderOp(t *testing.T) {
	h := console.Strip(Header(Item{Step: 5, Steps: 9, Name: "Silence grub", Op: "file.line",
		Target: "/etc/default/grub.d/xen.cfg", Command: "sed -i 's/^#XEN_OVERRIDE/XEN_OVERRIDE/' /etc/default/grub.d/xen.cfg",
		Diff:   "-#XEN_OVERRIDE_GRUB_DEFAULT=0\n+XEN_OVERRIDE_GRUB_DEFAULT=0\n",
		Intent: "/etc/default/grub.d/xen.cfg has the line XEN_OVERRIDE_GRUB_DEFAULT=0"}))
	for _, want := range []string{
		"step 5/9: Silence grub\n",
		"file.line /etc/default/grub.d/xen.cfg\n  = /etc/default/grub.d/xen.cfg has the line XEN_OVERRIDE_GRUB_DEFAULT=0\n  would type: ",
		"  would type: sed -i 's/^#XEN_OVERRIDE/XEN_OVERRIDE/' /etc/default/grub.d/xen.cfg\n",
		"  -#XEN_OVERRIDE_GRUB_DEFAULT=0\n  +XEN_OVERRIDE_GRUB_DEFAULT=0\n",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("header lacks %q:\n%s", want, h)
		}
	}
}

func TestNotTerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := NewTerminal(f, io.Discard); !errors.Is(err, ErrNotTerminal) {
		t.Errorf("NewTerminal(/dev/null) = %v, want ErrNotTerminal", err)
	}
}

// A player has no session: e and s are hidden, ring the bell, and the
// help leaves them out.
func TestAskWithout(t *testing.T) {
	p := func(t *Terminal) *Prompter { return &Prompter{T: t, Without: "es"} }
	if got, want := p(nil).KeyLine(), "[y]es  [n]o/skip  [c]ontinue  [q]uit  [?]"; got != want {
		t.Fatalf("KeyLine %q, want %q", got, want)
	}
	c, ch := ask(t, context.Background(), p, item)
	c.Expect("[y]es  [n]o/skip  [c]ontinue  [q]uit  [?]")
	c.Send("e")
	c.Send("S")
	c.Send("?")
	c.Expect("skip it")
	c.Expect("this help")
	c.Send("n")
	r := wait(t, ch)
	if r.err != nil || r.d.Action != Skip || r.d.Edited {
		t.Errorf("got %+v, %v; want skip, not edited", r.d, r.err)
	}
	out := console.Strip(c.Output())
	for _, hidden := range []string{"[e]dit", "[s]hell", "Ctrl-]", "edit>", "in $VISUAL"} {
		if strings.Contains(out, hidden) {
			t.Errorf("hidden choice shown: %q in\n%s", hidden, out)
		}
	}
	if n := strings.Count(c.Output(), "\a"); n < 2 {
		t.Errorf("%d bells for two hidden keys", n)
	}
}

func TestHeaderWithoutCommand(t *testing.T) {
	h := console.Strip(Header(Item{Step: 2, Steps: 4, Name: "from a marker"}))
	if strings.Contains(h, "$") {
		t.Errorf("header shows an empty command:\n%q", h)
	}
}
