package stdlib_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// age sets a file's modification time to ago before now.
func age(t *testing.T, p string, ago time.Duration) {
	t.Helper()
	when := time.Now().Add(-ago)
	if err := os.Chtimes(p, when, when); err != nil {
		t.Fatal(err)
	}
}

// TestRebuild: file.rebuild types its command when the target is missing
// or older than a source (a file, or anything in a directory), and not
// otherwise, so a run stopped before regenerating leaves the next run the
// work; a command that leaves the target old fails the operation.
func TestRebuild(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "grub.d")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(src, "xen.cfg"), "XEN_OVERRIDE_GRUB_DEFAULT=0\n", 0o644)
	out := filepath.Join(dir, "grub.cfg")
	vars := map[string]string{"OUT": out, "SRC": src}
	script := `assert(file.rebuild(OUT, {from = {SRC}, by = "echo made > " .. OUT}) == %v)`

	for i, c := range []struct {
		name  string
		setup func()
		typed bool
	}{
		{"missing", func() {}, true},
		{"newer than its sources", func() {}, false},
		{"a source changed since", func() {
			age(t, out, time.Hour)
			writeFile(t, filepath.Join(src, "xen.cfg"), "XEN_OVERRIDE_GRUB_DEFAULT=1\n", 0o644)
		}, true},
		{"a file added to a source directory", func() {
			age(t, out, time.Hour)
			age(t, filepath.Join(src, "xen.cfg"), 2*time.Hour)
			writeFile(t, filepath.Join(src, "new.cfg"), "", 0o644)
		}, true},
	} {
		c.setup()
		h := &bashHost{dir: dir}
		if err := runLua(t, h, fmt.Sprintf(script, c.typed), vars); err != nil {
			t.Fatalf("%d %s: %v", i, c.name, err)
		}
		if got := len(h.runs) == 1; got != c.typed {
			t.Errorf("%s: typed %q", c.name, h.runs)
		}
	}

	h := &bashHost{dir: dir}
	age(t, out, time.Hour)
	err := runLua(t, h, `file.rebuild(OUT, {from = {SRC}, by = "true"})`, vars)
	if err == nil || !strings.Contains(err.Error(), "still older than") {
		t.Errorf("a command that left the target old: %v", err)
	}
}

// TestRebuildPattern: a target whose last part is a pattern (one
// initramfs per kernel) is rebuilt when any file it matches is older than
// a source or none matches, and the pattern is typed as a shell would
// take it (the rest quoted).
func TestRebuildPattern(t *testing.T) {
	dir := t.TempDir()
	boot := filepath.Join(dir, "my boot")
	if err := os.MkdirAll(boot, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "initramfs.conf")
	writeFile(t, conf, "MODULES=most\n", 0o644)
	age(t, conf, 3*time.Hour)
	vars := map[string]string{"B": boot, "C": conf}
	script := `return file.rebuild(B .. "/initrd.img-*", {from = {C}, by = "for k in 1 2; do echo x > \"" .. B .. "/initrd.img-$k\"; done"})`

	h := &bashHost{dir: dir}
	mustRun(t, h, script, vars)
	if len(h.runs) != 1 {
		t.Fatalf("no initrd at all: typed %q", h.runs)
	}
	for _, k := range []string{"1", "2"} {
		if _, err := os.Stat(filepath.Join(boot, "initrd.img-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	again := &bashHost{dir: dir}
	mustRun(t, again, script, vars)
	if len(again.runs) != 0 {
		t.Errorf("every initrd newer than its sources: typed %q", again.runs)
	}
	// One kernel's initrd older than the configuration.
	age(t, filepath.Join(boot, "initrd.img-2"), 4*time.Hour)
	one := &bashHost{dir: dir}
	mustRun(t, one, script, vars)
	if len(one.runs) != 1 {
		t.Errorf("one initrd older than its sources: typed %q", one.runs)
	}

	for _, bad := range []string{`"/boot/*/initrd.img"`, `"/boot/initrd.img-[0-9]"`} {
		err := runLua(t, &bashHost{dir: dir}, `file.rebuild(`+bad+`, {from = {"/etc"}, by = "true"})`, nil)
		if err == nil || !strings.Contains(err.Error(), "only its last part may hold a pattern") {
			t.Errorf("file.rebuild(%s): %v", bad, err)
		}
	}
}
