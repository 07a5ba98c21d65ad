// Command testhost brings up andromeda, the throwaway Debian host that
// runbook's tests (and you) run the guide against, and takes it down
// without a trace. See README.md.
//
// It is a thin shell over package andromeda; it must not import the
// engine, the stdlib or the player.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/runbook-dev/runbook/testhost/andromeda"
)

const usage = `usage: go run ./testhost COMMAND [ARGS]

Brings up andromeda, a throwaway Debian bookworm host booted by
systemd-nspawn (systemd is PID 1) in a network namespace of its own, and
reached over SSH on 127.0.0.1. Needs root.

Commands:
  up [--disk SIZE]  build (or reuse the cached) tree, boot andromeda and print
                    the path of an ssh_config in which Host andromeda
                    reaches it. --disk attaches a sparse disk image of SIZE
                    (e.g. 4G) on a loop device, for the install guide.
  down              stop andromeda and remove everything it made but the cache
  status            say whether andromeda is up, and where (exit 1: down)
  exec CMD...       run CMD inside as root; exits with CMD's status
  ssh-config        print the path of the ssh_config (andromeda must be up)
  reset             reboot onto a clean overlay (every change is gone)
  build             build (or extract) the cached tree without booting it
  cache             print the cache directory

Examples:
  cfg=$(go run ./testhost up)
  ssh -F "$cfg" andromeda uname -a
  runbook --host andromeda --ssh-config "$cfg" runbooks/xen-prereqs.lua
  go run ./testhost exec systemctl is-system-running
  go run ./testhost down

The cache (built tree as a zstd tarball, keyed on testhost/andromeda/build.sh,
and a systemd-nspawn taken out of Debian's package) is in
$RUNBOOK_TESTHOST_CACHE, else ~/.cache/runbook/testhost.
`

// name is the instance the command manages; RUNBOOK_TESTHOST_NAME lets a
// test run the command without touching a developer's own andromeda.
var name = envOr("RUNBOOK_TESTHOST_NAME", "andromeda")

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testhost: %v\n", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2, nil
		}
		return 0, nil
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "up":
		var disk int64
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "--disk" && i+1 < len(args):
				i++
				a = "--disk=" + args[i]
				fallthrough
			case strings.HasPrefix(a, "--disk="):
				n, err := parseSize(strings.TrimPrefix(a, "--disk="))
				if err != nil {
					return 2, err
				}
				disk = n
			default:
				return 2, fmt.Errorf("up: unknown argument %q\n%s", a, usage)
			}
		}
		start := time.Now()
		h, err := andromeda.Up(ctx, andromeda.Options{Name: name, Log: stderr, Detach: true, DiskSize: disk})
		if errors.Is(err, andromeda.ErrUp) {
			fmt.Fprintln(stdout, h.SSHConfig())
			return 0, nil
		}
		if err != nil {
			return 3, err
		}
		fmt.Fprintf(stderr, "testhost: andromeda up on %s (tree %s) in %s\n", h.Addr(), h.Tree, time.Since(start).Round(10*time.Millisecond))
		if h.Disk() != "" {
			fmt.Fprintf(stderr, "testhost: disk %s attached\n", h.Disk())
		}
		fmt.Fprintln(stdout, h.SSHConfig())
		return 0, nil
	case "down":
		h, err := andromeda.OpenName(name)
		if err != nil {
			// Nothing answers: still remove what a killed run left.
			andromeda.RemoveStale(name)
			fmt.Fprintln(stderr, "testhost: andromeda is not up")
			return 0, nil
		}
		dctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := h.Down(dctx); err != nil {
			return 1, err
		}
		return 0, nil
	case "status":
		h, err := andromeda.OpenName(name)
		if err != nil {
			fmt.Fprintln(stdout, "andromeda: down")
			return 1, nil
		}
		st, err := h.Status(ctx)
		if err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "andromeda: %s, ssh %s, supervisor pid %d, ssh_config %s\n", st, h.Addr(), h.PID(), h.SSHConfig())
		if h.Disk() != "" {
			fmt.Fprintf(stdout, "disk: %s\n", h.Disk())
		}
		return 0, nil
	case "exec":
		if len(args) == 0 {
			return 2, errors.New("exec: no command")
		}
		h, err := andromeda.OpenName(name)
		if err != nil {
			return 3, fmt.Errorf("andromeda is not up: %w", err)
		}
		res, err := h.ExecAs(ctx, "root", strings.Join(args, " "), os.Stdin, stdout, stderr)
		if err != nil {
			return 3, err
		}
		return res.Exit, nil
	case "ssh-config":
		h, err := andromeda.OpenName(name)
		if err != nil {
			return 3, fmt.Errorf("andromeda is not up: %w", err)
		}
		fmt.Fprintln(stdout, h.SSHConfig())
		return 0, nil
	case "reset":
		h, err := andromeda.OpenName(name)
		if err != nil {
			return 3, fmt.Errorf("andromeda is not up: %w", err)
		}
		return 0, h.Reset(ctx)
	case "build":
		status, err := andromeda.Build(ctx, stderr)
		if err != nil {
			return 1, err
		}
		fmt.Fprintf(stderr, "testhost: tree %s %s\n", andromeda.TreeKey(), status)
		return 0, nil
	case "cache":
		d, err := andromeda.CacheDir()
		if err != nil {
			return 1, err
		}
		fmt.Fprintln(stdout, d)
		return 0, nil
	}
	return 2, fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// parseSize reads 4G, 512M, 1073741824.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 4G or 512M)", s)
	}
	return n * mult, nil
}
