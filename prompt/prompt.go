package prompt

import (
	"context"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// Item is what the prompt shows before one command.
type Item struct {
	Step  int    // 1-based step number
	Steps int    // steps in the runbook
	Name  string // the step's name
	// Narration is the step's comments, shown when non-empty (the caller
	// passes them with the first command of a step).
	Narration []string
	// Command is the command about to be typed into the session.
	Command string
	// Op names the stdlib operation that would type Command ("file.line"),
	// empty for a plain command; Target is what it acts on and Diff the
	// change it would make, as a dry run shows it.
	Op     string
	Target string
	Diff   string
	// Intent is what the operation makes true, shown before the command.
	Intent string
}

// Action is what the user chose.
type Action int

const (
	Run      Action = iota // run the command (y, Enter)
	Skip                   // do not run it (n)
	Shell                  // hand the keyboard to the session, then ask again (s)
	Continue               // run it and every later command without asking (c)
	Quit                   // stop here (q, Ctrl-C)
)

func (a Action) String() string {
	switch a {
	case Run:
		return "run"
	case Skip:
		return "skip"
	case Shell:
		return "shell"
	case Continue:
		return "continue"
	case Quit:
		return "quit"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Decision is the outcome of one prompt.
type Decision struct {
	Action Action
	// Command is what to run: Item.Command, or the user's edit of it.
	Command string
	// Edited is true when Command differs from Item.Command.
	Edited bool
}

// Phase names what the user is doing while the caller's recording is
// paused, for the index's pause reasons.
const (
	PhasePrompt = "prompt"
	PhaseEditor = "editor"
)

// Prompter asks the user about commands, one key at a time.
type Prompter struct {
	T *Terminal
	// Editor is the command line of the external editor ($VISUAL, else
	// $EDITOR); empty means the inline line editor.
	Editor string
	// OnPhase, when set, is called with PhaseEditor when the editor opens
	// and PhasePrompt when it closes, so the caller can label the time it
	// cuts from its recording.
	OnPhase func(phase string)
	// Without lists choice keys the caller cannot carry out ("es": a
	// player has no session to edit a command for or to open a shell
	// in). They are left off the key line and the help; pressing one
	// rings the bell.
	Without string
	// Help, when set, replaces the help shown for ?, for a caller whose
	// choices mean something else (y plays a command's stretch).
	Help string
}

// New returns a Prompter on t using $VISUAL or $EDITOR.
func New(t *Terminal) *Prompter {
	ed := os.Getenv("VISUAL")
	if ed == "" {
		ed = os.Getenv("EDITOR")
	}
	return &Prompter{T: t, Editor: ed}
}

// Keys is the prompt line.
const Keys = "[y]es  [n]o/skip  [e]dit  [s]hell  [c]ontinue  [q]uit  [?]"

const help = `  y, Enter  run this command
  n         skip it (the index records it as skipped)
  e         edit it first (in $VISUAL/$EDITOR, else on this line)
  s         open the live session's shell; Ctrl-] comes back here
  c         run this and every later command without asking
  q         stop here; the recording is closed cleanly
  ?         this help
`

// KeyLine is the prompt line without the keys in Without.
func (p *Prompter) KeyLine() string {
	if p.Without == "" {
		return Keys
	}
	var kept []string
	for _, f := range strings.Fields(Keys) {
		if len(f) > 2 && f[0] == '[' && strings.ContainsRune(p.Without, rune(f[1])) {
			continue
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, "  ")
}

func (p *Prompter) help() string {
	if p.Help != "" {
		return p.Help
	}
	if p.Without == "" {
		return help
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(help, "\n") {
		if k := strings.TrimSpace(l); k != "" && strings.ContainsRune(p.Without, rune(k[0])) {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

func (p *Prompter) offers(r rune) bool { return !strings.ContainsRune(p.Without, unicode.ToLower(r)) }

// Header renders what the prompt shows above its key line.
func Header(it Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n\x1b[1mstep %d/%d: %s\x1b[0m\n", it.Step, it.Steps, it.Name)
	for _, c := range it.Narration {
		for _, l := range strings.Split(strings.TrimRight(c, "\n"), "\n") {
			fmt.Fprintf(&b, "  \x1b[2m%s\x1b[0m\n", l)
		}
	}
	if it.Op != "" {
		fmt.Fprintf(&b, "%s\n", strings.TrimSpace(it.Op+" "+it.Target))
		if it.Intent != "" {
			fmt.Fprintf(&b, "  = %s\n", it.Intent)
		}
		writeCommand(&b, "  would type: ", it.Command)
		if it.Diff != "" {
			for _, l := range strings.Split(strings.TrimRight(it.Diff, "\n"), "\n") {
				fmt.Fprintf(&b, "  %s\n", l)
			}
		}
	} else if it.Command != "" {
		writeCommand(&b, "$ ", it.Command)
	}
	return b.String()
}

func writeCommand(b *strings.Builder, lead, cmd string) {
	pad := strings.Repeat(" ", len(lead))
	for i, l := range strings.Split(cmd, "\n") {
		if i == 0 {
			fmt.Fprintf(b, "%s\x1b[1m%s\x1b[0m\n", lead, l)
		} else {
			fmt.Fprintf(b, "%s\x1b[1m%s\x1b[0m\n", pad, l)
		}
	}
}

// Ask shows it and reads keys until the user decides. The terminal is in
// raw mode only while a key is awaited and is put back as it was on every
// way out, a panic included. Ctrl-C answers Quit. The error is ctx's when
// it ends first, or the keyboard's when it fails.
func (p *Prompter) Ask(ctx context.Context, it Item) (Decision, error) {
	d := Decision{Action: Run, Command: it.Command}
	// What was typed before this prompt showed is not an answer to it.
	p.T.Flush()
	p.T.crlf(Header(it))
	for {
		if d.Edited {
			p.T.crlf("edited: \x1b[1m" + d.Command + "\x1b[0m\n")
		}
		k, err := p.readChoice(ctx)
		if err != nil {
			p.T.crlf("\n")
			return d, err
		}
		if k.name == "" && k.r < 0x80 && !p.offers(k.r) {
			p.T.crlf("\a\r\x1b[K")
			continue
		}
		switch {
		case k.r == 'y' || k.r == 'Y' || k.r == '\r' || k.r == '\n':
			p.T.crlf("yes\n")
			d.Action = Run
			return d, nil
		case k.r == 'n' || k.r == 'N':
			p.T.crlf("skip\n")
			d.Action = Skip
			return d, nil
		case k.r == 's' || k.r == 'S':
			p.T.crlf("shell\n")
			d.Action = Shell
			return d, nil
		case k.r == 'c' || k.r == 'C':
			p.T.crlf("continue\n")
			d.Action = Continue
			return d, nil
		case k.r == 'q' || k.r == 'Q' || k.r == ctrlC || k.r == ctrlD:
			p.T.crlf("quit\n")
			d.Action = Quit
			return d, nil
		case k.r == 'e' || k.r == 'E':
			p.T.crlf("edit\n")
			cmd, err := p.edit(ctx, d.Command)
			if err != nil {
				if ctx.Err() != nil {
					return d, err
				}
				p.T.crlf("edit failed: " + err.Error() + "\n")
				continue
			}
			d.Command = cmd
			d.Edited = cmd != it.Command
		case k.r == '?' || k.r == 'h':
			p.T.crlf("?\n" + p.help())
		default:
			p.T.crlf("\a")
			p.T.crlf("\r\x1b[K")
		}
	}
}

// readChoice shows the key line and reads one key in raw mode.
func (p *Prompter) readChoice(ctx context.Context) (key, error) {
	// Raw before the key line shows: a Ctrl-C typed as soon as it shows
	// must reach us as a key, not be eaten by the line discipline.
	restore, err := p.T.MakeRaw()
	if err != nil {
		return key{}, err
	}
	defer restore()
	p.T.crlf("\r\x1b[K" + p.KeyLine() + " ")
	for {
		k, err := p.T.readKey(ctx)
		if err != nil {
			return k, err
		}
		if k.name == "" { // ignore arrows and other special keys
			return k, nil
		}
	}
}

// edit lets the user change cmd, in the external editor when one is set.
func (p *Prompter) edit(ctx context.Context, cmd string) (string, error) {
	if p.Editor == "" {
		return p.editInline(ctx, cmd)
	}
	if p.OnPhase != nil {
		p.OnPhase(PhaseEditor)
		defer p.OnPhase(PhasePrompt)
	}
	return p.editExternal(ctx, cmd)
}
