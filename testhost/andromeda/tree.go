package andromeda

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// buildScript makes the tree; its content is the cache key, so editing it
// is how the tree gets rebuilt.
//
//go:embed build.sh
var buildScript []byte

// TreeKey names the cached tree: the start of build.sh's SHA-256.
func TreeKey() string {
	sum := sha256.Sum256(buildScript)
	return "bookworm-" + hex.EncodeToString(sum[:8])
}

// tree is andromeda's base tree in the cache: the tarball (what is kept)
// and the directory extracted from it (what the overlay lies on, never
// written to).
type tree struct {
	Tarball string
	Dir     string
}

func treeIn(cache string) tree {
	base := filepath.Join(cache, "trees", TreeKey())
	return tree{Tarball: base + ".tar.zst", Dir: base}
}

// TreeStatus says how the last ensureTree found the cache.
type TreeStatus string

const (
	TreeReady     TreeStatus = "cached"    // tree extracted already
	TreeExtracted TreeStatus = "extracted" // tarball was there, extracted it
	TreeBuilt     TreeStatus = "built"     // built from scratch
)

// ensureTree returns the extracted tree, building or extracting it first
// when needed. Concurrent callers (parallel test packages) wait on a lock.
func ensureTree(ctx context.Context, cache string, log io.Writer) (tree, TreeStatus, error) {
	t := treeIn(cache)
	unlock, err := lockFile(ctx, filepath.Join(cache, "trees", "lock"))
	if err != nil {
		return t, "", err
	}
	defer unlock()
	done := t.Dir + ".ok" // written last: a crash mid-extract leaves no .ok
	if _, err := os.Stat(done); err == nil {
		return t, TreeReady, nil
	}
	os.RemoveAll(t.Dir)
	status := TreeExtracted
	if _, err := os.Stat(t.Tarball); err != nil {
		if err := buildTree(ctx, cache, t, log); err != nil {
			return t, "", err
		}
		status = TreeBuilt
	} else {
		fmt.Fprintf(log, "testhost: extracting %s\n", t.Tarball)
		if err := extractTree(ctx, t); err != nil {
			return t, "", err
		}
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		return t, "", err
	}
	pruneTrees(filepath.Join(cache, "trees"), t)
	return t, status, nil
}

func buildTree(ctx context.Context, cache string, t tree, log io.Writer) error {
	m, err := readMirrors("/etc/apt")
	if err != nil {
		return err
	}
	for _, tool := range []string{"debootstrap", "zstd", "unshare", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("build andromeda: %s not found (apt-get install debootstrap zstd util-linux tar)", tool)
		}
	}
	work := t.Dir + ".build"
	os.RemoveAll(work)
	defer os.RemoveAll(work)
	script := filepath.Join(cache, "trees", "build-"+TreeKey()+".sh")
	if err := os.WriteFile(script, buildScript, 0o755); err != nil {
		return err
	}
	defer os.Remove(script)
	fmt.Fprintf(log, "testhost: building the andromeda tree %s (a few minutes; cached after)\n", TreeKey())
	start := time.Now()
	// A mount and PID namespace of its own: whatever the build mounts or
	// leaves running ends with it.
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--pid", "--fork", "--uts",
		"--propagation", "private", "sh", script, work)
	cmd.Env = append(os.Environ(), "MIRROR="+m.Archive, "SECURITY_MIRROR="+m.Security)
	logf, err := os.Create(t.Dir + ".build.log")
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build andromeda with build.sh: %w (log: %s)", err, logf.Name())
	}
	fmt.Fprintf(log, "testhost: built in %s; packing %s\n", time.Since(start).Round(time.Second), t.Tarball)
	tmp := t.Tarball + ".tmp"
	pack := exec.CommandContext(ctx, "sh", "-c",
		`tar --numeric-owner --xattrs --acls -C "$1" -cf - . | zstd -q -T0 -3 -f -o "$2"`, "pack", work, tmp)
	if out, err := pack.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pack %s: %w: %s", t.Tarball, err, strings.TrimSpace(string(out)))
	}
	if err := os.Rename(tmp, t.Tarball); err != nil {
		return err
	}
	return os.Rename(work, t.Dir)
}

func extractTree(ctx context.Context, t tree) error {
	tmp := t.Dir + ".extract"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "sh", "-c",
		`zstd -dc "$1" | tar --numeric-owner --xattrs --acls -C "$2" -xf -`, "extract", t.Tarball, tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("extract %s: %w: %s", t.Tarball, err, strings.TrimSpace(string(out)))
	}
	return os.Rename(tmp, t.Dir)
}

// pruneTrees removes trees of other keys: an edit of build.sh makes the
// old tree dead weight (hundreds of MB). A tree that a run directory still
// names is the lower layer of a live instance and stays until a later
// prune.
func pruneTrees(dir string, keep tree) {
	inUse := map[string]bool{}
	configs, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "run", "*", fileConfig))
	for _, c := range configs {
		var cfg runConfig
		b, err := os.ReadFile(c)
		if err != nil || json.Unmarshal(b, &cfg) != nil {
			continue
		}
		// A run directory whose supervisor answers is live; a young one
		// may be coming up; an old silent one is what a killed run left.
		st, _ := os.Stat(c)
		if _, err := Open(filepath.Dir(c)); err == nil || (st != nil && time.Since(st.ModTime()) < time.Hour) {
			inUse[filepath.Base(cfg.Tree)] = true
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, "bookworm-") || strings.HasPrefix(n, TreeKey()) {
			continue
		}
		key := n
		if i := strings.Index(n, "."); i > 0 {
			key = n[:i]
		}
		// A VM's base image (KEY-vm-HASH.img) goes with its tree.
		if i := strings.Index(key, "-vm-"); i > 0 {
			key = key[:i]
		}
		if inUse[key] {
			continue
		}
		os.RemoveAll(filepath.Join(dir, n))
	}
}

// Build makes sure the cached tree and nspawn are there, without booting.
func Build(ctx context.Context, log io.Writer) (TreeStatus, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	_, status, err := ensureTree(ctx, cache, log)
	if err != nil {
		return "", err
	}
	_, err = ensureNspawn(ctx, cache)
	return status, err
}
