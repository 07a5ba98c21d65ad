package stdlib

import (
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// randomText makes a file of lines drawn from a small alphabet, so that
// random edits leave plenty of equal lines for the diff to line up.
func randomText(r *rand.Rand, n int) []byte {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteString([]string{"a", "b", "c", "GRUB_TIMEOUT=5", "", "  indented", `back\slash`, "it's"}[r.Intn(8)])
		sb.WriteString("\n")
	}
	s := sb.String()
	if n > 0 && r.Intn(5) == 0 {
		s = strings.TrimSuffix(s, "\n") // a last line without a newline
	}
	return []byte(s)
}

// mutate edits a few random lines of b.
func mutate(r *rand.Rand, b []byte) []byte {
	ls := splitLines(b)
	for k := r.Intn(4) + 1; k > 0; k-- {
		switch i := r.Intn(len(ls) + 1); r.Intn(3) {
		case 0:
			ls = append(ls[:i], append([]string{"new line\n"}, ls[i:]...)...)
		case 1:
			if i < len(ls) {
				ls = append(ls[:i], ls[i+1:]...)
			}
		default:
			if i < len(ls) {
				ls[i] = "changed " + ls[i]
			}
		}
	}
	return []byte(strings.Join(ls, ""))
}

// TestUnifiedAppliesWithPatch: GNU patch, given our diff, turns the old
// text into the new one exactly.
func TestUnifiedAppliesWithPatch(t *testing.T) {
	if _, err := exec.LookPath("patch"); err != nil {
		t.Fatal("patch is needed (Debian package patch)")
	}
	r := rand.New(rand.NewSource(1))
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	for i := 0; i < 100; i++ {
		old := randomText(r, r.Intn(40))
		new := mutate(r, old)
		if i%10 == 0 {
			new = randomText(r, r.Intn(40))
		}
		d := Unified("f", old, new, false)
		if (d == "") != (string(old) == string(new)) {
			t.Fatalf("case %d: empty diff %v for different texts", i, d == "")
		}
		if d == "" {
			continue
		}
		if err := os.WriteFile(f, old, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("patch", "-s", "-f", "--no-backup-if-mismatch", f)
		cmd.Stdin = strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("case %d: patch: %v\n%s\ndiff:\n%s", i, err, out, d)
		}
		got, _ := os.ReadFile(f)
		if string(got) != string(new) {
			t.Fatalf("case %d: patched\n%q\nwant\n%q\ndiff:\n%s", i, got, new, d)
		}
	}
}

// TestUnifiedLikeDiffU: for a plain edit our diff is the one diff -u prints.
func TestUnifiedLikeDiffU(t *testing.T) {
	dir := t.TempDir()
	old := []byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n")
	new := []byte("1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\n13\n15\n16\nseventeen\n")
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, old, 0o644)
	os.WriteFile(b, new, 0o644)
	out, _ := exec.Command("diff", "-u", "--label", "x", "--label", "x", a, b).Output()
	if got := Unified("x", old, new, false); got != string(out) {
		t.Errorf("ours:\n%s\ndiff -u:\n%s", got, out)
	}
	if c := Unified("x", old, new, true); !strings.Contains(c, "\x1b[31m-4\x1b[0m") || !strings.Contains(c, "\x1b[32m+four\x1b[0m") {
		t.Errorf("not coloured:\n%q", c)
	}
}
