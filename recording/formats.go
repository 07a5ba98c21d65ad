package recording

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// The formats this package reads and writes, in one table: a new format
// is a file of its own (its reader and/or writer) plus one row here. Open,
// NewEventReader, NewEventWriter, FormatOf, OutputFormatOf and the
// commands built on them (convert, info, play, check, export) all go
// through it.

// Format is one recording format.
type Format struct {
	// Name is the canonical name; Aliases are accepted for it (any case).
	Name    string
	Aliases []string
	// Family groups the versions of one format: "ttyrec", "asciicast",
	// "nh", "text", "raw".
	Family string
	// Exts are the extensions that imply this format when reading; OutExt
	// the one that implies it when writing ("" for none).
	Exts   []string
	OutExt []string
	// Sniff reports whether a file's first bytes are this format's (nil:
	// never recognised by content). Plausible, when set, is the looser
	// test used when the name or --format already says this format.
	Sniff     func(head []byte) bool
	Plausible func(head []byte) bool
	// Read opens a reader (nil: not readable); Write a writer (nil: not
	// writable).
	Read  func(src io.Reader, name string, closer io.Closer) (EventReader, error)
	Write func(w io.Writer, h Header) (EventWriter, error)
	// Holds says what the format keeps beyond output and time: markers,
	// resizes, input. What it cannot hold goes into the index beside it.
	Holds Holds
}

// Holds is what a format can carry besides timed output.
type Holds struct {
	Markers, Resizes, Input, Size bool
}

var formats = []*Format{
	{
		Name: "ttyrec", Aliases: []string{"tty"}, Family: "ttyrec",
		Exts: []string{".ttyrec", ".tty", ".rec"}, OutExt: []string{".ttyrec", ".tty", ".rec"},
		Sniff: ttyrecLike,
		Read: func(src io.Reader, name string, closer io.Closer) (EventReader, error) {
			return newTtyrecEvents(src, name, closer), nil
		},
		Write: func(w io.Writer, h Header) (EventWriter, error) { return newTtyrecEventWriter(w, h) },
		Holds: Holds{Size: true}, // termrec's first frame announces the size
	},
	{
		Name: "nh", Aliases: []string{"nh_recorder", "nh-recorder"}, Family: "nh",
		Exts:      []string{".nh"},
		Sniff:     func(b []byte) bool { return len(b) >= 5 && string(b[:5]) == "\x00\x00\x00\x00\x00" && nhLike(b) },
		Plausible: nhLike,
		Read: func(src io.Reader, name string, closer io.Closer) (EventReader, error) {
			return newNHReader(src, name, closer), nil
		},
	},
	{
		// Any asciicast version, read as it says; written as v2.
		Name: "asciicast", Aliases: []string{"cast"}, Family: "asciicast",
		Exts: []string{".cast", ".json", ".cast-v1"}, Sniff: castLike,
		Read:  readCast(0),
		Write: writeCast(2),
		Holds: Holds{Markers: true, Resizes: true, Input: true, Size: true},
	},
	{
		Name: "asciicast-v1", Aliases: []string{"cast-v1", "v1", "json"}, Family: "asciicast",
		Plausible: castLike, Read: readCast(1),
		Holds: Holds{Size: true},
	},
	{
		Name: "asciicast-v2", Aliases: []string{"cast-v2", "v2"}, Family: "asciicast",
		OutExt: []string{".cast"}, Plausible: castLike, Read: readCast(2), Write: writeCast(2),
		Holds: Holds{Markers: true, Resizes: true, Input: true, Size: true},
	},
	{
		Name: "asciicast-v3", Aliases: []string{"cast-v3", "v3"}, Family: "asciicast",
		Plausible: castLike, Read: readCast(3), Write: writeCast(3),
		Holds: Holds{Markers: true, Resizes: true, Input: true, Size: true},
	},
	{
		Name: "text", Aliases: []string{"txt"}, Family: "text", OutExt: []string{".txt"},
		Write: func(w io.Writer, h Header) (EventWriter, error) { return &TextWriter{w: w}, nil },
	},
	{
		Name: "raw", Family: "raw", OutExt: []string{".raw"},
		Write: func(w io.Writer, h Header) (EventWriter, error) { return &rawWriter{w: w}, nil },
	},
}

