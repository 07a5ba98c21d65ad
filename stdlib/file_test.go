package stdlib_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/stdlib/stdlibtest"
)

// The files the guide edits, as Debian ships them.
const (
	grub   = stdlibtest.Grub
	xenCfg = stdlibtest.XenCfg
)

// converge is one operation (or a few) on one file: it must change the file
// into want with a command like cmd, show a diff, change nothing in a dry
// run, and change nothing when run again.
type converge struct {
	name    string
	initial string // "" with missing=true: no file at first
	missing bool
	script  string // Lua; F is the file's path
	want    string
	cmd     string // a substring of the visible command
}

var converges = []converge{
	{
		name:    "line replaces every match of regexp",
		initial: grub,
		script:  `file.line(F, {regexp="^GRUB_CMDLINE_LINUX=", line='GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX"'})`,
		want:    strings.Replace(grub, `GRUB_CMDLINE_LINUX=""`, `GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX"`, 1),
		cmd:     `grep -q '^GRUB_CMDLINE_LINUX=' F && sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX"/' F || sed -i '$a GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX"' F`,
	},
	{
		name:    "line appends at the end",
		initial: grub,
		script:  `file.line(F, {regexp="^GRUB_CMDLINE_XEN_DEFAULT=", line='GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin"'})`,
		want:    grub + `GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin"` + "\n",
		cmd:     `|| sed -i '$a GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=512M,max:512M dom0_max_vcpus=1 dom0_vcpus_pin"' F`,
	},
	{
		name:    "line inserts after a match",
		initial: grub,
		script:  `file.line(F, {line='_CMDLINE_LINUX="net.ifnames=1"', after="^GRUB_CMDLINE_LINUX_DEFAULT="})`,
		want:    strings.Replace(grub, "\"quiet\"\n", "\"quiet\"\n_CMDLINE_LINUX=\"net.ifnames=1\"\n", 1),
		cmd:     `grep -qxF '_CMDLINE_LINUX="net.ifnames=1"' F || { grep -q '^GRUB_CMDLINE_LINUX_DEFAULT=' F && sed -i '/^GRUB_CMDLINE_LINUX_DEFAULT=/a _CMDLINE_LINUX="net.ifnames=1"' F; }`,
	},
	{
		name:    "line inserts before the first line",
		initial: grub,
		script:  `file.line(F, {line="# managed by runbook", before="BOF"})`,
		want:    "# managed by runbook\n" + grub,
		cmd:     `grep -qxF '# managed by runbook' F || sed -i '1i # managed by runbook' F`,
	},
	{
		name:    "line keeps indentation, backslashes and quotes",
		initial: "a\nb\n",
		script:  `file.line(F, {regexp="^b", line="    it's a \\back\\slash\\"})`,
		want:    "a\n    it's a \\back\\slash\\\n",
		cmd:     `sed -i 's/^b.*/    it'\''s a \\back\\slash\\/' F || grep -qxF '    it'\''s a \back\slash\' F || sed -i '$a\    it'\''s a \\back\\slash\\' F`,
	},
	{
		name:    "line absent removes every match",
		initial: grub,
		script:  `file.line(F, {regexp="^GRUB_(DEFAULT|TIMEOUT)=", state="absent"})`,
		want:    strings.Replace(grub, "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n", "", 1),
		cmd:     `sed -i '/^GRUB_\(DEFAULT\|TIMEOUT\)=/d' F`,
	},
	{
		name:    "line on a missing file with create",
		missing: true,
		script:  `file.line(F, {line="TOOLSTACK=xl", create=true})`,
		want:    "TOOLSTACK=xl\n",
		cmd:     "|| { test -s F && sed -i '$a TOOLSTACK=xl' F || echo 'TOOLSTACK=xl' >> F; }",
	},
	{
		// As sed does: a last line without a newline keeps missing it.
		name:    "line on a file without a final newline",
		initial: "XENDOMAINS_SAVE=/var/lib/xen/save",
		script:  `file.line(F, {regexp="^XENDOMAINS_SAVE=", line="XENDOMAINS_SAVE="})`,
		want:    "XENDOMAINS_SAVE=",
		cmd:     "grep -q '^XENDOMAINS_SAVE=' F && sed -i 's/^XENDOMAINS_SAVE=.*/XENDOMAINS_SAVE=/' F",
	},
	{
		name:    "line added after a last line without a newline",
		initial: "A=1",
		script:  `file.line(F, {regexp="^B=", line="B=2"})`,
		want:    "A=1\nB=2\n",
		cmd:     "|| sed -i '$a B=2' F",
	},
	{
		name:    "uncomment (the guide's xen.cfg)",
		initial: xenCfg,
		script:  `file.uncomment(F, "XEN_OVERRIDE_GRUB_DEFAULT=0")`,
		want:    strings.Replace(xenCfg, "#XEN_OVERRIDE", "XEN_OVERRIDE", 1),
		cmd:     `sed -i 's/^\([[:space:]]*\)#\+[[:space:]]*\(.*XEN_OVERRIDE_GRUB_DEFAULT=0\)/\1\2/' F`,
	},
	{
		name:    "comment",
		initial: grub,
		script:  `file.comment(F, "^GRUB_TIMEOUT=")`,
		want:    strings.Replace(grub, "GRUB_TIMEOUT=5", "# GRUB_TIMEOUT=5", 1),
		cmd:     `sed -i '/^[[:space:]]*#/!{/^GRUB_TIMEOUT=/s/^/# /;}' F`,
	},
	{
		name:    "replace with groups",
		initial: grub,
		script:  `file.replace(F, '^(GRUB_CMDLINE_LINUX_DEFAULT)="quiet"$', '$1="quiet modprobe.blacklist=nouveau"')`,
		want:    strings.Replace(grub, `"quiet"`, `"quiet modprobe.blacklist=nouveau"`, 1),
		// No copy-safe sed for a pattern over the whole file: the whole
		// file, written only where it is still what it was.
		cmd: "| sha256sum --status -c && cat > F <<'EOF'\n",
	},
	{
		name:    "block added then kept",
		initial: "auto lo\niface lo inet loopback\n",
		script:  `file.block(F, "auto xenbr0\niface xenbr0 inet dhcp\n   bridge_ports eno1\n")`,
		want:    "auto lo\niface lo inet loopback\n# BEGIN RUNBOOK MANAGED BLOCK\nauto xenbr0\niface xenbr0 inet dhcp\n   bridge_ports eno1\n# END RUNBOOK MANAGED BLOCK\n",
		cmd:     "| sha256sum --status -c && cat > F <<'EOF'\nauto lo\n",
	},
	{
		name:    "block replaced in place",
		initial: "a\n# BEGIN RUNBOOK MANAGED BLOCK\nold\n# END RUNBOOK MANAGED BLOCK\nz\n",
		script:  `file.block(F, "new1\nnew2\n")`,
		want:    "a\n# BEGIN RUNBOOK MANAGED BLOCK\nnew1\nnew2\n# END RUNBOOK MANAGED BLOCK\nz\n",
		cmd:     "| sha256sum --status -c && cat > F <<'EOF'\na\n",
	},
	{
		name:    "write a new file",
		missing: true,
		script:  "file.write(F, [[\n[Unit]\nDescription=DHCP and DNS caching server for %i.\nAfter=network-pre.target\n\n[Service]\nExecStart=/usr/sbin/dnsmasq -k --conf-file=/var/lib/dnsmasq/%i/dnsmasq.conf\nExecReload=/bin/kill -HUP $MAINPID\n]])",
		want:    "[Unit]\nDescription=DHCP and DNS caching server for %i.\nAfter=network-pre.target\n\n[Service]\nExecStart=/usr/sbin/dnsmasq -k --conf-file=/var/lib/dnsmasq/%i/dnsmasq.conf\nExecReload=/bin/kill -HUP $MAINPID\n",
		cmd:     "cat > F <<'EOF'\n[Unit]\n",
	},
	{
		name:    "write content holding EOF lines and tabs",
		initial: "old\n",
		script:  `file.write(F, "all:\n\techo hi\nEOF\nEOF1\n")`,
		want:    "all:\n\techo hi\nEOF\nEOF1\n",
		cmd:     "cat > F <<'EOF2'\nall:\n",
	},
	{
		name:    "write content no heredoc can carry",
		initial: "old\n",
		script:  `file.write(F, "no final newline\r\n\0\27[31m")`,
		want:    "no final newline\r\n\x00\x1b[31m",
		cmd:     "base64 -d > ",
	},
	{
		name:    "write an empty file",
		initial: "old\n",
		script:  `file.write(F, "")`,
		want:    "",
		cmd:     ": > ",
	},
}

