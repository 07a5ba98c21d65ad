package draft

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

func cmd(text string, exit int, at float64) recording.Command {
	return recording.Command{Text: text, Exit: exit, Start: recording.Seconds(at), End: recording.Seconds(at + 0.5), Cwd: "/root"}
}

func blob(s string) *recording.Blob { return recording.NewBlob([]byte(s)) }

const grubBefore = "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n"
const grubAfter = "GRUB_DEFAULT=0\nGRUB_TIMEOUT=1\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\nGRUB_DISABLE_OS_PROBER=true\n"

func TestWrite(t *testing.T) {
	ix := &recording.Index{
		Version:   1,
		Host:      "andromeda",
		StartedAt: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Markers: []recording.Marker{
			{At: 10, Label: "Packages"},
			{At: 15, Label: "resize 120x40"},
			{At: 20, Label: ""},
		},
		Hand: &recording.Hand{
			Title: "Xen prerequisites", Marks: true,
			Hostname: "andromeda", Interfaces: []string{"enp1s0", "xenbr0"},
			Commands: []recording.Command{
				cmd("cd /etc/default", 0, 1),
				cmd("vi grub", 0, 2),
				cmd("cat > /etc/network/interfaces.d/xenbr0 <<'EOF'\nauto xenbr0\niface xenbr0 inet static\n  address 10.0.0.1/24\n  bridge_ports enp1s0\nEOF", 0, 3),
				cmd("echo andromeda > /etc/hostname", 0, 4),
				cmd("apt-get instal xen-system-amd64", 100, 11),
				cmd("apt-get install -y --no-install-recommends xen-system-amd64 xen-tools", 0, 12),
				cmd("systemctl enable --now dnsmasq", 0, 13),
				cmd("dpkg-divert --local --divert /etc/grub.d/08_linux_xen --rename /etc/grub.d/20_linux_xen", 0, 14),
				cmd("ls /nonexistent", 2, 21),
				cmd("blkid -U 0c4a7a4e-43b7-4f0b-9f39-6f6b8f1c2d3e", 0, 22),
				cmd("ip link set dev xenbr0 address 00:16:3e:12:34:56", 0, 23),
				cmd("export PATH=$PATH:/usr/sbin", 0, 24),
				cmd("exit", -1, 25),
			},
			Edits: []recording.Edit{
				{Command: 1, Path: "/etc/default/grub", Existed: true, Exists: true, Before: blob(grubBefore), After: blob(grubAfter)},
				{Command: 2, Path: "/etc/network/interfaces.d/xenbr0", Existed: false, Exists: true,
					After: blob("auto xenbr0\niface xenbr0 inet static\n  address 10.0.0.1/24\n  bridge_ports enp1s0\n")},
				{Command: 3, Path: "/etc/hostname", Existed: true, Exists: true, Before: blob("debian\n"), After: blob("andromeda\n")},
			},
		},
	}
	got, err := Write(ix, Options{Name: "xen", Recording: "rec.ttyrec"})
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("DRAFT_DUMP"); p != "" {
		os.WriteFile(p, []byte(got), 0o644)
	}
	for _, want := range []string{
		`name = "xen",`,
		`title = "Xen prerequisites",`,
		`host = "andromeda",`,
		`hostname = { default = "andromeda", doc = "the host's name (recorded: andromeda)" },`,
		`interface = { default = "enp1s0",`,
		`interface_2 = { default = "xenbr0",`,
		`uuid = { default = "0c4a7a4e-43b7-4f0b-9f39-6f6b8f1c2d3e",`,
		`mac = { default = "00:16:3e:12:34:56",`,
		`address = { default = "10.0.0.1",`,
		"step(\"Step 1\", function()\n  sh(\"cd /etc/default\")  -- kept for the shell state\n",
		// vi: two lines changed in grub → file.line, checked to give the same file.
		`file.line("/etc/default/grub", { regexp = "^GRUB_TIMEOUT=", line = "GRUB_TIMEOUT=1" })`,
		`file.line("/etc/default/grub", { line = "GRUB_DISABLE_OS_PROBER=true" })`,
		// A new file: written whole, host values as parameters.
		"file.write(\"/etc/network/interfaces.d/\" .. params.interface_2, table.concat({\n    \"auto \" .. params.interface_2,\n",
		"    \"  address \" .. params.address .. \"/24\",\n    \"  bridge_ports \" .. params.interface,\n    \"\",\n  }, \"\\n\"))",
		`file.line("/etc/hostname", { regexp = "^debian$", line = params.hostname })`,
		"step(\"Packages\", function()\n  -- typed first, failed (exit 100), then typed again corrected:\n  -- apt-get instal xen-system-amd64\n",
		`apt.install({ "xen-system-amd64", "xen-tools" }, { recommends = false })`,
		`systemd.enable("dnsmasq", { now = true })`,
		`dpkg.divert("/etc/grub.d/20_linux_xen", { to = "/etc/grub.d/08_linux_xen", rename = true })`,
		"step(\"Step 3\", function()\n",
		`sh("ls /nonexistent", { ok = {2} })  -- failed when recorded (exit 2)`,
		`sh("blkid -U " .. params.uuid)  -- no stdlib operation for blkid: kept as typed`,
		`sh("ip link set dev " .. params.interface_2 .. " address " .. params.mac)`,
		`sh("export PATH=$PATH:/usr/sbin")  -- kept for the shell state`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the draft lacks\n%s\n--- draft:\n%s", want, got)
		}
	}
	for _, not := range []string{"resize", `sh("exit")`, `sh("vi grub")`, `sh("apt-get instal`} {
		if strings.Contains(got, not) {
			t.Errorf("the draft has %q:\n%s", not, got)
		}
	}
}

func TestLineOps(t *testing.T) {
	for _, c := range []struct {
		before, after string
		want          int // file.line calls; 0: file.write
	}{
		{"a=1\nb=2\n", "a=1\nb=3\n", 1},
		{"a=1\n", "a=1\nb=2\n", 1},
		{"a=1\nb=2\nc=3\n", "a=1\nc=3\n", 1},
		{"a\nb\n", "x\na\nb\n", 0},                 // at the start: no line to go after
		{"a=1\n", "a=1", 0},                        // no newline at the end
		{"1\n2\n3\n4\n", "5\n6\n7\n8\n", 0},        // more than a few lines
		{"x\ny\nx\n", "x\ny\n", 0},                 // removing one of two equal lines
		{"#Port 22\nX=1\n", "Port 2222\nX=1\n", 1}, // a commented line set
		{"k=1\nk=2\n", "k=1\nk=3\n", 1},            // two lines share the key: matched whole
		{"k=1\nk=2\n", "k=3\nk=2\n", 1},            // the first of them alike
		{"k=1\nk=1\n", "k=1\nk=3\n", 0},            // one of two equal lines: file.line edits both
	} {
		ops := lineOps(c.before, c.after)
		if len(ops) != c.want {
			t.Errorf("lineOps(%q, %q) = %+v, want %d file.line calls", c.before, c.after, ops, c.want)
		}
	}
}

func TestNoCommands(t *testing.T) {
	ix := &recording.Index{Version: 1, Host: "local", Hand: &recording.Hand{Shell: "zsh", Note: "no commands in the index: the shell (zsh) printed no marks"}}
	got, err := Write(ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "-- The recording's index has no commands: no commands in the index: the shell (zsh) printed no marks.") {
		t.Errorf("draft of a session without commands:\n%s", got)
	}
}
