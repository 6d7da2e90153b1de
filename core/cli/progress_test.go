package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		d       events.RunData
		elapsed time.Duration
		want    string
	}{
		{events.RunData{Flow: "invoices", Done: 120, Total: 400, Failed: 3}, 30 * time.Second, "invoices     120/400 done, 3 exceptions, 240/min"},
		{events.RunData{Flow: "pos", Done: 0, Total: 0}, 0, "pos          0 done"},
		{events.RunData{Flow: "reference", Done: 51, Total: 51}, 500 * time.Millisecond, "reference    51/51 done"},
	} {
		if got := progressLine(tc.d, tc.elapsed); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// The progress line goes to a terminal only: a pipe or a buffer (scripts,
// logs, --json consumers) never sees it.
func TestProgressOnlyOnATerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Fatal("a buffer is not a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) {
		t.Fatal("a pipe is not a terminal")
	}
	// Rendering and clearing in place.
	var out bytes.Buffer
	bus := events.NewBus()
	stop := showProgress(&out, bus)
	bus.Publish(events.RunStarted, events.RunData{Flow: "invoices"})
	bus.Publish(events.RunProgress, events.RunData{Flow: "invoices", Done: 2, Total: 5})
	time.Sleep(100 * time.Millisecond)
	stop()
	s := out.String()
	if !strings.Contains(s, "\rinvoices") || !strings.HasSuffix(s, "\r") {
		t.Fatalf("progress output %q", s)
	}
}
