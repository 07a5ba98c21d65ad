package shell

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultPrompt is the prompt a recording shows: Debian's bash prompt
// without colours (root@andromeda:~# ).
const DefaultPrompt = `\u@\h:\w\$ `

// RCFile returns the startup file of the session's bash. It first does what
// a login shell does (so PATH, aliases and functions are the user's), then
// sets the prompts that print the marks, and finally removes itself from
// disk, as it may hold secret environment values.
//
// prompt is a PS1 in bash's syntax; env holds variables to export (secret
// parameters reach commands this way, never on a command line).
func RCFile(nonce, prompt string, env map[string]string) string {
	if prompt == "" {
		prompt = DefaultPrompt
	}
	var b strings.Builder
	b.WriteString(`# runbook session startup: the user's login files, then runbook's prompts.
if [ -r /etc/profile ]; then . /etc/profile; fi
for __rb_f in ~/.bash_profile ~/.bash_login ~/.profile; do
	if [ -r "$__rb_f" ]; then . "$__rb_f"; break; fi
done
unset __rb_f
`)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, Quote(env[k]))
	}
	// Nothing of the user's may print between a command and our marks.
	// History stays in memory: a runbook must not fill the user's file.
	fmt.Fprintf(&b, `unset PROMPT_COMMAND HISTFILE
set +o vi 2>/dev/null; set -o emacs 2>/dev/null
bind 'set enable-bracketed-paste on' 2>/dev/null
bind 'set enable-active-region off' 2>/dev/null
bind 'set horizontal-scroll-mode off' 2>/dev/null
PS1=%s
PS2=%s
PS0=%s
PROMPT_COMMAND=%s
rm -f -- "${BASH_SOURCE[0]}"
`,
		Quote(`\[`+"\x1b]133;A;"+nonce+"\a"+`\]`+prompt),
		Quote(`\[`+"\x1b]133;B;"+nonce+"\a"+`\]> `),
		Quote("\x1b]133;C;"+nonce+"\a"),
		Quote(`printf '\033]133;D;%s;`+nonce+`\007' "$?"`))
	return b.String()
}

// Quote quotes s for a POSIX shell.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
