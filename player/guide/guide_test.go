package guide

import (
	"strings"
	"testing"
)

func TestCommandOutput(t *testing.T) {
	for _, c := range []struct {
		name, cmd, bytes, want string
	}{
		{"plain", "echo hi", "echo hi\r\nhi\r\n$ ", "hi"},
		{"no output", "true", "true\r\n$ ", ""},
		{"heredoc echo skipped", "cat > f <<'EOF'\nx\nEOF", "cat > f <<'EOF'\r\n> x\r\n> EOF\r\n$ ", ""},
		{"progress overwritten", "apt", "apt\r\n 10%\r 55%\r100%\r\ndone\r\n$ ", "100%\ndone"},
		{"colours dropped", "ls", "ls\r\n\x1b[01;34mbin\x1b[0m  etc\r\n$ ", "bin  etc"},
		{"bracketed paste marks", "ls", "ls\r\n\x1b[?2004l\rx\r\n\x1b[?2004h$ ", "x"},
		{"folded by the width, joined again", "seq", "seq\r\n" + strings.Repeat("a", 15) + "\r\nb\r\n$ ", "aaaaaaaaaaaaaaa\nb"},
		{"cut before the end", "yes", "yes\r\ny\r\ny", "y"},
	} {
		if got := commandOutput([]byte(c.bytes), c.cmd, 10); got != c.want {
			t.Errorf("%s: output %q, want %q", c.name, got, c.want)
		}
	}
}

func TestLimitLines(t *testing.T) {
	var lines []string
	for i := range 100 {
		lines = append(lines, strings.Repeat("x", i%3))
	}
	got := strings.Split(limitLines(strings.Join(lines, "\n"), 40), "\n")
	if len(got) != 41 || got[26] != "[… 60 more lines …]" {
		t.Errorf("limited to %d lines, the note is %q", len(got), got[26])
	}
}

func TestParsePrompt(t *testing.T) {
	for text, want := range map[string]Prompt{
		"x\nroot@andromeda:~# ":             {"root", "andromeda", "~"},
		"user@vm:/var/lib/dnsmasq$ ":        {"user", "vm", "/var/lib/dnsmasq"},
		"$ ":                                {},
		"root@host-1.example:/etc/default#": {"root", "host-1.example", "/etc/default"},
	} {
		if got := parsePrompt(text); got != want {
			t.Errorf("parsePrompt(%q) = %+v, want %+v", text, got, want)
		}
	}
}

// TestAttach: the plan is the page. A command the recorded run typed
// alike gets its output (a retried one its last attempt); what the run
// typed that the plan does not list (a probe, another parameter's
// command) is not added; the narration is the plan's.
func TestAttach(t *testing.T) {
	p := &Plan{Steps: []Step{{N: 1, Items: []Item{
		{Comment: "count"},
		{Command: "test -e x"},
		{Command: "apt-get install -y x"},
		{Command: "ls"},
	}}}}
	p.Attach(map[int]*RecordedStep{1: {
		Comments: []string{"count (test settings)"},
		Commands: []Recorded{
			{Text: "test -e x", Exit: 1},
			{Text: "test -e x", Exit: 0, Output: "ok"},
			{Text: "probe", Output: "c", Exit: 1},
			{Text: "apt-get install -y --no-install-recommends x", Output: "apt"},
			{Text: "ls", Output: "a b"},
			{Text: "skipped", Skipped: true},
			{Text: "after"},
		}}})
	var got []string
	for _, it := range p.Steps[0].Items {
		if it.Comment != "" {
			got = append(got, "#"+it.Comment)
		} else {
			got = append(got, it.Command+"="+it.Output)
		}
	}
	want := "#count|test -e x=ok|apt-get install -y x=|ls=a b"
	if strings.Join(got, "|") != want {
		t.Errorf("items %q\nwant    %q", strings.Join(got, "|"), want)
	}
}

