package stdlib

import (
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellquote"
	lua "github.com/yuin/gopher-lua"
)

var _ = documentModule("systemd", `Units and services, with the systemctl command a person would
type. Where systemd is not running (a chroot, a container without an init), enable and disable
still work (they only make links), and start, stop and restart say "not booted" and change
nothing instead of failing obscurely.`)

func (m *Modules) systemdFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"unit":          m.systemdUnit,
		"enable":        m.systemdEnable,
		"disable":       m.systemdDisable,
		"start":         m.systemdStart,
		"stop":          m.systemdStop,
		"restart":       m.systemdRestart,
		"is_active":     m.systemdIsActive,
		"daemon_reload": m.systemdDaemonReload,
	}
}

var unitName = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+$`)

func (o *op) checkUnit(n int) string {
	u := o.checkString(n, "unit name")
	o.target = u
	if !unitName.MatchString(u) {
		o.fail("%q is not a unit name", u)
	}
	return u
}

// booted reports whether systemd runs the host (the test sd_booted uses).
func (o *op) booted() bool {
	_, code := o.exec("test -d /run/systemd/system", nil)
	return code == 0
}

// unitState is `systemctl is-enabled` or `is-active` of u ("" when the
// unit is unknown).
func (o *op) unitState(verb, u string) string {
	out, _ := o.exec("systemctl "+verb+" "+shellquote.Quote(u)+" 2>/dev/null", nil)
	return strings.TrimSpace(string(out))
}

var _ = document("systemd", "unit", `systemd.unit(name, content) -> changed`,
	`Writes /etc/systemd/system/NAME (the guide's dnsmasq@.service) as file.write does, then runs
systemctl daemon-reload when it changed and systemd is running.`)

func (m *Modules) systemdUnit(L *lua.LState) int {
	o := m.newOp(L, "systemd.unit", "")
	u := o.checkUnit(1)
	if !strings.Contains(u, ".") {
		o.fail("give the unit's full file name (%s.service, %s.timer, ...)", u, u)
	}
	content := []byte(o.checkContent(2))
	opt := o.options(3)
	p := "/etc/systemd/system/" + u
	o.wholeIntent(p, content, attrs{mode: -1}, "")
	if o.planned(opt.notify(), typedFill(p, content), "systemctl daemon-reload") {
		L.Push(lua.LTrue)
		return 1
	}
	st := o.state(p)
	changed := o.setFile(st, content, attrs{mode: -1}, nil, opt.notify())
	if changed {
		if !o.booted() {
			o.note("systemd is not running here (not booted with it): no daemon-reload needed")
		} else if o.m.host.DryRun() {
			o.note("would run systemctl daemon-reload")
		} else {
			o.run("systemctl daemon-reload", RunOptions{})
		}
	}
	L.Push(lua.LBool(changed))
	return 1
}

// ready reports whether the unit is known, or (in a dry run) would be
// once an earlier operation is done; it fails otherwise.
func (o *op) known(u, state string) bool {
	if state != "" {
		return true
	}
	if o.m.host.DryRun() {
		if _, ok := o.m.plan["/etc/systemd/system/"+u]; ok {
			o.note("the unit does not exist yet: depends on systemd.unit %s", u)
			return false
		}
		if dep := o.dependsOn(); dep != "" {
			o.note("the unit does not exist yet: depends on %s", dep)
			return false
		}
	}
	o.fail("no such unit")
	return false
}

var _ = document("systemd", "enable", `systemd.enable(name [, {now=false}]) -> changed`,
	`Enables the unit (systemctl enable) unless it is enabled already; now=true also starts it.
Works offline, where systemd is not running.`)

func (m *Modules) systemdEnable(L *lua.LState) int { return m.systemdSwitch(L, true) }

var _ = document("systemd", "disable", `systemd.disable(name [, {now=false}]) -> changed`,
	`Disables the unit (systemctl disable) unless it is disabled already; now=true also stops
it. Works offline.`)

func (m *Modules) systemdDisable(L *lua.LState) int { return m.systemdSwitch(L, false) }

// systemdSwitch is systemd.enable (on) and systemd.disable: the unit
// enabled or disabled, and with now=true also started or stopped.
func (m *Modules) systemdSwitch(L *lua.LState, on bool) int {
	name, verb, text, act := "systemd.disable", "disable", " disabled", "stop"
	if on {
		name, verb, text, act = "systemd.enable", "enable", " enabled", "start"
	}
	o := m.newOp(L, name, "")
	u := o.checkUnit(1)
	opt := o.options(2, "now")
	now := opt.boolean("now", false)
	cmd := "systemctl " + verb + " "
	switch {
	case now && on:
		text, cmd = " enabled and started", cmd+"--now "
	case now:
		text, cmd = " stopped and disabled", cmd+"--now "
	}
	o.intent(Intent{Text: u + text})
	if o.planned(opt.notify(), cmd+shellquote.Quote(u)) {
		L.Push(lua.LTrue)
		return 1
	}
	if now && o.both(u, on, opt.notify()) {
		L.Push(lua.LTrue)
		return 1
	}
	changed := o.setEnabled(u, on, opt.notify())
	if now && o.setActive(u, act, opt.notify()) {
		changed = true
	}
	L.Push(lua.LBool(changed))
	return 1
}

// both does enable --now (on) or disable --now in one command, as a
// person types it, when the unit needs both halves; false when it does
// not (or systemd is not running, or this is a dry run): the halves are
// then done one by one.
func (o *op) both(u string, on bool, notify []*handler) bool {
	if o.m.host.DryRun() || !o.booted() {
		return false
	}
	en, act := o.unitState("is-enabled", u), o.unitState("is-active", u)
	running := act == "active" || act == "activating" || act == "reloading"
	verb := "disable"
	if on {
		verb = "enable"
		if en != "disabled" || running {
			return false
		}
	} else if en != "enabled" || !running {
		return false
	}
	o.run("systemctl "+verb+" --now "+shellquote.Quote(u), RunOptions{})
	en, act = o.unitState("is-enabled", u), o.unitState("is-active", u)
	if (en == "enabled") != on || (act == "active") != on && !(on && act == "activating") {
		o.fail("after systemctl %s --now it is %s and %s", verb, en, act)
	}
	return bool(o.done(true, notify))
}

func (o *op) setEnabled(u string, on bool, notify []*handler) bool {
	st := o.unitState("is-enabled", u)
	if !o.known(u, st) {
		return bool(o.done(true, notify))
	}
	var done bool
	verb := "enable"
	if on {
		done = st == "enabled" || st == "static" || st == "alias" || st == "generated"
	} else {
		verb = "disable"
		done = st == "disabled" || st == "static" || st == "masked" || st == "generated"
	}
	if done {
		return bool(o.done(false, notify))
	}
	if o.m.host.DryRun() {
		o.note("would %s it (it is %s)", verb, st)
		return bool(o.done(true, notify))
	}
	o.run("systemctl "+verb+" "+shellquote.Quote(u), RunOptions{})
	if got := o.unitState("is-enabled", u); (got == "enabled") != on {
		o.fail("after systemctl %s it is %q", verb, got)
	}
	return bool(o.done(true, notify))
}

var _ = document("systemd", "start", `systemd.start(name) -> changed`,
	`Starts the unit unless it is active.`)

func (m *Modules) systemdStart(L *lua.LState) int { return m.systemdActive(L, "start", "running") }

var _ = document("systemd", "stop", `systemd.stop(name) -> changed`,
	`Stops the unit if it is active (or activating).`)

func (m *Modules) systemdStop(L *lua.LState) int { return m.systemdActive(L, "stop", "stopped") }

// systemdActive is systemd.start and systemd.stop: verb is systemctl's,
// state what the unit is after it.
func (m *Modules) systemdActive(L *lua.LState, verb, state string) int {
	o := m.newOp(L, "systemd."+verb, "")
	u := o.checkUnit(1)
	opt := o.options(2)
	o.intent(Intent{Text: u + " " + state})
	if o.planned(opt.notify(), "systemctl "+verb+" "+shellquote.Quote(u)) {
		L.Push(lua.LTrue)
		return 1
	}
	L.Push(lua.LBool(o.setActive(u, verb, opt.notify())))
	return 1
}

var _ = document("systemd", "restart", `systemd.restart(name) -> changed`,
	`Restarts the unit: always a change.`)

func (m *Modules) systemdRestart(L *lua.LState) int {
	o := m.newOp(L, "systemd.restart", "")
	u := o.checkUnit(1)
	opt := o.options(2)
	o.intent(Intent{Text: u + " restarted"})
	if o.planned(opt.notify(), "systemctl restart "+shellquote.Quote(u)) {
		L.Push(lua.LTrue)
		return 1
	}
	L.Push(lua.LBool(o.setActive(u, "restart", opt.notify())))
	return 1
}

// setActive starts, stops or restarts u when needed; where systemd is
// not running it says so and changes nothing.
func (o *op) setActive(u, verb string, notify []*handler) bool {
	if !o.booted() {
		o.note("not booted: systemd is not running on this host (a chroot or container without init), so it is not %s", map[string]string{"start": "started", "stop": "stopped", "restart": "restarted"}[verb])
		return bool(o.done(false, notify))
	}
	st := o.unitState("is-active", u)
	switch {
	case verb == "start" && st == "active":
		return bool(o.done(false, notify))
	case verb == "stop" && st != "active" && st != "activating" && st != "reloading":
		return bool(o.done(false, notify))
	}
	if o.m.host.DryRun() {
		o.note("would %s it (it is %s)", verb, st)
		return bool(o.done(true, notify))
	}
	o.run("systemctl "+verb+" "+shellquote.Quote(u), RunOptions{})
	got := o.unitState("is-active", u)
	if verb == "stop" && got == "active" || verb != "stop" && got != "active" && got != "activating" {
		o.fail("after systemctl %s it is %s", verb, got)
	}
	return bool(o.done(true, notify))
}

var _ = document("systemd", "is_active", `systemd.is_active(name) -> bool`,
	`Whether the unit is active (false where systemd is not running).`)

func (m *Modules) systemdIsActive(L *lua.LState) int {
	o := m.newOp(L, "systemd.is_active", "")
	u := o.checkUnit(1)
	L.Push(lua.LBool(o.booted() && o.unitState("is-active", u) == "active"))
	return 1
}

var _ = document("systemd", "daemon_reload", `systemd.daemon_reload()`,
	`Runs systemctl daemon-reload (when systemd is running). systemd.unit does it by itself.`)

func (m *Modules) systemdDaemonReload(L *lua.LState) int {
	o := m.newOp(L, "systemd.daemon_reload", "")
	o.intent(Intent{Text: "systemd's unit files read again"})
	if o.planned(nil, "systemctl daemon-reload") {
		return 0
	}
	if !o.booted() || o.m.host.DryRun() {
		return 0
	}
	o.run("systemctl daemon-reload", RunOptions{})
	return 0
}
