package stdlib_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
)

// TestOnChange: a handler runs once at the end of the step when any
// operation naming it changed something, and not at all otherwise.
func TestOnChange(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "grub")
	writeFile(t, f, grub, 0o644)
	script := `
		RAN = RAN or 0
		local grub = on_change("update-grub", function()
			RAN = RAN + 1
			file.line(LOG, {line="update-grub", create=true})
		end)
		local later = on_change(function() LATER = (LATER or 0) + 1 end, {at="runbook"})
		file.line(F, {regexp="^GRUB_TIMEOUT=", line="GRUB_TIMEOUT=1"}, {notify=grub})
	`
	// file.line takes options in its one table: notify goes there.
	script = strings.Replace(script, `line="GRUB_TIMEOUT=1"}, {notify=grub})`, `line="GRUB_TIMEOUT=1", notify={grub, later}})
		file.uncomment(F, "GRUB_TERMINAL", {notify="update-grub"})`, 1)
	log := filepath.Join(dir, "log")
	vars := map[string]string{"F": f, "LOG": log}

	L := lua.NewState()
	defer L.Close()
	h := &bashHost{dir: dir}
	m := stdlib.Open(L, h)
	for k, v := range vars {
		L.SetGlobal(k, lua.LString(v))
	}
	if err := L.DoString(script); err != nil {
		t.Fatal(err)
	}
	if L.GetGlobal("RAN") != lua.LNumber(0) {
		t.Fatalf("handler ran before the step ended")
	}
	if err := m.EndStep(L); err != nil {
		t.Fatal(err)
	}
	if L.GetGlobal("RAN") != lua.LNumber(1) || L.GetGlobal("LATER") != lua.LNil {
		t.Fatalf("after the step: RAN=%v LATER=%v", L.GetGlobal("RAN"), L.GetGlobal("LATER"))
	}
	if err := m.EndStep(L); err != nil {
		t.Fatal(err)
	}
	if err := m.EndRunbook(L); err != nil {
		t.Fatal(err)
	}
	if L.GetGlobal("RAN") != lua.LNumber(1) || L.GetGlobal("LATER") != lua.LNumber(1) {
		t.Fatalf("at the end: RAN=%v LATER=%v", L.GetGlobal("RAN"), L.GetGlobal("LATER"))
	}
	if got, _ := os.ReadFile(log); string(got) != "update-grub\n" {
		t.Errorf("handler's own operation wrote %q", got)
	}

	// Nothing changes the second time: the handler does not run.
	h2 := &bashHost{dir: dir}
	mustRun(t, h2, script+"\nassert(RAN == 0)", vars)
	L2 := lua.NewState()
	defer L2.Close()
	m2 := stdlib.Open(L2, h2)
	for k, v := range vars {
		L2.SetGlobal(k, lua.LString(v))
	}
	if err := L2.DoString(script); err != nil {
		t.Fatal(err)
	}
	m2.EndStep(L2)
	m2.EndRunbook(L2)
	if L2.GetGlobal("RAN") != lua.LNumber(0) || L2.GetGlobal("LATER") != lua.LNil {
		t.Errorf("handlers ran with nothing changed: %v %v", L2.GetGlobal("RAN"), L2.GetGlobal("LATER"))
	}
}

func TestHandlerErrorNamesIt(t *testing.T) {
	err := runLua(t, &bashHost{}, `
		local h = on_change("boom", function() error("it broke") end)
		notify(h)`, nil)
	if err == nil || !strings.Contains(err.Error(), "boom: test.lua:2: it broke") {
		t.Errorf("error %v", err)
	}
}

func TestAnswers(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(`A = {["Are you sure"] = "YES", ["passphrase"] = "luks-pw", ["sure"] = "y"}`); err != nil {
		t.Fatal(err)
	}
	as, err := stdlib.Answers(L.GetGlobal("A").(*lua.LTable), []string{"luks-pw"})
	if err != nil {
		t.Fatal(err)
	}
	want := []stdlib.Answer{{"Are you sure", "YES", false}, {"passphrase", "luks-pw", true}, {"sure", "y", false}}
	if len(as) != 3 {
		t.Fatalf("answers %v", as)
	}
	for i := range want {
		if as[i] != want[i] {
			t.Errorf("answer %d: %+v, want %+v", i, as[i], want[i])
		}
	}
	L.DoString(`B = {[1] = "x"}`)
	if _, err := stdlib.Answers(L.GetGlobal("B").(*lua.LTable), nil); err == nil {
		t.Errorf("a list is not answers")
	}
}