func TestConverge(t *testing.T) {
	for _, c := range converges {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, "target.conf")
			if !c.missing {
				writeFile(t, f, c.initial, 0o640)
			}
			vars := map[string]string{"F": f}

			// A dry run changes nothing, says what would change and shows the diff.
			dry := &bashHost{dry: true, dir: dir}
			mustRun(t, dry, c.script, vars)
			if c.missing {
				if _, err := os.Stat(f); !os.IsNotExist(err) {
					t.Fatalf("dry run created the file (%v)", err)
				}
			} else if got := readFile(t, f); got != c.initial {
				t.Fatalf("dry run changed the file:\n%q", got)
			}
			if dry.nChanged() == 0 {
				t.Errorf("dry run reports no change")
			}
			if !strings.Contains(dry.shown.String(), "+++ "+f) {
				t.Errorf("dry run shows no diff:\n%s", dry.shown.String())
			}

			// The real run changes it exactly, with a visible command.
			h := &bashHost{diff: true, dir: dir}
			mustRun(t, h, c.script, vars)
			if got := readFile(t, f); got != c.want {
				t.Fatalf("content after the run:\n%q\nwant\n%q\ncommands: %q", got, c.want, h.runs)
			}
			// F in the expected command is the file, quoted as the shell needs.
			qf := f
			if strings.ContainsAny(f, "()'") {
				qf = "'" + strings.ReplaceAll(f, "'", `'\''`) + "'"
			}
			wantCmd := strings.ReplaceAll(c.cmd, " F", " "+qf)
			if len(h.runs) == 0 || !strings.Contains(strings.Join(h.runs, "\n"), wantCmd) {
				t.Errorf("visible commands %q do not contain %q", h.runs, wantCmd)
			}
			if h.nChanged() == 0 {
				t.Errorf("run reports no change")
			}
			if !strings.Contains(h.shown.String(), "+++ "+f) {
				t.Errorf("--diff shows no diff:\n%s", h.shown.String())
			}
			if !c.missing {
				fi, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o640 {
					t.Errorf("mode changed to %v", fi.Mode())
				}
			}
			if _, err := os.Stat(f + ".runbook-staged"); !os.IsNotExist(err) {
				t.Errorf("temporary file left behind")
			}

			// Again: nothing to do, nothing typed.
			again := &bashHost{diff: true, dir: dir}
			mustRun(t, again, c.script, vars)
			if len(again.runs) != 0 || again.nChanged() != 0 {
				t.Errorf("second run typed %q, changes %v", again.runs, again.changes)
			}
			if got := readFile(t, f); got != c.want {
				t.Fatalf("second run changed the content to %q", got)
			}
		})
	}
}

