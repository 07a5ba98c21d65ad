package engine

import (
	"regexp"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
)

// guardParams makes reading an undeclared parameter an error naming it
// (and the declared one it was likely meant to be), in a run and in
// `runbook steps` alike: params.greting would otherwise be nil, and the
// command typed "echo " .. nil fails somewhere else, or worse, does not.
func (r *runner) guardParams(L *lua.LState, tb *lua.LTable) {
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		key := L.Get(2).String()
		var names []string
		for _, p := range r.rb.Params {
			names = append(names, p.Name)
		}
		msg := "params." + key + " is not a declared parameter"
		if s := stdlib.Closest(key, names); s != "" {
			msg += "; did you mean params." + s + "?"
		} else if len(names) > 0 {
			sort.Strings(names)
			msg += " (declared: " + strings.Join(names, ", ") + ")"
		} else {
			msg += " (the runbook declares none: runbook{params={...}})"
		}
		L.RaiseError("%s", msg)
		return 0
	}))
	L.SetMetatable(tb, mt)
}

// lintMistake matches the errors that are mistakes in the runbook
// whatever a run would return: a function a module does not have, an
// undeclared parameter, a wrong argument or option of sh() or of a stdlib
// operation. `runbook steps` reports them (exit 2) even after commands
// whose output it can only pretend.
var lintMistake = regexp.MustCompile(`is not a function of module |is not a declared parameter|bad argument #\d+ to (sh|comment|skip|step|runbook) |unknown option|option \S+ must be|must be an options table|: unknown runbook field`)

// planError classifies an error that ended a step's listing: a mistake
// of the runbook (reported, exit 2), or where the listing stops because
// the rest depends on the run. faked says whether the step already got a
// pretended result of a command (exit 0, no output) the error may come
// from; own that the runbook raised it itself with error(), a check of
// the run it makes (a parameter not given).
func planError(reason string, faked, own bool) (stop string, mistake bool) {
	if s := planStop(reason); s != reason {
		return s, false // it reads the host's state
	}
	switch {
	case lintMistake.MatchString(reason):
		return "", true
	case own:
		return "the runbook's own check stops it at " + reason, false
	case faked:
		return "it uses what a command returned, at " + reason, false
	}
	return "", true
}
