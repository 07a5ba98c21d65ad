package shell

import (
	"fmt"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"strings"
)

// DefaultPrompt is the prompt a recording shows: Debian's bash prompt
// without colours (root@andromeda:~# ).
const DefaultPrompt = `\u@\h:\w\$ `

// RCFile returns the startup file of the session's bash. It first removes
// itself from disk, then does what a login shell does (so PATH, aliases
// and functions are the user's), sets the prompts that print the marks,
// and defines __rb_load, which reads shell variables from the terminal
// with echo off (see Driver.Define). When load is true it calls __rb_load
// before the first prompt. The file holds no secret: secret values reach
// the shell through __rb_load only, never a file or a command line.
//
// prompt is a PS1 in bash's syntax.
func RCFile(nonce, prompt string, load bool) string {
	if prompt == "" {
		prompt = DefaultPrompt
	}
	var b strings.Builder
	b.WriteString(`# runbook session startup: the user's login files, then runbook's prompts.
rm -f -- "${BASH_SOURCE[0]}"
if [ -r /etc/profile ]; then . /etc/profile; fi
for __rb_f in ~/.bash_profile ~/.bash_login ~/.profile; do
	if [ -r "$__rb_f" ]; then . "$__rb_f"; break; fi
done
unset __rb_f
`)
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
	if load {
		b.WriteString("__rb_load\n")
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
