package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/engine/handrec"
	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/prompt"
)

const recUse = "runbook rec [FILE] [--host HOST] [flags]"

const recMore = `
Records a session you type by hand. Your shell (bash, with your login
files and prompt, plus runbook's marks so that each command, its working
directory and exit status are known) runs on a new terminal — on this
machine, or on HOST over SSH as runs reach it — and is shown live and
recorded as ttyrec with a .ttyrec.json index beside it (default
recordings/rec-HOST-STAMP.ttyrec). It follows your window's size. Ctrl-C
and Ctrl-D are the shell's, as in any terminal; the session ends when the
shell exits.

The prefix key (default Ctrl-\; pressed twice it sends itself) then:
  p   pause / resume: nothing is recorded while paused and the time is
      cut out (a pause in the index); the bottom line says PAUSED
  m   add a marker, named on the bottom line (Enter; Esc cancels):
      runbook draft makes each marker a step
  q   stop recording: the recording is complete, the shell goes on
      unrecorded until you exit it

The index keeps each command line (from the shell's history, never from
the keyboard: what you type at a hidden prompt, a sudo password, is in no
index, and the terminal echoes nothing of it), its directory, exit status,
start and end; markers; pauses; the host and terminal size; and, for a
command that edits a file (vi, vim, nano, ed, $EDITOR, sed -i, tee, cat or
echo > FILE), the file's content before and after, read through the side
channel while the shell waits. With --command another program runs: it is
recorded, but the index has no commands.

An existing FILE is refused without --overwrite. A kill, a dropped
connection or q leaves a valid recording to its last frame.

Examples:
  runbook rec
  runbook rec install.ttyrec --title "Install nginx" --idle-limit 2s
  runbook rec --host andromeda --sudo
  runbook rec --command "zsh -l" --overwrite demo.ttyrec
  runbook draft recordings/rec-local-20250101T120000Z.ttyrec -o install.lua

Exit codes: 0 recorded, 1 the recording could not be written, 2 usage,
3 host unreachable or untrusted, 130 interrupted (129/143 on SIGHUP/SIGTERM;
the recording stays valid).`

// recOptions are the flags of `runbook rec`.
type recOptions struct {
	host      string
	idleLimit time.Duration
	cols      int
	rows      int
	title     string
	command   string
	overwrite bool
	prefix    string
	targets   targetFlags
}

// runRec records a session typed by hand, here or on --host.
func runRec(ctx context.Context, st *IO, args []string) error {
	var o recOptions
	fs := o.flagSet(st)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	prefix, err := o.validate(st, fs)
	if err != nil {
		return err
	}

	// Where: this machine, or the host through the same SSH stack as runs.
	t, err := o.target(ctx, st)
	if err != nil {
		return err
	}
	defer t.Close()
	path, pick := fs.Arg(0), false
	if path == "" {
		path, pick = handrec.FileName("recordings", t.Name(), time.Now()), true
	}

	tm, err := prompt.NewTerminal(st.TTY, st.Out)
	if err != nil {
		return usagef("rec: %v", err)
	}
	defer tm.Close()
	cols, rows := o.cols, o.rows
	if w, h, err := tm.Size(); err == nil {
		cols, rows = pick2(cols, w), pick2(rows, h)
	}
	opts := handrec.Options{
		Target: t, Path: path, Pick: pick, Overwrite: o.overwrite,
		Cols: cols, Rows: rows, IdleLimit: o.idleLimit, Title: o.title,
		Command: o.command, Prefix: prefix, Keys: tm, Display: st.Out,
		Editors: editorNames(),
	}
	if o.cols == 0 && o.rows == 0 {
		opts.WindowSize = tm.Size
	}
	shown := path
	if pick {
		shown = filepath.Dir(path) + "/rec-" + t.Name() + "-….ttyrec"
	}
	fmt.Fprintf(st.Err, "runbook rec: recording %s to %s; %s p pauses, m marks, q stops recording; exit the shell to end\r\n",
		t.Name(), shown, prefixLabel(prefix))
	restore, err := tm.MakeRaw()
	if err != nil {
		return err
	}
	res, err := handrec.Record(ctx, opts)
	restore()
	if res != nil && res.Path != "" {
		fmt.Fprintf(st.Err, "\r\nrunbook rec: %s (%s): %s\n", res.Path, res.Ended, recSummary(res))
	}
	return err
}

