// Package sshtest starts a real OpenSSH sshd on 127.0.0.1 for tests: its
// own config, host key, authorized key and a free port, stopped when the
// test ends. Tests of the SSH target, the stdlib and the guide's runbooks
// share it so that every SSH test talks to the same real server.
//
// As root, sshd runs in private mount and PID namespaces (unshare): /run is
// a private tmpfs (sshd needs /run/sshd), and with Options.User a test user
// with a password and sudo rights exists only inside that namespace, through
// bind-mounted copies of /etc/passwd, shadow, group, sudoers and PAM files.
// Nothing on the machine itself changes. Killing the namespace's first
// process ends every connection at once, as a crashed sshd would.
//
// It imports only the standard library and x/crypto/ssh; never the engine.
package sshtest

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/runbook-dev/runbook/internal/testenv"
)

// Options says how to set up one sshd.
type Options struct {
	// User, when set, is a login user that exists only for this sshd,
	// with Password as its password and the right to run anything under
	// sudo (asking for that password). Needs root.
	User     string
	Password string
	// Config goes at the top of the generated sshd_config, so it wins
	// over the defaults (sshd keeps a keyword's first value).
	Config string
	// HostKey, when set, is the host key to use (to restart a "host" with
	// the same key, or to give two servers one key).
	HostKey ssh.Signer
}

// Server is one running sshd.
type Server struct {
	Host string // "127.0.0.1"
	Port int
	Dir  string // its private directory: config, keys, log, homes

	HostSigner ssh.Signer    // the server's host key
	HostKey    ssh.PublicKey // its public half
	// ClientKey is a private key file (unencrypted, ed25519) authorized
	// for root and for Options.User.
	ClientKey    string
	ClientSigner ssh.Signer
	// User is the login user: Options.User, else the user running the test.
	User     string
	Password string
	// HomeDir is User's home directory when the user is Options.User.
	HomeDir string

	t       testing.TB
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	mu      sync.Mutex
	stopped bool
}

// Addr is "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// KnownHostsLine is the known_hosts line that trusts this server.
func (s *Server) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.HostKey)
}

// HashedKnownHostsLine is the same line with the host name hashed, as
// HashKnownHosts yes writes it.
func (s *Server) HashedKnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.HashHostname(knownhosts.Normalize(s.Addr()))}, s.HostKey)
}

// Log returns what sshd logged so far (LogLevel DEBUG1).
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// Need fails the test when a program the SSH tests need is missing and CI
// is "true"; elsewhere it skips.
func Need(t testing.TB, progs ...string) {
	t.Helper()
	testenv.Programs(t, progs...)
}

// Start starts an sshd for t and stops it when t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Need(t, "/usr/sbin/sshd", "ssh-keygen")
	root := os.Geteuid() == 0
	if opts.User != "" && !root {
		testenv.Missing(t, "sshtest: a test user needs root")
	}
	if root {
		Need(t, "unshare")
	}
	// Our own directory, world-traversable so the test user reaches its home.
	dir, err := os.MkdirTemp("", "sshtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", Dir: dir, t: t, logPath: filepath.Join(dir, "sshd.log")}

	if opts.HostKey == nil {
		opts.HostKey = NewSigner(t)
	}
	s.HostSigner = opts.HostKey
	s.HostKey = opts.HostKey.PublicKey()
	hostKeyPath := filepath.Join(dir, "host_key")
	writeSigner(t, hostKeyPath, opts.HostKey, nil)

	s.ClientSigner = NewSigner(t)
	s.ClientKey = filepath.Join(dir, "client_key")
	writeSigner(t, s.ClientKey, s.ClientSigner, nil)
	authKeys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(s.ClientSigner.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}

	s.User = opts.User
	s.Password = opts.Password
	var mounts []string
	if opts.User != "" {
		mounts = s.makeUser(t, opts.User, opts.Password)
	} else if u := os.Getenv("USER"); u != "" && !root {
		s.User = u
	} else if root {
		s.User = "root"
	} else {
		out, _ := exec.Command("id", "-un").Output()
		s.User = strings.TrimSpace(string(out))
	}

	for attempt := 0; ; attempt++ {
		s.Port = freePort(t)
		// Options.Config first: for most keywords sshd keeps the first value.
		cfg := fmt.Sprintf(`%s
ListenAddress 127.0.0.1:%d
HostKey %s
PidFile none
AuthorizedKeysFile %s .ssh/authorized_keys
StrictModes no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
UsePAM %s
AllowTcpForwarding yes
MaxStartups 200
MaxSessions 200
ClientAliveInterval 0
LogLevel DEBUG1
Subsystem sftp internal-sftp
`, opts.Config, s.Port, hostKeyPath, authKeys, yesNo(root))
		cfgPath := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.start(cfgPath, root, mounts); err != nil {
			if attempt < 3 && strings.Contains(s.Log(), "Address already in use") {
				continue
			}
			t.Fatalf("sshtest: %v\nsshd log:\n%s", err, s.Log())
		}
		break
	}
	t.Cleanup(s.Stop)
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// start runs sshd -D and waits until it answers with an SSH banner.
func (s *Server) start(cfgPath string, root bool, mounts []string) error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	sshd := []string{"/usr/sbin/sshd", "-f", cfgPath, "-D", "-E", s.logPath}
	var cmd *exec.Cmd
	if root {
		// sshd as root needs /run/sshd: give it a private /run rather than
		// creating anything on the machine.
		// root's home is a fresh tmpfs too: this machine's own ~/.bashrc
		// (which bash reads even for ssh commands) is not the host's.
		script := "set -e; mount -t tmpfs sshtest-run /run; mkdir -m 755 /run/sshd\n" +
			"mount -t tmpfs -o mode=700 sshtest-root /root\n"
		for _, m := range mounts {
			script += m + "\n"
		}
		script += "exec " + strings.Join(sshd, " ")
		cmd = exec.Command("unshare", "--mount", "--pid", "--fork", "--kill-child",
			"--propagation", "private", "sh", "-c", script)
	} else {
		cmd = exec.Command(sshd[0], sshd[1:]...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so a Ctrl-C aimed at the test run does not
	// race the cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start sshd: %w", err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("sshd exited at start")
		default:
		}
		if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "SSH-2.0-") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("sshd on %s did not answer within 20s", s.Addr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills sshd and every session it serves, and waits for it.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	s.Thaw()
	s.kill()
}