// AllFormats returns the table (do not modify it).
func AllFormats() []*Format { return formats }

// Formats are the names Open and NewEventReader accept ("" sniffs).
var Formats = names(func(f *Format) bool { return f.Read != nil })

// OutputFormats are the names NewEventWriter accepts.
var OutputFormats = names(func(f *Format) bool { return f.Write != nil && f.Name != "asciicast" })

func names(keep func(*Format) bool) []string {
	var out []string
	for _, f := range formats {
		if keep(f) {
			out = append(out, f.Name)
		}
	}
	return out
}

// LookupFormat finds a format by name or alias (any case).
func LookupFormat(name string) (*Format, error) {
	n := strings.ToLower(name)
	for _, f := range formats {
		if f.Name == n {
			return f, nil
		}
		for _, a := range f.Aliases {
			if a == n {
				return f, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown recording format %q (want one of %s)", name, strings.Join(append(Formats, OutputFormats[len(OutputFormats)-2:]...), ", "))
}

// FormatOf names the format a path's extension implies when reading (""
// when it implies none). A trailing .gz is looked through.
func FormatOf(path string) string {
	ext := filepath.Ext(strings.TrimSuffix(strings.ToLower(path), ".gz"))
	for _, f := range formats {
		for _, e := range f.Exts {
			if e == ext {
				return f.Name
			}
		}
	}
	return ""
}

// OutputFormatOf names the format a path's extension implies when writing
// ("" if none): .ttyrec, .cast (v2), .txt, .raw.
func OutputFormatOf(path string) string {
	ext := strings.ToLower(filepath.Ext(path))
	for _, f := range formats {
		for _, e := range f.OutExt {
			if e == ext {
				return f.Name
			}
		}
	}
	return ""
}

// normalFormat maps an input format's aliases to its name ("" stays "").
func normalFormat(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	f, err := LookupFormat(name)
	if err != nil {
		return "", err
	}
	if f.Read == nil {
		return "", fmt.Errorf("recording format %q cannot be read (readable: %s)", name, strings.Join(Formats, ", "))
	}
	return f.Name, nil
}

// NewEventWriter returns a writer of format (a name or alias of a
// writable format) for a recording described by h.
func NewEventWriter(w io.Writer, format string, h Header) (EventWriter, error) {
	f, err := LookupFormat(format)
	if err != nil || f.Write == nil {
		return nil, fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(OutputFormats, ", "))
	}
	return f.Write(w, h)
}

func readCast(want int) func(io.Reader, string, io.Closer) (EventReader, error) {
	return func(src io.Reader, name string, closer io.Closer) (EventReader, error) {
		c, err := newCastReader(src, name, closer, want)
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) && (c == nil || !c.recognised) {
				return nil, notRecording(name, "JSON or text, but no asciicast header")
			}
			return nil, err
		}
		if want == 1 && c.version != 1 {
			return nil, c.formatErr(ProblemDamaged, false, "asciicast v%d, not v1 as asked", c.version)
		}
		return c, nil
	}
}

func writeCast(version int) func(io.Writer, Header) (EventWriter, error) {
	return func(w io.Writer, h Header) (EventWriter, error) { return NewCastWriter(w, h, version) }
}

// sniff names the format of a file's first bytes, "" when they are no
// format's.
func sniff(b []byte) string {
	for _, f := range formats {
		if f.Sniff != nil && f.Sniff(b) {
			return f.Name
		}
	}
	return ""
}

// plausible reports whether head can be the start of a file of format.
func plausible(format string, head []byte) bool {
	f, err := LookupFormat(format)
	if err != nil {
		return false
	}
	switch {
	case f.Plausible != nil:
		return f.Plausible(head)
	case f.Sniff != nil:
		return f.Sniff(head)
	}
	return false
}
