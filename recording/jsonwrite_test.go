package recording

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// appendJSONBytes must agree with encoding/json on valid UTF-8, whatever
// mix of bytes falls in its eight-byte words.
func TestAppendJSONBytesMatchesEncodingJSON(t *testing.T) {
	alphabet := []string{"a", "\x1b", "\"", "\\", "\r", "\n", "\t", "\x00", "\x1f", " ", "~", "\x7f", "✓", "é", "💩", "[", "0"}
	for n := 0; n < 4000; n++ {
		var s []byte
		for k, x := 0, uint(n); k < 3+n%23; k++ {
			s = append(s, alphabet[x%uint(len(alphabet))]...)
			x = x*31 + uint(k) + 7
		}
		got := appendJSONBytes(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != string(s) {
			t.Fatalf("%q → %s → %q (%v)", s, got, back, err)
		}
	}
	if got := string(appendJSONBytes(nil, []byte("a\xffb"))); got != `"a\ufffdb"` {
		t.Errorf("invalid byte: %s", got)
	}
}

func FuzzAppendJSONBytes(f *testing.F) {
	f.Add([]byte("hello \x1b[0m \"q\" \\"))
	f.Fuzz(func(t *testing.T, s []byte) {
		got := appendJSONBytes(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q → invalid JSON %s: %v", s, got, err)
		}
		out, _, repaired, ok := appendJSONString(nil, got, 0)
		if !ok || repaired || string(out) != back {
			t.Fatalf("our decoder read %q, encoding/json %q (ok %v repaired %v)", out, back, ok, repaired)
		}
	})
}

func TestParseDecimalSeconds(t *testing.T) {
	for _, s := range []string{"0", "0.5", "12.345678", "1795561250.123456", "3", "0.000001", "99.999999999"} {
		got, ok := parseDecimalSeconds([]byte(s))
		want, _ := strconv.ParseFloat(s, 64)
		if !ok || secondsToDuration(got) != secondsToDuration(want) {
			t.Errorf("%s: %v %v, want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", ".5", "1e3", "-1", "1.2.3", "1.0000000001", "1234567890123456"} {
		if _, ok := parseDecimalSeconds([]byte(s)); ok {
			t.Errorf("%q accepted; strconv should have it", s)
		}
	}
}

// appendJSONString reads what encoding/json reads, repairs what termrec
// writes (a lone backslash), and says when the string does not end.
func TestAppendJSONString(t *testing.T) {
	long := strings.Repeat("plain text ", 20)
	for _, c := range []struct {
		in, want     string
		next         int
		repaired, ok bool
	}{
		{`"abc"x`, "abc", 5, false, true},
		{`"a\u001b[0m\r\n"`, "a\x1b[0m\r\n", 16, false, true},
		{`"\"\\\/\b\f\t"`, "\"\\/\b\f\t", 14, false, true},
		{`"\u00e9\u2713\ud83d\udca9"`, "é✓💩", 26, false, true},
		{`"\ud83d lone"`, "\ufffd lone", 13, false, true},
		{`"\e[1m"`, `\e[1m`, 7, true, true},
		{`"\uzz"`, `\uzz`, 6, true, true},
		{`"` + long + `\n` + long + `"`, long + "\n" + long, 2*len(long) + 4, false, true},
		{`"unterminated`, "unterminated", 13, false, false},
		{`"ends in \`, "ends in ", 9, false, false},
	} {
		got, next, repaired, ok := appendJSONString([]byte("pre:"), []byte(c.in), 0)
		if string(got) != "pre:"+c.want || next != c.next || repaired != c.repaired || ok != c.ok {
			t.Errorf("%.30q: %q next %d repaired %v ok %v; want %q %d %v %v", c.in, got, next, repaired, ok, "pre:"+c.want, c.next, c.repaired, c.ok)
		}
	}
}
