package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/recording"
)

// fleetHelp is appended to play's and export's --help.
const fleetHelp = `
Fleet runs: a run over several hosts (runbook FILE.lua --hosts FILE)
records each host apart and writes a manifest beside them,
recordings/NAME-STAMP.fleet.json (or x.fleet.json beside --record
x.ttyrec's x-HOST.ttyrec). FLEET is that manifest, the --record name the
run was given (x.ttyrec), or a directory (its newest manifest). Its hosts
are listed with how they ended, failed first; --host NAME picks one.
`

// playFleetHelp is appended to play's --help.
const playFleetHelp = fleetHelp + `Without --host, play asks which at a terminal; elsewhere it lists the
hosts and exits 2.
`

// exportFleetHelp is appended to export's --help.
const exportFleetHelp = fleetHelp + `Without --host, the fleet is published as one page: the hosts failed
first, each playable in the page's player (each host's page is stored
compressed and opened when picked; #host=NAME in the address opens that
one). With --host, that host alone is published, as any recording is.
`

// fleetRun is a fleet run named on the command line: its manifest.
type fleetRun struct {
	path string
	m    *recording.Fleet
}

// openFleet reports whether arg names a fleet run (see fleetHelp) and
// reads its manifest; (nil, nil) when arg is a plain recording. A fleet
// whose manifest cannot be read, or none of whose recordings is there,
// is an input error naming the file.
func openFleet(cmd, arg string) (*fleetRun, error) {
	if arg == "-" {
		return nil, nil
	}
	path := ""
	fi, err := os.Stat(arg)
	switch {
	case err == nil && fi.IsDir():
		p, err := recording.NewestFleet(arg)
		if err != nil {
			return nil, &inputError{cmd: cmd, err: err}
		}
		if p == "" {
			return nil, &inputError{cmd: cmd, err: fmt.Errorf("%s: is a directory with no fleet run in it (no *%s): name a recording", arg, recording.FleetSuffix)}
		}
		path = p
	case recording.IsFleetPath(arg):
		path = arg
	case errors.Is(err, fs.ErrNotExist):
		// The --record name a fleet run was given: x.ttyrec, recorded as
		// x-HOST.ttyrec with x.fleet.json beside them.
		if p := recording.FleetPath(arg); p != arg {
			if _, err := os.Stat(p); err == nil {
				path = p
			}
		}
	}
	if path == "" {
		return nil, nil
	}
	if err := checkInput(cmd, path); err != nil {
		return nil, err
	}
	m, err := recording.ReadFleet(path)
	if err != nil {
		return nil, &inputError{cmd: cmd, err: err}
	}
	fr := &fleetRun{path: path, m: m}
	var missing []string
	have := 0
	for i := range m.Hosts {
		h := &m.Hosts[i]
		if h.Recording == "" {
			continue
		}
		if _, err := os.Stat(m.RecordingPath(path, h)); err != nil {
			missing = append(missing, m.RecordingPath(path, h))
			continue
		}
		have++
	}
	if have == 0 {
		if len(missing) == 0 {
			return nil, &inputError{cmd: cmd, err: fmt.Errorf("%s: no host of this fleet run has a recording (%s)", path, m.Tally())}
		}
		return nil, &inputError{cmd: cmd, err: fmt.Errorf("%s: the recordings of this fleet run are missing: %s", path, listSome(missing, 3))}
	}
	return fr, nil
}

// listSome joins the first n of s, saying how many more there are.
func listSome(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(s[:n], ", "), len(s)-n)
}

// writeList lists the fleet's hosts as a reader picks among them,
// numbered, failed hosts first, each with how it ended.
func (fr *fleetRun) writeList(w io.Writer) {
	m := fr.m
	name := "a runbook"
	if m.Runbook != nil && m.Runbook.Name != "" {
		name = m.Runbook.Name
	}
	fmt.Fprintf(w, "%s: %s on %d hosts: %s\n", fr.path, name, len(m.Hosts), m.Tally())
	hosts := m.Picking()
	width := 0
	for _, h := range hosts {
		width = max(width, len(h.Name))
	}
	for i, h := range hosts {
		d := h.Reason
		switch {
		case h.Recording == "":
			d = strings.TrimSpace(d + " (no recording)")
		case !fr.hasRecording(&h):
			d = strings.TrimSpace(d + " (recording missing: " + m.RecordingPath(fr.path, &h) + ")")
		}
		fmt.Fprintf(w, "%4d  %-*s  %-11s  %s\n", i+1, width, h.Name, h.Status, d)
	}
}

