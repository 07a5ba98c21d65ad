package ssh

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Prompter asks the user at the terminal. echo false means the answer is
// a secret: not echoed, never logged or recorded. It returns an error when
// nobody can answer (no terminal).
type Prompter func(ctx context.Context, prompt string, echo bool) (string, error)

// authMethods returns the methods in the order OpenSSH tries them:
// public keys (the agent's, then identity files), keyboard-interactive,
// password. closeAgent releases the agent connection after the handshake.
func authMethods(ctx context.Context, s *settings, o *Options) (methods []ssh.AuthMethod, closeAgent func()) {
	closeAgent = func() {}
	var agentSigners []ssh.Signer
	if s.pubkeyAuth {
		agentSigners, closeAgent = agentKeys(ctx, s, o)
	}

	if s.pubkeyAuth {
		files := identityFiles(ctx, s, o)
		methods = append(methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			return orderSigners(s, agentSigners, files), nil
		}))
	}
	if o.Prompt != nil && !s.batchMode {
		if s.kbdintAuth {
			methods = append(methods, keyboardInteractive(ctx, s, o))
		}
		if s.passwordAuth && s.passwordPrompts > 0 {
			methods = append(methods, ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) {
				return o.Prompt(ctx, fmt.Sprintf("%s@%s's password: ", s.user, s.name), false)
			}), s.passwordPrompts))
		}
	}
	return methods, closeAgent
}

// agentKeys asks the ssh-agent that IdentityAgent or SSH_AUTH_SOCK names
// for its keys; closeAgent releases the connection (a no-op without one).
func agentKeys(ctx context.Context, s *settings, o *Options) (agentSigners []ssh.Signer, closeAgent func()) {
	closeAgent = func() {}
	sock := os.Getenv("SSH_AUTH_SOCK")
	switch {
	case strings.EqualFold(s.identityAgent, "none"):
		sock = ""
	case s.identityAgent != "" && s.identityAgent != "SSH_AUTH_SOCK":
		sock = expand(strings.TrimPrefix(s.identityAgent, "$SSH_AUTH_SOCK"), o.home(), s)
	}
	if sock != "" {
		if c, err := (&net.Dialer{}).DialContext(ctx, "unix", sock); err == nil {
			closeAgent = func() { c.Close() }
			if ss, err := agent.NewClient(c).Signers(); err == nil {
				agentSigners = ss
			} else {
				o.warnf("ssh %s: agent at %s: %v\n", s.name, sock, err)
			}
		}
	}
	return agentSigners, closeAgent
}

// orderSigners lists the keys to offer, each once: the agent's first, then
// the identity files'.
func orderSigners(s *settings, agentSigners, files []ssh.Signer) []ssh.Signer {
	var out []ssh.Signer
	seen := map[string]bool{}
	filePubs := map[string]bool{}
	for _, f := range files {
		filePubs[string(f.PublicKey().Marshal())] = true
	}
	// The agent's keys first; with IdentitiesOnly only those that
	// are also named as identity files.
	for _, a := range agentSigners {
		k := string(a.PublicKey().Marshal())
		if s.identitiesOnly && !filePubs[k] {
			continue
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	for _, f := range files {
		k := string(f.PublicKey().Marshal())
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}

// keyboardInteractive answers the server's questions through o.Prompt,
// naming the user and host in each prompt.
func keyboardInteractive(ctx context.Context, s *settings, o *Options) ssh.AuthMethod {
	return ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		if len(questions) == 0 {
			return nil, nil
		}
		if instruction != "" {
			o.warnf("%s\n", instruction)
		}
		answers := make([]string, len(questions))
		for i, q := range questions {
			a, err := o.Prompt(ctx, fmt.Sprintf("(%s@%s) %s", s.user, s.name, q), echos[i])
			if err != nil {
				return nil, err
			}
			answers[i] = a
		}
		return answers, nil
	})
}

// identityFiles loads the identity files that exist. An encrypted key is
// offered by its public half and decrypted only when the server accepts
// it, asking for the passphrase then, as OpenSSH does.
func identityFiles(ctx context.Context, s *settings, o *Options) []ssh.Signer {
	var out []ssh.Signer
	for _, path := range s.identities {
		pem, err := os.ReadFile(path)
		if err != nil {
			if !os.IsNotExist(err) {
				o.warnf("ssh %s: identity %s: %v\n", s.name, path, err)
			}
			continue
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err == nil {
			out = append(out, signer)
			continue
		}
		var pm *ssh.PassphraseMissingError
		if !errors.As(err, &pm) {
			o.warnf("ssh %s: identity %s: %v\n", s.name, path, err)
			continue
		}
		pub := pm.PublicKey
		if pub == nil {
			if b, err := os.ReadFile(path + ".pub"); err == nil {
				pub, _, _, _, _ = ssh.ParseAuthorizedKey(b)
			}
		}
		if pub == nil {
			o.warnf("ssh %s: identity %s is encrypted and has no public half (%s.pub): skipped\n", s.name, path, path)
			continue
		}
		out = append(out, &lazySigner{ctx: ctx, path: path, pub: pub, pem: pem, o: o, s: s})
	}
	return out
}

// lazySigner decrypts an encrypted private key on first use.
type lazySigner struct {
	ctx  context.Context
	path string
	pub  ssh.PublicKey
	pem  []byte
	o    *Options
	s    *settings

	mu     sync.Mutex
	signer ssh.Signer
}

func (l *lazySigner) PublicKey() ssh.PublicKey { return l.pub }

func (l *lazySigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	s, err := l.load()
	if err != nil {
		return nil, err
	}
	return s.Sign(rand, data)
}

func (l *lazySigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	s, err := l.load()
	if err != nil {
		return nil, err
	}
	if as, ok := s.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algorithm)
	}
	return s.Sign(rand, data)
}

func (l *lazySigner) load() (ssh.Signer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.signer != nil {
		return l.signer, nil
	}
	if l.o.Prompt == nil || l.s.batchMode {
		return nil, fmt.Errorf("key %s is encrypted and there is no terminal to ask for its passphrase", l.path)
	}
	for try := 0; try < 3; try++ {
		pass, err := l.o.Prompt(l.ctx, fmt.Sprintf("Enter passphrase for key '%s': ", l.path), false)
		if err != nil {
			return nil, fmt.Errorf("passphrase for %s: %w", l.path, err)
		}
		signer, err := ssh.ParsePrivateKeyWithPassphrase(l.pem, []byte(pass))
		if err == nil {
			if !bytes.Equal(signer.PublicKey().Marshal(), l.pub.Marshal()) {
				return nil, fmt.Errorf("key %s does not match %s.pub", l.path, l.path)
			}
			l.signer = signer
			return signer, nil
		}
		if !errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("key %s: %w", l.path, err)
		}
		l.o.warnf("Bad passphrase for %s.\n", l.path)
	}
	return nil, fmt.Errorf("key %s: passphrase refused three times", l.path)
}
