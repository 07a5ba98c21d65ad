// Package shell drives an interactive bash on a target's pty the way a
// person would: it types each command (a line of printable text as it is,
// anything else as a bracketed paste, so any text runs exactly as
// written), knows from marks the shell prints when the
// command started, ended and with which status, and passes on what the
// terminal shows — marks stripped, secrets masked — to the recorder and the
// display.
//
// It imports the target contract only: not the engine's Lua side, the
// stdlib, the recorder or the player.
package shell

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/internal/shellquote"
)

// Options say how to start the session.
type Options struct {
	Cols, Rows int
	// Prompt is the PS1 shown in the recording (bash syntax); empty means
	// DefaultPrompt.
	Prompt string
	// Nonce authenticates marks; empty means a random one. Tests inject it.
	Nonce string
	// Vars are shell variables defined before the first prompt without
	// appearing on any command line, in any file or in the recording
	// (secret parameters: see Define).
	Vars []Var
	// Secrets are masked ("****") in everything passed on, in every form
	// secret.Forms lists; nil masks nothing but what AddSecret adds.
	Secrets *secret.Set
	// StartTimeout bounds the wait for the first prompt (default 30s).
	StartTimeout time.Duration
	// Describe, for a session typed by hand, makes the shell say what
	// runs (see Describe); with no Prompt it keeps the user's own PS1.
	Describe *Describe
	// OnMark, when set, is called with every mark, on the session's
	// reader goroutine, in stream order with what Output receives.
	OnMark func(Mark)
}

// Output receives what the terminal shows, from the session's reader
// goroutine, in order. It must not keep p.
type Output interface {
	Write(p []byte) (int, error)
}

// Driver is a running shell session.
type Driver struct {
	sess   target.Session
	filter *Filter
	out    Output

	notify chan struct{} // poked (never blocking) when the state changes
	done   chan struct{} // closed when the reader ends

	mu        sync.Mutex
	live      bool // after the first prompt: output is passed on
	prompts   int  // prompt marks seen
	conts     int  // continuation (PS2) marks seen
	ends      int  // end marks seen
	status    int  // status of the last end mark
	running   bool // a command of ours is running: capture its output
	capturing bool
	capture   capture
	answers   []Answer
	answerAt  int // capture offset searched for answers so far
	readErr   error
	outErr    error
	lastChunk time.Time
	atPrompt  bool // the last mark was a prompt (PS1): the shell waits for a command
	lastMark  byte // the kind of the last mark seen
	loads     int  // load marks seen (__rb_load reading variables)
	promptEnd int  // prompt-end marks seen
	muted     bool // drop what the terminal shows (Define at work)
	defined   map[string]string
	onMark    func(Mark)
}

// Answer is a reply typed when Prompt appears in a command's output.
type Answer struct {
	Prompt, Reply string
	Secret        bool
}

// Start starts bash with the engine's startup file on t and waits for its
// first prompt. What the shell prints before that prompt is not passed on.
func Start(ctx context.Context, t target.Target, opts Options, out Output) (*Driver, error) {
	nonce := opts.Nonce
	if nonce == "" {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("session nonce: %w", err)
		}
		nonce = hex.EncodeToString(b[:])
	}
	rc := rcFile(nonce, opts.Prompt, len(opts.Vars) > 0, opts.Describe)
	sess, rcPath, err := launchBash(ctx, t, target.ShellOptions{Cols: opts.Cols, Rows: opts.Rows}, rc)
	if err != nil {
		return nil, err
	}
	d := &Driver{
		sess:    sess,
		filter:  NewFilter(nonce, opts.Secrets),
		out:     out,
		notify:  make(chan struct{}, 1),
		done:    make(chan struct{}),
		defined: map[string]string{},
		onMark:  opts.OnMark,
	}
	go d.read()

	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = nil
	if len(opts.Vars) > 0 {
		// The startup file's last act is __rb_load: its mark says echo
		// is off, so what is sent now is never shown.
		if err = d.wait(wctx, func() bool { return d.loads > 0 }); err == nil {
			err = d.send(wctx, LoadPayload(opts.Vars))
		}
		for _, v := range opts.Vars {
			d.defined[v.Name] = v.Value
		}
	}
	if err == nil {
		// The prompt's end: its text is out (recorded) before any step starts.
		err = d.wait(wctx, func() bool { return d.prompts > 0 && d.promptEnd > 0 })
	}
	if err != nil {
		d.Close()
		// The startup file removes itself once read; it was not.
		if rcPath != "" {
			t.Exec(context.WithoutCancel(ctx), "rm -f "+shellquote.Quote(rcPath), nil)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s: the session's bash showed no prompt within %v: is a login file (/etc/profile, ~/.profile, ~/.bashrc) waiting for something?", t.Name(), timeout)
		}
		return nil, fmt.Errorf("%s: the session's bash showed no prompt: %w", t.Name(), err)
	}
	return d, nil
}

