package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/ssh/sshtest"
	"github.com/runbook-dev/runbook/internal/console"
	"github.com/runbook-dev/runbook/player/web/chromium"
	"github.com/runbook-dev/runbook/recording"
)

// siteRunbook says which host it ran on; with fail=yes its second step
// prints the secret pw (masked everywhere) and fails.
const siteRunbook = `runbook { name = "site", params = { word = {}, fail = { default = "no" }, pw = { secret = true } } }
step("Greet", function()
  sh("echo word=" .. params.word)
end)
step("Check", function()
  if params.fail == "yes" then
    sh("echo " .. params.pw .. "; echo broken on " .. params.word .. "; (exit 3)")
  end
  sh("echo done " .. params.word)
end)
`

const sitePW = "Zq8-fleet-secret-77"

// siteFleet runs siteRunbook on 5 real sshds with --record DIR/site.ttyrec:
// h01 is down, h03 fails its second step, the rest finish. It returns the
// directory and the manifest's path.
func siteFleet(t *testing.T) (dir, manifest string) {
	t.Helper()
	home := t.TempDir()
	srvs, names := sshtest.StartFleet(t, home, 5)
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("RUNBOOK_PARAM_PW", sitePW)
	dir = t.TempDir()
	rb := filepath.Join(dir, "site.lua")
	os.WriteFile(rb, []byte(siteRunbook), 0o644)
	var hosts strings.Builder
	for i, n := range names {
		fmt.Fprintf(&hosts, "%s word=w%02d", n, i)
		if i == 3 {
			hosts.WriteString(" fail=yes")
		}
		hosts.WriteString("\n")
	}
	hostsFile := filepath.Join(dir, "hosts.txt")
	os.WriteFile(hostsFile, []byte(hosts.String()), 0o644)
	srvs[1].Down(t)

	code, out, errOut := runHostsCLI(t, rb, "--hosts", hostsFile, "--forks", "5", "--cols", "80", "--rows", "20",
		"--record", filepath.Join(dir, "site.ttyrec"))
	if code != 3 {
		t.Fatalf("exit %d, want 3 (a host down)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	manifest = filepath.Join(dir, "site.fleet.json")
	if !strings.Contains(out, "Recordings: "+manifest) {
		t.Errorf("the recap does not name the manifest:\n%s", out)
	}
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), sitePW) {
		t.Errorf("the manifest holds the secret:\n%s", b)
	}
	return dir, manifest
}