func (s *Server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	// As root, SIGKILL to unshare kills the namespace's first process
	// (--kill-child), and with it every process in the namespace.
	for _, pid := range s.tree() {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Logf("sshtest: sshd %d did not exit after SIGKILL", s.cmd.Process.Pid)
	}
}

// Kill kills sshd and all its sessions at once, as a crash or a power cut
// on the host would: connections close.
func (s *Server) Kill() { s.Stop() }

// Down kills sshd as Kill does and keeps its port refusing connections
// until the test ends: a socket is bound to it and never listens, so no
// other server (another test's, started meanwhile on a free port) can
// take the port and answer in the host's place.
func (s *Server) Down(t testing.TB) {
	s.Stop()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("sshtest: hold port %d: %v", s.Port, err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	// Connections the server accepted may linger in TIME_WAIT.
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	sa := &syscall.SockaddrInet4{Port: s.Port, Addr: [4]byte{127, 0, 0, 1}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Bind(fd, sa)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshtest: hold port %d after stopping sshd: %v", s.Port, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Freeze stops (SIGSTOP) sshd and all its sessions: the TCP connections
// stay open but nothing answers, as with a host that vanished from the
// network. Thaw undoes it; Stop thaws first.
func (s *Server) Freeze() {
	for _, pid := range s.tree() {
		syscall.Kill(pid, syscall.SIGSTOP)
	}
}

// Thaw resumes a frozen sshd.
func (s *Server) Thaw() {
	for _, pid := range s.tree() {
		syscall.Kill(pid, syscall.SIGCONT)
	}
}

// tree lists the processes under the started one (not including it).
func (s *Server) tree() []int {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name may hold spaces and parentheses: ppid follows the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		parent[pid] = pp
	}
	kids := map[int][]int{}
	for pid, pp := range parent {
		kids[pp] = append(kids[pp], pid)
	}
	// Parents before their children: Freeze stops the sshds that carry
	// a session before its shell, and the shell before what it runs. A
	// shell still running when its command stops would report it (status
	// 147) through an sshd still running.
	var out []int
	for todo := []int{s.cmd.Process.Pid}; len(todo) > 0; {
		p := todo[0]
		todo = todo[1:]
		ks := kids[p]
		slices.Sort(ks)
		out = append(out, ks...)
		todo = append(todo, ks...)
	}
	return out
}

// makeUser prepares the files that make user exist inside sshd's namespace
// and returns the mount commands that put them in place.
func (s *Server) makeUser(t testing.TB, user, password string) []string {
	t.Helper()
	Need(t, "openssl", "sudo")
	ov := filepath.Join(s.Dir, "etc")
	if err := os.MkdirAll(ov, 0o755); err != nil {
		t.Fatal(err)
	}
	uid := freeUID(t)
	home := filepath.Join(s.Dir, "home", user)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(s.Dir, "home"), 0o755)
	s.HomeDir = home
	cmd := exec.Command("openssl", "passwd", "-6", "-stdin")
	cmd.Stdin = strings.NewReader(password + "\n")
	hash, err := cmd.Output()
	if err != nil {
		t.Fatalf("sshtest: hash password: %v", err)
	}
	appendCopy := func(name, line string) {
		b, err := os.ReadFile("/etc/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
		b = append(b, line+"\n"...)
		if err := os.WriteFile(filepath.Join(ov, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appendCopy("passwd", fmt.Sprintf("%s:x:%d:%d:runbook test user:%s:/bin/bash", user, uid, uid, home))
	appendCopy("group", fmt.Sprintf("%s:x:%d:", user, uid))
	appendCopy("shadow", fmt.Sprintf("%s:%s:19000:0:99999:7:::", user, strings.TrimSpace(string(hash))))
	os.Chmod(filepath.Join(ov, "shadow"), 0o640)
	sudoers := "Defaults !lecture\nDefaults env_reset\nDefaults secure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n" +
		"root ALL=(ALL:ALL) ALL\n" + user + " ALL=(ALL:ALL) ALL\n"
	if err := os.WriteFile(filepath.Join(ov, "sudoers"), []byte(sudoers), 0o440); err != nil {
		t.Fatal(err)
	}
	// PAM with pam_unix alone: the machine's stack may hold modules that
	// need a booted system (loginuid, systemd).
	pam := "auth required pam_unix.so\naccount required pam_unix.so\nsession required pam_unix.so\npassword required pam_unix.so\n"
	if err := os.WriteFile(filepath.Join(ov, "pam"), []byte(pam), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), ssh.MarshalAuthorizedKey(s.ClientSigner.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	// A quiet, predictable shell for the user.
	os.WriteFile(filepath.Join(home, ".bashrc"), []byte("PS1='$ '\n"), 0o644)
	filepath.Walk(home, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, uid, uid) })

	var m []string
	for _, f := range []string{"passwd", "group", "shadow", "sudoers"} {
		m = append(m, fmt.Sprintf("mount --bind %s /etc/%s", filepath.Join(ov, f), f))
	}
	for _, f := range []string{"sshd", "sudo", "sudo-i"} {
		if _, err := os.Stat("/etc/pam.d/" + f); err == nil {
			m = append(m, fmt.Sprintf("mount --bind %s /etc/pam.d/%s", filepath.Join(ov, "pam"), f))
		}
	}
	return m
}

// freeUID is a uid no account on this machine has.
func freeUID(t testing.TB) int {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, ":"); len(f) > 3 {
			used[f[2]] = true
		}
	}
	for uid := 4242; ; uid++ {
		if !used[strconv.Itoa(uid)] {
			return uid
		}
	}
}

// freePort finds a TCP port on 127.0.0.1 that nothing listens on now.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// NewSigner makes a fresh ed25519 key.
func NewSigner(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keys.Store(string(s.PublicKey().Marshal()), priv)
	return s
}

// WriteKey writes a new ed25519 private key to path (encrypted with
// passphrase when it is not empty) and its public half to path.pub, and
// returns the signer.
func WriteKey(t testing.TB, path, passphrase string) ssh.Signer {
	t.Helper()
	s := NewSigner(t)
	var pp []byte
	if passphrase != "" {
		pp = []byte(passphrase)
	}
	writeSigner(t, path, s, pp)
	return s
}

func writeSigner(t testing.TB, path string, s ssh.Signer, passphrase []byte) {
	t.Helper()
	key, err := rawKey(s)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != nil {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(key, "sshtest", passphrase)
	} else {
		block, err = ssh.MarshalPrivateKey(key, "sshtest")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(s.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// keys remembers the private half of every signer this package made, so
// that it can write them to files (ssh.Signer does not expose it).
var keys sync.Map // ssh.PublicKey marshalled -> ed25519.PrivateKey

func rawKey(s ssh.Signer) (any, error) {
	if k, ok := keys.Load(string(s.PublicKey().Marshal())); ok {
		return k, nil
	}
	return nil, fmt.Errorf("sshtest: key %s was not made by sshtest.NewSigner", ssh.FingerprintSHA256(s.PublicKey()))
}

// WriteSigner writes s (made by NewSigner) to path, and its public half
// to path.pub.
func WriteSigner(t testing.TB, path string, s ssh.Signer) { writeSigner(t, path, s, nil) }

// ClientHome makes a home directory for the SSH client side of a test:
// ~/.ssh/config with alias for srv (HostName, Port, User, IdentityFile),
// and ~/.ssh/known_hosts trusting srv when trust is true. It returns the
// home directory; point HOME at it.
func ClientHome(t testing.TB, srv *Server, alias string, trust bool) string {
	t.Helper()
	home := t.TempDir()
	AddHost(t, home, srv, alias, "")
	if trust {
		TrustHost(t, home, srv)
	}
	return home
}

// AddHost appends a Host block for srv to home's ~/.ssh/config, with
// extra lines (indented by the caller or not).
func AddHost(t testing.TB, home string, srv *Server, alias, extra string) {
	t.Helper()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	block := fmt.Sprintf("Host %s\n  HostName %s\n  Port %d\n  User %s\n  IdentityFile %s\n  IdentitiesOnly yes\n%s\n",
		alias, srv.Host, srv.Port, srv.User, srv.ClientKey, extra)
	appendFile(t, filepath.Join(home, ".ssh", "config"), block)
}

// TrustHost appends srv's key to home's ~/.ssh/known_hosts.
func TrustHost(t testing.TB, home string, srv *Server) {
	t.Helper()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	appendFile(t, filepath.Join(home, ".ssh", "known_hosts"), srv.KnownHostsLine()+"\n")
}

func appendFile(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
