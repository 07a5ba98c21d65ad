package stdlib

import (
	"sort"
	"strings"
)

// Doc documents one Lua function in signature form. Each function's doc
// sits next to its code (var _ = document(...)); Reference prints them
// all, and a test fails when a function a module exports has none.
type Doc struct {
	Module string // "file"; "" for a global function (on_change)
	Name   string // "line"
	Sig    string // "file.line(path, {regexp=, line=, ...}) -> changed"
	Text   string // what it does, in a few sentences
}

var (
	docs       = map[string]Doc{}    // by Module.Name
	moduleDocs = map[string]string{} // module intro texts
)

// document registers a function's doc; it returns true so it can sit at
// package level next to the function as `var _ = document(...)`.
func document(module, name, sig, text string) bool {
	docs[docKey(module, name)] = Doc{Module: module, Name: name, Sig: sig, Text: text}
	return true
}

// Document registers the doc of a global function that is not the
// stdlib's own (the engine's core: runbook, step, sh, ...), so that one
// reference covers everything a runbook can call. Call it next to the
// function's code: var _ = stdlib.Document("", "sh", "sh(cmd [, {...}]) -> {...}", "...").
func Document(module, name, sig, text string) bool { return document(module, name, sig, text) }

// documentModule registers a module's introduction.
func documentModule(module, text string) bool {
	moduleDocs[module] = text
	return true
}

func docKey(module, name string) string {
	if module == "" {
		return name
	}
	return module + "." + name
}

// Docs returns every documented function, sorted by module then name.
func Docs() []Doc {
	out := make([]Doc, 0, len(docs))
	for _, d := range docs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Module != out[j].Module {
			return moduleOrder(out[i].Module) < moduleOrder(out[j].Module)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// DocFor returns the doc of module.name ("" module for globals).
func DocFor(module, name string) (Doc, bool) {
	d, ok := docs[docKey(module, name)]
	return d, ok
}

// order of the reference: the globals, then modules as a guide uses them.
var modules = []string{"", "file", "apt", "dpkg", "systemd", "host", "facts", "net"}

func moduleOrder(m string) int {
	for i, x := range modules {
		if x == m {
			return i
		}
	}
	return len(modules)
}

// Reference is the stdlib's reference text, printed by
// `runbook doc --stdlib`: every module and function, in signature form.
func Reference() string {
	var sb strings.Builder
	sb.WriteString("runbook stdlib reference\n")
	sb.WriteString("========================\n\n")
	sb.WriteString(wrap(moduleDocs["*"], "") + "\n")
	cur := "-"
	for _, d := range Docs() {
		if d.Module != cur {
			cur = d.Module
			title := cur
			if title == "" {
				title = "globals"
			}
			sb.WriteString("\n" + title + "\n" + strings.Repeat("-", len(title)) + "\n")
			if t := moduleDocs[cur]; t != "" {
				sb.WriteString(wrap(t, "") + "\n")
			}
			sb.WriteString("\n")
		}
		sb.WriteString(d.Sig + "\n")
		sb.WriteString(wrap(d.Text, "    ") + "\n\n")
	}
	return sb.String()
}

// wrap fills text to 76 columns with the given indent, keeping blank
// lines as paragraph breaks.
func wrap(text, indent string) string {
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		line := indent
		for _, w := range strings.Fields(para) {
			if len(line) > len(indent) && len(line)+1+len(w) > 76 {
				out = append(out, line)
				line = indent
			}
			if len(line) > len(indent) {
				line += " "
			}
			line += w
		}
		out = append(out, line, "")
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

var _ = documentModule("*", `Runbooks call these modules as globals (file.write(...)) or through
require("file"). Every operation first reads the current state through a side channel that is not
recorded, decides whether anything must change, and only then acts with a command a person would
type, shown and recorded in the session. Operations return true when they changed something (or,
in a dry run, would change it). With --diff a coloured unified diff follows every change; a dry
run (--dry-run) changes nothing, shows what would change and its diff, and an operation on
something an earlier operation would create says it depends on that change. Every operation takes
notify= (a handler from on_change, its name, or a list of them). Patterns are Go regular
expressions (RE2 syntax). Errors name the runbook's file:line, the operation, its target and the
host.`)