func TestWriteModeAndOwner(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "secret.key")
	vars := map[string]string{"F": f}
	script := `file.write(F, "key\n", {mode="0600", owner="nobody", group="nogroup"})`
	if os.Getuid() != 0 {
		script = `file.write(F, "key\n", {mode=600})`
	}
	h := &bashHost{dir: dir}
	mustRun(t, h, script, vars)
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode())
	}
	if os.Getuid() == 0 {
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 65534 {
			t.Errorf("owner uid %d, want nobody", st.Uid)
		}
	}
	again := &bashHost{dir: dir}
	mustRun(t, again, script, vars)
	if len(again.runs) != 0 {
		t.Errorf("second run typed %q", again.runs)
	}
	// Only the mode differs: chmod alone, content untouched.
	if err := os.Chmod(f, 0o644); err != nil {
		t.Fatal(err)
	}
	fix := &bashHost{dir: dir}
	mustRun(t, fix, script, vars)
	if len(fix.runs) != 1 || !strings.HasPrefix(fix.runs[0], "chmod 0600 ") {
		t.Errorf("mode fix typed %q, want one chmod", fix.runs)
	}
}

// TestEditInPlaceReadsTwice: a line edit of an existing file reads its
// state and reads the result back, and asks nothing else (who the session
// is matters only to a new file); a new file still gets the session's
// owner and umask.
// file.line with if_exists=true leaves a missing file missing, even one
// whose directory is missing too (lvm.conf where LVM is not installed).
func TestLineIfExistsMissing(t *testing.T) {
	dir := t.TempDir()
	h := &bashHost{dir: dir}
	for _, f := range []string{filepath.Join(dir, "x.conf"), filepath.Join(dir, "nodir", "x.conf")} {
		mustRun(t, h, `assert(not file.line(F, {regexp = "^a=", line = "a=1", if_exists = true}))`, map[string]string{"F": f})
		mustRun(t, h, `assert(not file.line(F, {regexp = "^a=", line = "a=1", add = false, if_exists = true}))`, map[string]string{"F": f})
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s: %v", f, err)
		}
	}
	if len(h.runs) != 0 {
		t.Errorf("typed %q", h.runs)
	}
}

