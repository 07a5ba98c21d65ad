package guide

import "strings"

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
}

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
	}},
	{Name: "debian-install-2"},
	{Name: "debian-install-3", Set: []string{
		// A minimal X: the server's X11 without fonts and drivers.
		"x11_packages=xserver-xorg-core xinit",
	}},
	{Name: "xen-prereqs", Set: []string{
		"recommends=false",
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
// the web export), the web export itself, and the page in Hugo's markup
// with the original guide's shortcodes (for a Hugo site serving
// recordings/ at /recordings/).
//
// The pages are made with the parameters the part was recorded with (those
// that name no file of the test host), so the steps the recording skipped
// are listed as skipped too.
func DocPages(p Part) []DocPage {
	name := p.Name
	var set []string
	for _, s := range p.Set {
		if !strings.Contains(s, "{") && !strings.Contains(s, "proxy=") {
			set = append(set, "--set", s)
		}
	}
	page := func(args ...string) []string { return append(args, set...) }
	return []DocPage{
		{File: name + ".md", Args: func(rb, rec, out string) []string {
			return page("doc", rb, "--recording", rec, "-o", out, "--src", name+".html")
		}},
		{File: name + ".html", Args: func(rb, rec, out string) []string {
			return []string{"export", rec, out, "--idle-limit", IdleLimit}
		}},
		{File: "hugo/" + name + ".md", Args: func(rb, rec, out string) []string {
			return page("doc", rb, "--recording", rec, "-o", out, "--format", "hugo", "--src", "/recordings/"+name+".ttyrec")
		}},
	}
}
