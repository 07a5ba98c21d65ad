package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/recording"
)

const convertUse = "runbook convert IN OUT [--idle-limit DUR] [--speed X] [--cut FROM-TO]... [--redact REGEX]... [--format FORMAT] [--cast-v3] [--no-index]"

const convertMore = `
Reads ttyrec (also .gz), termrec's nh (.nh) and asciicast v1/v2/v3 (.cast;
v1 files end in .json); writes by OUT's extension: .ttyrec, .cast (asciicast
v2; --cast-v3 for v3), .txt (a plain transcript without control sequences),
.raw (the output bytes alone, as 'asciinema cat' prints them). "-" is
standard input or output, so convert works in pipes.

The same command repairs a recording: stamps that go backwards are fixed
(the backwards step takes no time, as ttyplay plays it), --idle-limit
shortens long pauses, --cut removes stretches of time, and every byte of
output is kept. Problems read past are reported on stderr. A damaged input
is converted up to the damage and the exit status is 1.

The index beside IN (IN.json: steps, commands, markers, pauses) follows:
when OUT is a ttyrec file, OUT.json is written with every time mapped
exactly as the frames are, so each command still spans the same output;
the pauses gain the time the idle limit and --cut took out, idle_limit
becomes the new limit, and --redact masks the index's texts too. An
asciicast gets the steps as markers and the index's idle limit as
idle_time_limit. Converting in place (IN = OUT) replaces the recording,
then its index, each atomically. --no-index ignores IN.json; nothing is
written for "-".

Examples:
  runbook convert old.ttyrec fixed.ttyrec --idle-limit 2s
  runbook convert rec.ttyrec rec.ttyrec --idle-limit 1s   # in place, index too
  runbook convert demo.ttyrec demo.cast
  runbook convert talk.cast talk.txt
  runbook convert demo.ttyrec - --to cast | gzip > demo.cast.gz
  zcat old.ttyrec.gz | runbook convert - new.cast --format ttyrec
  runbook convert demo.cast short.ttyrec --cut 10s-1m --speed 1.5
  runbook convert demo.ttyrec public.ttyrec --redact 'token=[A-Za-z0-9]+'
`

