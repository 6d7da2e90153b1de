package cli

import (
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/enginelock"
	"github.com/ml-connector/ifs-cleo/core/locations"
)

// While another process runs the engine on a data dir, sync and run refuse
// and name it; the read commands still work.
func TestOneEngineAtATime(t *testing.T) {
	dd := t.TempDir()
	loc, err := locations.New(dd)
	if err != nil {
		t.Fatal(err)
	}
	if err := loc.Ensure(); err != nil {
		t.Fatal(err)
	}
	held, err := enginelock.Acquire(loc.Get(locations.EngineLock), "gui")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	for _, args := range [][]string{{"sync", "--once"}, {"run"}} {
		code, _, errs := cli(t, append(args, "--data-dir", dd)...)
		if code != ExitFailure || !strings.Contains(errs, "another ml-connector runs the engine on this data dir") || !strings.Contains(errs, "gui") {
			t.Fatalf("%v: %d %q", args, code, errs)
		}
	}
	if code, out, errs := cli(t, "exceptions", "--data-dir", dd); code != ExitOK || !strings.Contains(out, "no open exceptions") {
		t.Fatalf("exceptions beside a running engine: %d %s %s", code, out, errs)
	}
}
