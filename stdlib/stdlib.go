// Package stdlib holds the Lua modules runbooks call — file, apt, dpkg,
// systemd, host, facts, net, on_change — one file per module, each function
// documented in signature form next to its code.
//
// Every operation reads the current state through the Host's unrecorded
// side channel, decides whether anything must change, and only then acts
// with a visible command a person would type; in a dry run it shows what
// it would do and changes nothing.
//
// It depends only on the Host interface it defines (host.go); the engine
// implements that interface. It must not import the engine or the player.
package stdlib

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"

	"github.com/runbook-dev/runbook/internal/secret"
	lua "github.com/yuin/gopher-lua"
)

// Modules is the stdlib opened in one Lua state for one host.
type Modules struct {
	host Host
	rand io.Reader

	handlers []*handler // on_change handlers, in definition order

	// In a dry run nothing changes, so later operations must see what
	// earlier ones would have done: plan holds the predicted state of
	// paths, pending the would-change operations whose effects on files
	// cannot be predicted (a package install).
	plan    map[string]*fstate
	pending []string

	ident     *identity   // the session's user, group and umask, read once
	facts     *lua.LTable // gathered once, on first use
	factsRead bool

	// On a CommandNotifier host (readback.go): what is known of files
	// until the next command, results still to be read back, and the path
	// the operation now typing its command changes.
	L         *lua.LState
	notified  bool
	cache     map[string]*fstate
	readBacks map[string]*readBack
	changing  string
}

// Open registers every stdlib module in L, both as a global (file.write)
// and for require("file"), acting on h.
func Open(L *lua.LState, h Host) *Modules {
	m := &Modules{host: h, rand: rand.Reader, plan: map[string]*fstate{}, L: L,
		cache: map[string]*fstate{}, readBacks: map[string]*readBack{}}
	if cn, ok := h.(CommandNotifier); ok {
		m.notified = true
		cn.BeforeCommand(m.beforeCommand)
	}
	mods := []struct {
		name  string
		funcs map[string]lua.LGFunction
	}{
		{"file", m.fileFuncs()},
		{"apt", m.aptFuncs()},
		{"dpkg", m.dpkgFuncs()},
		{"systemd", m.systemdFuncs()},
		{"host", m.hostFuncs()},
		{"net", m.netFuncs()},
	}
	for _, mod := range mods {
		tb := L.SetFuncs(L.NewTable(), mod.funcs)
		guardModule(L, mod.name, tb)
		L.SetGlobal(mod.name, tb)
		L.PreloadModule(mod.name, func(L *lua.LState) int { L.Push(tb); return 1 })
	}
	ft := m.factsTable(L)
	L.SetGlobal("facts", ft)
	L.PreloadModule("facts", func(L *lua.LState) int { L.Push(ft); return 1 })
	for name, fn := range m.globalFuncs() {
		L.SetGlobal(name, L.NewFunction(fn))
	}
	return m
}

// SetRand replaces the source of randomness (net.random_mac), so tests
// and reproducible recordings can inject their own.
func (m *Modules) SetRand(r io.Reader) { m.rand = r }

// op is one operation in progress: it names itself and its target in
// every error and note, and talks to the host with the Lua state's context.
type op struct {
	m      *Modules
	L      *lua.LState
	ctx    context.Context
	name   string // "file.line"
	target string // "/etc/default/grub"
	// path is the file the operation's command changes ("" when it may
	// change anything, as a package install does).
	path string
	// pos is the runbook's file:line of an operation read back later.
	pos string
	// skipped: the user skipped the operation's command at the step
	// prompt; it ends unchanged and its checks of the result are off.
	skipped bool
	// intentShown: the operation has said its intent.
	intentShown bool
}

func (m *Modules) newOp(L *lua.LState, name, target string) *op {
	ctx := L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return &op{m: m, L: L, ctx: ctx, name: name, target: target}
}

// where names the operation, its target and (when it is not this
// machine) the host: "file.line /etc/default/grub on andromeda".
func (o *op) where() string {
	s := o.name
	if o.target != "" {
		s += " " + o.target
	}
	if n := o.m.host.Name(); n != "" && n != "local" {
		s += " on " + n
	}
	return s
}

// fail raises a Lua error: gopher-lua prefixes the runbook's file:line.
func (o *op) fail(format string, args ...any) {
	if o.skipped {
		// Checking after a command the user chose not to run would only
		// report that it did not run.
		return
	}
	msg := o.m.mask(o.where() + ": " + fmt.Sprintf(format, args...))
	if o.pos != "" {
		// Read back after the operation: name where it was.
		o.L.Error(lua.LString(o.pos+" "+msg), 0)
	}
	o.L.RaiseError("%s", msg)
}

// exec reads state through the side channel; failing to run it at all
// (connection lost, cancelled) is an error of the operation.
func (o *op) exec(cmd string, stdin []byte) ([]byte, int) {
	out, code, err := o.m.host.Exec(o.ctx, cmd, stdin)
	if err != nil {
		o.fail("reading state: %v", err)
	}
	return out, code
}

