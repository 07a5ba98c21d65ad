package stdlib

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellquote"
	lua "github.com/yuin/gopher-lua"
)

var _ = documentModule("apt", `Debian packages, with the apt-get (or aptitude) command a person
would type, non-interactive: debconf takes its defaults (or the answers given with debconf=),
changed configuration files keep the local version, and a package already installed is never
reinstalled. The fact is dpkg-query's status.`)

func (m *Modules) aptFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"install":   m.aptInstall,
		"remove":    m.aptRemove,
		"update":    m.aptUpdate,
		"installed": m.aptInstalled,
	}
}

// pkgName is what a package argument may be: name, name:arch.
var pkgName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$`)

func (o *op) packages(n int) []string {
	pkgs := o.stringList(o.L.Get(n), "packages")
	if len(pkgs) == 0 {
		o.fail("no packages given")
	}
	for _, p := range pkgs {
		if !pkgName.MatchString(p) {
			o.fail("%q is not a package name", p)
		}
	}
	o.target = strings.Join(pkgs, " ")
	return pkgs
}

// installed returns which of pkgs dpkg has installed ("ii").
func (o *op) installed(pkgs []string) map[string]bool {
	out, _ := o.exec("dpkg-query -W -f='${binary:Package} ${Package} ${db:Status-Abbrev}\\n' -- "+shellquote.Join(pkgs)+" 2>/dev/null", nil)
	have := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && strings.HasPrefix(f[2], "ii") {
			have[f[0]] = true
			have[f[1]] = true
		}
	}
	return have
}

var _ = document("apt", "install", `apt.install(pkgs [, {release=, backports=false, tool="apt-get"|"aptitude", update=false, recommends=true, debconf={...}}]) -> changed`,
	`Installs the packages (a name, a space-separated string or a list) that are not installed
