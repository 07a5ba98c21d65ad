package andromeda

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Files of a run directory that others use.
const (
	fileSSHConfig  = "ssh_config"
	fileKnownHosts = "known_hosts"
	fileClientKey  = "id_ed25519"
	fileHostKey    = "ssh_host_ed25519_key"
)

// makeKeys writes a host key and a client key made for this run into dir.
func makeKeys(dir string) error {
	for _, k := range []struct{ file, comment string }{
		{fileClientKey, "runbook-testhost"},
		{fileHostKey, "root@andromeda"},
	} {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		block, err := ssh.MarshalPrivateKey(priv, k.comment)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, k.file), pem.EncodeToMemory(block), 0o600); err != nil {
			return err
		}
		sp, err := ssh.NewPublicKey(pub)
		if err != nil {
			return err
		}
		line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + k.comment + "\n"
		if err := os.WriteFile(filepath.Join(dir, k.file+".pub"), []byte(line), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeSSHConfig writes the ssh_config and known_hosts in which
// `Host andromeda` reaches the instance on 127.0.0.1:port. The host key is
// listed under both names a client may look it up by.
func writeSSHConfig(dir string, port int) error {
	pub, err := os.ReadFile(filepath.Join(dir, fileHostKey+".pub"))
	if err != nil {
		return err
	}
	f := strings.Fields(string(pub))
	kh := fmt.Sprintf("andromeda,[127.0.0.1]:%d %s %s\n", port, f[0], f[1])
	if err := os.WriteFile(filepath.Join(dir, fileKnownHosts), []byte(kh), 0o644); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`# andromeda, the runbook test host (made by testhost up; gone after down).
Host andromeda
	HostName 127.0.0.1
	Port %d
	User root
	IdentityFile %s
	IdentitiesOnly yes
	UserKnownHostsFile %s
	StrictHostKeyChecking yes
	CheckHostIP no
`, port, filepath.Join(dir, fileClientKey), filepath.Join(dir, fileKnownHosts))
	return os.WriteFile(filepath.Join(dir, fileSSHConfig), []byte(cfg), 0o644)
}

// clientConfig is an x/crypto/ssh config that logs in as user with the
// run's key and accepts only the run's host key.
func clientConfig(dir, user string) (*ssh.ClientConfig, error) {
	kb, err := os.ReadFile(filepath.Join(dir, fileClientKey))
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(kb)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", fileClientKey, err)
	}
	hb, err := os.ReadFile(filepath.Join(dir, fileHostKey+".pub"))
	if err != nil {
		return nil, err
	}
	hostKey, _, _, _, err := ssh.ParseAuthorizedKey(hb)
	if err != nil {
		return nil, fmt.Errorf("parse %s.pub: %w", fileHostKey, err)
	}
	return &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
		// The run's key's algorithm only: a system installed on the VM
		// keeps that key but has made keys of other types of its own,
		// which the server would otherwise offer first.
		HostKeyAlgorithms: []string{hostKey.Type()},
	}, nil
}