// AddSecret masks s in everything passed on from now on.
func (d *Driver) AddSecret(s string) { d.filter.AddSecret(s) }

// Defined reports whether the session's shell has variable name set to value.
func (d *Driver) Defined(name, value string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.defined[name]
	return ok && v == value
}

// Define sets shell variables in the session without showing them: it
// types __rb_load (defined by the startup file), which turns echo off and
// prints a mark, then sends the values, and drops everything the terminal
// shows from the moment it types until the next prompt has been printed.
// The recording and the display see nothing of it: the next command
// appears after the prompt that was already there. Call it at a prompt,
// never while a command runs.
func (d *Driver) Define(ctx context.Context, vars []Var) error {
	var todo []Var
	d.mu.Lock()
	for _, v := range vars {
		if have, ok := d.defined[v.Name]; !ok || have != v.Value {
			todo = append(todo, v)
		}
	}
	if len(todo) == 0 {
		d.mu.Unlock()
		return nil
	}
	loads, prompts, ends := d.loads, d.prompts, d.promptEnd
	d.muted = true
	d.mu.Unlock()
	err := d.define(ctx, todo, loads, prompts, ends)
	d.mu.Lock()
	d.muted = false
	if err == nil {
		for _, v := range todo {
			d.defined[v.Name] = v.Value
		}
	}
	d.mu.Unlock()
	return err
}

func (d *Driver) define(ctx context.Context, todo []Var, loads, prompts, ends int) error {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := d.send(wctx, " __rb_load\r"); err != nil {
		return err
	}
	if err := d.wait(wctx, func() bool { return d.loads > loads }); err != nil {
		return fmt.Errorf("define the session's secret variables: %w", err)
	}
	if err := d.send(wctx, LoadPayload(todo)); err != nil {
		return err
	}
	if err := d.wait(wctx, func() bool { return d.prompts > prompts && d.promptEnd > ends }); err != nil {
		return fmt.Errorf("define the session's secret variables: %w", err)
	}
	return nil
}

// read is the reader goroutine: it owns the session's output.
func (d *Driver) read() {
	defer close(d.done)
	buf := make([]byte, 64*1024)
	for {
		n, err := d.sess.Read(buf)
		if n > 0 {
			d.filter.Feed(buf[:n], d.text, d.mark)
			d.mu.Lock()
			d.lastChunk = time.Now()
			d.mu.Unlock()
		}
		if err != nil {
			d.filter.Flush(d.text)
			d.mu.Lock()
			if errors.Is(err, io.EOF) {
				err = ErrEnded
			}
			d.readErr = err
			d.mu.Unlock()
			d.poke()
			return
		}
	}
}

// ErrEnded reports that the shell exited (or the pty hung up).
var ErrEnded = errors.New("the session's shell ended (did a command exit it?)")