func runConvert(ctx context.Context, st *IO, args []string) error {
	fs := newFlags(st, "convert", convertUse, convertMore)
	idle := fs.String("idle-limit", "", "shorten every pause longer than `DUR` to DUR (e.g. 2s)")
	speed := fs.Float64("speed", 1, "play `X` times as fast (0.5: half speed)")
	cuts := fs.StringArray("cut", nil, "remove the time between `FROM-TO` (e.g. 1m-1m30s or 60-90); repeatable")
	redactTexts := fs.StringArray("redact", nil, "mask the secret `TEXT` as ****, in every encoding and across frames; repeatable")
	redactFiles := fs.StringArray("redact-file", nil, "mask each line of `FILE` as --redact does; repeatable")
	redacts := fs.StringArray("redact-regex", nil, "mask text matching `REGEX` with * (layout kept; within one frame); repeatable")
	format := fs.String("format", "", "format of whichever side is \"-\" or has no known extension")
	from := fs.String("from", "", "input format: ttyrec, nh, asciicast, asciicast-v1/v2/v3")
	to := fs.String("to", "", "output format: ttyrec, cast, cast-v3, txt, raw")
	castV3 := fs.Bool("cast-v3", false, "write asciicast v3 for .cast")
	noIndex := fs.Bool("no-index", false, "ignore IN's index (IN.json): write no OUT.json, no markers")
	pace := fs.String("pace", "real", "real: the recording's own time; `human`: commands typed and outputs held at a person's pace, from IN's index (for players that read only the file: tty-player, asciinema)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	human, err := checkPace("convert", *pace)
	if err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("convert: want IN and OUT (usage: %s)", convertUse)
	}
	in, out := fs.Arg(0), fs.Arg(1)

	inFmt := *from
	if inFmt == "" {
		if in != "-" {
			inFmt = recording.FormatOf(in)
		}
		if inFmt == "" && *format != "" && (in == "-" || recording.OutputFormatOf(out) != "" || out != "-") {
			inFmt = *format
		}
		if inFmt == "" && in == "-" {
			return usagef("convert: reading standard input needs --format or --from")
		}
	}
	outFmt := *to
	if outFmt == "" && out != "-" {
		outFmt = recording.OutputFormatOf(out)
	}
	if outFmt == "" && *format != "" && (out == "-" || filepath.Ext(out) != "") {
		outFmt = *format
	}
	if outFmt == "" {
		if out == "-" {
			return usagef("convert: writing standard output needs --to (or --format)")
		}
		return usagef("convert: cannot tell the output format of %s: use .ttyrec, .cast, .txt, .raw or --to", out)
	}
	if *castV3 {
		switch strings.ToLower(outFmt) {
		case "asciicast-v2", "asciicast", "cast", "cast-v2", "v2":
			outFmt = "asciicast-v3"
		}
	}

	opt := recording.RetimeOptions{Speed: *speed}
	if *speed <= 0 {
		return usagef("convert: --speed must be > 0")
	}
	if *idle != "" {
		d, err := recording.ParseTime(*idle)
		if err != nil || d <= 0 {
			return usagef("convert: --idle-limit %q: want a positive duration such as 2s", *idle)
		}
		opt.IdleLimit = d
	}
	for _, c := range *cuts {
		s, err := recording.ParseSpan(c)
		if err != nil {
			return usagef("convert: --%v", err)
		}
		opt.Cuts = append(opt.Cuts, s)
	}
	var res []*regexp.Regexp
	for _, r := range *redacts {
		re, err := regexp.Compile(r)
		if err != nil {
			return usagef("convert: --redact-regex %q: %v", r, err)
		}
		res = append(res, re)
	}
	secrets, err := redactSet(*redactTexts, *redactFiles)
	if err != nil {
		return err
	}
	if human && *noIndex {
		return usagef("convert: --pace human needs IN's index, and --no-index leaves it out")
	}

	src, err := recording.Open(in, inFmt)
	if err != nil {
		var fe *recording.FormatError
		if errors.As(err, &fe) {
			return err
		}
		return usagef("convert: %v", err)
	}
	defer src.Close()
	// What ttyrec cannot hold lives in the index beside it: it follows
	// the frames (convert_index.go, convert_markers.go).
	var ix *recording.Index
	if !*noIndex && (isTtyrecFormat(outFmt) || isCastFormat(outFmt)) {
		if ix, err = readInputIndex(in); err != nil {
			return err
		}
	}
	var events recording.EventReader = src
	if ix != nil {
		events = indexHeader{src, ix.IdleLimit}
	}
	if human {
		// Paced after the idle limit, cuts and speed; the paced events
		// and index then go through the rest as they are.
		if ix == nil {
			if ix, err = readInputIndex(in); err != nil {
				return err
			}
		}
		if ix == nil {
			return fmt.Errorf("convert: --pace human needs the index beside %s (%s)", in, filepath.Base(recording.IndexPath(in)))
		}
		pe, pix, perr := paced(ctx, events, ix, opt)
		if pe == nil {
			return fmt.Errorf("convert: %w", perr)
		}
		events, ix, opt = pe, pix, recording.RetimeOptions{}
	}
	rt := recording.Retime(events, opt)
	var ixRetime *recording.IndexRetime
	if ix != nil && out != "-" && isTtyrecFormat(outFmt) {
		if ixRetime, err = rt.RetimeIndex(ix); err != nil {
			return fmt.Errorf("convert: %w", err)
		}
	}
	var marked recording.EventReader = rt
	if isCastFormat(outFmt) {
		marked = withIndexMarkers(rt, ix, src.Header().Format)
	}
	if _, err := recording.NewEventWriter(io.Discard, outFmt, rt.Header()); err != nil {
		return usagef("convert: %v", err)
	}

	// Write to a temporary file renamed at the end, so OUT is never left
	// half-written and may even be IN (a repair in place).
	var dst io.Writer
	var tmp *os.File
	if out == "-" {
		dst = st.Out
	} else {
		tmp, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
		if err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		dst = tmp
	}
	// The async writer is the output buffer: blocks of 1 MiB, written on
	// another goroutine while the next block is made.
	aw := newAsyncWriter(dst, 1<<20)
	ew, err := recording.NewEventWriter(aw, outFmt, rt.Header())
	if err != nil {
		aw.Close()
		return fmt.Errorf("convert: %w", err)
	}
	n, readErr := copyEvents(ctx, ew, marked, res, secrets)
	if errors.Is(readErr, context.Canceled) {
		aw.Close()
		return fmt.Errorf("convert: %w (%s left as it was)", readErr, out)
	}
	if err := ew.Close(); err != nil {
		return fmt.Errorf("convert: write %s: %w", out, err)
	}
	if err := aw.Close(); err != nil {
		return fmt.Errorf("convert: write %s: %w", out, err)
	}
	// The index is made and written beside OUT's temporary file before
	// either is renamed into place: OUT first, its index last.
	var ixTmp string
	var notes []string
	redactedOut := len(res) > 0 || secrets.Len() > 0
	if ixRetime == nil && redactedOut && out != "-" && isTtyrecFormat(outFmt) && !*noIndex {
		// No index came in, but the one going out says the recording
		// was masked after it was made.
		hd := rt.Header()
		if ixTmp, err = writeIndexTemp(out, &recording.Index{Term: recording.Term{Cols: hd.Cols, Rows: hd.Rows}, Redacted: true}, secrets); err != nil {
			return err
		}
		defer func() {
			if ixTmp != "" {
				os.Remove(ixTmp)
			}
		}()
	}
	if ixRetime != nil {
		nix, ns := ixRetime.Index()
		notes = ns
		redactIndex(nix, res)
		nix.Redacted = nix.Redacted || redactedOut
		if ixTmp, err = writeIndexTemp(out, nix, secrets); err != nil {
			return err
		}
		defer func() {
			if ixTmp != "" {
				os.Remove(ixTmp)
			}
		}()
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("convert: write %s: %w", out, err)
		}
		mode := os.FileMode(0o644)
		if fi, err := os.Stat(out); err == nil {
			mode = fi.Mode().Perm()
		}
		os.Chmod(tmp.Name(), mode)
		if err := os.Rename(tmp.Name(), out); err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		tmp = nil
	}
	if ixTmp != "" {
		if err := os.Rename(ixTmp, recording.IndexPath(out)); err != nil {
			return fmt.Errorf("convert: write index: %w", err)
		}
		ixTmp = ""
	} else if out != "-" && isTtyrecFormat(outFmt) {
		if _, err := os.Stat(recording.IndexPath(out)); err == nil {
			fmt.Fprintf(st.Err, "runbook: convert: warning: %s left as it was, not rewritten: its times may no longer match %s\n",
				recording.IndexPath(out), out)
		}
	}
	for _, n := range notes {
		// Notes quote commands: mask them as the index is.
		fmt.Fprintf(st.Err, "runbook: convert: note: %s\n", secrets.MaskBytes(redact([]byte(n), res)))
	}
	problems, total := recording.Problems(rt)
	for _, p := range problems {
		fmt.Fprintf(st.Err, "runbook: convert: warning: %v\n", p)
	}
	if more := total - len(problems); more > 0 {
		fmt.Fprintf(st.Err, "runbook: convert: warning: ... and %d more problems\n", more)
	}
	if readErr != nil {
		return fmt.Errorf("convert: %w (wrote the %d events before it to %s)", readErr, n, out)
	}
	return nil
}

