package ssh

import (
	"os"
	"path/filepath"
	"testing"
)

// A file parsed once is shared while it is unchanged, and read again as
// soon as it changes (a host key appended by accept-new).
func TestParseCacheFollowsTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(p, []byte("one\n"), 0o600)
	var c parseCache[string]
	parses := 0
	get := func() string {
		sigs, ok := statAll([]string{p})
		if !ok {
			t.Fatal("stat")
		}
		v, err := c.get(cacheKey([]string{p}), sigs, func() (string, error) {
			parses++
			b, err := os.ReadFile(p)
			return string(b), err
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for range 3 {
		if v := get(); v != "one\n" {
			t.Fatalf("got %q", v)
		}
	}
	if parses != 1 {
		t.Errorf("parsed %d times, want once", parses)
	}
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("two\n")
	f.Close()
	if v := get(); v != "one\ntwo\n" || parses != 2 {
		t.Errorf("after an append: %q, %d parses", v, parses)
	}
	// Replaced by another file of the same size: another inode.
	q := p + ".new"
	os.WriteFile(q, []byte("uno\ndos\n"), 0o600)
	os.Rename(q, p)
	if v := get(); v != "uno\ndos\n" {
		t.Errorf("after a replace: %q", v)
	}
}
