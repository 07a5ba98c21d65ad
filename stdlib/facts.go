package stdlib

import (
	"bufio"
	"net/netip"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

var _ = documentModule("facts", `What the host is, read through the side channel on first use and
kept for the run (host.reboot and facts.refresh() read it again). Fields:

facts.os.id, facts.os.version, facts.os.codename, facts.os.name (from /etc/os-release);
facts.kernel, facts.arch; facts.hostname;
facts.interfaces[NAME] = {name=, mac=, addresses={"192.168.100.1/24", ...}};
facts.default_interface (the interface of the default route, nil without one);
facts.cpu.count, facts.cpu.virt ("vmx", "svm" or nil); facts.memory_mb;
facts.systemd (true when systemd runs the host); facts.root (true when commands run as root);
facts.user; facts.luks_uuid (the UUID of the first LUKS partition, nil without one).

Listing a runbook (runbook steps, runbook doc) reads no host: there the facts are placeholders
that say where the value comes from ("<facts.default_interface>"), numbers are 0 and
booleans true, so the listing shows what the runbook does with them; facts.luks_uuid is
"<UUID of the LUKS partition>". A listing made beside a recording has the facts that run
read, but facts.luks_uuid stays that placeholder: a page never names the recorded host's
disk in a command a reader pastes on theirs.`)

// factsScript prints each source under a "@@name" line.
const factsScript = `echo @@os; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
echo @@kernel; uname -r
echo @@arch; uname -m
echo @@hostname; hostname 2>/dev/null || cat /proc/sys/kernel/hostname
echo @@cpu; grep -m1 -E '^flags' /proc/cpuinfo; grep -c ^processor /proc/cpuinfo
echo @@mem; grep -m1 MemTotal /proc/meminfo
echo @@route; cat /proc/net/route
echo @@links; for d in /sys/class/net/*; do [ -e "$d/address" ] && echo "${d##*/} $(cat "$d/address")"; done
echo @@addrs; ip -o addr show 2>/dev/null
echo @@systemd; test -d /run/systemd/system && echo yes || echo no
echo @@id; id -u; id -un
echo @@luks; blkid -t TYPE=crypto_LUKS -o value -s UUID 2>/dev/null | head -n 1`

func (m *Modules) factsTable(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	m.facts = t
	m.resetFacts(L)
	meta := L.NewTable()
	meta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.CheckAny(2)
		if !m.factsRead {
			m.gatherFacts(L)
		}
		L.Push(t.RawGet(k))
		return 1
	}))
	L.SetMetatable(t, meta)
	return t
}

var _ = document("facts", "refresh", `facts.refresh()`,
	`Forgets the facts read so far; the next use reads them again.`)

// resetFacts empties the facts table; the next field read gathers them.
func (m *Modules) resetFacts(L *lua.LState) {
	t := m.facts
	var keys []lua.LValue
	t.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		t.RawSet(k, lua.LNil)
	}
	t.RawSetString("refresh", L.NewFunction(func(L *lua.LState) int {
		m.resetFacts(L)
		return 0
	}))
	m.factsRead = false
}

func (m *Modules) gatherFacts(L *lua.LState) {
	o := m.newOp(L, "facts", "")
	var out []byte
	var code int
	if o.planning() {
		// A listing reads no host; one made beside a recording may have
		// the facts that run read.
		var err error
		if out, code, err = m.host.Exec(o.ctx, factsScript, nil); err != nil {
			m.placeholderFacts(L)
			return
		}
	} else {
		out, code = o.exec(factsScript, nil)
	}
	if code != 0 && len(out) == 0 {
		o.fail("gathering facts failed (exit %d)", code)
	}
	sec := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "@@") {
			cur = l[2:]
			continue
		}
		sec[cur] = append(sec[cur], l)
	}
	f := parseFacts(sec)
	t := m.facts
	osT := L.NewTable()
	for k, v := range map[string]string{"id": f.osID, "version": f.osVersion, "codename": f.osCodename, "name": f.osName} {
		if v != "" {
			osT.RawSetString(k, lua.LString(v))
		}
	}
	t.RawSetString("os", osT)
	t.RawSetString("kernel", lua.LString(f.kernel))
	t.RawSetString("arch", lua.LString(f.arch))
	t.RawSetString("hostname", lua.LString(f.hostname))
	ifs := L.NewTable()
	for _, i := range f.ifaces {
		it := L.NewTable()
		it.RawSetString("name", lua.LString(i.name))
		it.RawSetString("mac", lua.LString(i.mac))
		at := L.NewTable()
		for _, a := range i.addrs {
			at.Append(lua.LString(a))
		}
		it.RawSetString("addresses", at)
		ifs.RawSetString(i.name, it)
	}
	t.RawSetString("interfaces", ifs)
	if f.defaultIface != "" {
		t.RawSetString("default_interface", lua.LString(f.defaultIface))
	}
	cpu := L.NewTable()
	cpu.RawSetString("count", lua.LNumber(f.cpus))
	if f.virt != "" {
		cpu.RawSetString("virt", lua.LString(f.virt))
	}
	t.RawSetString("cpu", cpu)
	t.RawSetString("memory_mb", lua.LNumber(f.memMB))
	t.RawSetString("systemd", lua.LBool(f.systemd))
	t.RawSetString("root", lua.LBool(f.uid == "0"))
	t.RawSetString("user", lua.LString(f.user))
	if f.luks != "" {
		luks := lua.LString(f.luks)
		if o.planning() {
			// A listing is for a reader, whose disk is not the one the
			// recorded run read: a page never names that host's disk.
			luks = luksPlaceholder
		}
		t.RawSetString("luks_uuid", luks)
	}
	m.factsRead = true
}