func (d *Driver) text(p []byte) {
	d.mu.Lock()
	if d.muted {
		d.mu.Unlock()
		return
	}
	live, capturing := d.live, d.capturing
	if capturing {
		d.capture.add(p)
	}
	var due []Answer
	if capturing && len(d.answers) > 0 {
		due = d.dueAnswers()
	}
	d.mu.Unlock()
	if live {
		if _, err := d.out.Write(p); err != nil {
			d.mu.Lock()
			if d.outErr == nil {
				d.outErr = err
			}
			d.mu.Unlock()
		}
	}
	for _, a := range due {
		go d.sess.Write([]byte(a.Reply + "\r"))
	}
}

// dueAnswers returns the answers whose prompt appeared since the last
// search; each answer is typed once per appearance. Called with d.mu held.
func (d *Driver) dueAnswers() []Answer {
	text := d.capture.head.Bytes()
	if d.answerAt > len(text) {
		return nil
	}
	var due []Answer
	best := -1
	for _, a := range d.answers {
		if i := bytes.Index(text[d.answerAt:], []byte(a.Prompt)); i >= 0 {
			due = append(due, a)
			best = max(best, d.answerAt+i+len(a.Prompt))
		}
	}
	if best >= 0 {
		d.answerAt = best
	}
	return due
}

func (d *Driver) mark(m Mark) {
	d.mu.Lock()
	switch m.Kind {
	case MarkLoad:
		d.loads++
		d.mu.Unlock()
		d.poke()
		return
	case MarkDir, MarkCommand, MarkAsk:
		// What a described shell says: for OnMark alone, so that the
		// prompt counting (a prompt follows an end mark) stays as it is.
		d.mu.Unlock()
		if d.onMark != nil {
			d.onMark(m)
		}
		return
	case MarkPromptEnd:
		if d.prompts > 0 && d.lastMark == MarkPrompt {
			d.promptEnd = d.prompts
		}
		d.mu.Unlock()
		d.poke()
		return
	case MarkPrompt:
		// Readline reprints the whole prompt, mark and all, when it
		// redraws the line (a paste, a wrap, a resize): only a prompt
		// that follows a command's end (PROMPT_COMMAND runs before every
		// real prompt, the first one included) is a new one.
		if d.lastMark == MarkEnd {
			d.prompts++
		}
		d.atPrompt = true
		d.live = true
		d.capturing = false
	case MarkContinue:
		d.conts++
		d.atPrompt = false
	case MarkStart:
		d.atPrompt = false
		if d.running {
			d.capturing = true
		}
	case MarkEnd:
		d.ends++
		d.capturing = false
		if n, err := strconv.Atoi(m.Arg); err == nil {
			d.status = n
		}
	}
	d.lastMark = m.Kind
	d.mu.Unlock()
	d.poke()
	if d.onMark != nil {
		d.onMark(m)
	}
}

