package engine

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/recording"
)

// A fleet recording under RecordDir: its hosts' recordings share the
// fleet's stamp, and the manifest NAME-STAMP.fleet.json lists them, masked
// (one host's error holds the secret parameter's value).
func TestFleetManifestUnderRecordDir(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	const pw = "Kx7-manifest-secret"
	src := `runbook { name = "mf", params = { pw = { secret = true }, bad = { default = "no" } } }
step("One", function()
  sh("echo one")
  if params.bad == "yes" then error("refused with " .. params.pw) end
end)`
	hosts := []FleetHost{{Name: "a"}, {Name: "b", Set: map[string]string{"bad": "yes"}}, {Name: "c"}}
	f := &Fleet{
		Hosts: hosts, Forks: 3,
		Dial: func(context.Context, FleetHost) (target.Target, error) { return target.NewLocal(), nil },
		Options: Options{Path: filepath.Join(dir, "mf.lua"), Source: []byte(src), RecordDir: filepath.Join(dir, "recordings"),
			Set: map[string]string{"pw": pw}, Nonce: testNonce, Cols: 80, Rows: 24},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := f.Run(ctx); err == nil {
		t.Fatal("host b did not fail")
	}
	m := regexp.MustCompile(`^mf-(\d{8}T\d{6}Z)\.fleet\.json$`).FindStringSubmatch(filepath.Base(f.Manifest))
	if m == nil || filepath.Dir(f.Manifest) != filepath.Join(dir, "recordings") {
		t.Fatalf("manifest %q", f.Manifest)
	}
	b, err := os.ReadFile(f.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), pw) {
		t.Errorf("the manifest holds the secret:\n%s", b)
	}
	fl, err := recording.ReadFleet(f.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if got := fl.Tally(); got != "1 failed, 2 ok" {
		t.Errorf("tally %q", got)
	}
	// Named by the target (here this machine each time: -2, -3 added).
	want := regexp.MustCompile(`^mf-local-` + m[1] + `(-\d)?\.ttyrec$`)
	seen := map[string]bool{}
	for i, h := range fl.Hosts {
		if h.Name != hosts[i].Name || !want.MatchString(h.Recording) || seen[h.Recording] {
			t.Errorf("host %d: %+v, want a recording of its own matching %s", i, h, want)
		}
		seen[h.Recording] = true
		if _, err := os.Stat(fl.RecordingPath(f.Manifest, &h)); err != nil {
			t.Error(err)
		}
	}
	if r := fl.Host("b").Reason; !strings.Contains(r, "refused with ****") {
		t.Errorf("b's reason %q", r)
	}
	if p := fl.Picking(); p[0].Name != "b" {
		t.Errorf("picking order %+v", p)
	}
}
