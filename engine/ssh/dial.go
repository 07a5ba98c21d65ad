// Package ssh is the SSH target: it implements engine/target.Target over
// golang.org/x/crypto/ssh, reaching a host the way `ssh HOST` would —
// ssh_config resolution, authentication in OpenSSH's order, known_hosts
// checking, ProxyJump, keepalives — and runs the engine's session in a
// remote pty, optionally under `sudo -i`, with a side channel of exec
// channels on the same connection.
//
// It must not import the engine, the stdlib, the player or cmd; only
// engine/target (the contract it implements).
package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/runbook-dev/runbook/engine/target"
)

// Options are the command line's say in reaching a host; ssh_config fills
// in the rest.
type Options struct {
	User       string   // --user: overrides the spec and ssh_config
	Port       int      // --port
	Identities []string // -i/--identity, tried before ssh_config's
	ConfigFile string   // --ssh-config: read instead of ~/.ssh/config and /etc/ssh/ssh_config
	// AcceptNewHostKey trusts an unknown host and appends its key to the
	// user's known_hosts (a changed key is still refused).
	AcceptNewHostKey bool
	// Keepalive interval and count; zero takes ssh_config's
	// ServerAliveInterval/CountMax, else the defaults above. A negative
	// interval turns keepalives off.
	KeepaliveInterval time.Duration
	KeepaliveCount    int
	// Sudo runs the session and the side channel under sudo (`sudo -i`).
	Sudo bool
	// SudoPassword answers sudo's password prompt; nil asks with Prompt
	// (once per Target).
	SudoPassword func(ctx context.Context) (string, error)
	// Prompt asks the user (passphrases, passwords); nil when no terminal.
	Prompt Prompter
	// Warn receives notices ("permanently added ..."); nil discards them.
	Warn io.Writer
	// Home is the user's home directory for ~/.ssh; empty means $HOME.
	Home string
	// Console is a command, run on this machine by sh -c, whose stdin and
	// stdout are the host's console (ipmitool ... sol activate, virsh
	// console, a serial server): %h in it is the host's name. Empty: the
	// host has no console runbook can reach.
	Console string
}

func (o *Options) home() string {
	if o.Home != "" {
		return o.Home
	}
	if h := os.Getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func (o *Options) warnf(format string, a ...any) {
	if o.Warn != nil {
		fmt.Fprintf(o.Warn, format, a...)
	}
}

// Target is a host reached over SSH. It implements target.Target.
type Target struct {
	name   string
	s      *settings
	o      Options
	client *ssh.Client
	hops   []*ssh.Client // ProxyJump connections, closed after client
	// spec and cf are how Dial reached the host, for Reconnect (reconnect.go).
	spec Spec
	cf   *configFiles

	closing atomic.Bool
	lostMu  sync.Mutex
	lostErr error
	lost    chan struct{}

	sudoMu sync.Mutex
	sudoPW *string

	mu       sync.Mutex
	sessions []*session

	sideMu sync.Mutex
	side   *sideShell // the side channel's shell (sideshell.go)
}

var _ target.Target = (*Target)(nil)

// Dial connects to host (alias, user@host, host:port, user@host:port).
// Failing to reach, authenticate to or trust the host gives a *HostError
// or *HostKeyError (exit code 3); a cancelled ctx gives its error.
func Dial(ctx context.Context, host string, o Options) (*Target, error) {
	sp, err := ParseSpec(host)
	if err != nil {
		return nil, &HostError{Host: host, Op: "parse host", Err: err}
	}
	cf, err := loadConfigs(o.ConfigFile, o.home())
	if err != nil {
		return nil, &HostError{Host: sp.Name(), Op: "read ssh config", Err: err}
	}
	t := &Target{o: o, lost: make(chan struct{})}
	client, s, hops, err := dialHop(ctx, sp, &t.o, cf, nil, 0)
	if err != nil {
		return nil, err
	}
	t.name, t.s, t.client, t.hops = s.name, s, client, hops
	t.spec, t.cf = sp, cf
	t.watch(client, t.lost)
	return t, nil
}

// watch gives the connection up when it ends or stops answering
// keepalives. It acts on client and lost alone, so that after Reconnect a
// watcher of the old connection cannot touch the new one.
func (t *Target) watch(client *ssh.Client, lost chan struct{}) {
	go func() {
		err := client.Wait()
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("connection closed by the host")
		}
		t.lose(client, err)
	}()
	if t.s.aliveInterval > 0 && t.s.aliveCount > 0 {
		go t.keepalive(client, lost, t.s.aliveInterval, t.s.aliveCount)
	}
}

