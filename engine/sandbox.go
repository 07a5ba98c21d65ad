package engine

import (
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// newSandbox returns a Lua state with the libraries a runbook may use.
// Everything that would act on the machine outside the session is left
// out: os.execute, io.popen, writing files, exiting the process. A runbook
// changes things only through commands typed into the session, so every
// effect is recorded, confirmable in step mode and cancellable.
//
// dir is where the runbook is: require() finds modules kept beside it.
func newSandbox(dir string) *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true,
		// gopher-lua's defaults (a fixed registry of 20 Ki slots, 256
		// calls) fail table.concat of a few thousand strings with
		// "registry overflow": start small and grow as a runbook needs,
		// up to what a config file of millions of lines takes. Small
		// matters: a fleet holds one state per host at once, and a
		// runbook's steps use a few hundred slots (20 Ki of them were
		// 320 KB a host).
		RegistrySize:     1024 * 2,
		RegistryGrowStep: 1024 * 32,
		RegistryMaxSize:  1024 * 1024 * 8,
		// The call stack grows by segments; its index of segments is
		// allocated whole (8 bytes per 8 calls).
		CallStackSize:       1024 * 16,
		MinimizeStackMemory: true,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.OsLibName, lua.OpenOs},
		{lua.IoLibName, lua.OpenIo},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	keepOnly(L, "os", "time", "date", "clock", "difftime", "getenv")
	io := L.GetGlobal("io").(*lua.LTable)
	orig := io.RawGetString("open")
	keepOnly(L, "io", "lines")
	io.RawSetString("open", L.NewFunction(readOnlyOpen(orig)))
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
		var path string
		if dir != "" {
			path = filepath.Join(dir, "?.lua") + ";" + filepath.Join(dir, "?", "init.lua")
		}
		pkg.RawSetString("path", lua.LString(path))
		pkg.RawSetString("cpath", lua.LString(""))
	}
	return L
}

// keepOnly removes every field of the global table lib but keep.
func keepOnly(L *lua.LState, lib string, keep ...string) {
	tb, ok := L.GetGlobal(lib).(*lua.LTable)
	if !ok {
		return
	}
	var drop []string
	tb.ForEach(func(k, _ lua.LValue) {
		name := k.String()
		for _, kk := range keep {
			if kk == name {
				return
			}
		}
		drop = append(drop, name)
	})
	for _, name := range drop {
		tb.RawSetString(name, lua.LNil)
	}
}

// readOnlyOpen wraps io.open so it can only read.
//
//	io.open(path [, mode]) -> file | nil, message
func readOnlyOpen(orig lua.LValue) lua.LGFunction {
	return func(L *lua.LState) int {
		path := L.CheckString(1)
		mode := L.OptString(2, "r")
		if strings.ContainsAny(mode, "wa+") {
			L.ArgError(2, "runbooks may only read files with io.open; change files with commands or the file module")
			return 0
		}
		L.SetTop(0)
		L.Push(orig)
		L.Push(lua.LString(path))
		L.Push(lua.LString(mode))
		L.Call(2, lua.MultRet)
		return L.GetTop()
	}
}
