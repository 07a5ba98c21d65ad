package stdlib

import (
	"context"
	"time"
)

// Host is what the stdlib modules need from the engine. The engine
// implements it; the stdlib never imports the engine.
type Host interface {
	// Name is the target's name ("local", "andromeda"), for messages.
	Name() string

	// Run types cmd into the recorded session, exactly as sh() does, and
	// waits for it. Use it for the command that really makes a change, so
	// the recording reads like a person doing it by hand. A non-zero exit
	// is in the result, not an error; errors are for failing to run
	// (cancelled, connection lost).
	Run(ctx context.Context, cmd string, opts RunOptions) (RunResult, error)

	// Exec runs cmd through `sh -c` on the side channel: not shown, not
	// recorded, same privileges as the session. It runs even in a dry
	// run, so use it only to read state.
	Exec(ctx context.Context, cmd string, stdin []byte) (stdout []byte, exit int, err error)

	// ReadLocal reads a file on the user's machine (for file.upload).
	ReadLocal(path string) ([]byte, error)

	// DryRun reports whether this is a --dry-run: nothing may change.
	DryRun() bool
	// ShowDiff reports whether diffs are shown (--diff, and always in a dry run).
	ShowDiff() bool

	// Show prints text to the user's display only (diffs, "would change"
	// notes). It is never recorded.
	Show(text string)

	// Changed records the outcome of one operation in the current step:
	// op is "file.line" etc., target what it acted on, changed whether it
	// changed (or, in a dry run, would change) something.
	Changed(op, target string, changed bool)

	// Secrets returns the values that must be masked ("****") wherever they
	// would be shown or recorded.
	Secrets() []string
}

// RunOptions are the options of one recorded command.
type RunOptions struct {
	// OK lists accepted exit statuses; empty means {0}.
	OK []int
	// Op names the stdlib operation, for the index ("file.write").
	Op string
	// Answers maps prompt texts (substring of output) to replies typed
	// when they appear; Secret answers are never recorded or shown.
	Answers []Answer
	// Env is extra environment for this command only (NAME=value), passed
	// without showing secret values on the command line.
	Env []string
	// Target is what the operation acts on ("/etc/default/grub") and Diff
	// the change the command makes (unified, secrets masked), for the step
	// prompt of --step, which shows them before asking. Both optional.
	Target string
	Diff   string
	// Quiet is environment (NAME=value) the session exports out of
	// sight before the command: settings a person would have made once
	// (apt's noninteractive frontend), not part of what they type.
	Quiet []string
}

// Answer is a reply typed when Prompt appears in a command's output.
type Answer struct {
	Prompt string
	Reply  string
	Secret bool
}

// RunResult is the outcome of a recorded command.
type RunResult struct {
	Exit   int
	Output string // CR LF → LF, escape sequences removed
	// Skipped: the user skipped the command at the step prompt (--step),
	// so it did not run; the operation then ends as unchanged.
	Skipped bool
}

// Rebooter is implemented by a Host that can reboot its target: type the
// reboot command into the session, and with wait, reconnect when the
// host is back (within timeout), the recording noting the gap.
// host.reboot fails clearly on a Host that does not implement it.
type Rebooter interface {
	Reboot(ctx context.Context, o RebootOptions) error
}

// RebootOptions are host.reboot's.
type RebootOptions struct {
	Wait    bool
	Timeout time.Duration
	// Unlock, when set, is the passphrase to type at the host's console
	// when its initramfs asks for one to unlock an encrypted disk. It is
	// a secret: it goes to the console and nowhere else.
	Unlock string
}

// CommandNotifier is implemented by a Host that calls f before every
// command it types into the session (sh(), a handler's, the stdlib's own).
// With it the stdlib keeps what it read of a file until the next command
// and reads an operation's result back lazily — before the next command,
// at the end of the step — so that a run of edits to one file costs one
// read, not two per edit. Without it every operation reads before and
// after.
type CommandNotifier interface {
	BeforeCommand(f func())
}
