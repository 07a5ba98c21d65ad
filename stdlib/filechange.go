package stdlib

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/runbook-dev/runbook/internal/shellquote"
)

// Making a file's content, mode and owner what an operation wants, with
// the commands a person would type: sed -i for a few line edits, a
// heredoc into a temporary file then mv for whole files (base64 when a
// heredoc cannot carry the content exactly), chmod/chown for attributes.
// The state is read again afterwards, so a command that did not do
// exactly what was asked fails the operation instead of passing silently.

// attrs are the mode and owner an operation asks for (-1/"": keep, or the
// session's default for a new file).
type attrs struct {
	mode         int
	owner, group string
}

func (p opts) attrs() attrs {
	return attrs{mode: p.mode("mode"), owner: p.str("owner", ""), group: p.str("group", "")}
}

// applyTo sets in want the attributes asked for.
func (a attrs) applyTo(want *fstate) {
	if a.mode >= 0 {
		want.mode = a.mode
	}
	if a.owner != "" {
		want.owner = a.owner
	}
	if a.group != "" {
		want.group = a.group
	}
}

// stageLimit is the size past which content is not typed into the
// session but staged through the side channel, then moved into place by
// the visible command: a megabyte of base64 helps no reader of a recording.
const stageLimit = 64 << 10

// lineEdit is how an operation that changes part of a file types it: cmd is
// its copy-safe command (lineedit.go), "" when none could be made.
type lineEdit struct {
	cmd string
	// create: the command also makes a missing file (file.line's create=true).
	create bool
}

// setFile makes st (a file, or missing) hold content with attributes a.
// ed is nil for a whole-file write (file.write: a heredoc into the file);
// an edit types its copy-safe command, or — when it has none, or the
// command would hold a secret — the whole file, guarded by the checksum
// of the content it was made from, so that pasted on another host it
// fails instead of overwriting a different file. It returns whether
// anything changed (or would, in a dry run).
func (o *op) setFile(st *fstate, content []byte, a attrs, ed *lineEdit, notify []*handler) bool {
	switch st.kind {
	case 'd':
		o.fail("is a directory")
	case 'o':
		o.fail("exists and is not a regular file")
	case 'u':
		o.fail("cannot read it (permission denied)")
	case 'N':
		if dep := o.dependsOn(); dep != "" {
			o.note("would write it once its directory exists: depends on %s", dep)
			return bool(o.done(true, notify))
		}
		o.fail("no such directory %s", dirOf(st.path))
	}
	exists := st.kind == 'f'
	want := o.wantedFile(st, content, a)
	contentChanged := !exists || !bytes.Equal(st.content, content)
	attrsChanged := exists && (want.mode != st.mode || want.owner != st.owner || want.group != st.group)
	if !contentChanged && !attrsChanged {
		return bool(o.done(false, notify))
	}
	old := st.content
	if o.m.host.DryRun() {
		o.noteFileChange(st, &want, content, contentChanged, attrsChanged)
		o.remember(&want)
		return bool(o.done(true, notify))
	}
	var cmd string
	var env []string
	if contentChanged {
		cmd, env = o.writeFileCommand(st, content, a, ed)
	} else {
		cmd = attrCommands(st, &want, st.path)
	}
	var diff string
	if contentChanged {
		oldSide := old
		if !exists {
			oldSide = nil
		}
		diff = o.diffText(st.path, oldSide, content)
	}
	o.path = st.path
	o.run(cmd, RunOptions{Env: env, Diff: diff})
	o.changed(&want, !exists && a.mode < 0)
	o.showDiff(st.path, old, content)
	return bool(o.done(true, notify))
}

// wantedFile is the state st should end in: content, the attributes a asks
// for, and otherwise its own (or, for a new file, the session's defaults).
func (o *op) wantedFile(st *fstate, content []byte, a attrs) fstate {
	want := fstate{path: st.path, kind: 'f', content: content, mode: st.mode, owner: st.owner, group: st.group}
	if st.kind != 'f' {
		id := o.identity()
		want.mode, want.owner, want.group = 0o666&^id.umask, id.user, id.group
	}
	a.applyTo(&want)
	return want
}

