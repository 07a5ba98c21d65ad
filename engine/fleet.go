package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/runbook-dev/runbook/engine/target"
)

// Fleet runs one runbook on several hosts at once, Forks at a time: each
// host gets its own session, recording and report, and one recap sums
// them up. One host — or this machine — goes through it the same way and
// looks as a plain run does: its session, then its own recap.
type Fleet struct {
	// Hosts to run on, in the order the recap lists them.
	Hosts []FleetHost
	// Forks is how many hosts run at once (at least 1).
	Forks int
	// Dial reaches a host. It is called in the host's turn, at most Forks
	// at a time; the fleet closes what it returns.
	Dial func(ctx context.Context, h FleetHost) (target.Target, error)
	// Options is the run every host gets. For each host, Target is what
	// Dial returned and the host's Set overrides Options.Set. With several
	// hosts, Record gets the host's name before its extension
	// (HostRecordPath), nothing is asked (Ask is nil: one terminal cannot
	// answer several hosts), and the session shows behind the host's name
	// or not at all (see LinesUpTo).
	Options Options
	// LinesUpTo is how many hosts at most have their sessions shown line
	// by line behind their names; more show a summary instead (0:
	// DefaultFleetLines).
	LinesUpTo int

	// Manifest is where Run wrote the manifest of a run over several
	// hosts that recorded (recording.Fleet; "" when none).
	Manifest string
}

// FleetHost is one host of a fleet.
type FleetHost struct {
	Name string            // as shown, in file names and in the recap
	Addr string            // how Dial reaches it (an alias, user@host:port)
	Set  map[string]string // this host's parameters: they override Options.Set
}

// A host's outcome in a fleet's recap.
const (
	HostOK          = "ok"
	HostFailed      = "failed"      // a step failed
	HostUnreachable = "unreachable" // could not be reached or trusted
	HostLost        = "lost"        // the connection dropped during the run
	HostInterrupted = "interrupted" // Ctrl-C, a signal, quit at the prompt
)

// HostResult is one host's outcome.
type HostResult struct {
	Host   FleetHost
	Status string  // HostOK, HostFailed, ...
	Report *Report // nil when the host was never reached
	Err    error
}

// FleetError says which hosts of a fleet did not finish; it unwraps to
// each one's error.
type FleetError struct {
	Hosts  int // how many hosts the fleet had
	Failed []*HostResult
}

func (e *FleetError) Error() string {
	return fmt.Sprintf("%d of %d hosts did not finish: %s", len(e.Failed), e.Hosts, firstLine(e.Failed[0].Err.Error()))
}

func (e *FleetError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, r := range e.Failed {
		errs[i] = r.Err
	}
	return errs
}

// Run runs the runbook on every host and returns their reports in the
// order the hosts were given (a host that was never reached has none).
// With one host the error is that host's own; with several it is a
// *FleetError naming each host that did not finish.
func (f *Fleet) Run(ctx context.Context) ([]*Report, error) {
	switch len(f.Hosts) {
	case 0:
		return nil, errors.New("fleet: no hosts")
	case 1:
		return f.runOne(ctx)
	}
	return f.runMany(ctx)
}

// runOne runs on a single host exactly as a plain run: its session and
// its recap on the display, its error as it is.
func (f *Fleet) runOne(ctx context.Context) ([]*Report, error) {
	h := f.Hosts[0]
	t, err := f.Dial(ctx, h)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	o := f.Options
	o.Target = t
	o.Set = mergeSet(o.Set, h.Set)
	rep, err := Run(ctx, o)
	if rep.Runbook != "" && o.Display != nil {
		fmt.Fprintln(o.Display, rep.Recap())
	}
	return []*Report{rep}, err
}

// DefaultFleetLines is how many hosts a fleet shows line by line, each
// behind its name; more show a summary line instead.
const DefaultFleetLines = 10

