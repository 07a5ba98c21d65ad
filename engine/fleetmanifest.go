package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/recording"
)

// fleetStart readies a run over several hosts for its manifest: every
// host's run shares one secret set (the manifest is masked with it) and,
// recording under RecordDir, one time stamp (NAME-HOST-STAMP.ttyrec), so
// a fleet's recordings sort together.
func (f *Fleet) fleetStart() (o Options, stamp time.Time) {
	o = f.Options
	stamp = time.Now()
	if o.Clock != nil {
		stamp = o.Clock.Now()
	}
	if o.Secrets == nil {
		o.Secrets = &secret.Set{}
	}
	if o.Record == "" && o.RecordDir != "" {
		o.stamp = stamp
	}
	return o, stamp
}

// writeManifest writes the fleet's manifest beside its recordings:
// x.fleet.json beside --record x.ttyrec's x-HOST.ttyrec, else
// RecordDir/NAME-STAMP.fleet.json. A run that records nothing has none.
func (f *Fleet) writeManifest(o Options, stamp time.Time, results []HostResult) (string, error) {
	if o.Record == "" && o.RecordDir == "" {
		return "", nil
	}
	m := &recording.Fleet{StartedAt: stamp.UTC().Format(time.RFC3339)}
	name := strings.TrimSuffix(filepath.Base(o.Path), filepath.Ext(o.Path))
	for _, r := range results {
		h := recording.FleetHost{Name: r.Host.Name, Status: r.Status}
		if r.Err != nil {
			h.Reason = firstLine(r.Err.Error())
		}
		if rep := r.Report; rep != nil {
			h.Recording = rep.Recording
			// The manifest names the recording already.
			h.Reason = strings.TrimSuffix(h.Reason, " (recording: "+rep.Recording+")")
			if rep.Runbook != "" && m.Runbook == nil {
				name = rep.Runbook
				m.Runbook = &recording.Runbook{Name: rep.Runbook, Path: rep.Path}
			}
		}
		m.Hosts = append(m.Hosts, h)
	}
	path := recording.FleetPath(o.Record)
	if o.Record == "" {
		var err error
		if path, err = newFleetPath(filepath.Join(o.RecordDir, FileSafe(name)+"-"+stamp.UTC().Format("20060102T150405Z")+recording.FleetSuffix)); err != nil {
			return "", err
		}
	}
	if err := recording.WriteFleet(path, m, o.Secrets.MaskJSON); err != nil {
		return "", err
	}
	return path, nil
}

// newFleetPath claims path, or path-2, path-3... when a fleet started in
// the same second has it, as recordings are named.
func newFleetPath(path string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("write fleet manifest: %w", err)
	}
	base := strings.TrimSuffix(path, recording.FleetSuffix)
	for n := 1; n <= maxSuffix; n++ {
		p := path
		if n > 1 {
			p = fmt.Sprintf("%s-%d%s", base, n, recording.FleetSuffix)
		}
		fd, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("write fleet manifest: %w", err)
		}
		fd.Close()
		return p, nil
	}
	return "", fmt.Errorf("write fleet manifest %s: %d names taken", path, maxSuffix)
}

// showManifest tells the reader where the fleet's manifest is and how to
// play a host of it.
func (v *fleetView) showManifest(path string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.w, "Recordings: %s (runbook play %s --host NAME)\n", path, path)
}

// note prints a line after the recap.
func (v *fleetView) note(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintln(v.w, s)
}
