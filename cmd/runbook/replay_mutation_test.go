package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/runbooks"
)

// mutation is one edit of a runbook: old (found exactly once) becomes new.
// step is the step check must call stale, 0 when the edit types the same
// commands and check must pass.
type mutation struct {
	name     string
	old, new string
	step     int
}

// demoMutations edit runbooks/demo.lua: every one that changes a command
// typed must be caught naming its step, every one that does not must pass.
var demoMutations = []mutation{
	// Typed commands change.
	{"string literal", `"wc -l notes.txt"`, `"wc -w notes.txt"`, 2},
	{"parameter default", `default = "hello"`, `default = "hullo"`, 1},
	{"concatenation", `"echo " .. params.greeting .. ", $(whoami)"`, `"echo " .. params.greeting .. "! $(whoami)"`, 1},
	{"template", `sh("echo \"$DEMO_TOKEN\"")`, `sh(string.format("echo %q", "$DEMO_TOKEN!"))`, 3},
	{"helper's literal", `step("Say hello", function()`, "local function greet(who) return \"echo goodbye-\" .. who end\nstep(\"Say hello\", function()\n  sh(greet(\"x\"))", 1},
	{"option typed (cwd)", `sh("ls -l ready")`, `sh("ls -l ready", { cwd = "/tmp" })`, 4},
	{"option typed (env)", `sh("sleep 0.3; echo done", { timeout = 10 })`, `sh("sleep 0.3; echo done", { timeout = 10, env = { X = "1" } })`, 4},
	{"drop a command", "  sh(\"wc -l notes.txt\")\n", "", 2},
	{"add a command", "  sh(\"ls -l ready\")\n", "  sh(\"ls -l ready\")\n  sh(\"pwd\")\n", 4},
	{"swap two commands", "  sh(\"cat notes.txt\", { expect = \"exactly as written\" })\n  sh(\"wc -l notes.txt\")\n",
		"  sh(\"wc -l notes.txt\")\n  sh(\"cat notes.txt\", { expect = \"exactly as written\" })\n", 2},
	{"heredoc text", "\ttabs stay tabs", "\ttabs stay tabs!", 2},
	{"last step's command", `ended at $(date -u +%H:%M:%S)`, `ended at $(date +%H:%M)`, 5},
	{"printf format", `'the token has %d characters\n'`, `'the token has %s characters\n'`, 3},
	{"a step typed no more", "  sh('cd / && rm -rf -- \"${DEMO_DIR:?is not set: run step 2 first}\"')\n", "", 5},
	{"condition on output", "if r.exit == 0 then", "if r.exit == 0 then sh(\"id -u\")", 1},
	{"retries", `{ retries = 2, delay = 0.2 }`, `{ retries = 0, delay = 0.2 }`, 4},
	{"skip a step", `step("Keep a secret", function()`, "step(\"Keep a secret\", function()\n  skip(\"not today\")", 3},
	// The same commands typed.
	{"comment", `comment("Comments become the narration of the guide.")`, `comment("Comments are the guide's narration.")`, 0},
	{"rename a local", "local r = sh(\"grep -c '^root:' /etc/passwd\", { ok = {0, 1} })\n  if r.exit == 0 then",
		"local res = sh(\"grep -c '^root:' /etc/passwd\", { ok = {0, 1} })\n  local r = res\n  if res.exit == 0 then", 0},
	{"reformat", `sh("ls -l ready")`, "sh(\n    \"ls -l ready\"\n  )", 0},
	{"refactor into a helper", `step("Say hello", function()`, "local function echo(s) return \"echo \" .. s end\nstep(\"Say hello\", function()", 0},
	{"template, same text", `sh("echo " .. params.greeting .. ", $(whoami)")`, `sh(string.format("echo %s, $(whoami)", params.greeting))`, 0},
	{"reorder declarations", "    greeting = { default = \"hello\", doc = \"what to say\" },\n", "", 0},
	{"timeout", `{ timeout = 10 }`, `{ timeout = 20 }`, 0},
	{"ok statuses", `{ ok = {0, 1} }`, `{ ok = {0, 1, 2} }`, 0},
	{"expect text", `{ expect = "exactly as written" }`, `{ expect = "exactly" }`, 0},
	{"description", `Shows the parts of a runbook`, `Shows every part of a runbook`, 0},
	{"Lua comment", "-- A small runbook", "-- A tiny runbook", 0},
}

