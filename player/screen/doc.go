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
// VT10X puts github.com/hinshun/vt10x behind the same Emulator interface,
// guarded against its known defects, as a backend to choose with
// `--emulator vt10x`; Screen stays the default. Screen itself uses only the
// standard library; vt10x.go is the one file that imports vt10x. The
// engine, the recording format and the CLI are out of this package's
// sight.
package screen

//go:generate python3 gen_width.py
