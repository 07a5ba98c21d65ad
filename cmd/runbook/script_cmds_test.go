package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the testscript commands the CLI's scripts add:
//
//	exits CODE PROG [ARGS...]   run PROG; its exit status must be CODE
//	snapshot                    remember every file under $WORK
//	unchanged                   no file under $WORK was made, changed or removed since snapshot
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exits":     cmdExits,
	"snapshot":  cmdSnapshot,
	"unchanged": cmdUnchanged,
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not an exit code", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

var snapshots sync.Map // *testscript.TestScript → map[string]string

func workFiles(ts *testscript.TestScript) map[string]string {
	root := ts.Getenv("WORK")
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." || rel == ".tmp" || strings.HasPrefix(rel, ".tmp"+string(filepath.Separator)) {
			return nil
		}
		if d.IsDir() {
			m[rel+"/"] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	ts.Check(err)
	return m
}

func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	snapshots.Store(ts, workFiles(ts))
}

func cmdUnchanged(ts *testscript.TestScript, neg bool, args []string) {
	v, ok := snapshots.Load(ts)
	if !ok {
		ts.Fatalf("unchanged: no snapshot")
	}
	before, now := v.(map[string]string), workFiles(ts)
	var diffs []string
	for p, h := range now {
		switch b, ok := before[p]; {
		case !ok:
			diffs = append(diffs, "made "+p)
		case b != h:
			diffs = append(diffs, "changed "+p)
		}
	}
	for p := range before {
		if _, ok := now[p]; !ok {
			diffs = append(diffs, "removed "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 != neg {
		if neg {
			ts.Fatalf("unchanged: nothing changed, want a change")
		}
		ts.Fatalf("files changed: %s", strings.Join(diffs, ", "))
	}
}
