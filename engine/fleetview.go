package engine

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// fleetView is what a person sees of a fleet run. With few hosts, each
// host's session line by line behind its name. With many, on a terminal,
// one summary line redrawn in place (hosts done, running and failed; the
// slowest step running) and each failure printed above it as it happens;
// not on a terminal, one line per host as it ends. Then the combined
// recap, failures first.
type fleetView struct {
	w     io.Writer
	mu    sync.Mutex // one writer at a time on w; guards the fields below
	lines bool       // sessions shown behind "HOST | "
	tty   bool       // the summary line is redrawn in place
	width int        // the longest host name
	cols  int        // the terminal's width: the summary line never wraps
	names []string

	done, failed, running int
	hosts                 []hostProgress
	onScreen              bool // a summary line is on screen (cleared before anything else is written)
	drawn                 time.Time
}

// hostProgress is where one host is.
type hostProgress struct {
	active bool
	step   *Step
	of     int
	since  time.Time
}

func newFleetView(f *Fleet) *fleetView {
	v := &fleetView{w: f.Options.Display, tty: f.Options.DisplayTTY, cols: f.Options.Cols, hosts: make([]hostProgress, len(f.Hosts))}
	if v.w == nil {
		v.w = io.Discard
	}
	if v.cols <= 0 {
		v.cols = 80
	}
	upTo := f.LinesUpTo
	if upTo == 0 {
		upTo = DefaultFleetLines
	}
	v.lines = len(f.Hosts) <= upTo
	for _, h := range f.Hosts {
		v.width = max(v.width, len(h.Name))
		v.names = append(v.names, h.Name)
	}
	return v
}

// hostWriter is where host i's session is shown: behind its name, or
// nowhere (nil) when the fleet shows a summary.
func (v *fleetView) hostWriter(i int) io.Writer {
	if !v.lines {
		return nil
	}
	return &prefixWriter{w: v.w, mu: &v.mu, prefix: fmt.Sprintf("%-*s | ", v.width, v.names[i])}
}

func (v *fleetView) started(i int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.running++
	v.hosts[i] = hostProgress{active: true, since: time.Now()}
	v.draw(false)
}

func (v *fleetView) step(i int, s *Step, of int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.hosts[i].step, v.hosts[i].of, v.hosts[i].since = s, of, time.Now()
	v.draw(false)
}

// ended counts host i as done and, with a summary, says how it ended:
// every host when not on a terminal, failures above the summary line on
// one.
func (v *fleetView) ended(i int, r *HostResult) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.hosts[i].active {
		v.running--
	}
	v.hosts[i] = hostProgress{}
	v.done++
	if r.Err != nil {
		v.failed++
	}
	if !v.lines && (!v.tty || r.Err != nil) {
		v.clear()
		fmt.Fprintf(v.w, "%-*s | %s: %s\n", v.width, r.Host.Name, r.Status, hostDetail(r, true))
	}
	v.draw(true)
}

// tick redraws the summary line every second (the slowest step's time
// goes on) until the returned func is called.
func (v *fleetView) tick() (stop func()) {
	if v.lines || !v.tty {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v.mu.Lock()
				v.draw(true)
				v.mu.Unlock()
			}
		}
	}()
	return func() { close(done) }
}

// finish leaves the last summary line on screen.
func (v *fleetView) finish() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.onScreen {
		v.draw(true)
		fmt.Fprintln(v.w)
		v.onScreen = false
	}
}

// draw redraws the summary line (at most ten times a second unless
// forced). Called with v.mu held.
func (v *fleetView) draw(force bool) {
	if v.lines || !v.tty {
		return
	}
	now := time.Now()
	if !force && now.Sub(v.drawn) < 100*time.Millisecond {
		return
	}
	v.drawn = now
	line := v.summary(now)
	if n := v.cols - 1; utf8.RuneCountInString(line) > n {
		line = string([]rune(line)[:n])
	}
	fmt.Fprintf(v.w, "\r\x1b[K%s", line)
	v.onScreen = true
}