// dialHop reaches one host, through via when it is not nil, and returns
// the client with the ProxyJump clients it went through.
func dialHop(ctx context.Context, sp Spec, o *Options, cf *configFiles, via *ssh.Client, depth int) (*ssh.Client, *settings, []*ssh.Client, error) {
	s, err := resolve(sp, o, cf)
	if err != nil {
		return nil, nil, nil, &HostError{Host: sp.Name(), Op: "resolve", Err: err}
	}
	var hops []*ssh.Client
	closeHops := func() {
		for i := len(hops) - 1; i >= 0; i-- {
			hops[i].Close()
		}
	}
	if via == nil && s.proxyJump != "" {
		if hops, err = dialJumps(ctx, s, o, cf, depth); err != nil {
			return nil, nil, nil, err
		}
		via = hops[len(hops)-1]
	}

	addr := net.JoinHostPort(s.hostname, strconv.Itoa(s.port))
	conn, err := dialTCP(ctx, s, via, addr)
	if err != nil {
		closeHops()
		return nil, nil, nil, err
	}

	hk, err := newHostKeys(s, o)
	if err != nil {
		conn.Close()
		closeHops()
		return nil, nil, nil, &HostError{Host: s.name, Op: "host keys", Err: err}
	}
	c, err := handshake(ctx, s, o, hk, conn, addr, closeHops)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, s, hops, nil
}

// dialJumps connects through the target's ProxyJump hosts in turn and
// returns every client on the way, first hop first; on failure it closes
// the ones it opened.
func dialJumps(ctx context.Context, s *settings, o *Options, cf *configFiles, depth int) ([]*ssh.Client, error) {
	if depth > 8 {
		return nil, &HostError{Host: s.name, Op: "ProxyJump", Err: errors.New("more than 8 jumps: a loop in ssh_config?")}
	}
	var hops []*ssh.Client
	closeHops := func() {
		for i := len(hops) - 1; i >= 0; i-- {
			hops[i].Close()
		}
	}
	// -i, --user and --port are for the target, not for the hops.
	ho := *o
	ho.User, ho.Port, ho.Identities = "", 0, nil
	for _, hop := range strings.Split(s.proxyJump, ",") {
		hsp, err := ParseSpec(strings.TrimSpace(hop))
		if err != nil {
			closeHops()
			return nil, &HostError{Host: s.name, Op: "ProxyJump", Err: err}
		}
		var prev *ssh.Client
		if len(hops) > 0 {
			prev = hops[len(hops)-1]
		}
		c, _, sub, err := dialHop(ctx, hsp, &ho, cf, prev, depth+1)
		if err != nil {
			closeHops()
			return nil, fmt.Errorf("ssh %s: through ProxyJump %s: %w", s.name, hop, err)
		}
		hops = append(hops, sub...)
		hops = append(hops, c)
	}
	return hops, nil
}

// dialTCP opens the connection to addr, directly or through via, within
// the connect timeout.
func dialTCP(ctx context.Context, s *settings, via *ssh.Client, addr string) (net.Conn, error) {
	var conn net.Conn
	var err error
	dctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
	if via == nil {
		conn, err = (&net.Dialer{}).DialContext(dctx, "tcp", addr)
		if err == nil {
			conn = quickAck(conn)
		}
	} else {
		conn, err = via.DialContext(dctx, "tcp", addr)
	}
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ssh dial %s (%s): %w", s.name, addr, ctx.Err())
		}
		return nil, &HostError{Host: s.name, Op: "dial " + addr, Err: err}
	}
	return conn, nil
}

