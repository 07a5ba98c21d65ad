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
	want := `1/3 hosts done, 2 running, 0 failed · slowest: db1 step 3/5 "Install packages" 12s`
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
