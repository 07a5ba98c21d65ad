// Package guide makes the guide page of a runbook: its title, description,
// each step's narration and commands, the commands' outputs taken from a
// recording, and the recording embedded — as Markdown, or as a Hugo page
// with the shortcodes the original guide used (terminal, terminal-comment,
// terminal-command, terminal-output, ttyplayer).
//
// It reads the runbook as plain data (Plan) handed over by cmd; it must
// not import the engine.
package guide
