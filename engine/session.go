package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
)

// liveSession is the executor of a real run: commands go to the shell
// driver; the tee records and shows what the terminal shows. The driver
// is replaced when the host comes back from a reboot (reboot.go); the
// window follower's goroutine reads it meanwhile, hence the mutex.
type liveSession struct {
	mu   sync.Mutex
	d    *shell.Driver
	cols int
	rows int
	// gone, when set, says why there is no session any more (the host was
	// rebooted without waiting for it).
	gone error
	tee  *tee
	// last is the output of the last command run, for the failure message
	// (the Lua goroutine alone sets and reads it).
	last string
}

func (s *liveSession) driver() *shell.Driver {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d
}

func (s *liveSession) setDriver(d *shell.Driver) {
	s.mu.Lock()
	s.d = d
	s.mu.Unlock()
}

func (s *liveSession) goneErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gone
}

// size is the terminal size the session has now (a new session after a
// reboot starts with it).
func (s *liveSession) size() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cols, s.rows
}

// resize follows the user's window.
func (s *liveSession) resize(cols, rows int) error {
	s.mu.Lock()
	d := s.d
	s.cols, s.rows = cols, rows
	s.mu.Unlock()
	return d.Resize(cols, rows)
}

func (s *liveSession) run(ctx context.Context, typed string, o shell.RunOptions) (shell.Result, error) {
	if err := s.goneErr(); err != nil {
		return shell.Result{Exit: -1}, err
	}
	res, err := s.driver().Run(ctx, typed, o)
	s.last = res.Output
	if err == nil {
		err = s.recordErr()
	}
	return res, err
}

// recordErr is the safe point where a run whose recording stopped (a full
// disk) stops too: after the command that was running.
func (s *liveSession) recordErr() error {
	if rerr := s.tee.recordErr(); rerr != nil {
		return rerr
	}
	return nil
}

func (s *liveSession) lastOutput() string { return s.last }

func (s *liveSession) comment(ctx context.Context, text string) error {
	if err := s.goneErr(); err != nil {
		return err
	}
	if err := s.driver().Comment(ctx, text); err != nil {
		return err
	}
	return s.recordErr()
}

func (s *liveSession) elapsed() time.Duration { return s.tee.Elapsed() }
func (s *liveSession) note(text string)       { s.tee.note(text) }
func (s *liveSession) pauser() Pauser         { return s.tee }

var errRebootedNoWait = errors.New("no session: the host was rebooted by host.reboot{wait=false}, so nothing after it can run")
