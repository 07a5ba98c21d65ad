package ssh_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	xssh "golang.org/x/crypto/ssh"

	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/engine/target"
)

// isolate keeps the user's own agent and keys out of a test.
func isolate(t *testing.T, home string) {
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, host string, o rssh.Options) *rssh.Target {
	t.Helper()
	tg, err := rssh.Dial(ctxT(t), host, o)
	if err != nil {
		t.Fatalf("Dial %s: %v", host, err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// reader collects a session's output in the background.
type reader struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	err  error
	done chan struct{}
	more chan struct{}
}

func readAll(s target.Session) *reader {
	r := &reader{done: make(chan struct{}), more: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := s.Read(b)
			r.mu.Lock()
			r.buf.Write(b[:n])
			if err != nil {
				r.err = err
			}
			r.mu.Unlock()
			select {
			case r.more <- struct{}{}:
			default:
			}
			if err != nil {
				close(r.done)
				return
			}
		}
	}()
	return r
}

func (r *reader) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// waitFor waits until the output holds want; the test fails showing what
// was received if it never does.
func (r *reader) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(r.String(), want) {
		select {
		case <-r.more:
		case <-r.done:
			if !strings.Contains(r.String(), want) {
				t.Fatalf("session ended (%v) before %q; got:\n%s", r.err, want, r.String())
			}
		case <-deadline:
			t.Fatalf("no %q in the session's output; got:\n%s", want, r.String())
		}
	}
}

func (r *reader) end(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(30 * time.Second):
		t.Fatalf("session did not end; got:\n%s", r.String())
	}
	return nil
}

const bash = "bash --norc --noprofile -i"

func TestShellThroughAliasFromSSHConfig(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "andromeda", true)
	isolate(t, home)
	tg := dial(t, "andromeda", rssh.Options{})
	if tg.Name() != "andromeda" {
		t.Errorf("Name() = %q, want andromeda", tg.Name())
	}
	sess, err := tg.Shell(ctxT(t), target.ShellOptions{Cols: 100, Rows: 30, Command: bash, Env: []string{"RB_GREETING=hello there"}})
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(sess)
	io.WriteString(sess, "PS1='$ '; stty size; echo \"[$RB_GREETING] $((6*7)) $TERM\"; tty\n")
	r.waitFor(t, "30 100")
	r.waitFor(t, "[hello there] 42 ")
	r.waitFor(t, "/dev/pts/")
	if err := sess.Resize(120, 40); err != nil {
		t.Fatal(err)
	}
	io.WriteString(sess, "stty size\n")
	r.waitFor(t, "40 120")
	io.WriteString(sess, "exit 3\n")
	if err := r.end(t); err != io.EOF {
		t.Fatalf("session ended with %v, want io.EOF", err)
	}
}

