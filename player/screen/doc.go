// Package screen is the player's terminal emulator: it turns the bytes a
// program wrote to its terminal into the grid of cells a person saw.
//
// It is written for recordings, not for driving programs: it never answers
// queries, never blocks, never panics on any input, keeps no scrollback, and
// its whole state can be copied (Snapshot/Restore) so a player can keep
// keyframes and seek backwards instantly. Its behaviour follows tmux 3.3,
// which the tests use as the reference; docs/emulator.md says why this is
// our own emulator and not vt10x or charmbracelet/x/vt.
//
// It imports only the standard library: the engine, the recording format
// and the CLI are out of its sight.
package screen

//go:generate python3 gen_width.py
