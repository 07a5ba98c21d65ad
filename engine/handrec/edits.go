package handrec

import (
	"path"
	"strings"

	"github.com/runbook-dev/runbook/internal/cmdline"
)

// editors are the programs whose file arguments are files they edit.
var editors = map[string]bool{
	"vi": true, "vim": true, "nvim": true, "view": true, "vim.tiny": true, "vim.basic": true,
	"nano": true, "pico": true, "emacs": true, "mcedit": true, "editor": true, "sudoedit": true,
	"$EDITOR": true, "${EDITOR}": true, "$VISUAL": true, "${VISUAL}": true,
}

// EditedFiles lists the files a command line may write, as typed
// (relative, or ~/...): the file arguments of an editor (extra are more
// editor names: the user's $EDITOR), of ed, of sed -i and of tee, and the
// targets of a redirection of cat, echo or printf. A file named through a
// variable or a glob is left out: which file it is, only the shell knows.
func EditedFiles(line string, extra ...string) []string {
	var files []string
	add := func(f string, literal bool) {
		if !literal && !strings.HasPrefix(f, "~/") || f == "" || strings.HasPrefix(f, "/dev/") || f == "-" {
			return
		}
		for _, have := range files {
			if have == f {
				return
			}
		}
		files = append(files, f)
	}
	for _, s := range cmdline.Parse(line) {
		start := s.Start()
		if start >= len(s.Words) {
			continue
		}
		name := s.Words[start]
		if s.Literal[start] {
			name = path.Base(name)
		}
		args, lit := s.Words[start+1:], s.Literal[start+1:]
		switch {
		case editors[name] || contains(extra, name):
			for i, a := range args {
				if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "+") {
					add(a, lit[i])
				}
			}
		case name == "ed" || name == "red":
			for i, a := range args {
				if !strings.HasPrefix(a, "-") {
					add(a, lit[i])
					break
				}
			}
		case name == "sed":
			for _, f := range sedInPlace(args) {
				add(args[f], lit[f])
			}
		case name == "tee":
			for i, a := range args {
				if !strings.HasPrefix(a, "-") {
					add(a, lit[i])
				}
			}
		case name == "cat" || name == "echo" || name == "printf":
			for _, r := range s.Out {
				add(r.Target, r.Literal)
			}
		}
	}
	return files
}

// sedInPlace returns the positions of the file arguments of a sed that
// edits in place (-i, -iSUFFIX, --in-place), none otherwise.
func sedInPlace(args []string) []int {
	inPlace, script := false, false
	var files []int
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			for j := i + 1; j < len(args); j++ {
				files = append(files, j)
			}
			i = len(args)
		case a == "-e" || a == "-f" || a == "--expression" || a == "--file":
			script = true
			i++
		case strings.HasPrefix(a, "--expression=") || strings.HasPrefix(a, "--file="):
			script = true
		case a == "--in-place" || strings.HasPrefix(a, "--in-place="):
			inPlace = true
		case strings.HasPrefix(a, "--"):
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// Short options run together: -i takes the rest as its suffix,
			// -e and -f the next argument (or the rest).
			for k := 1; k < len(a); k++ {
				if a[k] == 'i' {
					inPlace = true
					break
				}
				if a[k] == 'e' || a[k] == 'f' {
					script = true
					if k == len(a)-1 {
						i++
					}
					break
				}
			}
		case !script:
			script = true // the first operand is the script
		default:
			files = append(files, i)
		}
	}
	if !inPlace {
		return nil
	}
	return files
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