// run types cmd into the recorded session; an exit status not in ok
// (default {0}) fails the operation with the tail of the output.
func (o *op) run(cmd string, opts RunOptions) RunResult {
	opts.Op = o.name
	if opts.Target == "" {
		opts.Target = o.target
	}
	o.m.changing = o.path
	res, err := o.m.host.Run(o.ctx, cmd, opts)
	o.m.changing = ""
	if err != nil {
		o.fail("%v", err)
	}
	if res.Skipped {
		o.skipped = true
		return res
	}
	ok := opts.OK
	if len(ok) == 0 {
		ok = []int{0}
	}
	for _, c := range ok {
		if res.Exit == c {
			return res
		}
	}
	o.fail("%s exited with status %d%s", firstLine(cmd), res.Exit, OutputTail(res.Output))
	return res
}

// note shows a line about this operation on the user's display.
func (o *op) note(format string, args ...any) {
	o.m.host.Show(o.m.mask(o.where() + ": " + fmt.Sprintf(format, args...) + "\n"))
}

// showDiff shows the diff of a change when diffs are on; a nil side is
// a file that does not exist (then named /dev/null, as diff -N does).
func (o *op) showDiff(name string, old, new []byte) {
	if !o.m.host.ShowDiff() {
		return
	}
	oldName, newName := name, name
	if old == nil {
		oldName = "/dev/null"
	}
	if new == nil {
		newName = "/dev/null"
	}
	if d := unified(oldName, newName, old, new, true); d != "" {
		o.m.host.Show(maskReplaced(o.m.mask(d)))
	}
}

// maskReplaced masks, in a unified diff, what a removed line had where
// the added line paired with it (in order, within a hunk) holds a masked
// secret: the old value of a secret (an old password in a config file)
// is one too, though no secret set knows it.
func maskReplaced(d string) string {
	if !strings.Contains(d, secret.Mask) {
		return d
	}
	lines := strings.SplitAfter(d, "\n")
	// A line may be painted: ESC [ ... m before its sign.
	split := func(l string) (paint, rest string) {
		if strings.HasPrefix(l, "\x1b[") {
			if e := strings.IndexByte(l, 'm'); e > 0 {
				return l[:e+1], l[e+1:]
			}
		}
		return "", l
	}
	is := func(l string, sign byte) bool {
		_, r := split(l)
		return len(r) > 0 && r[0] == sign && !strings.HasPrefix(r, string([]byte{sign, sign, sign}))
	}
	for i := 0; i < len(lines); {
		if !is(lines[i], '-') {
			i++
			continue
		}
		j := i
		for j < len(lines) && is(lines[j], '-') {
			j++
		}
		k := j
		for k < len(lines) && is(lines[k], '+') {
			k++
		}
		for n := 0; n < j-i && n < k-j; n++ {
			paint, minus := split(lines[i+n])
			_, plus := split(lines[j+n])
			at := strings.Index(plus, secret.Mask)
			if at < 0 {
				continue
			}
			p := 1
			for p < len(minus) && p < at && minus[p] == plus[p] {
				p++
			}
			end := "\n"
			if paint != "" {
				end = colReset + "\n"
			}
			lines[i+n] = paint + minus[:p] + secret.Mask + end
		}
		i = k
	}
	return strings.Join(lines, "")
}

// diffText is the diff of a change as showDiff would show it, whether or
// not diffs are on (for the step prompt).
func (o *op) diffText(name string, old, new []byte) string {
	oldName, newName := name, name
	if old == nil {
		oldName = "/dev/null"
	}
	if new == nil {
		newName = "/dev/null"
	}
	return maskReplaced(o.m.mask(unified(oldName, newName, old, new, true)))
}

// done records the outcome and notifies the handlers the operation named.
func (o *op) done(changed bool, notify []*handler) lua.LBool {
	changed = changed && !o.skipped
	o.m.host.Changed(o.name, o.target, changed)
	if changed {
		for _, h := range notify {
			h.pending = true
		}
	}
	return lua.LBool(changed)
}

// wouldChange notes, in a dry run, an operation whose effect on files
// cannot be predicted, so that later operations on files it may create
// say they depend on it instead of failing.
func (o *op) wouldChange(what string) {
	o.m.pending = append(o.m.pending, what)
}

// dependsOn returns what an operation on a missing target depends on in
// a dry run ("" when nothing earlier would change it).
func (o *op) dependsOn() string {
	if !o.m.host.DryRun() || len(o.m.pending) == 0 {
		return ""
	}
	return strings.Join(o.m.pending, ", ")
}

// mask replaces every secret value in s, in every form secret.Forms
// lists, by "****".
func (m *Modules) mask(s string) string {
	return secret.New(m.host.Secrets()...).MaskString(s)
}

// hasSecret reports whether b contains a secret value.
func (m *Modules) hasSecret(b []byte) bool {
	for _, sec := range m.host.Secrets() {
		if sec != "" && strings.Contains(string(b), sec) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// OutputTail is the last few lines of a command's output, for an error
// message (":" and the lines indented on lines of their own; "" for none).
func OutputTail(out string) string {
	out = strings.TrimRight(out, "\n ")
	if out == "" {
		return ""
	}
	lines := strings.Split(out, "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return ":\n  " + strings.Join(lines, "\n  ")
}
