package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/recording"
	"github.com/runbook-dev/runbook/stdlib"
)

var _ stdlib.Rebooter = (*host)(nil)

// rebootCommand is what a person types to reboot a Debian host.
const rebootCommand = "systemctl reboot"

// Reboot timing: how long the host may take to drop the session after the
// reboot command, and the backoff between attempts to reach it again.
const (
	downWithin     = 5 * time.Minute
	retryFirst     = 500 * time.Millisecond
	retryMax       = 5 * time.Second
	bootIDCommand  = "cat /proc/sys/kernel/random/boot_id 2>/dev/null"
	stopRebooted   = "rebooted"
	reasonRedialed = "reconnect"
)

// Reboot types the reboot command into the recorded session, as a person
// would, and waits for the session to end: the host dropping the
// connection is the point, not a failure. With wait it then reaches the
// host again (within timeout, with backoff; each attempt within the
// connect timeout), starts a new session the same way as the first
// (prompt, marks, secrets, sudo) and carries on in the same recording: the
// time waited is cut (a "reconnect" pause) and markers say "reboot" and
// "back after N s". Without wait the run ends cleanly after this step.
//
// This machine is never rebooted: a runbook that wants that is wrong.
//
// With o.Unlock the host's console (target.Consoler) is watched from
// before the reboot command: at the first passphrase prompt the
// passphrase is typed, once (unlocker).
func (h *host) Reboot(ctx context.Context, o stdlib.RebootOptions) error {
	r := h.r
	t := r.opts.Target
	wait, timeout := o.Wait, o.Timeout
	if r.inStep == nil {
		return errors.New("host.reboot may only be called inside a step")
	}
	if r.opts.Plan {
		return errPlanExec
	}
	if r.replay != nil {
		return r.replay.reboot(ctx, wait)
	}
	live, rc, err := h.rebootable(wait)
	if err != nil {
		return err
	}
	un, err := h.openUnlock(ctx, o.Unlock)
	if err != nil {
		return err
	}
	if un != nil {
		defer un.close()
	}
	// The boot before: a session that answers with the same boot id is
	// the old system, still going down.
	before := h.bootID(ctx)

	d := live.driver()
	if skipped, err := h.typeReboot(ctx, d); skipped || err != nil {
		return err
	}
	d.Close()
	downAt := time.Now()
	r.markers = append(r.markers, recording.Marker{At: recording.SecondsOf(live.tee.Elapsed()), Label: "reboot"})
	if !wait {
		live.mu.Lock()
		live.gone = errRebootedNoWait
		live.mu.Unlock()
		r.stopAfter = stopRebooted
		r.ex.note(fmt.Sprintf("[%s is rebooting; the run ends here (wait=false)]", t.Name()))
		return nil
	}

	// The wait is not the guide's: cut it from the recording.
	live.tee.PauseFor(reasonRedialed)
	defer live.tee.Resume()
	r.ex.note(fmt.Sprintf("[%s is rebooting; waiting up to %v for it to answer SSH again]", t.Name(), timeout))
	nd, err := h.comeBackUnlocked(ctx, un, rc, before, downAt.Add(timeout), timeout)
	if err != nil {
		r.rebootErr = err
		return err
	}
	if un != nil {
		h.noteUnlock(live, un)
	}
	live.setDriver(nd)
	live.tee.Resume()
	back := time.Since(downAt).Round(time.Second)
	r.markers = append(r.markers, recording.Marker{At: recording.SecondsOf(live.tee.Elapsed()),
		Label: fmt.Sprintf("back after %d s", int(back.Seconds()))})
	r.ex.note(fmt.Sprintf("[%s is back after %v]", t.Name(), back))
	return nil
}

// rebootable returns the live session to reboot and, when the target can
// reconnect, its Reconnecter; it refuses this machine, a lost session, and
// wait on a target that cannot come back.
func (h *host) rebootable(wait bool) (*liveSession, target.Reconnecter, error) {
	r := h.r
	t := r.opts.Target
	if _, local := t.(*target.Local); local || t.Name() == "local" {
		return nil, nil, errors.New("refusing to reboot the machine runbook runs on: run it against a host (--host HOST)")
	}
	live, ok := r.ex.(*liveSession)
	if !ok {
		return nil, nil, errors.New("no live session to reboot")
	}
	if err := live.goneErr(); err != nil {
		return nil, nil, err
	}
	rc, canReconnect := t.(target.Reconnecter)
	if wait && !canReconnect {
		return nil, nil, fmt.Errorf("runbook cannot reach %s again after a reboot (this kind of target cannot reconnect); use wait=false", t.Name())
	}
	return live, rc, nil
}

