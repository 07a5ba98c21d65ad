package runbooks_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The guide pages in docs/ are for a reader who copies from them onto
// their own host: no command addressed by line number, no probe or state
// read, no wrapper of the tool's own, and nothing of the test host the
// reference runs were made on (its package proxy, its partition scanner,
// its loop disk, its SSH key). The web pages beside them (docs/*.html)
// are the recorded runs themselves, with a note on how each differed from
// the guide page: they hold nothing of the test host either (a run whose
// commands show it gets no web page: guide.Part.TestHostOnScreen).
var notForReaders = []struct {
	re  *regexp.Regexp
	why string
	web bool // also kept out of the web pages of the recorded runs
}{
	{regexp.MustCompile(`sed -i(?: -e)? '\d+(?:,\d+)?[acdis]`), "a line-number sed", false},
	{regexp.MustCompile(`\d+(?:,\d+)?[acdi]\\`), "a line-number sed address", false},
	{regexp.MustCompile(`runbook-tmp|runbook-staged|RUNBOOK_CONTENT|mv -f `), "a wrapper of runbook's", false},
	{regexp.MustCompile(`Dpkg::Options|DEBIAN_FRONTEND=noninteractive apt-get -y`), "apt's wrapper options", false},
	{regexp.MustCompile(`\[exit status \d+\]|exit status \d+\{\{`), "a failed probe's status", false},
	{regexp.MustCompile(`apt-cache policy \| grep|blkid -t TYPE=crypto_LUKS -o value|sfdisk --dump|cryptsetup isLuks|mountpoint -q|dpkg-query -W`), "a probe", false},
	{regexp.MustCompile(`127\.0\.0\.1`), "the test host's proxy", true},
	{regexp.MustCompile(`andromeda-partscan`), "the test host's partition scanner", true},
	{regexp.MustCompile(`/dev/loop`), "the test host's disk", true},
	{regexp.MustCompile(`runbook-testhost|ssh-ed25519 `), "a test key", true},
	{regexp.MustCompile(`xserver-xorg-core xinit\b[^)]`), "a test setting as if it were the guide's", false},
	{regexp.MustCompile(`<facts\.`), "a fact the page should have from its recording", false},
}

func TestPagesForReaders(t *testing.T) {
	pages, _ := filepath.Glob("../docs/*.md")
	hugo, _ := filepath.Glob("../docs/hugo/*.md")
	pages = append(pages, hugo...)
	if len(pages) < 8 {
		t.Fatalf("only %d pages in docs/", len(pages))
	}
	for _, p := range pages {
		if filepath.Base(p) == "emulator.md" {
			continue // about the player's terminal emulator, not the guide
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			for _, bad := range notForReaders {
				if bad.re.MatchString(l) {
					t.Errorf("%s:%d: %s: %s", p, i+1, bad.why, l)
				}
			}
			// Xen's runbook installs recommended packages; only the
			// reference run on the test host left them out.
			if strings.HasPrefix(filepath.Base(p), "xen-") && strings.Contains(l, "--no-install-recommends") {
				t.Errorf("%s:%d: a test setting as if it were the guide's: %s", p, i+1, l)
			}
		}
	}
}

// TestWebPagesForReaders: the web pages of the recorded runs hold nothing
// of the test host, and say how each run differed from its guide page.
func TestWebPagesForReaders(t *testing.T) {
	pages, _ := filepath.Glob("../docs/*.html")
	if len(pages) < 3 {
		t.Fatalf("only %d web pages in docs/", len(pages))
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			for _, bad := range notForReaders {
				if bad.web && bad.re.MatchString(l) {
					t.Errorf("%s:%d: %s: %.200s", p, i+1, bad.why, l)
				}
			}
		}
		if strings.Contains(string(b), "xserver-xorg-core") && !strings.Contains(string(b), `<aside class="rb-note"`) {
			t.Errorf("%s shows a test setting with no note saying so", p)
		}
	}
}

// The test fails on what it is meant to catch.
func TestPagesForReadersCatches(t *testing.T) {
	for _, l := range []string{
		`# sed -i '40a\GRUB_CMDLINE_XEN_DEFAULT="x"' /etc/default/grub`,
		`# sed -i '83c\XEN_OVERRIDE_GRUB_DEFAULT=0' /etc/default/grub.d/xen.cfg`,
		`cat > /etc/x.runbook-tmp <<'EOF' && mv -f /etc/x.runbook-tmp /etc/x`,
		`# DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confdef install x`,
		`# apt-cache policy | grep -q -- ' bookworm-backports/'`,
		`[exit status 1]`,
		`Acquire::http::Proxy "http://127.0.0.1:3142/";`,
		`# andromeda-partscan /dev/loop0`,
		`ssh-ed25519 AAAA runbook-testhost`,
		`iface <facts.default_interface> inet manual`,
	} {
		caught := false
		for _, bad := range notForReaders {
			caught = caught || bad.re.MatchString(l)
		}
		if !caught {
			t.Errorf("not caught: %s", l)
		}
	}
}
