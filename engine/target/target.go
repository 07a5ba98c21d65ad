// Package target defines what the engine needs from a place to run
// commands — this machine or a host over SSH — and implements it for this
// machine. The SSH implementation lives in engine/ssh.
//
// It must not import the engine, the stdlib or the player.
package target

import (
	"context"
	"errors"
	"io"
)

// Target is a machine the engine runs a runbook on.
type Target interface {
	// Name is the host name used in recordings, indexes and messages
	// ("local" for this machine, else the name the user gave, e.g. "andromeda").
	Name() string

	// Shell starts an interactive login shell on a new pty of the given
	// size. The engine bootstraps its own shell driver inside it before it
	// starts recording, so what the shell prints first is not recorded.
	Shell(ctx context.Context, opts ShellOptions) (Session, error)

	// Exec runs cmd through `sh -c` on the side channel: never shown,
	// never recorded, with the same privileges as the session (under sudo
	// when the session is). stdin may be nil. A non-zero exit status is
	// not an error: it is in the result. Errors are for failing to run.
	Exec(ctx context.Context, cmd string, stdin io.Reader) (ExecResult, error)

	// Close ends every session and the connection.
	Close() error
}

// Reconnecter is implemented by a Target that can reach its host again
// after the connection ended (the host rebooted): one attempt, made the
// way the first connection was (the same resolved host, authentication and
// host-key checks), honouring the connect timeout. On success the Target's
// Shell and Exec use the new connection; sessions of the old one are gone.
// The caller retries with backoff, except after a *FinalError (a host key
// that is no longer trusted: retrying must not wear that check down).
type Reconnecter interface {
	Reconnect(ctx context.Context) error
}

// FinalError wraps a Reconnect error that retrying cannot fix.
type FinalError struct{ Err error }

func (e *FinalError) Error() string { return e.Err.Error() }
func (e *FinalError) Unwrap() error { return e.Err }

// ShellOptions says how to start the session's shell.
type ShellOptions struct {
	Cols, Rows int
	// Env is extra environment for the shell (NAME=value). Over SSH it
	// may be set with `env` in front of the shell rather than SendEnv.
	Env []string
	// Command, when set, is run instead of the user's login shell; the
	// engine uses it to start bash with its own rcfile. It is a shell
	// command line, run by the target's `sh -c` (locally) or as the SSH
	// session's command.
	Command string
}

// Session is a live terminal: what the shell prints comes out of Read,
// keystrokes go in through Write.
type Session interface {
	io.Reader // terminal output; io.EOF when the session ended
	io.Writer // keyboard input
	// Resize changes the terminal size (SIGWINCH / window-change).
	Resize(cols, rows int) error
	// Close ends the session (hangs up the pty).
	Close() error
}

// ExecResult is the outcome of a side-channel command.
type ExecResult struct {
	Stdout, Stderr []byte
	Exit           int
}

// LostError reports that the connection to a host broke, mid-session or on
// the side channel. The engine names the step and command; this names the host.
type LostError struct {
	Host string
	Err  error
}

func (e *LostError) Error() string { return "connection to " + e.Host + " lost: " + e.Err.Error() }
func (e *LostError) Unwrap() error { return e.Err }

// IsUnreachable reports whether err says the host could not be reached,
// authenticated to or trusted: an error in its chain has a method
// Unreachable() bool that returns true (the SSH target's host errors).
func IsUnreachable(err error) bool {
	var u interface{ Unreachable() bool }
	return errors.As(err, &u) && u.Unreachable()
}

// Consoler is implemented by a Target whose host has a console runbook
// can reach apart from SSH (a serial console, IPMI's serial-over-LAN):
// what the host prints before its network is up, such as an initramfs
// asking for a disk's passphrase. Console opens it: reads are what the
// host prints, writes are keys typed. Closing it lets go of the console.
type Consoler interface {
	Console(ctx context.Context) (io.ReadWriteCloser, error)
}

// BashStarter is implemented by a Target that starts bash itself (this
// machine): the startup file reaches it through a pipe on fd 3
// (--rcfile /dev/fd/3), so no file is written, none is left behind by a
// kill, and no process is spent writing or removing one. Other targets
// get a private temporary file through Exec.
type BashStarter interface {
	StartBash(ctx context.Context, opts ShellOptions, rcfile []byte) (Session, error)
}
