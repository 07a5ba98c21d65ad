package stdlib

import (
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellquote"
	lua "github.com/yuin/gopher-lua"
)

var _ = documentModule("dpkg", `dpkg's own state: diversions, which make dpkg put a package's
file somewhere else, for good (the guide's 20_linux_xen → 08_linux_xen, so Xen comes first in
grub's menu). The fact is dpkg-divert --list.`)

func (m *Modules) dpkgFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"divert":   m.dpkgDivert,
		"diverted": m.dpkgDiverted,
	}
}

// diversion returns where path is diverted to, "" when it is not.
func (o *op) diversion(p string) string {
	out, code := o.exec("dpkg-divert --list "+shellquote.Quote(p), nil)
	if code != 0 {
		o.fail("dpkg-divert --list failed (exit %d): %s", code, strings.TrimSpace(string(out)))
	}
	// "local diversion of A to B" or "diversion of A to B by PKG"
	for _, l := range strings.Split(string(out), "\n") {
		_, rest, ok := strings.Cut(l, "diversion of "+p+" to ")
		if !ok {
			continue
		}
		to, _, _ := strings.Cut(rest, " by ")
		return to
	}
	if o.m.host.DryRun() {
		if st, ok := o.m.plan["divert:"+p]; ok {
			return st.path
		}
	}
	return ""
}

var _ = document("dpkg", "divert", `dpkg.divert(path, {to=, rename=true, state="present"|"absent"}) -> changed`,
	`Diverts path to the path to= with dpkg-divert (a local diversion), moving the file there now
when rename is true; packages then install that file at to=. state="absent" removes the
diversion and moves the file back. A path already diverted elsewhere is an error.`)

func (m *Modules) dpkgDivert(L *lua.LState) int {
	o := m.newOp(L, "dpkg.divert", "")
	p := o.checkPath(1)
	opt := o.options(2, "to", "rename", "state")
	state := opt.oneOf("state", "present", "absent")
	to := opt.str("to", "")
	if state == "present" && !strings.HasPrefix(to, "/") {
		o.fail("to= must be an absolute path")
	}
	rename := opt.boolean("rename", true)
	divertCmd := "dpkg-divert --divert " + shellquote.Quote(to)
	if rename {
		divertCmd += " --rename " + shellquote.Quote(p)
	} else {
		divertCmd += " --no-rename " + shellquote.Quote(p)
	}
	undoCmd := "dpkg-divert --rename --remove " + shellquote.Quote(p)
	if !rename {
		undoCmd = "dpkg-divert --no-rename --remove " + shellquote.Quote(p)
	}
	if state == "present" {
		o.intent(Intent{Text: fmt.Sprintf("%s diverted to %s", p, to)})
		if o.planned(opt.notify(), divertCmd) {
			L.Push(lua.LTrue)
			return 1
		}
	} else {
		o.intent(Intent{Text: fmt.Sprintf("%s not diverted", p)})
		if o.planned(opt.notify(), undoCmd) {
			L.Push(lua.LTrue)
			return 1
		}
	}
	have := o.diversion(p)
	var cmd string
	switch {
	case state == "present" && have == to, state == "absent" && have == "":
		L.Push(o.done(false, opt.notify()))
		return 1
	case state == "present" && have != "":
		o.fail("is already diverted to %s, not %s", have, to)
	case state == "present":
		cmd = divertCmd
	default:
		cmd = undoCmd
	}
	if o.m.host.DryRun() {
		if state == "present" {
			o.note("would divert it to %s", to)
			o.m.plan["divert:"+p] = &fstate{path: to}
			if rename {
				// The file moves: later operations see it at its new place.
				if st := o.state(p); st.exists() {
					moved := *st
					moved.path = to
					o.m.plan[to] = &moved
					o.m.plan[p] = &fstate{path: p, kind: 'n', planned: true}
				}
			}
		} else {
			o.note("would remove its diversion to %s", have)
		}
		L.Push(o.done(true, opt.notify()))
		return 1
	}
	o.run(cmd, RunOptions{})
	if got := o.diversion(p); state == "present" && got != to || state == "absent" && got != "" {
		o.fail("after %s, dpkg-divert --list says it is diverted to %q", cmd, got)
	}
	L.Push(o.done(true, opt.notify()))
	return 1
}

var _ = document("dpkg", "diverted", `dpkg.diverted(path) -> string|nil`,
	`Where path is diverted to, or nil when it is not diverted.`)

func (m *Modules) dpkgDiverted(L *lua.LState) int {
	o := m.newOp(L, "dpkg.diverted", "")
	if to := o.diversion(o.checkPath(1)); to != "" {
		L.Push(lua.LString(to))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}
