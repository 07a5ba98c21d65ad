package stdlib_test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
)

// TestEveryExportDocumented fails when a function a runbook can call has
// no doc in signature form, or a doc names a function that is gone.
func TestEveryExportDocumented(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	before := map[string]bool{}
	L.G.Global.ForEach(func(k, _ lua.LValue) { before[k.String()] = true })
	stdlib.Open(L, &bashHost{})
	exported := map[string]bool{}
	L.G.Global.ForEach(func(k, v lua.LValue) {
		name := k.String()
		if before[name] {
			return
		}
		switch v := v.(type) {
		case *lua.LFunction:
			exported[name] = true
		case *lua.LTable:
			v.ForEach(func(fk, fv lua.LValue) {
				if fv.Type() == lua.LTFunction {
					exported[name+"."+fk.String()] = true
				}
			})
		}
	})
	if len(exported) < 30 {
		t.Fatalf("only %d exports found: %v", len(exported), exported)
	}
	for name := range exported {
		mod, fn, ok := strings.Cut(name, ".")
		if !ok {
			mod, fn = "", name
		}
		d, ok := stdlib.DocFor(mod, fn)
		if !ok {
			t.Errorf("%s has no doc", name)
			continue
		}
		if !strings.HasPrefix(d.Sig, name+"(") || strings.TrimSpace(d.Text) == "" {
			t.Errorf("%s: doc not in signature form: %q / %q", name, d.Sig, d.Text)
		}
	}
	for _, d := range stdlib.Docs() {
		name := d.Name
		if d.Module != "" {
			name = d.Module + "." + d.Name
		}
		if !exported[name] {
			t.Errorf("doc for %s, which is not exported", name)
		}
	}
}

func TestReference(t *testing.T) {
	ref := stdlib.Reference()
	for _, want := range []string{
		"file.line(path, {line=, regexp=",
		"apt.install(pkgs [, {release=",
		"dpkg.divert(path, {to=",
		"systemd.unit(name, content)",
		"host.reboot([{wait=true",
		"net.random_mac(",
		"on_change([name,] fn",
		"facts.default_interface",
	} {
		if !strings.Contains(ref, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	for i, l := range strings.Split(ref, "\n") {
		if len(l) > 160 {
			t.Errorf("reference line %d is %d long", i+1, len(l))
		}
	}
}

// TestModulesRequire: require("file") is the global file.
func TestModulesRequire(t *testing.T) {
	mustRun(t, &bashHost{}, `
		for _, name in ipairs({"file", "apt", "dpkg", "systemd", "host", "facts", "net"}) do
			assert(require(name) == _G[name], name)
		end`, nil)
}
