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
		}
		if i >= 0 {
			fmt.Fprint(s.term.Display(), "\r\n")
			return nil
		}
	}
}

var errSessionEnded = errors.New("the session ended during the hand-over")

// ForwardResizes passes the user's terminal size to resize whenever the
// window changes (SIGWINCH), until the returned stop is called: at the
// prompt, in the hand-over and while commands run alike.
func ForwardResizes(t *prompt.Terminal, resize func(cols, rows int) error) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				if cols, rows, err := t.Size(); err == nil {
					_ = resize(cols, rows)
				}
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