func (d *Driver) poke() {
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

// wait blocks until cond (called with d.mu held) is true, ctx ends or the
// session ends.
func (d *Driver) wait(ctx context.Context, cond func() bool) error {
	for {
		d.mu.Lock()
		ok, rerr := cond(), d.readErr
		d.mu.Unlock()
		if ok {
			return nil
		}
		if rerr != nil {
			return rerr
		}
		select {
		case <-d.notify:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Result is the outcome of one command.
type Result struct {
	Exit   int
	Output string // the command's output: CR LF → LF, escape sequences removed
	// Raw is the output as the terminal got it (marks stripped, secrets masked).
	Raw      []byte
	TimedOut bool
}

// RunOptions are the options of one command.
type RunOptions struct {
	// Timeout interrupts the command (Ctrl-C) when it runs longer; 0: none.
	Timeout time.Duration
	Answers []Answer
	// Vars are defined (unseen, see Define) before the command is typed:
	// the secrets it refers to.
	Vars []Var
}

// typed is what is typed at the prompt to run cmd. A command that is one
// line of printable ASCII is typed as it is, as a person types it; any
// other (several lines, a tab, a control or non-ASCII byte) is a
// bracketed paste, so readline takes every byte as text: a tab does not
// complete, a newline does not run half of it, a byte above 0x7f is never
// read as Meta. readline reads a paste one byte at a time, its markers
// included: 12 more reads and selects a command, most of what bash
// spends on a short one.
func typed(cmd string) string {
	for i := 0; i < len(cmd); i++ {
		if c := cmd[i]; c < 0x20 || c > 0x7e {
			return "\x1b[200~" + cmd + "\x1b[201~\r"
		}
	}
	return cmd + "\r"
}

// IncompleteError reports a command the shell could not finish reading
// (an unclosed quote, heredoc or block): it was interrupted.
type IncompleteError struct{ Cmd string }

func (e *IncompleteError) Error() string {
	return "the shell waited for more input (unclosed quote, heredoc or block?); the command was interrupted"
}

// Run types cmd at the prompt and waits for the next prompt. A non-zero
// exit is in the result; errors are for cancellation (the command is
// interrupted with Ctrl-C first), an incomplete command and a lost session.
func (d *Driver) Run(ctx context.Context, cmd string, opts RunOptions) (Result, error) {
	cmd = strings.TrimRight(cmd, "\n")
	if err := d.Define(ctx, opts.Vars); err != nil {
		return Result{Exit: -1}, err
	}
	for _, a := range opts.Answers {
		if a.Secret {
			d.filter.AddSecret(a.Reply)
		}
	}
	d.mu.Lock()
	prompts, conts, ends := d.prompts, d.conts, d.ends
	d.running = true
	d.capture = capture{}
	d.answers = opts.Answers
	d.answerAt = 0
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running, d.capturing, d.answers = false, false, nil
		d.mu.Unlock()
	}()

	if err := d.send(ctx, typed(cmd)); err != nil {
		return Result{}, err
	}
	wctx, cancel := ctx, context.CancelFunc(func() {})
	if opts.Timeout > 0 {
		wctx, cancel = context.WithTimeout(ctx, opts.Timeout)
	}
	defer cancel()
	incomplete := false
	err := d.wait(wctx, func() bool {
		incomplete = d.conts > conts
		return d.prompts > prompts || incomplete
	})
	timedOut := err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded)
	if incomplete || timedOut || (err != nil && ctx.Err() != nil) {
		// Interrupt it as a person would, and wait for the prompt so the
		// recording shows it; a stuck shell gets a few more tries.
		if ierr := d.interrupt(context.WithoutCancel(ctx), prompts); ierr != nil && err == nil {
			err = ierr
		}
	}
	d.mu.Lock()
	res := Result{Exit: -1, Raw: d.capture.bytes()}
	if d.ends > ends {
		res.Exit = d.status
	}
	d.mu.Unlock()
	res.Output = CleanText(res.Raw)
	switch {
	case incomplete:
		return res, &IncompleteError{Cmd: cmd}
	case timedOut:
		res.TimedOut = true
		return res, nil
	}
	return res, err
}

// Comment shows text at the prompt as shell comment lines.
func (d *Driver) Comment(ctx context.Context, text string) error {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		lines = append(lines, "# "+l)
	}
	_, err := d.Run(ctx, strings.Join(lines, "\n"), RunOptions{})
	return err
}

// interrupt sends Ctrl-C until a prompt newer than the one counted in
// prompts shows, trying a few times over a few seconds.
func (d *Driver) interrupt(ctx context.Context, prompts int) error {
	for try := 0; try < 4; try++ {
		if err := d.send(ctx, "\x03"); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		err := d.wait(wctx, func() bool { return d.prompts > prompts })
		cancel()
		if err == nil {
			return nil
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
	return errors.New("the command did not stop on Ctrl-C")
}

// Keyboard is the session's input, for a person taking over the shell
// (step mode); the driver must not be running a command meanwhile.
func (d *Driver) Keyboard() io.Writer { return d.sess }

// WaitPrompt waits until the shell sits at its prompt — the last mark it
// printed is a prompt, and it has shown nothing for quiet since — so that
// the next Run does not take a late prompt for its own. A person handing
// the session back (step mode's shell) may leave a command finishing.
func (d *Driver) WaitPrompt(ctx context.Context, quiet time.Duration) error {
	for {
		d.mu.Lock()
		at, last, rerr := d.atPrompt, d.lastChunk, d.readErr
		d.mu.Unlock()
		if rerr != nil {
			return rerr
		}
		wait := quiet
		if at {
			if wait = quiet - time.Since(last); wait <= 0 {
				return nil
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-d.notify:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}

// Resize changes the session's terminal size (the user's window changed).
func (d *Driver) Resize(cols, rows int) error { return d.sess.Resize(cols, rows) }

// Ended is closed when the session's shell has ended.
func (d *Driver) Ended() <-chan struct{} { return d.done }

// Interrupt sends Ctrl-C to the session.
func (d *Driver) Interrupt(ctx context.Context) error { return d.send(ctx, "\x03") }

// send writes s to the session without outliving ctx.
func (d *Driver) send(ctx context.Context, s string) error {
	errc := make(chan error, 1)
	go func() {
		_, err := io.WriteString(d.sess, s)
		errc <- err
	}()
	select {
	case err := <-errc:
		return typedErr(err)
	case <-ctx.Done():
	case <-d.done:
	}
	// Cancelled while typing: the bytes may be in the terminal already
	// (the goroutine has not said so yet), the command running. A write
	// that finishes soon wins, so the caller interrupts what it started;
	// one the shell does not take in that time is given up.
	if ctx.Err() != nil {
		select {
		case err := <-errc:
			return typedErr(err)
		case <-d.done:
		case <-time.After(sendGrace):
		}
		return ctx.Err()
	}
	return ErrEnded
}

// sendGrace is how long a cancelled send waits for its write to finish.
const sendGrace = 2 * time.Second

func typedErr(err error) error {
	if err != nil {
		return fmt.Errorf("type into the session: %w", err)
	}
	return nil
}

// Err is why the session ended (ErrEnded when its shell exited, the
// target's error when the connection broke); nil while it runs.
func (d *Driver) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.readErr
}

// OutputErr returns the first error writing what the terminal showed to
// the Output (a full disk, a closed display).
func (d *Driver) OutputErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.outErr
}

// Close ends the session and waits for its reader to pass on the last bytes.
func (d *Driver) Close() error {
	err := d.sess.Close()
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
	}
	return err
}

// launchBash starts the session's bash with rc as its startup file: handed
// over directly where the target can (this machine), else put in place
// through the side channel, private to the user, and run from there.
// rcPath is the file it was put in, "" when handed over directly.
func launchBash(ctx context.Context, t target.Target, so target.ShellOptions, rc string) (sess target.Session, rcPath string, err error) {
	if bs, ok := t.(target.BashStarter); ok {
		sess, err := bs.StartBash(ctx, so, []byte(rc))
		if err != nil {
			return nil, "", fmt.Errorf("%s: start the session's shell: %w", t.Name(), err)
		}
		return sess, "", nil
	}
	res, err := t.Exec(ctx, `umask 077; f=$(mktemp "${TMPDIR:-/tmp}/runbook-rc.XXXXXXXX") && cat >"$f" && printf %s "$f"`, strings.NewReader(rc))
	if err == nil && res.Exit != 0 {
		err = fmt.Errorf("exit %d: %s", res.Exit, bytes.TrimSpace(res.Stderr))
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: put the session's startup file in place: %w", t.Name(), err)
	}
	rcPath = strings.TrimSpace(string(res.Stdout))
	so.Command = "exec bash --noprofile --rcfile " + shellquote.Quote(rcPath) + " -i"
	sess, err = t.Shell(ctx, so)
	if err != nil {
		t.Exec(context.WithoutCancel(ctx), "rm -f "+shellquote.Quote(rcPath), nil)
		return nil, "", fmt.Errorf("%s: start the session's shell: %w", t.Name(), err)
	}
	return sess, rcPath, nil
}
