package prompt

import "testing"

func TestDecodeKey(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want key
		used int
	}{
		{"y", key{r: 'y'}, 1},
		{"yn", key{r: 'y'}, 1},
		{"é!", key{r: 'é'}, 2},
		{"\r", key{r: '\r'}, 1},
		{"\x1b", key{name: "esc"}, 1},
		{"\x1b[D", key{name: "left"}, 3},
		{"\x1bOC", key{name: "right"}, 3},
		{"\x1b[3~x", key{name: "delete"}, 4},
		{"\x1b[1;5D", key{name: "left"}, 6},
		{"\x1b[1~", key{name: "home"}, 4},
		{"\x1b[F", key{name: "end"}, 3},
		{"\x1b[", key{name: "esc"}, 2},
		{"\x1bx", key{name: "esc"}, 1},
	} {
		k, n := decodeKey([]byte(tc.in))
		if k != tc.want || n != tc.used {
			t.Errorf("decodeKey(%q) = %+v, %d; want %+v, %d", tc.in, k, n, tc.want, tc.used)
		}
	}
}

func TestLineEditor(t *testing.T) {
	keys := func(s string) []key {
		var ks []key
		b := []byte(s)
		for len(b) > 0 {
			k, n := decodeKey(b)
			ks = append(ks, k)
			b = b[n:]
		}
		return ks
	}
	for _, tc := range []struct {
		start, in, want string
		res             editResult
	}{
		{"abc", "\r", "abc", editAccept},
		{"abc", "d\r", "abcd", editAccept},
		{"abc", "\x01X\r", "Xabc", editAccept},
		{"abc", "\x1b[D\x1b[DX\r", "aXbc", editAccept},
		{"abc", "\x7f\x7f\r", "a", editAccept},
		{"abc", "\x01\x1b[3~\r", "bc", editAccept},
		{"abc def", "\x17\r", "abc ", editAccept},
		{"abc def", "\x01\x06\x06\x0b\r", "ab", editAccept},
		{"abc def", "\x1b[D\x1b[D\x15\r", "ef", editAccept},
		{"abc", "zz\x03", "abczz", editCancel},
		{"x", "\x1b[H\x1b[D\x7f\x1b[F\x1b[C!\r", "x!", editAccept},
		{"a\nb", "c\r", "a\nbc", editAccept},
	} {
		e := lineEditor{buf: []rune(tc.start), cur: len([]rune(tc.start))}
		res := editGoOn
		for _, k := range keys(tc.in) {
			if res = e.key(k); res != editGoOn {
				break
			}
		}
		if string(e.buf) != tc.want || res != tc.res {
			t.Errorf("edit %q with %q = %q (%v); want %q (%v)", tc.start, tc.in, string(e.buf), res, tc.want, tc.res)
		}
	}
}
