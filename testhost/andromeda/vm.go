package andromeda

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A VM andromeda is the same tree booted by QEMU with its own kernel
// (`testhost up --vm`): what a container cannot do (device-mapper for
// LUKS and LVM, a real reboot) runs there. This machine's /dev/kvm wants
// PVM guests, so QEMU emulates (TCG): guest code runs about 15 times
// slower than here.
//
// The supervisor owns the QEMU process as it owns nspawn: QEMU gets
// SIGKILL when the supervisor dies. Its doors are QEMU's user network
// with restrict=on, so the guest reaches nothing but what is forwarded:
// sshd from a port on 127.0.0.1, and 10.0.2.100:3142, the apt proxy.

// vmConfig is what Up hands a VM's supervisor.
type vmConfig struct {
	vmImage
	DiskFrom string `json:",omitempty"` // a saved disk's directory (SaveDisk)
}

// Run-directory files of a VM.
const (
	fileOverlay     = "overlay.qcow2"
	fileSeed        = "seed.tar"
	fileConsoleSock = "console.sock"
	fileProxySock   = "proxy.sock"
)

// VMProxyAddr is where the guest finds the apt proxy: QEMU's guestfwd
// hands each connection to it to the supervisor.
const VMProxyAddr = "10.0.2.100:3142"

// envRelay, set to a Unix socket, makes this binary (any that links this
// package) copy its stdin and stdout to that socket. QEMU's guestfwd runs
// it for each connection the guest makes to VMProxyAddr (a guestfwd to a
// tcp: chardev connects once, when QEMU starts, and carries one
// connection); runbook's --console runs it for the serial console
// (Host.ConsoleCommand).
const envRelay = "RUNBOOK_TESTHOST_RELAY"

func init() {
	if sock := os.Getenv(envRelay); sock != "" {
		os.Exit(relayStdio(sock))
	}
}

// relayStdio copies between stdio (QEMU's end of the guest's connection)
// and the proxy's socket. It writes nothing else: stderr goes to the
// guest too.
func relayStdio(sock string) int {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return 1
	}
	go func() {
		io.Copy(c, os.Stdin)
		c.(*net.UnixConn).CloseWrite()
	}()
	io.Copy(os.Stdout, c)
	return 0
}

// vmMachine is a running QEMU.
type vmMachine struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed when QEMU has ended
	sshPort int           // QEMU's hostfwd to the guest's sshd
	console *consoleHub
}

