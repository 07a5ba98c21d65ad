package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/runbook-dev/runbook", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "54c6584d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	var b bytes.Buffer
	readBuildVersion(bi, true).write(&b)
	for _, want := range []string{
		"runbook devel 54c6584d0e1f-dirty\n",
		"module:    github.com/runbook-dev/runbook (devel)\n",
		"revision:  54c6584d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7 (committed 2026-01-02T03:04:05Z, with uncommitted changes)\n",
		"go:        go1.26.0\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("version lacks %q:\n%s", want, b.String())
		}
	}
	// Installed at a tag: the module version is the version.
	bi = &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/runbook-dev/runbook", Version: "v1.2.3"}}
	b.Reset()
	readBuildVersion(bi, true).write(&b)
	if !strings.HasPrefix(b.String(), "runbook v1.2.3\nmodule:    github.com/runbook-dev/runbook v1.2.3\nrevision:  unknown") {
		t.Errorf("tagged build:\n%s", b.String())
	}
}