func TestEditInPlaceReadsTwice(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "grub")
	writeFile(t, f, grub, 0o640)
	h := &bashHost{dir: dir}
	mustRun(t, h, `file.line(F, {regexp="^GRUB_TIMEOUT=", line="GRUB_TIMEOUT=1"})`, map[string]string{"F": f})
	if got := readFile(t, f); got != strings.Replace(grub, "GRUB_TIMEOUT=5", "GRUB_TIMEOUT=1", 1) {
		t.Fatalf("file:\n%s", got)
	}
	if len(h.runs) != 1 || !strings.Contains(h.runs[0], " && sed -i ") || h.execs != 2 {
		t.Errorf("typed %q after %d side-channel reads, want one sed after 2 (state, proof)", h.runs, h.execs)
	}
	if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v after the edit, want 0640 kept", fi.Mode())
	}

	n := filepath.Join(dir, "new.conf")
	made := &bashHost{dir: dir}
	mustRun(t, made, `file.line(F, {line="a=1", create=true})`, map[string]string{"F": n})
	fi, err := os.Stat(n)
	if err != nil || readFile(t, n) != "a=1\n" {
		t.Fatalf("new file: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != os.Getuid() || fi.Mode().Perm() != 0o666&^currentUmask(t) {
		t.Errorf("new file uid %d mode %v, want %d and 0666 less the umask", st.Uid, fi.Mode(), os.Getuid())
	}
}

// currentUmask is the umask sh starts with here.
func currentUmask(t *testing.T) os.FileMode {
	out, err := exec.Command("sh", "-c", "umask").Output()
	if err != nil {
		t.Fatal(err)
	}
	m, err := strconv.ParseUint(strings.TrimSpace(string(out)), 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	return os.FileMode(m)
}

func TestSecretContentNeverTyped(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "auth.conf")
	h := &bashHost{dir: dir, diff: true, secrets: []string{"s3cr3t-pw"}}
	mustRun(t, h, `file.write(F, "user=admin\npassword=s3cr3t-pw\n")`, map[string]string{"F": f})
	if got := readFile(t, f); got != "user=admin\npassword=s3cr3t-pw\n" {
		t.Fatalf("content %q", got)
	}
	for _, r := range h.runs {
		if secret.New("s3cr3t-pw").Contains(r) || strings.Contains(r, "czNjcjN0") {
			t.Errorf("the secret is in the typed command %q", r)
		}
		if !strings.Contains(r, "password=${secret1}") {
			t.Errorf("the typed command %q does not refer to the secret as ${secret1}", r)
		}
	}
	// Idempotence: the same content again changes nothing, and a new
	// secret value is one change, shown masked.
	h.runs = nil
	mustRun(t, h, `assert(not file.write(F, "user=admin\npassword=s3cr3t-pw\n"))`, map[string]string{"F": f})
	if len(h.runs) != 0 {
		t.Errorf("a second write typed %q", h.runs)
	}
	h.secrets = append(h.secrets, "n3w-s3cr3t")
	mustRun(t, h, `assert(file.write(F, "user=admin\npassword=n3w-s3cr3t\n"))`, map[string]string{"F": f})
	if got := readFile(t, f); got != "user=admin\npassword=n3w-s3cr3t\n" {
		t.Fatalf("content %q", got)
	}
	if strings.Contains(h.shown.String(), "n3w-s3cr3t") || strings.Contains(strings.Join(h.runs, ""), "n3w-s3cr3t") {
		t.Errorf("the new secret shows:\n%s", h.shown.String())
	}
	if strings.Contains(h.shown.String(), "s3cr3t") {
		t.Errorf("the secret is in the shown diff:\n%s", h.shown.String())
	}
	if !strings.Contains(h.shown.String(), "password=****") {
		t.Errorf("the diff does not show the masked line:\n%s", h.shown.String())
	}
}

