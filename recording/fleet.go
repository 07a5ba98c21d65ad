package recording

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FleetSuffix ends the name of a fleet manifest: the file that ties the
// recordings of one run over several hosts together.
const FleetSuffix = ".fleet.json"

// FleetKind is the manifest's "kind": what tells it from any other JSON.
const FleetKind = "runbook-fleet"

// FleetVersion is the version of the manifest format.
const FleetVersion = 1

// Fleet is the manifest of one run over several hosts: each host's
// outcome and recording. It holds no output and no parameter, so no
// secret; the writer masks the reasons all the same.
type Fleet struct {
	Kind      string      `json:"kind"`
	Version   int         `json:"version"`
	Runbook   *Runbook    `json:"runbook,omitempty"`
	StartedAt string      `json:"started_at,omitempty"` // RFC 3339, UTC
	Hosts     []FleetHost `json:"hosts"`
}

// FleetHost is one host of a fleet manifest.
type FleetHost struct {
	Name   string `json:"name"`
	Status string `json:"status"`           // ok, failed, unreachable, lost, interrupted
	Reason string `json:"reason,omitempty"` // why it did not finish: its error's first line
	// Recording is the host's recording, relative to the manifest's
	// directory; "" when the host was never reached.
	Recording string `json:"recording,omitempty"`
}

// Failed reports whether the host did not finish.
func (h *FleetHost) Failed() bool { return h.Status != "ok" }

// FleetPath is the manifest of a fleet whose hosts record beside record
// (x.ttyrec: x.fleet.json).
func FleetPath(record string) string {
	return strings.TrimSuffix(record, filepath.Ext(record)) + FleetSuffix
}

// IsFleetPath reports whether path is named as a fleet manifest.
func IsFleetPath(path string) bool { return strings.HasSuffix(path, FleetSuffix) }

// Picking returns the hosts in the order a reader picks among them:
// those that did not finish first, then the rest, each in the order run.
func (f *Fleet) Picking() []FleetHost {
	out := make([]FleetHost, len(f.Hosts))
	copy(out, f.Hosts)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Failed() && !out[j].Failed() })
	return out
}

// Host returns the host named name, or nil.
func (f *Fleet) Host(name string) *FleetHost {
	for i := range f.Hosts {
		if f.Hosts[i].Name == name {
			return &f.Hosts[i]
		}
	}
	return nil
}

// Tally counts the hosts by status, in the order statuses first appear
// among the picking order: "1 failed, 19 ok".
func (f *Fleet) Tally() string {
	counts := map[string]int{}
	var order []string
	for _, h := range f.Picking() {
		if counts[h.Status] == 0 {
			order = append(order, h.Status)
		}
		counts[h.Status]++
	}
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[s], s)
	}
	return strings.Join(parts, ", ")
}

// RecordingPath is host h's recording as a path to open (the manifest at
// manifest), or "" when it has none.
func (f *Fleet) RecordingPath(manifest string, h *FleetHost) string {
	if h.Recording == "" {
		return ""
	}
	if filepath.IsAbs(h.Recording) {
		return h.Recording
	}
	return filepath.Join(filepath.Dir(manifest), h.Recording)
}

// ReadFleet reads the manifest at path. A file that is not one (other
// JSON, another kind, a newer version, a host without a name) is an error
// naming path.
func ReadFleet(path string) (*Fleet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Fleet
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: not a fleet manifest: %v", path, err)
	}
	switch {
	case f.Kind != FleetKind:
		return nil, fmt.Errorf("%s: not a fleet manifest (no \"kind\": %q)", path, FleetKind)
	case f.Version > FleetVersion:
		return nil, fmt.Errorf("%s: fleet manifest version %d is newer than this runbook reads (%d)", path, f.Version, FleetVersion)
	case len(f.Hosts) == 0:
		return nil, fmt.Errorf("%s: fleet manifest lists no hosts", path)
	}
	seen := map[string]bool{}
	for i, h := range f.Hosts {
		if h.Name == "" {
			return nil, fmt.Errorf("%s: host %d has no name", path, i+1)
		}
		if seen[h.Name] {
			return nil, fmt.Errorf("%s: host %s is listed twice", path, h.Name)
		}
		seen[h.Name] = true
	}
	return &f, nil
}

// WriteFleet writes f to path atomically (a temporary file renamed into
// place), each host's recording made relative to path's directory, and
// the JSON passed through filter (masking secrets) when it is set.
func WriteFleet(path string, f *Fleet, filter func([]byte) []byte) error {
	c := *f
	c.Kind, c.Version = FleetKind, FleetVersion
	c.Hosts = make([]FleetHost, len(f.Hosts))
	dir := filepath.Dir(path)
	for i, h := range f.Hosts {
		if h.Recording != "" {
			if rel, err := filepath.Rel(absOr(dir), absOr(h.Recording)); err == nil {
				h.Recording = rel
			}
		}
		c.Hosts[i] = h
	}
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return fmt.Errorf("write fleet manifest %s: %w", path, err)
	}
	b = append(b, '\n')
	if filter != nil {
		b = filter(b)
	}
	if err := replaceFile(path, b); err != nil {
		return fmt.Errorf("write fleet manifest %s: %w", path, errors.Unwrap(err))
	}
	return nil
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// NewestFleet is the most recently written fleet manifest in dir, or ""
// when there is none.
func NewestFleet(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var best string
	var bestT int64
	for _, e := range ents {
		if e.IsDir() || !IsFleetPath(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if t := fi.ModTime().UnixNano(); best == "" || t > bestT || (t == bestT && e.Name() > filepath.Base(best)) {
			best, bestT = filepath.Join(dir, e.Name()), t
		}
	}
	return best, nil
}
