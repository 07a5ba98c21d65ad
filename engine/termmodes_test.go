package engine

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestTermModes(t *testing.T) {
	cases := []struct {
		writes []string
		seq    string
		what   []string
	}{
		{[]string{"plain text\r\n"}, "", nil},
		{[]string{"\x1b[?1049h\x1b[?25l\x1b[?7l"}, "\x1b[?1049l\x1b[?25h\x1b[?7h", []string{"alternate screen", "cursor", "line wrap"}},
		// Put back by the command itself (vim on exit): nothing to do.
		{[]string{"\x1b[?1049h\x1b[?25l", "\x1b[?25h\x1b[?1049l"}, "", nil},
		// A sequence cut between two reads of the pty.
		{[]string{"abc\x1b[?10", "49h more"}, "\x1b[?1049l", []string{"alternate screen"}},
		{[]string{"\x1b[", "?25;7l"}, "\x1b[?25h\x1b[?7h", []string{"cursor", "line wrap"}},
		// Cut at the end of a long chunk of output.
		{[]string{strings.Repeat("x", 1<<20) + "\x1b[?1", "049h"}, "\x1b[?1049l", []string{"alternate screen"}},
		// Modes not watched, and other sequences, are left alone.
		{[]string{"\x1b[?2004h\x1b[1;31mred\x1b[0m"}, "", nil},
	}
	for _, c := range cases {
		var m termModes
		for _, w := range c.writes {
			m.watch([]byte(w))
		}
		seq, what := m.restore()
		if seq != c.seq || !reflect.DeepEqual(what, c.what) {
			t.Errorf("%q: restore %q %v, want %q %v", c.writes, seq, what, c.seq, c.what)
		}
	}
}

// TestTermModesParserMatchesRegexp: the hand-written scan of watch finds
// the modes modeSeq finds, on random output made of the bytes that matter.
func TestTermModesParserMatchesRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"\x1b", "[", "?", "1049", "25", "7", "1", ";", "h", "l", "x", "2004", "1000"}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		in := b.String()
		var m termModes
		m.watch([]byte(in))
		want := map[int]bool{}
		for _, sm := range modeSeq.FindAllStringSubmatch(in, -1) {
			for _, f := range strings.Split(sm[1], ";") {
				n, err := strconv.Atoi(f)
				if err != nil {
					continue
				}
				for _, w := range watched {
					if w.mode == n {
						want[n] = sm[2] == "h"
					}
				}
			}
		}
		got := m.set
		if got == nil {
			got = map[int]bool{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: modes %v, want %v (as modeSeq reads it)", in, got, want)
		}
	}
}
