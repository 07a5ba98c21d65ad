package guide

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// HugoOptions are the settings of the embedded player.
type HugoOptions struct {
	Autoplay, Loop bool
}

// WriteHugo writes the guide as a Hugo page with the original guide's
// shortcodes: a `terminal` block per step (titled with the host) holding
// `terminal-command` (user, host, path), `terminal-output` and
// `terminal-comment`, and `ttyplayer` for the recording.
func WriteHugo(w io.Writer, p *Plan, opt HugoOptions) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "---\ntitle: %s\n", strconv.Quote(title(p)))
	if p.Description != "" {
		fmt.Fprintf(bw, "description: %s\n", strconv.Quote(firstParagraph(p.Description)))
	}
	fmt.Fprintf(bw, "---\n\n")
	if v := p.Verified; v != nil {
		fmt.Fprintf(bw, "> **%s**\n\n", verifiedText(v))
	}
	if p.Description != "" {
		fmt.Fprintf(bw, "%s\n\n", strings.TrimSpace(p.Description))
	}
	writeSteps(bw, p, writeTerminal)
	if r := p.Recording; r != nil {
		fmt.Fprintf(bw, "## Recording\n\n{{< ttyplayer%s >}}\n", attrs("src", r.Src, "name", r.Name,
			"autoplay", strconv.FormatBool(opt.Autoplay), "loop", strconv.FormatBool(opt.Loop)))
	}
	return bw.Flush()
}

// writeTerminal writes commands in a terminal shortcode, outputs folded
// (the whole output follows in a <details> block).
func writeTerminal(bw *bufio.Writer, p *Plan, cmds []Item) {
	host := p.Host
	for _, it := range cmds {
		if it.Prompt.Host != "" {
			host = it.Prompt.Host
			break
		}
	}
	var details []string
	fmt.Fprintf(bw, "{{< terminal%s >}}\n", attrs("title", host))
	for _, it := range cmds {
		user, h := it.Prompt.User, it.Prompt.Host
		if user == "" {
			user = p.User
		}
		if h == "" {
			h = p.Host
		}
		fmt.Fprintf(bw, "{{< terminal-command%s >}}%s{{< /terminal-command >}}\n",
			attrs("user", user, "host", h, "path", it.Prompt.Path), it.Command)
		if it.HasOutput && it.Output != "" {
			shown, whole := fold(it.Output)
			fmt.Fprintf(bw, "{{< terminal-output >}}\n%s\n{{< /terminal-output >}}\n", shown)
			if whole != "" {
				details = append(details, fmt.Sprintf("<details><summary>All %d lines of <code>%s</code></summary>\n\n%s\n</details>",
					strings.Count(whole, "\n")+1, htmlText(firstLine(it.Command)), codeBlock("text", whole)))
			}
		}
		if it.HasOutput && it.Exit != 0 {
			fmt.Fprintf(bw, "{{< terminal-comment >}}exit status %d{{< /terminal-comment >}}\n", it.Exit)
		}
	}
	fmt.Fprintf(bw, "{{< /terminal >}}\n\n")
	for _, d := range details {
		fmt.Fprintf(bw, "%s\n\n", d)
	}
}

// attrs formats shortcode parameters, leaving out empty ones. A value with
// a double quote is written as a raw `string`, as Hugo allows.
func attrs(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if v == "" {
			continue
		}
		if strings.Contains(v, `"`) && !strings.Contains(v, "`") {
			fmt.Fprintf(&b, " %s=`%s`", kv[i], v)
		} else {
			fmt.Fprintf(&b, " %s=%q", kv[i], v)
		}
	}
	return b.String()
}

func firstParagraph(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return strings.Join(strings.Fields(s), " ")
}