yet. release is apt's -t (the guide's "stretch-backports"); backports=true takes them from the
host's release's backports (CODENAME-backports) when its package sources have them;
update=true runs apt.update() first; recommends=false adds --no-install-recommends; debconf is
a list of debconf-set-selections lines ("pkg question type value") set before installing. The
command typed is the one a person types (apt-get install -y PKG); debconf's noninteractive
frontend and dpkg's keep-the-local-configuration answers are set in the session's environment
out of sight. In a dry run apt's simulation shows what would be installed, and later operations
on files the packages would bring say they depend on it.`)

// aptQuiet is the environment a package command gets out of sight: no
// question is asked, and a changed configuration file keeps the local
// version (dpkg --force-confdef,confold).
var aptQuiet = []string{"DEBIAN_FRONTEND=noninteractive", "DPKG_FORCE=confdef,confold"}

func (m *Modules) aptInstall(L *lua.LState) int {
	o := m.newOp(L, "apt.install", "")
	s := o.aptInstallArgs()
	o.intent(Intent{Text: s.intentText()})
	if o.planning() {
		o.aptInstallPlanned(s)
		L.Push(lua.LTrue)
		return 1
	}
	release := s.release
	if s.backports {
		release = o.backportsRelease()
	}
	have := o.installed(s.pkgs)
	var missing []string
	for _, p := range s.pkgs {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		L.Push(o.done(false, s.opt.notify()))
		return 1
	}
	if o.m.host.DryRun() {
		o.aptSimulateInstall(s, release, missing)
		L.Push(o.done(true, s.opt.notify()))
		return 1
	}
	if s.opt.boolean("update", false) {
		o.aptGetUpdate()
	}
	if len(s.debconf) > 0 {
		o.run(debconfSelections(s.debconf), RunOptions{})
	}
	o.run(s.command(release, missing), RunOptions{Quiet: aptQuiet})
	have = o.installed(missing)
	for _, p := range missing {
		if !have[p] {
			o.fail("%s is still not installed after %s", p, s.tool)
		}
	}
	L.Push(o.done(true, s.opt.notify()))
	return 1
}

// aptInstallSpec is what apt.install was asked to do.
type aptInstallSpec struct {
	opt        opts
	pkgs       []string
	release    string
	backports  bool
	tool       string
	debconf    []string
	recommends bool
}

// aptInstallArgs reads apt.install's arguments, refusing contradictory ones.
func (o *op) aptInstallArgs() aptInstallSpec {
	s := aptInstallSpec{pkgs: o.packages(1)}
	s.opt = o.options(2, "release", "backports", "tool", "update", "recommends", "debconf")
	s.release = s.opt.str("release", "")
	s.backports = s.opt.boolean("backports", false)
	if s.backports && s.release != "" {
		o.fail("give release= or backports=true, not both")
	}
	s.tool = s.opt.oneOf("tool", "apt-get", "aptitude")
	s.debconf = s.opt.strings("debconf")
	s.recommends = s.opt.boolean("recommends", true)
	return s
}

// intentText says the state apt.install brings about.
func (s aptInstallSpec) intentText() string {
	what := "package"
	if len(s.pkgs) > 1 {
		what = "packages"
	}
	text := what + " " + quoted(s.pkgs) + " installed"
	switch {
	case s.release != "":
		text += " from " + s.release
	case s.backports:
		text += " (from the release's backports where the host's sources have them)"
	}
	if !s.recommends {
		text += ", without recommended packages"
	}
	return text
}

// command is the install command a person types for pkgs from release.
func (s aptInstallSpec) command(release string, pkgs []string) string {
	args := []string{"install", "-y"}
	if release != "" {
		args = append(args, "-t", shellquote.Quote(release))
	}
	if !s.recommends {
		if s.tool == "aptitude" {
			args = append(args, "--without-recommends")
		} else {
			args = append(args, "--no-install-recommends")
		}
	}
	return s.tool + " " + strings.Join(args, " ") + " " + shellquote.Join(pkgs)
}

// debconfSelections is the command that sets the debconf answers given.
func debconfSelections(lines []string) string {
	return "debconf-set-selections <<'EOF'\n" + strings.Join(lines, "\n") + "\nEOF"
}

// aptInstallPlanned types, in a listing, every command apt.install would
// type; a listing reads nothing from the host, so backports=true adds no -t.
func (o *op) aptInstallPlanned(s aptInstallSpec) {
	var cmds []string
	if s.opt.boolean("update", false) {
		cmds = append(cmds, "apt-get update")
	}
	if len(s.debconf) > 0 {
		cmds = append(cmds, debconfSelections(s.debconf))
	}
	o.planned(s.opt.notify(), append(cmds, s.command(s.release, s.pkgs))...)
}

// aptSimulateInstall says, in a dry run, what installing missing would
// bring, from apt-get's simulation (which reads the package lists and
// changes nothing).
func (o *op) aptSimulateInstall(s aptInstallSpec, release string, missing []string) {
	var args []string
	if release != "" {
		args = append(args, "-t", shellquote.Quote(release))
	}
	if !s.recommends {
		args = append(args, "--no-install-recommends")
	}
	out, code := o.exec("apt-get install -s "+strings.Join(args, " ")+" "+shellquote.Join(missing)+" 2>&1", nil)
	if code != 0 && s.opt.boolean("update", false) {
		// The lists apt.update would fetch may well have it.
		o.note("would update the package lists, then install %s", strings.Join(missing, " "))
		o.wouldChange("apt.install " + strings.Join(missing, " "))
		return
	}
	if code != 0 {
		o.fail("apt-get cannot install it%s", OutputTail(string(out)))
	}
	var inst []string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "Inst" {
			inst = append(inst, f[1])
		}
	}
	o.note("would install %s (%d packages in all: %s)", strings.Join(missing, " "), len(inst), strings.Join(inst, " "))
	o.wouldChange("apt.install " + strings.Join(missing, " "))
}

var _ = document("apt", "remove", `apt.remove(pkgs [, {purge=false}]) -> changed`,
	`Removes the packages that are installed (purge=true also removes their configuration files).`)

func (m *Modules) aptRemove(L *lua.LState) int {
	o := m.newOp(L, "apt.remove", "")
	pkgs := o.packages(1)
	opt := o.options(2, "purge")
	verb := "remove"
	if opt.boolean("purge", false) {
		verb = "purge"
	}
	o.intent(Intent{Text: "package " + quoted(pkgs) + " not installed"})
	if o.planned(opt.notify(), "apt-get "+verb+" -y "+shellquote.Join(pkgs)) {
		L.Push(lua.LTrue)
		return 1
	}
	have := o.installed(pkgs)
	var present []string
	for _, p := range pkgs {
		if have[p] {
			present = append(present, p)
		}
	}
	if len(present) == 0 {
		L.Push(o.done(false, opt.notify()))
		return 1
	}
	if o.m.host.DryRun() {
		o.note("would %s %s", verb, strings.Join(present, " "))
		o.wouldChange("apt.remove " + strings.Join(present, " "))
		L.Push(o.done(true, opt.notify()))
		return 1
	}
	o.run("apt-get "+verb+" -y "+shellquote.Join(present), RunOptions{Quiet: aptQuiet})
	have = o.installed(present)
	for _, p := range present {
		if have[p] {
			o.fail("%s is still installed after apt-get %s", p, verb)
		}
	}
	L.Push(o.done(true, opt.notify()))
	return 1
}

var _ = document("apt", "update", `apt.update([{max_age=SECONDS}]) -> changed`,
	`Runs apt-get update, unless the package lists are younger than max_age seconds. It reports a
