package stdlib

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellquote"
	lua "github.com/yuin/gopher-lua"
)

var _ = documentModule("file", `Files on the host: whole files, single lines, managed blocks,
comments, directories. Paths are absolute. Mode and owner stay as they are unless asked for
(mode="0644", owner=, group=); content ends exactly as asked. Whole files are typed as a heredoc
into the file (base64 when the content is not plain text). Line edits are typed as grep and sed
addressed by what the lines say, never by line number, so the command does the same on any copy
of the file or fails leaving it untouched; an edit sed cannot say exactly (file.replace,
file.block) writes the whole file only where it still holds what the edit was made from (its
sha256). The file is read back afterwards to prove it.`)

func (m *Modules) fileFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"write":     m.fileWrite,
		"line":      m.fileLine,
		"block":     m.fileBlock,
		"comment":   m.fileComment,
		"uncomment": m.fileUncomment,
		"replace":   m.fileReplace,
		"exists":    m.fileExists,
		"read":      m.fileRead,
		"mkdir":     m.fileMkdir,
		"touch":     m.fileTouch,
		"remove":    m.fileRemove,
		"upload":    m.fileUpload,
		"rebuild":   m.fileRebuild,
	}
}

var _ = document("file", "write", `file.write(path, content [, {mode=, owner=, group=}]) -> changed`,
	`Makes the file at path hold exactly content (a string; any bytes), creating it if needed (its
directory must exist). Mode and owner are kept unless given.`)

func (m *Modules) fileWrite(L *lua.LState) int {
	o := m.newOp(L, "file.write", "")
	p := o.checkPath(1)
	content := []byte(o.checkContent(2))
	opt := o.options(3, "mode", "owner", "group")
	o.wholeIntent(p, content, opt.attrs(), "")
	if o.planned(opt.notify(), withAttrs(typedFill(p, content), opt.attrs(), p)) {
		L.Push(lua.LTrue)
		return 1
	}
	L.Push(lua.LBool(o.setFile(o.state(p), content, opt.attrs(), nil, opt.notify())))
	return 1
}

// checkContent reads argument n as content: any string, even empty.
func (o *op) checkContent(n int) string {
	v := o.L.Get(n)
	s, ok := v.(lua.LString)
	if !ok {
		o.fail("content must be a string, got %s", v.Type())
	}
	return string(s)
}

var _ = document("file", "line", `file.line(path, {line=, regexp=, after=, before=, state="present"|"absent", create=false, if_exists=false, add=true, mode=, owner=, group=}) -> changed`,
	`Makes sure one line is in the file (like Ansible's lineinfile). With regexp, every line matching
it is replaced by line; when none matches and line is not already there, line is added at the end,
after every line matching after=, before every line matching before= ("BOF": at the start). An
after= or before= that matches no line is an error, never a silent append. state="absent" removes
every line matching regexp (or equal to line). A missing file is an error unless create=true (then
it is made) or if_exists=true (then nothing is done), and so is adding to an empty one. add=false
only replaces the lines matching regexp and never adds one. The command typed does the same on any copy of the file: grep and
sed addressed by what the lines say (grep -q 'RE' F && sed -i 's/RE.*/LINE/' F || sed -i '$a LINE'
F), never by line number.`)

