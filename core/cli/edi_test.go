package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb, "gui")
	return code, out.String(), errb.String()
}

const x12Fixtures = "../../testdata/x12"

func TestEDIParseContract(t *testing.T) {
	code, out, stderr := runCLI(t, "edi", "parse", filepath.Join(x12Fixtures, "EDI.Net/x12.810b.edi"), filepath.Join(x12Fixtures, "node-x12/850.edi"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	var inv struct {
		Set         map[string]any `json:"set"`
		Interchange map[string]any `json:"interchange"`
		Group       map[string]any `json:"group"`
		Errors      []any          `json:"errors"`
		Warnings    []any          `json:"warnings"`
		Invoice     map[string]any `json:"invoice"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &inv); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "control_number"} {
		if _, ok := inv.Set[k]; !ok {
			t.Fatalf("set.%s missing", k)
		}
	}
	for _, k := range []string{"sender_qualifier", "sender_id", "receiver_qualifier", "receiver_id", "control_number", "version"} {
		if _, ok := inv.Interchange[k]; !ok {
			t.Fatalf("interchange.%s missing", k)
		}
	}
	for _, k := range []string{"functional_id", "control_number", "version"} {
		if _, ok := inv.Group[k]; !ok {
			t.Fatalf("group.%s missing", k)
		}
	}
	if inv.Errors == nil || inv.Warnings == nil {
		t.Fatal("errors and warnings must be arrays")
	}
	if inv.Invoice["number"] != "DO091003TESTINV01TAX" || inv.Invoice["date"] != "2003-03-10" || inv.Invoice["total"] != "401.92" ||
		inv.Invoice["credit_memo"] != false || inv.Invoice["currency"] != "USD" || inv.Invoice["po_number"] != "DO091003" {
		t.Fatalf("invoice: %v", inv.Invoice)
	}
	line := inv.Invoice["lines"].([]any)[0].(map[string]any)
	for k, v := range map[string]any{"line_number": "1", "quantity": "2", "uom": "EA", "unit_price": "99.99", "buyer_part": "", "vendor_part": "ID001", "description": "Power Cord"} {
		if line[k] != v {
			t.Fatalf("line.%s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := inv.Invoice["charges"].([]any); !ok {
		t.Fatal("charges missing")
	}
	var po map[string]map[string]any
	json.Unmarshal([]byte(lines[1]), &po)
	if po["purchase_order"]["number"] != "08292233294" || po["purchase_order"]["purpose"] != "00" || po["purchase_order"]["date"] != "2010-11-27" {
		t.Fatalf("po: %v", po["purchase_order"])
	}
	code, out, _ = runCLI(t, "edi", "parse", filepath.Join(x12Fixtures, "pyx12/simple1.997.base"))
	var ack map[string]map[string]any
	json.Unmarshal([]byte(out), &ack)
	if code != ExitOK || ack["ack"]["group_control_number"] != "17" || ack["ack"]["status"] != "R" || ack["ack"]["sets"] == nil {
		t.Fatalf("ack: %v", ack["ack"])
	}
}

func TestEDIParseStdin(t *testing.T) {
	b, _ := os.ReadFile(filepath.Join(x12Fixtures, "staedi/x12/simple810.edi"))
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"edi", "parse", "-"}, bytes.NewReader(b), &out, &errb, "gui")
	if code != ExitOK || strings.Count(out.String(), "\n") != 2 || !strings.Contains(out.String(), `"file":"-"`) {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
}

func TestEDIValidateExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.edi")
	good, _ := os.ReadFile(filepath.Join(x12Fixtures, "staedi/x12/simple810.edi"))
	os.WriteFile(bad, bytes.Replace(good, []byte("IT1**16*CA*12.34"), []byte("IT1**16*CA*12,34"), 1), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"edi", "validate", filepath.Join(x12Fixtures, "staedi/x12/simple810.edi")}, ExitOK, "ok: 2 transaction sets valid"},
		{[]string{"edi", "validate", bad}, ExitFailure, `segment 14 (IT1) element 4: unit price "12,34" is not a number`},
		{[]string{"edi", "validate", filepath.Join(dir, "missing.edi")}, ExitUsage, ""},
		{[]string{"edi", "validate"}, ExitUsage, ""},
		{[]string{"edi"}, ExitUsage, ""},
		{[]string{"edi", "frob"}, ExitUsage, ""},
	}
	for _, c := range cases {
		code, out, _ := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, out %q; want %d, %q", c.args, code, out, c.code, c.want)
		}
	}
	// EDI.Net's Ariba-style 810 has short ISA fields: a warning, an error when strict.
	ariba := filepath.Join(x12Fixtures, "EDI.Net/x12.810a.edi")
	if code, out, _ := runCLI(t, "edi", "validate", ariba); code != ExitOK {
		t.Errorf("810a: exit %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "edi", "validate", "-strict", ariba); code != ExitFailure || !strings.Contains(out, "segment ISA element 2: ISA02 is 1 characters wide, the standard fixes 10") {
		t.Errorf("810a strict: exit %d %q", code, out)
	}
	lower := filepath.Join(dir, "lower.edi")
	os.WriteFile(lower, bytes.Replace(good, []byte("ISA"), []byte("isa"), 1), 0o644)
	if code, out, _ := runCLI(t, "edi", "validate", lower); code != ExitFailure || !strings.Contains(out, "not uppercase") {
		t.Errorf("lowercase isa: exit %d, %q", code, out)
	}
}

func TestEDIAck(t *testing.T) {
	code, out, stderr := runCLI(t, "edi", "ack", "-time", "2026-01-03T08:00:00Z", "-icn", "9", "-newline=false", filepath.Join(x12Fixtures, "staedi/x12/simple810.edi"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "ISA*00*          *00*          *ZZ*RECEIVERISA    *ZZ*SENDERISA      *260103*0800*U*00401*000000009*0*T*>~" +
		"GS*FA*007326879*SENDERDEPT*20260103*0800*1*X*004010~ST*997*0001~AK1*IN*1~AK2*810*000000001~AK5*A~AK2*810*000000002~AK5*A~" +
		"AK9*A*2*2*2~SE*8*0001~GE*1*1~IEA*1*000000009~"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	if code, _, _ := runCLI(t, "edi", "ack", filepath.Join(x12Fixtures, "staedi/x12/simple997.edi")); code != ExitFailure {
		t.Fatalf("acking a 997: exit %d", code)
	}
}

// A file that is not X12 is a failure a script can see (exit 1, a line on
// stderr), while an X12 file with set errors is data (exit 0, errors in the
// JSON Lines).
func TestEDIParseExitCodes(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.txt")
	os.WriteFile(junk, []byte("Dear supplier, please find attached"), 0o600)
	code, out, errs := cli(t, "edi", "parse", junk)
	if code != ExitFailure || !strings.Contains(errs, "junk.txt is not X12") || !strings.Contains(out, `"errors"`) {
		t.Fatalf("not X12: %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := cli(t, "edi", "parse", filepath.Join(dir, "missing.edi")); code != ExitUsage {
		t.Fatalf("unreadable: %d", code)
	}
	if code, out, _ := cli(t, "help"); code != ExitOK || !strings.Contains(out, "Exit codes:") {
		t.Fatalf("help does not document exit codes: %s", out)
	}
}
