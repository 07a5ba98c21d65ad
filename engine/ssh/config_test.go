package ssh

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// resolve reads what ssh reads: the first value wins, the user's file
// before the system's, flags before both.
func TestResolveFromSSHConfig(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	cfg := `
Host andromeda
  HostName 192.0.2.7
  User admin
  Port 2222
  IdentityFile ~/.ssh/andromeda_%r
  IdentitiesOnly yes
  ProxyJump bastion
  UserKnownHostsFile ~/.ssh/kh_%h /dev/null
  StrictHostKeyChecking accept-new
  ConnectTimeout 7
  ServerAliveInterval 5
  ServerAliveCountMax 4

Host *
  User fallback
  ServerAliveInterval 60
`
	os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(cfg), 0o600)
	o := &Options{Home: home}
	cf, err := loadConfigs("", home)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ParseSpec("andromeda")
	s, err := resolve(sp, o, cf)
	if err != nil {
		t.Fatal(err)
	}
	want := &settings{
		name: "andromeda", alias: "andromeda", hostname: "192.0.2.7", user: "admin", port: 2222,
		identities:     []string{filepath.Join(home, ".ssh", "andromeda_admin")},
		identitiesOnly: true, proxyJump: "bastion",
		userKnownHosts: []string{filepath.Join(home, ".ssh", "kh_192.0.2.7"), "/dev/null"},
		strict:         "accept-new", connectTimeout: 7 * time.Second,
		aliveInterval: 5 * time.Second, aliveCount: 4,
	}
	got := &settings{
		name: s.name, alias: s.alias, hostname: s.hostname, user: s.user, port: s.port,
		identities: s.identities, identitiesOnly: s.identitiesOnly, proxyJump: s.proxyJump,
		userKnownHosts: s.userKnownHosts, strict: s.strict, connectTimeout: s.connectTimeout,
		aliveInterval: s.aliveInterval, aliveCount: s.aliveCount,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolve:\n got %+v\nwant %+v", got, want)
	}

	// The spec and the flags override ssh_config.
	sp, _ = ParseSpec("root@andromeda:22")
	o = &Options{Home: home, Port: 2200, Identities: []string{"/k"}, KeepaliveInterval: time.Second, KeepaliveCount: 9}
	s, _ = resolve(sp, o, cf)
	if s.user != "root" || s.port != 2200 || s.identities[0] != "/k" || s.aliveInterval != time.Second || s.aliveCount != 9 {
		t.Errorf("overrides: user %q port %d ids %q keepalive %v/%d", s.user, s.port, s.identities, s.aliveInterval, s.aliveCount)
	}
	o.User = "flag"
	if s, _ = resolve(sp, o, cf); s.user != "flag" {
		t.Errorf("--user: %q", s.user)
	}

	// Another host gets Host * and the defaults.
	sp, _ = ParseSpec("other")
	s, _ = resolve(sp, &Options{Home: home}, cf)
	if s.hostname != "other" || s.user != "fallback" || s.port != 22 || s.aliveInterval != time.Minute ||
		s.aliveCount != DefaultKeepaliveCount || s.strict != "ask" || len(s.identities) == 0 {
		t.Errorf("defaults: %+v", s)
	}
	// --accept-new-host-key, unless the config says yes.
	if s, _ = resolve(sp, &Options{Home: home, AcceptNewHostKey: true}, cf); s.strict != "accept-new" {
		t.Errorf("--accept-new-host-key: strict %q", s.strict)
	}
}

func TestBadSSHConfigNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cfg")
	os.WriteFile(p, []byte("Host a\n  Match exec \"true\"\n"), 0o600)
	_, err := loadConfigs(p, dir)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v does not name %s", err, p)
	}
	if _, err := loadConfigs(filepath.Join(dir, "missing"), dir); err == nil {
		t.Error("a missing --ssh-config file gave no error")
	}
}
