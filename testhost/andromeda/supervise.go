package andromeda

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// envSupervise, set to a run directory, makes any binary that imports this
// package run as that instance's supervisor instead of its own main: the
// testhost command and every test binary can then start a supervisor from
// themselves, with no second binary to build or find.
const envSupervise = "RUNBOOK_TESTHOST_SUPERVISE"

func init() {
	if dir := os.Getenv(envSupervise); dir != "" {
		os.Exit(supervise(dir))
	}
}

// runConfig is what Up hands the supervisor, in the run directory.
type runConfig struct {
	Name     string
	Tree     string
	Nspawn   nspawn
	Mirrors  mirrors
	Watch    bool      // end when stdin reaches EOF (the test process died)
	DiskSize int64     // bytes of a loop-backed disk to attach; 0 for none
	VM       *vmConfig `json:",omitempty"` // boot with QEMU instead of nspawn
}

// runState is what the supervisor tells others about itself once ready.
type runState struct {
	PID     int
	Port    int
	Disk    string `json:",omitempty"` // e.g. /dev/loop3, as seen inside too
	VM      bool   `json:",omitempty"`
	Started time.Time
}

const (
	fileConfig  = "config.json"
	fileState   = "state.json"
	fileControl = "control.sock"
	fileConsole = "console.log"
	fileLog     = "supervisor.log"
	fileDisk    = "disk.img"
)

