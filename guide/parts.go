package guide

import (
	"path"
	"strings"
)

// Part is one runbook of the guide as the reference run on andromeda runs
// it: the parameters that keep the run affordable in CI, or that the test
// host needs, on top of the runbook's defaults (the guide's values).
type Part struct {
	// Name is the built-in runbook's name (runbooks/NAME.lua) and the
	// base name of its recording and page.
	Name string
	// Set is passed as --set NAME=VALUE. "{disk}" and "{key}" stand for
	// andromeda's loop disk and the public key of the test's SSH client.
	Set []string
	// Differs says, for the page's verified box, how the recorded run
	// differs from the page (which shows the runbook's own defaults):
	// sentences that name no value of the test host.
	Differs []string
	// PageSet is passed to the page as --set NAME=VALUE: where a default
	// cannot be worked out from what the recorded run read, the value
	// that run was given (and Differs says so).
	PageSet []string
	// NotExercised says what the recorded run did not exercise.
	NotExercised []string
	// Dir is the directory under recordings/ that holds the run's
	// recording: "" for the container's runs, "vm" for the VM's.
	Dir string
	// Publish, on a VM part, makes the published page of that runbook
	// come from the VM's run (its recording, its verified box) instead
	// of the container's.
	Publish bool
	// TestHostOnScreen is set when the recorded run's commands show the
	// test host's own settings (its disk, proxy, partition scanner, key):
	// no web page or paced copy of it is published for readers, whose
	// pages link the recording in recordings/ instead.
	TestHostOnScreen bool
}

// Recording is the path of the part's recording from the checkout's top.
func (p Part) Recording() string {
	return path.Join("recordings", p.Dir, p.Name+".ttyrec")
}

// PagePart is the run that the published page of the runbook name comes
// from: the VM's where it is published (see VMParts), else the
// container's.
func PagePart(name string) Part {
	for _, p := range VMParts {
		if p.Name == name && p.Publish {
			return p
		}
	}
	for _, p := range Parts {
		if p.Name == name {
			return p
		}
	}
	return Part{Name: name}
}

// noDM is what the test host's kernel lacks.
const noDM = "LUKS and LVM (the test host's kernel has no device-mapper)"

// Parts are the guide's runbooks in the order a reader runs them.
var Parts = []Part{
	{Name: "debian-install-1", Set: []string{
		// No device-mapper on the test host: plain partitions, on the
		// loop-backed disk it attaches.
		"storage=plain",
		"disk={disk}",
		// The live system is bookworm, and stretch is archived: install
		// what the host's mirror has.
		"release=bookworm",
		// The test host's kernel reads no partition tables.
		"partscan=andromeda-partscan",
		"authorized_key={key}",
		// The test host reaches the mirror only through its proxy.
		"proxy=http://127.0.0.1:3142/",
		// A container cannot boot the disk it installed.
		"reboot=false",
	}, Differs: []string{
		"plain partitions instead of LUKS holding an LVM volume group (storage=plain), so the encryption and LVM steps did not run",
		"it installed Debian bookworm, not stretch (release=bookworm), on the test host's own disk image, through its package proxy, with its partition scanner and its SSH key",
	}, NotExercised: []string{noDM, "booting the installed system"}, TestHostOnScreen: true},
	{Name: "debian-install-2", NotExercised: []string{"lvmetad (bookworm's LVM has none: that edit changes nothing there)", "a boot"}},
	{Name: "debian-install-3", Set: []string{
		// A minimal X: the server's X11 without fonts and drivers.
		"x11_packages=xserver-xorg-core xinit",
	}, Differs: []string{"a minimal X11 was installed (x11_packages=xserver-xorg-core xinit)"}},
	{Name: "xen-prereqs", Set: []string{
		"recommends=false",
	}, Differs: []string{"recommended packages were left out (recommends=false), to keep the test host small"},
		NotExercised: []string{
			"booting Xen (the test host is a container: Xen's packages install and update-grub makes the Xen entries, but no hypervisor runs)",
			noDM + ", so the kernel line has no cryptdevice=",
			"a real network card (the bridges are configured, not brought up)",
		}},
}

// Cols, Rows and IdleLimit are the reference recordings' terminal size and
// longest pause.
const (
	Cols      = 100
	Rows      = 30
	IdleLimit = "2s"
)

// DocPage is one file of docs/ made from a part's runbook and recording.
type DocPage struct {
	// File is the page's path under docs/.
	File string
	// Args are runbook's arguments that write it to out, from the runbook
	// rb and the recording rec.
	Args func(rb, rec, out string) []string
}