func init() {
	// "reorder declarations" moves greeting after token.
	for i, m := range demoMutations {
		if m.name == "reorder declarations" {
			demoMutations[i].old = "    greeting = { default = \"hello\", doc = \"what to say\" },\n    token    = { default = \"s3cr3t-demo-token\", secret = true, env = \"DEMO_TOKEN\",\n                 doc = \"a secret: masked as **** wherever it would show\" },\n"
			demoMutations[i].new = "    token    = { default = \"s3cr3t-demo-token\", secret = true, env = \"DEMO_TOKEN\",\n                 doc = \"a secret: masked as **** wherever it would show\" },\n    greeting = { default = \"hello\", doc = \"what to say\" },\n"
		}
	}
}

// TestReplayMutationsDemo records the demo here and now, then checks the
// recording against each mutation of its runbook: 100% of the mutations
// that change a typed command caught, naming the step; no false alarm.
func TestReplayMutationsDemo(t *testing.T) {
	_, src, ok := runbooks.Lookup("demo")
	if !ok {
		t.Fatal("no built-in demo runbook")
	}
	dir := t.TempDir()
	rb := filepath.Join(dir, "demo.lua")
	rec := filepath.Join(dir, "demo.ttyrec")
	if err := os.WriteFile(rb, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runMain(t, "run", rb, "--record", rec, "-q", "--idle-limit", "2s"); code != 0 {
		t.Fatalf("run demo: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runMain(t, "check", rec, "--runbook", rb, "--update"); code != 0 {
		t.Fatalf("check of the demo's own recording: exit %d\n%s%s", code, out, errs)
	}
	stale := regexp.MustCompile(`FAIL step (\d+) "[^"]*": stale: `)
	caught, typed, falseAlarms, same := 0, 0, 0, 0
	for _, m := range demoMutations {
		if strings.Count(string(src), m.old) != 1 {
			t.Errorf("%s: %q is not in demo.lua exactly once", m.name, m.old)
			continue
		}
		if err := os.WriteFile(rb, []byte(strings.Replace(string(src), m.old, m.new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runMain(t, "check", rec, "--runbook", rb)
		got := 0
		if sm := stale.FindStringSubmatch(out); sm != nil {
			got = int(sm[1][0] - '0')
		}
		if m.step > 0 {
			typed++
			if code == 1 && got == m.step {
				caught++
			} else {
				t.Errorf("%s: exit %d, stale step %d, want step %d stale:\n%s%s", m.name, code, got, m.step, out, errs)
			}
			continue
		}
		same++
		if code != 0 {
			falseAlarms++
			t.Errorf("%s: types the same commands, but check exits %d:\n%s%s", m.name, code, out, errs)
		}
	}
	t.Logf("demo mutations: %d/%d typed-command mutations caught, %d false alarms in %d that type the same", caught, typed, falseAlarms, same)
}

// guideMutation is a mutation of one of the guide's runbooks, checked
// against its committed reference recording. all replaces every
// occurrence of old (a renamed local); files are written beside the
// mutated runbook (a module it requires).
type guideMutation struct {
	mutation
	runbook string
	all     bool
	files   map[string]string
}

// xenPackageFunc is xen-prereqs.lua's helper that picks Xen's package.
const xenPackageFunc = `local function xen_package()
  if params.xen_package ~= "auto" then return params.xen_package end
  local old = { wheezy = true, jessie = true, stretch = true }
  if old[facts.os.codename or ""] then return "xen-linux-system-amd64" end
  return "xen-system-amd64"
end
`

// xenPackageModule is the same helper as a module of its own.
const xenPackageModule = `return function()
  if params.xen_package ~= "auto" then return params.xen_package end
  local old = { wheezy = true, jessie = true, stretch = true }
  if old[facts.os.codename or ""] then return "xen-linux-system-amd64" end
  return "xen-system-amd64"
end
`

// guideMutations edit the guide's runbooks; step is the step check must
// call stale (0: the same commands are typed, check must pass). The
// reference recordings were made with guide.Parts' settings, so a
// mutation in a branch those runs did not take types nothing new.
var guideMutations = []guideMutation{
	// xen-prereqs: typed commands change.
	{runbook: "xen-prereqs", mutation: mutation{"helper's literal", `return "xen-system-amd64"`, `return "xen-system-amd64x"`, 1}},
	{runbook: "xen-prereqs", mutation: mutation{"required module's function", xenPackageFunc, `local xen_package = require("xenpkg")` + "\n", 1},
		files: map[string]string{"xenpkg.lua": strings.Replace(xenPackageModule, `return "xen-system-amd64"`, `return "xen-system"`, 1)}},
	{runbook: "xen-prereqs", mutation: mutation{"string.format template", `"dom0_mem=%s,max:%s dom0_max_vcpus=%d dom0_vcpus_pin"`, `"dom0_mem=%s,max:%s dom0_max_vcpus=%d"`, 3}},
	{runbook: "xen-prereqs", mutation: mutation{"parameter default", `dom0_mem = { default = "512M"`, `dom0_mem = { default = "1024M"`, 3}},
	{runbook: "xen-prereqs", mutation: mutation{"stdlib option", `line = "XEN_OVERRIDE_GRUB_DEFAULT=0"`, `line = "XEN_OVERRIDE_GRUB_DEFAULT=1"`, 4}},
	{runbook: "xen-prereqs", mutation: mutation{"file content", `"    bridge_stp on",`, `"    bridge_stp off",`, 6}},
	{runbook: "xen-prereqs", mutation: mutation{"local value", `local dummy = params.private_bridge .. "-dummy"`, `local dummy = params.private_bridge .. "-dum"`, 6}},
	{runbook: "xen-prereqs", mutation: mutation{"stdlib option dropped", `systemd.disable("dnsmasq.service", { now = true })`, `systemd.disable("dnsmasq.service")`, 7}},
	{runbook: "xen-prereqs", mutation: mutation{"helper's argument", `net.cidr_host(params.private_net, -2)`, `net.cidr_host(params.private_net, -3)`, 7}},
	{runbook: "xen-prereqs", mutation: mutation{"rebuild command", `by = "update-initramfs -u -k all"`, `by = "update-initramfs -u"`, 5}},
	{runbook: "xen-prereqs", mutation: mutation{"drop a command", "  systemd.enable(\"nftables.service\")\n", "", 8}},
	{runbook: "xen-prereqs", mutation: mutation{"boolean default", `masquerade = { default = true`, `masquerade = { default = false`, 8}},
	{runbook: "xen-prereqs", mutation: mutation{"swap two commands",
		"  file.line(\"/etc/default/xendomains\", { regexp = [[^(#\\s*)?XENDOMAINS_SAVE=]], line = \"XENDOMAINS_SAVE=\" })\n  file.line(\"/etc/default/xendomains\", { regexp = [[^(#\\s*)?XENDOMAINS_RESTORE=]], line = \"XENDOMAINS_RESTORE=false\" })\n",
		"  file.line(\"/etc/default/xendomains\", { regexp = [[^(#\\s*)?XENDOMAINS_RESTORE=]], line = \"XENDOMAINS_RESTORE=false\" })\n  file.line(\"/etc/default/xendomains\", { regexp = [[^(#\\s*)?XENDOMAINS_SAVE=]], line = \"XENDOMAINS_SAVE=\" })\n", 11}},
	{runbook: "xen-prereqs", mutation: mutation{"add a command", `comment("Everything is in place: reboot into Xen when it suits you, with systemctl reboot.")`,
		`comment("Everything is in place: reboot into Xen when it suits you, with systemctl reboot.") sh("xl info")`, 12}},
	// xen-prereqs: the same commands typed.
	{runbook: "xen-prereqs", mutation: mutation{"refactor into a required module", xenPackageFunc, `local xen_package = require("xenpkg")` + "\n", 0},
		files: map[string]string{"xenpkg.lua": xenPackageModule}},
	{runbook: "xen-prereqs", mutation: mutation{"branch not taken", `then return "xen-linux-system-amd64" end`, `then return "xen-linux-system-i386" end`, 0}},
	{runbook: "xen-prereqs", mutation: mutation{"rename a local", "net_info", "cidr", 0}, all: true},
	{runbook: "xen-prereqs", mutation: mutation{"reformat", `dpkg.divert("/etc/grub.d/20_linux_xen", { to = "/etc/grub.d/08_linux_xen", rename = true })`,
		"dpkg.divert(\n    \"/etc/grub.d/20_linux_xen\",\n    { rename = true, to = \"/etc/grub.d/08_linux_xen\" }\n  )", 0}},
	{runbook: "xen-prereqs", mutation: mutation{"template, same text", `'_CMDLINE_LINUX="' .. cmdline .. '"'`, `string.format('_CMDLINE_LINUX="%s"', cmdline)`, 0}},
	{runbook: "xen-prereqs", mutation: mutation{"reorder declarations",
		"    bridge = { default = \"xenbr0\", doc = \"bridge over the physical interface\" },\n    private_net = { default = \"192.168.100.0/24\", doc = \"the guests' private network behind dom0\" },\n",
		"    private_net = { default = \"192.168.100.0/24\", doc = \"the guests' private network behind dom0\" },\n    bridge = { default = \"xenbr0\", doc = \"bridge over the physical interface\" },\n", 0}},
	{runbook: "xen-prereqs", mutation: mutation{"Lua comment", "-- Xen's package was renamed after stretch.", "-- Xen's metapackage has another name after stretch.", 0}},
	{runbook: "xen-prereqs", mutation: mutation{"parameter's doc", `doc = "memory given to dom0 (the rest is for guests)"`, `doc = "dom0's memory"`, 0}},

	// debian-install-1 (recorded with storage=plain).
	{runbook: "debian-install-1", mutation: mutation{"live system's packages", `local pkgs = { "debootstrap", "fdisk", "parted", "e2fsprogs" }`, `local pkgs = { "debootstrap", "fdisk", "parted", "e2fsprogs", "gdisk" }`, 1}},
	{runbook: "debian-install-1", mutation: mutation{"parameter default", `boot_size = { default = "512M"`, `boot_size = { default = "1G"`, 2}},
	{runbook: "debian-install-1", mutation: mutation{"helper's literal", `return sh("chroot " .. T .. " " .. cmd, opts)`, `return sh("chroot " .. T .. " /bin/sh -c " .. string.format("%q", cmd), opts)`, 10}},
	{runbook: "debian-install-1", mutation: mutation{"fstab options", `" / ext4 errors=remount-ro,discard 0 1"`, `" / ext4 errors=remount-ro 0 1"`, 8}},
	{runbook: "debian-install-1", mutation: mutation{"option typed (env)", `env = { http_proxy = params.proxy }`, `env = { http_proxy = params.proxy, https_proxy = params.proxy }`, 7}},
	{runbook: "debian-install-1", mutation: mutation{"stdlib option", `file.mkdir(T .. "/root/.ssh", { mode = "0700" })`, `file.mkdir(T .. "/root/.ssh", { mode = "0750" })`, 12}},
	{runbook: "debian-install-1", mutation: mutation{"branch not taken", `sh("cryptsetup luksFormat --type luks1 " .. crypt_dev, { answers = format_answers })`,
		`sh("cryptsetup luksFormat --type luks2 " .. crypt_dev, { answers = format_answers })`, 0}},
	{runbook: "debian-install-1", mutation: mutation{"comment", `comment("Two partitions: a small /boot that grub can read, and the rest for the system.")`,
		`comment("Two partitions: /boot, which grub reads, and the rest.")`, 0}},

	// debian-install-2 and -3.
	{runbook: "debian-install-2", mutation: mutation{"unit name", `systemd.enable("ssh.service")`, `systemd.enable("sshd.service")`, 2}},
	{runbook: "debian-install-2", mutation: mutation{"drop a command", "  systemd.enable(\"fstrim.timer\")\n", "", 3}},
	{runbook: "debian-install-2", mutation: mutation{"branch not taken", `sh("cp /usr/share/doc/util-linux/examples/fstrim.service`, `sh("cp -p /usr/share/doc/util-linux/examples/fstrim.service`, 0}},
	{runbook: "debian-install-3", mutation: mutation{"parameter default", `bash-completion",`, `bash-completion ncdu",`, 1}},
	{runbook: "debian-install-3", mutation: mutation{"helper", `for w in s:gmatch("%S+") do t[#t + 1] = w end`, `for w in s:gmatch("%S+") do t[#t + 1] = w end table.sort(t)`, 1}},
	{runbook: "debian-install-3", mutation: mutation{"one more package", `apt.remove("pulseaudio")`, `apt.remove({ "pulseaudio", "pipewire" })`, 3}},
	{runbook: "debian-install-3", mutation: mutation{"option of a command not typed", `apt.remove("pulseaudio")`, `apt.remove("pulseaudio", { purge = true })`, 0}},
	{runbook: "debian-install-3", mutation: mutation{"rename a local", "local t = {}\n  for w in s:gmatch(\"%S+\") do t[#t + 1] = w end\n  return t",
		"local list = {}\n  for w in s:gmatch(\"%S+\") do list[#list + 1] = w end\n  return list", 0}},
}

// TestReplayMutationsGuide checks the guide's committed reference
// recordings against each mutation of their runbooks, as
// TestReplayMutationsDemo does with a fresh recording of the demo.
func TestReplayMutationsGuide(t *testing.T) {
	root := filepath.Join("..", "..")
	stale := regexp.MustCompile(`FAIL step (\d+) "[^"]*": stale: `)
	caught, typed, falseAlarms, same := 0, 0, 0, 0
	for _, m := range guideMutations {
		src, err := os.ReadFile(filepath.Join(root, "runbooks", m.runbook+".lua"))
		if err != nil {
			t.Fatal(err)
		}
		rec := filepath.Join(root, "recordings", m.runbook+".ttyrec")
		what := m.runbook + ": " + m.name
		n := strings.Count(string(src), m.old)
		if n == 0 || n > 1 && !m.all {
			t.Errorf("%s: %q is in %s.lua %d times", what, m.old, m.runbook, n)
			continue
		}
		dir := t.TempDir()
		rb := filepath.Join(dir, m.runbook+".lua")
		if err := os.WriteFile(rb, []byte(strings.Replace(string(src), m.old, m.new, -1)), 0o644); err != nil {
			t.Fatal(err)
		}
		for name, body := range m.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		code, out, errs := runMain(t, "check", rec, "--runbook", rb)
		got := 0
		if sm := stale.FindStringSubmatch(out); sm != nil {
			got, _ = strconv.Atoi(sm[1])
		}
		if m.step > 0 {
			typed++
			if code == 1 && got == m.step {
				caught++
			} else {
				t.Errorf("%s: exit %d, stale step %d, want step %d stale:\n%s%s", what, code, got, m.step, out, errs)
			}
			continue
		}
		same++
		if code != 0 {
			falseAlarms++
			t.Errorf("%s: types the same commands, but check exits %d:\n%s%s", what, code, out, errs)
		}
	}
	t.Logf("guide mutations: %d/%d typed-command mutations caught, %d false alarms in %d that type the same", caught, typed, falseAlarms, same)
}
