package ssh

import (
	"context"
	"errors"

	"github.com/runbook-dev/runbook/engine/target"
)

var _ target.Reconnecter = (*Target)(nil)

// Reconnect reaches the host again after the connection ended (it
// rebooted): one attempt, through the same ssh_config resolution,
// authentication and known_hosts checks as Dial, within ConnectTimeout.
// The old connection is given up first if the host has not closed it yet;
// its sessions end. A host key that is no longer trusted comes back as a
// *target.FinalError, so that the caller does not retry it. The sudo
// password, when one was asked, is kept.
//
// The caller must not use the Target from another goroutine meanwhile, and
// the readers of the old sessions must have ended (the engine waits for
// its shell driver to end first).
func (t *Target) Reconnect(ctx context.Context) error {
	if t.closing.Load() {
		return errors.New("ssh " + t.name + ": reconnect: the connection was closed")
	}
	if t.spec.Host == "" {
		return errors.New("ssh " + t.name + ": reconnect: not reached by Dial")
	}
	t.lostMu.Lock()
	old := t.client
	t.lostMu.Unlock()
	t.lose(old, errors.New("reconnecting"))

	client, s, hops, err := dialHop(ctx, t.spec, &t.o, t.cf, nil, 0)
	if err != nil {
		var hke *HostKeyError
		if errors.As(err, &hke) {
			return &target.FinalError{Err: err}
		}
		return err
	}

	t.mu.Lock()
	sessions := t.sessions
	t.sessions = nil
	t.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	lost := make(chan struct{})
	t.lostMu.Lock()
	oldHops := t.hops
	t.client, t.s, t.hops, t.lost, t.lostErr = client, s, hops, lost, nil
	t.lostMu.Unlock()
	for i := len(oldHops) - 1; i >= 0; i-- {
		oldHops[i].Close()
	}
	t.watch(client, lost)
	return nil
}
