package shell

import (
	"fmt"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"strings"
	"time"
)

// DefaultPrompt is the prompt a recording shows: Debian's bash prompt
// without colours (root@andromeda:~# ).
const DefaultPrompt = `\u@\h:\w\$ `

// RCFile returns the startup file of the session's bash. It first removes
// itself from disk (unless it came through a pipe, /dev/fd/N), then does what a login shell does (so PATH, aliases
// and functions are the user's), sets the prompts that print the marks,
// and defines __rb_load, which reads shell variables from the terminal
// with echo off (see Driver.Define). When load is true it calls __rb_load
// before the first prompt. The file holds no secret: secret values reach
// the shell through __rb_load only, never a file or a command line.
//
// prompt is a PS1 in bash's syntax.
func RCFile(nonce, prompt string, load bool) string {
	return rcFile(nonce, prompt, load, nil)
}

func rcFile(nonce, prompt string, load bool, desc *Describe) string {
	keep := prompt == "" && desc != nil
	if prompt == "" {
		prompt = DefaultPrompt
	}
	var b strings.Builder
	b.WriteString(`# runbook session startup: the user's login files, then runbook's prompts.
case ${BASH_SOURCE[0]} in /dev/fd/*) ;; *) rm -f -- "${BASH_SOURCE[0]}" ;; esac
if [ -r /etc/profile ]; then . /etc/profile; fi
for __rb_f in ~/.bash_profile ~/.bash_login ~/.profile; do
	if [ -r "$__rb_f" ]; then . "$__rb_f"; break; fi
done
unset __rb_f
`)
	if keep {
		// The user's own prompt, as their login files set it: the
		// described shell shows it between runbook's marks.
		fmt.Fprintf(&b, "__rb_ps1=${PS1:-%s}\n", shellquote.Quote(prompt))
	}
	// Nothing of the user's may print between a command and our marks.
	// History stays in memory: a runbook must not fill the user's file.
	fmt.Fprintf(&b, `unset PROMPT_COMMAND HISTFILE
set +o vi 2>/dev/null; set -o emacs 2>/dev/null
bind 'set enable-bracketed-paste on' 2>/dev/null
bind 'set enable-active-region off' 2>/dev/null
bind 'set horizontal-scroll-mode off' 2>/dev/null
__rb_load() {
	local __rb_t __rb_k __rb_x __rb_v __rb_c
	__rb_t=$(stty -g 2>/dev/null)
	stty -echo 2>/dev/null
	printf %s
	while IFS= read -r __rb_k && [ -n "$__rb_k" ]; do
		IFS= read -r __rb_x
		__rb_v=
		while IFS= read -r __rb_c && [ "$__rb_c" != . ]; do __rb_v+=$__rb_c; done
		printf -v "$__rb_k" %%b "$__rb_v"
		if [ "$__rb_x" = 1 ]; then export "$__rb_k"; fi
	done
	stty "$__rb_t" 2>/dev/null || stty echo 2>/dev/null
}
PS1=%s
PS2=%s
PS0=%s
PROMPT_COMMAND=%s
`,
		shellquote.Quote(`\033]133;S;`+nonce+`\007`),
		shellquote.Quote(`\[`+"\x1b]133;A;"+nonce+"\a"+`\]`+prompt+`\[`+"\x1b]133;P;"+nonce+"\a"+`\]`),
		shellquote.Quote(`\[`+"\x1b]133;B;"+nonce+"\a"+`\]> `),
		shellquote.Quote("\x1b]133;C;"+nonce+"\a"),
		shellquote.Quote(`printf '\033]133;D;%s;`+nonce+`\007' "$?"`))
	if desc != nil {
		b.WriteString(describeRC(nonce, prompt, keep, desc))
	}
	if load {
		b.WriteString("__rb_load\n")
	}
	return b.String()
}

// Describe makes the session's bash tell what a person types into it (for
// runbook rec, where nobody types through the driver): before each
// command runs it prints the working directory (MarkDir) and the command
// line as its history has it (MarkCommand), escaped by Unescape's rules
// and cut into pieces short enough for a mark. Keyboard input is never
// read for it: what a program reads with echo off (a password) is in no
// history and in no mark.
//
// A command line that may write a file (an editor, sed, tee, cat, echo
// or printf with a redirection) is held, before it runs and again after
// it ended, until the recorder has read the file: the shell prints
// MarkAsk with Arg "pre.N" or "post.N" (N is the command's history
// number) and waits, at most AskWait, for the file Dir/ack.ARG to exist.
// Dir is a private directory on the target holding a FIFO named "tick"
// (the shell's timer); the recorder makes both, and removes them.
type Describe struct {
	Dir string
	// Editors are more command names that edit a file (the basename of
	// the user's $EDITOR is added by the shell itself).
	Editors []string
}

// AskWait bounds how long the shell waits for the recorder at a MarkAsk.
const AskWait = 5 * time.Second

// editorNames are the commands after which a recorder reads the files
// they name; the recorder (not the shell) decides which files those are.
var editorNames = []string{"vi", "vim", "nvim", "view", "vim.tiny", "vim.basic", "nano", "pico", "ed", "red", "emacs", "mcedit", "sudoedit", "editor", "sed", "tee"}

