package andromeda

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/runbook-dev/runbook/internal/shellquote"
	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// Options say how to bring andromeda up.
type Options struct {
	// Name names the instance's run directory (cache/run/NAME). The
	// testhost command uses "andromeda"; empty picks a unique name, so
	// test packages running in parallel each have their own instance.
	Name string
	// Cache is the cache directory; empty means CacheDir().
	Cache string
	// Log gets progress lines (building, extracting); nil discards them.
	Log io.Writer
	// Detach leaves the instance running after this process ends (the
	// testhost command). Otherwise it goes down when this process ends,
	// however it ends.
	Detach bool
	// DiskSize, when not zero, attaches a sparse disk image of that many
	// bytes on a loop device that andromeda sees at the same /dev path.
	DiskSize int64
	// VM boots the tree with its own kernel in QEMU instead of in a
	// container (see vm.go): slower, but device-mapper and real reboots
	// work. The disk is then /dev/vdb inside.
	VM bool
	// DiskFrom, with VM, is a directory SaveDisk wrote: the guide disk
	// starts as its copy (and again at each reset) instead of blank, and
	// the run takes its keys, so the system installed on it knows them.
	DiskFrom string
}

// Host is a running andromeda.
type Host struct {
	dir   string
	state runState
	Tree  TreeStatus // how Up found the cache

	child  *exec.Cmd      // the supervisor, when this process started it
	stdin  io.WriteCloser // its stdin: closing it (or dying) ends it
	exited chan struct{}
}

// ErrUp reports that an instance of that name is already running.
var ErrUp = errors.New("already up")

// Up builds (or reuses the cached) tree, boots andromeda and returns once
// it is booted and reachable over SSH.
func Up(ctx context.Context, opts Options) (*Host, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("testhost: andromeda needs root (namespaces, mounts, nspawn)")
	}
	cache := opts.Cache
	if cache == "" {
		var err error
		if cache, err = CacheDir(); err != nil {
			return nil, err
		}
	}
	name := opts.Name
	if name == "" {
		var b [4]byte
		rand.Read(b[:])
		name = fmt.Sprintf("test-%d-%s", os.Getpid(), hex.EncodeToString(b[:]))
	}
	dir := filepath.Join(cache, "run", filepath.Base(name))
	if h, err := Open(dir); err == nil {
		return h, fmt.Errorf("andromeda %s: %w (ssh config %s)", name, ErrUp, h.SSHConfig())
	}
	// A run directory without a live supervisor is what a killed run left.
	removeRunDir(dir)

	status, err := prepareRun(ctx, cache, dir, name, opts)
	if err != nil {
		return nil, err
	}
	return startSupervisor(ctx, dir, status, opts.Detach)
}

// prepareRun makes what a run needs before its supervisor starts: the
// tree (or the VM's image), the run directory, its keys and its config.
// It returns how the tree was got (built, cached...).
func prepareRun(ctx context.Context, cache, dir, name string, opts Options) (TreeStatus, error) {
	m, err := readMirrors("/etc/apt")
	if err != nil {
		return "", err
	}
	t, status, err := ensureTree(ctx, cache, opts.Log)
	if err != nil {
		return "", err
	}
	var ns nspawn
	var vm *vmConfig
	if opts.VM {
		img, err := ensureVMImage(ctx, cache, t, opts.Log)
		if err != nil {
			return "", err
		}
		vm = &vmConfig{vmImage: img}
	} else if ns, err = ensureNspawn(ctx, cache); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if opts.DiskFrom != "" {
		if vm == nil {
			return "", errors.New("andromeda: a saved disk (DiskFrom) boots only on the VM")
		}
		if err := copyKeys(opts.DiskFrom, dir); err != nil {
			return "", fmt.Errorf("andromeda: saved disk %s: %w", opts.DiskFrom, err)
		}
		vm.DiskFrom = opts.DiskFrom
		if fi, err := os.Stat(filepath.Join(opts.DiskFrom, fileDisk)); err == nil {
			opts.DiskSize = fi.Size()
		}
	} else if err := makeKeys(dir); err != nil {
		return "", err
	}
	cfg := runConfig{Name: name, Tree: t.Dir, Nspawn: ns, Mirrors: m, Watch: !opts.Detach, DiskSize: opts.DiskSize, VM: vm}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, fileConfig), b, 0o600); err != nil {
		return "", err
	}

	return status, nil
}