// handshake runs the SSH handshake and authentication over conn. On
// failure it closes conn, then calls closeHops, and says what went wrong.
func handshake(ctx context.Context, s *settings, o *Options, hk *hostKeys, conn net.Conn, addr string, closeHops func()) (*ssh.Client, error) {
	// What the server says first tells a port that is not SSH from a
	// refused handshake (greeting.go).
	greet := &greetingConn{Conn: conn}
	conn = greet
	// The handshake must not hang on a silent server, but the user may
	// take their time typing a password: the deadline is lifted while a
	// prompt waits.
	conn.SetDeadline(time.Now().Add(s.connectTimeout))
	po := *o
	if o.Prompt != nil {
		po.Prompt = func(ctx context.Context, prompt string, echo bool) (string, error) {
			conn.SetDeadline(time.Time{})
			defer conn.SetDeadline(time.Now().Add(s.connectTimeout))
			return o.Prompt(ctx, prompt, echo)
		}
	}
	methods, closeAgent := authMethods(ctx, s, &po)
	defer closeAgent()
	cfg := &ssh.ClientConfig{
		User:              s.user,
		Auth:              methods,
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: hk.algorithms(),
		Timeout:           s.connectTimeout,
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	stop()
	if err != nil {
		conn.Close()
		closeHops()
		return nil, handshakeFailure(ctx, s, addr, greet, err)
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// handshakeFailure names why the handshake with addr failed: cancellation,
// a host key, authentication, or what the server's greeting suggests.
func handshakeFailure(ctx context.Context, s *settings, addr string, greet *greetingConn, err error) error {
	var hke *HostKeyError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("ssh %s: %w", s.name, ctx.Err())
	case errors.As(err, &hke):
		return hke
	case strings.Contains(err.Error(), "unable to authenticate"):
		return &HostError{Host: s.name, Op: "authenticate as " + s.user, Err: err}
	}
	if gerr := greet.handshakeError(err, s.connectTimeout); gerr != nil {
		return &HostError{Host: s.name, Op: "handshake with " + addr, Err: gerr}
	}
	return &HostError{Host: s.name, Op: "handshake with " + addr, Err: err}
}

// Name is the host as the user named it.
func (t *Target) Name() string { return t.name }

// User is the login user the connection authenticated as.
func (t *Target) User() string { return t.s.user }

// Client is the underlying connection (for tests and benchmarks).
func (t *Target) Client() *ssh.Client { return t.client }

// keepalive sends keepalive@openssh.com every interval and gives the
// connection up when count of them in a row went unanswered, as
// ServerAliveInterval/ServerAliveCountMax do.
func (t *Target) keepalive(client *ssh.Client, lost chan struct{}, interval time.Duration, count int) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var unanswered atomic.Int32
	for {
		select {
		case <-lost:
			return
		case <-tick.C:
		}
		if int(unanswered.Load()) >= count {
			t.lose(client, fmt.Errorf("no answer to %d keepalives sent every %s", count, interval))
			return
		}
		unanswered.Add(1)
		go func() {
			// OpenSSH answers with a failure: any answer proves it alive.
			if _, _, err := client.SendRequest("keepalive@openssh.com", true, nil); err == nil {
				unanswered.Store(0)
			}
		}()
	}
}

// lose records why the connection ended and closes it; every session and
// side-channel call then fails with a *target.LostError. A client that is
// no longer the Target's (replaced by Reconnect) changes nothing.
func (t *Target) lose(client *ssh.Client, err error) {
	t.lostMu.Lock()
	defer t.lostMu.Unlock()
	if t.lostErr != nil || client != t.client {
		return
	}
	if t.closing.Load() {
		err = errors.New("connection closed")
	}
	t.lostErr = err
	close(t.lost)
	t.client.Close()
}

// lostError is the connection's end as a *target.LostError, or nil while
// it is up.
func (t *Target) lostError() error {
	t.lostMu.Lock()
	defer t.lostMu.Unlock()
	if t.lostErr == nil || t.closing.Load() {
		return nil
	}
	return &target.LostError{Host: t.name, Err: t.lostErr}
}

// waitLost gives the lost error once the connection is known to be gone,
// waiting a moment for the reader goroutine to notice.
func (t *Target) waitLost(d time.Duration) error {
	t.lostMu.Lock()
	lost := t.lost
	t.lostMu.Unlock()
	select {
	case <-lost:
	case <-time.After(d):
	}
	return t.lostError()
}

// Close ends every session and the connection.
func (t *Target) Close() error {
	t.closing.Store(true)
	t.mu.Lock()
	ss := t.sessions
	t.sessions = nil
	t.mu.Unlock()
	for _, s := range ss {
		s.Close()
	}
	err := t.client.Close()
	for i := len(t.hops) - 1; i >= 0; i-- {
		t.hops[i].Close()
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
