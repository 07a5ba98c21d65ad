// Package engine runs a runbook: it loads the Lua file in a sandboxed
// state, owns the step model and the run loop (selection, dry run, the
// hook before each command), drives the session's shell on any
// target.Target, and tees what the terminal shows to the recording, its
// index and the user's display.
//
// One goroutine owns the Lua state; the session's reader hands bytes over
// through the shell driver. It imports the target contract, the shell
// driver, the stdlib and the recording format; never the player or cmd.
package engine
