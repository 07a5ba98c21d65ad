package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the runbook command inside the
// testscript scripts (testdata/script/*.txtar).
func TestMain(m *testing.M) {
	testscript.Main(cleanupAfter{m}, map[string]func(){
		"runbook": func() { os.Exit(Main(os.Args[1:], StdIO())) },
	})
}

// TestScripts runs every testdata/script/*.txtar end to end against the
// real command. UPDATE_SCRIPTS=1 rewrites their expected output.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") == "1",
		Cmds:          scriptCmds,
		Setup: func(env *testscript.Env) error {
			// Tests that need a tool fail under CI and may skip elsewhere.
			env.Setenv("CI", os.Getenv("CI"))
			return nil
		},
	})
}

// cleanups run once every test of the package has run (files that tests
// share, made once).
var cleanups []func()

type cleanupAfter struct{ m *testing.M }

func (c cleanupAfter) Run() int {
	code := c.m.Run()
	for _, f := range cleanups {
		f()
	}
	return code
}
