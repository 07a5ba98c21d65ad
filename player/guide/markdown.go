package guide

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the guide as CommonMark for a reader: a box saying
// what it was verified on, each step a section, its narration as
// paragraphs, each file change as "Edit FILE to have the following lines"
// (or the file written whole), then the commands in console blocks with
// their outputs, long ones folded (the whole output in a <details> block).
func WriteMarkdown(w io.Writer, p *Plan) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n\n", mdText(title(p)))
	if v := p.Verified; v != nil {
		fmt.Fprintf(bw, "> **%s**\n\n", verifiedText(v))
	}
	if p.Description != "" {
		fmt.Fprintf(bw, "%s\n\n", strings.TrimSpace(p.Description))
	}
	writeSteps(bw, p, writeConsole)
	if r := p.Recording; r != nil {
		fmt.Fprintf(bw, "## Recording\n\n[%s](%s)\n", mdText(r.Name), r.Src)
	}
	return bw.Flush()
}

// writeConsole writes commands in console blocks, each output in a text
// block of its own after its command: what a reader copies from a console
// block is commands only.
func writeConsole(bw *bufio.Writer, p *Plan, cmds []Item) {
	var lines, details []string
	flush := func() {
		if len(lines) > 0 {
			fmt.Fprintf(bw, "%s\n\n", codeBlock("console", strings.Join(lines, "\n")))
		}
		lines = nil
	}
	for _, it := range cmds {
		if strings.Contains(it.Command, "\n") {
			// A command of several lines (a heredoc) is a block of its
			// own, without a prompt: its lines would read as commands.
			flush()
			fmt.Fprintf(bw, "%s\n\n", codeBlock("sh", it.Command))
		} else {
			sign := "$"
			if it.Prompt.User == "root" || (it.Prompt.User == "" && p.User == "root") {
				sign = "#"
			}
			lines = append(lines, sign+" "+it.Command)
		}
		var out []string
		if it.HasOutput && it.Output != "" {
			shown, whole := fold(it.Output)
			out = append(out, shown)
			if whole != "" {
				details = append(details, fmt.Sprintf("<details><summary>All %d lines of <code>%s</code></summary>\n\n%s\n</details>",
					strings.Count(whole, "\n")+1, htmlText(firstLine(it.Command)), codeBlock("text", whole)))
			}
		}
		if it.HasOutput && it.Exit != 0 {
			out = append(out, fmt.Sprintf("[exit status %d]", it.Exit))
		}
		if len(out) > 0 {
			flush()
			fmt.Fprintf(bw, "%s\n\n", codeBlock("text", strings.Join(out, "\n")))
		}
	}
	flush()
	for _, d := range details {
		fmt.Fprintf(bw, "%s\n\n", d)
	}
}

// writeSteps writes p's steps as both page formats have them; writeCmds
// writes a run of commands (a console block, or Hugo's terminal
// shortcodes).
func writeSteps(bw *bufio.Writer, p *Plan, writeCmds func(*bufio.Writer, *Plan, []Item)) {
	for _, st := range p.Steps {
		fmt.Fprintf(bw, "## %d. %s\n\n", st.N, mdText(st.Name))
		if st.Skipped != "" {
			fmt.Fprintf(bw, "*Not run in the verified run: %s.*\n\n", mdText(st.Skipped))
		}
		for _, b := range blocks(st.Items) {
			switch b.kind {
			case proseBlock:
				fmt.Fprintf(bw, "%s\n\n", b.text)
			case linesBlock:
				fmt.Fprintf(bw, "%s\n\n%s\n\n", b.lead(), codeBlock("", strings.Join(b.lines, "\n")))
			case wholeBlock, goalBlock:
				fmt.Fprintf(bw, "%s\n\n", b.lead())
			case commandBlock:
				writeCmds(bw, p, b.cmds)
			}
		}
		if st.Stopped != "" {
			fmt.Fprintf(bw, "*The rest of this step depends on the host: %s*\n\n", mdText(st.Stopped))
		}
	}
}

func codeBlock(lang, body string) string {
	fence := fenceFor(body)
	return fence + lang + "\n" + body + "\n" + fence
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func htmlText(s string) string { return htmlEscaper.Replace(s) }

func title(p *Plan) string {
	if p.Title != "" {
		return p.Title
	}
	return p.Name
}

// fenceFor returns a code fence longer than any run of backticks in s.
func fenceFor(s string) string {
	n, run := 3, 0
	for _, r := range s {
		if r == '`' {
			run++
			n = max(n, run+1)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", n)
}

// mdText escapes what Markdown would read as markup in a heading or text.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, "#", `\#`)

func mdText(s string) string { return mdEscaper.Replace(s) }
