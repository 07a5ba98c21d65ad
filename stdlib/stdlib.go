// Package stdlib holds the Lua modules runbooks call — file, apt, dpkg,
// systemd, host, facts, net — one file per module, each function documented
// in signature form next to its code.
//
// It depends only on the Host interface it defines (host.go); the engine
// implements that interface. It must not import the engine or the player.
package stdlib

import (
	lua "github.com/yuin/gopher-lua"
)

// Modules is the stdlib opened in one Lua state for one host.
type Modules struct {
	host Host
}

// Open registers every stdlib module in L, both as a global (file.write)
// and for require("file"), acting on h.
func Open(L *lua.LState, h Host) *Modules {
	m := &Modules{host: h}
	return m
}

// EndStep runs the on_change handlers queued during the step that just
// ended. The engine calls it after every step, and once more at the end
// of the runbook for handlers queued at runbook level.
func (m *Modules) EndStep(L *lua.LState) error {
	return nil
}