// runMany runs on several hosts, Forks at a time, and ends with the
// combined recap, failures first. Up to LinesUpTo hosts, each host's
// session is shown a whole line at a time behind "HOST | "; more show a
// summary line on a terminal (hosts done, running and failed, the slowest
// step running) with each failure above it as it happens, or else one
// line per host as it ends. Each host's full session is in its recording.
func (f *Fleet) runMany(ctx context.Context) ([]*Report, error) {
	v := newFleetView(f)
	o, stamp := f.fleetStart()
	results := make([]HostResult, len(f.Hosts))
	stopTicker := v.tick()
	// Forks workers take the hosts in turn.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(f.Forks, 1), len(f.Hosts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(f.Hosts) {
					return
				}
				h := f.Hosts[i]
				if ctx.Err() != nil {
					results[i] = HostResult{Host: h, Status: HostInterrupted, Err: interrupted(ctx, "")}
					v.ended(i, &results[i])
					continue
				}
				v.started(i)
				out := v.hostWriter(i)
				results[i] = f.runHost(ctx, o, i, h, out, v)
				if pw, ok := out.(*prefixWriter); ok {
					pw.Flush()
				}
				v.ended(i, &results[i])
			}
		}()
	}
	wg.Wait()
	stopTicker()
	v.finish()

	var reports []*Report
	fe := &FleetError{Hosts: len(f.Hosts)}
	for i := range results {
		if r := results[i].Report; r != nil && r.Runbook != "" {
			reports = append(reports, r)
		}
		if results[i].Err != nil {
			fe.Failed = append(fe.Failed, &results[i])
		}
	}
	v.recap(results)
	manifest, merr := f.writeManifest(o, stamp, results)
	if manifest != "" {
		f.Manifest = manifest
		v.showManifest(manifest)
	}
	if merr != nil {
		if len(fe.Failed) == 0 {
			return reports, merr
		}
		v.note(merr.Error())
	}
	if len(fe.Failed) == 0 {
		return reports, nil
	}
	return reports, fe
}

// runHost dials one host of several and runs the runbook there, its
// session shown through out (nil: not shown).
func (f *Fleet) runHost(ctx context.Context, o Options, i int, h FleetHost, out io.Writer, v *fleetView) HostResult {
	t, err := f.Dial(ctx, h)
	if err != nil {
		if out != nil {
			fmt.Fprintf(out, "%v\n", err)
		}
		return HostResult{Host: h, Status: hostStatus(err), Err: err}
	}
	defer t.Close()
	o.Target = t
	o.Set = mergeSet(o.Set, h.Set)
	o.Display, o.DisplayTTY = out, false
	// Nothing to ask at a terminal shared by several hosts.
	o.Ask = nil
	if o.Record != "" {
		o.Record = HostRecordPath(o.Record, h.Name)
	}
	o.onStep = func(s *Step, of int) { v.step(i, s, of) }
	rep, err := Run(ctx, o)
	if out != nil && rep != nil && rep.Runbook != "" {
		fmt.Fprintln(out, rep.Recap())
	}
	return HostResult{Host: h, Status: hostStatus(err), Report: rep, Err: err}
}

// hostStatus words a host's outcome for the recap, in the order the CLI
// ranks exit codes: a step that failed because its host was lost is a
// failed step; a run stopped by Ctrl-C while dialling is interrupted.
func hostStatus(err error) string {
	switch {
	case err == nil:
		return HostOK
	case errors.As(err, new(*InterruptedError)), errors.As(err, new(*StepQuit)):
		return HostInterrupted
	case errors.As(err, new(*target.LostError)):
		return HostLost
	case errors.As(err, new(*StepFailedError)):
		return HostFailed
	case errors.Is(err, context.Canceled):
		return HostInterrupted
	case target.IsUnreachable(err):
		return HostUnreachable
	}
	return HostFailed
}

// HostRecordPath is where one host of several records: the fleet's
// record name with the host before the extension (x-web1.ttyrec).
func HostRecordPath(record, host string) string {
	ext := filepath.Ext(record)
	return strings.TrimSuffix(record, ext) + "-" + FileSafe(host) + ext
}

// mergeSet is base with over's values on top (a new map when over has any).
func mergeSet(base, over map[string]string) map[string]string {
	if len(over) == 0 {
		return base
	}
	m := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		m[k] = v
	}
	keys := make([]string, 0, len(over))
	for k := range over {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m[k] = over[k]
	}
	return m
}
