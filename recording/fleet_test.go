package recording

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/internal/secret"
)

func TestFleetManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.fleet.json")
	in := &Fleet{Runbook: &Runbook{Name: "x", Path: "x.lua"}, StartedAt: "2026-01-01T12:00:00Z", Hosts: []FleetHost{
		{Name: "web1", Status: "ok", Recording: filepath.Join(dir, "x-web1.ttyrec")},
		{Name: "web2", Status: "unreachable", Reason: "dial web2: no route"},
		{Name: "web3", Status: "failed", Reason: "step 1 failed: pw=hunter2", Recording: filepath.Join(dir, "sub", "x-web3.ttyrec")},
	}}
	if err := WriteFleet(path, in, secret.New("hunter2").MaskJSON); err != nil {
		t.Fatal(err)
	}
	out, err := ReadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.Kind != FleetKind || out.Version != FleetVersion || out.Runbook.Name != "x" {
		t.Errorf("read %+v", out)
	}
	if r := out.Hosts[0].Recording; r != "x-web1.ttyrec" {
		t.Errorf("recording %q, want it relative to the manifest", r)
	}
	if p := out.RecordingPath(path, &out.Hosts[2]); p != filepath.Join(dir, "sub", "x-web3.ttyrec") {
		t.Errorf("recording path %q", p)
	}
	if out.Hosts[2].Reason != "step 1 failed: pw=****" {
		t.Errorf("reason %q: not filtered", out.Hosts[2].Reason)
	}
	var order []string
	for _, h := range out.Picking() {
		order = append(order, h.Name)
	}
	if strings.Join(order, " ") != "web2 web3 web1" || out.Tally() != "1 unreachable, 1 failed, 1 ok" {
		t.Errorf("picking %v, tally %q", order, out.Tally())
	}
	if got := FleetPath("rec/x.ttyrec"); got != "rec/x.fleet.json" {
		t.Errorf("FleetPath: %q", got)
	}
	if n, err := NewestFleet(dir); err != nil || n != path {
		t.Errorf("NewestFleet: %q, %v", n, err)
	}
}

func TestReadFleetRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ body, want string }{
		"index":   {`{"version": 1, "term": {"cols": 80, "rows": 24}}`, "not a fleet manifest"},
		"garbage": {`not json`, "not a fleet manifest"},
		"newer":   {`{"kind": "runbook-fleet", "version": 99, "hosts": [{"name": "a"}]}`, "version 99 is newer"},
		"empty":   {`{"kind": "runbook-fleet", "version": 1, "hosts": []}`, "lists no hosts"},
		"noname":  {`{"kind": "runbook-fleet", "version": 1, "hosts": [{"status": "ok"}]}`, "host 1 has no name"},
		"twice":   {`{"kind": "runbook-fleet", "version": 1, "hosts": [{"name": "a"}, {"name": "a"}]}`, "host a is listed twice"},
	} {
		p := filepath.Join(dir, name+".fleet.json")
		os.WriteFile(p, []byte(c.body), 0o644)
		_, err := ReadFleet(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("%s: %v; want %q naming the file", name, err, c.want)
		}
	}
}