// placeholder is what a listing shows for the fact name: where the value
// comes from.
func placeholder(name string) lua.LString { return lua.LString("<facts." + name + ">") }

// luksPlaceholder is what a listing shows for facts.luks_uuid: a value a
// reader looks up on their own host, as blkid's placeholders are.
const luksPlaceholder = lua.LString("<UUID of the LUKS partition>")

// placeholderFacts are the facts of a listing: no host is read.
func (m *Modules) placeholderFacts(L *lua.LState) {
	t := m.facts
	ph := placeholder
	osT := L.NewTable()
	for _, k := range []string{"id", "version", "codename", "name"} {
		osT.RawSetString(k, ph("os."+k))
	}
	t.RawSetString("os", osT)
	for _, k := range []string{"kernel", "arch", "hostname", "default_interface", "user"} {
		t.RawSetString(k, ph(k))
	}
	t.RawSetString("luks_uuid", luksPlaceholder)
	t.RawSetString("interfaces", L.NewTable())
	cpu := L.NewTable()
	cpu.RawSetString("count", lua.LNumber(0))
	cpu.RawSetString("virt", ph("cpu.virt"))
	t.RawSetString("cpu", cpu)
	t.RawSetString("memory_mb", lua.LNumber(0))
	t.RawSetString("systemd", lua.LTrue)
	t.RawSetString("root", lua.LTrue)
	m.factsRead = true
}

type iface struct {
	name, mac string
	addrs     []string
}

type hostFacts struct {
	osID, osVersion, osCodename, osName string
	kernel, arch, hostname              string
	ifaces                              []*iface
	defaultIface                        string
	cpus                                int
	virt                                string
	memMB                               int
	systemd                             bool
	uid, user                           string
	luks                                string
}

// parseFacts reads the sections factsScript printed.
func parseFacts(sec map[string][]string) hostFacts {
	var f hostFacts
	first := func(name string) string {
		if s := sec[name]; len(s) > 0 {
			return strings.TrimSpace(s[0])
		}
		return ""
	}
	f.parseOSRelease(sec["os"])
	f.kernel, f.arch, f.hostname = first("kernel"), first("arch"), first("hostname")
	f.parseCPU(sec["cpu"])
	if fs := strings.Fields(first("mem")); len(fs) >= 2 {
		kb, _ := strconv.Atoi(fs[1])
		f.memMB = kb / 1024
	}
	// /proc/net/route: Iface Destination Gateway ...; destination 0 is the default.
	for _, l := range sec["route"] {
		fs := strings.Fields(l)
		if len(fs) >= 8 && fs[1] == "00000000" && fs[7] == "00000000" {
			f.defaultIface = fs[0]
			break
		}
	}
	f.parseInterfaces(sec["links"], sec["addrs"])
	f.systemd = first("systemd") == "yes"
	f.luks = first("luks")
	if ids := sec["id"]; len(ids) >= 2 {
		f.uid, f.user = strings.TrimSpace(ids[0]), strings.TrimSpace(ids[1])
	}
	return f
}

// parseOSRelease reads the os section's /etc/os-release lines, whose values
// may be shell-quoted.
func (f *hostFacts) parseOSRelease(lines []string) {
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `'"`)
		}
		switch k {
		case "ID":
			f.osID = v
		case "VERSION_ID":
			f.osVersion = v
		case "VERSION_CODENAME":
			f.osCodename = v
		case "PRETTY_NAME":
			f.osName = v
		}
	}
}

// parseCPU reads the cpu section: the number of CPUs, and the flags line
// that says which hardware virtualisation (vmx, svm) there is.
func (f *hostFacts) parseCPU(lines []string) {
	for _, l := range lines {
		if strings.HasPrefix(l, "flags") {
			for _, fl := range strings.Fields(l) {
				if fl == "vmx" || fl == "svm" {
					f.virt = fl
				}
			}
		} else if n, err := strconv.Atoi(strings.TrimSpace(l)); err == nil {
			f.cpus = n
		}
	}
}

// parseInterfaces reads the links section ("name mac") and the addrs
// section (ip -o addr) into f.ifaces, in the order they first appear.
func (f *hostFacts) parseInterfaces(links, addrs []string) {
	byName := map[string]*iface{}
	for _, l := range links {
		fs := strings.Fields(l)
		if len(fs) == 2 {
			i := &iface{name: fs[0], mac: fs[1]}
			byName[i.name] = i
			f.ifaces = append(f.ifaces, i)
		}
	}
	// ip -o addr: "2: eth0    inet 10.0.0.2/24 brd ... scope global eth0\ ..."
	for _, l := range addrs {
		fs := strings.Fields(l)
		if len(fs) < 4 || (fs[2] != "inet" && fs[2] != "inet6") {
			continue
		}
		name, _, _ := strings.Cut(fs[1], "@")
		if _, err := netip.ParsePrefix(fs[3]); err != nil {
			continue
		}
		i := byName[name]
		if i == nil {
			i = &iface{name: name}
			byName[name] = i
			f.ifaces = append(f.ifaces, i)
		}
		i.addrs = append(i.addrs, fs[3])
	}
}
