package engine

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// A runbook run on this machine must never reboot it: host.reboot refuses,
// naming the runbook's file:line, and nothing is typed.
func TestRebootLocalRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := `step("before", function() sh("echo still-here") end)
step("reboot", function()
  host.reboot()
end)
step("after", function() sh("echo never") end)
`
	res := runSource(t, ctx, src, nil)
	if res.err == nil {
		t.Fatalf("a local reboot ran: %s", res.rep.Recap())
	}
	msg := res.err.Error()
	t.Logf("error: %s", msg)
	for _, w := range []string{"x.lua:3", "host.reboot", "refusing to reboot the machine runbook runs on", `step 2 "reboot"`} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
	if strings.Contains(string(res.data), "systemctl") {
		t.Errorf("the reboot command reached the session:\n%s", res.data)
	}
	if len(res.ix.Steps) != 2 || res.ix.Steps[1].Status != "failed" || len(res.ix.Steps[1].Commands) != 0 {
		t.Errorf("index steps: %+v", res.ix.Steps)
	}
	if _, err := os.Stat(res.rec); err != nil {
		t.Fatal(err)
	}
}