func describeRC(nonce, prompt string, keep bool, desc *Describe) string {
	names := append(append([]string(nil), editorNames...), desc.Editors...)
	for i, n := range names {
		names[i] = strings.ReplaceAll(n, ".", `\.`)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# runbook rec: say what runs, hold possible file edits for the recorder.
HISTCONTROL= HISTIGNORE= HISTTIMEFORMAT=
set -o history
__rb_dir=%s
__rb_ed=%s
for __rb_f in "$EDITOR" "$VISUAL"; do
	__rb_f=${__rb_f%%%% *}; __rb_f=${__rb_f##*/}
	if [[ $__rb_f =~ ^[[:alnum:]_-]+$ ]]; then __rb_ed+="|(^|[^[:alnum:]_.-])$__rb_f([^[:alnum:]_.-]|\$)"; fi
done
unset __rb_f
__rb_redir='(^|[^[:alnum:]_.-])(cat|echo|printf)([^[:alnum:]_.-]|$)'
__rb_say() {
	local __rb_s=$2 __rb_i
	__rb_s=${__rb_s//\\/\\\\}
	__rb_s=${__rb_s//$'\a'/\\a}
	__rb_s=${__rb_s//$'\e'/\\e}
	__rb_s=${__rb_s//$'\n'/\\n}
	__rb_s=${__rb_s//$'\r'/\\r}
	for ((__rb_i = 0; __rb_i < ${#__rb_s}; __rb_i += 20)); do
		printf '\033]133;%%s;%%s;%s\007' "$1" "${__rb_s:__rb_i:20}" >&2
	done
}
__rb_ask() {
	local __rb_i __rb_x
	printf '\033]133;Q;%%s;%s\007' "$1" >&2
	for ((__rb_i = 0; __rb_i < %d; __rb_i++)); do
		[ -e "$__rb_dir/ack.$1" ] && return 0
		read -r -t 0.01 __rb_x <>"$__rb_dir/tick"
	done
	return 1
}
__rb_pre() {
	local __rb_c __rb_n
	__rb_c=$(HISTTIMEFORMAT= builtin history 1)
	__rb_c=${__rb_c#"${__rb_c%%%%[![:space:]]*}"}
	__rb_n=${__rb_c%%%%[!0-9]*}
	__rb_c=${__rb_c#"$__rb_n"}
	__rb_c=${__rb_c:2}
	__rb_say W "$PWD"
	__rb_say E "$__rb_c"
	if [[ $__rb_c =~ $__rb_ed ]] || [[ $__rb_c == *'>'* && $__rb_c =~ $__rb_redir ]]; then
		printf %%s "$__rb_n" >"$__rb_dir/edit"
		__rb_ask "pre.$__rb_n"
	fi
}
__rb_post() {
	local __rb_n
	printf '\033]133;D;%%s;%s\007' "$1"
	if [ -e "$__rb_dir/edit" ]; then
		read -r __rb_n <"$__rb_dir/edit"
		if [ "$__rb_n" != "$__rb_done" ]; then
			__rb_done=$__rb_n
			__rb_ask "post.$__rb_n"
		fi
	fi
}
PS0='$(__rb_pre)'%s
PROMPT_COMMAND='__rb_post "$?"'
`, shellquote.Quote(desc.Dir), shellquote.Quote(`(^|[^[:alnum:]_.-])(`+strings.Join(names, "|")+`)([^[:alnum:]_.-]|$)|\$\{?(EDITOR|VISUAL)([^[:alnum:]_]|$)`),
		nonce, nonce, int(AskWait/(10*time.Millisecond)), nonce,
		shellquote.Quote("\x1b]133;C;"+nonce+"\a"))
	if keep {
		fmt.Fprintf(&b, "PS1=%s\"$__rb_ps1\"%s\nunset __rb_ps1\n",
			shellquote.Quote(`\[`+"\x1b]133;A;"+nonce+"\a"+`\]`), shellquote.Quote(`\[`+"\x1b]133;P;"+nonce+"\a"+`\]`))
	}
	return b.String()
}

// Unescape undoes the escaping of the text of MarkDir and MarkCommand
// marks (their pieces joined): \\ \a \e \n \r.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'a':
			b.WriteByte('\a')
		case 'e':
			b.WriteByte(0x1b)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// LoadPayload is what __rb_load reads for vars: per variable its name,
// 1 when it is exported, its value as printf %b escapes in lines short
// enough for the terminal's line editing, and "."; an empty line ends it.
func LoadPayload(vars []Var) string {
	var b strings.Builder
	for _, v := range vars {
		b.WriteString(v.Name + "\n")
		if v.Export {
			b.WriteString("1\n")
		} else {
			b.WriteString("0\n")
		}
		var line strings.Builder
		for i := 0; i < len(v.Value); i++ {
			fmt.Fprintf(&line, "\\x%02x", v.Value[i])
			if line.Len() >= 960 {
				b.WriteString(line.String() + "\n")
				line.Reset()
			}
		}
		if line.Len() > 0 {
			b.WriteString(line.String() + "\n")
		}
		b.WriteString(".\n")
	}
	b.WriteString("\n")
	return b.String()
}

// Var is a shell variable the session defines without showing it.
type Var struct {
	Name, Value string
	Export      bool
}
