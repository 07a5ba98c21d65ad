package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
)

var _ = stdlib.Document("", "runbook", `runbook{name=, title=, description=, host=, sudo=, prompt=, normalize={patterns}, params={NAME={default=, doc=, type="string"|"number"|"bool", secret=, env=, required=}}}`,
	`Declares the runbook: its name and title (for recordings and pages), a description (shown by
runbook FILE.lua --help and on the page), the host it runs on by default, whether it needs
sudo, the prompt its recording shows, output patterns check ignores, and its parameters.
Parameters are read from --set, RUNBOOK_PARAM_<NAME>, --set-file, their default, or asked;
a secret one is masked everywhere and typed as the shell variable ${NAME}. A parameter
without a type takes its default's (default=false makes a bool, default=3 a number), else
string. At most once, at the top level.`)

var _ = stdlib.Document("", "params", `params.NAME -> value`,
	`The parameters runbook{} declared, with their values (a string, number or bool, as
declared). Reading one that is not declared is an error naming the closest one.`)

// luaRunbook declares the runbook's metadata and parameters. Parameters
// are resolved right away (from --set, defaults, or by asking), so the
// runbook's top level and its steps see params.NAME.
//
//	runbook{ name=, title=, description=, host=, sudo=, prompt=,
//	         normalize={patterns}, params={NAME={default=, doc=, type=, secret=, env=}} }
func (r *runner) luaRunbook(L *lua.LState) int {
	t := L.CheckTable(1)
	rb := r.rb
	if rb.declared {
		L.RaiseError("runbook{} may be called only once")
	}
	if len(rb.Steps) > 0 {
		L.RaiseError("runbook{} must come before the first step()")
	}
	rb.declared = true
	known := map[string]bool{"name": true, "title": true, "description": true, "host": true, "sudo": true, "prompt": true, "normalize": true, "params": true}
	t.ForEach(func(k, v lua.LValue) {
		if !known[k.String()] {
			L.ArgError(1, fmt.Sprintf("unknown runbook field %q (known: name, title, description, host, sudo, prompt, normalize, params)", k.String()))
		}
	})
	rb.Name = optString(L, t, "name", rb.Name)
	rb.Title = optString(L, t, "title", "")
	rb.Description = strings.TrimSpace(optString(L, t, "description", ""))
	rb.Host = optString(L, t, "host", "")
	rb.Prompt = optString(L, t, "prompt", "")
	if v := t.RawGetString("sudo"); v != lua.LNil {
		rb.Sudo = lua.LVAsBool(v)
	}
	if v, ok := t.RawGetString("normalize").(*lua.LTable); ok {
		v.ForEach(func(_, p lua.LValue) { rb.Normalize = append(rb.Normalize, p.String()) })
	}
	if ps, ok := t.RawGetString("params").(*lua.LTable); ok {
		ps.ForEach(func(k, v lua.LValue) {
			p := &Param{Name: k.String(), Type: "string", Required: true}
			switch d := v.(type) {
			case *lua.LTable:
				p.Doc = optString(L, d, "doc", "")
				// Without a type, a default of true or false makes a
				// bool and a numeric default a number: the string
				// "false" would be true in Lua.
				p.Type = optString(L, d, "type", defaultType(d.RawGetString("default")))
				p.Secret = lua.LVAsBool(d.RawGetString("secret"))
				p.Env = optString(L, d, "env", "")
				if def := d.RawGetString("default"); def != lua.LNil {
					p.Default, p.Required = lua.LVAsString(def), false
					if b, ok := def.(lua.LBool); ok {
						p.Default = strconv.FormatBool(bool(b))
					}
				}
			case lua.LString, lua.LNumber, lua.LBool:
				// params = { greeting = "hello" } is a default.
				p.Type = defaultType(d)
				p.Default, p.Required = lua.LVAsString(d), false
				if b, ok := d.(lua.LBool); ok {
					p.Default = strconv.FormatBool(bool(b))
				}
			default:
				L.ArgError(1, fmt.Sprintf("params.%s: want a table {default=, doc=, ...} or a default value", p.Name))
			}
			switch p.Type {
			case "string", "number", "bool":
			default:
				L.ArgError(1, fmt.Sprintf("params.%s: type %q: want string, number or bool", p.Name, p.Type))
			}
			rb.Params = append(rb.Params, p)
		})
		sort.Slice(rb.Params, func(i, j int) bool { return rb.Params[i].Name < rb.Params[j].Name })
	}
	if err := r.resolveParams(L); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return 0
}

// defaultType is the type of a parameter declared without one: that of
// its default (string when it has none).
func defaultType(def lua.LValue) string {
	switch def.(type) {
	case lua.LBool:
		return "bool"
	case lua.LNumber:
		return "number"
	}
	return "string"
}

func optString(L *lua.LState, t *lua.LTable, key, def string) string {
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	default:
		L.ArgError(1, fmt.Sprintf("field %q: want a string, got %s", key, v.Type()))
		return def
	}
}

var _ = stdlib.Document("", "step", `step(name, function() ... end)`,
	`Declares a step: its name is shown, recorded and used by --from, --only and check. Steps
run in the order they are declared; a step ends as ok, changed, skipped or failed.`)

// luaStep declares a step.
//
//	step(name, function() ... end)
func (r *runner) luaStep(L *lua.LState) int {
	name := L.CheckString(1)
	fn := L.CheckFunction(2)
	if r.inStep != nil {
		L.RaiseError("step() inside a step: declare steps at the top level of the runbook")
	}
	for _, s := range r.rb.Steps {
		if s.Name == name {
			L.ArgError(1, fmt.Sprintf("a step named %q already exists (%s)", name, s.FileLine))
		}
	}
	where := whereLine(L)
	first := 0
	if i := strings.LastIndexByte(where, ':'); i >= 0 {
		first, _ = strconv.Atoi(where[i+1:])
	}
	last := first
	if fn.Proto != nil && fn.Proto.LastLineDefined > last {
		last = fn.Proto.LastLineDefined
	}
	r.rb.Steps = append(r.rb.Steps, &Step{
		N:            len(r.rb.Steps) + 1,
		Name:         name,
		FileLine:     where,
		SourceSHA256: hashSource(r.rb.source(first, last)),
		fn:           fn,
	})
	return 0
}
