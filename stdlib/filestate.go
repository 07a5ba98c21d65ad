package stdlib

import (
	"bytes"
	"fmt"
	"github.com/runbook-dev/runbook/internal/shellquote"
	"path"
	"strconv"
	"strings"
)

// The state of a path on the host, read through the side channel (or, in
// a dry run, as an earlier operation would have left it).

type fstate struct {
	path    string // resolved (symlinks followed)
	kind    byte   // 'f' file, 'd' directory, 'o' other, 'u' unreadable file, 'n' missing, 'N' missing with no parent directory
	mode    int
	owner   string
	group   string
	content []byte
	planned bool // predicted by an earlier operation of this dry run
}

func (s *fstate) exists() bool { return s.kind != 'n' && s.kind != 'N' }

const stateScript = `p=%s
if [ -L "$p" ]; then r=$(readlink -f -- "$p") && [ -n "$r" ] && p=$r; fi
printf '%%s\n' "$p"
if [ -d "$p" ]; then stat -c 'd %%a %%U %%G' -- "$p"
elif [ -f "$p" ]; then
  if [ -r "$p" ]; then stat -c 'f %%a %%U %%G' -- "$p" && exec cat -- "$p"; else stat -c 'u %%a %%U %%G' -- "$p"; fi
elif [ -e "$p" ]; then stat -c 'o %%a %%U %%G' -- "$p"
elif [ -d "$(dirname -- "$p")" ]; then echo n
else echo N; fi`

// checkPath reads argument n as an absolute path: the side channel and
// the session may be in different directories, so relative paths would
// mean different files to the two.
func (o *op) checkPath(n int) string {
	p := o.checkString(n, "path")
	o.target = p
	if !strings.HasPrefix(p, "/") {
		o.fail("path must be absolute")
	}
	if strings.ContainsAny(p, "\n\x00") {
		o.fail("path must not contain a newline or NUL")
	}
	return path.Clean(p)
}

// state reads what is at p now.
func (o *op) state(p string) *fstate {
	if o.m.host.DryRun() {
		if st, ok := o.m.plan[p]; ok {
			c := *st
			c.content = append([]byte(nil), st.content...)
			return &c
		}
		if st, ok := o.m.plan[path.Dir(p)]; ok && st.kind == 'd' {
			return &fstate{path: p, kind: 'n', planned: true}
		}
	}
	if st := o.m.known(p); st != nil {
		return st
	}
	st := o.readState(p)
	o.m.keep(st)
	return st
}

// readState reads what is at p through the side channel.
func (o *op) readState(p string) *fstate {
	out, code := o.exec(fmt.Sprintf(stateScript, shellquote.Quote(p)), nil)
	if code != 0 {
		o.fail("reading state failed (exit %d): %s", code, strings.TrimSpace(string(out)))
	}
	st := &fstate{path: p}
	line1, rest, _ := bytes.Cut(out, []byte("\n"))
	st.path = string(line1)
	line2, content, _ := bytes.Cut(rest, []byte("\n"))
	f := strings.Fields(string(line2))
	if len(f) == 0 || len(f[0]) != 1 {
		o.fail("reading state: unexpected answer %q", string(out))
	}
	st.kind = f[0][0]
	if len(f) >= 4 {
		m, err := strconv.ParseUint(f[1], 8, 32)
		if err != nil {
			o.fail("reading state: bad mode %q", f[1])
		}
		st.mode, st.owner, st.group = int(m), f[2], f[3]
	}
	if st.kind == 'f' {
		st.content = content
	}
	return st
}

// remember records, in a dry run, the state an operation would leave.
func (o *op) remember(st *fstate) {
	c := *st
	c.planned = true
	o.m.plan[st.path] = &c
	if o.target != "" && o.target != st.path {
		o.m.plan[o.target] = &c
	}
}

// identity is who the session's commands run as: what a new file gets.
type identity struct {
	user, group string
	umask       int
}

func (o *op) identity() *identity {
	if o.m.ident != nil {
		return o.m.ident
	}
	out, code := o.exec("id -un; id -gn; umask", nil)
	f := strings.Fields(string(out))
	if code != 0 || len(f) != 3 {
		o.fail("reading the session's user: %q", string(out))
	}
	um, err := strconv.ParseUint(f[2], 8, 32)
	if err != nil {
		o.fail("reading the session's umask: %q", f[2])
	}
	o.m.ident = &identity{user: f[0], group: f[1], umask: int(um)}
	return o.m.ident
}
