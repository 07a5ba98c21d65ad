// Package layout holds the test that keeps the package graph pointing one
// way (DESIGN.md): cmd → engine → stdlib, cmd → player, engine and player
// → recording; nothing points back, test code included.
package layout

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const mod = "github.com/runbook-dev/runbook/"

// forbidden lists, for each package (by path prefix), the project
// packages it may not import, directly or through test files.
var forbidden = []struct {
	pkg  string
	deny []string
}{
	{"recording", []string{"engine", "player", "stdlib", "cmd", "prompt", "testhost", "guide"}},
	{"internal/testenv", []string{"engine", "player", "stdlib", "cmd", "recording", "prompt", "internal/secret", "internal/shared", "testhost"}},
	{"internal/secret", []string{"engine", "player", "stdlib", "cmd", "recording", "prompt"}},
	{"prompt", []string{"engine", "player", "stdlib", "cmd"}},
	{"stdlib", []string{"engine", "player", "cmd"}},
	{"player", []string{"engine", "stdlib", "cmd"}},
	{"engine", []string{"player", "cmd"}},
	{"engine/shell", []string{"engine/ssh", "stdlib", "player", "cmd"}},
	{"engine/target", []string{"engine/shell", "engine/ssh", "stdlib", "player", "cmd"}},
}

func TestDependenciesPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}}|{{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`,
		mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 15 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	for _, l := range lines {
		path, imports, _ := strings.Cut(l, "|")
		path = strings.TrimPrefix(path, mod)
		for _, rule := range forbidden {
			if path != rule.pkg && !strings.HasPrefix(path, rule.pkg+"/") {
				continue
			}
			for _, imp := range strings.Fields(imports) {
				imp = strings.TrimPrefix(imp, mod)
				for _, d := range rule.deny {
					if imp == d || strings.HasPrefix(imp, d+"/") {
						if strings.HasPrefix(imp, rule.pkg+"/") {
							continue // its own subpackage
						}
						t.Errorf("%s imports %s: the graph must not point that way", path, imp)
					}
				}
			}
		}
	}
}

// A test that needs something of the machine says so through
// internal/testenv, the one place that decides between failing (CI) and
// skipping: no other code reads CI.
func TestOneWayToNeedSomething(t *testing.T) {
	root := filepath.Join("..", "..")
	n := 0
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		n++
		rel, _ := filepath.Rel(root, p)
		switch filepath.ToSlash(rel) {
		case "internal/testenv/testenv.go", "cmd/runbook/script_test.go", "internal/layout/deps_test.go":
			return nil // the helper; passing CI on to testscript; this test
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(`Getenv("CI")`)) {
			t.Errorf("%s reads CI itself: use internal/testenv", rel)
		}
		return nil
	})
	if n < 100 {
		t.Fatalf("only %d Go files walked", n)
	}
}
