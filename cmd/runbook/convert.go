package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/recording"
)

const convertUse = "runbook convert IN OUT [--idle-limit DUR] [--speed X] [--cut FROM-TO]... [--redact TEXT]... [--redact-file F] [--redact-regex RE]... [--from-format F] [--to F] [--cast-v3] [--no-index]"

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
becomes the new limit, and --redact masks the index's texts too (and
writes "redacted": true in it, which info shows). --redact TEXT masks a
secret as **** in every encoding (JSON, shell and URL escapes, hex,
base64) and across frames; --redact-regex masks matches one * per
character, within one frame. An
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
  zcat old.ttyrec.gz | runbook convert - new.cast --from-format ttyrec
  runbook convert demo.cast short.ttyrec --cut 10s-1m --speed 1.5
  runbook convert demo.ttyrec public.ttyrec --redact "$TOKEN"
  runbook convert demo.ttyrec public.ttyrec --redact-regex 'token=[A-Za-z0-9]+'
`

// convertOptions are the flags of `runbook convert`.
type convertOptions struct {
	idle        string
	speed       float64
	cuts        []string
	redactTexts []string
	redactFiles []string
	redacts     []string
	from        string
	to          string
	format      string
	castV3      bool
	noIndex     bool
	overwrite   bool
	pace        string
}

// runConvert converts (or repairs) the recording IN into OUT.
func runConvert(ctx context.Context, st *IO, args []string) error {
	var o convertOptions
	fs := o.flagSet(st)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	human, err := checkPace("convert", o.pace)
	if err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("convert: want IN and OUT (usage: %s)", convertUse)
	}
	in, out := fs.Arg(0), fs.Arg(1)
	inFmt, err := o.inputFormat(in, out)
	if err != nil {
		return err
	}
	outFmt, err := o.outputFormat(out)
	if err != nil {
		return err
	}
	retime, err := o.retime(fs)
	if err != nil {
		return err
	}
	red, err := o.redactions()
	if err != nil {
		return err
	}
	if human && o.noIndex {
		return usagef("convert: --pace human needs IN's index, and --no-index leaves it out")
	}

	if err := checkInput("convert", in); err != nil {
		return err
	}
	// Converting in place (IN = OUT) is a repair asked for by name.
	if err := checkOutput("convert", out, o.overwrite || sameFile(in, out), nil); err != nil {
		return err
	}
	redacted := red.any()
	result, err := recording.Convert(ctx, recording.ConvertOptions{
		In: in, Out: out, InFormat: inFmt, OutFormat: outFmt, Stdin: st.In, Stdout: st.Out,
		Retime: retime, NoIndex: o.noIndex, PaceHuman: human,
		Filter: func(r recording.EventReader) recording.EventReader {
			if !redacted {
				return r
			}
			return newRedactor(r, red.res, red.secrets)
		},
		IndexFilter: func(ix *recording.Index) { redactIndex(ix, red.res) },
		IndexBytes:  red.secrets.MaskJSON,
		Redacted:    redacted,
	})
	return reportConvert(st, out, result, err, red)
}

// flagSet declares the flags of `runbook convert` into o.
func (o *convertOptions) flagSet(st *IO) *pflag.FlagSet {
	fs := newFlags(st, "convert", convertUse, convertMore)
	fs.StringVar(&o.idle, "idle-limit", "", "shorten every pause longer than `DUR` to DUR (e.g. 2s)")
	fs.Float64Var(&o.speed, "speed", 1, "play `X` times as fast (0.5: half speed)")
	fs.StringArrayVar(&o.cuts, "cut", nil, "remove the time between `FROM-TO` (e.g. 1m-1m30s or 60-90); repeatable")
	fs.StringArrayVar(&o.redactTexts, "redact", nil, "mask the secret `TEXT` as ****, in every encoding and across frames; repeatable")
	fs.StringArrayVar(&o.redactFiles, "redact-file", nil, "mask each line of `FILE` as --redact does; repeatable")
	fs.StringArrayVar(&o.redacts, "redact-regex", nil, "mask text matching `REGEX` with * (layout kept; within one frame); repeatable")
	fs.StringVar(&o.from, "from-format", "", "input format: ttyrec, nh, asciicast, asciicast-v1/v2/v3 (default: from IN's name, else its content)")
	fs.StringVar(&o.to, "to", "", "output format: ttyrec, cast, cast-v3, txt, raw (default: from OUT's extension)")
	fs.StringVar(&o.format, "format", "", "format of whichever side is \"-\" or has no known extension")
	oldSpelling(fs, "format", "use --from-format for IN's format and --to for OUT's (--format is the output format in render, export and doc)")
	aliasFlag(fs, "from", "from-format", "use --from-format (--from is the step to start at in run and play)")
	aliasFlag(fs, "idle-time-limit", "idle-limit", "")
	fs.BoolVar(&o.castV3, "cast-v3", false, "write asciicast v3 for .cast")
	fs.BoolVar(&o.noIndex, "no-index", false, "ignore IN's index (IN.json): write no OUT.json, no markers")
	addOverwriteFlag(fs, &o.overwrite)
	fs.StringVar(&o.pace, "pace", "real", "real: the recording's own time; `human`: commands typed and outputs held at a person's pace, from IN's index (for players that read only the file: tty-player, asciinema)")
	return fs
}

// inputFormat is IN's format: --from-format, else IN's name, else
// --format; "" leaves it to IN's content.
func (o *convertOptions) inputFormat(in, out string) (string, error) {
	inFmt := o.from
	if inFmt == "" {
		if in != "-" {
			inFmt = recording.FormatOf(in)
		}
		if inFmt == "" && o.format != "" && (in == "-" || recording.OutputFormatOf(out) != "" || out != "-") {
			inFmt = o.format
		}
		if inFmt == "" && in == "-" {
			return "", usagef("convert: reading standard input needs --from-format")
		}
	}
	return inFmt, nil
}

// outputFormat is OUT's format: --to, else OUT's extension, else
// --format, made v3 by --cast-v3.
func (o *convertOptions) outputFormat(out string) (string, error) {
	outFmt := o.to
	if outFmt == "" && out != "-" {
		outFmt = recording.OutputFormatOf(out)
	}
	if outFmt == "" && o.format != "" && (out == "-" || filepath.Ext(out) != "") {
		outFmt = o.format
	}
	if outFmt == "" {
		if out == "-" {
			return "", usagef("convert: writing standard output needs --to")
		}
		return "", usagef("convert: cannot tell the output format of %s: use .ttyrec, .cast, .txt, .raw or --to", out)
	}
	if o.castV3 && isCastFormat(outFmt) {
		outFmt = "asciicast-v3"
	}
	return outFmt, nil
}

// retime reads --speed, --idle-limit and --cut.
func (o *convertOptions) retime(fs *pflag.FlagSet) (recording.RetimeOptions, error) {
	opt := recording.RetimeOptions{Speed: o.speed}
	if err := checkSpeed(fs, "speed", o.speed); err != nil {
		return opt, err
	}
	if o.idle != "" {
		d, err := parseIdle(fs, "idle-limit", o.idle, false)
		if err != nil {
			return opt, err
		}
		opt.IdleLimit = d
	}
	for _, c := range o.cuts {
		s, err := recording.ParseSpan(c)
		if err != nil {
			return opt, usagef("convert: --%v", err)
		}
		opt.Cuts = append(opt.Cuts, s)
	}
	return opt, nil
}

// redaction is what --redact-regex, --redact and --redact-file mask.
type redaction struct {
	res     []*regexp.Regexp
	secrets *secret.Set
}

// redactions reads --redact-regex, --redact and --redact-file.
func (o *convertOptions) redactions() (redaction, error) {
	var res []*regexp.Regexp
	for _, r := range o.redacts {
		re, err := regexp.Compile(r)
		if err != nil {
			return redaction{}, usagef("convert: --redact-regex %q: %v", r, err)
		}
		res = append(res, re)
	}
	secrets, err := redactSet(o.redactTexts, o.redactFiles)
	if err != nil {
		return redaction{}, err
	}
	return redaction{res: res, secrets: secrets}, nil
}

// any reports whether there is anything to mask.
func (r redaction) any() bool { return len(r.res) > 0 || r.secrets.Len() > 0 }

// reportConvert says on stderr what the conversion to out read past and
// left as it was, and turns err into convert's error.
func reportConvert(st *IO, out string, result *recording.ConvertResult, err error, red redaction) error {
	if result == nil && err != nil {
		var fe *recording.FormatError
		if errors.As(err, &fe) || errors.Is(err, os.ErrNotExist) {
			return recordingInputError("convert", err)
		}
		return fmt.Errorf("convert: %w", err)
	}
	if result.StaleIndex != "" {
		fmt.Fprintf(st.Err, "runbook: convert: warning: %s left as it was, not rewritten: its times may no longer match %s\n", result.StaleIndex, out)
	}
	for _, n := range result.Notes {
		// Notes quote commands: mask them as the index is.
		fmt.Fprintf(st.Err, "runbook: convert: note: %s\n", red.secrets.MaskBytes(redact([]byte(n), red.res)))
	}
	for _, p := range result.Problems {
		fmt.Fprintf(st.Err, "runbook: convert: warning: %v\n", p)
	}
	if more := result.ProblemTotal - len(result.Problems); more > 0 {
		fmt.Fprintf(st.Err, "runbook: convert: warning: ... and %d more problems\n", more)
	}
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	return nil
}

// redactor masks, in the events it passes on, what the redactions match
// and every form of the secrets. A secret is masked even when split
// across output events: a tail that may begin one waits for the next
// output event (and is passed on before any other kind of event).
type redactor struct {
	recording.EventReader
	res     []*regexp.Regexp
	secrets *secret.Set
	stream  *secret.Stream
	last    recording.Event
	queued  *recording.Event
}

func newRedactor(r recording.EventReader, res []*regexp.Regexp, secrets *secret.Set) *redactor {
	x := &redactor{EventReader: r, res: res, secrets: secrets}
	if secrets.Len() > 0 {
		x.stream = secret.NewStream(secrets)
	}
	return x
}

// held returns what the stream holds back as an output event at the
// time of the last one, or false.
func (x *redactor) held() (recording.Event, bool) {
	if x.stream == nil || x.stream.Held() == 0 {
		return recording.Event{}, false
	}
	var b []byte
	x.stream.Flush(func(p []byte) { b = append(b, p...) })
	ev := x.last
	ev.Data = b
	return ev, true
}

func (x *redactor) Next() (recording.Event, error) {
	if q := x.queued; q != nil {
		x.queued = nil
		return *q, nil
	}
	for {
		ev, err := x.EventReader.Next()
		if err != nil {
			if h, ok := x.held(); ok {
				return h, nil
			}
			return ev, err
		}
		if len(x.res) > 0 && ev.Kind != recording.Resize && ev.Kind != recording.Exit {
			ev.Data = redact(ev.Data, x.res)
		}
		if x.stream == nil {
			return ev, nil
		}
		if ev.Kind == recording.Output {
			var data []byte
			x.stream.Write(ev.Data, func(b []byte) { data = append(data, b...) })
			ev.Data = data
			x.last = ev
			if len(data) == 0 {
				continue
			}
			return ev, nil
		}
		if ev.Kind != recording.Resize && ev.Kind != recording.Exit {
			ev.Data = x.secrets.MaskBytes(ev.Data)
		}
		if h, ok := x.held(); ok {
			x.queued = &ev
			return h, nil
		}
		return ev, nil
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
