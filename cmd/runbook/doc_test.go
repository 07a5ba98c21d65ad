package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocFromRealRun makes the demo's guide page from a real run: outputs
// come from the recording, the retried command shows once, and the secret
// appears nowhere (neither the value nor a trace of it beyond ****).
func TestDocFromRealRun(t *testing.T) {
	rec := demoRecording(t)
	for _, format := range []string{"markdown", "hugo"} {
		out := filepath.Join(filepath.Dir(rec), "docs", "demo-"+format+".md")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := publishCLI(t, "doc", "demo", "--recording", rec, "--format", format, "-o", out)
		if code != 0 {
			t.Fatalf("runbook doc --format %s: exit %d: %s", format, code, errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for _, want := range []string{
			"A first runbook",
			"Comments become the narration of the guide.",
			"This machine has a root account (1 line).", // the narration as the run computed it
			"the token has 17 characters",
			"2 notes.txt",
			"****",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s page lacks %q:\n%s", format, want, page)
			}
		}
		if strings.Contains(page, "s3cr3t-demo-token") {
			t.Errorf("%s page shows the secret:\n%s", format, page)
		}
		if n := strings.Count(page, "test -e ready || { touch ready; false; }"); n != 1 {
			t.Errorf("%s page shows the retried command %d times", format, n)
		}
		if format == "hugo" {
			for _, want := range []string{"{{< terminal title=", "{{< terminal-command user=", "{{< terminal-output >}}", "{{< ttyplayer src=\"../demo.ttyrec\""} {
				if !strings.Contains(page, want) {
					t.Errorf("hugo page lacks %q", want)
				}
			}
		}
	}
}

// TestDocVerifiedBoxNamesSet: a page made with --set says so in its
// verified box, a secret parameter by its name alone.
func TestDocVerifiedBoxNamesSet(t *testing.T) {
	rec := demoRecording(t)
	code, page, errOut := publishCLI(t, "doc", "demo", "--recording", rec,
		"--set", "greeting=howdy", "--set", "token=zz-page-token-zz", "--note", "it ran in a test")
	if code != 0 {
		t.Fatalf("runbook doc: exit %d: %s", code, errOut)
	}
	want := "This page shows the runbook's own defaults, except greeting=howdy, token (secret); the recorded run differed: it ran in a test."
	if !strings.Contains(page, want) {
		t.Errorf("the verified box lacks %q:\n%s", want, page)
	}
	if strings.Contains(page, "zz-page-token-zz") {
		t.Errorf("the page shows the secret given with --set:\n%s", page)
	}
}
