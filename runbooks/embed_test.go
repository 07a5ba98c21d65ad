package runbooks_test

import (
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/runbooks"
)

// Every shipped runbook loads: no syntax error, declarations valid.
func TestShippedRunbooksLoad(t *testing.T) {
	names := runbooks.Names()
	if len(names) == 0 {
		t.Fatal("no built-in runbooks")
	}
	for _, name := range names {
		shown, src, ok := runbooks.Lookup(name)
		if !ok || shown != "runbooks/"+name {
			t.Fatalf("Lookup(%q) = %q, %v", name, shown, ok)
		}
		if _, err := engine.Load(engine.Options{Path: shown, Source: src}); err != nil {
			// A module kept beside the runbooks may not load alone.
			if !strings.Contains(err.Error(), "require") {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if _, _, ok := runbooks.Lookup("demo"); !ok {
		t.Error("demo is not built in")
	}
	if _, _, ok := runbooks.Lookup("../go.mod"); ok {
		t.Error("Lookup left the runbooks")
	}
}