type supervisor struct {
	dir  string
	cfg  runConfig
	log  *log.Logger
	ns   atomic.Pointer[netns] // this boot's network namespace
	port int

	sshL, proxyL, ctlL net.Listener
	proxy              *http.Server
	disk               *loopDisk
	vm                 *vmMachine // a VM's QEMU, when cfg.VM is set

	mnt, root string // tmpfs for the overlay's upper layer; the merged root
	nspawn    *exec.Cmd
	exited    chan error // nspawn's end
	spawn     chan spawnReq
	stopping  bool
	state     string // booting, up, off
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

type ctlReq struct {
	cmd   string
	reply chan string
}

func supervise(dir string) int {
	ready := os.NewFile(3, "ready")
	syscall.CloseOnExec(3)
	s := &supervisor{dir: dir, log: log.New(os.Stderr, "supervisor: ", log.LstdFlags|log.Lmicroseconds), state: "booting"}
	err := s.start()
	if err != nil {
		s.log.Printf("start: %v", err)
		fmt.Fprintf(ready, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		ready.Close()
		s.teardown()
		return 1
	}
	fmt.Fprintf(ready, "ready %d\n", s.port)
	ready.Close()
	s.loop()
	s.teardown()
	return 0
}

func (s *supervisor) start() error {
	b, err := os.ReadFile(filepath.Join(s.dir, fileConfig))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &s.cfg); err != nil {
		return fmt.Errorf("read %s: %w", fileConfig, err)
	}
	// Every mount below must stay ours: refuse to run in the mount
	// namespace of whoever started us (Up starts us in a new one).
	mine, _ := os.Readlink("/proc/self/ns/mnt")
	theirs, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", os.Getppid()))
	if mine == "" || mine == theirs {
		return fmt.Errorf("supervisor not in a mount namespace of its own (%q): start it with andromeda.Up", mine)
	}
	s.startSpawner()
	if s.cfg.VM == nil {
		if err := s.privateRun(); err != nil {
			return err
		}
	}
	if s.sshL, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return fmt.Errorf("listen for ssh on 127.0.0.1: %w", err)
	}
	s.port = s.sshL.Addr().(*net.TCPAddr).Port
	go s.forwardSSH()
	s.proxy = &http.Server{Handler: newAptProxy(s.cfg.Mirrors.hosts()), ErrorLog: s.log}
	if err := writeSSHConfig(s.dir, s.port); err != nil {
		return err
	}
	if s.cfg.VM != nil {
		if err := s.startVM(); err != nil {
			return err
		}
	} else if s.cfg.DiskSize > 0 {
		if s.disk, err = attachDisk(filepath.Join(s.dir, fileDisk), s.cfg.DiskSize); err != nil {
			return err
		}
	}
	if s.ctlL, err = net.Listen("unix", filepath.Join(s.dir, fileControl)); err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if s.cfg.VM == nil {
		s.mnt = filepath.Join(s.dir, "mnt")
		s.root = filepath.Join(s.mnt, "root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.bootTimeout())
	defer cancel()
	if err := s.boot(ctx, true); err != nil {
		return err
	}
	st := runState{PID: os.Getpid(), Port: s.port, Started: time.Now()}
	if s.disk != nil {
		st.Disk = s.disk.dev
	}
	if s.cfg.VM != nil {
		st.VM = true
		if s.cfg.DiskSize > 0 {
			st.Disk = "/dev/vdb"
		}
	}
	b, _ = json.MarshalIndent(st, "", "  ")
	return os.WriteFile(filepath.Join(s.dir, fileState), b, 0o644)
}

// bootReply boots andromeda (on a clean overlay when clean) and returns
// the control socket's answer: "ok", or "error " and why not.
func (s *supervisor) bootReply(clean bool) string {
	ctx, cancel := context.WithTimeout(context.Background(), s.bootTimeout())
	defer cancel()
	if err := s.boot(ctx, clean); err != nil {
		return "error " + err.Error()
	}
	return "ok"
}

// bootTimeout is how long a boot may take: an emulated VM boots in about
// a minute on an idle machine, and much slower beside other work.
func (s *supervisor) bootTimeout() time.Duration {
	if s.cfg.VM != nil {
		return 15 * time.Minute
	}
	return 5 * time.Minute
}

// privateRun hides what nspawn writes under /run/systemd (its locks and
// mount propagation directory) from this machine: the parent started us in
// a mount namespace of our own, and a tmpfs here is seen by us alone.
func (s *supervisor) privateRun() error {
	target := "/run/systemd"
	if _, err := os.Stat(target); err != nil {
		target = "/run"
	}
	if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755,size=16m"); err != nil {
		return fmt.Errorf("private tmpfs on %s: %w", target, err)
	}
	return nil
}

// startSpawner starts nspawn from one thread that lives as long as the
// supervisor: Pdeathsig fires when the thread that forked a child ends, so
// it must not be a thread Go may retire.
func (s *supervisor) startSpawner() {
	s.spawn = make(chan spawnReq)
	go func() {
		runtime.LockOSThread()
		for r := range s.spawn {
			r.done <- r.cmd.Start()
		}
	}()
}

// boot mounts the overlay (a fresh upper layer when clean), writes the
// run's keys and apt settings into it and boots it, and waits until sshd
// takes the run's key and systemd has finished booting.
func (s *supervisor) boot(ctx context.Context, clean bool) error {
	if s.vm != nil {
		return s.bootVM(ctx, clean)
	}
	s.state = "booting"
	if clean {
		if s.disk != nil {
			if err := s.disk.wipe(); err != nil {
				return err
			}
		}
		unix.Unmount(s.root, unix.MNT_DETACH)
		unix.Unmount(s.mnt, unix.MNT_DETACH)
		if err := os.MkdirAll(s.mnt, 0o700); err != nil {
			return err
		}
		if err := unix.Mount("tmpfs", s.mnt, "tmpfs", 0, "mode=700,size=50%"); err != nil {
			return fmt.Errorf("tmpfs for andromeda's overlay: %w", err)
		}
		for _, d := range []string{"upper", "work", "root"} {
			if err := os.Mkdir(filepath.Join(s.mnt, d), 0o755); err != nil {
				return err
			}
		}
		opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", s.cfg.Tree,
			filepath.Join(s.mnt, "upper"), filepath.Join(s.mnt, "work"))
		if err := unix.Mount("overlay", s.root, "overlay", 0, opts); err != nil {
			return fmt.Errorf("overlay on %s: %w", s.cfg.Tree, err)
		}
	}
	if err := s.prepare(); err != nil {
		return err
	}
	if err := s.newNetwork(); err != nil {
		return err
	}
	console, err := os.OpenFile(filepath.Join(s.dir, fileConsole), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer console.Close()
	args := []string{"--quiet", "--boot", "--register=no", "--keep-unit",
		"--directory=" + s.root, "--machine=andromeda", "--hostname=andromeda",
		"--network-namespace-path=/proc/self/fd/3", "--private-network",
		"--link-journal=no", "--resolv-conf=off", "--timezone=off", "--console=read-only"}
	if s.disk != nil {
		args = append(args, "--bind="+s.disk.dev)
	}
	cmd := exec.Command(s.cfg.Nspawn.Bin, args...)
	cmd.Env = s.cfg.Nspawn.env()
	cmd.Stdout, cmd.Stderr = console, console
	cmd.ExtraFiles = []*os.File{s.ns.Load().f}
	// If the supervisor dies, nspawn halts the container (SIGTERM is
	// nspawn's "shut down cleanly").
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	done := make(chan error, 1)
	s.spawn <- spawnReq{cmd, done}
	if err := <-done; err != nil {
		return fmt.Errorf("start systemd-nspawn: %w", err)
	}
	s.nspawn = cmd
	exited := make(chan error, 1)
	s.exited = exited
	go func() { exited <- cmd.Wait() }()
	s.log.Printf("nspawn %d booting %s (clean=%v)", cmd.Process.Pid, s.root, clean)
	if err := s.waitReady(ctx); err != nil {
		return err
	}
	s.state = "up"
	return nil
}

// newNetwork gives every boot a network namespace of its own, as a real
// reboot starts with no bridges, addresses or routes: it holds lo, the apt
// proxy on lo, and eth0 with an address and the default route, one end of
// a veth pair whose other end (eth0-peer) stays in the namespace too, so
// nothing leads out of it.
func (s *supervisor) newNetwork() error {
	if s.proxyL != nil {
		s.proxyL.Close()
	}
	if old := s.ns.Load(); old != nil {
		old.close()
	}
	ns, err := newNetns()
	if err != nil {
		return err
	}
	s.ns.Store(ns)
	if err := ns.run("ip", "link", "add", "eth0", "address", nicMAC, "type", "veth", "peer", "name", "eth0-peer", "address", peerMAC); err != nil {
		return err
	}
	if err := ns.run("ip", "link", "set", "eth0-peer", "up"); err != nil {
		return err
	}
	// A server's NIC: an address and the default route, as the guide's
	// runbooks expect of the host they configure. Nothing answers at the
	// gateway (the peer stays inside): apt goes through the proxy on lo.
	for _, args := range [][]string{
		{"ip", "addr", "add", nicAddr, "dev", "eth0"},
		{"ip", "link", "set", "eth0", "up"},
		{"ip", "route", "add", "default", "via", nicGateway, "dev", "eth0"},
	} {
		if err := ns.run(args[0], args[1:]...); err != nil {
			return err
		}
	}
	if s.proxyL, err = ns.listen(proxyAddr); err != nil {
		return fmt.Errorf("apt proxy in andromeda's namespace: %w", err)
	}
	go s.proxy.Serve(s.proxyL)
	return nil
}

// nicMAC and peerMAC are fixed, so what `ip link` shows in a recording
// does not change from run to run.
const (
	nicMAC     = "52:54:00:12:34:56"
	peerMAC    = "52:54:00:12:34:57"
	nicAddr    = "10.0.2.15/24"
	nicGateway = "10.0.2.2"
)

// bootFile is a file made for the run that andromeda gets at every boot.
type bootFile struct {
	path string // in andromeda
	data []byte
	mode os.FileMode
}

// bootFiles are the run's keys and apt settings, with the apt proxy at
// proxy (host:port, as andromeda reaches it).
func (s *supervisor) bootFiles(proxy string) ([]bootFile, error) {
	hostKey, err := os.ReadFile(filepath.Join(s.dir, fileHostKey))
	if err != nil {
		return nil, err
	}
	hostPub, err := os.ReadFile(filepath.Join(s.dir, fileHostKey+".pub"))
	if err != nil {
		return nil, err
	}
	clientPub, err := os.ReadFile(filepath.Join(s.dir, fileClientKey+".pub"))
	if err != nil {
		return nil, err
	}
	return []bootFile{
		{"etc/ssh/ssh_host_ed25519_key", hostKey, 0o600},
		{"etc/ssh/ssh_host_ed25519_key.pub", hostPub, 0o644},
		{"root/.ssh/authorized_keys", clientPub, 0o600},
		{"home/admin/.ssh/authorized_keys", clientPub, 0o600},
		{"etc/apt/sources.list", []byte(s.cfg.Mirrors.sourcesList()), 0o644},
		{"etc/apt/apt.conf.d/01andromeda-proxy", []byte(aptProxyConfFor(proxy)), 0o644},
	}, nil
}

// prepare writes what is made for the run into the (merged) tree.
func (s *supervisor) prepare() error {
	files, err := s.bootFiles(proxyAddr)
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(s.root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return fmt.Errorf("write andromeda:/%s: %w", f.path, err)
		}
	}
	uid, gid, err := lookupUser(filepath.Join(s.root, "etc/passwd"), "admin")
	if err != nil {
		return err
	}
	for _, p := range []string{"home/admin/.ssh", "home/admin/.ssh/authorized_keys"} {
		if err := os.Lchown(filepath.Join(s.root, p), uid, gid); err != nil {
			return err
		}
	}
	return nil
}

