package andromeda

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A tree a live instance boots from is not pruned when build.sh changes.
func TestPruneKeepsTreesInUse(t *testing.T) {
	cache := t.TempDir()
	trees := filepath.Join(cache, "trees")
	cur := treeIn(cache)
	old := filepath.Join(trees, "bookworm-0000000000000001")
	dead := filepath.Join(trees, "bookworm-0000000000000002")
	for _, p := range []string{cur.Dir, old, dead, filepath.Join(cache, "run", "live")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{old + ".tar.zst", old + ".ok", old + "-vm-0a.img", dead + ".tar.zst", dead + ".ok", dead + "-vm-0a.img", cur.Tarball} {
		os.WriteFile(f, nil, 0o644)
	}
	b, _ := json.Marshal(runConfig{Tree: old})
	os.WriteFile(filepath.Join(cache, "run", "live", fileConfig), b, 0o644)

	pruneTrees(trees, cur)

	for _, p := range []string{cur.Dir, cur.Tarball, old, old + ".tar.zst", old + "-vm-0a.img"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was pruned: %v", filepath.Base(p), err)
		}
	}
	for _, p := range []string{dead, dead + ".tar.zst", dead + ".ok", dead + "-vm-0a.img"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was kept", filepath.Base(p))
		}
	}
}
