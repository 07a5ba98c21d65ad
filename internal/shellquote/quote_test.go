package shellquote

import (
	"os/exec"
	"testing"
)

// What Quote makes, bash reads back as the text it was given.
func TestQuoteRoundTrips(t *testing.T) {
	for _, s := range []string{"", "plain", "/etc/default/grub", "a b", "it's", `"$HOME"`, "`x`", "tab\there", "new\nline", "ü", "*", "a=b,c:d@e%f+g", "-n"} {
		out, err := exec.Command("bash", "-c", "printf '%s' "+Quote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("Quote(%q) = %s: bash read %q (%v)", s, Quote(s), out, err)
		}
	}
	if Quote("/etc/default/grub") != "/etc/default/grub" {
		t.Error("a plain path is quoted")
	}
}