// noteFileChange says, in a dry run, what setFile would change and shows
// the diff.
func (o *op) noteFileChange(st, want *fstate, content []byte, contentChanged, attrsChanged bool) {
	switch {
	case st.kind != 'f':
		o.note("would create it (%d bytes, mode %04o)", len(content), want.mode)
	case contentChanged:
		o.note("would change it")
	}
	if attrsChanged {
		o.note("would set %s", attrText(st, want))
	}
	o.showDiff(st.path, st.content, content)
}

// writeFileCommand is the command that gives st its new content (and the
// attributes a asks for), with the environment it needs: ed's own command
// when it can be typed, else the whole file.
func (o *op) writeFileCommand(st *fstate, content []byte, a attrs, ed *lineEdit) (string, []string) {
	exists := st.kind == 'f'
	// The attributes asked for are typed whenever given, so that the
	// command does the same on a copy of the file whatever its mode.
	setAttrs := attrsTyped(a, st.path)
	if ed != nil && ed.cmd != "" && (exists || ed.create) && !o.m.hasSecret([]byte(ed.cmd)) {
		cmd := ed.cmd
		if len(setAttrs) > 0 {
			cmd += " && " + strings.Join(setAttrs, " && ")
		}
		return cmd, nil
	}
	made := false
	if !exists && o.m.hasSecret(content) {
		// A new file holding a secret is never readable by others,
		// not even while it is being written.
		if _, code := o.exec("umask 077 && : > "+shellquote.Quote(st.path), nil); code != 0 {
			o.fail("creating it empty failed (exit %d)", code)
		}
		made = true
	}
	guard := ""
	if ed != nil {
		guard = guardPrefix(st.path, st.content, exists || made)
	}
	fill, env := o.fillCommand(st.path, content)
	cmd := guard + fill
	if len(setAttrs) > 0 {
		if i := strings.IndexByte(fill, '\n'); i >= 0 {
			// A heredoc: the rest of the command goes on its first line.
			cmd = guard + fill[:i] + " && " + strings.Join(setAttrs, " && ") + fill[i:]
		} else {
			cmd += " && " + strings.Join(setAttrs, " && ")
		}
	}
	return cmd, env
}

// checkResult reads the file again and fails the operation when it is
// not exactly as wanted (anyMode: a new file whose mode the session's
// umask decided).
func (o *op) checkResult(want *fstate, anyMode bool) {
	if o.skipped {
		return
	}
	got := o.readState(want.path)
	o.m.keep(got)
	switch {
	case got.kind != want.kind:
		o.fail("after the change it is %s, not %s", kindText(got.kind), kindText(want.kind))
	case want.kind == 'f' && !bytes.Equal(got.content, want.content):
		o.fail("after the change its content differs from what was asked:\n%s", Unified(want.path, want.content, got.content, false))
	case !anyMode && got.mode != want.mode:
		o.fail("after the change its mode is %04o, not %04o", got.mode, want.mode)
	case got.owner != want.owner || got.group != want.group:
		o.fail("after the change it is owned by %s:%s, not %s:%s", got.owner, got.group, want.owner, want.group)
	}
}

func kindText(k byte) string {
	switch k {
	case 'f':
		return "a file"
	case 'd':
		return "a directory"
	case 'n', 'N':
		return "missing"
	}
	return "something else"
}

// attrText describes an attribute change: "mode 0600, owner root:root".
func attrText(old, want *fstate) string {
	var parts []string
	if old.mode != want.mode {
		parts = append(parts, fmt.Sprintf("mode %04o (was %04o)", want.mode, old.mode))
	}
	if old.owner != want.owner || old.group != want.group {
		parts = append(parts, fmt.Sprintf("owner %s:%s (was %s:%s)", want.owner, want.group, old.owner, old.group))
	}
	return strings.Join(parts, ", ")
}

// attrCommands are the chmod/chown that take p from old's attributes to want's.
func attrCommands(old, want *fstate, p string) string {
	var cmds []string
	if old.mode != want.mode {
		cmds = append(cmds, fmt.Sprintf("chmod %04o %s", want.mode, shellquote.Quote(p)))
	}
	if s := ownerSpec(want.owner, want.group, old.owner, old.group); s != "" {
		cmds = append(cmds, "chown "+s+" "+shellquote.Quote(p))
	}
	return strings.Join(cmds, " && ")
}

