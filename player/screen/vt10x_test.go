package screen

import (
	"strings"
	"testing"

	"github.com/hinshun/vt10x"
)

func newVT(t testing.TB, cols, rows int) *VT10X {
	t.Helper()
	v, err := NewVT10X(cols, rows)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// noPanics fails when vt10x panicked behind the guards: the guards are
// meant to keep it from panicking at all, recovery is the last resort.
func noPanics(t testing.TB, v *VT10X) {
	t.Helper()
	if n, last := v.Panics(); n > 0 {
		t.Fatalf("vt10x panicked %d times behind the guards (last: %v)", n, last)
	}
}

// One test per vt10x defect in ../shared/READERS.md: the input that broke
// bare vt10x (checked here too, where it still does), and what the guarded
// one shows: no panic, no hang, no lost character.
func TestVT10XGuards(t *testing.T) {
	cases := []struct {
		name, in, want string
		// bare says what bare vt10x does with in (checked, so the test
		// shows the guard is what makes the difference): "panic", or the
		// wrong screen text.
		bare string
		// check: anything the text cannot show.
		check func(t *testing.T, v *VT10X)
	}{
		{name: "panic ICH -1", in: "\x1b[-1@ok", want: "ok", bare: "panic"},
		{name: "panic x ICH -1", in: "x\x1b[-1@ok", want: "xok", bare: "panic"},
		{name: "panic x ICH maxint", in: "x\x1b[9223372036854775807@ok", want: "xok", bare: "panic"},
		{name: "panic DCH -1", in: "abc\r\x1b[-1Pok", want: "okc", bare: "panic"},
		{name: "panic x DCH maxint", in: "x\x1b[9223372036854775807Pok", want: "xok", bare: "panic"},
		{name: "DCH and ICH past the line are clamped", in: "abcdef\r\x1b[2147483647P1\x1b[2147483647@2", want: "12"},
		// A count past INT_MAX voids the sequence (tmux); one below it is
		// clamped to the row: either way no 10¹¹-step loop.
		{name: "hang CHT huge", in: "\x1b[99999999999Iend", want: "end"},
		{name: "hang CBT huge", in: "abc\x1b[99999999999Zend", want: "abcend"},
		{name: "CHT big is clamped", in: "\x1b[2147483647Iend", want: strings.Repeat(" ", 79) + "e\nnd"},
		{name: "CBT big is clamped", in: "abc\x1b[2147483647Zend", want: "end"},
		{name: "charset ESC)0 not printed, SO draws lines", in: "\x1b)0a\x0eq\x0fq", want: "a─q", bare: "0aqq"},
		{name: "charset ESC*B not printed", in: "\x1b*Ba", want: "a", bare: "Ba"},
		{name: "charset ESC+B not printed", in: "\x1b+Ba", want: "a", bare: "Ba"},
		{name: "termrec's ESC%G not printed", in: "\x1b%G\x1b[8;24;80tok", want: "ok", bare: "Gok"},
		{name: "1049l without h keeps the screen", in: "keep\x1b[?1049l", want: "keep", bare: ""},
		{name: "RIS clears everything", in: strings.Repeat("x", 80*24) + "\x1bc", want: ""},
		{name: "ED 1 clears row 0 from row 1", in: "aaa\r\nbbbb\x1b[2D\x1b[1J", want: "\n   b", bare: "aaa\n   b"},
		{name: "insert mode", in: "abc\r\x1b[4hX\x1b[4lY", want: "XYbc", bare: "XYc"},
		{name: "long sequence not cut at 256 bytes",
			in: "\x1b[" + strings.Repeat("0;", 200) + "31mred", want: "red",
			check: func(t *testing.T, v *VT10X) {
				if c := v.Cell(0, 0); c.FG != Indexed(1) {
					t.Errorf("fg %v, want 1 (red)", c.FG)
				}
			}},
		{name: "colon colours keep attributes", in: "\x1b[1m\x1b[38:2::255:0:0m\x1b[4:3mx", want: "x",
			check: func(t *testing.T, v *VT10X) {
				c := v.Cell(0, 0)
				if !c.Bold || !c.Underline || c.FG != RGB(255, 0, 0) {
					t.Errorf("cell %+v, want bold underlined #ff0000", c)
				}
			}},
		{name: "empty parameter is the default", in: "\x1b[;5Hx", want: "    x", bare: "x"},
		{name: "reverse video reported, colours not swapped", in: "\x1b[31;42;7mx", want: "x",
			check: func(t *testing.T, v *VT10X) {
				c := v.Cell(0, 0)
				if !c.Reverse || c.FG != Indexed(1) || c.BG != Indexed(2) {
					t.Errorf("cell %+v, want reverse with fg 1 bg 2", c)
				}
			}},
		// Not fixable from outside: one cell per character. The guard's
		// promise is that none is lost.
		{name: "wide characters kept (one cell each)", in: "中文x💩e\u0301", want: "中文x💩e\u0301"},
		{name: "C1 inside a sequence does not end it", in: "\x1b[1Łok", want: "Łok", bare: "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVT(t, 80, 24)
			v.Write([]byte(tc.in))
			noPanics(t, v)
			if got := strings.TrimRight(v.Text(), "\n"); got != tc.want {
				t.Errorf("guarded vt10x shows %q, want %q", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, v)
			}
			if tc.bare == "" {
				return
			}
			got, panicked := bareVT10x(tc.in)
			switch {
			case tc.bare == "panic" && !panicked:
				t.Errorf("bare vt10x no longer panics on %q (shows %q): READERS.md is out of date", tc.in, got)
			case tc.bare != "panic" && got != tc.bare:
				t.Errorf("bare vt10x shows %q, READERS.md says %q", got, tc.bare)
			}
		})
	}
}

