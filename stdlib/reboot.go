package stdlib

import (
	"regexp"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/shellquote"
	lua "github.com/yuin/gopher-lua"
)

var _ = documentModule("host", `The host as a whole.`)

func (m *Modules) hostFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"reboot": m.hostReboot,
		"blkid":  m.hostBlkid,
	}
}

var _ = document("host", "reboot", `host.reboot([{wait=true, timeout=600, unlock=SECRET}]) -> true`,
	`Reboots the host (systemctl reboot, typed in the session). With wait, the run goes on once
the host is back and reachable again (within timeout seconds), in a new session; the recording
notes the gap. Facts are gathered again afterwards. In a dry run it only says it would reboot.
unlock is the passphrase of an encrypted disk the host's initramfs asks for at boot: runbook
types it at the host's console (--console CMD), once; a second prompt (a wrong passphrase)
fails the step. It goes to the console only: pass a secret parameter, never a literal.`)

func (m *Modules) hostReboot(L *lua.LState) int {
	o := m.newOp(L, "host.reboot", m.host.Name())
	opt := o.options(1, "wait", "timeout", "unlock")
	ro := RebootOptions{Wait: opt.boolean("wait", true), Unlock: opt.str("unlock", "")}
	timeout := opt.number("timeout", 600)
	if timeout <= 0 {
		o.fail("timeout= must be a positive number of seconds")
	}
	ro.Timeout = time.Duration(timeout * float64(time.Second))
	if ro.Unlock != "" && !ro.Wait {
		o.fail("unlock= needs wait=true: the passphrase is typed while runbook waits for the host")
	}
	o.intent(Intent{Text: "the host rebooted"})
	if o.planned(opt.notify(), "systemctl reboot") {
		L.Push(lua.LTrue)
		return 1
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
	if err := r.Reboot(o.ctx, ro); err != nil {
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

var _ = document("host", "blkid", `host.blkid(device [, tag="UUID"]) -> string|nil`,
	`A tag of the file system or volume on device (UUID, TYPE, LABEL, ...), as blkid reads it,
or nil when it has none: read through the side channel, never typed. In a listing it is a
placeholder ("<UUID of /dev/sda2>"), and TYPE is nil, as on a fresh disk.`)

func (m *Modules) hostBlkid(L *lua.LState) int {
	o := m.newOp(L, "host.blkid", "")
	dev := o.checkString(1, "device")
	o.target = dev
	tag := L.OptString(2, "UUID")
	if !regexp.MustCompile(`^[A-Z_]+$`).MatchString(tag) {
		o.fail("tag %q is not a blkid tag like UUID or TYPE", tag)
	}
	if o.planning() {
		if tag == "TYPE" {
			L.Push(lua.LNil) // listed as on a fresh disk: no file system yet
		} else {
			L.Push(lua.LString("<" + tag + " of " + dev + ">"))
		}
		return 1
	}
	out, _ := o.exec("blkid -s "+tag+" -o value -- "+shellquote.Quote(dev), nil)
	v := strings.TrimSpace(string(out))
	if i := strings.IndexByte(v, '\n'); i >= 0 {
		v = v[:i]
	}
	if v == "" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(v))
	}
	return 1
}
