package engine

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// TestNodeX12ValidatesEngine810s has an independent parser, node-x12 in
// strict mode (testdata/npm), read every self-billing 810 the engine sent,
// invoice and credit memo, and checks it saw our segments one for one.
func TestNodeX12ValidatesEngine810s(t *testing.T) {
	const npmDir = "../../testdata/npm"
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(npmDir, "node_modules", "node-x12")); err != nil || serr != nil {
		if os.Getenv("MLC_REQUIRE_NODE") == "1" {
			t.Fatal("node or testdata/npm/node_modules missing")
		}
		t.Skip("node or testdata/npm/node_modules missing (run npm ci in testdata/npm)")
	}
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	s.markSelfBilling()
	s.sync(FlowInvoicesOut)
	docs := s.out810()
	if len(docs) != 2 {
		t.Fatalf("810s sent: %v", keys(docs))
	}
	for no, d := range docs {
		file := filepath.Join(t.TempDir(), d.CleoName)
		if err := os.WriteFile(file, d.RawEDI, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, node, filepath.Join(npmDir, "validate.js"), file).Output()
		cancel()
		var res struct {
			OK           bool   `json:"ok"`
			Error        string `json:"error"`
			Interchanges []struct {
				Groups []struct {
					FunctionalID string `json:"functional_id"`
					Sets         []struct {
						ID       string     `json:"id"`
						Segments [][]string `json:"segments"`
					} `json:"sets"`
				} `json:"groups"`
			} `json:"interchanges"`
		}
		if jerr := json.Unmarshal(out, &res); jerr != nil {
			t.Fatalf("%s: node output %q: %v (%v)", no, out, jerr, err)
		}
		if !res.OK {
			t.Fatalf("node-x12 rejected our 810 %s: %s\n%s", no, res.Error, d.RawEDI)
		}
		if len(res.Interchanges) != 1 || len(res.Interchanges[0].Groups) != 1 || res.Interchanges[0].Groups[0].FunctionalID != "IN" ||
			len(res.Interchanges[0].Groups[0].Sets) != 1 || res.Interchanges[0].Groups[0].Sets[0].ID != "810" {
			t.Fatalf("%s: structure %+v", no, res)
		}
		set := readOneSet(t, d.RawEDI)
		got := res.Interchanges[0].Groups[0].Sets[0].Segments
		if len(got) != set.Len()-2 {
			t.Fatalf("%s: node-x12 saw %d body segments, we wrote %d", no, len(got), set.Len()-2)
		}
		for k, g := range set.Body {
			want := append([]string{g.ID}, g.Elements()...)
			if strings.Join(got[k-1], "|") != strings.Join(want, "|") {
				t.Fatalf("%s segment %d: node-x12 %q, ours %q", no, k+1, got[k-1], want)
			}
		}
		// The document still reads as what IFS holds.
		if d.Status != store.StatusSent {
			t.Errorf("%s: %s", no, d.Status)
		}
	}
}