// bareVT10x feeds in to vt10x without guards.
func bareVT10x(in string) (text string, panicked bool) {
	t := vt10x.New(vt10x.WithSize(80, 24))
	func() {
		defer func() { panicked = recover() != nil }()
		t.Write([]byte(in))
	}()
	var rows []string
	for y := 0; y < 24; y++ {
		var b strings.Builder
		for x := 0; x < 80; x++ {
			r := t.Cell(x, y).Char
			if r == 0 {
				r = ' '
			}
			b.WriteRune(r)
		}
		rows = append(rows, strings.TrimRight(b.String(), " "))
	}
	return strings.TrimRight(strings.Join(rows, "\n"), "\n"), panicked
}

func TestVT10XRefusesSizeZero(t *testing.T) {
	for _, size := range [][2]int{{0, 0}, {0, 24}, {80, 0}, {-1, -5}} {
		if v, err := NewVT10X(size[0], size[1]); err == nil {
			t.Errorf("NewVT10X(%d, %d) = %v, want an error", size[0], size[1], v)
		}
	}
	// Bare vt10x panics on the first character at size 0.
	if _, panicked := func() (s string, p bool) {
		defer func() { p = recover() != nil }()
		vt10x.New(vt10x.WithSize(0, 0)).Write([]byte("x"))
		return
	}(); !panicked {
		t.Errorf("bare vt10x no longer panics at size 0")
	}
	v := newVT(t, 4, 2)
	v.Resize(0, -1) // ignored
	v.WriteString("abcdef")
	noPanics(t, v)
	if c, r := v.Size(); c != 4 || r != 2 || v.Text() != "abcd\nef" {
		t.Errorf("after Resize(0, -1): %dx%d %q", c, r, v.Text())
	}
}

// A UTF-8 character split across writes at every byte arrives whole, and
// Write always reports the whole input consumed; bare vt10x returns a
// short count and loses the character.
func TestVT10XSplitUTF8(t *testing.T) {
	in := []byte("a中💩é✓")
	v := newVT(t, 20, 2)
	for _, b := range in {
		if n, err := v.Write([]byte{b}); n != 1 || err != nil {
			t.Fatalf("Write(%q) = %d, %v", b, n, err)
		}
	}
	if got := v.Line(0); got != "a中💩é✓" {
		t.Errorf("line %q", got)
	}
	// Also inside insert mode, where each character gets its own ICH.
	v = newVT(t, 20, 2)
	v.WriteString("xyz\r\x1b[4h")
	for _, b := range []byte("é中") {
		v.Write([]byte{b})
	}
	if got := v.Line(0); got != "é中xyz" {
		t.Errorf("insert mode, split: %q", got)
	}
	bare := vt10x.New(vt10x.WithSize(20, 2))
	n1, _ := bare.Write([]byte("a\xe4"))
	bare.Write([]byte("\xb8\xad!"))
	if n1 == 2 && bare.Cell(1, 0).Char == '中' {
		t.Errorf("bare vt10x now keeps split characters: READERS.md is out of date")
	}
	// A lone invalid byte is dropped, not stuck.
	v = newVT(t, 20, 2)
	if n, _ := v.Write([]byte{0xff}); n != 1 {
		t.Errorf("Write(0xff) = %d", n)
	}
	v.WriteString("ok")
	if got := v.Line(0); got != "ok" {
		t.Errorf("after an invalid byte: %q", got)
	}
}

// A panic inside vt10x (forced here by handing it, past the guards, a
// sequence known to panic it) is recovered: counted, and the session goes
// on with the lock released and the text after it shown.
func TestVT10XRecoversFromPanic(t *testing.T) {
	v := newVT(t, 20, 2)
	v.WriteString("before ")
	v.out = append(v.out, "x\x1b[-1@"...)
	v.flush()
	if n, last := v.Panics(); n != 1 || last == nil {
		t.Fatalf("Panics() = %d, %v; want the one forced", n, last)
	}
	v.WriteString("after")
	if got := v.Line(0); !strings.HasPrefix(got, "before x") || !strings.HasSuffix(got, "after") {
		t.Errorf("after the panic: %q", got)
	}
}

// Sequences cut across writes at every byte read the same as whole.
func TestVT10XSplitSequences(t *testing.T) {
	in := "\x1b)0\x1b]2;tïtle\x07\x1b[1;31mred\x1b[0m \x0eqx\x0f \x1b%G\x1b[?1049h\x1b[2;3Hab\x1b[?1049lé\x1bXdropped\x1b\\z"
	whole := newVT(t, 30, 4)
	whole.WriteString(in)
	for cut := 1; cut < len(in); cut++ {
		v := newVT(t, 30, 4)
		v.WriteString(in[:cut])
		v.WriteString(in[cut:])
		if v.Text() != whole.Text() || v.Cell(0, 0) != whole.Cell(0, 0) {
			t.Errorf("cut at %d: %q, whole: %q", cut, v.Text(), whole.Text())
		}
		noPanics(t, v)
	}
	if got := whole.Line(0); got != "red ─│ éz" {
		t.Errorf("line 0 %q", got)
	}
}
