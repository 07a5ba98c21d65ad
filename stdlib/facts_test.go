package stdlib_test

import (
	"bytes"
	"github.com/runbook-dev/runbook/internal/testenv"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestFacts compares the facts with what this machine's own tools say.
func TestFacts(t *testing.T) {
	h := &bashHost{}
	hostname, _ := os.Hostname()
	kernel, _ := exec.Command("uname", "-r").Output()
	osRelease, _ := os.ReadFile("/etc/os-release")
	_, statErr := os.Stat("/run/systemd/system")
	route, _ := os.ReadFile("/proc/net/route")
	vars := map[string]string{
		"HOSTNAME": hostname,
		"KERNEL":   strings.TrimSpace(string(kernel)),
		"SYSTEMD":  map[bool]string{true: "yes", false: "no"}[statErr == nil],
		"ROOT":     map[bool]string{true: "yes", false: "no"}[os.Getuid() == 0],
	}
	mustRun(t, h, `
		assert(facts.hostname == HOSTNAME, "hostname " .. tostring(facts.hostname))
		assert(facts.kernel == KERNEL, "kernel")
		assert(facts.systemd == (SYSTEMD == "yes"), "systemd")
		assert(facts.root == (ROOT == "yes"), "root")
		assert(facts.cpu.count >= 1, "cpus")
		assert(facts.memory_mb > 64, "memory")
		assert(facts.interfaces.lo.addresses[1] == "127.0.0.1/8", "lo " .. tostring(facts.interfaces.lo.addresses[1]))
		assert(facts.interfaces.lo.mac == "00:00:00:00:00:00", "lo mac")
		OSID = facts.os.id
		DEF = facts.default_interface or ""
		VIRT = facts.cpu.virt or ""
		facts.refresh()
		assert(facts.hostname == HOSTNAME)
	`, vars)
	if h.execs != 2 {
		t.Errorf("facts read %d times, want once per refresh (2)", h.execs)
	}
	if !bytes.Contains(osRelease, []byte("ID=")) {
		testenv.Missing(t, "this machine has no /etc/os-release to compare facts.os with")
	}
	// Cross-check with values computed here in Go.
	L := mustState(t, h)
	defer L.Close()
	if err := L.DoString(`OSID = facts.os.id; DEF = facts.default_interface or ""; VIRT = facts.cpu.virt or ""`); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(osRelease), "\n") {
		if v, ok := strings.CutPrefix(l, "ID="); ok && strings.Trim(v, `"`) != L.GetGlobal("OSID").String() {
			t.Errorf("os.id %s, os-release says %s", L.GetGlobal("OSID"), v)
		}
	}
	wantDef := ""
	for _, l := range strings.Split(string(route), "\n")[1:] {
		if f := strings.Fields(l); len(f) > 7 && f[1] == "00000000" && f[7] == "00000000" {
			wantDef = f[0]
			break
		}
	}
	if got := L.GetGlobal("DEF").String(); got != wantDef {
		t.Errorf("default interface %q, /proc/net/route says %q", got, wantDef)
	}
	cpuinfo, _ := os.ReadFile("/proc/cpuinfo")
	wantVirt := ""
	for _, f := range []string{"vmx", "svm"} {
		if bytes.Contains(cpuinfo, []byte(" "+f+" ")) {
			wantVirt = f
		}
	}
	if got := L.GetGlobal("VIRT").String(); got != wantVirt {
		t.Errorf("cpu.virt %q, /proc/cpuinfo says %q", got, wantVirt)
	}
}
