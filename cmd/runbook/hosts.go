package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine"
	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/recording"
)

// hostsHelp is appended to `runbook run --help`.
const hostsHelp = `

Hosts:
  --host takes alias, user@host, host:port or user@host:port; an alias is
  resolved through ~/.ssh/config and /etc/ssh/ssh_config as ssh does
  (HostName, User, Port, IdentityFile, ProxyJump, known_hosts files,
  StrictHostKeyChecking, ServerAliveInterval...). Authentication goes as
  with ssh: agent, identity files (passphrase asked here), then
  keyboard-interactive and password asked here. An unknown host is refused
  with its fingerprint unless --accept-new-host-key; a changed host key is
  always refused. A runbook may name its host (runbook{host=...}). A port
  that answers but is not SSH is named so, with what it sent; a silent one
  is given up after ssh_config's ConnectTimeout (default 30 s).

  --console CMD reaches a host's console apart from SSH, for a reboot
  that must unlock an encrypted disk (host.reboot{unlock=...}): CMD runs
  here under sh -c, its stdin and stdout being the console, %h the host:
      --console 'ipmitool -I lanplus -H %h-ipmi -E sol activate'
      --console 'virsh console --force %h'

  --hosts FILE has one host a line, then parameters for that host, which
  override --set:
      # web servers
      andromeda greeting=bonjour
      root@10.0.0.2:2222 greeting="guten tag"
  Several hosts run at once (--forks at a time), each with its own
  recording. Up to 10 hosts, their output is shown line by line behind
  "HOST | "; more show one summary line on a terminal (hosts done, running,
  failed, the slowest step) with failures above it, else one line per host
  as it ends. A combined recap ends the run, failures first, and names
  the fleet's manifest (NAME-STAMP.fleet.json, or x.fleet.json beside
  --record x.ttyrec): runbook play and export take it to pick a host.

Examples:
  runbook xen-prereqs.lua --host andromeda
  runbook xen-prereqs.lua --host admin@andromeda:2222 --sudo
  runbook demo --host a,b,c --forks 3 --quiet
  runbook demo --hosts lab.txt --ssh-config ./ssh_config --accept-new-host-key
`

// targetFlags choose where a runbook runs: this machine, or hosts over SSH.
type targetFlags struct {
	hosts             []string
	hostsFile         string
	limit             []string
	forks             int
	user              string
	port              int
	identities        []string
	sshConfig         string
	acceptNew         bool
	console           string
	sudo              bool
	keepaliveInterval time.Duration
	keepaliveCount    int
	// overwrite is run's --overwrite: --record may replace existing files
	// (checked here for the per-host names a fan-out records to).
	overwrite bool
}

// addTargetFlags registers the flags that choose targets.
func addTargetFlags(fs *pflag.FlagSet, f *targetFlags) {
	fs.StringSliceVar(&f.hosts, "host", nil, "run on `HOST`s over SSH: alias, user@host, host:port (comma-separated or repeated)")
	fs.StringVar(&f.hostsFile, "hosts", "", "run on the hosts listed in `FILE`, one a line, with per-host name=value parameters")
	fs.StringSliceVar(&f.limit, "limit", nil, "run only on the hosts matching `PATTERN`s among --host/--hosts (shell globs, comma-separated; as Ansible's --limit)")
	fs.IntVar(&f.forks, "forks", 5, "run on at most `N` hosts at once")
	fs.StringVar(&f.user, "user", "", "log in as `USER` (overrides user@ and ssh_config)")
	fs.IntVar(&f.port, "port", 0, "SSH `PORT` (overrides :port and ssh_config)")
	fs.StringArrayVarP(&f.identities, "identity", "i", nil, "identity (private key) `FILE`, tried before ssh_config's (repeatable; -i as in ssh, not Ansible's inventory: that is --hosts)")
	fs.StringVar(&f.sshConfig, "ssh-config", "", "read ssh `FILE` instead of ~/.ssh/config and /etc/ssh/ssh_config (as ssh -F)")
	fs.BoolVar(&f.acceptNew, "accept-new-host-key", false, "trust a host not yet in known_hosts and add its key there (a changed key is still refused)")
	fs.StringVar(&f.console, "console", "", "the host's console is this `CMD`'s stdin and stdout (%h: host name), for host.reboot{unlock=...}")
	fs.BoolVar(&f.sudo, "sudo", false, "run the session under sudo -i (password asked once, or $RUNBOOK_SUDO_PASSWORD)")
	aliasFlag(fs, "become", "sudo", "")
	fs.DurationVar(&f.keepaliveInterval, "keepalive", 0, "send an SSH keepalive every `DUR` (default: ssh_config's ServerAliveInterval, else 15s; -1s: off)")
	fs.IntVar(&f.keepaliveCount, "keepalive-count", 0, "give a host up after `N` unanswered keepalives (default: ServerAliveCountMax, else 3)")
}

