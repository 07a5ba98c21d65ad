package handrec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/runbook-dev/runbook/recording"
)

// keys passes the keyboard to the session until the session ends (nil),
// ctx ends (nil: the caller sees ctx) or the keyboard fails. The prefix
// key and the key after it are the recorder's; everything else, Ctrl-C
// and Ctrl-D included, is the shell's.
func (r *recorder) keys(ctx context.Context, sess *session) error {
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.ended:
			cancel()
		case <-kctx.Done():
		}
	}()
	k := &keyState{r: r, sess: sess}
	buf := make([]byte, 4096)
	for {
		n, err := r.o.Keys.Read(kctx, buf)
		if n > 0 {
			if werr := k.feed(buf[:n]); werr != nil {
				return nil // the session is gone: its end says why
			}
		}
		if err != nil {
			if kctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) {
				return errors.New("the terminal hung up")
			}
			return err
		}
	}
}

// keyState is where the keyboard is: typing into the shell, after the
// prefix key, or typing a marker's name.
type keyState struct {
	r      *recorder
	sess   *session
	prefix bool
	naming bool
	name   []byte
}

func (k *keyState) feed(b []byte) error {
	pfx := k.r.o.Prefix
	start := 0
	flush := func(end int) error {
		if end > start {
			if _, err := k.sess.w.Write(b[start:end]); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case k.naming:
			if k.nameKey(c) {
				// ESC cancelled: drop the rest of its sequence.
				i = len(b)
			}
			start = i + 1
		case k.prefix:
			k.prefix = false
			start = i + 1
			if c == pfx {
				if _, err := k.sess.w.Write([]byte{pfx}); err != nil {
					return err
				}
				continue
			}
			k.action(c)
		case c == pfx:
			if err := flush(i); err != nil {
				return err
			}
			k.prefix = true
			start = i + 1
		}
	}
	if !k.naming && !k.prefix {
		return flush(len(b))
	}
	return nil
}

// prefixName shows the prefix key as a person types it.
func prefixName(p byte) string {
	switch {
	case p < 0x20:
		return "Ctrl-" + string(rune(p+0x40))
	case p == 0x7f:
		return "Ctrl-?"
	}
	return string(rune(p))
}

func (k *keyState) action(c byte) {
	t := k.r.tape
	pn := prefixName(k.r.o.Prefix)
	switch c {
	case 'p', 'P':
		if t.isStopped() {
			t.setStatus("not recording any more (stopped with q): the shell is yours until it exits", 3*time.Second)
			return
		}
		if t.togglePause() {
			t.setStatus(fmt.Sprintf("PAUSED: nothing is recorded; %s p resumes", pn), 0)
		} else {
			t.setStatus("recording again", 1500*time.Millisecond)
		}
		k.r.writeIndex(false)
	case 'm', 'M':
		if t.isStopped() {
			t.setStatus("not recording any more (stopped with q)", 3*time.Second)
			return
		}
		k.naming, k.name = true, nil
		k.drawName()
	case 'q', 'Q':
		if t.isStopped() {
			t.setStatus("recording already stopped: exit the shell to leave", 3*time.Second)
			return
		}
		at := recording.SecondsOf(t.Elapsed())
		t.stop()
		if k.r.cmds != nil {
			k.r.cmds.stop()
		}
		k.r.ixMu.Lock()
		k.r.ix.Hand.StoppedAt = &at
		k.r.res.Stopped = true
		k.r.ixMu.Unlock()
		k.r.writeIndex(true)
		t.setStatus(fmt.Sprintf("recording stopped: %s is complete; the shell goes on, unrecorded — exit it to leave", k.r.path), 5*time.Second)
	default:
		t.setStatus(fmt.Sprintf("%s then: p pause/resume · m marker · q stop recording · %s sends %s", pn, pn, pn), 4*time.Second)
	}
}

// nameKey takes one key of a marker's name; true when it was ESC.
func (k *keyState) nameKey(c byte) (esc bool) {
	switch c {
	case '\r', '\n':
		k.naming = false
		label := string(k.name)
		k.r.addMarker(label)
		shown := label
		if shown == "" {
			shown = "(unnamed)"
		}
		k.r.tape.setStatus("marker added: "+shown, 1500*time.Millisecond)
		if k.r.tape.isPaused() {
			k.r.tape.setStatus(fmt.Sprintf("PAUSED: nothing is recorded; %s p resumes", prefixName(k.r.o.Prefix)), 0)
		}
		return false
	case 0x1b, 0x03, 0x07:
		k.naming = false
		k.r.tape.setStatus("marker cancelled", 1500*time.Millisecond)
		return c == 0x1b
	case 0x7f, 0x08:
		if len(k.name) > 0 {
			_, n := utf8.DecodeLastRune(k.name)
			k.name = k.name[:len(k.name)-n]
		}
	case 0x15: // Ctrl-U
		k.name = nil
	default:
		if c >= 0x20 && len(k.name) < 200 {
			k.name = append(k.name, c)
		}
	}
	k.drawName()
	return false
}

func (k *keyState) drawName() {
	k.r.tape.setStatus("marker name (Enter: add, Esc: cancel): "+string(k.name)+"_", 0)
}
