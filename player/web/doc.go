// Package web publishes a recording for readers: a self-contained offline
// HTML page (player, seek bar with step marks, step list with copyable
// commands) and an animated SVG for places that allow no scripts.
//
// The screens it publishes are computed here, at export time, by the
// player's own terminal emulator; the page's script only draws text, so the
// page shows exactly what `runbook render` shows and seeks instantly.
//
// It reads recordings and screens through the player packages and the
// recording format package; it must not import the engine or cmd.
package web