func TestLoginShellWithoutCommand(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	isolate(t, sshtest.ClientHome(t, srv, "andromeda", true))
	tg := dial(t, "andromeda", rssh.Options{})
	sess, err := tg.Shell(ctxT(t), target.ShellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(sess)
	io.WriteString(sess, "echo login-$((2+3)); exit\n")
	r.waitFor(t, "login-5")
	if err := r.end(t); err != io.EOF {
		t.Fatalf("session ended with %v, want io.EOF", err)
	}
}

func TestExecSideChannel(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	isolate(t, sshtest.ClientHome(t, srv, "andromeda", true))
	tg := dial(t, "andromeda", rssh.Options{})
	ctx := ctxT(t)

	res, err := tg.Exec(ctx, "echo out; echo err >&2; exit 7", nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" || res.Exit != 7 {
		t.Errorf("got stdout %q stderr %q exit %d", res.Stdout, res.Stderr, res.Exit)
	}
	// File content travels exactly, every byte value included.
	data := make([]byte, 256*1024)
	rand.Read(data)
	res, err = tg.Exec(ctx, "cat", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Stdout, data) {
		t.Errorf("cat returned %d bytes, differing from the %d sent", len(res.Stdout), len(data))
	}
	res, err = tg.Exec(ctx, "kill -TERM $$", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Exit != 128+15 {
		t.Errorf("killed by SIGTERM: exit %d, want 143", res.Exit)
	}
	// All on one connection: sshd saw one login for these.
	if n := strings.Count(srv.Log(), "Accepted publickey"); n != 1 {
		t.Errorf("sshd accepted %d logins, want 1", n)
	}
}

// TestSideShell: commands without input run one after another in one
// shell kept running, each still its own `sh -c` process; outputs come
// back exactly, however large and whatever they hold; a command cancelled
// or one that kills the shell costs that shell, not the next command.
func TestSideShell(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	isolate(t, sshtest.ClientHome(t, srv, "andromeda", true))
	tg := dial(t, "andromeda", rssh.Options{})
	ctx := ctxT(t)
	exec := func(cmd string) target.ExecResult {
		t.Helper()
		res, err := tg.Exec(ctx, cmd, nil)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return res
	}

	a, b := strings.Fields(string(exec("echo $$ $PPID").Stdout)), strings.Fields(string(exec("echo $$ $PPID").Stdout))
	if len(a) != 2 || len(b) != 2 || a[0] == b[0] || a[1] != b[1] {
		t.Errorf("two commands ran as %v and %v: want processes of their own under one shell", a, b)
	}
	for _, out := range []string{"abc", "", "\n", "\nrunbook-side-0123456789abcdef 0\n", "x\n\n"} {
		res := exec("printf '%s' " + shellQuote(out) + "; printf '%s' " + shellQuote(out) + " >&2")
		if string(res.Stdout) != out || string(res.Stderr) != out || res.Exit != 0 {
			t.Errorf("printf %q: stdout %q stderr %q exit %d", out, res.Stdout, res.Stderr, res.Exit)
		}
	}
	// 4 MB on each stream, interleaved: more than the channel's window.
	res := exec(`i=0; while [ $i -lt 2000 ]; do printf '%02000d\n' 0; printf '%02000d\n' 1 >&2; i=$((i+1)); done`)
	if len(res.Stdout) != 2000*2001 || len(res.Stderr) != 2000*2001 || bytes.Count(res.Stdout, []byte("1")) != 0 {
		t.Errorf("interleaved outputs: %d and %d bytes, want %d each", len(res.Stdout), len(res.Stderr), 2000*2001)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := tg.Exec(short, "sleep 30", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled command: %v, want the deadline's error", err)
	}
	if got := string(exec("echo after-cancel").Stdout); got != "after-cancel\n" {
		t.Errorf("after a cancelled command: %q", got)
	}
	if _, err := tg.Exec(ctx, "kill -KILL $PPID; sleep 1", nil); err == nil || !strings.Contains(err.Error(), "side channel's shell ended") {
		t.Errorf("a command that killed the side shell: %v", err)
	}
	if got := string(exec("echo after-kill").Stdout); got != "after-kill\n" {
		t.Errorf("after the side shell was killed: %q", got)
	}

	// Side-channel commands at once: each gets its own answer.
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := tg.Exec(ctx, fmt.Sprintf("sleep 0.1; echo %d", i), nil)
			if err != nil || string(res.Stdout) != fmt.Sprintf("%d\n", i) {
				t.Errorf("concurrent command %d: %q, %v", i, res.Stdout, err)
			}
		}()
	}
	wg.Wait()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func TestHostSpecsAndFlags(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := t.TempDir()
	sshtest.TrustHost(t, home, srv)
	isolate(t, home)
	ctx := ctxT(t)
	for _, spec := range []string{
		fmt.Sprintf("%s@%s:%d", srv.User, srv.Host, srv.Port),
		fmt.Sprintf("%s:%d", srv.Host, srv.Port),
	} {
		tg := dial(t, spec, rssh.Options{Identities: []string{srv.ClientKey}, User: srv.User})
		res, err := tg.Exec(ctx, "echo ok", nil)
		if err != nil || string(res.Stdout) != "ok\n" {
			t.Errorf("%s: %q %v", spec, res.Stdout, err)
		}
	}
	// --port overrides the spec and ssh_config.
	tg := dial(t, srv.Host+":1", rssh.Options{Identities: []string{srv.ClientKey}, User: srv.User, Port: srv.Port})
	if res, err := tg.Exec(ctx, "true", nil); err != nil || res.Exit != 0 {
		t.Errorf("--port: %v %d", err, res.Exit)
	}
	// --ssh-config replaces ~/.ssh/config.
	cfg := filepath.Join(t.TempDir(), "cfg")
	os.WriteFile(cfg, []byte(fmt.Sprintf("Host other\n HostName %s\n Port %d\n User %s\n IdentityFile %s\n", srv.Host, srv.Port, srv.User, srv.ClientKey)), 0o600)
	tg = dial(t, "other", rssh.Options{ConfigFile: cfg})
	if res, err := tg.Exec(ctx, "true", nil); err != nil || res.Exit != 0 {
		t.Errorf("--ssh-config: %v %d", err, res.Exit)
	}
}

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		in   string
		want rssh.Spec
		name string
	}{
		{"andromeda", rssh.Spec{Host: "andromeda"}, "andromeda"},
		{"root@andromeda", rssh.Spec{User: "root", Host: "andromeda"}, "andromeda"},
		{"andromeda:2222", rssh.Spec{Host: "andromeda", Port: 2222}, "andromeda:2222"},
		{"root@10.0.0.1:2222", rssh.Spec{User: "root", Host: "10.0.0.1", Port: 2222}, "10.0.0.1:2222"},
		{"[::1]:2222", rssh.Spec{Host: "::1", Port: 2222}, "[::1]:2222"},
		{"ssh://me@host:23", rssh.Spec{User: "me", Host: "host", Port: 23}, "host:23"},
	} {
		got, err := rssh.ParseSpec(c.in)
		if err != nil || got != c.want || got.Name() != c.name {
			t.Errorf("ParseSpec(%q) = %+v (%q), %v; want %+v (%q)", c.in, got, got.Name(), err, c.want, c.name)
		}
	}
	for _, bad := range []string{"", "@host", "host:0", "host:x", "a b"} {
		if _, err := rssh.ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q): no error", bad)
		}
	}
}

