// Package recording reads and writes terminal recordings: ttyrec (and
// termrec's nh), asciicast v1/v2/v3, and the JSON index kept beside each
// recording for what ttyrec cannot hold.
//
// The pieces:
//   - Writer records a live session as ttyrec: wall-clock start plus
//     monotonic time, pauses and gaps beyond the idle limit cut out, one
//     Write per frame so a crash leaves a whole file, no UTF-8 character
//     split across frames, the terminal size announced in the first frame.
//   - Reader reads raw ttyrec frames in constant memory and reports damage
//     (*FormatError, with the byte offset) after every whole frame.
//   - Open and NewEventReader read any supported format as Events;
//     NewEventWriter writes ttyrec, asciicast v2/v3, text or raw output.
//   - Retime repairs and reshapes a timeline (backwards stamps, idle limit,
//     cuts, speed) as a filter over any EventReader; Stat describes a file.
//   - Index is the JSON file beside a recording (NAME.ttyrec.json).
//
// It is the leaf of the project: both the engine (which records) and the
// player (which reads) import it, so it imports nothing but the standard
// library.
package recording
