package ssh

import (
	"fmt"
	"strings"
)

// HostError reports that a host could not be reached, authenticated to or
// trusted. The CLI exits 3 for it.
type HostError struct {
	Host string // the name the user gave
	Op   string // "dial 127.0.0.1:22", "authenticate as root", "sudo", ...
	Err  error
}

func (e *HostError) Error() string { return "ssh " + e.Host + ": " + e.Op + ": " + e.Err.Error() }
func (e *HostError) Unwrap() error { return e.Err }

// Unreachable marks the error for target.IsUnreachable.
func (e *HostError) Unreachable() bool { return true }

// HostKeyError reports a host key that is not trusted: unknown, changed
// or revoked. It is a HostError for the exit code; its message says what
// the user can do.
type HostKeyError struct {
	Host    string // the name the user gave
	Address string // what known_hosts was searched for: "[127.0.0.1]:2222"
	// Kind is "unknown", "changed" or "revoked".
	Kind        string
	Type        string // the offered key's type
	Fingerprint string // the offered key's SHA256 fingerprint
	// Known lists where known_hosts holds other keys for this host
	// ("~/.ssh/known_hosts:3"), for a changed key.
	Known []string
	// Files are the known_hosts files that were read.
	Files []string
	// AddTo is the file --accept-new-host-key would append to.
	AddTo string
}

// Unreachable marks the error for target.IsUnreachable.
func (e *HostKeyError) Unreachable() bool { return true }

func (e *HostKeyError) Error() string {
	var b strings.Builder
	switch e.Kind {
	case "changed":
		fmt.Fprintf(&b, "ssh %s: REMOTE HOST IDENTIFICATION HAS CHANGED: refusing to connect.\n", e.Host)
		fmt.Fprintf(&b, "  %s offered the %s key %s,\n", e.Address, e.Type, e.Fingerprint)
		fmt.Fprintf(&b, "  but known_hosts holds another key for it at %s.\n", strings.Join(e.Known, ", "))
		b.WriteString("  Someone may be intercepting the connection, or the host was reinstalled.\n")
		fmt.Fprintf(&b, "  If you know the new key is right, remove the old one (ssh-keygen -R %q) and connect again.", e.Address)
	case "revoked":
		fmt.Fprintf(&b, "ssh %s: the %s key %s offered by %s is marked @revoked in %s: refusing to connect.",
			e.Host, e.Type, e.Fingerprint, e.Address, strings.Join(e.Known, ", "))
	case "other-type":
		fmt.Fprintf(&b, "ssh %s: %s offered the %s key %s, but known_hosts holds only keys of other types for it (%s): refusing to connect.",
			e.Host, e.Address, e.Type, e.Fingerprint, strings.Join(e.Known, ", "))
	default:
		fmt.Fprintf(&b, "ssh %s: the host %s is not known: refusing to connect.\n", e.Host, e.Address)
		fmt.Fprintf(&b, "  It offered the %s host key %s.\n", e.Type, e.Fingerprint)
		if len(e.Files) > 0 {
			fmt.Fprintf(&b, "  (searched %s)\n", strings.Join(e.Files, ", "))
		}
		b.WriteString("  Check that fingerprint with the host's administrator (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host),\n")
		fmt.Fprintf(&b, "  then run again with --accept-new-host-key to add it to %s.", e.AddTo)
	}
	return b.String()
}
