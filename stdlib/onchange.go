package stdlib

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// on_change handlers: run something once, after the operations that
// named it, when any of them changed something — update-grub after the
// grub defaults changed, however many lines changed.

const handlerType = "runbook.handler"

type handler struct {
	name    string
	fn      *lua.LFunction
	atEnd   bool // run at the end of the runbook, not of the step
	pending bool // notified since it last ran
}

func (m *Modules) globalFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"on_change": m.onChange,
		"notify":    m.notifyFn,
	}
}

var _ = document("", "on_change", `on_change([name,] fn [, {at="step"|"runbook"}]) -> handler`,
	`Declares a handler: fn runs once at the end of the step (at="runbook": at the end of the
runbook) in which any operation that named it in notify= changed something; it does not run
when nothing changed. Name it to refer to it by name (notify="update-grub"). Handlers run in
the order they were declared.`)

func (m *Modules) onChange(L *lua.LState) int {
	o := m.newOp(L, "on_change", "")
	h := &handler{}
	n := 1
	if s, ok := L.Get(1).(lua.LString); ok {
		h.name = string(s)
		n = 2
	}
	fn, ok := L.Get(n).(*lua.LFunction)
	if !ok {
		o.fail("argument #%d must be a function, got %s", n, L.Get(n).Type())
	}
	h.fn = fn
	h.atEnd = o.options(n+1, "at").oneOf("at", "step", "runbook") == "runbook"
	if h.name != "" {
		for _, x := range m.handlers {
			if x.name == h.name {
				o.fail("a handler named %q is already declared", h.name)
			}
		}
	}
	m.handlers = append(m.handlers, h)
	ud := L.NewUserData()
	ud.Value = h
	L.Push(ud)
	return 1
}

var _ = document("", "notify", `notify(handler)`,
	`Marks a handler (or its name, or a list of them) as changed, as an operation with notify=
does: for changes made by plain sh() commands.`)

func (m *Modules) notifyFn(L *lua.LState) int {
	o := m.newOp(L, "notify", "")
	for _, h := range m.handlersOf(o, L.Get(1)) {
		h.pending = true
	}
	return 0
}

// notify reads an operation's notify= option.
func (p opts) notify() []*handler {
	return p.o.m.handlersOf(p.o, p.t.RawGetString("notify"))
}

// handlersOf resolves a handler, a handler's name, or a list of them.
func (m *Modules) handlersOf(o *op, v lua.LValue) []*handler {
	switch v := v.(type) {
	case *lua.LNilType:
		return nil
	case *lua.LUserData:
		if h, ok := v.Value.(*handler); ok {
			return []*handler{h}
		}
	case lua.LString:
		for _, h := range m.handlers {
			if h.name == string(v) {
				return []*handler{h}
			}
		}
		o.fail("notify: no handler named %q (declare it with on_change first)", string(v))
	case *lua.LTable:
		var out []*handler
		for i := 1; i <= v.Len(); i++ {
			out = append(out, m.handlersOf(o, v.RawGetInt(i))...)
		}
		return out
	}
	o.fail("notify must be a handler from on_change, its name, or a list of them; got %s", v.Type())
	return nil
}

// EndStep runs the on_change handlers notified during the step that just
// ended. The engine calls it after every step. A handler that notifies
// another makes it run too.
func (m *Modules) EndStep(L *lua.LState) error {
	if err := m.readBackAtEnd(L); err != nil {
		return err
	}
	return m.runPending(L, false)
}

// readBackAtEnd reads back the step's last results (readback.go).
func (m *Modules) readBackAtEnd(L *lua.LState) error {
	if len(m.readBacks) == 0 {
		return nil
	}
	return L.CallByParam(lua.P{Fn: L.NewFunction(func(L *lua.LState) int {
		m.readBackAll("")
		return 0
	}), NRet: 0, Protect: true})
}

// EndRunbook runs every handler still pending — those declared with
// at="runbook" — once, at the end of the runbook. The engine calls it
// after the last step (and after EndStep for that step).
func (m *Modules) EndRunbook(L *lua.LState) error {
	return m.runPending(L, true)
}

func (m *Modules) runPending(L *lua.LState, all bool) error {
	// Bounded: a handler that keeps notifying itself must not loop forever.
	for round := 0; round < 100; round++ {
		ran := false
		for _, h := range m.handlers {
			if !h.pending || (h.atEnd && !all) {
				continue
			}
			h.pending = false
			ran = true
			if err := L.CallByParam(lua.P{Fn: h.fn, NRet: 0, Protect: true}); err != nil {
				name := h.name
				if name == "" {
					name = "on_change handler"
				}
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		if !ran {
			return nil
		}
	}
	return fmt.Errorf("on_change handlers keep notifying each other")
}
