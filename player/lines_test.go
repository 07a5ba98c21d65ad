package player

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLineCollector(t *testing.T) {
	var c LineCollector
	ms := time.Millisecond
	c.Add(1*ms, []byte("$ apt-get install -y \x1b[1mxen\x1b[0m\r\n"))
	c.Add(2*ms, []byte("Progress: 10%\rProgress: 5"))
	c.Add(3*ms, []byte("0%\rProgress: 100%\r\n\r\n"))
	c.Add(4*ms, []byte("\x1b[31merror\x1b[0m: split "))
	c.Add(5*ms, []byte("across events\r\nno newline at the end"))
	got := c.Lines()
	want := []TextLine{
		{1 * ms, "$ apt-get install -y xen"},
		{3 * ms, "Progress: 100%"},
		{5 * ms, "error: split across events"},
		{5 * ms, "no newline at the end"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines:\n got %q\nwant %q", got, want)
	}
	if c.Truncated() {
		t.Error("truncated")
	}
}

func TestLineCollectorBounds(t *testing.T) {
	var c LineCollector
	long := strings.Repeat("x", 5000) + "\n"
	for i := 0; i < 10000; i++ {
		c.Add(time.Duration(i), []byte(long))
	}
	lines := c.Lines()
	if n := len([]rune(lines[0].Text)); n != maxLineText+1 {
		t.Errorf("a long line keeps %d runes, want %d and an ellipsis", n, maxLineText)
	}
	size := 0
	for _, l := range lines {
		size += len(l.Text)
	}
	if size > maxAllText || !c.Truncated() {
		t.Errorf("kept %d bytes of text (bound %d), truncated %v", size, maxAllText, c.Truncated())
	}
}
