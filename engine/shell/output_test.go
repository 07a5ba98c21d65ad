package shell

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	long := strings.Repeat("0123456789", 10000)
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"a\r\nb\r\n", "a\nb\n"},
		{"tab\there\x07bell\x00nul\x7fdel", "tab\therebellnuldel"},
		{"\x1b[1;31mred\x1b[0m \x1b]0;title\x07ok \x1b]8;;u\x1b\\link\x1b]8;;\x1b\\", "red ok link"},
		{"\x1b(Bcharset \x1b7saved\x1b8", "charset saved"},
		{"cut at the end \x1b[1;3", "cut at the end "},
		{"lone ESC\x1b", "lone ESC"},
		{"lone CR\r", "lone CR"},
		{"é ünïcode ✓\r\n", "é ünïcode ✓\n"},
		{long + "\x1b[0m" + long + "\r\n", long + long + "\n"},
	} {
		if got := CleanText([]byte(c.in)); got != c.want {
			t.Errorf("CleanText(%.40q) = %.40q, want %.40q", c.in, got, c.want)
		}
	}
}

// TestCaptureKeepsHeadAndTail feeds a capture chunks of every size around
// its bounds and compares what it keeps with the first and last
// captureHalf bytes of the whole output.
func TestCaptureKeepsHeadAndTail(t *testing.T) {
	for _, total := range []int{0, 10, captureHalf, captureHalf + 1, 2 * captureHalf, 2*captureHalf + 1, 3*captureHalf + 12345} {
		for _, chunk := range []int{1 << 10, 4095, captureHalf - 1, captureHalf + 7, 3 * captureHalf} {
			if total > 2*captureHalf && chunk == 1<<10 {
				continue // slow and no different from 4095
			}
			all := make([]byte, total)
			for i := range all {
				all[i] = byte(i*7 + i/251)
			}
			var c capture
			for p := all; len(p) > 0; {
				n := min(chunk, len(p))
				c.add(p[:n])
				p = p[n:]
			}
			want := all
			if total > 2*captureHalf {
				want = append(append(append([]byte(nil), all[:captureHalf]...),
					fmt.Sprintf("\r\n[... %d bytes not kept ...]\r\n", total-2*captureHalf)...),
					all[total-captureHalf:]...)
			}
			if got := c.bytes(); !bytes.Equal(got, want) {
				t.Errorf("%d bytes in chunks of %d: kept %d bytes, not the %d expected", total, chunk, len(got), len(want))
			}
		}
	}
}
