package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/runbook-dev/runbook/recording"
)

// aliasFlag registers old as a hidden second name of the flag new. A
// non-empty note is printed when old is used (a spelling kept for old
// scripts: say what to type now); an empty one makes a quiet synonym (a
// habit from another tool that means the same here).
func aliasFlag(fs *pflag.FlagSet, old, new, note string) {
	f := fs.Lookup(new)
	if f == nil {
		panic("alias of unknown flag --" + new)
	}
	a := &pflag.Flag{Name: old, Value: f.Value, DefValue: f.DefValue, NoOptDefVal: f.NoOptDefVal,
		Usage: "same as --" + new, Hidden: true}
	if note != "" {
		a.Annotations = map[string][]string{noteKey: {note}}
	}
	fs.AddFlag(a)
}

// noteKey annotates an old spelling with what to type now.
const noteKey = "runbook-note"

// oldSpelling marks an existing flag as an old spelling kept for old
// scripts: hidden, with a note when used.
func oldSpelling(fs *pflag.FlagSet, name, note string) {
	f := fs.Lookup(name)
	f.Hidden = true
	f.Annotations = map[string][]string{noteKey: {note}}
}

// noteOldSpellings tells the user, once per flag, what to type instead of
// an old spelling they used.
func noteOldSpellings(fs *pflag.FlagSet) {
	fs.Visit(func(f *pflag.Flag) {
		if n := f.Annotations[noteKey]; len(n) > 0 {
			fmt.Fprintf(fs.Output(), "runbook: %s: note: --%s is an old spelling: %s\n", fs.Name(), f.Name, n[0])
		}
	})
}

// habits are flags other tools' users type that mean something else here,
// or nothing: the error says what to type instead.
var habits = map[string]string{
	"check":           "runbook has no --check: a run that changes nothing and shows what would change is --dry-run (Ansible's --check); 'runbook check REC' verifies a recording",
	"inventory":       "runbook has no --inventory: give the hosts with --hosts FILE (one host a line, with name=value parameters) or --host a,b,c",
	"ask-become-pass": "runbook has no --ask-become-pass: --sudo asks for the password once (or reads $RUNBOOK_SUDO_PASSWORD)",
	"K":               "runbook has no -K: --sudo asks for the password once (or reads $RUNBOOK_SUDO_PASSWORD)",
	"tags":            "runbook has no --tags: pick steps with --only STEP (repeatable, or 2,3) or start at one with --from STEP",
	"verbose":         "runbook shows the whole session by default; --quiet shows only each step's status",
	"v":               "runbook shows the whole session by default; --quiet shows only each step's status",
}

// unknownFlagError turns pflag's "unknown flag" into a usage error that
// names the nearest flag of the command, or what to type instead.
func unknownFlagError(fs *pflag.FlagSet, err error) error {
	msg := err.Error()
	name := ""
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		name = strings.TrimPrefix(msg, "unknown flag: --")
	case strings.HasPrefix(msg, "unknown shorthand flag: '"):
		name = msg[len("unknown shorthand flag: '"):]
		if i := strings.IndexByte(name, '\''); i >= 0 {
			name = name[:i]
		}
	default:
		return &usageError{msg: fs.Name() + ": " + msg}
	}
	if h, ok := habits[name]; ok {
		return usagef("%s: %s", fs.Name(), h)
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	if near := nearest(name, names); near != "" {
		return usagef("%s: %s (did you mean --%s?)", fs.Name(), msg, near)
	}
	return usagef("%s: %s (see: runbook %s --help)", fs.Name(), msg, fs.Name())
}

// nearest returns the candidate closest to s in edits, if it is close
// enough to be a typo (or s is a prefix of it); "" otherwise.
func nearest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) <= 3 {
		limit = 1
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance, with a swap of two neighbours
// counted as one edit (rn/run, fomr/from).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// checkIntFlag refuses a number given to flag outside lo..hi (exit 2),
// naming the flag and the range. Unset flags pass.
func checkIntFlag(fs *pflag.FlagSet, flag string, v, lo, hi int, what string) error {
	if !fs.Changed(flag) {
		return nil
	}
	if v < lo || v > hi {
		return usagef("%s: --%s %d: want %s from %d to %d", fs.Name(), flag, v, what, lo, hi)
	}
	return nil
}

// parseIdle reads an idle limit as a duration with a unit, or a plain
// number of seconds as asciinema's -i takes it ("2", "0.5"). 0 is allowed
// only where it means something (keep every pause).
func parseIdle(fs *pflag.FlagSet, flag, s string, zeroOK bool) (time.Duration, error) {
	d, err := recording.ParseTime(s)
	want := "a positive duration such as 2s or 0.5"
	if zeroOK {
		want = "a duration such as 2s or 0.5, or 0 to keep every pause"
	}
	if err != nil || d < 0 || (d == 0 && !zeroOK) {
		return 0, usagef("%s: --%s %q: want %s", fs.Name(), flag, s, want)
	}
	return d, nil
}

// checkSpeed refuses a speed that is not a positive, finite number.
func checkSpeed(fs *pflag.FlagSet, flag string, v float64) error {
	if !(v > 0) || v > 1000 {
		return usagef("%s: --%s %v: want a number above 0 and at most 1000 (0.5 is half speed, 2 twice as fast)", fs.Name(), flag, v)
	}
	return nil
}
