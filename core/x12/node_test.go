package x12

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const npmDir = "../../testdata/npm"

// nodeOrSkip finds node and the npm parsers; with MLC_REQUIRE_NODE=1 their
// absence fails the test instead of skipping it (CI runs npm ci first).
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(npmDir, "node_modules", "node-x12"))
	if err == nil && statErr == nil {
		return node
	}
	msg := "node or testdata/npm/node_modules missing (run npm ci in testdata/npm)"
	if os.Getenv("MLC_REQUIRE_NODE") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

type nodeResult struct {
	OK           bool   `json:"ok"`
	Error        string `json:"error"`
	Interchanges []struct {
		SenderQualifier   string `json:"sender_qualifier"`
		SenderID          string `json:"sender_id"`
		ReceiverQualifier string `json:"receiver_qualifier"`
		ReceiverID        string `json:"receiver_id"`
		Groups            []struct {
			FunctionalID string `json:"functional_id"`
			Version      string `json:"version"`
			TrailerCount string `json:"trailer_count"`
			Sets         []struct {
				ID           string     `json:"id"`
				Control      string     `json:"control_number"`
				TrailerCount string     `json:"trailer_count"`
				Segments     [][]string `json:"segments"`
			} `json:"sets"`
		} `json:"groups"`
	} `json:"interchanges"`
}

// TestNodeX12ValidatesWrite850 has node-x12 (strict mode) parse our 850s
// and compares every element it saw with what we wrote.
func TestNodeX12ValidatesWrite850(t *testing.T) {
	node := nodeOrSkip(t)
	cases := []struct {
		name string
		env  func() Envelope
	}{
		{"004010", func() Envelope { return testEnv(Version4010) }},
		{"005010", func() Envelope { return testEnv(Version5010) }},
		{"odd separators, no newline", func() Envelope {
			e := testEnv(Version4010)
			e.Separators = Separators{Element: '|', Component: '^', Segment: "\\"}
			e.Newline = false
			return e
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			po2 := samplePO()
			po2.Number, po2.Purpose = "PO-1002", PurposeReplace
			var b bytes.Buffer
			if err := Write850(&b, c.env(), samplePO(), po2); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "po.edi")
			os.WriteFile(file, b.Bytes(), 0o644)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, node, filepath.Join(npmDir, "validate.js"), file).Output()
			var res nodeResult
			if jerr := json.Unmarshal(out, &res); jerr != nil {
				t.Fatalf("node output %q: %v (%v)", out, jerr, err)
			}
			if !res.OK {
				t.Fatalf("node-x12 rejected our 850: %s\n%s", res.Error, b.String())
			}
			sets, _ := readAll(t, b.String())
			if len(res.Interchanges) != 1 || len(res.Interchanges[0].Groups) != 1 || len(res.Interchanges[0].Groups[0].Sets) != len(sets) {
				t.Fatalf("structure: %+v", res)
			}
			ic := res.Interchanges[0]
			if ic.SenderID != "MLCONNECTOR" || ic.ReceiverQualifier != "01" || ic.Groups[0].FunctionalID != "PO" || ic.Groups[0].TrailerCount != "2" {
				t.Fatalf("envelope: %+v", ic)
			}
			for i, ns := range ic.Groups[0].Sets {
				s := sets[i]
				if ns.ID != "850" || ns.Control != s.ControlNumber || ns.TrailerCount != s.Segment(s.Len()-1).Element(1) {
					t.Fatalf("set %d header: %+v", i, ns)
				}
				if len(ns.Segments) != s.Len()-2 {
					t.Fatalf("set %d: node-x12 saw %d segments, we wrote %d", i, len(ns.Segments), s.Len()-2)
				}
				for k, g := range s.Body {
					k--
					want := append([]string{g.ID}, g.Elements()...)
					if strings.Join(ns.Segments[k], "|") != strings.Join(want, "|") {
						t.Fatalf("set %d segment %d: node-x12 %q, ours %q", i, k+2, ns.Segments[k], want)
					}
				}
			}
		})
	}
}

// TestNodeX12ValidatesWrite810And997 does the same for invoices (5010, with
// charges and taxes) and for a 997 with AK3/AK4 detail.
func TestNodeX12ValidatesWrite810And997(t *testing.T) {
	node := nodeOrSkip(t)
	var inv, ack bytes.Buffer
	r := rand.New(rand.NewPCG(9, 9))
	if err := Write810(&inv, testEnv(Version5010), randomInvoice(r), randomInvoice(r), randomInvoice(r)); err != nil {
		t.Fatal(err)
	}
	sets, _ := readAll(t, small810)
	a, err := Build997(sets)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write997(&ack, testEnv(Version4010), a); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"810": inv.Bytes(), "997": ack.Bytes()} {
		file := filepath.Join(t.TempDir(), name+".edi")
		os.WriteFile(file, b, 0o644)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, node, filepath.Join(npmDir, "validate.js"), file).Output()
		cancel()
		var res nodeResult
		if jerr := json.Unmarshal(out, &res); jerr != nil {
			t.Fatalf("%s: node output %q: %v (%v)", name, out, jerr, err)
		}
		if !res.OK {
			t.Fatalf("node-x12 rejected our %s: %s\n%s", name, res.Error, b)
		}
		ours, _ := readAll(t, string(b))
		got := res.Interchanges[0].Groups[0].Sets
		if len(got) != len(ours) {
			t.Fatalf("%s: %d sets, we wrote %d", name, len(got), len(ours))
		}
		for i, s := range ours {
			for k, g := range s.Body {
				if want := append([]string{g.ID}, g.Elements()...); strings.Join(got[i].Segments[k-1], "|") != strings.Join(want, "|") {
					t.Fatalf("%s set %d segment %d: node-x12 %q, ours %q", name, i, k+1, got[i].Segments[k-1], want)
				}
			}
		}
	}
}