func TestLargeContentStaged(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "big.bin")
	h := &bashHost{dir: dir}
	mustRun(t, h, `file.write(F, string.rep("0123456789abcdef", 10000))`, map[string]string{"F": f})
	if got := readFile(t, f); got != strings.Repeat("0123456789abcdef", 10000) {
		t.Fatalf("content of %d bytes differs", len(got))
	}
	if len(h.runs) != 1 || len(h.runs[0]) > 300 || !strings.Contains(h.runs[0], ".runbook-staged > ") {
		t.Errorf("large content typed as %.300q", h.runs)
	}
}

func TestDirsAndFiles(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "var/lib/dnsmasq/virbr1")
	vars := map[string]string{"D": d}
	script := `
		file.mkdir(D, {mode="0750"})
		file.touch(D .. "/leases")
		file.write(D .. "/hostsfile", "00:16:3e:ee:ee:01,192.168.100.254\n")
		assert(file.exists(D .. "/leases"))
		assert(file.read(D .. "/hostsfile") == "00:16:3e:ee:ee:01,192.168.100.254\n", "read")
		assert(file.read(D .. "/nothing") == nil)
		file.remove(D .. "/gone")
	`
	// A dry run on nothing: each operation sees what the earlier ones would create.
	dry := &bashHost{dry: true, dir: dir}
	mustRun(t, dry, script, vars)
	if _, err := os.Stat(filepath.Join(dir, "var")); !os.IsNotExist(err) {
		t.Fatalf("dry run created something")
	}
	if dry.nChanged() != 3 {
		t.Errorf("dry run: %d would-change, want 3 (%v)", dry.nChanged(), dry.changes)
	}
	writeFile(t, filepath.Join(dir, "gone"), "x", 0o644)
	h := &bashHost{dir: dir}
	mustRun(t, h, strings.ReplaceAll(script, `D .. "/gone"`, `"`+filepath.Join(dir, "gone")+`"`), vars)
	fi, err := os.Stat(d)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Fatalf("directory: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "gone")); !os.IsNotExist(err) {
		t.Errorf("file.remove left the file")
	}
	want := []string{"mkdir -p " + d + " && chmod 0750 " + d, "touch " + d + "/leases"}
	for i, w := range want {
		if i >= len(h.runs) || h.runs[i] != w {
			t.Errorf("command %d: %q, want %q", i, h.runs, w)
		}
	}
	again := &bashHost{dir: dir}
	mustRun(t, again, script, vars)
	if len(again.runs) != 0 || again.nChanged() != 0 {
		t.Errorf("second run typed %q", again.runs)
	}
}

