// Command testhost brings up andromeda, the throwaway Debian host that
// runbook's tests (and you) run the guide against, and takes it down
// without a trace. See README.md.
//
// It is a thin shell over package andromeda; it must not import the
// engine, the stdlib or the player.
package main

import (
	"bytes"
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
	"golang.org/x/term"
)

const usage = `usage: go run ./testhost COMMAND [ARGS]

Brings up andromeda, a throwaway Debian bookworm host booted by
systemd-nspawn (systemd is PID 1) in a network namespace of its own, and
reached over SSH on 127.0.0.1. Needs root.

Commands:
  up [--disk SIZE] [--vm]
                    build (or reuse the cached) tree, boot andromeda and print
                    the path of an ssh_config in which Host andromeda
                    reaches it. --disk attaches a sparse disk image of SIZE
                    (e.g. 4G) on a loop device, for the install guide.
                    --vm boots it as a QEMU VM with its own kernel instead
                    (slow, emulated; LUKS, LVM and real reboots work; the
                    disk is /dev/vdb)
  down              stop andromeda and remove everything it made but the cache
  status            say whether andromeda is up, and where (exit 1: down)
  exec CMD...       run CMD inside as root; exits with CMD's status
  ssh-config        print the path of the ssh_config (andromeda must be up)
  reset             reboot onto a clean overlay (every change is gone)
  console           attach to a VM's serial console (Ctrl-] leaves it)
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
		return up(ctx, args, stdout, stderr)
	case "down":
		return down(ctx, stderr)
	case "status":
		return status(ctx, stdout)
	case "exec":
		if len(args) == 0 {
			return 2, errors.New("exec: no command")
		}
		h, err := openUp()
		if err != nil {
			return 3, err
		}
		res, err := h.ExecAs(ctx, "root", strings.Join(args, " "), os.Stdin, stdout, stderr)
		if err != nil {
			return 3, err
		}
		return res.Exit, nil
	case "ssh-config":
		h, err := openUp()
		if err != nil {
			return 3, err
		}
		fmt.Fprintln(stdout, h.SSHConfig())
		return 0, nil
	case "reset":
		h, err := openUp()
		if err != nil {
			return 3, err
		}
		return 0, h.Reset(ctx)
	case "console":
		return console(ctx, stdout, stderr)
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

// openUp opens the running instance, or says it is not up.
func openUp() (*andromeda.Host, error) {
	h, err := andromeda.OpenName(name)
	if err != nil {
		return nil, fmt.Errorf("andromeda is not up: %w", err)
	}
	return h, nil
}

// up reads up's flags, boots andromeda (or finds it up) and prints its
// ssh_config.
func up(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	var disk int64
	vm := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--vm":
			vm = true
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
	h, err := andromeda.Up(ctx, andromeda.Options{Name: name, Log: stderr, Detach: true, DiskSize: disk, VM: vm})
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
}

// down stops andromeda; with nothing answering it still removes what a
// killed run left.
func down(ctx context.Context, stderr io.Writer) (int, error) {
	h, err := andromeda.OpenName(name)
	if err != nil {
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
}

// status says whether andromeda is up and where (exit 1: down).
func status(ctx context.Context, stdout io.Writer) (int, error) {
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
	if h.VM() {
		fmt.Fprintln(stdout, "vm: qemu (console: testhost console)")
	}
	if h.Disk() != "" {
		fmt.Fprintf(stdout, "disk: %s\n", h.Disk())
	}
	return 0, nil
}

// console attaches this terminal to a VM's serial console.
func console(ctx context.Context, stdout, stderr io.Writer) (int, error) {
	h, err := openUp()
	if err != nil {
		return 3, err
	}
	c, err := h.Console(ctx)
	if err != nil {
		return 3, err
	}
	defer c.Close()
	var in io.Reader = os.Stdin
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		// Raw, so that keys (Ctrl-C, Tab, arrows) reach the guest
		// and only the guest echoes; Ctrl-] leaves, as in telnet.
		old, err := term.MakeRaw(fd)
		if err != nil {
			return 3, fmt.Errorf("console: %w", err)
		}
		defer term.Restore(fd, old)
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		in = escapeReader{os.Stdin, cancel}
		fmt.Fprint(stderr, "testhost: andromeda's serial console; Ctrl-] leaves it\r\n")
	}
	// The guest's prompt comes back on Enter.
	c.Send("\n")
	return 0, c.Stream(ctx, in, stdout)
}

// escapeReader ends the console at Ctrl-] (what reaches the guest stops
// before it).
type escapeReader struct {
	r    io.Reader
	quit func()
}

func (e escapeReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if i := bytes.IndexByte(p[:n], 0x1d); i >= 0 {
		e.quit()
		return i, io.EOF
	}
	return n, err
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
