package engine

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
)

// Everything a runbook can call — the engine's globals and every stdlib
// module's functions, on a fully loaded state — has a doc in signature
// form, and sh's doc names every option sh accepts.
func TestEveryGlobalDocumented(t *testing.T) {
	base := newSandbox("")
	builtin := map[string]bool{}
	base.G.Global.ForEach(func(k, _ lua.LValue) { builtin[k.String()] = true })
	base.Close()
	r, err := load(&Options{Path: "x.lua", Source: []byte(`runbook{name="x"}`), Plan: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.L.Close()
	seen := 0
	check := func(mod, fn string) {
		seen++
		name := fn
		if mod != "" {
			name = mod + "." + fn
		}
		d, ok := stdlib.DocFor(mod, fn)
		if !ok {
			t.Errorf("%s has no doc", name)
			return
		}
		if !strings.HasPrefix(d.Sig, name) || strings.TrimSpace(d.Text) == "" {
			t.Errorf("%s: doc not in signature form: %q", name, d.Sig)
		}
	}
	r.L.G.Global.ForEach(func(k, v lua.LValue) {
		name := k.String()
		if builtin[name] && name != "print" {
			return
		}
		switch v := v.(type) {
		case *lua.LFunction:
			check("", name)
		case *lua.LTable:
			if name == "params" {
				check("", "params")
				return
			}
			v.ForEach(func(fk, fv lua.LValue) {
				if fv.Type() == lua.LTFunction {
					check(name, fk.String())
				}
			})
		}
	})
	if seen < 40 {
		t.Fatalf("only %d functions found", seen)
	}
	d, _ := stdlib.DocFor("", "sh")
	for _, o := range shOptionNames {
		if !strings.Contains(d.Sig, o+"=") {
			t.Errorf("sh's doc does not name its option %s", o)
		}
	}
	if ref := stdlib.Reference(); !strings.Contains(ref, "\nsh(cmd") || !strings.Contains(ref, "\nsecret(value") {
		t.Error("the reference lacks the engine's globals")
	}
}
