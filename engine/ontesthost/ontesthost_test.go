// Package ontesthost tests the stdlib operations that change a system —
// apt, dpkg, systemd, file.upload — for real on andromeda, the throwaway
// Debian host, never on this machine. A package of its own so that only
// these tests wait for andromeda to boot.
package ontesthost

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/enginetest"
	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/testhost/andromeda"
)

func TestMain(m *testing.M) { andromeda.Main(m) }

// dial reaches andromeda as root, as `runbook --host andromeda` does.
func dial(t *testing.T, h *andromeda.Host) *rssh.Target {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tg, err := rssh.Dial(ctx, "andromeda", rssh.Options{ConfigFile: h.SSHConfig(), Home: t.TempDir()})
	if err != nil {
		t.Fatalf("dial andromeda: %v", err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// inside runs cmd inside andromeda (not through the runbook) for assertions.
func inside(t *testing.T, h *andromeda.Host, cmd string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := h.Exec(ctx, cmd)
	if err != nil {
		t.Fatalf("exec %q in andromeda: %v", cmd, err)
	}
	return string(res.Stdout), res.Exit
}

// converge runs src three times on andromeda: a dry run that changes
// nothing and shows what it would do, a run that changes things with the
// commands in want, and a run that changes nothing. check asserts the
// host's state after each (changed: false before the real run).
func converge(t *testing.T, h *andromeda.Host, src string, set map[string]string, wantShown, wantTyped []string, check func(changed bool)) {
	t.Helper()
	tg := dial(t, h)
	dir := t.TempDir()
	check(false)
	dry := enginetest.Run(t, tg, src, dir, enginetest.Options{Set: set, DryRun: true})
	if dry.Err != nil {
		t.Fatalf("dry run: %v\n%s", dry.Err, dry.Display)
	}
	check(false)
	if dry.Report.Changed == 0 {
		t.Errorf("dry run: %s", dry.Report.Recap())
	}
	for _, w := range wantShown {
		if !strings.Contains(enginetest.StripANSI(dry.Display), w) {
			t.Errorf("dry run did not show %q:\n%s", w, dry.Display)
		}
	}
	run := enginetest.Run(t, tg, src, dir, enginetest.Options{Set: set, Diff: true})
	if run.Err != nil {
		t.Fatalf("run: %v\n%s", run.Err, run.Display)
	}
	check(true)
	// The index holds each command as typed; the recording shows it
	// (wrapped at the terminal's width).
	var typed []string
	for _, s := range run.Index.Steps {
		for _, c := range s.Commands {
			typed = append(typed, c.Text)
		}
	}
	for _, w := range wantTyped {
		if !strings.Contains(strings.Join(typed, "\n"), w) {
			t.Errorf("no command %q was typed; typed: %q", w, typed)
		}
		if first := strings.SplitN(w, " ", 3); !strings.Contains(run.Data, strings.Join(first[:min(2, len(first))], " ")) {
			t.Errorf("the recording does not show %q", w)
		}
	}
	if run.Report.Changed == 0 {
		t.Errorf("run: %s", run.Report.Recap())
	}
	again := enginetest.Run(t, tg, src, dir, enginetest.Options{Set: set})
	if again.Err != nil {
		t.Fatalf("second run: %v\n%s", again.Err, again.Display)
	}
	if again.Report.Changed != 0 {
		t.Errorf("second run changed something: %s", again.Report.Recap())
	}
	for _, s := range again.Index.Steps {
		if len(s.Commands) != 0 {
			t.Errorf("second run typed %+v", s.Commands)
		}
	}
	check(true)
}

func TestApt(t *testing.T) {
	h := andromeda.Shared(t)
	src := `step("install", function()
  apt.install("hello", {release = "bookworm", recommends = false, update = true})
end)`
	converge(t, h, src, nil,
		[]string{"apt.install hello on andromeda: would ", "install hello"},
		[]string{"apt-get install -y -t bookworm --no-install-recommends hello"},
		func(changed bool) {
			out, code := inside(t, h, "hello")
			if changed != (code == 0) {
				t.Errorf("hello installed=%v, want %v (%s)", code == 0, changed, out)
			}
		})
	converge(t, h, `step("remove", function() apt.remove("hello") end)`, nil,
		[]string{"would remove hello"}, []string{"apt-get remove -y hello"},
		func(changed bool) {
			_, code := inside(t, h, "command -v hello")
			if changed != (code != 0) {
				t.Errorf("hello still installed=%v after remove=%v", code == 0, changed)
			}
		})
}

func TestDpkgDivert(t *testing.T) {
	h := andromeda.Shared(t)
	src := `step("Xen first in grub", function()
  dpkg.divert("/etc/grub.d/20_linux_xen", {to = "/etc/grub.d/08_linux_xen"})
  assert(dpkg.diverted("/etc/grub.d/20_linux_xen") == "/etc/grub.d/08_linux_xen")
end)`
	converge(t, h, src, nil,
		[]string{"would divert it to /etc/grub.d/08_linux_xen"},
		[]string{"dpkg-divert --divert /etc/grub.d/08_linux_xen --rename /etc/grub.d/20_linux_xen"},
		func(changed bool) {
			out, _ := inside(t, h, "dpkg-divert --list /etc/grub.d/20_linux_xen; ls /etc/grub.d")
			diverted := strings.Contains(out, "diversion of /etc/grub.d/20_linux_xen to /etc/grub.d/08_linux_xen")
			moved := strings.Contains(out, "08_linux_xen\n") && !strings.Contains(out, "20_linux_xen\n")
			if diverted != changed || moved != changed {
				t.Errorf("diverted=%v moved=%v, want %v:\n%s", diverted, moved, changed, out)
			}
		})
	// And back.
	converge(t, h, `step("undo", function() dpkg.divert("/etc/grub.d/20_linux_xen", {state = "absent"}) end)`, nil,
		[]string{"would remove its diversion"}, []string{"dpkg-divert --rename --remove /etc/grub.d/20_linux_xen"},
		func(changed bool) {
			out, _ := inside(t, h, "dpkg-divert --list /etc/grub.d/20_linux_xen; ls /etc/grub.d")
			if strings.Contains(out, "diversion of") == changed || strings.Contains(out, "20_linux_xen\n") != changed {
				t.Errorf("after undo=%v:\n%s", changed, out)
			}
		})
}

const unit = `[Unit]
Description=A service for the stdlib tests

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
`

func TestSystemd(t *testing.T) {
	h := andromeda.Shared(t)
	src := `runbook { name = "svc", params = { unit = {} } }
step("service", function()
  systemd.unit("rbtest.service", params.unit)
  systemd.enable("rbtest.service")
  systemd.start("rbtest.service")
end)`
	converge(t, h, src, map[string]string{"unit": unit},
		[]string{"would create it", "would run systemctl daemon-reload", "depends on systemd.unit rbtest.service"},
		[]string{"cat > /etc/systemd/system/rbtest.service <<'EOF'\n[Unit]\n",
			"systemctl daemon-reload", "systemctl enable rbtest.service", "systemctl start rbtest.service"},
		func(changed bool) {
			out, _ := inside(t, h, "systemctl is-enabled rbtest.service; systemctl is-active rbtest.service")
			want := "enabled\nactive\n"
			if changed != (out == want) {
				t.Errorf("rbtest.service: %q (changed=%v)", out, changed)
			}
		})
	// restart: always a change, so not in a converge.
	r := enginetest.Run(t, dial(t, h), `step("restart", function() assert(systemd.restart("rbtest.service")) end)`, t.TempDir(), enginetest.Options{})
	if r.Err != nil || r.Report.Changed != 1 {
		t.Errorf("restart: %v %s", r.Err, r.Report.Recap())
	}
	converge(t, h, `step("off", function() systemd.stop("rbtest.service"); systemd.disable("rbtest.service") end)`, nil,
		[]string{"would stop it (it is active)", "would disable it (it is enabled)"},
		[]string{"systemctl stop rbtest.service", "systemctl disable rbtest.service"},
		func(changed bool) {
			out, _ := inside(t, h, "systemctl is-enabled rbtest.service; systemctl is-active rbtest.service")
			if changed != (out == "disabled\ninactive\n") {
				t.Errorf("rbtest.service: %q (changed=%v)", out, changed)
			}
		})
}

func TestUpload(t *testing.T) {
	h := andromeda.Shared(t)
	key := filepath.Join(t.TempDir(), "id.pub")
	if err := os.WriteFile(key, []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheStdlibTestsOnly stdlib@test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `runbook { name = "key", params = { key = {} } }
step("key", function()
  file.mkdir("/root/.ssh", {mode = "0700"})
  file.upload(params.key, "/root/.ssh/authorized_keys2", {mode = "0600", owner = "root", group = "root"})
end)`
	converge(t, h, src, map[string]string{"key": key},
		[]string{"+ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheStdlibTestsOnly stdlib@test"},
		[]string{"cat > /root/.ssh/authorized_keys2 <<'EOF' && chmod 0600 /root/.ssh/authorized_keys2 && chown root:root /root/.ssh/authorized_keys2\n"},
		func(changed bool) {
			out, _ := inside(t, h, "stat -c '%a %U:%G' /root/.ssh/authorized_keys2 && cat /root/.ssh/authorized_keys2")
			ok := out == "600 root:root\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheStdlibTestsOnly stdlib@test\n"
			if ok != changed {
				t.Errorf("authorized_keys2 (changed=%v): %q", changed, out)
			}
		})
}

// TestFacts: what the stdlib reads about andromeda is what andromeda is.
func TestFacts(t *testing.T) {
	h := andromeda.Shared(t)
	tg := dial(t, h)
	src := `step("facts", function()
  assert(facts.hostname == "andromeda", "hostname " .. tostring(facts.hostname))
  assert(facts.os.id == "debian" and facts.os.codename == "bookworm", "os")
  assert(facts.systemd == true and facts.root == true and facts.user == "root", "systemd/root")
  assert(facts.interfaces.eth0.mac == "52:54:00:12:34:56", "eth0")
  assert(facts.interfaces.lo.addresses[1] == "127.0.0.1/8", "lo")
  assert(facts.cpu.count >= 1 and facts.memory_mb > 0, "cpu/mem")
end)`
	r := enginetest.Run(t, tg, src, t.TempDir(), enginetest.Options{})
	if r.Err != nil {
		t.Fatalf("%v\n%s", r.Err, r.Display)
	}
}
