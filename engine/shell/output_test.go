package shell

import (
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