// startSupervisor starts this program again as the run's supervisor and
// waits for its word that andromeda is reachable.
func startSupervisor(ctx context.Context, dir string, status TreeStatus, detach bool) (*Host, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, fileLog))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyR.Close()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envSupervise+"="+dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{readyW}
	// Its own session (Ctrl-C in a terminal is for us, not for it) and its
	// own mount namespace (its mounts are seen by it alone and vanish
	// with it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Unshareflags: syscall.CLONE_NEWNS}
	h := &Host{dir: dir, Tree: status, exited: make(chan struct{})}
	if !detach {
		if h.stdin, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		readyW.Close()
		return nil, fmt.Errorf("start andromeda's supervisor: %w", err)
	}
	readyW.Close()
	h.child = cmd
	go func() { cmd.Wait(); close(h.exited) }()

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(readyR).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case <-ctx.Done():
		h.Down(context.Background())
		return nil, fmt.Errorf("andromeda up: %w", ctx.Err())
	case l := <-line:
		if !strings.HasPrefix(l, "ready ") {
			<-h.exited
			removeRunDir(dir)
			if l == "" {
				l = "supervisor ended without a word"
			}
			return nil, fmt.Errorf("andromeda up: %s", strings.TrimPrefix(l, "error "))
		}
	}
	if err := h.readState(); err != nil {
		h.Down(context.Background())
		return nil, err
	}
	if detach {
		h.child.Process.Release()
		h.child = nil
	}
	return h, nil
}

// Open returns the running instance whose run directory is dir, or an
// error when none answers there.
func Open(dir string) (*Host, error) {
	h := &Host{dir: dir}
	if err := h.readState(); err != nil {
		return nil, err
	}
	if _, err := h.control(context.Background(), "status"); err != nil {
		return nil, err
	}
	return h, nil
}

// OpenName opens the instance of that name in the default cache.
func OpenName(name string) (*Host, error) {
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	return Open(filepath.Join(cache, "run", filepath.Base(name)))
}

func (h *Host) readState() error {
	b, err := os.ReadFile(filepath.Join(h.dir, fileState))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, &h.state)
}

// SSHConfig is the path of an ssh_config in which `Host andromeda` reaches
// this instance (as root, with the run's key, checking the run's host key).
func (h *Host) SSHConfig() string { return filepath.Join(h.dir, fileSSHConfig) }

// Addr is where sshd answers on this machine: 127.0.0.1:PORT.
func (h *Host) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(h.state.Port)) }

// ConsoleCommand is a shell command whose stdin and stdout are a VM's
// serial console, for runbook --console: this binary relaying to the
// console's socket. It works while this process runs.
func (h *Host) ConsoleCommand() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return envRelay + "=" + shellquote.Quote(filepath.Join(h.dir, fileConsoleSock)) + " " + shellquote.Quote(exe), nil
}

// Dir is the run directory (keys, ssh_config, console.log, supervisor.log).
func (h *Host) Dir() string { return h.dir }

// PID is the supervisor's process id.
func (h *Host) PID() int { return h.state.PID }

// Disk is the loop device attached for the install guide ("" for none);
// in a VM, /dev/vdb.
func (h *Host) Disk() string { return h.state.Disk }

// VM reports whether andromeda runs as a QEMU VM rather than a container.
func (h *Host) VM() bool { return h.state.VM }

// Status is "up", "booting" or "off" (powered off from inside).
func (h *Host) Status(ctx context.Context) (string, error) { return h.control(ctx, "status") }

// Reset reboots andromeda onto a clean overlay: every change since Up is
// gone; the keys, the port and the ssh_config stay.
func (h *Host) Reset(ctx context.Context) error {
	_, err := h.control(ctx, "reset")
	return err
}

// PowerCycle cuts a VM's power and turns it on again: what the disks hold
// stays, what was not written to them is lost, and the machine boots from
// scratch (the live system, or the guide disk once it has a boot loader).
// It returns once the live system answers over SSH, or at once when the
// guide disk boots (what connects finds out when it answers).
func (h *Host) PowerCycle(ctx context.Context) error {
	_, err := h.control(ctx, "powercycle")
	return err
}