func (m *Modules) fileLine(L *lua.LState) int {
	o := m.newOp(L, "file.line", "")
	p := o.checkPath(1)
	if L.Get(2).Type() != lua.LTTable {
		o.fail("argument #2 must be a table {line=, regexp=, ...}, got %s", L.Get(2).Type())
	}
	opt := o.options(2, "line", "regexp", "after", "before", "state", "create", "if_exists", "add", "mode", "owner", "group")
	state := opt.oneOf("state", "present", "absent")
	line := opt.str("line", "")
	re := o.regexpOpt(opt, "regexp")
	if state == "present" && !opt.has("line") {
		o.fail("line= is required (unless state=\"absent\")")
	}
	if state == "absent" && re == nil && !opt.has("line") {
		o.fail("state=\"absent\" needs regexp= or line=")
	}
	if strings.Contains(line, "\n") {
		o.fail("line= must be one line; use file.block for several")
	}
	if opt.has("after") && opt.has("before") {
		o.fail("give after= or before=, not both")
	}
	spec := &lineSpec{line: line, re: re, absent: state == "absent", create: opt.boolean("create", false), ifExists: opt.boolean("if_exists", false),
		noAdd: !opt.boolean("add", true)}
	if spec.noAdd && re == nil {
		o.fail("add=false needs regexp=: the lines it replaces")
	}
	if spec.create && spec.ifExists {
		o.fail("give create=true or if_exists=true, not both")
	}
	if a := opt.str("after", "EOF"); a != "EOF" {
		spec.after = o.regexpOpt(opt, "after")
	}
	if b := opt.str("before", ""); b == "BOF" {
		spec.bof = true
	} else if b != "" {
		spec.before = o.regexpOpt(opt, "before")
	}
	o.intentLine(p, spec)
	if o.planning() {
		spec.path = p
		cmd, _ := spec.command()
		o.planned(opt.notify(), withAttrs(cmd, opt.attrs(), p))
		L.Push(lua.LTrue)
		return 1
	}
	if spec.ifExists || spec.absent {
		// Nothing there, not even its directory: nothing to do.
		if st := o.state(p); st.kind == 'n' || st.kind == 'N' && o.dependsOn() == "" {
			L.Push(o.done(false, opt.notify()))
			return 1
		}
	}
	st, ok := o.editable(p, spec.create || spec.absent || spec.ifExists, opt.notify())
	if !ok {
		L.Push(lua.LTrue)
		return 1
	}
	spec.path = st.path
	if st.kind != 'f' && (spec.absent || spec.ifExists) {
		L.Push(o.done(false, opt.notify()))
		return 1
	}
	out, err := spec.apply(st.content, st.kind == 'f')
	if err != nil {
		o.fail("%v", err)
	}
	ed := &lineEdit{create: spec.create}
	ed.cmd, _ = spec.command()
	L.Push(lua.LBool(o.setFile(st, out, opt.attrs(), ed, opt.notify())))
	return 1
}

// editable reads a file an edit works on. A missing file is created empty
// with create; in a dry run, a file an earlier operation may create makes
// the edit depend on it (ok=false: the operation is done).
func (o *op) editable(p string, create bool, notify []*handler) (*fstate, bool) {
	st := o.state(p)
	switch st.kind {
	case 'f':
		return st, true
	case 'n', 'N':
		if create && st.kind == 'n' {
			return st, true
		}
		if dep := o.dependsOn(); dep != "" {
			o.note("would edit it once it exists: depends on %s", dep)
			o.done(true, notify)
			return nil, false
		}
		if st.kind == 'N' {
			o.fail("no such file (nor directory %s)", dirOf(st.path))
		}
		o.fail("no such file")
	case 'd':
		o.fail("is a directory")
	case 'u':
		o.fail("cannot read it (permission denied)")
	}
	o.fail("is not a regular file")
	return nil, false
}

func (o *op) regexpOpt(opt opts, key string) *regexp.Regexp {
	s := opt.str(key, "")
	if s == "" {
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		o.fail("%s= is not a valid regular expression: %v", key, err)
	}
	return re
}

func (o *op) checkRegexp(n int, what string) *regexp.Regexp {
	s := o.checkString(n, what)
	re, err := regexp.Compile(s)
	if err != nil {
		o.fail("%s is not a valid regular expression: %v", what, err)
	}
	return re
}

func lastMatch(ls []string, re *regexp.Regexp) int {
	if re == nil {
		return -1
	}
	for i := len(ls) - 1; i >= 0; i-- {
		if re.MatchString(ls[i]) {
			return i
		}
	}
	return -1
}

func indexOf(ls []string, s string) int {
	for i, l := range ls {
		if l == s {
			return i
		}
	}
	return -1
}

// toLines splits content into lines without their newlines.
func toLines(b []byte) []string {
	ls := splitLines(b)
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\n")
	}
	return ls
}

