package ssh

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"
)

// Spec is a host as the user wrote it: alias, user@host, host:port,
// user@host:port (or [v6addr]:port).
type Spec struct {
	User string
	Host string // the alias looked up in ssh_config
	Port int    // 0 when not given
}

// ParseSpec splits a --host value.
func ParseSpec(s string) (Spec, error) {
	var sp Spec
	if s == "" {
		return sp, fmt.Errorf("empty host")
	}
	if strings.HasPrefix(s, "ssh://") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "ssh://"), "/")
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		sp.User, s = s[:i], s[i+1:]
		if sp.User == "" {
			return sp, fmt.Errorf("host %q: empty user before @", s)
		}
	}
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			if strings.HasSuffix(s, "]") {
				h = strings.Trim(s, "[]")
			} else {
				return sp, fmt.Errorf("host %q: %v", s, err)
			}
		}
		host, port = h, p
	case strings.Count(s, ":") == 1:
		i := strings.IndexByte(s, ':')
		host, port = s[:i], s[i+1:]
	}
	if host == "" {
		return sp, fmt.Errorf("host %q: empty host name", s)
	}
	if strings.ContainsAny(host, " \t/") {
		return sp, fmt.Errorf("host %q: not a host name", host)
	}
	sp.Host = host
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 {
			return sp, fmt.Errorf("host %q: bad port %q", s, port)
		}
		sp.Port = n
	}
	return sp, nil
}

// Name is the host's name in recordings and messages: the alias, with the
// port when the user gave one (two hosts on one address stay apart).
func (sp Spec) Name() string {
	if sp.Port != 0 {
		return net.JoinHostPort(sp.Host, strconv.Itoa(sp.Port))
	}
	return sp.Host
}

// settings is what ssh_config and the flags decided for one host.
type settings struct {
	name            string // for messages and recordings
	alias           string
	hostname        string
	user            string
	port            int
	identities      []string
	identitiesOnly  bool
	identityAgent   string
	proxyJump       string
	userKnownHosts  []string
	globalKnown     []string
	strict          string // yes, no, accept-new, ask
	hashKnownHosts  bool
	hostKeyAlias    string
	connectTimeout  time.Duration
	aliveInterval   time.Duration
	aliveCount      int
	batchMode       bool
	passwordPrompts int
	passwordAuth    bool
	kbdintAuth      bool
	pubkeyAuth      bool
}

// configFiles is the ssh_config chain: --ssh-config alone (as ssh -F), or
// ~/.ssh/config then /etc/ssh/ssh_config.
type configFiles struct {
	files []*ssh_config.Config
	names []string
}

func loadConfigs(explicit, home string) (*configFiles, error) {
	cf := &configFiles{}
	paths := []string{explicit}
	if explicit == "" {
		paths = []string{filepath.Join(home, ".ssh", "config"), "/etc/ssh/ssh_config"}
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			if os.IsNotExist(err) && explicit == "" {
				continue
			}
			return nil, fmt.Errorf("ssh config: %w", err)
		}
		// Parsed once for every host dialled while it is the same file
		// (filecache.go); a parsed Config is only read after.
		c, err := configCache.get(p, []fileSig{sigOf(fi)}, func() (*ssh_config.Config, error) {
			f, err := os.Open(p)
			if err != nil {
				return nil, fmt.Errorf("ssh config: %w", err)
			}
			defer f.Close()
			c, err := ssh_config.Decode(f)
			if err != nil {
				return nil, fmt.Errorf("ssh config %s: %w", p, err)
			}
			return c, nil
		})
		if err != nil {
			return nil, err
		}
		cf.files = append(cf.files, c)
		cf.names = append(cf.names, p)
	}
	return cf, nil
}

var configCache parseCache[*ssh_config.Config]

// get returns the first value for key, as OpenSSH does: the first file and
// the first matching Host block that sets it win.
func (cf *configFiles) get(alias, key string) string {
	for _, c := range cf.files {
		v, err := c.Get(alias, key)
		if err == nil && v != "" {
			return v
		}
	}
	return ""
}

func (cf *configFiles) getAll(alias, key string) []string {
	var out []string
	for _, c := range cf.files {
		v, err := c.GetAll(alias, key)
		if err == nil {
			out = append(out, v...)
		}
	}
	return out
}

// resolve combines the spec, the flags and ssh_config into settings.
func resolve(sp Spec, o *Options, cf *configFiles) (*settings, error) {
	home := o.home()
	s := &settings{name: sp.Name(), alias: sp.Host}
	get := func(k string) string { return cf.get(sp.Host, k) }

	if err := s.resolveEndpoint(sp, o, get); err != nil {
		return nil, err
	}
	s.resolveIdentities(sp, o, cf, home, get)
	s.resolveHostKeys(o, home, get)
	if err := s.resolveTimeouts(sp, o, get); err != nil {
		return nil, err
	}
	s.resolveAuth(get)
	return s, nil
}

// resolveEndpoint sets the host name, user and port; flags beat the spec,
// which beats ssh_config.
func (s *settings) resolveEndpoint(sp Spec, o *Options, get func(string) string) error {
	s.hostname = sp.Host
	if v := get("HostName"); v != "" {
		s.hostname = strings.ReplaceAll(v, "%h", sp.Host)
	}
	s.user = firstNonEmpty(o.User, sp.User, get("User"), localUser())
	s.port = 22
	if err := configInt(get, "Port", "a number", sp.Host, &s.port); err != nil {
		return err
	}
	if sp.Port != 0 {
		s.port = sp.Port
	}
	if o.Port != 0 {
		s.port = o.Port
	}
	return nil
}

