// Package player reads recordings back: it opens any format the recording
// package reads (with the index beside it, if any), keeps keyframes of the
// emulator's state so any moment's screen is a short replay away, plays in
// a terminal, renders one screen, and checks a recording against the plan
// of the runbook that made it.
//
// It must never import the engine: the CLI loads a runbook and hands the
// player a Plan as plain data. It imports the recording format, its own
// screen emulator and the step prompt package only.
package player