// hostJob is one host to run on, with its own parameters.
type hostJob struct {
	spec string
	name string
	set  map[string]string // from --hosts: overrides --set
}

// hostJobs lists the hosts the flags (or the runbook's host=) name; none
// means this machine.
func (f *targetFlags) hostJobs(defaultHost string) ([]hostJob, error) {
	var jobs []hostJob
	for _, h := range f.hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		jobs = append(jobs, hostJob{spec: h})
	}
	if f.hostsFile != "" {
		fj, err := readHostsFile(f.hostsFile)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, fj...)
	}
	if len(jobs) == 0 && defaultHost != "" && defaultHost != "local" {
		jobs = append(jobs, hostJob{spec: defaultHost})
	}
	if len(f.limit) > 0 {
		var err error
		if jobs, err = f.limitJobs(jobs); err != nil {
			return nil, err
		}
	}
	seen := map[string]string{}
	for i := range jobs {
		sp, err := rssh.ParseSpec(jobs[i].spec)
		if err != nil {
			return nil, usagef("--host: %v", err)
		}
		jobs[i].name = sp.Name()
		if prev, dup := seen[jobs[i].name]; dup {
			return nil, usagef("--host: %s and %s are the same host %s: each host runs once", prev, jobs[i].spec, jobs[i].name)
		}
		seen[jobs[i].name] = jobs[i].spec
	}
	if f.forks < 1 {
		return nil, usagef("--forks %d: want at least 1", f.forks)
	}
	if len(jobs) == 0 && (f.user != "" || f.port != 0 || len(f.identities) > 0 || f.sshConfig != "" || f.acceptNew || f.console != "") {
		return nil, usagef("--user, --port, --identity, --ssh-config, --accept-new-host-key and --console need --host or --hosts")
	}
	return jobs, nil
}

// limitJobs keeps the hosts --limit names: a pattern matches a host's
// name or the spec it was given as (path.Match globs: web*, 10.0.0.?).
func (f *targetFlags) limitJobs(jobs []hostJob) ([]hostJob, error) {
	if len(jobs) == 0 {
		return nil, usagef("--limit %s: there are no hosts to limit (give them with --hosts FILE or --host)", strings.Join(f.limit, ","))
	}
	var kept []hostJob
	var names []string
	for _, j := range jobs {
		sp, err := rssh.ParseSpec(j.spec)
		name := j.spec
		if err == nil {
			name = sp.Name()
		}
		names = append(names, name)
		for _, pat := range f.limit {
			pat = strings.TrimSpace(pat)
			if _, err := path.Match(pat, ""); err != nil {
				return nil, usagef("--limit %q: %v", pat, err)
			}
			m1, _ := path.Match(pat, name)
			m2, _ := path.Match(pat, j.spec)
			if m1 || m2 {
				kept = append(kept, j)
				break
			}
		}
	}
	if len(kept) == 0 {
		return nil, usagef("--limit %s: matches none of the hosts (%s)", strings.Join(f.limit, ","), strings.Join(names, ", "))
	}
	return kept, nil
}

// check validates the target flags' values before anything is dialled.
func (f *targetFlags) check(fs *pflag.FlagSet) error {
	if err := checkIntFlag(fs, "forks", f.forks, 1, 1000, "a number of hosts"); err != nil {
		return err
	}
	if err := checkIntFlag(fs, "port", f.port, 1, 65535, "a TCP port"); err != nil {
		return err
	}
	if err := checkIntFlag(fs, "keepalive-count", f.keepaliveCount, 1, 1000, "a count"); err != nil {
		return err
	}
	for _, id := range f.identities {
		if err := checkIdentity(id); err != nil {
			return err
		}
	}
	return nil
}

// checkIdentity refuses an -i FILE that is plainly not a private key: an
// Ansible user's inventory most likely. A missing file is refused too, with
// its path (ssh only warns, and then asks for a password).
func checkIdentity(p string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return usagef("--identity %s: %v", p, errors.Unwrap(err))
	}
	s := string(b)
	if strings.Contains(s, "PRIVATE KEY-----") || strings.HasPrefix(s, "PuTTY-User-Key-File") {
		return nil
	}
	return usagef("-i %s: not a private key. -i is the SSH identity file here (as ssh -i); for a list of hosts (Ansible's -i inventory) type --hosts %s", p, p)
}

