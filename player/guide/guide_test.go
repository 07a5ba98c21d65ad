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

// TestAttach: a retried command shows once with its last attempt, commands
// the plan could not list come where they ran, narration is the run's.
func TestAttach(t *testing.T) {
	p := &Plan{Steps: []Step{{N: 1, Stopped: "depends on the host", Items: []Item{
		{Comment: "count ( lines)"},
		{Command: "test -e x"},
		{Command: "ls"},
	}}}}
	p.Attach(map[int]*RecordedStep{1: {
		Comments: []string{"count (3 lines)"},
		Commands: []Recorded{
			{Text: "test -e x", Exit: 1},
			{Text: "test -e x", Exit: 0, Output: "ok"},
			{Text: "computed 1", Output: "c"},
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
	want := "#count (3 lines)|test -e x=ok|computed 1=c|ls=a b|after="
	if strings.Join(got, "|") != want {
		t.Errorf("items %q\nwant    %q", strings.Join(got, "|"), want)
	}
	if p.Steps[0].Stopped != "" {
		t.Errorf("the step still says it stopped: %q", p.Steps[0].Stopped)
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
		if n := strings.Count(page, "Skipped in this recording: this LVM has no lvmetad."); n != 1 {
			t.Errorf("%s page names the skip %d times, want once:\n%s", name, n, page)
		}
	}
}
