package andromeda

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// nspawn is a systemd-nspawn taken out of Debian's systemd-container
// package into the cache. Installing that package would upgrade this
// machine's own systemd and edit its nsswitch.conf; an extracted copy with
// its own libsystemd-shared changes nothing.
type nspawn struct {
	Bin    string
	LibDir string // holds libsystemd-shared-*.so, for LD_LIBRARY_PATH
}

func (n nspawn) env() []string {
	return append(os.Environ(), "LD_LIBRARY_PATH="+n.LibDir)
}

func ensureNspawn(ctx context.Context, cache string) (nspawn, error) {
	dir := filepath.Join(cache, "nspawn")
	n, err := findNspawn(dir)
	if err == nil {
		return n, nil
	}
	unlock, err := lockFile(ctx, filepath.Join(cache, "nspawn.lock"))
	if err != nil {
		return n, err
	}
	defer unlock()
	if n, err := findNspawn(dir); err == nil {
		return n, nil
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	defer os.RemoveAll(tmp)
	debs := filepath.Join(tmp, "debs")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return n, err
	}
	// apt drops to the _apt user to download; let it write here.
	exec.Command("chown", "_apt", debs).Run()
	download := func() ([]byte, error) {
		cmd := exec.CommandContext(ctx, "apt-get", "download", "systemd-container", "libsystemd-shared")
		cmd.Dir = debs
		return cmd.CombinedOutput()
	}
	if out, err := download(); err != nil {
		// A machine that never ran apt-get update has no package lists.
		if upd, uerr := exec.CommandContext(ctx, "apt-get", "update", "-q").CombinedOutput(); uerr != nil {
			return n, fmt.Errorf("apt-get update: %w: %s", uerr, upd)
		}
		if out, err = download(); err != nil {
			return n, fmt.Errorf("apt-get download systemd-container libsystemd-shared: %w: %s", err, out)
		}
	}
	files, _ := filepath.Glob(filepath.Join(debs, "*.deb"))
	for _, f := range files {
		if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", f, filepath.Join(tmp, "root")).CombinedOutput(); err != nil {
			return n, fmt.Errorf("dpkg-deb -x %s: %w: %s", f, err, out)
		}
	}
	os.RemoveAll(debs)
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return n, err
	}
	return findNspawn(dir)
}

func findNspawn(dir string) (nspawn, error) {
	n := nspawn{Bin: filepath.Join(dir, "root", "usr", "bin", "systemd-nspawn")}
	libs, _ := filepath.Glob(filepath.Join(dir, "root", "usr", "lib", "*", "systemd", "libsystemd-shared-*.so"))
	if len(libs) == 0 {
		return n, fmt.Errorf("no libsystemd-shared in %s", dir)
	}
	n.LibDir = filepath.Dir(libs[0])
	if _, err := os.Stat(n.Bin); err != nil {
		return n, err
	}
	if !strings.HasPrefix(n.LibDir, dir) {
		return n, fmt.Errorf("odd nspawn layout in %s", dir)
	}
	return n, nil
}
