// Package recording reads and writes terminal recordings: ttyrec (and
// termrec's nh), asciicast v1/v2/v3, and the JSON index kept beside each
// recording for what ttyrec cannot hold.
//
// It is the leaf of the project: both the engine (which records) and the
// player (which reads) import it, so it imports nothing but the standard
// library.
package recording