func TestDryRunSeesEarlierChanges(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "grub")
	writeFile(t, f, grub, 0o644)
	dry := &bashHost{dry: true, dir: dir}
	mustRun(t, dry, `
		file.line(F, {regexp="^GRUB_TIMEOUT=", line="GRUB_TIMEOUT=1"})
		file.line(F, {regexp="^GRUB_TIMEOUT=", line="GRUB_TIMEOUT=1"})
	`, map[string]string{"F": f})
	// The second edit sees the first one's result, so it has nothing to do.
	if len(dry.changes) < 2 || !dry.changes[0].changed || dry.changes[1].changed {
		t.Errorf("changes %v", dry.changes)
	}
	if !strings.Contains(dry.shown.String(), "+GRUB_TIMEOUT=1") {
		t.Errorf("no diff shown:\n%s", dry.shown.String())
	}
}

func TestDryRunDependsOnEarlierChange(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "grub.d/xen.cfg")
	// host.reboot in a dry run is a change whose effect on files is
	// unknown, as a package install is: later edits of missing files
	// depend on it rather than fail.
	dry := &bashHost{dry: true, dir: dir}
	mustRun(t, dry, `
		host.reboot()
		file.uncomment(F, "XEN_OVERRIDE_GRUB_DEFAULT=0")
		file.line(F, {line="x"})
	`, map[string]string{"F": f})
	if dry.nChanged() != 3 {
		t.Errorf("changes %v", dry.changes)
	}
	if !strings.Contains(dry.shown.String(), "depends on host.reboot") {
		t.Errorf("shown:\n%s", dry.shown.String())
	}
	// Without an earlier change, the same edit is an error.
	err := runLua(t, &bashHost{dry: true, dir: dir}, `file.uncomment(F, "X")`, map[string]string{"F": f})
	if err == nil || !strings.Contains(err.Error(), "test.lua:1: file.uncomment "+f+": no such file") {
		t.Errorf("error %v", err)
	}
}

func TestErrorsNameFileLine(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeFile(t, f, "a\n", 0o644)
	cases := []struct{ script, want string }{
		{"\n\nfile.line('/nonexistent/grub', {line='x'})", "test.lua:3: file.line /nonexistent/grub: no such file (nor directory /nonexistent)"},
		{"file.line(F, {line='x', regex='^x'})", "test.lua:1: file.line " + f + ": unknown option regex (known: add, after, before, create, group, if_exists, line, mode, notify, owner, regexp, state)"},
		{"file.line(F, {regexp='('})", "test.lua:1: file.line " + f + ": regexp= is not a valid regular expression"},
		{"file.line('relative', {line='x'})", "test.lua:1: file.line relative: path must be absolute"},
		{"file.write(F, 42)", "test.lua:1: file.write " + f + ": content must be a string, got number"},
		{"file.write(F, 'x', {mode='rw'})", `option mode must be an octal mode like "0644", got rw`},
		{"file.line(F, {line='x', state='gone'})", `option state must be one of present, absent, got "gone"`},
		{"file.mkdir(F)", "test.lua:1: file.mkdir " + f + ": exists and is not a directory"},
		{"file.write(F .. '/x/y', 'x')", "no such directory " + f + "/x"},
		{"net.cidr('300.1.1.1/24')", `test.lua:1: net.cidr: "300.1.1.1/24" is not a CIDR`},
		{"file.line(F, {line='x', notify='nobody'})", `notify: no handler named "nobody"`},
		{"apt.install('Bad Name!')", `test.lua:1: apt.install: "Bad" is not a package name`},
		{"systemd.unit('dnsmasq@', 'x')", `give the unit's full file name`},
	}
	for _, c := range cases {
		err := runLua(t, &bashHost{dir: dir}, c.script, map[string]string{"F": f})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", c.script, err, c.want)
		}
	}
}

// TestSymlinkFollowed: an edit through a symlink edits the file it points
// to and keeps the link (as /etc/resolv.conf often is).
func TestSymlinkFollowed(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.conf")
	link := filepath.Join(dir, "link.conf")
	writeFile(t, real, "a=1\n", 0o644)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	mustRun(t, &bashHost{dir: dir}, `file.line(F, {regexp="^a=", line="a=2"}); file.write(F, "b=1\n")`, map[string]string{"F": link})
	if got := readFile(t, real); got != "b=1\n" {
		t.Errorf("target: %q", got)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
}