func (h *Host) control(ctx context.Context, cmd string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", filepath.Join(h.dir, fileControl))
	if err != nil {
		return "", fmt.Errorf("andromeda %s: %w", cmd, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	fmt.Fprintln(c, cmd)
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("andromeda %s: %w", cmd, err)
	}
	reply = strings.TrimSpace(reply)
	if strings.HasPrefix(reply, "error ") {
		return "", fmt.Errorf("andromeda %s: %s", cmd, strings.TrimPrefix(reply, "error "))
	}
	return reply, nil
}

// Down stops andromeda and removes everything it made but the cache; it
// returns once the supervisor is gone.
func (h *Host) Down(ctx context.Context) error {
	pid := h.state.PID
	if h.child != nil {
		pid = h.child.Process.Pid
	}
	var pidfd int = -1
	if pid > 0 {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			pidfd = fd
			defer unix.Close(fd)
		}
	}
	if _, err := h.control(ctx, "down"); err != nil && pid > 0 && pidfd >= 0 {
		unix.PidfdSendSignal(pidfd, unix.SIGTERM, nil, 0)
	}
	if h.stdin != nil {
		h.stdin.Close()
	}
	var err error
	switch {
	case h.child != nil:
		select {
		case <-h.exited:
		case <-ctx.Done():
			err = ctx.Err()
		}
	case pidfd >= 0:
		err = waitPidfd(ctx, pidfd)
	}
	if rerr := removeRunDir(h.dir); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("andromeda down: %w", err)
	}
	return nil
}

func waitPidfd(ctx context.Context, fd int) error {
	for {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 100)
		if err != nil && err != unix.EINTR {
			return err
		}
		if n > 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Result is what a command inside printed and its exit status.
type Result struct {
	Stdout, Stderr string
	Exit           int
}

// Exec runs cmd inside andromeda as root (through sh -c, over SSH with the
// run's key). A non-zero exit status is in Result, not an error.
func (h *Host) Exec(ctx context.Context, cmd string) (Result, error) {
	return h.ExecAs(ctx, "root", cmd, nil, nil, nil)
}

// ExecAs runs cmd as user. With stdout/stderr writers the output streams
// to them instead of being collected.
func (h *Host) ExecAs(ctx context.Context, user, cmd string, stdin io.Reader, stdout, stderr io.Writer) (Result, error) {
	var res Result
	cfg, err := clientConfig(h.dir, user)
	if err != nil {
		return res, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", h.Addr())
	if err != nil {
		return res, fmt.Errorf("ssh dial andromeda (%s): %w", h.Addr(), err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, chans, reqs, err := ssh.NewClientConn(conn, h.Addr(), cfg)
	if err != nil {
		return res, fmt.Errorf("ssh andromeda: %w", err)
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return res, fmt.Errorf("ssh andromeda: session: %w", err)
	}
	defer sess.Close()
	var outb, errb bytes.Buffer
	sess.Stdin = stdin
	sess.Stdout, sess.Stderr = &outb, &errb
	if stdout != nil {
		sess.Stdout = stdout
	}
	if stderr != nil {
		sess.Stderr = stderr
	}
	err = sess.Run(cmd)
	res.Stdout, res.Stderr = outb.String(), errb.String()
	var exit *ssh.ExitError
	switch {
	case errors.As(err, &exit):
		res.Exit = exit.ExitStatus()
	case err != nil:
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return res, fmt.Errorf("andromeda: run %q: %w", cmd, err)
	}
	return res, nil
}

// runFiles are what a run puts in its directory.
var runFiles = []string{fileConfig, fileState, fileControl, fileConsole, fileLog,
	fileClientKey, fileClientKey + ".pub", fileHostKey, fileHostKey + ".pub",
	fileSSHConfig, fileKnownHosts, fileDisk, "mnt",
	fileOverlay, fileSeed, fileConsoleSock, fileProxySock}

// removeRunDir removes what a run put in dir, then dir if that left it
// empty: never a blind RemoveAll of a path that may come from the
// environment.
func removeRunDir(dir string) error {
	for _, f := range runFiles {
		os.Remove(filepath.Join(dir, f))
	}
	if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// RemoveStale removes the run directory of instance name when no
// supervisor answers there (what a killed run leaves behind).
func RemoveStale(name string) error {
	cache, err := CacheDir()
	if err != nil {
		return err
	}
	dir := filepath.Join(cache, "run", filepath.Base(name))
	if _, err := Open(dir); err == nil {
		return fmt.Errorf("andromeda %s: %w", name, ErrUp)
	}
	return removeRunDir(dir)
}
