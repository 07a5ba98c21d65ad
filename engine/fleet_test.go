package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/testenv"
	"github.com/runbook-dev/runbook/recording"
)

// Many hosts on a terminal: no session shown, a summary line redrawn in
// place, a failure printed above it as it happens, the summary's last
// state left on screen, then the recap with the failure first.
func TestFleetSummaryOnTerminal(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	src := `step("Greet", function() sh("echo hello-from-host") end)`
	var hosts []FleetHost
	for i := range DefaultFleetLines + 2 {
		hosts = append(hosts, FleetHost{Name: fmt.Sprintf("l%02d", i)})
	}
	disp := &testenv.Buffer{}
	f := &Fleet{
		Hosts: hosts, Forks: 4,
		Dial: func(_ context.Context, h FleetHost) (target.Target, error) {
			if h.Name == "l05" {
				return nil, errors.New("no route to l05")
			}
			return target.NewLocal(), nil
		},
		Options: Options{Path: filepath.Join(dir, "x.lua"), Source: []byte(src), Record: filepath.Join(dir, "x.ttyrec"),
			Display: disp, DisplayTTY: true, Nonce: testNonce, Cols: 100, Rows: 30},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reports, err := f.Run(ctx)
	out := disp.String()
	var fe *FleetError
	if !errors.As(err, &fe) || len(fe.Failed) != 1 || fe.Failed[0].Host.Name != "l05" || fe.Failed[0].Status != HostFailed {
		t.Fatalf("error %v", err)
	}
	if len(reports) != len(hosts)-1 {
		t.Errorf("%d reports", len(reports))
	}
	if strings.Contains(out, "hello-from-host") || strings.Contains(out, "── step") {
		t.Errorf("the sessions were shown:\n%q", out)
	}
	if !strings.Contains(out, "\r\x1b[Kl05 | failed: no route to l05\n") {
		t.Errorf("the failure is not shown above the summary line:\n%q", out)
	}
	if !strings.Contains(out, "\r\x1b[K12/12 hosts done, 0 running, 1 failed\n") {
		t.Errorf("the summary line's last state is not left on screen:\n%q", out)
	}
	recap := out[strings.Index(out, "Recap"):]
	if !strings.HasPrefix(recap, "Recap (12 hosts): 11 ok, 1 failed\n  l05  failed") {
		t.Errorf("recap:\n%s", recap)
	}
	// Each host's session is in its recording.
	for _, h := range hosts {
		b, err := os.ReadFile(HostRecordPath(f.Options.Record, h.Name))
		if h.Name == "l05" {
			if err == nil {
				t.Errorf("l05 was never reached, yet recorded")
			}
			continue
		}
		if !strings.Contains(string(b), "hello-from-host") {
			t.Errorf("%s: the recording lacks the session (%v)", h.Name, err)
		}
	}
}

// The summary line names the step that has been running longest, and on
// which host; it never wraps on the terminal.
func TestFleetSummaryLine(t *testing.T) {
	f := &Fleet{Hosts: []FleetHost{{Name: "web1"}, {Name: "web2"}, {Name: "db1"}}, LinesUpTo: 1,
		Options: Options{Display: &testenv.Buffer{}, DisplayTTY: true, Cols: 60}}
	v := newFleetView(f)
	now := time.Now()
	for i := range 3 {
		v.started(i)
	}
	v.step(0, &Step{N: 1, Name: "Configure"}, 5)
	v.step(2, &Step{N: 3, Name: "Install packages"}, 5)
	v.hosts[2].since = now.Add(-12 * time.Second)
	v.ended(1, &HostResult{Host: f.Hosts[1], Status: HostOK})
	got := v.summary(now)
	want := `1/3 hosts done, 2 running, 0 failed · slowest: db1 12s in step 3/5 "Install packages"`
	if got != want {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
	v.draw(true)
	shown := f.Options.Display.(*testenv.Buffer).String()
	last := shown[strings.LastIndex(shown, "\x1b[K")+3:]
	if len([]rune(last)) != 59 || !strings.HasPrefix(want, last) {
		t.Errorf("drawn %q: want the first 59 characters of the summary", last)
	}
}

// Ctrl-C stops a fleet: the hosts running end interrupted with their
// recordings closed, the hosts not started are not started, every host
// is in the recap as interrupted.
func TestFleetInterrupted(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	src := `step("Wait", function() sh("touch ` + started + `; sleep 600") end)`
	var hosts []FleetHost
	for i := range DefaultFleetLines + 2 {
		hosts = append(hosts, FleetHost{Name: fmt.Sprintf("l%02d", i)})
	}
	disp := &testenv.Buffer{}
	dials := make(chan string, len(hosts))
	f := &Fleet{
		Hosts: hosts, Forks: 3,
		Dial: func(_ context.Context, h FleetHost) (target.Target, error) {
			dials <- h.Name
			return target.NewLocal(), nil
		},
		Options: Options{Path: filepath.Join(dir, "x.lua"), Source: []byte(src), Record: filepath.Join(dir, "x.ttyrec"),
			Display: disp, Nonce: testNonce, Cols: 100, Rows: 30},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for range 3000 {
			if _, err := os.Stat(started); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	done := make(chan error, 1)
	go func() { _, err := f.Run(ctx); done <- err }()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the fleet did not stop after Ctrl-C")
	}
	var fe *FleetError
	if !errors.As(err, &fe) || len(fe.Failed) != len(hosts) {
		t.Fatalf("error %v", err)
	}
	for _, r := range fe.Failed {
		if r.Status != HostInterrupted {
			t.Errorf("%s: %s (%v)", r.Host.Name, r.Status, r.Err)
		}
	}
	if n := len(dials); n > 3 {
		t.Errorf("%d hosts were dialled after Ctrl-C with 3 forks", n)
	}
	// The manifest is written all the same: the hosts that ran have a
	// recording in it, the others none.
	m, merr := recording.ReadFleet(recording.FleetPath(f.Options.Record))
	if merr != nil {
		t.Fatal(merr)
	}
	withRec := 0
	for _, h := range m.Hosts {
		if h.Recording != "" {
			withRec++
		}
	}
	if m.Tally() != "12 interrupted" || withRec != len(dials) {
		t.Errorf("manifest after Ctrl-C: %q, %d recordings, %d hosts dialled: %+v", m.Tally(), withRec, len(dials), m.Hosts)
	}
	out := disp.String()
	if !strings.Contains(out, "Recap (12 hosts): 12 interrupted") {
		t.Errorf("recap:\n%s", out)
	}
	// The hosts that ran have a recording that says where it stopped.
	for range len(dials) {
		ix, err := recording.ReadIndex(recording.IndexPath(HostRecordPath(f.Options.Record, <-dials)))
		if err != nil || ix.Stopped == nil || ix.Stopped.Reason != "interrupted" {
			t.Errorf("index %+v: %v", ix, err)
		}
	}
}
