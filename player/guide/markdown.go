package guide

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the guide as CommonMark: each step a section, its
// narration as paragraphs, its commands and outputs in console blocks.
func WriteMarkdown(w io.Writer, p *Plan) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n\n", mdText(title(p)))
	if p.Description != "" {
		fmt.Fprintf(bw, "%s\n\n", strings.TrimSpace(p.Description))
	}
	for _, st := range p.Steps {
		fmt.Fprintf(bw, "## %d. %s\n\n", st.N, mdText(st.Name))
		var block []string
		flush := func() {
			if len(block) == 0 {
				return
			}
			fence := fenceFor(strings.Join(block, "\n"))
			fmt.Fprintf(bw, "%sconsole\n%s\n%s\n\n", fence, strings.Join(block, "\n"), fence)
			block = nil
		}
		for _, it := range st.Items {
			if it.Comment != "" {
				flush()
				fmt.Fprintf(bw, "%s\n\n", strings.TrimSpace(it.Comment))
				continue
			}
			sign := "$"
			if it.Prompt.User == "root" || (it.Prompt.User == "" && p.User == "root") {
				sign = "#"
			}
			block = append(block, sign+" "+it.Command)
			if it.HasOutput && it.Output != "" {
				block = append(block, it.Output)
			}
			if it.HasOutput && it.Exit != 0 {
				block = append(block, fmt.Sprintf("[exit status %d]", it.Exit))
			}
		}
		flush()
		if st.Skipped != "" {
			fmt.Fprintf(bw, "*Skipped in this recording: %s.*\n\n", mdText(st.Skipped))
		}
		if st.Stopped != "" {
			fmt.Fprintf(bw, "*The rest of this step depends on the host: %s*\n\n", mdText(st.Stopped))
		}
	}
	if r := p.Recording; r != nil {
		fmt.Fprintf(bw, "## Recording\n\n[%s](%s)\n", mdText(r.Name), r.Src)
	}
	return bw.Flush()
}

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
