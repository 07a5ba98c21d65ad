package guide

import "strings"

// ReaderCommands returns what a reader copies from a Markdown page
// WriteMarkdown made, in order: each command of a console block (a line
// after its "# " or "$ " prompt; the other lines are output) and each sh
// block whole (a command of several lines, a heredoc). The lines a file
// must have and the outputs in <details> are for reading, not typing.
func ReaderCommands(page string) []string {
	var out []string
	lines := strings.Split(page, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "`"))
		lang := strings.TrimSpace(l[n:])
		closing := strings.Repeat("`", n)
		var body []string
		for i++; i < len(lines) && lines[i] != closing; i++ {
			body = append(body, lines[i])
		}
		switch lang {
		case "console":
			for _, b := range body {
				if c, ok := strings.CutPrefix(b, "# "); ok {
					out = append(out, c)
				} else if c, ok := strings.CutPrefix(b, "$ "); ok {
					out = append(out, c)
				}
			}
		case "sh":
			out = append(out, strings.Join(body, "\n"))
		}
	}
	return out
}