// TestReaderPage: a file edit reads "Edit FILE to have the following
// lines" with the lines, then the commands; a whole file is introduced and
// written by its heredoc, in a block of its own; a long output is folded
// and given whole in a <details> block; the verified box opens the page.
func TestReaderPage(t *testing.T) {
	long := strings.TrimSuffix(strings.Repeat("line\n", 30), "\n")
	p := &Plan{Name: "x", Title: "X", User: "root", Verified: &Verified{Host: "h", OS: "Debian 12", Date: "2025-01-02",
		NotExercised: []string{"booting Xen"}, Differs: []string{"recommends=false"}},
		Steps: []Step{{N: 1, Name: "Grub", Items: []Item{
			{Intent: &Intent{Text: "/etc/default/grub has the line A=1", Path: "/etc/default/grub", Lines: []string{"A=1"}}},
			{Command: "sed one", Op: "file.line"},
			{Intent: &Intent{Text: "/etc/default/grub has the line B=2", Path: "/etc/default/grub", Lines: []string{"B=2"}}},
			{Command: "sed two", Op: "file.line"},
			{Intent: &Intent{Text: "/etc/x has exactly the 1 lines below", Path: "/etc/x", Whole: true}},
			{Command: "cat > /etc/x <<'EOF'\n# a comment\nEOF", Op: "file.write"},
			{Intent: &Intent{Text: "package p installed"}},
			{Command: "apt-get install -y p", Output: long, HasOutput: true},
		}}}}
	var md strings.Builder
	if err := WriteMarkdown(&md, p); err != nil {
		t.Fatal(err)
	}
	page := md.String()
	for _, want := range []string{
		"> **Verified by running this runbook on h (Debian 12) on 2025-01-02; the recording at the end of the page is that run. Not exercised there: booting Xen. This page shows the runbook's own defaults; the recorded run differed: recommends=false.**",
		"Edit `/etc/default/grub` to have the following lines:\n\n```\nA=1\nB=2\n```\n\n```console\n# sed one\n# sed two\n```",
		"Create or replace `/etc/x` with exactly this content:\n\n```sh\ncat > /etc/x <<'EOF'\n# a comment\nEOF\n```",
		"To have package p installed:\n\n```console\n# apt-get install -y p\n```\n\n```text\nline\nline\nline\nline\nline\nline\n… 24 more lines\n```",
		"<details><summary>All 30 lines of <code>apt-get install -y p</code></summary>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	var hugo strings.Builder
	if err := WriteHugo(&hugo, p, HugoOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"> **Verified by running", "Edit `/etc/default/grub` to have the following lines:", "… 24 more lines", "<details>"} {
		if !strings.Contains(hugo.String(), want) {
			t.Errorf("hugo page lacks %q:\n%s", want, hugo.String())
		}
	}
}

func TestFenceAndEscapes(t *testing.T) {
	if f := fenceFor("echo ```x```` y"); f != "`````" {
		t.Errorf("fence %q", f)
	}
	if got := mdText("a_b *c* [d] <e> #f"); got != `a\_b \*c\* \[d\] \<e> \#f` {
		t.Errorf("mdText = %q", got)
	}
	if got := attrs("user", "root", "path", "", "title", `say "hi"`); got != " user=\"root\" title=`say \"hi\"`" {
		t.Errorf("attrs = %q", got)
	}
}

// A step the recorded run skipped says so, with the reason, in both page
// formats.
func TestSkippedStepOnPage(t *testing.T) {
	p := &Plan{Name: "x", Title: "X", Steps: []Step{
		{N: 1, Name: "Stop lvmetad", Items: []Item{{Comment: "Only where lvmetad exists."}}},
		{N: 2, Name: "Enable ssh", Items: []Item{{Command: "systemctl enable ssh.service"}}},
	}}
	p.Attach(map[int]*RecordedStep{
		1: {Comments: []string{"Only where lvmetad exists."}, Skipped: "this LVM has no lvmetad"},
		2: {Commands: []Recorded{{Text: "systemctl enable ssh.service"}}},
	})
	var md, hugo strings.Builder
	if err := WriteMarkdown(&md, p); err != nil {
		t.Fatal(err)
	}
	if err := WriteHugo(&hugo, p, HugoOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, page := range map[string]string{"markdown": md.String(), "hugo": hugo.String()} {
		if n := strings.Count(page, "Not run in the verified run: this LVM has no lvmetad."); n != 1 {
			t.Errorf("%s page names the skip %d times, want once:\n%s", name, n, page)
		}
	}
}

// TestReaderCommands: what a reader copies from a page, in order, is
// exactly the commands written: console lines after their prompt, sh
// blocks whole, never the lines to have, outputs or details.
func TestReaderCommands(t *testing.T) {
	p := &Plan{Name: "x", User: "root", Steps: []Step{{N: 1, Name: "s", Items: []Item{
		{Intent: &Intent{Path: "/etc/f", Lines: []string{"# not a command", "A=1"}}},
		{Command: "sed one /etc/f"},
		{Command: "apt-get install -y p", Output: strings.Repeat("# out\n", 20) + "# out", HasOutput: true},
		{Intent: &Intent{Path: "/etc/g", Whole: true}},
		{Command: "cat > /etc/g <<'EOF'\n# a comment\nEOF"},
		{Command: "systemctl enable x"},
	}}}}
	var md strings.Builder
	if err := WriteMarkdown(&md, p); err != nil {
		t.Fatal(err)
	}
	got := ReaderCommands(md.String())
	want := []string{"sed one /etc/f", "apt-get install -y p", "cat > /etc/g <<'EOF'\n# a comment\nEOF", "systemctl enable x"}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("commands %q\nwant %q\npage:\n%s", got, want, md.String())
	}
}

// TestVerifiedText: the box names the parameters the page was made with,
// with or without ways the run differed.
func TestVerifiedText(t *testing.T) {
	for _, c := range []struct {
		v    Verified
		want string
	}{
		{Verified{Host: "h"}, "Verified by running this runbook on h; the recording at the end of the page is that run."},
		{Verified{Host: "h", Set: []string{"a=1", "b=2"}}, "that run. This page shows the runbook's own defaults, except a=1, b=2."},
		{Verified{Host: "h", Differs: []string{"x"}}, "that run. This page shows the runbook's own defaults; the recorded run differed: x."},
		{Verified{Host: "h", Set: []string{"a=1"}, Differs: []string{"x", "y"}}, "own defaults, except a=1; the recorded run differed: x; y."},
	} {
		if got := verifiedText(&c.v); !strings.HasSuffix(got, c.want) {
			t.Errorf("%+v: %q, want it to end %q", c.v, got, c.want)
		}
	}
}