// readHostsFile reads `HOST [name=value ...]` lines; # starts a comment.
func readHostsFile(path string) ([]hostJob, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--hosts: %v", err)
	}
	var jobs []hostJob
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words, err := splitWords(line)
		if err != nil {
			return nil, usagef("%s:%d: %v", path, n, err)
		}
		j := hostJob{spec: words[0], set: map[string]string{}}
		for _, w := range words[1:] {
			k, v, ok := strings.Cut(w, "=")
			if !ok || k == "" {
				return nil, usagef("%s:%d: %q: want name=value after the host", path, n, w)
			}
			j.set[k] = v
		}
		if _, err := rssh.ParseSpec(j.spec); err != nil {
			return nil, usagef("%s:%d: %v", path, n, err)
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// splitWords splits on blanks, keeping "..." and '...' together (quotes removed).
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '#' && !in:
			i = len(s)
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unclosed quote")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// sshOptions turns the flags into the SSH target's options.
func (f *targetFlags) sshOptions(st *IO, sudo bool, sudoPassword func(context.Context) (string, error)) rssh.Options {
	return rssh.Options{
		User: f.user, Port: f.port, Identities: f.identities, ConfigFile: f.sshConfig,
		AcceptNewHostKey: f.acceptNew, KeepaliveInterval: f.keepaliveInterval, KeepaliveCount: f.keepaliveCount,
		Sudo: sudo, SudoPassword: sudoPassword, Prompt: ttyPrompter(st), Warn: st.Err,
		Console: f.console,
	}
}

// ttyPrompter asks at the controlling terminal, one question at a time
// (hosts run in parallel); nil when there is none. Secrets are read with
// echo off and go nowhere but the SSH library.
func ttyPrompter(st *IO) rssh.Prompter {
	if st.TTY == nil {
		return nil
	}
	var mu sync.Mutex
	return func(ctx context.Context, prompt string, echo bool) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return askTTY(st, prompt, echo)
	}
}

// onceSudoPassword gives every host the same sudo password: the runbook's
// sudo_password parameter (declare it secret), else $RUNBOOK_SUDO_PASSWORD,
// else asked once at the terminal.
func onceSudoPassword(st *IO, set map[string]string) func(context.Context) (string, error) {
	var mu sync.Mutex
	var pw *string
	ask := ttyPrompter(st)
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if pw != nil {
			return *pw, nil
		}
		if v, ok := set["sudo_password"]; ok {
			pw = &v
			return v, nil
		}
		if v, ok := os.LookupEnv("RUNBOOK_SUDO_PASSWORD"); ok {
			pw = &v
			return v, nil
		}
		if ask == nil {
			return "", errors.New("sudo asks for a password and there is no terminal: set RUNBOOK_SUDO_PASSWORD, or declare a secret parameter sudo_password")
		}
		v, err := ask(ctx, "[sudo] password (used on every host): ", false)
		if err != nil {
			return "", err
		}
		pw = &v
		return v, nil
	}
}

// runOnTargets runs the runbook on this machine or on every host (the
// engine's Fleet: one host, or this machine, looks as a plain run), and
// returns the reports in the order the hosts were named.
func runOnTargets(ctx context.Context, st *IO, f *targetFlags, opts engine.Options) ([]*engine.Report, error) {
	// The runbook may name its host and ask for sudo.
	var declared *engine.Runbook
	{
		lo := opts
		lo.Target = target.NewLocal()
		if rb, err := engine.Load(lo); err == nil {
			declared = rb
		}
	}
	defHost, sudo := "", f.sudo
	if declared != nil {
		defHost = declared.Host
		sudo = sudo || declared.Sudo
	}
	jobs, err := f.hostJobs(defHost)
	if err != nil {
		return nil, err
	}
	if opts.Record != "" && len(jobs) > 1 {
		for _, j := range jobs {
			if err := checkOutput("run", engine.HostRecordPath(opts.Record, j.name), f.overwrite, nil); err != nil {
				return nil, err
			}
		}
		if err := checkOutput("run", recording.FleetPath(opts.Record), f.overwrite, nil); err != nil {
			return nil, err
		}
	}
	fleet := &engine.Fleet{Forks: f.forks, Options: opts}
	if len(jobs) == 0 {
		fleet.Hosts = []engine.FleetHost{{Name: "local"}}
		fleet.Dial = func(context.Context, engine.FleetHost) (target.Target, error) { return target.NewLocal(), nil }
		return fleet.Run(ctx)
	}
	for _, j := range jobs {
		fleet.Hosts = append(fleet.Hosts, engine.FleetHost{Name: j.name, Addr: j.spec, Set: j.set})
	}
	sshOpts := f.sshOptions(st, sudo, maskedSudo(opts.Secrets, onceSudoPassword(st, opts.Set)))
	fleet.Dial = func(ctx context.Context, h engine.FleetHost) (target.Target, error) {
		t, err := rssh.Dial(ctx, h.Addr, sshOpts)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	return fleet.Run(ctx)
}

// fleetExitCode is the most serious exit code of the hosts that did not
// finish: interrupted, then unreachable, then failed.
func fleetExitCode(e *engine.FleetError) int {
	codes := map[int]bool{}
	for _, err := range e.Unwrap() {
		codes[exitCode(err)] = true
	}
	for _, c := range []int{exitInterrupted, exitHost, exitFailed, exitUsage} {
		if codes[c] {
			return c
		}
	}
	return exitFailed
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
