package main

import (
	"context"
	"fmt"
	"io"

	"github.com/runbook-dev/runbook/player/web"
)

// exportFleet writes a fleet run as one page with a host picker (failed
// hosts first), each host's recording loaded as export loads one. A host
// whose recording is gone is listed without one, with a warning; a host
// damaged part way is published up to the damage and the exit status
// is 1.
func exportFleet(ctx context.Context, st *IO, fr *fleetRun, out, from string, opt web.LoadOptions, human bool) error {
	m := fr.m
	f := &web.Fleet{Title: opt.Title, StartedAt: m.StartedAt, Tally: m.Tally()}
	if f.Title == "" {
		name := "runbook"
		if m.Runbook != nil && m.Runbook.Name != "" {
			name = m.Runbook.Name
		}
		f.Title = fmt.Sprintf("%s on %d hosts", name, len(m.Hosts))
	}
	hostOpt := opt
	hostOpt.Title = ""
	var damaged []string
	for _, h := range m.Picking() {
		fh := web.FleetHost{Name: h.Name, Status: h.Status, Reason: h.Reason}
		switch {
		case h.Recording == "":
		case !fr.hasRecording(&h):
			p := m.RecordingPath(fr.path, &h)
			fmt.Fprintf(st.Err, "runbook: export: warning: %s: host %s's recording %s is missing: listed without it\n", fr.path, h.Name, p)
			fh.Reason = fmt.Sprintf("%s (recording missing: %s)", fh.Reason, p)
		default:
			p := m.RecordingPath(fr.path, &h)
			fh.Movie = func() (*web.Movie, error) {
				movie, readErr, err := loadExportMovie(ctx, st, p, from, hostOpt, human)
				if err != nil {
					return nil, err
				}
				if readErr != nil {
					fmt.Fprintf(st.Err, "runbook: export: warning: host %s: published up to the damage: %v\n", h.Name, readErr)
					damaged = append(damaged, p)
				}
				return movie, nil
			}
		}
		f.Hosts = append(f.Hosts, fh)
	}
	if err := writeOutput(st, out, func(w io.Writer) error { return web.WriteFleetPage(w, f) }); err != nil {
		return fmt.Errorf("export %s: %w", out, err)
	}
	if len(damaged) > 0 {
		// Published; the damage still fails the command (exit 1).
		return fmt.Errorf("export %s: published up to the damage: %s", fr.path, listSome(damaged, 3))
	}
	return nil
}
