package andromeda

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// EnvCache overrides where andromeda keeps its built tree, its copy of
// systemd-nspawn and the run directories of live instances.
const EnvCache = "RUNBOOK_TESTHOST_CACHE"

// CacheDir is $RUNBOOK_TESTHOST_CACHE, else $XDG_CACHE_HOME/runbook/testhost,
// else ~/.cache/runbook/testhost (/var/tmp/runbook-testhost without $HOME).
func CacheDir() (string, error) {
	if d := os.Getenv(EnvCache); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		// No $HOME (some CI environments): a place that survives reboots.
		return "/var/tmp/runbook-testhost", nil
	}
	return filepath.Join(base, "runbook", "testhost"), nil
}

// lockFile takes an exclusive flock on path, waiting while ctx allows, so
// that two test packages that come up at once build the tree only once.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if err != unix.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