func (fr *fleetRun) hasRecording(h *recording.FleetHost) bool {
	if h.Recording == "" {
		return false
	}
	_, err := os.Stat(fr.m.RecordingPath(fr.path, h))
	return err == nil
}

// recordingOf is host name's recording, or an error naming the manifest:
// a host the fleet does not have (usage, exit 2), a host without a
// recording or whose recording is gone (input, exit 2).
func (fr *fleetRun) recordingOf(cmd, name string) (string, *recording.FleetHost, error) {
	h := fr.m.Host(name)
	if h == nil {
		var names []string
		for _, h := range fr.m.Picking() {
			names = append(names, h.Name)
		}
		return "", nil, usagef("%s: --host %s: not a host of %s (its hosts: %s)", cmd, name, fr.path, listSome(names, 10))
	}
	if h.Recording == "" {
		why := h.Status
		if h.Reason != "" {
			why += ": " + h.Reason
		}
		return "", nil, &inputError{cmd: cmd, err: fmt.Errorf("%s: host %s has no recording (%s)", fr.path, name, why)}
	}
	p := fr.m.RecordingPath(fr.path, h)
	if _, err := os.Stat(p); err != nil {
		return "", nil, &inputError{cmd: cmd, err: fmt.Errorf("%s: host %s's recording %s: %v", fr.path, name, p, errors.Unwrap(err))}
	}
	return p, h, nil
}

// pick chooses the host to play: --host, else asked at the terminal
// (a number or a name; Enter takes the first host that has a
// recording); with neither, the hosts are listed and the user told to
// give --host (exit 2).
func (fr *fleetRun) pick(ctx context.Context, cmd string, st *IO, host string) (string, *recording.FleetHost, error) {
	if host != "" {
		return fr.recordingOf(cmd, host)
	}
	if st.TTY == nil {
		fr.writeList(st.Err)
		return "", nil, usagef("%s: %s is a fleet run of %d hosts: pick one with --host NAME", cmd, fr.path, len(fr.m.Hosts))
	}
	fr.writeList(st.Err)
	hosts := fr.m.Picking()
	def := ""
	for _, h := range hosts {
		if fr.hasRecording(&h) {
			def = h.Name
			break
		}
	}
	for {
		ans, err := askLine(ctx, st, fmt.Sprintf("host (1-%d or a name; Enter: %s): ", len(hosts), def))
		if err != nil {
			return "", nil, fmt.Errorf("%s: pick a host: %w", cmd, err)
		}
		ans = strings.TrimSpace(ans)
		name := ans
		switch n, err := strconv.Atoi(ans); {
		case ans == "":
			name = def
		case err == nil && n >= 1 && n <= len(hosts):
			name = hosts[n-1].Name
		}
		p, h, err := fr.recordingOf(cmd, name)
		if err == nil {
			return p, h, nil
		}
		fmt.Fprintf(st.Err, "%v\n", err)
	}
}

// askLine asks at the terminal and reads a line, giving up when ctx ends
// (Ctrl-C: the terminal's line discipline sends SIGINT, not a byte).
func askLine(ctx context.Context, st *IO, question string) (string, error) {
	type answer struct {
		s   string
		err error
	}
	c := make(chan answer, 1)
	go func() {
		s, err := askTTY(st, question, true)
		c <- answer{s, err}
	}()
	select {
	case a := <-c:
		return a.s, a.err
	case <-ctx.Done():
		fmt.Fprintln(st.Err)
		return "", context.Cause(ctx)
	}
}

// fleetRecording is the recording to read for arg: arg itself, or when
// it names a fleet run, the recording of the host picked (--host, or
// asked). --host on a plain recording is a usage error.
func fleetRecording(ctx context.Context, cmd string, st *IO, arg, host string) (string, error) {
	fr, err := openFleet(cmd, arg)
	if err != nil {
		return "", err
	}
	if fr == nil {
		if host != "" {
			return "", usagef("%s: --host %s: %s is not a fleet run (--host picks a host of one: NAME%s)", cmd, host, arg, recording.FleetSuffix)
		}
		return arg, nil
	}
	p, _, err := fr.pick(ctx, cmd, st, host)
	return p, err
}
