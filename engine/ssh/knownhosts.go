package ssh

import (
	"bufio"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys checks a host's key against known_hosts as OpenSSH does:
// hashed entries, @cert-authority and @revoked are honoured; an unknown
// key is refused unless accept-new, which appends it; a changed key is
// always refused.
type hostKeys struct {
	s       *settings
	o       *Options
	files   []string // known_hosts files that exist, user's first
	db      *knownDB // nil when there are none
	address string   // what is looked up: "[host]:port" or the HostKeyAlias
}

// knownDB is the known_hosts files read: shared by every host dialled
// while they are unchanged (filecache.go), and only read after.
type knownDB struct {
	cb ssh.HostKeyCallback

	mu    sync.Mutex
	lines map[string][]string // file -> lines, to tell @cert-authority entries apart
}

var knownCache parseCache[*knownDB]

func newHostKeys(s *settings, o *Options) (*hostKeys, error) {
	h := &hostKeys{s: s, o: o}
	h.address = net.JoinHostPort(s.hostname, strconv.Itoa(s.port))
	if s.hostKeyAlias != "" {
		h.address = net.JoinHostPort(s.hostKeyAlias, "22")
	}
	for _, f := range append(append([]string{}, s.userKnownHosts...), s.globalKnown...) {
		if f == "/dev/null" || f == "none" {
			continue
		}
		if _, err := os.Stat(f); err == nil {
			h.files = append(h.files, f)
		}
	}
	if len(h.files) == 0 {
		return h, nil
	}
	parse := func() (*knownDB, error) {
		cb, err := knownhosts.New(h.files...)
		if err != nil {
			return nil, fmt.Errorf("read known_hosts: %w", err)
		}
		return &knownDB{cb: cb, lines: map[string][]string{}}, nil
	}
	var err error
	if sigs, ok := statAll(h.files); ok {
		h.db, err = knownCache.get(cacheKey(h.files), sigs, parse)
	} else {
		h.db, err = parse()
	}
	if err != nil {
		return nil, err
	}
	return h, nil
}

// shown is the address as known_hosts writes it ("[127.0.0.1]:2222").
func (h *hostKeys) shown() string { return knownhosts.Normalize(h.address) }

// known returns the entries that match this host: plain keys and CAs.
func (h *hostKeys) known() (plain, cas []knownhosts.KnownKey) {
	if h.db == nil {
		return nil, nil
	}
	// Ask with a key nobody has: the error lists every entry for the host.
	_, priv, _ := ed25519.GenerateKey(nil)
	probe, _ := ssh.NewPublicKey(priv.Public())
	err := h.db.cb(h.address, fakeAddr(h.address), probe)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil, nil
	}
	for _, k := range ke.Want {
		if h.isCA(k) {
			cas = append(cas, k)
		} else {
			plain = append(plain, k)
		}
	}
	return plain, cas
}

// algorithms is the host key algorithms to offer: only what known_hosts
// holds for this host, so the server shows a key we can check. Nil (the
// library's defaults) for an unknown host.
func (h *hostKeys) algorithms() []string {
	plain, cas := h.known()
	var algos []string
	add := func(a ...string) {
		for _, x := range a {
			if !contains(algos, x) {
				algos = append(algos, x)
			}
		}
	}
	if len(cas) > 0 {
		add(ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
			ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01)
	}
	for _, k := range plain {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256)
		default:
			add(t)
		}
	}
	if len(algos) == 0 {
		return nil
	}
	return algos
}

// isCA reports whether the known_hosts line k came from is @cert-authority.
func (h *hostKeys) isCA(k knownhosts.KnownKey) bool {
	db := h.db
	db.mu.Lock()
	defer db.mu.Unlock()
	ls, ok := db.lines[k.Filename]
	if !ok {
		if f, err := os.Open(k.Filename); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 64*1024), 1<<20)
			for sc.Scan() {
				ls = append(ls, sc.Text())
			}
			f.Close()
		}
		db.lines[k.Filename] = ls
	}
	if k.Line < 1 || k.Line > len(ls) {
		return false
	}
	return strings.HasPrefix(strings.TrimSpace(ls[k.Line-1]), "@cert-authority")
}

// check is the HostKeyCallback.
func (h *hostKeys) check(_ string, remote net.Addr, key ssh.PublicKey) error {
	herr := &HostKeyError{
		Host: h.s.name, Address: h.shown(), Type: key.Type(),
		Fingerprint: ssh.FingerprintSHA256(key), Files: h.files, AddTo: h.addTo(),
	}
	if c, ok := key.(*ssh.Certificate); ok {
		herr.Type, herr.Fingerprint = c.Key.Type()+" certificate", ssh.FingerprintSHA256(c.Key)
	}
	if h.db == nil {
		return h.unknown(herr, key)
	}
	err := h.db.cb(h.address, remote, key)
	if err == nil {
		return nil
	}
	var re *knownhosts.RevokedError
	if errors.As(err, &re) {
		herr.Kind = "revoked"
		herr.Known = []string{where(re.Revoked)}
		return herr
	}
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		// Certificate problems: no authority, wrong principal, expired.
		return fmt.Errorf("host key of %s: %w", h.shown(), err)
	}
	var sameType, otherType []string
	for _, k := range ke.Want {
		if h.isCA(k) {
			continue
		}
		if k.Key.Type() == key.Type() {
			sameType = append(sameType, where(k))
		} else {
			otherType = append(otherType, where(k))
		}
	}
	switch {
	case len(sameType) > 0:
		herr.Kind, herr.Known = "changed", sameType
		return herr
	case len(otherType) > 0:
		herr.Kind, herr.Known = "other-type", otherType
		return herr
	}
	return h.unknown(herr, key)
}

// unknown refuses an unknown host, or trusts and remembers it under
// accept-new.
func (h *hostKeys) unknown(herr *HostKeyError, key ssh.PublicKey) error {
	herr.Kind = "unknown"
	switch h.s.strict {
	case "accept-new", "no", "off":
	default:
		return herr
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return herr // a certificate is trusted through its CA, never added
	}
	file := h.addTo()
	if file == "" {
		return herr
	}
	host := h.shown()
	if h.s.hashKnownHosts {
		host = knownhosts.HashHostname(host)
	}
	line := knownhosts.Line([]string{host}, key)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("add host key to %s: %w", file, err)
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("add host key to %s: %w", file, err)
	}
	// Start on a line of our own even if the file lacks a final newline.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		var last [1]byte
		if r, err := os.Open(file); err == nil {
			r.ReadAt(last[:], st.Size()-1)
			r.Close()
			if last[0] != '\n' {
				line = "\n" + line
			}
		}
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("add host key to %s: %w", file, err)
	}
	h.o.warnf("Warning: permanently added '%s' (%s %s) to %s.\n", h.shown(), key.Type(), ssh.FingerprintSHA256(key), file)
	return nil
}

// addTo is where accept-new writes: the first UserKnownHostsFile.
func (h *hostKeys) addTo() string {
	for _, f := range h.s.userKnownHosts {
		if f != "/dev/null" && f != "none" {
			return f
		}
	}
	return ""
}

func where(k knownhosts.KnownKey) string { return k.Filename + ":" + strconv.Itoa(k.Line) }

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// fakeAddr stands for the remote address when only the name matters.
type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }
