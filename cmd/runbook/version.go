package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise
// it comes from the build info (module version or VCS revision).
var version = ""

// buildVersion says which runbook this is, from what the Go toolchain
// stamped into the binary: the main module's version (a tag when
// installed with go install m@v1.2.3, "(devel)" for a checkout) and the
// VCS revision, time and whether the tree had changes (go build in a git
// checkout, unless -buildvcs=false).
type buildVersion struct {
	Version  string // v1.2.3, or "devel"
	Module   string // github.com/runbook-dev/runbook
	ModVer   string // as the build info says: v1.2.3 or (devel)
	Revision string // "" when the build recorded none
	Time     string
	Modified bool
	Go       string
}

func readBuildVersion(bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: "devel"}
	if ok {
		v.Module, v.ModVer, v.Go = bi.Main.Path, bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			v.Version = mv
		} else if v.Revision != "" {
			short := v.Revision
			if len(short) > 12 {
				short = short[:12]
			}
			if v.Modified {
				short += "-dirty"
			}
			v.Version = "devel " + short
		}
	}
	if version != "" {
		v.Version = version
	}
	return v
}

func versionString() string { return readBuildVersion(debug.ReadBuildInfo()).Version }

func (v buildVersion) write(w io.Writer) {
	fmt.Fprintf(w, "runbook %s\n", v.Version)
	if v.Module != "" {
		fmt.Fprintf(w, "module:    %s %s\n", v.Module, v.ModVer)
	}
	switch {
	case v.Revision != "":
		rev := v.Revision
		var notes []string
		if v.Time != "" {
			notes = append(notes, "committed "+v.Time)
		}
		if v.Modified {
			notes = append(notes, "with uncommitted changes")
		}
		if len(notes) > 0 {
			rev += " (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintf(w, "revision:  %s\n", rev)
	default:
		fmt.Fprintf(w, "revision:  unknown (built without VCS stamping: outside a git checkout, or with -buildvcs=false)\n")
	}
	if v.Go != "" {
		fmt.Fprintf(w, "go:        %s\n", v.Go)
	}
}

func runVersion(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "version", "runbook version", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("version: takes no arguments")
	}
	readBuildVersion(debug.ReadBuildInfo()).write(st.Out)
	return nil
}