// copyEvents copies every event from r to w, masking what the redactions
// match and the secrets, and returns how many it wrote and the error that
// ended the reading (nil at the clean end). A secret is masked even when
// split across output events: a tail that may begin one waits for the
// next output event (and is written before any other kind of event).
func copyEvents(ctx context.Context, w recording.EventWriter, r recording.EventReader, res []*regexp.Regexp, secrets *secret.Set) (int, error) {
	n := 0
	var stream *secret.Stream
	if secrets.Len() > 0 {
		stream = secret.NewStream(secrets)
	}
	var last recording.Event
	flush := func() error {
		if stream == nil || stream.Held() == 0 {
			return nil
		}
		var held []byte
		stream.Flush(func(b []byte) { held = append(held, b...) })
		ev := last
		ev.Data = held
		return w.WriteEvent(ev)
	}
	for {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		ev, err := r.Next()
		if err == io.EOF {
			return n, flush()
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return n, ferr
			}
			return n, err
		}
		if len(res) > 0 && ev.Kind != recording.Resize && ev.Kind != recording.Exit {
			ev.Data = redact(ev.Data, res)
		}
		if stream != nil {
			if ev.Kind == recording.Output {
				var data []byte
				stream.Write(ev.Data, func(b []byte) { data = append(data, b...) })
				ev.Data = data
				last = ev
				if len(data) == 0 {
					continue
				}
			} else {
				if err := flush(); err != nil {
					return n, err
				}
				if ev.Kind != recording.Resize && ev.Kind != recording.Exit {
					ev.Data = secrets.MaskBytes(ev.Data)
				}
			}
		}
		if err := w.WriteEvent(ev); err != nil {
			return n, err
		}
		n++
	}
}