// ownerSpec is chown's argument to go from owner:group have to want, "" if equal.
func ownerSpec(owner, group, haveOwner, haveGroup string) string {
	switch {
	case owner != haveOwner && group != haveGroup:
		return shellquote.Quote(owner + ":" + group)
	case owner != haveOwner:
		return shellquote.Quote(owner)
	case group != haveGroup:
		return shellquote.Quote(":" + group)
	}
	return ""
}

// fillCommand is the command that writes content into target: a heredoc when
// it carries the content exactly, base64 when it cannot, and a staged copy
// (through the side channel, never typed) for content too large to type,
// or holding a secret in a form no heredoc can carry. A secret in a
// heredoc is typed as a reference to its shell variable (the engine
// rewrites the heredoc: password = ${pw}), never as its value.
func (o *op) fillCommand(target string, content []byte) (cmd string, env []string) {
	switch {
	case len(content) > stageLimit || o.m.hasSecret(content) && !heredocSafe(content):
		tmp := target + ".runbook-staged"
		stage := "cat > " + shellquote.Quote(tmp)
		if o.m.hasSecret(content) {
			// A copy holding a secret is never readable by others.
			stage = "umask 077; " + stage
		}
		if _, code := o.exec(stage, content); code != 0 {
			o.fail("staging %d bytes in %s failed (exit %d)", len(content), tmp, code)
		}
		// Too long to type: copied beside the file unseen, then put in
		// place by the command the session shows.
		return "cat " + shellquote.Quote(tmp) + " > " + shellquote.Quote(target) + " && rm -f " + shellquote.Quote(tmp), nil
	}
	return typedFill(target, content), nil
}

// typedFill is the command that writes content into target, typed whole:
// a quoted heredoc when it carries the content exactly, else base64.
func typedFill(target string, content []byte) string {
	switch {
	case len(content) == 0:
		return ": > " + shellquote.Quote(target)
	case heredocSafe(content):
		d := delimiter(content)
		return "cat > " + shellquote.Quote(target) + " <<'" + d + "'\n" + string(content) + d
	}
	enc := base64.StdEncoding.EncodeToString(content)
	var sb strings.Builder
	for len(enc) > 76 {
		sb.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	sb.WriteString(enc + "\n")
	d := delimiter(content)
	return "base64 -d > " + shellquote.Quote(target) + " <<'" + d + "'\n" + sb.String() + d
}

// heredocSafe reports whether content typed in a quoted heredoc arrives
// exactly: text ending in a newline, no control bytes but tabs, no very
// long lines.
func heredocSafe(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] != '\n' || !utf8.Valid(b) {
		return false
	}
	for _, l := range splitLines(b) {
		if !typeable(strings.TrimSuffix(l, "\n")) {
			return false
		}
	}
	return true
}

// typeable reports whether a line can be typed into the session exactly.
func typeable(l string) bool {
	if len(l) > 1000 || !utf8.ValidString(l) {
		return false
	}
	for _, r := range l {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return false
		}
	}
	return true
}

// delimiter picks a heredoc delimiter that no line of content equals.
func delimiter(content []byte) string {
	d := "EOF"
	for i := 1; ; i++ {
		if !bytes.Contains(append([]byte("\n"), content...), []byte("\n"+d+"\n")) {
			return d
		}
		d = fmt.Sprintf("EOF%d", i)
	}
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "/"
}

// guardPrefix makes a whole-file write of an edit safe to paste: it runs
// only on a file that holds exactly old, the content the edit was made
// from (or where there is no file, when it made one), and fails anywhere
// else.
func guardPrefix(path string, old []byte, exists bool) string {
	if !exists {
		return "test ! -e " + shellquote.Quote(path) + " && "
	}
	sum := sha256.Sum256(old)
	return "echo " + shellquote.Quote(hex.EncodeToString(sum[:])+"  "+path) + " | sha256sum --status -c && "
}
