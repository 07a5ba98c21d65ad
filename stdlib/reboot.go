package stdlib

import (
	"time"

	lua "github.com/yuin/gopher-lua"
)

var _ = documentModule("host", `The host as a whole.`)

func (m *Modules) hostFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"reboot": m.hostReboot,
	}
}

var _ = document("host", "reboot", `host.reboot([{wait=true, timeout=600}]) -> true`,
	`Reboots the host (systemctl reboot, typed in the session). With wait, the run goes on once
the host is back and reachable again (within timeout seconds), in a new session; the recording
notes the gap. Facts are gathered again afterwards. In a dry run it only says it would reboot.`)

func (m *Modules) hostReboot(L *lua.LState) int {
	o := m.newOp(L, "host.reboot", m.host.Name())
	opt := o.options(1, "wait", "timeout")
	wait := opt.boolean("wait", true)
	timeout := opt.number("timeout", 600)
	if timeout <= 0 {
		o.fail("timeout= must be a positive number of seconds")
	}
	if m.host.DryRun() {
		o.note("would reboot")
		o.wouldChange("host.reboot")
		L.Push(o.done(true, opt.notify()))
		return 1
	}
	r, ok := m.host.(Rebooter)
	if !ok {
		o.fail("this target cannot be rebooted by runbook")
	}
	if err := r.Reboot(o.ctx, wait, time.Duration(timeout*float64(time.Second))); err != nil {
		o.fail("%v", err)
	}
	// A new boot: what was read about the host may have changed.
	m.ident = nil
	if m.facts != nil {
		m.resetFacts(L)
	}
	L.Push(o.done(true, opt.notify()))
	return 1
}