change when the lists it fetched differ from those it had.`)

func (m *Modules) aptUpdate(L *lua.LState) int {
	o := m.newOp(L, "apt.update", "")
	opt := o.options(1, "max_age")
	o.intent(Intent{Text: "package lists fetched"})
	if o.planned(opt.notify(), "apt-get update") {
		L.Push(lua.LTrue)
		return 1
	}
	if maxAge := opt.number("max_age", -1); maxAge >= 0 {
		out, _ := o.exec(`now=$(date +%s); t=$(stat -c %Y /var/lib/apt/lists/*Release 2>/dev/null | sort -n | tail -1); echo $((now - ${t:-0}))`, nil)
		var age float64
		if _, err := fmt.Sscan(strings.TrimSpace(string(out)), &age); err == nil && age < maxAge {
			L.Push(o.done(false, opt.notify()))
			return 1
		}
	}
	if o.m.host.DryRun() {
		o.note("would run apt-get update")
		L.Push(o.done(true, opt.notify()))
		return 1
	}
	L.Push(o.done(o.aptGetUpdate(), opt.notify()))
	return 1
}

// aptGetUpdate runs apt-get update and reports whether the lists changed.
func (o *op) aptGetUpdate() bool {
	const sum = `cat /var/lib/apt/lists/*Release 2>/dev/null | cksum`
	before, _ := o.exec(sum, nil)
	o.run("apt-get update", RunOptions{})
	after, _ := o.exec(sum, nil)
	return string(before) != string(after)
}

var _ = document("apt", "installed", `apt.installed(pkg) -> bool`,
	`Whether dpkg has the package installed (read through the side channel).`)

func (m *Modules) aptInstalled(L *lua.LState) int {
	o := m.newOp(L, "apt.installed", "")
	pkgs := o.packages(1)
	have := o.installed(pkgs)
	all := true
	for _, p := range pkgs {
		all = all && have[p]
	}
	L.Push(lua.LBool(all))
	return 1
}

// backportsRelease is "CODENAME-backports" when the host's package
// sources have it, else "" (read through the side channel).
func (o *op) backportsRelease() string {
	out, _ := o.exec(`. /etc/os-release 2>/dev/null; c=${VERSION_CODENAME:-}; [ -n "$c" ] && apt-cache policy 2>/dev/null | grep -q -- " $c-backports/" && echo "$c-backports"`, nil)
	return strings.TrimSpace(string(out))
}