func TestAgentAuth(t *testing.T) {
	sshtest.Need(t, "ssh-agent", "ssh-add")
	srv := sshtest.Start(t, sshtest.Options{})
	home := t.TempDir()
	// No IdentityFile and no keys in ~/.ssh: only the agent can log in.
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(fmt.Sprintf("Host andromeda\n HostName %s\n Port %d\n User %s\n", srv.Host, srv.Port, srv.User)), 0o600)
	sshtest.TrustHost(t, home, srv)
	isolate(t, home)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i > 500 {
			t.Fatal("ssh-agent made no socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	add := exec.Command("ssh-add", srv.ClientKey)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	// Without the agent: refused, a HostError.
	_, err := rssh.Dial(ctxT(t), "andromeda", rssh.Options{})
	var he *rssh.HostError
	if !errors.As(err, &he) {
		t.Fatalf("without agent: %v, want a HostError", err)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	tg := dial(t, "andromeda", rssh.Options{})
	if res, err := tg.Exec(ctxT(t), "echo agent-ok", nil); err != nil || string(res.Stdout) != "agent-ok\n" {
		t.Fatalf("%q %v", res.Stdout, err)
	}
}

func TestEncryptedKeyAsksPassphrase(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := t.TempDir()
	key := filepath.Join(home, "enc_key")
	signer := sshtest.WriteKey(t, key, "correct horse")
	f, _ := os.OpenFile(filepath.Join(srv.Dir, "authorized_keys"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write(xssh.MarshalAuthorizedKey(signer.PublicKey()))
	f.Close()
	sshtest.TrustHost(t, home, srv)
	isolate(t, home)
	var prompts []string
	o := rssh.Options{Identities: []string{key}, User: srv.User,
		Prompt: func(ctx context.Context, prompt string, echo bool) (string, error) {
			prompts = append(prompts, prompt)
			if echo {
				t.Errorf("passphrase asked with echo on")
			}
			if len(prompts) == 1 {
				return "wrong", nil
			}
			return "correct horse", nil
		}}
	tg := dial(t, srv.Addr(), o)
	if res, err := tg.Exec(ctxT(t), "echo key-ok", nil); err != nil || string(res.Stdout) != "key-ok\n" {
		t.Fatalf("%q %v", res.Stdout, err)
	}
	if len(prompts) != 2 || !strings.Contains(prompts[0], key) {
		t.Errorf("prompts = %q, want two asking for %s", prompts, key)
	}
}

func TestPasswordAndKeyboardInteractive(t *testing.T) {
	for _, c := range []struct{ name, config string }{
		{"keyboard-interactive", "PasswordAuthentication no"},
		{"password", "KbdInteractiveAuthentication no"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := sshtest.Start(t, sshtest.Options{User: "rb", Password: "s3cret pw", Config: c.config})
			home := t.TempDir()
			sshtest.TrustHost(t, home, srv)
			isolate(t, home)
			var asked []string
			o := rssh.Options{User: "rb", Prompt: func(ctx context.Context, prompt string, echo bool) (string, error) {
				asked = append(asked, prompt)
				return "s3cret pw", nil
			}}
			tg := dial(t, srv.Addr(), o)
			res, err := tg.Exec(ctxT(t), "id -un", nil)
			if err != nil || string(res.Stdout) != "rb\n" {
				t.Fatalf("%q %v", res.Stdout, err)
			}
			if len(asked) != 1 {
				t.Errorf("asked %q, want one prompt", asked)
			}
			if !strings.Contains(srv.Log(), "Accepted "+c.name) {
				t.Errorf("sshd did not log 'Accepted %s':\n%s", c.name, srv.Log())
			}
		})
	}
}

func TestWrongPasswordExits3(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{User: "rb", Password: "right"})
	home := t.TempDir()
	sshtest.TrustHost(t, home, srv)
	isolate(t, home)
	n := 0
	_, err := rssh.Dial(ctxT(t), "rb@"+srv.Addr(), rssh.Options{Prompt: func(ctx context.Context, prompt string, echo bool) (string, error) {
		n++
		return "wrong", nil
	}})
	var he *rssh.HostError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a HostError", err)
	}
	if n == 0 {
		t.Error("never asked for a password")
	}
}

func hostKeyErr(t *testing.T, err error, kind string) *rssh.HostKeyError {
	t.Helper()
	var hk *rssh.HostKeyError
	if !errors.As(err, &hk) {
		t.Fatalf("err = %v, want a HostKeyError (%s)", err, kind)
	}
	if hk.Kind != kind {
		t.Fatalf("Kind %q, want %q: %v", hk.Kind, kind, err)
	}
	return hk
}

func TestUnknownHostRefusedThenAcceptNew(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "andromeda", false)
	isolate(t, home)
	_, err := rssh.Dial(ctxT(t), "andromeda", rssh.Options{})
	hostKeyErr(t, err, "unknown")
	msg := err.Error()
	for _, want := range []string{xssh.FingerprintSHA256(srv.HostKey), "--accept-new-host-key", "not known"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	kh := filepath.Join(home, ".ssh", "known_hosts")
	if _, err := os.Stat(kh); err == nil {
		t.Error("refusing an unknown host wrote known_hosts")
	}

	var warn bytes.Buffer
	dial(t, "andromeda", rssh.Options{AcceptNewHostKey: true, Warn: &warn})
	b, _ := os.ReadFile(kh)
	if !strings.Contains(string(b), strings.TrimSpace(string(xssh.MarshalAuthorizedKey(srv.HostKey)))) {
		t.Errorf("known_hosts after accept-new:\n%s", b)
	}
	if !strings.Contains(warn.String(), "permanently added") {
		t.Errorf("no notice of the added key: %q", warn.String())
	}
	// Now known: no flag needed.
	dial(t, "andromeda", rssh.Options{})
}

func TestStrictHostKeyCheckingAcceptNewHashed(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := t.TempDir()
	sshtest.AddHost(t, home, srv, "andromeda", "  StrictHostKeyChecking accept-new\n  HashKnownHosts yes")
	isolate(t, home)
	dial(t, "andromeda", rssh.Options{})
	b, _ := os.ReadFile(filepath.Join(home, ".ssh", "known_hosts"))
	if !strings.HasPrefix(string(b), "|1|") || strings.Contains(string(b), "127.0.0.1") {
		t.Errorf("want a hashed entry, got:\n%s", b)
	}
	// And the hashed entry is honoured by ssh-keygen and by us.
	dial(t, "andromeda", rssh.Options{})
	if out, err := exec.Command("ssh-keygen", "-F", fmt.Sprintf("[%s]:%d", srv.Host, srv.Port), "-f", filepath.Join(home, ".ssh", "known_hosts")).CombinedOutput(); err != nil {
		t.Errorf("ssh-keygen -F does not find our hashed entry: %v\n%s", err, out)
	}
}

func TestChangedKeyAlwaysRefused(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "andromeda", false)
	other := sshtest.NewSigner(t)
	line := strings.Replace(srv.KnownHostsLine(), strings.TrimSpace(string(xssh.MarshalAuthorizedKey(srv.HostKey))), strings.TrimSpace(string(xssh.MarshalAuthorizedKey(other.PublicKey()))), 1)
	os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte("# old key\n"+line+"\n"), 0o600)
	isolate(t, home)
	for _, accept := range []bool{false, true} {
		_, err := rssh.Dial(ctxT(t), "andromeda", rssh.Options{AcceptNewHostKey: accept})
		hk := hostKeyErr(t, err, "changed")
		if len(hk.Known) != 1 || !strings.HasSuffix(hk.Known[0], "known_hosts:2") {
			t.Errorf("Known = %q, want known_hosts:2", hk.Known)
		}
		if !strings.Contains(err.Error(), "CHANGED") {
			t.Errorf("not loud enough:\n%v", err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(home, ".ssh", "known_hosts"))
	if strings.Count(string(b), "\n") != 2 {
		t.Errorf("known_hosts was changed:\n%s", b)
	}
}

func TestHashedAndRevokedEntries(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	home := sshtest.ClientHome(t, srv, "andromeda", false)
	kh := filepath.Join(home, ".ssh", "known_hosts")
	os.WriteFile(kh, []byte(srv.HashedKnownHostsLine()+"\n"), 0o600)
	isolate(t, home)
	dial(t, "andromeda", rssh.Options{})

	os.WriteFile(kh, []byte(srv.HashedKnownHostsLine()+"\n@revoked * "+strings.TrimSpace(string(xssh.MarshalAuthorizedKey(srv.HostKey)))+"\n"), 0o600)
	_, err := rssh.Dial(ctxT(t), "andromeda", rssh.Options{AcceptNewHostKey: true})
	hostKeyErr(t, err, "revoked")
}

func TestCertAuthority(t *testing.T) {
	ca := sshtest.NewSigner(t)
	hostKey := sshtest.NewSigner(t)
	cert := &xssh.Certificate{
		Key: hostKey.PublicKey(), CertType: xssh.HostCert, KeyId: "andromeda",
		ValidPrincipals: []string{"127.0.0.1"}, ValidBefore: xssh.CertTimeInfinity,
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(t.TempDir(), "host-cert.pub")
	os.WriteFile(certFile, xssh.MarshalAuthorizedKey(cert), 0o644)
	srv := sshtest.Start(t, sshtest.Options{HostKey: hostKey, Config: "HostCertificate " + certFile})
	home := sshtest.ClientHome(t, srv, "andromeda", false)
	// Only the CA is known: the host is trusted through its certificate.
	os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"),
		[]byte(fmt.Sprintf("@cert-authority 127.0.0.1,[127.0.0.1]:%d %s", srv.Port, xssh.MarshalAuthorizedKey(ca.PublicKey()))), 0o600)
	isolate(t, home)
	dial(t, "andromeda", rssh.Options{})

	// The CA revoked: refused.
	f, _ := os.OpenFile(filepath.Join(home, ".ssh", "known_hosts"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("@revoked * " + string(xssh.MarshalAuthorizedKey(ca.PublicKey())))
	f.Close()
	if _, err := rssh.Dial(ctxT(t), "andromeda", rssh.Options{}); err == nil {
		t.Fatal("a certificate signed by a revoked CA was accepted")
	}
}

func TestHostKeyAlgorithmsFromKnownHosts(t *testing.T) {
	sshtest.Need(t, "ssh-keygen")
	dir := t.TempDir()
	ecdsa := filepath.Join(dir, "host_ecdsa")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", ecdsa).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	// The server offers ed25519 (preferred by default) and ECDSA; known_hosts
	// holds only the ECDSA key, so ECDSA must be negotiated.
	srv := sshtest.Start(t, sshtest.Options{Config: "HostKey " + ecdsa})
	pub, _ := os.ReadFile(ecdsa + ".pub")
	home := sshtest.ClientHome(t, srv, "andromeda", false)
	os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(fmt.Sprintf("[%s]:%d %s", srv.Host, srv.Port, pub)), 0o600)
	isolate(t, home)
	dial(t, "andromeda", rssh.Options{})
}

func TestProxyJump(t *testing.T) {
	jump := sshtest.Start(t, sshtest.Options{})
	dest := sshtest.Start(t, sshtest.Options{})
	home := t.TempDir()
	sshtest.AddHost(t, home, jump, "bastion", "")
	sshtest.AddHost(t, home, dest, "andromeda", "  ProxyJump bastion")
	sshtest.TrustHost(t, home, jump)
	sshtest.TrustHost(t, home, dest)
	isolate(t, home)
	tg := dial(t, "andromeda", rssh.Options{})
	if res, err := tg.Exec(ctxT(t), "echo through", nil); err != nil || string(res.Stdout) != "through\n" {
		t.Fatalf("%q %v", res.Stdout, err)
	}
	if !strings.Contains(jump.Log(), "direct-tcpip") {
		t.Errorf("the bastion's sshd forwarded nothing; its log:\n%s", jump.Log())
	}
}

func TestSudoSessionAndSideChannel(t *testing.T) {
	const pw = "sudo-pa55 word"
	srv := sshtest.Start(t, sshtest.Options{User: "rb", Password: pw})
	home := sshtest.ClientHome(t, srv, "andromeda", true)
	isolate(t, home)
	asked := 0
	o := rssh.Options{Sudo: true, SudoPassword: func(ctx context.Context) (string, error) { asked++; return pw, nil }}
	tg := dial(t, "andromeda", o)
	if tg.User() != "rb" {
		t.Fatalf("logged in as %q", tg.User())
	}
	sess, err := tg.Shell(ctxT(t), target.ShellOptions{Command: bash, Env: []string{"RB_X=1"}})
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(sess)
	io.WriteString(sess, "echo \"uid=$(id -u) home=$HOME x=$RB_X\"; exit\n")
	r.waitFor(t, "uid=0 home=/root x=1")
	r.end(t)
	if out := r.String(); strings.Contains(out, pw) || strings.Contains(out, "[sudo]") || strings.Contains(out, "runbook-ready") {
		t.Errorf("the session shows the password exchange:\n%q", out)
	}

	res, err := tg.Exec(ctxT(t), "id -u; cat; echo e >&2", strings.NewReader("stdin-data\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Stdout) != "0\nstdin-data\n" || string(res.Stderr) != "e\n" {
		t.Errorf("sudo exec: stdout %q stderr %q", res.Stdout, res.Stderr)
	}
	// Without input, in the side shell, under one sudo.
	for i := 0; i < 2; i++ {
		res, err = tg.Exec(ctxT(t), "id -u; echo e2 >&2", nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Stdout) != "0\n" || string(res.Stderr) != "e2\n" {
			t.Errorf("sudo side shell: stdout %q stderr %q", res.Stdout, res.Stderr)
		}
	}
	if asked != 1 {
		t.Errorf("password asked %d times, want once", asked)
	}

	// A wrong password is refused, exit 3, and not retried forever.
	o.SudoPassword = func(ctx context.Context) (string, error) { return "wrong", nil }
	tg2 := dial(t, "andromeda", o)
	_, err = tg2.Shell(ctxT(t), target.ShellOptions{Command: bash})
	var he *rssh.HostError
	if !errors.As(err, &he) {
		t.Errorf("wrong sudo password in the session: %v", err)
	}
	_, err = tg2.Exec(ctxT(t), "id -u", nil)
	if !errors.As(err, &he) {
		t.Errorf("wrong sudo password on the side channel: %v", err)
	}
}

func TestKeepaliveNoticesDeadPeer(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	isolate(t, sshtest.ClientHome(t, srv, "andromeda", true))
	tg := dial(t, "andromeda", rssh.Options{KeepaliveInterval: 500 * time.Millisecond, KeepaliveCount: 3})
	sess, err := tg.Shell(ctxT(t), target.ShellOptions{Command: bash})
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(sess)
	io.WriteString(sess, "echo alive; sleep 600\n")
	r.waitFor(t, "alive")
	srv.Freeze() // the host vanishes: TCP stays open, nothing answers
	err = r.end(t)
	var lost *target.LostError
	if !errors.As(err, &lost) || lost.Host != "andromeda" || !strings.Contains(err.Error(), "keepalive") {
		t.Fatalf("session ended with %v, want a LostError about keepalives", err)
	}
	if _, err := tg.Exec(ctxT(t), "true", nil); !errors.As(err, &lost) {
		t.Errorf("side channel after the loss: %v, want a LostError", err)
	}
}

func TestSshdKilledMidCommand(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	isolate(t, sshtest.ClientHome(t, srv, "andromeda", true))
	tg := dial(t, "andromeda", rssh.Options{})
	sess, err := tg.Shell(ctxT(t), target.ShellOptions{Command: bash})
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(sess)
	io.WriteString(sess, "echo started; sleep 600\n")
	r.waitFor(t, "started")
	srv.Kill()
	err = r.end(t)
	var lost *target.LostError
	if !errors.As(err, &lost) || lost.Host != "andromeda" {
		t.Fatalf("session ended with %v, want a LostError for andromeda", err)
	}
	if _, err := tg.Exec(ctxT(t), "true", nil); !errors.As(err, &lost) {
		t.Errorf("side channel after the loss: %v, want a LostError", err)
	}
	if _, err := tg.Shell(ctxT(t), target.ShellOptions{}); !errors.As(err, &lost) {
		t.Errorf("new session after the loss: %v, want a LostError", err)
	}
}