// typeReboot types the reboot command and waits for d, the session, to
// end. skipped is true when the step prompt skipped the command.
func (h *host) typeReboot(ctx context.Context, d *shell.Driver) (skipped bool, err error) {
	r := h.r
	t := r.opts.Target
	res, _, _, err := r.command(ctx, rebootCommand, shOptions{op: "host.reboot", target: t.Name()}, false)
	cmds := r.inStep.ix.Commands
	if err == nil && len(cmds) > 0 && cmds[len(cmds)-1].Skipped {
		return true, nil // skipped at the step prompt: nothing happened
	}
	ended := err != nil && sessionEnded(err)
	switch {
	case err != nil && !ended:
		return false, err
	case err == nil && res.Exit != 0:
		return false, fmt.Errorf("%q exited with status %d%s", rebootCommand, res.Exit, stdlib.OutputTail(res.Output))
	}
	if ended && len(cmds) > 0 {
		// The connection went before the shell said how the command
		// ended: that is what a reboot does. The index says so.
		c := &r.inStep.ix.Commands[len(r.inStep.ix.Commands)-1]
		c.OK = []int{0, c.Exit}
	}
	if !ended {
		// The reboot was accepted; the host drops the session soon.
		select {
		case <-d.Ended():
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(downWithin):
			return false, fmt.Errorf("%s did not go down within %v after %q", t.Name(), downWithin, rebootCommand)
		}
	}
	return false, nil
}

// comeBack reaches the host again and starts the new session, retrying
// until deadline. The new session's first prompt goes on the recording's
// next line.
func (h *host) comeBack(ctx context.Context, rc target.Reconnecter, before string, deadline time.Time, timeout time.Duration) (*shell.Driver, error) {
	r := h.r
	t := r.opts.Target
	live := r.ex.(*liveSession)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	wait := retryFirst
	var last error
	for attempt := 1; ; attempt++ {
		err := rc.Reconnect(dctx)
		if err == nil && before != "" && h.bootID(dctx) == before {
			err = errors.New("it still runs the boot from before the reboot")
		}
		if err == nil {
			o := r.shellOpts
			o.Cols, o.Rows = live.size()
			o.Secrets, o.Vars = r.secrets, append([]shell.Var(nil), r.vars...)
			if rem := time.Until(deadline); rem > 0 && (o.StartTimeout == 0 || rem < o.StartTimeout) {
				o.StartTimeout = rem
			}
			live.tee.newLine()
			d, serr := shell.Start(dctx, t, o, live.tee)
			if serr == nil {
				return d, nil
			}
			err = serr
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var final *target.FinalError
		if errors.As(err, &final) {
			return nil, fmt.Errorf("%s came back from the reboot but cannot be trusted: %w", t.Name(), final.Err)
		}
		if last == nil || dctx.Err() == nil {
			// An attempt cut by the deadline says less than the one before.
			last = err
		}
		if dctx.Err() != nil || time.Until(deadline) <= 0 {
			return nil, fmt.Errorf("%s did not come back within %v after the reboot (%d attempts; last: %v)", t.Name(), timeout, attempt, last)
		}
		sleep := min(wait, time.Until(deadline))
		select {
		case <-time.After(sleep):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		wait = min(wait*2, retryMax)
	}
}

// bootID reads the host's boot id through the side channel ("" when it
// cannot be read: then any answer counts as the new boot).
func (h *host) bootID(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := h.r.opts.Target.Exec(ctx, bootIDCommand, nil)
	if err != nil || res.Exit != 0 {
		return ""
	}
	return strings.TrimSpace(string(res.Stdout))
}

// sessionEnded reports an error that says the session or its connection
// ended (what a reboot does to it).
func sessionEnded(err error) bool {
	var lost *target.LostError
	return errors.Is(err, shell.ErrEnded) || errors.As(err, &lost)
}

// openUnlock opens the host's console and starts watching it for a
// passphrase prompt, when pass is set (nil, nil when not).
func (h *host) openUnlock(ctx context.Context, pass string) (*unlocker, error) {
	if pass == "" {
		return nil, nil
	}
	t := h.r.opts.Target
	h.r.addSecret("unlock", pass, "")
	c, ok := t.(target.Consoler)
	if !ok {
		return nil, fmt.Errorf("unlock= types the passphrase at %s's console, and this kind of target has none", t.Name())
	}
	con, err := c.Console(ctx)
	if err != nil {
		return nil, fmt.Errorf("unlock= needs %s's console: %w", t.Name(), err)
	}
	return startUnlock(con, pass), nil
}

// comeBackUnlocked is comeBack, given up at once when un (if any) says
// the passphrase was wrong.
func (h *host) comeBackUnlocked(ctx context.Context, un *unlocker, rc target.Reconnecter, before string, deadline time.Time, timeout time.Duration) (*shell.Driver, error) {
	if un == nil {
		return h.comeBack(ctx, rc, before, deadline, timeout)
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-un.failed():
			_, err := un.result()
			cancel(err)
		case <-wctx.Done():
		}
	}()
	nd, err := h.comeBack(wctx, rc, before, deadline, timeout)
	if cause := unlockCause(wctx); cause != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("%s did not boot: %w", h.r.opts.Target.Name(), cause)
	}
	return nd, err
}

// noteUnlock marks the recording where the disk was unlocked.
func (h *host) noteUnlock(live *liveSession, un *unlocker) {
	r, name := h.r, h.r.opts.Target.Name()
	disk, _ := un.result()
	if disk == "" {
		r.ex.note(fmt.Sprintf("[%s came back without asking for a passphrase at its console]", name))
		return
	}
	r.markers = append(r.markers, recording.Marker{At: recording.SecondsOf(live.tee.Elapsed()),
		Label: "disk " + disk + " unlocked at the console"})
	r.ex.note(fmt.Sprintf("[%s's console asked for the passphrase of disk %s: it was typed (unlock=)]", name, disk))
}
