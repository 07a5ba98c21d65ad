// Package runbooks holds the runbooks shipped inside the runbook binary:
// the guide's parts and a demo that runs anywhere. A runbook name that is
// not an existing file is looked up here ("runbook demo").
//
// It imports nothing but the standard library.
package runbooks

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed *.lua
var files embed.FS

// Lookup returns a built-in runbook by name ("demo" or "demo.lua"): its
// path as shown in messages ("runbooks/demo.lua") and its text.
func Lookup(name string) (shown string, src []byte, ok bool) {
	if strings.ContainsRune(name, '/') {
		return "", nil, false
	}
	if !strings.HasSuffix(name, ".lua") {
		name += ".lua"
	}
	b, err := files.ReadFile(name)
	if err != nil {
		return "", nil, false
	}
	return path.Join("runbooks", name), b, true
}

// Names lists the built-in runbooks' file names, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}
