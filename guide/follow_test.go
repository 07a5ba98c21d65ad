package guide

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pguide "github.com/runbook-dev/runbook/player/guide"
	"github.com/runbook-dev/runbook/testhost/andromeda"
)

// followed are the parts whose page is followed by hand here. Part 1
// needs device-mapper and a disk the test host lacks (its page is not
// what ran here: see guide.Parts).
var followed = []string{"debian-install-2", "debian-install-3", "xen-prereqs"}

// pageMAC is how a page shows the dummy interface's MAC, which each reader
// makes for their own host (the page says how).
const pageMAC = "00:16:3e:xx:xx:xx"

// readersMAC is the MAC the runbook made on h, which the reader following
// the page by hand puts in place of pageMAC, as the page tells them to.
func readersMAC(t *testing.T, ctx context.Context, h *andromeda.Host) string {
	t.Helper()
	out := sh(t, ctx, h, "cat /etc/network/interfaces 2>/dev/null || :")
	return regexp.MustCompile(`00:16:3e(:[0-9a-f]{2}){3}`).FindString(out)
}

// pageLUKS is how a page shows the LUKS partition's UUID in the kernel
// line, which a reader takes from their own host (the page says how);
// on one without LUKS, such as the test host, the page says the line has
// no cryptdevice= at all.
const pageLUKS = "cryptdevice=/dev/disk/by-uuid/<UUID of the LUKS partition>:lvm:allow-discards "

// readersValues is what a reader following the page of p by hand on the
// test host puts in place of the values the page says are the recorded
// host's: the dummy interface's MAC (mac, the one the runbook made), no
// cryptdevice= (no LUKS here), and the interface the page was made with
// (PageSet) is this host's default route's, eth0 (giveNIC).
func readersValues(p Part, mac string) *strings.Replacer {
	pairs := []string{pageLUKS, ""}
	if mac != "" {
		pairs = append(pairs, pageMAC, mac)
	}
	for _, kv := range p.PageSet {
		if v, ok := strings.CutPrefix(kv, "interface="); ok {
			pairs = append(pairs, v, "eth0")
		}
	}
	return strings.NewReplacer(pairs...)
}

// TestFollowThePage follows a guide page as a reader does: it takes
// docs/NAME.md alone, extracts what a reader would copy (the commands and
// heredocs, in order), runs them as root on a fresh andromeda, and
// compares the host's state (files, packages, diversions, enabled units)
// with a fresh andromeda after `runbook NAME.lua` with its defaults.
func TestFollowThePage(t *testing.T) {
	for _, name := range followed {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
			defer cancel()
			page, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", name+".md"))
			if err != nil {
				t.Fatal(err)
			}
			cmds := pguide.ReaderCommands(string(page))
			if len(cmds) == 0 {
				t.Fatalf("docs/%s.md gives a reader no command", name)
			}
			fresh := func() *andromeda.Host {
				h := andromeda.ResetShared(t)
				giveNIC(t, ctx, h)
				// As TestGuide: a first boot, where ssh and the fstrim
				// timer are not enabled yet.
				sh(t, ctx, h, "systemctl disable --quiet ssh.service fstrim.timer")
				return h
			}

			h := fresh()
			c := newCLI(t)
			rc, res := c.runPart(ctx, h, Part{Name: name}, "")
			if res.exit != 0 || rc.Failed != 0 {
				t.Fatalf("runbook %s: exit %d\n%s", name, res.exit, tail(res.stderr, 40))
			}
			byRunbook := perBoot(snapshot(t, ctx, h, ""))
			mac := readersMAC(t, ctx, h)

			h = fresh()
			own := readersValues(PagePart(name), mac)
			for _, c := range cmds {
				if strings.Contains(c, pageMAC) && mac == "" {
					t.Fatalf("docs/%s.md has the placeholder %s, and the runbook made no MAC", name, pageMAC)
				}
				c = own.Replace(c)
				res, err := h.Exec(ctx, c)
				if err != nil {
					t.Fatalf("%s: %v", c, err)
				}
				if res.Exit != 0 {
					t.Fatalf("the page's command failed (exit %d):\n%s\n%s%s", res.Exit, c, res.Stdout, res.Stderr)
				}
			}
			byHand := perBoot(snapshot(t, ctx, h, ""))
			if byHand != byRunbook {
				dir, _ := os.MkdirTemp("", "follow-")
				os.WriteFile(filepath.Join(dir, "by-hand.txt"), []byte(byHand), 0o644)
				os.WriteFile(filepath.Join(dir, "by-runbook.txt"), []byte(byRunbook), 0o644)
				t.Fatalf("following docs/%s.md by hand left the host otherwise than the runbook (%s):\n%s", name, dir, lineDiff(byRunbook, byHand))
			}
			t.Logf("%d commands copied from docs/%s.md; the host is as the runbook leaves it", len(cmds), name)
		})
	}
}

// perBoot leaves out of a snapshot what every boot of andromeda makes
// anew (its machine-id), whatever ran on it, and the content of what is
// never built the same twice (an initramfs holds its files' times): that
// it is there is compared, not its bytes.
func perBoot(snap string) string {
	var keep []string
	for _, l := range strings.Split(snap, "\n") {
		switch hash, path, _ := strings.Cut(l, " "); {
		case path == "etc/machine-id":
		case strings.HasPrefix(path, "boot/initrd.img-") && hash != "":
			keep = append(keep, "(built) "+path)
		default:
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