// DocPages are the pages of a part: the guide page in Markdown (linking
// the web export), the web export itself (at human pace), the page in
// Hugo's markup with the original guide's shortcodes, and for its
// ttyplayer the recording paced for a human (a Hugo site serves
// docs/hugo/NAME.human.ttyrec at /recordings/).
//
// The pages show the runbook with its own defaults, never the test host's
// settings; their verified box says how the recorded run differed and
// what it did not exercise, and so does the web page of the run. A part
// whose run shows the test host's settings (TestHostOnScreen) gets the
// two guide pages only, linking the recording in recordings/.
func DocPages(p Part) []DocPage {
	name := p.Name
	var notes []string
	for _, d := range p.Differs {
		notes = append(notes, "--note", d)
	}
	for _, n := range p.NotExercised {
		notes = append(notes, "--not-exercised", n)
	}
	for _, v := range p.PageSet {
		notes = append(notes, "--set", v)
	}
	page := func(args ...string) []string { return append(args, notes...) }
	if p.TestHostOnScreen {
		return []DocPage{
			{File: name + ".md", Args: func(rb, rec, out string) []string {
				return page("doc", rb, "--recording", rec, "-o", out, "--src", "../"+p.Recording())
			}},
			{File: "hugo/" + name + ".md", Args: func(rb, rec, out string) []string {
				return page("doc", rb, "--recording", rec, "-o", out, "--format", "hugo", "--src", "/"+p.Recording())
			}},
		}
	}
	// The web page is the recorded run itself: it says how that run
	// differed from the guide page.
	// One note: the ways the run differed, then what the guide page shows.
	var exportNotes []string
	if len(p.Differs) > 0 {
		exportNotes = []string{"--note", "Recorded on the project's test host, where " + strings.Join(p.Differs, "; ") +
			". The guide page shows the runbook's own defaults."}
	}
	return []DocPage{
		{File: name + ".md", Args: func(rb, rec, out string) []string {
			return page("doc", rb, "--recording", rec, "-o", out, "--src", name+".html")
		}},
		{File: name + ".html", Args: func(rb, rec, out string) []string {
			return append([]string{"export", rec, out, "--idle-limit", IdleLimit}, exportNotes...)
		}},
		{File: "hugo/" + name + ".md", Args: func(rb, rec, out string) []string {
			return page("doc", rb, "--recording", rec, "-o", out, "--format", "hugo", "--src", "/recordings/"+name+".human.ttyrec")
		}},
		// tty-player reads only the ttyrec: a copy paced for a human.
		{File: "hugo/" + name + ".human.ttyrec", Args: func(rb, rec, out string) []string {
			return []string{"convert", rec, out, "--pace", "human", "--idle-limit", IdleLimit}
		}},
	}
}

// VMParts are the guide's runbooks as scripts/record-guide.sh --vm runs
// them on andromeda booted as a QEMU VM with its own kernel: part 1 with
// the guide's LUKS and LVM and the reboot that unlocks the disk (its
// passphrase typed at the serial console), then the other parts on the
// installed system, the last of them rebooting into Xen. What stays from
// Parts is what keeps an emulated run affordable.
var VMParts = []Part{
	{Name: "debian-install-1", Dir: "vm", Publish: true, TestHostOnScreen: true, Set: []string{
		"disk={disk}",
		// The live system is bookworm, and stretch is archived.
		"release=bookworm",
		// Small volumes on the VM's 8 GB disk.
		"root_size=3G", "swap_size=256M", "boot_size=256M",
		"authorized_key={key}",
		// The VM reaches the mirror only through the test host's proxy.
		"proxy=http://{proxy}/",
		// Where the passphrase prompt appears, and the tests read it.
		"serial_console=ttyS0,115200",
	}, Differs: []string{
		vmDiffers,
		"it installed Debian bookworm, not stretch (release=bookworm), with smaller volumes (root_size=3G, swap_size=256M, boot_size=256M), through the test host's package proxy and with its SSH key",
		"the kernel's console, where the LUKS passphrase is asked and typed, is the serial port (serial_console=ttyS0,115200)",
	}},
	{Name: "debian-install-2", Dir: "vm", Publish: true, Differs: []string{vmDiffers + ", booted from the disk part 1 installed"},
		NotExercised: []string{"lvmetad (bookworm's LVM has none: that edit changes nothing there)"}},
	{Name: "debian-install-3", Dir: "vm", Publish: true, Set: []string{"x11_packages=xserver-xorg-core xinit"},
		Differs: []string{vmDiffers, "a minimal X11 was installed (x11_packages=xserver-xorg-core xinit)"}},
	{Name: "xen-prereqs", Dir: "vm", Publish: true, Set: []string{"recommends=false", "serial_console=ttyS0,115200", "reboot=true",
		// QEMU's restricted user network leases an address without a
		// router: the installed system has no default route to find
		// the physical interface by. The VM's card is in PCI slot 3.
		"interface=ens3"},
		// The page, made with the default interface=auto, would find
		// no interface to bridge in what the run read.
		PageSet: []string{"interface=ens3"},
		Differs: []string{vmDiffers,
			"recommended packages were left out (recommends=false)",
			"Xen and dom0 use the serial console (serial_console=ttyS0,115200)",
			"the bridge's interface was named (interface=ens3): the VM's network leases no default route",
			"the run rebooted into Xen itself (reboot=true), typing the LUKS passphrase at the console"}},
}

// vmDiffers is how every VM run differs from a reader's server.
const vmDiffers = "it ran on a QEMU virtual machine (emulated, with its own kernel, disk and serial console) that reaches nothing but the Debian mirror"