// redactSet reads the secrets of --redact and --redact-file.
func redactSet(texts, files []string) (*secret.Set, error) {
	set := &secret.Set{}
	for _, t := range texts {
		if t == "" {
			return nil, usagef("convert: --redact: an empty text")
		}
		set.Add("", t)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, usagef("convert: --redact-file: %v", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSuffix(l, "\r"); l != "" {
				set.Add("", l)
			}
		}
	}
	return set, nil
}

// redact replaces each match with as many * as it had characters, so the
// screen's layout is unchanged. A secret split across two events is only
// caught if each half matches: redact before recording where possible.
func redact(b []byte, res []*regexp.Regexp) []byte {
	for _, re := range res {
		b = re.ReplaceAllFunc(b, func(m []byte) []byte {
			return []byte(strings.Repeat("*", utf8.RuneCount(m)))
		})
	}
	return b
}

// asyncWriter writes to w on its own goroutine, in blocks of up to size
// bytes, so that parsing the next block overlaps the kernel's copying of
// the last one into the output file. Close waits for every block.
type asyncWriter struct {
	buf   []byte
	size  int
	work  chan []byte
	free  chan []byte
	done  chan error
	err   error
	close sync.Once
}

func newAsyncWriter(w io.Writer, size int) *asyncWriter {
	a := &asyncWriter{buf: make([]byte, 0, size), size: size, work: make(chan []byte, 1), free: make(chan []byte, 2), done: make(chan error, 1)}
	a.free <- make([]byte, 0, size)
	go func() {
		var err error
		for b := range a.work {
			if err == nil {
				_, err = w.Write(b)
			}
			a.free <- b[:0]
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		c := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf = a.buf[:len(a.buf)+c]
		p = p[c:]
		if len(a.buf) == cap(a.buf) {
			a.work <- a.buf
			a.buf = <-a.free
		}
	}
	return n, nil
}

// Close flushes what is left and returns the first write error.
func (a *asyncWriter) Close() error {
	a.close.Do(func() {
		if len(a.buf) > 0 {
			a.work <- a.buf
		}
		close(a.work)
		a.err = <-a.done
	})
	return a.err
}
