// Package chromium starts a headless Chromium and drives it over the
// DevTools protocol (a small client on a minimal websocket), so tests can
// load the web exports in a real browser, with no network, and read what it
// shows.
//
// It is test support: only tests import it. It imports the standard library
// alone.
package chromium
