package enginetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/engine/enginetest"
	rssh "github.com/runbook-dev/runbook/engine/ssh"
	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/recording"
)

// fleetRunbook is a small guide: a file written and edited, a state read,
// a command that (on one host) waits long enough to lose its host.
const fleetRunbook = `runbook { name = "fleet", params = { dir = {}, nap = { default = "0" } } }
step("Configure", function()
  file.write(params.dir .. "/app.conf", "a=1\n")
  file.line(params.dir .. "/app.conf", {regexp = "^b=", line = "b=2"})
  file.block(params.dir .. "/app.conf", "c=3\nd=4")
end)
step("Work", function()
  assert(facts.os.id ~= nil)
  sh("touch " .. params.dir .. "/started; sleep " .. params.nap)
end)
step("Report", function()
  sh("cat " .. params.dir .. "/app.conf")
end)
`

// TestFleetTwentyHosts runs one runbook on 20 real sshds, 10 at a time.
// One host is down from the start and one drops off the network in the
// middle of a command: both fail, named, with their reason; the other 18 finish with
// complete recordings; the recap lists the two failures first.
func TestFleetTwentyHosts(t *testing.T) {
	const n = 20
	const down, drops = 3, 7
	home := t.TempDir()
	dir := t.TempDir()
	srvs, names := sshtest.StartFleet(t, home, n)
	var hosts []engine.FleetHost
	for i, name := range names {
		hd := filepath.Join(dir, name)
		os.MkdirAll(hd, 0o755)
		h := engine.FleetHost{Name: name, Addr: name, Set: map[string]string{"dir": hd}}
		if i == drops {
			h.Set["nap"] = "600"
		}
		hosts = append(hosts, h)
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	srvs[down].Down(t)

	display := &testenv.Buffer{}
	rec := filepath.Join(dir, "fleet.ttyrec")
	fleet := &engine.Fleet{
		Hosts: hosts,
		Forks: 10,
		Dial: func(ctx context.Context, h engine.FleetHost) (target.Target, error) {
			o := rssh.Options{Home: home}
			if h.Name == hosts[drops].Name {
				// Found gone within a second (the others keep the
				// defaults: a busy machine must not lose them).
				o.KeepaliveInterval, o.KeepaliveCount = 500*time.Millisecond, 2
			}
			tg, err := rssh.Dial(ctx, h.Addr, o)
			if err != nil {
				return nil, err
			}
			return tg, nil
		},
		Options: engine.Options{
			Path: "fleet.lua", Source: []byte(fleetRunbook),
			Record: rec, Cols: 100, Rows: 30, Display: display,
		},
	}
	// The host that drops off the network once its long command runs:
	// its sshd and sessions stop answering, and keepalives find it gone.
	go func() {
		started := filepath.Join(dir, hosts[drops].Name, "started")
		for range 6000 {
			if _, err := os.Stat(started); err == nil {
				srvs[drops].Freeze()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reports, err := fleet.Run(ctx)
	out := display.String()
	t.Logf("display:\n%s", out)

	var fe *engine.FleetError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v, want a FleetError", err)
	}
	failed := map[string]string{}
	for _, r := range fe.Failed {
		failed[r.Host.Name] = r.Status
	}
	want := map[string]string{hosts[down].Name: engine.HostUnreachable, hosts[drops].Name: engine.HostLost}
	if fmt.Sprint(failed) != fmt.Sprint(want) {
		t.Errorf("failed hosts %v, want %v", failed, want)
	}
	if !strings.Contains(err.Error(), "2 of 20 hosts did not finish") {
		t.Errorf("error: %v", err)
	}
	// Every host that was reached has a report, the one that dropped too.
	if len(reports) != n-1 {
		t.Errorf("%d reports, want %d", len(reports), n-1)
	}

	// Every other host finished: all steps ok or changed, its file as the
	// runbook leaves it, its recording readable to the end and its index
	// complete.
	for i, h := range hosts {
		if i == down || i == drops {
			continue
		}
		conf, _ := os.ReadFile(filepath.Join(h.Set["dir"], "app.conf"))
		if !strings.Contains(string(conf), "a=1\nb=2\n") || !strings.Contains(string(conf), "c=3\nd=4\n") {
			t.Errorf("%s: app.conf is\n%s", h.Name, conf)
		}
		path := engine.HostRecordPath(rec, h.Name)
		ix := readFleetIndex(t, path)
		if ix.Host != h.Name || ix.Stopped != nil || len(ix.Steps) != 3 {
			t.Errorf("%s: index host %q stopped %+v, %d steps", h.Name, ix.Host, ix.Stopped, len(ix.Steps))
		}
		for _, s := range ix.Steps {
			if s.Status != recording.StatusOK && s.Status != recording.StatusChanged {
				t.Errorf("%s: step %d %s", h.Name, s.N, s.Status)
			}
		}
		data := enginetest.ReadRecording(t, path)
		if !strings.Contains(data, "cat "+h.Set["dir"]+"/app.conf") || !strings.Contains(data, "d=4") {
			t.Errorf("%s: the recording lacks the last step's command and output", h.Name)
		}
	}
	// The host that dropped: its recording ends where it was lost, and
	// its index says so.
	ix := readFleetIndex(t, engine.HostRecordPath(rec, hosts[drops].Name))
	if ix.Stopped == nil || len(ix.Steps) != 2 || ix.Steps[1].Status != recording.StatusFailed {
		t.Errorf("dropped host: stopped %+v, steps %+v", ix.Stopped, ix.Steps)
	}
	if _, err := os.Stat(engine.HostRecordPath(rec, hosts[down].Name)); err == nil {
		t.Errorf("the host that was down has a recording")
	}

	// What a person saw: 20 hosts are too many to show their sessions;
	// one line per host as it ended (not a terminal), then the recap with
	// the failures first.
	if strings.Contains(out, "── step") {
		t.Errorf("the sessions were shown")
	}
	for _, h := range hosts {
		if !strings.Contains(out, h.Name+" | ") {
			t.Errorf("no line for %s as it ended", h.Name)
		}
	}
	recap := out[strings.Index(out, "Recap (20 hosts): "):]
	lines := strings.Split(strings.TrimSpace(recap), "\n")
	if !strings.HasPrefix(lines[0], "Recap (20 hosts): ") || !strings.Contains(lines[0], "18 ok") ||
		!strings.Contains(lines[0], "1 unreachable") || !strings.Contains(lines[0], "1 lost") {
		t.Errorf("recap header: %q", lines[0])
	}
	if len(lines) < 1+n {
		t.Fatalf("recap:\n%s", recap)
	}
	first := strings.Fields(lines[1])
	second := strings.Fields(lines[2])
	if first[0] != hosts[down].Name || first[1] != "unreachable" || second[0] != hosts[drops].Name || second[1] != "lost" {
		t.Errorf("the recap does not list the failures first:\n%s", recap)
	}
	if !strings.Contains(lines[1], "dial") || !strings.Contains(lines[2], "lost") || !strings.Contains(lines[2], `step 2 "Work"`) {
		t.Errorf("the failures do not say why:\n%s\n%s", lines[1], lines[2])
	}
	for _, l := range lines[3 : 1+n] {
		if f := strings.Fields(l); len(f) < 2 || f[1] != "ok" {
			t.Errorf("recap line %q", l)
		}
	}
	if !strings.Contains(recap, "Slowest step: ") {
		t.Errorf("the recap does not name the slowest step:\n%s", recap)
	}

	// The manifest ties the recordings together: every host in the
	// order given, with its outcome and its recording beside it.
	if fleet.Manifest != recording.FleetPath(rec) || !strings.Contains(out, "Recordings: "+fleet.Manifest) {
		t.Errorf("manifest %q, want %q named after the recap", fleet.Manifest, recording.FleetPath(rec))
	}
	m, err := recording.ReadFleet(recording.FleetPath(rec))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Hosts) != n || m.Runbook == nil || m.Runbook.Name != "fleet" || m.Tally() != "1 unreachable, 1 lost, 18 ok" {
		t.Fatalf("manifest: %d hosts, runbook %+v, tally %q", len(m.Hosts), m.Runbook, m.Tally())
	}
	for i, h := range m.Hosts {
		wantRec, wantStatus := filepath.Base(engine.HostRecordPath(rec, hosts[i].Name)), engine.HostOK
		switch i {
		case down:
			wantRec, wantStatus = "", engine.HostUnreachable
		case drops:
			wantStatus = engine.HostLost
		}
		if h.Name != hosts[i].Name || h.Status != wantStatus || h.Recording != wantRec || (h.Reason == "") != (i != down && i != drops) {
			t.Errorf("manifest host %d: %+v", i, h)
		}
	}
}

func readFleetIndex(t *testing.T, rec string) *recording.Index {
	t.Helper()
	ix, err := recording.ReadIndex(recording.IndexPath(rec))
	if err != nil {
		t.Fatalf("%s: %v", rec, err)
	}
	return ix
}