// resolveIdentities sets the key files to try, the agent and the jump
// hosts; it needs the endpoint set first, for expand.
func (s *settings) resolveIdentities(sp Spec, o *Options, cf *configFiles, home string, get func(string) string) {
	for _, id := range o.Identities {
		s.identities = append(s.identities, expand(id, home, s))
	}
	for _, id := range cf.getAll(sp.Host, "IdentityFile") {
		s.identities = append(s.identities, expand(id, home, s))
	}
	if len(s.identities) == 0 {
		for _, n := range []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_dsa"} {
			s.identities = append(s.identities, filepath.Join(home, ".ssh", n))
		}
	}
	s.identitiesOnly = isYes(get("IdentitiesOnly"))
	s.identityAgent = get("IdentityAgent")
	s.proxyJump = get("ProxyJump")
	if strings.EqualFold(s.proxyJump, "none") {
		s.proxyJump = ""
	}
}

// resolveHostKeys sets the known_hosts files and how strictly an unknown
// or changed host key is treated.
func (s *settings) resolveHostKeys(o *Options, home string, get func(string) string) {
	if v := get("UserKnownHostsFile"); v != "" {
		for _, f := range strings.Fields(v) {
			s.userKnownHosts = append(s.userKnownHosts, expand(f, home, s))
		}
	} else {
		s.userKnownHosts = []string{filepath.Join(home, ".ssh", "known_hosts"), filepath.Join(home, ".ssh", "known_hosts2")}
	}
	if v := get("GlobalKnownHostsFile"); v != "" {
		for _, f := range strings.Fields(v) {
			s.globalKnown = append(s.globalKnown, expand(f, home, s))
		}
	} else {
		s.globalKnown = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
	}
	s.strict = strings.ToLower(firstNonEmpty(get("StrictHostKeyChecking"), "ask"))
	if o.AcceptNewHostKey && s.strict != "yes" {
		s.strict = "accept-new"
	}
	s.hashKnownHosts = isYes(get("HashKnownHosts"))
	s.hostKeyAlias = get("HostKeyAlias")
}

// configInt sets *n to the whole number ssh_config gives for key, when it
// gives one; what must be the value (what) names it in the error.
func configInt(get func(string) string, key, what, host string, n *int) error {
	v := get(key)
	if v == "" {
		return nil
	}
	x, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("ssh config: %s %q for %s: not %s", key, v, host, what)
	}
	*n = x
	return nil
}

// resolveTimeouts sets the connect timeout and the keepalives; flags beat
// ssh_config.
func (s *settings) resolveTimeouts(sp Spec, o *Options, get func(string) string) error {
	timeout, interval := 30, int(DefaultKeepaliveInterval/time.Second)
	if err := configInt(get, "ConnectTimeout", "a number of seconds", sp.Host, &timeout); err != nil {
		return err
	}
	s.connectTimeout = time.Duration(timeout) * time.Second
	// Keepalives are on by default (OpenSSH's are off): a run that waits
	// on a host that vanished should end, not hang.
	s.aliveInterval, s.aliveCount = DefaultKeepaliveInterval, DefaultKeepaliveCount
	if err := configInt(get, "ServerAliveInterval", "a number of seconds", sp.Host, &interval); err != nil {
		return err
	}
	s.aliveInterval = time.Duration(interval) * time.Second
	if err := configInt(get, "ServerAliveCountMax", "a number", sp.Host, &s.aliveCount); err != nil {
		return err
	}
	if o.KeepaliveInterval != 0 {
		s.aliveInterval = o.KeepaliveInterval
	}
	if o.KeepaliveCount != 0 {
		s.aliveCount = o.KeepaliveCount
	}
	if s.aliveInterval < 0 {
		s.aliveInterval = 0
	}
	return nil
}

// resolveAuth sets which authentication methods may be tried, and how
// many password prompts.
func (s *settings) resolveAuth(get func(string) string) {
	s.batchMode = isYes(get("BatchMode"))
	s.passwordPrompts = 3
	if v := get("NumberOfPasswordPrompts"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			s.passwordPrompts = n
		}
	}
	s.passwordAuth = !isNo(get("PasswordAuthentication"))
	s.kbdintAuth = !isNo(get("KbdInteractiveAuthentication")) && !isNo(get("ChallengeResponseAuthentication"))
	s.pubkeyAuth = !isNo(get("PubkeyAuthentication"))
}

// Keepalive defaults when neither flags nor ssh_config set them.
const (
	DefaultKeepaliveInterval = 15 * time.Second
	DefaultKeepaliveCount    = 3
)

// expand does ssh_config's ~ and % tokens for file names.
func expand(p, home string, s *settings) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		p = filepath.Join(home, p[2:])
	}
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+1 == len(p) {
			b.WriteByte(p[i])
			continue
		}
		i++
		switch p[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			b.WriteString(home)
		case 'h':
			b.WriteString(s.hostname)
		case 'n':
			b.WriteString(s.alias)
		case 'p':
			b.WriteString(strconv.Itoa(s.port))
		case 'r':
			b.WriteString(s.user)
		case 'u':
			b.WriteString(localUser())
		case 'l':
			h, _ := os.Hostname()
			b.WriteString(h)
		default:
			b.WriteByte('%')
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

func localUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func isYes(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "true", "on":
		return true
	}
	return false
}

func isNo(v string) bool {
	switch strings.ToLower(v) {
	case "no", "false", "off":
		return true
	}
	return false
}
