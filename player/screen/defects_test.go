package screen

import (
	"strings"
	"testing"
)

// One test per vt10x defect listed in ../shared/READERS.md: each input
// that broke vt10x, what the screen must show, and (where tmux is
// installed) the same bytes through tmux as the reference.
func TestVT10xDefects(t *testing.T) {
	cases := []struct {
		name string
		in   string
		// want: the screen's text, rows joined by "\n", trailing empty
		// rows dropped.
		want string
		// check: anything the text cannot show.
		check func(t *testing.T, s *Screen)
	}{
		{name: "panic ICH -1", in: "\x1b[-1@ok", want: "ok"},
		{name: "panic x ICH -1", in: "x\x1b[-1@ok", want: "xok"},
		{name: "panic x ICH maxint", in: "xy\r\x1b[9223372036854775807@ok", want: "ok"},
		{name: "panic DCH -1", in: "abc\r\x1b[-1Pok", want: "okc"},
		{name: "panic x DCH maxint", in: "xyz\r\x1b[9223372036854775807Pok", want: "okz"},
		{name: "DCH big", in: "xyz\r\x1b[2147483647Pok", want: "ok"},
		// Past INT_MAX tmux ignores the sequence; below it, the count is
		// clamped to the row.
		{name: "hang CHT huge", in: "\x1b[99999999999Iend", want: "end"},
		{name: "hang CBT huge", in: "abc\x1b[99999999999Zend", want: "abcend"},
		{name: "CHT is ignored, like tmux 3.3", in: "\x1b[5Iend", want: "end"},
		{name: "CBT big", in: "abc\x1b[2147483647Zend", want: "end"},
		{name: "charset ESC)0 not printed", in: "\x1b)0a\x0eq\x0fq", want: "a─q"},
		{name: "charset ESC*B not printed", in: "\x1b*Ba", want: "a"},
		{name: "charset ESC+B not printed", in: "\x1b+Ba", want: "a"},
		{name: "1049l without h keeps screen", in: "keep\x1b[?1049l", want: "keep"},
		{name: "RIS clears everything", in: "1\r\n2\r\n3\x1b[2;5r\x1bc", want: "",
			check: func(t *testing.T, s *Screen) {
				if s.top != 0 || s.bot != s.rows-1 {
					t.Errorf("scroll region %d..%d after RIS", s.top, s.bot)
				}
			}},
		{name: "ED 1 clears row 0 from row 1", in: "aaa\r\nbbbb\x1b[2D\x1b[1J", want: "\n   b"},
		{name: "insert mode", in: "abc\r\x1b[4hX\x1b[4lY", want: "XYbc"},
		{name: "long sequence not cut at 256 bytes",
			in: "\x1b[" + strings.Repeat("0;", 200) + "31mred", want: "red",
			check: func(t *testing.T, s *Screen) {
				if c := s.Cell(0, 0); c.FG != Indexed(1) {
					t.Errorf("fg %v, want 1 (red)", c.FG)
				}
			}},
		{name: "colon colours keep attributes", in: "\x1b[1m\x1b[38:2::255:0:0m\x1b[4:3mx", want: "x",
			check: func(t *testing.T, s *Screen) {
				c := s.Cell(0, 0)
				if !c.Bold || !c.Underline || c.FG != RGB(255, 0, 0) {
					t.Errorf("cell %+v, want bold underlined #ff0000", c)
				}
			}},
		{name: "wide CJK takes two cells", in: "中文x", want: "中文x",
			check: func(t *testing.T, s *Screen) {
				if c := s.Cell(0, 0); c.Width != 2 || c.Rune != '中' {
					t.Errorf("cell 0 %+v", c)
				}
				if c := s.Cell(1, 0); c.Width != 0 {
					t.Errorf("cell 1 %+v, want the wide tail", c)
				}
				if c := s.Cell(4, 0); c.Rune != 'x' {
					t.Errorf("x in cell %+v, want col 4", c)
				}
			}},
		{name: "emoji takes two cells", in: "💩x", want: "💩x",
			check: func(t *testing.T, s *Screen) {
				if x, _, _ := s.Cursor(); x != 3 {
					t.Errorf("cursor col %d, want 3", x)
				}
			}},
		{name: "wide char at last column wraps", in: strings.Repeat("-", 79) + "中", want: strings.Repeat("-", 79) + "\n中"},
		{name: "combining mark joins its base", in: "e\u0301x", want: "e\u0301x",
			check: func(t *testing.T, s *Screen) {
				if c := s.Cell(0, 0); c.Combining != "\u0301" {
					t.Errorf("cell 0 %+v", c)
				}
				if c := s.Cell(1, 0); c.Rune != 'x' {
					t.Errorf("cell 1 %+v, want x", c)
				}
			}},
		{name: "reverse video reported, colours not swapped", in: "\x1b[31;42;7mx", want: "x",
			check: func(t *testing.T, s *Screen) {
				c := s.Cell(0, 0)
				if !c.Reverse || c.FG != Indexed(1) || c.BG != Indexed(2) {
					t.Errorf("cell %+v, want reverse with fg 1 bg 2", c)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(80, 24)
			s.WriteString(tc.in)
			if got := trimRows(s.Text()); got != tc.want {
				t.Errorf("screen %q, want %q", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
	t.Run("tmux agrees", func(t *testing.T) {
		for _, tc := range cases {
			ref := startTmux(t, 80, 24)
			s := New(80, 24)
			ref.feed([]byte(tc.in))
			s.WriteString(tc.in)
			if want, got := ref.capture(), tmuxText(s); want != got {
				t.Errorf("%s: tmux differs:\n%s", tc.name, lineDiff(want, got))
			}
		}
	})
}

func trimRows(s string) string { return strings.TrimRight(s, "\n") }

func TestZeroSizeDoesNotPanic(t *testing.T) {
	for _, size := range [][2]int{{0, 0}, {-1, -5}, {1, 1}, {1 << 30, 1 << 30}} {
		s := New(size[0], size[1])
		s.WriteString("x中\u0301\x1b[5@\x1b[3P\x1b[2L\x1b[9M\ty")
		if c, r := s.Size(); c < 1 || r < 1 || c > MaxSize || r > MaxSize {
			t.Errorf("New(%d,%d) size %dx%d", size[0], size[1], c, r)
		}
	}
}

// A UTF-8 character split across writes at every byte arrives whole, and
// Write always reports the whole input consumed.
func TestSplitUTF8AcrossWrites(t *testing.T) {
	in := []byte("a中💩é")
	s := New(20, 2)
	for _, b := range in {
		if n, err := s.Write([]byte{b}); n != 1 || err != nil {
			t.Fatalf("Write(%q) = %d, %v", b, n, err)
		}
	}
	if got := s.Line(0); got != "a中💩é" {
		t.Errorf("line %q", got)
	}
	// A lone invalid byte is dropped, not stuck forever.
	s = New(20, 2)
	if n, _ := s.Write([]byte{0xff}); n != 1 {
		t.Errorf("Write(0xff) = %d", n)
	}
	s.WriteString("ok")
	if got := s.Line(0); got != "ok" {
		t.Errorf("after invalid byte: %q", got)
	}
}

// Restore brings back the whole state, parser included: a sequence cut
// at the snapshot continues the same way after a restore.
func TestSnapshotRestore(t *testing.T) {
	s := New(20, 4)
	s.WriteString("one\r\n\x1b[?1049htwo\x1b[3")
	st := s.Snapshot()
	s.WriteString("1mX\x1b[?1049l")
	after := s.Text()
	s.WriteString("garbage\x1bc")
	s.Restore(st)
	s.WriteString("1mX\x1b[?1049l")
	if got := s.Text(); got != after {
		t.Errorf("after restore %q, want %q", got, after)
	}
	s.Restore(st)
	if !s.AltScreen() || s.Line(1) != "two" {
		t.Errorf("second restore: alt %v line %q", s.AltScreen(), s.Line(1))
	}
}

// A line longer than the screen is wide comes back whole from
// UnwrappedText, and folded by Text.
func TestUnwrappedText(t *testing.T) {
	s := New(10, 4)
	s.Write([]byte("0123456789abcde\r\nnext\r\n"))
	if got, want := s.Text(), "0123456789\nabcde\nnext\n"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	if got, want := s.UnwrappedText(), "0123456789abcde\nnext\n"; got != want {
		t.Errorf("UnwrappedText() = %q, want %q", got, want)
	}
	if !s.Wrapped(0) || s.Wrapped(1) {
		t.Errorf("Wrapped(0), Wrapped(1) = %v, %v; want true, false", s.Wrapped(0), s.Wrapped(1))
	}
}
