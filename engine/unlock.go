package engine

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sync"
)

// unlockPrompt matches an initramfs asking at the console for the
// passphrase of an encrypted disk: Debian's cryptroot ("Please unlock
// disk crypt: "; stretch adds the device, "(/dev/sda2)") and
// systemd-cryptsetup ("Please enter passphrase for disk ...:").
var unlockPrompt = regexp.MustCompile(`(?:Please unlock disk|Please enter passphrase for disk) ([^\s:()]+)[^:\n]*: *$`)

// badPassphrase is what cryptroot says before asking again.
var badPassphrase = regexp.MustCompile(`bad password|No key available with this passphrase`)

// csi matches the escape sequences a console line may carry.
var csi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// unlocker watches a host's console while it boots and types the
// passphrase once, at the first prompt. A second prompt means the
// passphrase was wrong: it reports that and types nothing more (a retry
// loop would only lock the disk out longer, or type a secret again).
type unlocker struct {
	con  io.ReadWriteCloser
	pass string

	mu      sync.Mutex
	disk    string // the disk the passphrase was typed for
	err     error  // why unlocking failed
	done    chan struct{}
	closing bool
}

// startUnlock watches con until it is closed.
func startUnlock(con io.ReadWriteCloser, pass string) *unlocker {
	u := &unlocker{con: con, pass: pass, done: make(chan struct{})}
	go u.watch()
	return u
}

// failed is closed when unlocking has failed; err says why.
func (u *unlocker) failed() <-chan struct{} { return u.done }

func (u *unlocker) result() (disk string, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.disk, u.err
}

func (u *unlocker) close() {
	u.mu.Lock()
	u.closing = true
	u.mu.Unlock()
	u.con.Close()
}

func (u *unlocker) fail(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err == nil {
		u.err = err
		close(u.done)
	}
}

func (u *unlocker) watch() {
	buf := make([]byte, 4096)
	var line []byte // what the console printed since its last line end
	for {
		n, err := u.con.Read(buf)
		for _, b := range buf[:n] {
			if b == '\n' || b == '\r' {
				u.seeLine(string(line))
				line = line[:0]
				continue
			}
			if len(line) < 1024 {
				line = append(line, b)
			}
		}
		// A prompt has no line end: it waits on the line.
		if len(line) > 0 && u.prompted(string(line)) {
			line = line[:0]
		}
		if err != nil {
			u.mu.Lock()
			quiet := u.closing || u.disk != ""
			u.mu.Unlock()
			if !quiet {
				u.fail(fmt.Errorf("the console ended before it asked for a passphrase: %w", err))
			}
			return
		}
	}
}

// seeLine looks at one whole line the console printed.
func (u *unlocker) seeLine(s string) {
	s = csi.ReplaceAllString(s, "")
	u.mu.Lock()
	typed := u.disk != ""
	u.mu.Unlock()
	if typed && badPassphrase.MatchString(s) {
		// Not the console's line itself: a console that echoes could
		// have put the passphrase on it.
		u.fail(fmt.Errorf("the passphrase given as unlock= is wrong: the console said %q; it was typed once and is not tried again", badPassphrase.FindString(s)))
	}
}

// prompted types the passphrase when s, the line so far, is the prompt,
// and reports whether it was one.
func (u *unlocker) prompted(s string) bool {
	m := unlockPrompt.FindStringSubmatch(csi.ReplaceAllString(s, ""))
	if m == nil {
		return false
	}
	u.mu.Lock()
	first := u.disk == ""
	if first {
		u.disk = m[1]
	}
	u.mu.Unlock()
	if !first {
		u.fail(fmt.Errorf("the console asked again for the passphrase of disk %s: the passphrase given as unlock= is wrong (typed once, not tried again)", m[1]))
		return true
	}
	if _, err := io.WriteString(u.con, u.pass+"\r"); err != nil {
		u.fail(fmt.Errorf("type the passphrase of disk %s at the console: %w", m[1], err))
	}
	return true
}

// unlockCause is what ended a reboot's wait when unlocking failed.
func unlockCause(ctx context.Context) error {
	if c := context.Cause(ctx); c != nil && c != context.Canceled && c != context.DeadlineExceeded {
		return c
	}
	return nil
}