// keepIfSame returns the new content for lines out: the old bytes when
// the lines did not change (a missing last newline is not "fixed"
// behind the user's back), else every line ended by a newline.
func keepIfSame(old []byte, before, out []string) []byte {
	if len(before) == len(out) {
		same := true
		for i := range out {
			if before[i] != out[i] {
				same = false
				break
			}
		}
		if same {
			return old
		}
	}
	var b bytes.Buffer
	for _, l := range out {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

var _ = document("file", "block", `file.block(path, content [, {marker=, state="present"|"absent", after=, before=, create=false, mode=, owner=, group=}]) -> changed`,
	`Keeps several lines together between two marker lines (like Ansible's blockinfile). marker
is a line with {mark} where BEGIN and END go; the default is "# {mark} RUNBOOK MANAGED BLOCK".
An existing block is replaced in place; a new one goes at the end, or after/before the last line
matching after=/before= ("BOF" for the start). state="absent" removes the block.`)

func (m *Modules) fileBlock(L *lua.LState) int {
	o := m.newOp(L, "file.block", "")
	p := o.checkPath(1)
	content := o.checkContent(2)
	opt := o.options(3, "marker", "state", "after", "before", "create", "mode", "owner", "group")
	marker := opt.str("marker", "# {mark} RUNBOOK MANAGED BLOCK")
	if !strings.Contains(marker, "{mark}") || strings.Contains(marker, "\n") {
		o.fail("marker= must be one line holding {mark}, got %q", marker)
	}
	begin := strings.ReplaceAll(marker, "{mark}", "BEGIN")
	end := strings.ReplaceAll(marker, "{mark}", "END")
	state := opt.oneOf("state", "present", "absent")
	if state == "present" {
		o.intent(Intent{Text: fmt.Sprintf("%s has the lines below, between %s and %s", p, begin, end), Path: p,
			Lines: append(append([]string{begin}, toLines([]byte(content))...), end)})
	} else {
		o.intent(Intent{Text: fmt.Sprintf("%s without a block between %s and %s", p, begin, end), Path: p})
	}
	if o.planned(opt.notify()) {
		L.Push(lua.LTrue)
		return 1
	}
	st, ok := o.editable(p, opt.boolean("create", false), opt.notify())
	if !ok {
		L.Push(lua.LTrue)
		return 1
	}
	ls := toLines(st.content)
	var block []string
	if state == "present" {
		block = append([]string{begin}, toLines([]byte(content))...)
		block = append(block, end)
	}
	bi, ei := indexOf(ls, begin), indexOf(ls, end)
	var out []string
	switch {
	case bi >= 0 && ei > bi:
		out = append(append(append(out, ls[:bi]...), block...), ls[ei+1:]...)
	case bi >= 0 || ei >= 0:
		o.fail("has only one of the marker lines %q and %q; fix it by hand", begin, end)
	case state == "absent":
		out = ls
	default:
		pos := len(ls)
		if b := opt.str("before", ""); b == "BOF" {
			pos = 0
		} else if b != "" {
			if at := lastMatch(ls, o.regexpOpt(opt, "before")); at >= 0 {
				pos = at
			}
		} else if a := opt.str("after", ""); a != "" && a != "EOF" {
			if at := lastMatch(ls, o.regexpOpt(opt, "after")); at >= 0 {
				pos = at + 1
			}
		}
		out = append(append(append(out, ls[:pos]...), block...), ls[pos:]...)
	}
	L.Push(lua.LBool(o.setFile(st, keepIfSame(st.content, ls, out), opt.attrs(), &lineEdit{}, opt.notify())))
	return 1
}

var _ = document("file", "comment", `file.comment(path, pattern [, {prefix="# "}]) -> changed`,
	`Comments out every line that matches pattern and is not a comment yet, by putting prefix in
front of it.`)

func (m *Modules) fileComment(L *lua.LState) int {
	o := m.newOp(L, "file.comment", "")
	p := o.checkPath(1)
	re := o.checkRegexp(2, "pattern")
	opt := o.options(3, "prefix")
	prefix := opt.str("prefix", "# ")
	mark := strings.TrimSpace(prefix)
	if mark == "" {
		o.fail("prefix= must hold a comment marker")
	}
	o.intent(Intent{Text: fmt.Sprintf("%s with every line matching %s commented out (%s)", p, re, mark), Path: p})
	spec := &commentSpec{path: p, re: re, prefix: prefix, mark: mark}
	return o.editLines(L, p, spec, opt.notify())
}

var _ = document("file", "uncomment", `file.uncomment(path, pattern [, {marker="#"}]) -> changed`,
	`Uncomments every commented line whose text (after the comment marker and the spaces that
follow it) matches pattern: the guide's "uncomment XEN_OVERRIDE_GRUB_DEFAULT=0". Indentation
before the marker is kept.`)

func (m *Modules) fileUncomment(L *lua.LState) int {
	o := m.newOp(L, "file.uncomment", "")
	p := o.checkPath(1)
	re := o.checkRegexp(2, "pattern")
	opt := o.options(3, "marker")
	marker := opt.str("marker", "#")
	if strings.TrimSpace(marker) == "" {
		o.fail("marker= must not be blank")
	}
	o.intent(Intent{Text: fmt.Sprintf("%s with the commented lines matching %s uncommented", p, re), Path: p})
	spec := &uncommentSpec{path: p, re: re, marker: marker}
	if spec.goRegexp() == nil {
		o.fail("pattern cannot follow the comment marker: %s", re)
	}
	return o.editLines(L, p, spec, opt.notify())
}

// lineCommand is a line operation's edit: the copy-safe command that
// makes it, what it makes of a file's content, and the file it edits.
type lineCommand interface {
	command() (string, bool)
	apply(content []byte) []byte
	setPath(p string)
}

// editLines ends a line operation on path (comment, uncomment): in a
// listing it states the command; on a host it edits the file as found
// there (the spec set to where it really is), with the command typed.
func (o *op) editLines(L *lua.LState, p string, spec lineCommand, notify []*handler) int {
	if o.planning() {
		cmd, _ := spec.command()
		o.planned(notify, cmd)
		L.Push(lua.LTrue)
		return 1
	}
	st, ok := o.editable(p, false, notify)
	if !ok {
		L.Push(lua.LTrue)
		return 1
	}
	spec.setPath(st.path)
	ed := &lineEdit{}
	ed.cmd, _ = spec.command()
	L.Push(lua.LBool(o.setFile(st, spec.apply(st.content), attrs{mode: -1}, ed, notify)))
	return 1
}

var _ = document("file", "replace", `file.replace(path, pattern, repl) -> changed`,
	`Replaces every match of pattern (multi-line mode: ^ and $ match at each line) by repl, in
which $1 or ${name} stand for the pattern's groups (Go's regexp.Expand).`)

func (m *Modules) fileReplace(L *lua.LState) int {
	o := m.newOp(L, "file.replace", "")
	p := o.checkPath(1)
	pat := o.checkString(2, "pattern")
	re, err := regexp.Compile("(?m)" + pat)
	if err != nil {
		o.fail("pattern is not a valid regular expression: %v", err)
	}
	repl := o.checkContent(3)
	opt := o.options(4)
	o.intent(Intent{Text: fmt.Sprintf("%s with every match of %s replaced by %s", p, pat, repl), Path: p})
	if o.planned(opt.notify()) {
		L.Push(lua.LTrue)
		return 1
	}
	st, ok := o.editable(p, false, opt.notify())
	if !ok {
		L.Push(lua.LTrue)
		return 1
	}
	out := re.ReplaceAll(st.content, []byte(repl))
	L.Push(lua.LBool(o.setFile(st, out, attrs{mode: -1}, &lineEdit{}, opt.notify())))
	return 1
}

var _ = document("file", "exists", `file.exists(path) -> bool`,
	`Whether something is at path (read through the side channel; in a dry run, as earlier
operations would have left it; in a listing, false: it is listed as on a fresh host).`)

func (m *Modules) fileExists(L *lua.LState) int {
	o := m.newOp(L, "file.exists", "")
	if o.planning() {
		// Listed as on a host that needs every change: a fresh one.
		o.checkPath(1)
		L.Push(lua.LFalse)
		return 1
	}
	L.Push(lua.LBool(o.state(o.checkPath(1)).exists()))
	return 1
}

var _ = document("file", "read", `file.read(path) -> string|nil`,
	`The content of the file at path, or nil when there is none (read through the side channel,
not recorded; nil in a listing).`)

func (m *Modules) fileRead(L *lua.LState) int {
	o := m.newOp(L, "file.read", "")
	if o.planning() {
		o.checkPath(1)
		L.Push(lua.LNil)
		return 1
	}
	st := o.state(o.checkPath(1))
	switch st.kind {
	case 'f':
		L.Push(lua.LString(st.content))
	case 'n', 'N':
		L.Push(lua.LNil)
	case 'd':
		o.fail("is a directory")
	default:
		o.fail("cannot read it")
	}
	return 1
}

var _ = document("file", "mkdir", `file.mkdir(path [, {mode=, owner=, group=}]) -> changed`,
	`Makes sure a directory (and its parents) exists, with mkdir -p, and has the mode and owner
given.`)

func (m *Modules) fileMkdir(L *lua.LState) int {
	o := m.newOp(L, "file.mkdir", "")
	p := o.checkPath(1)
	opt := o.options(2, "mode", "owner", "group")
	a := opt.attrs()
	o.intent(Intent{Text: fmt.Sprintf("directory %s present%s", p, modeText(a)), Path: p})
	if o.planned(opt.notify(), strings.Join(append([]string{"mkdir -p " + shellquote.Quote(p)}, attrsTyped(a, p)...), " && ")) {
		L.Push(lua.LTrue)
		return 1
	}
	st := o.state(p)
	switch st.kind {
	case 'd', 'n', 'N':
	default:
		o.fail("exists and is not a directory")
	}
	L.Push(lua.LBool(o.setNode(st, 'd', a, "mkdir -p", opt.notify())))
	return 1
}

var _ = document("file", "touch", `file.touch(path [, {mode=, owner=, group=}]) -> changed`,
	`Makes sure a file exists (an empty one if it did not), with the mode and owner given; an
existing file's content and times are left alone, so running it again changes nothing.`)

func (m *Modules) fileTouch(L *lua.LState) int {
	o := m.newOp(L, "file.touch", "")
	p := o.checkPath(1)
	opt := o.options(2, "mode", "owner", "group")
	o.intent(Intent{Text: fmt.Sprintf("file %s present%s", p, modeText(opt.attrs())), Path: p})
	if o.planned(opt.notify(), strings.Join(append([]string{"touch " + shellquote.Quote(p)}, attrsTyped(opt.attrs(), p)...), " && ")) {
		L.Push(lua.LTrue)
		return 1
	}
	st := o.state(p)
	switch st.kind {
	case 'f', 'u', 'n':
	case 'N':
		if dep := o.dependsOn(); dep != "" {
			o.note("would create it once its directory exists: depends on %s", dep)
			L.Push(o.done(true, opt.notify()))
			return 1
		}
		o.fail("no such directory %s", dirOf(st.path))
	default:
		o.fail("exists and is not a regular file")
	}
	L.Push(lua.LBool(o.setNode(st, 'f', opt.attrs(), "touch", opt.notify())))
	return 1
}

// setNode makes a directory or an empty file exist (with create, "mkdir
// -p" or "touch") and have the attributes asked for.
func (o *op) setNode(st *fstate, kind byte, a attrs, create string, notify []*handler) bool {
	id := o.identity()
	want := *st
	want.kind = kind
	if !st.exists() {
		want.mode = 0o666 &^ id.umask
		if kind == 'd' {
			want.mode = 0o777 &^ id.umask
		}
		want.owner, want.group = id.user, id.group
		want.content = nil
	}
	a.applyTo(&want)
	have := *st
	if !st.exists() {
		// What create leaves, before any chmod/chown.
		have.mode, have.owner, have.group = 0o666&^id.umask, id.user, id.group
		if kind == 'd' {
			have.mode = 0o777 &^ id.umask
		}
	}
	attrsCmd := attrCommands(&have, &want, st.path)
	if st.exists() && attrsCmd == "" {
		return bool(o.done(false, notify))
	}
	if o.m.host.DryRun() {
		if !st.exists() {
			o.note("would create it")
		} else {
			o.note("would set %s", attrText(st, &want))
		}
		o.remember(&want)
		return bool(o.done(true, notify))
	}
	var cmds []string
	if !st.exists() {
		cmds = append(cmds, create+" "+shellquote.Quote(st.path))
	}
	if attrsCmd != "" {
		cmds = append(cmds, attrsCmd)
	}
	o.run(strings.Join(cmds, " && "), RunOptions{})
	o.checkResult(&want, !st.exists() && a.mode < 0)
	return bool(o.done(true, notify))
}

var _ = document("file", "remove", `file.remove(path [, {recursive=false}]) -> changed`,
	`Makes sure nothing is at path, with rm (rm -r for a directory, which needs recursive=true).`)

func (m *Modules) fileRemove(L *lua.LState) int {
	o := m.newOp(L, "file.remove", "")
	p := o.checkPath(1)
	opt := o.options(2, "recursive")
	o.intent(Intent{Text: fmt.Sprintf("nothing at %s", p), Path: p})
	rm := "rm -f "
	if opt.boolean("recursive", false) {
		rm = "rm -rf "
	}
	if o.planned(opt.notify(), rm+shellquote.Quote(p)) {
		L.Push(lua.LTrue)
		return 1
	}
	st := o.state(p)
	if !st.exists() {
		L.Push(o.done(false, opt.notify()))
		return 1
	}
	cmd := "rm -f " + shellquote.Quote(p)
	if st.kind == 'd' {
		if !opt.boolean("recursive", false) {
			o.fail("is a directory (give recursive=true to remove it and everything in it)")
		}
		cmd = "rm -rf " + shellquote.Quote(p)
	}
	if o.m.host.DryRun() {
		o.note("would remove it")
		if st.kind == 'f' {
			o.showDiff(p, st.content, nil)
		}
		o.remember(&fstate{path: p, kind: 'n'})
		L.Push(o.done(true, opt.notify()))
		return 1
	}
	o.run(cmd, RunOptions{})
	if o.readState(p).exists() {
		o.fail("still exists after %s", cmd)
	}
	if st.kind == 'f' {
		o.showDiff(p, st.content, nil)
	}
	L.Push(o.done(true, opt.notify()))
	return 1
}

var _ = document("file", "upload", `file.upload(local_path, remote_path [, {mode=, owner=, group=}]) -> changed`,
	`Copies a file from the machine runbook runs on to the host (part 1 of the guide installs
root's authorized key this way), exactly as file.write would write its content.`)

func (m *Modules) fileUpload(L *lua.LState) int {
	o := m.newOp(L, "file.upload", "")
	local := o.checkString(1, "local path")
	o.L.Replace(1, o.L.Get(2))
	p := o.checkPath(1)
	o.L.Replace(2, lua.LString(local))
	opt := o.options(3, "mode", "owner", "group")
	if o.planning() {
		// A listing reads nothing, not even this machine's files: the
		// intent says what goes there.
		o.intent(Intent{Text: fmt.Sprintf("%s has the content of %s on this machine%s", p, local, modeText(opt.attrs())), Path: p})
		o.planned(opt.notify())
		L.Push(lua.LTrue)
		return 1
	}
	content, err := m.host.ReadLocal(local)
	if err != nil {
		o.fail("reading %s on this machine: %v", local, err)
	}
	o.wholeIntent(p, content, opt.attrs(), local)
	st := o.state(p)
	L.Push(lua.LBool(o.setFile(st, content, opt.attrs(), nil, opt.notify())))
	return 1
}

var _ = document("file", "rebuild", `file.rebuild(target, {from={paths...}, by=COMMAND}) -> changed`,
	`Makes sure the generated file target is newer than every path in from (a directory with
everything in it), by typing the command by when it is not, or when target is missing: the
guide's update-grub, run whenever /etc/default/grub is newer than /boot/grub/grub.cfg, even if an
earlier run changed it and stopped before regenerating. The command must leave target newer.
The last part of target may hold * and ? (/boot/initrd.img-*, one per kernel): then every file
it matches must be newer, and at least one must exist.`)

func (m *Modules) fileRebuild(L *lua.LState) int {
	o := m.newOp(L, "file.rebuild", "")
	p := o.checkPath(1)
	if L.Get(2).Type() != lua.LTTable {
		o.fail("argument #2 must be a table {from=, by=}, got %s", L.Get(2).Type())
	}
	opt := o.options(2, "from", "by")
	from := opt.strings("from")
	by := opt.str("by", "")
	if len(from) == 0 || by == "" {
		o.fail("from= (the paths it is made from) and by= (the command that makes it) are required")
	}
	for _, f := range from {
		if !strings.HasPrefix(f, "/") {
			o.fail("from= paths must be absolute: %q", f)
		}
	}
	glob, err := rebuildGlob(p)
	if err != nil {
		o.fail("%v", err)
	}
	what := p
	if glob != "" {
		what = "every " + p
	}
	o.intent(Intent{Text: fmt.Sprintf("%s made again by %s whenever %s changed", what, by, quoted(from)), Path: p})
	if o.planned(opt.notify(), by) {
		L.Push(lua.LTrue)
		return 1
	}
	stale := func() string {
		probe := "t=" + shellquote.Quote(p) + "; [ -e \"$t\" ] || { echo \"$t is missing\"; exit 0; }; find " + shellquote.Join(from) +
			" -newer \"$t\" -print 2>/dev/null | head -n 1"
		if glob != "" {
			probe = "set -- " + glob + "; [ -e \"$1\" ] || { echo " + shellquote.Quote("no file matches "+p) + "; exit 0; }; " +
				"for t; do find " + shellquote.Join(from) + " -newer \"$t\" -print 2>/dev/null | head -n 1; done | head -n 1"
		}
		out, code := o.exec(probe, nil)
		if code != 0 {
			o.fail("reading state failed (exit %d)", code)
		}
		return strings.TrimSpace(string(out))
	}
	why := stale()
	if why == "" && o.m.host.DryRun() {
		// What earlier operations of this dry run would change counts.
		for path, st := range o.m.plan {
			for _, f := range from {
				if st.planned && (path == f || strings.HasPrefix(path, strings.TrimSuffix(f, "/")+"/")) {
					why = path
				}
			}
		}
		if why == "" && len(o.m.pending) > 0 {
			why = "what " + strings.Join(o.m.pending, ", ") + " would install"
		}
	}
	if why == "" {
		L.Push(o.done(false, opt.notify()))
		return 1
	}
	if o.m.host.DryRun() {
		o.note("would run %s (newer than it: %s)", by, why)
		L.Push(o.done(true, opt.notify()))
		return 1
	}
	o.run(by, RunOptions{})
	if o.skipped {
		L.Push(o.done(false, opt.notify()))
		return 1
	}
	if again := stale(); again != "" {
		o.fail("still older than %s after %s", again, by)
	}
	L.Push(o.done(true, opt.notify()))
	return 1
}

// rebuildGlob is file.rebuild's target as a shell pattern when its last
// part holds * or ? (the rest quoted), "" for a plain path. A pattern
// anywhere else, or brackets, are refused: what a target matches must be
// plain to read.
func rebuildGlob(p string) (string, error) {
	dir, base := path.Split(p)
	if strings.ContainsAny(dir, "*?[") || strings.ContainsAny(base, "[]") {
		return "", fmt.Errorf("target %q: only its last part may hold a pattern, of * and ? alone", p)
	}
	if !strings.ContainsAny(base, "*?") {
		return "", nil
	}
	var b strings.Builder
	b.WriteString(shellquote.Quote(dir))
	lit := ""
	for _, r := range base {
		if r == '*' || r == '?' {
			if lit != "" {
				b.WriteString(shellquote.Quote(lit))
				lit = ""
			}
			b.WriteRune(r)
			continue
		}
		lit += string(r)
	}
	if lit != "" {
		b.WriteString(shellquote.Quote(lit))
	}
	return b.String(), nil
}