func lookupUser(passwd, name string) (uid, gid int, err error) {
	b, err := os.ReadFile(passwd)
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 3 && f[0] == name {
			uid, _ = strconv.Atoi(f[2])
			gid, _ = strconv.Atoi(f[3])
			return uid, gid, nil
		}
	}
	return 0, 0, fmt.Errorf("%s: no user %s", passwd, name)
}

// waitReady waits until the run's key logs in and systemd says the boot is
// over (running, or degraded: both are a booted server).
func (s *supervisor) waitReady(ctx context.Context) error {
	cfg, err := clientConfig(s.dir, "root")
	if err != nil {
		return err
	}
	var last error
	for {
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("systemd-nspawn ended while booting (%v); see %s", err, filepath.Join(s.dir, fileConsole))
		default:
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := s.execInside(cctx, cfg, "systemctl is-system-running --wait")
		cancel()
		if err == nil {
			s.log.Printf("booted: %s", strings.TrimSpace(out))
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("andromeda did not come up: %v (last: %v); see %s", ctx.Err(), last, filepath.Join(s.dir, fileConsole))
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// execInside runs cmd over SSH straight into the namespace (not through
// the forwarder), returning its stdout whatever its exit status.
func (s *supervisor) execInside(ctx context.Context, cfg *ssh.ClientConfig, cmd string) (string, error) {
	conn, err := s.dialSSH(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, chans, reqs, err := ssh.NewClientConn(conn, "andromeda", cfg)
	if err != nil {
		return "", err
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", err
	}
	defer sess.Close()
	out, err := sess.Output(cmd)
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		err = nil
	}
	return string(out), err
}

// dialSSH connects to andromeda's sshd.
func (s *supervisor) dialSSH(ctx context.Context) (net.Conn, error) {
	if s.vm != nil {
		return s.vm.dialSSH(ctx)
	}
	return s.ns.Load().dial(ctx, "127.0.0.1:22")
}

func (s *supervisor) forwardSSH() {
	for {
		c, err := s.sshL.Accept()
		if err != nil {
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			in, err := s.dialSSH(ctx)
			if err != nil {
				s.log.Printf("forward ssh: %v", err)
				c.Close()
				return
			}
			pipe(c, in)
		}()
	}
}

// loop serves control requests and watches nspawn until it is told to end.
func (s *supervisor) loop() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	orphaned := make(chan struct{})
	if s.cfg.Watch {
		go func() { io.Copy(io.Discard, os.Stdin); close(orphaned) }()
	}
	ctl := make(chan ctlReq)
	go s.serveControl(ctl)
	for {
		select {
		case sig := <-sigs:
			s.log.Printf("%v: going down", sig)
			return
		case <-orphaned:
			s.log.Printf("the process that started andromeda is gone: going down")
			return
		case err := <-s.exited:
			s.nspawn = nil
			if code := exitCode(err); code == 133 || s.vm != nil && err == nil && s.vm.rebooted() {
				// `systemctl reboot` inside: come back on the same overlay.
				s.log.Printf("andromeda rebooted itself")
				ctx, cancel := context.WithTimeout(context.Background(), s.bootTimeout())
				if err := s.boot(ctx, false); err != nil {
					s.log.Printf("reboot: %v", err)
					s.state = "off"
				}
				cancel()
			} else {
				s.log.Printf("andromeda stopped (%v); a reset boots it again", err)
				s.state = "off"
			}
		case r := <-ctl:
			switch r.cmd {
			case "status":
				r.reply <- s.state
			case "reset":
				s.stopNspawn()
				r.reply <- s.bootReply(true)
			case "powercycle":
				// The power cut and back: the disks as they are.
				if s.vm == nil {
					r.reply <- "error only a VM can be power-cycled"
					continue
				}
				s.stopVM()
				r.reply <- s.bootReply(false)
			case "down":
				r.reply <- "ok"
				return
			default:
				r.reply <- "error unknown command " + strconv.Quote(r.cmd)
			}
		}
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

func (s *supervisor) serveControl(ctl chan<- ctlReq) {
	for {
		c, err := s.ctlL.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				return
			}
			r := ctlReq{cmd: strings.TrimSpace(line), reply: make(chan string, 1)}
			ctl <- r
			fmt.Fprintln(c, <-r.reply)
		}()
	}
}

// stopNspawn halts the container; if it does not stop in time, it kills
// the container's init (which ends every process of its PID namespace)
// and nspawn.
func (s *supervisor) stopNspawn() {
	if s.vm != nil {
		s.stopVM()
		return
	}
	if s.nspawn == nil {
		return
	}
	p := s.nspawn.Process
	p.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.log.Printf("nspawn %d did not stop in 20 s: killing the container", p.Pid)
		for _, child := range childrenOf(p.Pid) {
			syscall.Kill(child, syscall.SIGKILL)
		}
		p.Kill()
		<-s.exited
	}
	s.nspawn = nil
	s.state = "off"
}

func childrenOf(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// teardown undoes everything start did, in reverse, whatever state it is in.
func (s *supervisor) teardown() {
	s.stopping = true
	s.stopNspawn()
	for _, l := range []net.Listener{s.ctlL, s.sshL} {
		if l != nil {
			l.Close()
		}
	}
	if s.proxy != nil {
		s.proxy.Close()
	}
	if s.root != "" {
		unix.Unmount(s.root, unix.MNT_DETACH)
		unix.Unmount(s.mnt, unix.MNT_DETACH)
	}
	if s.disk != nil {
		s.disk.detach()
	}
	if s.vm != nil {
		s.vm.console.close()
	}
	if s.proxyL != nil {
		s.proxyL.Close()
	}
	if ns := s.ns.Load(); ns != nil {
		ns.close()
	}
	s.log.Printf("down")
	// The run directory goes last; Down removes it again in case we die
	// before this.
	removeRunDir(s.dir)
}