// clear takes the summary line off the screen. Called with v.mu held.
func (v *fleetView) clear() {
	if v.onScreen {
		io.WriteString(v.w, "\r\x1b[K")
		v.onScreen = false
	}
}

// summary is the summary line: hosts done, running and failed, and the
// step that has been running longest, on which host.
func (v *fleetView) summary(now time.Time) string {
	s := fmt.Sprintf("%d/%d hosts done, %d running, %d failed", v.done, len(v.hosts), v.running, v.failed)
	slow := -1
	for i, h := range v.hosts {
		if h.active && h.step != nil && (slow < 0 || h.since.Before(v.hosts[slow].since)) {
			slow = i
		}
	}
	if slow >= 0 {
		h := v.hosts[slow]
		// The time before the step's name: a narrow terminal cuts the end.
		s += fmt.Sprintf(" · slowest: %s %s in step %d/%d %q", v.names[slow], now.Sub(h.since).Round(time.Second), h.step.N, h.of, h.step.Name)
	}
	return s
}

// recap prints the combined recap: a line a host, failures first, each
// group in the order the hosts were named; then the slowest step.
func (v *fleetView) recap(results []HostResult) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clear()
	counts := map[string]int{}
	var order []string
	for _, r := range results {
		if counts[r.Status] == 0 {
			order = append(order, r.Status)
		}
		counts[r.Status]++
	}
	var tally []string
	for _, st := range order {
		tally = append(tally, fmt.Sprintf("%d %s", counts[st], st))
	}
	fmt.Fprintf(v.w, "\nRecap (%d hosts): %s\n", len(results), strings.Join(tally, ", "))
	for _, failures := range []bool{true, false} {
		for i := range results {
			r := &results[i]
			if (r.Err != nil) == failures {
				fmt.Fprintf(v.w, "  %-*s  %-11s  %s\n", v.width, r.Host.Name, r.Status, hostDetail(r, false))
			}
		}
	}
	if host, s := slowestStep(results); s != nil {
		fmt.Fprintf(v.w, "Slowest step: %s step %d %q (%s)\n", host, s.N, s.Name, secondsText(s.Duration))
	}
}

// hostDetail says how a host ended: why it failed, or its steps'
// tally; and where its recording is.
func hostDetail(r *HostResult, took bool) string {
	rep := r.Report
	var d string
	if r.Err != nil {
		d = firstLine(r.Err.Error())
	} else if rep != nil {
		d = fmt.Sprintf("%d ok, %d changed, %d failed, %d skipped", rep.OK, rep.Changed, rep.Failed, rep.Skipped)
		if took {
			d += " in " + secondsText(rep.Duration)
		}
	}
	if rep != nil && rep.Recording != "" && !strings.Contains(d, rep.Recording) {
		d += "; " + rep.Recording
	}
	return d
}

// slowestStep is the step that took longest on any host, and the host.
func slowestStep(results []HostResult) (string, *StepReport) {
	var host string
	var slow *StepReport
	for _, r := range results {
		if r.Report == nil {
			continue
		}
		for i := range r.Report.Steps {
			if s := &r.Report.Steps[i]; slow == nil || s.Duration > slow.Duration {
				host, slow = r.Host.Name, s
			}
		}
	}
	return host, slow
}

func secondsText(sec float64) string {
	return (time.Duration(sec * float64(time.Second))).Round(time.Millisecond).String()
}

// prefixWriter writes whole lines behind a prefix, under a lock shared by
// all hosts, so their output never mixes within a line.
type prefixWriter struct {
	w      io.Writer
	mu     *sync.Mutex
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimRight(p.buf[:i], "\r")
		p.mu.Lock()
		_, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, line)
		p.mu.Unlock()
		p.buf = p.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
	return len(b), nil
}

// Flush writes a last partial line.
func (p *prefixWriter) Flush() {
	if len(p.buf) > 0 {
		p.Write([]byte("\n"))
	}
}
