package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/runbook-dev/runbook/prompt"
)

// handOverKey gives the keyboard back to the prompt (Ctrl-], as telnet).
const handOverKey = 0x1d

// handOver is the prompt's `s`: the user's keys go, raw, to the live
// session until Ctrl-]. The recording runs meanwhile: what the session
// shows is recorded like any other output (the recorder's idle limit
// applies to the user's pauses).
func (s *StepMode) handOver(ctx context.Context, sess StepSession) error {
	// The hint goes to the display only, never to the session; Show puts
	// the shell's prompt line back under it, where the user types.
	const hint = "[shell: the session is yours; Ctrl-] returns to the step prompt]"
	if sess.Show != nil {
		sess.Show(hint)
	} else {
		fmt.Fprint(s.term.Display(), "\r\n"+hint+"\r\n")
	}
	restore, err := s.term.MakeRaw()
	if err != nil {
		return err
	}
	defer restore()

	// Read the keyboard in this goroutine; watch for the session ending
	// through a context, so a shell that exits ends the hand-over.
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if sess.Ended != nil {
		go func() {
			select {
			case <-sess.Ended:
				cancel()
			case <-hctx.Done():
			}
		}()
	}
	buf := make([]byte, 4096)
	var lastSent time.Time
	dirty := false // keys typed since the last Enter or Ctrl-C
	for {
		n, err := s.term.Read(hctx, buf)
		if err != nil {
			if ctx.Err() == nil && hctx.Err() != nil {
				return errSessionEnded
			}
			return err
		}
		b := buf[:n]
		i := bytes.IndexByte(b, handOverKey)
		if i >= 0 {
			s.term.Unread(b[i+1:])
			b = b[:i]
		}
		if len(b) > 0 {
			if _, err := sess.Keyboard.Write(b); err != nil {
				return fmt.Errorf("type into the session: %w", err)
			}
			lastSent = time.Now()
			if j := bytes.LastIndexAny(b, "\r\n\x03"); j >= 0 {
				dirty = j < len(b)-1
			} else {
				dirty = true
			}
		}
		if i < 0 {
			continue
		}
		switch err := s.handBack(hctx, sess, lastSent, dirty); {
		case err == nil:
			fmt.Fprint(s.term.Display(), "\r\n")
			return nil
		case errors.Is(err, errShellBusy):
			stepNote(sess, s, "[the shell is still busy: finish what runs there, then Ctrl-] again]")
		case ctx.Err() == nil && hctx.Err() != nil:
			return errSessionEnded
		default:
			return err
		}
	}
}

// errShellBusy: the shell is not at its prompt (a program still runs, or
// it waits for the rest of a command).
var errShellBusy = errors.New("the shell is busy")

// handBack gets the shell ready for the runbook's next command: its last
// command finished and its prompt shown (else the driver would take that
// late prompt for the end of the next command), and a half-typed line
// cleared (else the next command would be appended to it).
func (s *StepMode) handBack(ctx context.Context, sess StepSession, lastSent time.Time, dirty bool) error {
	if sess.WaitPrompt == nil {
		return nil
	}
	// Give the shell time to react to the last key (the echo of an Enter).
	if d := echoWait - time.Since(lastSent); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	wait := func() error {
		wctx, cancel := context.WithTimeout(ctx, busyAfter)
		defer cancel()
		err := sess.WaitPrompt(wctx, quietFor)
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return errShellBusy
		}
		return err
	}
	if err := wait(); err != nil {
		return err
	}
	if dirty {
		// Ctrl-E Ctrl-U: readline's end of line, then discard it.
		if _, err := sess.Keyboard.Write([]byte{0x05, 0x15}); err != nil {
			return fmt.Errorf("type into the session: %w", err)
		}
		time.Sleep(echoWait)
		return wait()
	}
	return nil
}

// Hand-back timing: how long to wait for the shell to react to the last
// key, how long it must stay quiet at its prompt, and how long before the
// user is told it is busy.
const (
	echoWait  = 300 * time.Millisecond
	quietFor  = 150 * time.Millisecond
	busyAfter = 2 * time.Second
)

func stepNote(sess StepSession, s *StepMode, text string) {
	if sess.Show != nil {
		sess.Show(text)
		return
	}
	fmt.Fprint(s.term.Display(), "\r\n"+text+"\r\n")
}

var errSessionEnded = errors.New("the session ended during the hand-over")

// ForwardResizes passes the user's terminal size to resize whenever the
// window changes (SIGWINCH), until the returned stop is called: at the
// prompt, in the hand-over and while commands run alike.
func ForwardResizes(t *prompt.Terminal, resize func(cols, rows int) error) (stop func()) {
	return OnWindowChange(func() {
		if cols, rows, err := t.Size(); err == nil {
			_ = resize(cols, rows)
		}
	})
}

// OnWindowChange calls changed, one call at a time, each time this
// process's terminal window changes size (SIGWINCH), until the returned
// stop is called; stop may be called more than once.
func OnWindowChange(changed func()) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				changed()
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
}