// startVM sets up what lasts for the whole run: the proxy's socket and
// the serial console's hub and socket.
func (s *supervisor) startVM() error {
	var err error
	if s.proxyL, err = net.Listen("unix", filepath.Join(s.dir, fileProxySock)); err != nil {
		return fmt.Errorf("apt proxy socket: %w", err)
	}
	go s.proxy.Serve(s.proxyL)
	log, err := os.OpenFile(filepath.Join(s.dir, fileConsole), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	s.vm = &vmMachine{console: newConsoleHub(log)}
	l, err := net.Listen("unix", filepath.Join(s.dir, fileConsoleSock))
	if err != nil {
		return fmt.Errorf("console socket: %w", err)
	}
	s.vm.console.listener = l
	go s.vm.console.serve()
	return nil
}

// bootVM starts QEMU, on a new overlay of the base image when clean (the
// reboot of a VM happens inside QEMU and needs no new process), and waits
// until SSH answers and systemd has finished booting.
func (s *supervisor) bootVM(ctx context.Context, clean bool) error {
	s.state = "booting"
	overlay := filepath.Join(s.dir, fileOverlay)
	if clean {
		if err := s.freshDisks(ctx, overlay); err != nil {
			return err
		}
	}
	if err := s.writeSeed(); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	fromDisk := s.diskBootable()
	cmd := exec.Command("nice", s.qemuArgs(port, overlay, fromDisk)...)
	// The relay QEMU starts for the guest's proxy connections is this
	// binary again; it must not take itself for a supervisor.
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, envSupervise+"=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, envRelay+"="+filepath.Join(s.dir, fileProxySock))
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr // supervisor.log
	// A VM has nothing to save: if the supervisor dies, QEMU goes at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	done := make(chan error, 1)
	s.spawn <- spawnReq{cmd, done}
	if err := <-done; err != nil {
		return fmt.Errorf("start qemu-system-x86_64: %w", err)
	}
	m := s.vm
	m.cmd, m.sshPort, m.done = cmd, port, make(chan struct{})
	m.console.attach(in)
	exited := make(chan error, 1)
	s.exited = exited
	go func() {
		m.console.pump(out) // until QEMU closes its stdout
		err := cmd.Wait()
		m.console.attach(nil)
		close(m.done)
		exited <- err
	}()
	if fromDisk {
		// The installed system: its own keys and users, and maybe a
		// passphrase to type at the console before it boots on. What
		// connects finds out when it answers.
		s.log.Printf("qemu %d booting the guide disk's boot loader (ssh forwarded from 127.0.0.1:%d)", cmd.Process.Pid, port)
		s.state = "up"
		return nil
	}
	s.log.Printf("qemu %d booting %s (clean=%v, ssh forwarded from 127.0.0.1:%d)", cmd.Process.Pid, overlay, clean, port)
	if err := s.waitVM(ctx); err != nil {
		return fmt.Errorf("%w\nlast lines of the serial console:\n%s", err, m.console.tail(40))
	}
	s.state = "up"
	return nil
}

// waitVM waits for sshd's banner, then for a real `true` through the run's
// ssh_config, then for systemd to finish booting.
func (s *supervisor) waitVM(ctx context.Context) error {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		return fmt.Errorf("andromeda VM: the OpenSSH client is needed to check the boot: %w", err)
	}
	cfg, err := clientConfig(s.dir, "root")
	if err != nil {
		return err
	}
	stage, last := "banner", error(nil)
	for {
		select {
		case <-s.vm.done:
			return fmt.Errorf("qemu ended while booting; see %s", filepath.Join(s.dir, fileLog))
		case <-ctx.Done():
			return fmt.Errorf("andromeda VM did not come up (waiting for %s): %v (last: %v)", stage, ctx.Err(), last)
		default:
		}
		switch stage {
		case "banner":
			if last = s.vm.banner(ctx); last == nil {
				stage = "ssh true"
				continue
			}
		case "ssh true":
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			out, err := exec.CommandContext(cctx, sshBin, "-F", filepath.Join(s.dir, fileSSHConfig),
				"-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "andromeda", "true").CombinedOutput()
			cancel()
			if last = err; err == nil {
				stage = "systemd"
				continue
			}
			last = fmt.Errorf("ssh andromeda true: %w: %s", err, strings.TrimSpace(string(out)))
		case "systemd":
			cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
			out, err := s.execInside(cctx, cfg, "systemctl is-system-running --wait")
			cancel()
			if last = err; err == nil {
				s.log.Printf("booted: %s", strings.TrimSpace(out))
				return nil
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// banner reads sshd's first line through QEMU's forward (which accepts
// even while nothing listens inside, then closes).
func (m *vmMachine) banner(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := m.dialSSH(cctx)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "SSH-") {
		return fmt.Errorf("no ssh banner (%q, %v)", line, err)
	}
	return nil
}

func (m *vmMachine) dialSSH(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", m.sshPort))
}

// stopVM ends QEMU at once: the overlay is thrown away or booted again,
// and nothing inside needs saving.
func (s *supervisor) stopVM() {
	m := s.vm
	if m == nil || m.cmd == nil {
		return
	}
	m.cmd.Process.Kill()
	<-m.done
	m.cmd = nil
	s.state = "off"
}

// writeSeed writes the tarball the guest's andromeda-seed unpacks over /:
// the same run files the container gets in prepare, with the apt proxy
// at the guestfwd address.
func (s *supervisor) writeSeed() error {
	files, err := s.bootFiles(VMProxyAddr)
	if err != nil {
		return err
	}
	uid, gid, err := lookupUser(filepath.Join(s.cfg.Tree, "etc/passwd"), "admin")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	made := map[string]bool{}
	now := time.Now()
	for _, f := range files {
		u, g := 0, 0
		if strings.HasPrefix(f.path, "home/admin/") {
			u, g = uid, gid
		}
		// sshd wants ~/.ssh to be the user's and 0700; the other parents
		// are in the image already and keep what they have.
		if d := path.Dir(f.path); path.Base(d) == ".ssh" && !made[d] {
			made[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o700, Uid: u, Gid: g, ModTime: now}); err != nil {
				return err
			}
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.path, Mode: int64(f.mode), Size: int64(len(f.data)), Uid: u, Gid: g, ModTime: now}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, fileSeed), buf.Bytes(), 0o600)
}

// blankDisk (re)makes the guide's disk as an empty sparse file.
func blankDisk(img string, size int64) error {
	f, err := os.OpenFile(img, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("blank disk %s: %w", img, err)
	}
	return nil
}

// freePort picks a port of 127.0.0.1 that nothing listens on, for QEMU's
// hostfwd (QEMU cannot be handed a listening socket for it).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// qemuEscape doubles commas, QEMU's option separator, in a value.
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// freshDisks makes the VM's root an empty overlay on the cached image
// again, and its guide disk blank.
func (s *supervisor) freshDisks(ctx context.Context, overlay string) error {
	os.Remove(overlay)
	out, err := exec.CommandContext(ctx, "qemu-img", "create", "-q", "-f", "qcow2",
		"-b", s.cfg.VM.Image, "-F", "raw", overlay).CombinedOutput()
	if err != nil {
		return fmt.Errorf("qemu-img create %s: %w: %s", overlay, err, strings.TrimSpace(string(out)))
	}
	disk := filepath.Join(s.dir, fileDisk)
	if s.cfg.VM.DiskFrom != "" {
		return copySparse(ctx, filepath.Join(s.cfg.VM.DiskFrom, fileDisk), disk)
	}
	if s.cfg.DiskSize > 0 {
		if err := blankDisk(disk, s.cfg.DiskSize); err != nil {
			return err
		}
	}
	return nil
}

// diskBootable reports whether the guide disk holds a boot loader: an MBR
// with its signature and boot code (sfdisk alone writes the signature and
// no code). A PC's BIOS boots such a disk before the live system, as a
// machine whose install CD is still in boots the installed system.
func (s *supervisor) diskBootable() bool {
	if s.cfg.DiskSize <= 0 {
		return false
	}
	f, err := os.Open(filepath.Join(s.dir, fileDisk))
	if err != nil {
		return false
	}
	defer f.Close()
	mbr := make([]byte, 512)
	if _, err := io.ReadFull(f, mbr); err != nil || mbr[510] != 0x55 || mbr[511] != 0xaa {
		return false
	}
	return !bytes.Equal(mbr[:440], make([]byte, 440))
}

// vmRebooted reports whether QEMU ended because the guest rebooted
// (-no-reboot turns a reset into an exit): Linux says so on the console.
func (m *vmMachine) rebooted() bool {
	return strings.Contains(m.console.tail(5), "reboot: Restarting system")
}

// qemuArgs is QEMU's command line (behind nice -n 19): TCG on two
// threads, the overlay as root, the guide disk, a restricted user network
// with SSH forwarded from 127.0.0.1:port and the proxy relayed through
// this binary, the seed and the serial console on stdio. The live system
// boots the image's kernel; fromDisk, the BIOS boots the guide disk. The
// devices keep their PCI slots either way, so the guest names them alike
// (vda, vdb; eth0, or ens3 with predictable names). A reset ends QEMU
// (-no-reboot): the supervisor starts it again, and chooses what boots.
func (s *supervisor) qemuArgs(port int, overlay string, fromDisk bool) []string {
	self := fmt.Sprintf("/proc/%d/exe", os.Getpid()) // still there if `go run` removed the binary
	netdev := fmt.Sprintf("user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:22,guestfwd=tcp:%s-cmd:%s", port, VMProxyAddr, self)
	args := []string{"-n", "19", "qemu-system-x86_64",
		"-name", "andromeda", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-accel", "tcg", "-smp", "2", "-m", "1024",
	}
	if !fromDisk {
		args = append(args, "-kernel", s.cfg.VM.Kernel, "-initrd", s.cfg.VM.Initrd,
			"-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0")
	}
	args = append(args,
		"-netdev", netdev,
		"-device", "virtio-net-pci,netdev=n0,addr=0x3,mac="+nicMAC,
		"-drive", "if=none,id=root,format=qcow2,file="+qemuEscape(overlay),
		"-device", "virtio-blk-pci,drive=root,addr=0x4")
	if s.cfg.DiskSize > 0 {
		boot := ""
		if fromDisk {
			boot = ",bootindex=0"
		}
		args = append(args,
			"-drive", "if=none,id=guide,format=raw,file="+qemuEscape(filepath.Join(s.dir, fileDisk)),
			"-device", "virtio-blk-pci,drive=guide,addr=0x5"+boot)
	}
	args = append(args,
		"-fw_cfg", "name="+vmSeedName+",file="+qemuEscape(filepath.Join(s.dir, fileSeed)),
		"-chardev", "stdio,id=serial0,signal=off", "-serial", "chardev:serial0")
	return args
}
