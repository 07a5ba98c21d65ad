// Package prompt is the step prompt of `runbook --step` (and later of
// `runbook play --step`): it shows the step, its narration and the command
// about to run on the user's terminal, reads one key in raw mode, and lets
// the user edit the command in $VISUAL/$EDITOR or an inline line editor.
//
// It only talks to the user's terminal. It never writes to a recording and
// knows nothing of sessions: what a decision means (run, skip, hand over a
// shell, quit) is for the caller to carry out. It must not import the
// engine, the stdlib or the player.
package prompt