// TestPlayFleet plays hosts of a real fleet run: --host, the --record
// name and a directory as the fleet, the list of hosts (failed first),
// and bad input.
func TestPlayFleet(t *testing.T) {
	dir, manifest := siteFleet(t)
	m, err := recording.ReadFleet(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Tally(); got != "1 unreachable, 1 failed, 3 ok" {
		t.Errorf("tally %q", got)
	}
	if h := m.Host("h03"); h == nil || h.Status != "failed" || !strings.Contains(h.Reason, `step 2 "Check"`) ||
		strings.Contains(h.Reason, "recording:") || h.Recording != "site-h03.ttyrec" {
		t.Errorf("h03 in the manifest: %+v", h)
	}

	// --host plays that host's recording; the fleet may be named by its
	// manifest or by the --record name the run was given.
	for _, fleet := range []string{manifest, filepath.Join(dir, "site.ttyrec")} {
		code, out, errOut := runHostsCLI(t, "play", fleet, "--host", "h02", "--speed", "1000")
		if code != 0 || !strings.Contains(out, "done w02") || strings.Contains(out, "w00") {
			t.Errorf("play %s --host h02: exit %d, stderr %s\nplayed:\n%q", fleet, code, errOut, out)
		}
	}
	code, out, _ := runHostsCLI(t, "play", manifest, "--host", "h03", "--speed", "1000")
	if code != 0 || !strings.Contains(out, "broken on w03") || strings.Contains(out, sitePW) {
		t.Errorf("play --host h03: exit %d\n%q", code, out)
	}

	// Without --host and without a terminal: the hosts, failed first, and
	// what to type (exit 2). A directory names its newest fleet.
	for _, fleet := range []string{manifest, dir} {
		code, _, errOut := runHostsCLI(t, "play", fleet)
		if code != 2 || !strings.Contains(errOut, "pick one with --host NAME") {
			t.Errorf("play %s: exit %d\n%s", fleet, code, errOut)
			continue
		}
		var order []string
		for _, l := range strings.Split(errOut, "\n") {
			if f := strings.Fields(l); len(f) >= 3 && strings.HasPrefix(f[1], "h0") {
				order = append(order, f[1]+" "+f[2])
			}
		}
		if got := strings.Join(order, ", "); got != "h01 unreachable, h03 failed, h00 ok, h02 ok, h04 ok" {
			t.Errorf("play %s lists %s\n%s", fleet, got, errOut)
		}
	}

	// Bad input: each names the file or the host, exit 2.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{manifest, "--host", "h99"}, "--host h99: not a host of " + manifest},
		{[]string{manifest, "--host", "h01"}, manifest + ": host h01 has no recording (unreachable: "},
		{[]string{filepath.Join(dir, "site-h00.ttyrec"), "--host", "h00"}, "is not a fleet run"},
		{[]string{t.TempDir()}, "no fleet run in it"},
	} {
		code, _, errOut := runHostsCLI(t, append([]string{"play"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("play %q: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	os.Remove(filepath.Join(dir, "site-h02.ttyrec"))
	code, _, errOut := runHostsCLI(t, "play", manifest, "--host", "h02")
	if want := "host h02's recording " + filepath.Join(dir, "site-h02.ttyrec"); code != 2 || !strings.Contains(errOut, want) {
		t.Errorf("a recording gone: exit %d, stderr %q; want 2 and %q", code, errOut, want)
	}
	for _, h := range []string{"h00", "h03", "h04"} {
		os.Remove(filepath.Join(dir, "site-"+h+".ttyrec"))
	}
	code, _, errOut = runHostsCLI(t, "play", manifest)
	if code != 2 || !strings.Contains(errOut, manifest+": the recordings of this fleet run are missing: ") {
		t.Errorf("every recording gone: exit %d, stderr %q", code, errOut)
	}
}

// TestPlayFleetAsks picks a host at the terminal: the list, then the
// prompt; a name not in the fleet is answered and asked again.
func TestPlayFleetAsks(t *testing.T) {
	// Built before HOME moves: the go command keeps its cache there.
	runbookBinary(t)
	dir, manifest := siteFleet(t)
	r := startPlay(t, dir, manifest, "--speed", "1000")
	r.c.Expect("host (1-5 or a name; Enter: h03): ")
	out := console.Strip(r.c.Output())
	if i, j := strings.Index(out, "h03  failed"), strings.Index(out, "h00  ok"); i < 0 || j < i {
		t.Errorf("the list does not show h03 failed before h00:\n%s", out)
	}
	r.c.Send("nope\r")
	r.c.Expect("not a host of")
	r.c.Send("4\r") // the 4th listed: h02
	r.c.Expect("done w02")
	if code := r.exit(); code != 0 {
		t.Errorf("exit %d:\n%s", code, console.Strip(r.c.Output()))
	}
}

// TestExportFleetPage exports a real fleet run as one page and picks
// hosts in headless Chromium: failed hosts first, the host without a
// recording not pickable, each host's final screen as runbook render
// shows it.
func TestExportFleetPage(t *testing.T) {
	b := chromium.ForTest(t)
	dir, manifest := siteFleet(t)
	page := filepath.Join(dir, "site.html")
	if code, _, errOut := publishCLI(t, "export", manifest, page); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), sitePW) {
		t.Error("the page holds the secret")
	}
	// The page stays small: the player's CSS and script are in it once,
	// not once a host, so it is smaller than the hosts' own pages together.
	var alone int
	for _, h := range []string{"h00", "h02", "h03", "h04"} {
		one := filepath.Join(dir, h+".html")
		if code, _, errOut := publishCLI(t, "export", manifest, one, "--host", h); code != 0 {
			t.Fatalf("export --host %s: exit %d: %s", h, code, errOut)
		}
		fi, _ := os.Stat(one)
		alone += int(fi.Size())
	}
	t.Logf("fleet page %d bytes, the hosts' pages %d bytes together", len(html), alone)
	if len(html) >= alone*2/3 {
		t.Errorf("the fleet page is %d bytes, the hosts' own pages %d together", len(html), alone)
	}
	// One host alone: --host, to svg too; a fleet is no svg.
	if code, _, errOut := publishCLI(t, "export", manifest, filepath.Join(dir, "h02.svg"), "--host", "h02"); code != 0 {
		t.Errorf("export --host h02 to svg: exit %d: %s", code, errOut)
	}
	if code, _, errOut := publishCLI(t, "export", manifest, filepath.Join(dir, "all.svg")); code != 2 || !strings.Contains(errOut, "--host NAME") {
		t.Errorf("export of a fleet to svg: exit %d: %s", code, errOut)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p, err := b.NewPage(ctx, 1200, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, "file://"+page); err != nil {
		t.Fatal(err)
	}
	// waitHost waits for host's page to be open in the frame and loaded.
	waitHost := func(host string) {
		t.Helper()
		expr := fmt.Sprintf(`(function () {
			var f = document.getElementById("rb-fleet");
			if (f.dataset.ready === "error") return "error";
			var pl = RunbookFleet.player();
			return f.dataset.ready === "true" && f.dataset.host === %q && pl && pl.state().ready ? "ok" : "";
		})()`, host)
		if err := p.WaitFor(ctx, expr); err != nil {
			t.Fatalf("host %s: %v (console: %q)", host, err, p.Console())
		}
		var s string
		p.Eval(ctx, expr, &s)
		if s != "ok" {
			var now string
			p.Eval(ctx, `document.getElementById("rb-fleet-now").textContent`, &now)
			t.Fatalf("host %s did not load: %s (console: %q)", host, now, p.Console())
		}
	}
	finalScreen := func(host, shows string) {
		t.Helper()
		var got string
		if err := p.Eval(ctx, `RunbookFleet.player().seek(1e9), RunbookFleet.player().screenText()`, &got); err != nil {
			t.Fatal(err)
		}
		want := renderEnd(t, filepath.Join(dir, "site-"+host+".ttyrec"))
		if !strings.Contains(got, shows) {
			t.Errorf("host %s: the page's final screen lacks %q:\n%s", host, shows, got)
		}
		if strings.TrimRight(got, "\n") != want {
			t.Errorf("host %s: the page shows\n%s\nrunbook render --end shows\n%s", host, got, want)
		}
	}

	var hosts []struct {
		Name     string `json:"name"`
		Status   string `json:"status"`
		Playable bool   `json:"playable"`
	}
	if err := p.Eval(ctx, "RunbookFleet.hosts()", &hosts); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(hosts); got != "[{h01 unreachable false} {h03 failed true} {h00 ok true} {h02 ok true} {h04 ok true}]" {
		t.Errorf("hosts on the page: %s", got)
	}
	// The first failed host with a recording opens first.
	waitHost("h03")
	finalScreen("h03", "broken on w03")
	if err := p.Screenshot(ctx, filepath.Join(artefacts(t), "fleet-h03.png")); err != nil {
		t.Error(err)
	}
	// A click on another host opens its recording.
	if err := p.ClickSelector(ctx, `.rbf-pick[data-host="h02"]`); err != nil {
		t.Fatal(err)
	}
	waitHost("h02")
	finalScreen("h02", "done w02")
	// The keys then go to h02's player: 0 seeks to its start.
	if err := p.WaitFor(ctx, `document.activeElement === document.getElementById("rb-fleet-frame")`); err != nil {
		t.Fatal(err)
	}
	if err := p.Key(ctx, "0"); err != nil {
		t.Fatal(err)
	}
	var at float64
	if err := p.Eval(ctx, `RunbookFleet.player().state().time`, &at); err != nil || at != 0 {
		t.Errorf("after the key 0, h02's player is at %v (%v)", at, err)
	}
	var h string
	p.Eval(ctx, "location.hash", &h)
	if h != "#host=h02" {
		t.Errorf("address %q after picking h02", h)
	}
	for _, u := range p.Requests() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "about:") {
			t.Errorf("the page requested %s", u)
		}
	}
}

// A fleet's manifest is an output like its recordings: one that exists is
// refused before anything runs, unless --overwrite.
func TestFleetManifestExists(t *testing.T) {
	dir := t.TempDir()
	rb := filepath.Join(dir, "site.lua")
	os.WriteFile(rb, []byte(siteRunbook), 0o644)
	manifest := filepath.Join(dir, "x.fleet.json")
	os.WriteFile(manifest, []byte("{}"), 0o644)
	code, _, errOut := runHostsCLI(t, rb, "--host", "a,b", "--record", filepath.Join(dir, "x.ttyrec"))
	if code != 2 || !strings.Contains(errOut, manifest+" exists: add --overwrite") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if b, _ := os.ReadFile(manifest); string(b) != "{}" {
		t.Errorf("the manifest was changed: %q", b)
	}
}