// flagSet declares the flags of `runbook rec` into o.
func (o *recOptions) flagSet(st *IO) *pflag.FlagSet {
	fs := newFlags(st, "rec", recUse, recMore)
	fs.StringVar(&o.host, "host", "", "record on `HOST` over SSH: alias, user@host, host:port")
	fs.DurationVar(&o.idleLimit, "idle-limit", 0, "record pauses longer than `DUR` as DUR (e.g. 2s; 0: keep them)")
	fs.IntVar(&o.cols, "cols", 0, "terminal width (default: your terminal's)")
	fs.IntVar(&o.rows, "rows", 0, "terminal height (default: your terminal's)")
	fs.StringVar(&o.title, "title", "", "the session's `TITLE` (runbook draft's title)")
	fs.StringVar(&o.command, "command", "", "run `CMD` instead of bash with marks (recorded; the index has no commands)")
	fs.BoolVar(&o.overwrite, "overwrite", false, "record over an existing FILE")
	fs.StringVar(&o.prefix, "prefix", "C-\\", "the prefix `KEY`: C-x (Ctrl-x) or one character")
	fs.StringVar(&o.targets.user, "user", "", "log in as `USER` (overrides user@ and ssh_config)")
	fs.IntVar(&o.targets.port, "port", 0, "SSH `PORT` (overrides :port and ssh_config)")
	fs.StringArrayVarP(&o.targets.identities, "identity", "i", nil, "identity (private key) `FILE` (repeatable)")
	fs.StringVar(&o.targets.sshConfig, "ssh-config", "", "read ssh `FILE` instead of ~/.ssh/config and /etc/ssh/ssh_config")
	fs.BoolVar(&o.targets.acceptNew, "accept-new-host-key", false, "trust a host not yet in known_hosts and add its key there")
	fs.BoolVar(&o.targets.sudo, "sudo", false, "run the session under sudo -i (password asked once, or $RUNBOOK_SUDO_PASSWORD)")
	return fs
}

// validate refuses what cannot be recorded before any session starts,
// and returns --prefix parsed.
func (o *recOptions) validate(st *IO, fs *pflag.FlagSet) (byte, error) {
	if fs.NArg() > 1 {
		return 0, usagef("rec: one recording at a time, got %q", fs.Args())
	}
	prefix, err := parsePrefix(o.prefix)
	if err != nil {
		return 0, err
	}
	if o.cols < 0 || o.rows < 0 {
		return 0, usagef("rec: --cols and --rows must be positive")
	}
	if o.host == "" && (o.targets.user != "" || o.targets.port != 0 || len(o.targets.identities) > 0 || o.targets.sshConfig != "" || o.targets.acceptNew || o.targets.sudo) {
		return 0, usagef("rec: --user, --port, --identity, --ssh-config, --accept-new-host-key and --sudo need --host")
	}
	if path := fs.Arg(0); path != "" && !o.overwrite {
		if _, err := os.Stat(path); err == nil {
			return 0, &handrec.ExistsError{Path: path}
		}
	}
	if st.TTY == nil {
		return 0, usagef("rec: standard input is not a terminal: rec records what you type")
	}
	return prefix, nil
}

// target is where the session runs: --host over SSH, else this machine.
func (o *recOptions) target(ctx context.Context, st *IO) (target.Target, error) {
	if o.host == "" {
		return target.NewLocal(), nil
	}
	if _, err := rssh.ParseSpec(o.host); err != nil {
		return nil, usagef("rec: --host: %v", err)
	}
	rt, err := rssh.Dial(ctx, o.host, o.targets.sshOptions(st, o.targets.sudo, onceSudoPassword(st, nil)))
	if err != nil {
		return nil, err
	}
	return rt, nil
}

func recSummary(r *handrec.Result) string {
	var parts []string
	if r.NoCommands {
		parts = append(parts, "no commands in the index (the shell printed no marks)")
	} else {
		parts = append(parts, fmt.Sprintf("%d commands", r.Commands))
		if r.Edits > 0 {
			parts = append(parts, fmt.Sprintf("%d files edited", r.Edits))
		}
	}
	parts = append(parts, fmt.Sprintf("%d markers", r.Markers))
	if r.Paused > 0 {
		parts = append(parts, fmt.Sprintf("%s paused (cut)", r.Paused.Round(time.Second/10)))
	}
	if r.Stopped {
		parts = append(parts, "recording stopped with q before the shell ended")
	}
	return strings.Join(parts, ", ")
}

func pick2(flag, detected int) int {
	if flag > 0 {
		return flag
	}
	return detected
}

// parsePrefix reads --prefix: C-x, ^x, ctrl-x, or one character.
func parsePrefix(s string) (byte, error) {
	low := strings.ToLower(s)
	for _, p := range []string{"c-", "ctrl-", "ctrl+", "^"} {
		if rest, ok := strings.CutPrefix(low, p); ok && len(rest) == 1 {
			c := strings.ToUpper(rest)[0]
			if c >= '@' && c <= '_' {
				return c - '@', nil
			}
			if c == '?' {
				return 0x7f, nil
			}
		}
	}
	if len(s) == 1 && s[0] < 0x80 {
		return s[0], nil
	}
	return 0, usagef("rec: --prefix %q: want C-x (a control key such as C-\\ or C-a) or one character", s)
}

func prefixLabel(p byte) string {
	if p < 0x20 {
		return "Ctrl-" + string(rune(p+0x40))
	}
	return string(rune(p))
}

// editorNames are the user's editors ($VISUAL, $EDITOR): a command
// running one edits the files it names.
func editorNames() []string {
	var out []string
	for _, v := range []string{"VISUAL", "EDITOR"} {
		f := strings.Fields(os.Getenv(v))
		if len(f) > 0 {
			out = append(out, filepath.Base(f[0]))
		}
	}
	return out
}
