package guide

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkRecording checks a recording a test just made against its runbook
// (in record mode it writes the screens golden first).
func checkRecording(t *testing.T, c *cli, name, rec string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rb := filepath.Join(repoRoot(t), "runbooks", name+".lua")
	if recordMode {
		if res := c.run(ctx, "check", rec, "--runbook", rb, "--update"); res.exit != 0 {
			t.Errorf("runbook check %s --update: exit %d\n%s%s", rec, res.exit, res.stdout, res.stderr)
		}
	}
	// Outside record mode there is no golden beside a fresh recording: the
	// first check writes it, which still checks soundness and staleness.
	args := []string{"check", rec, "--runbook", rb}
	if _, err := os.Stat(goldenPath(rec)); err != nil {
		args = append(args, "--update")
	}
	if res := c.run(ctx, args...); res.exit != 0 {
		t.Errorf("runbook check %s: exit %d\n%s%s", rec, res.exit, res.stdout, res.stderr)
	}
}

func goldenPath(rec string) string {
	return rec[:len(rec)-len(filepath.Ext(rec))] + ".screens.txt"
}

// TestRecordings checks every reference recording in recordings/ against
// its runbook: sound, no pause over the idle limit, not stale, every step
// as the runbook expects, the screens golden equal.
func TestRecordings(t *testing.T) {
	c := newCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := repoRoot(t)
	for _, p := range Parts {
		t.Run(p.Name, func(t *testing.T) {
			rec := filepath.Join(root, "recordings", p.Name+".ttyrec")
			for _, f := range []string{rec, rec + ".json", goldenPath(rec)} {
				if _, err := os.Stat(f); err != nil {
					t.Fatalf("%v: make the reference recordings with scripts/record-guide.sh", err)
				}
			}
			res := c.run(ctx, "check", rec, "--runbook", filepath.Join(root, "runbooks", p.Name+".lua"))
			if res.exit != 0 {
				t.Errorf("runbook check %s: exit %d\n%s%s", rec, res.exit, res.stdout, res.stderr)
			}
		})
	}
	// The recordings of the whole guide on the VM (scripts/record-guide.sh
	// --vm), where they have been made: as sound and as fresh.
	for _, p := range VMParts {
		rec := filepath.Join(root, "recordings", "vm", p.Name+".ttyrec")
		if _, err := os.Stat(rec); err != nil {
			continue
		}
		t.Run("vm/"+p.Name, func(t *testing.T) {
			res := c.run(ctx, "check", rec, "--runbook", filepath.Join(root, "runbooks", p.Name+".lua"))
			if res.exit != 0 {
				t.Errorf("runbook check %s: exit %d\n%s%s", rec, res.exit, res.stdout, res.stderr)
			}
		})
	}
}

// TestDocsUpToDate makes every page of docs/ again from the runbooks and
// the recordings and fails when docs/ differs (in record mode, or with
// RUNBOOK_GUIDE_DOCS=update, it writes them).
func TestDocsUpToDate(t *testing.T) {
	c := newCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := repoRoot(t)
	update := recordMode || os.Getenv("RUNBOOK_GUIDE_DOCS") == "update"
	tmp := t.TempDir()
	// From the checkout's top, with relative paths: the pages name the
	// runbook as runbooks/NAME.lua wherever the checkout is.
	c.dir = root
	for _, p := range Parts {
		p := PagePart(p.Name)
		rec := p.Recording()
		rb := filepath.Join("runbooks", p.Name+".lua")
		if _, err := os.Stat(filepath.Join(root, rec)); err != nil {
			t.Errorf("%v: make the reference recordings with scripts/record-guide.sh", err)
			continue
		}
		pages := DocPages(p)
		for _, pg := range pages {
			out := filepath.Join(tmp, pg.File)
			// doc and export make no directory: a typo is refused.
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				t.Fatal(err)
			}
			res := c.run(ctx, pg.Args(rb, rec, out)...)
			if res.exit != 0 {
				t.Errorf("runbook %v: exit %d\n%s%s", pg.Args(rb, rec, out), res.exit, res.stdout, res.stderr)
				continue
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, "docs", pg.File)
			if update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%v: make docs/ with scripts/record-guide.sh --docs", err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("docs/%s is out of date with runbooks/%s.lua and its recording: run scripts/record-guide.sh --docs", pg.File, p.Name)
			}
		}
	}
}

// uuidRE matches a UUID, the form of a disk's or a file system's.
var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestPagesNameNoRecordedDisk: what a reader pastes from a published page
// (a command, or a file it writes whole) names no disk of the host the
// page was recorded on: a UUID there is a placeholder. Outputs may show
// the recorded host's.
func TestPagesNameNoRecordedDisk(t *testing.T) {
	root := repoRoot(t)
	for _, p := range Parts {
		path := filepath.Join(root, "docs", p.Name+".md")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		block := ""
		for i, l := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(l, "```"):
				if block == "" {
					block = strings.TrimPrefix(l, "```") + " "
				} else {
					block = ""
				}
				continue
			case block == "console " && !strings.HasPrefix(l, "# ") && !strings.HasPrefix(l, "$ "):
				continue // output
			case block != "console " && block != "sh ":
				continue
			}
			if u := uuidRE.FindString(l); u != "" {
				t.Errorf("docs/%s.md:%d: a reader would paste %s, the recorded host's:\n%s", p.Name, i+1, u, l)
			}
		}
	}
}
