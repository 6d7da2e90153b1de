package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// interchange is a hand-made one-810 interchange from sender (ISA06 and
// GS02) with control number n.
func interchange(sender, n string) string {
	return "ISA*00*          *00*          *ZZ*" + sender + strings.Repeat(" ", 15-len(sender)) + "*ZZ*BUYER01        *261201*1200*U*00401*00000000" + n + "*0*P*>~\n" +
		"GS*IN*" + sender + "*BUYER01*20261201*1200*" + n + "*X*004010~\n" +
		"ST*810*0001~\nBIG*20261201*INV-" + sender + "**PO1~\nIT1*1*10*EA*2.50**VP*BOLT~\nTDS*2500~\nCTT*1~\nSE*6*0001~\n" +
		"GE*1*" + n + "~\nIEA*1*00000000" + n + "~\n"
}

// A file from two senders is acknowledged with one 997 interchange each,
// addressed back to its own sender.
func TestEDIAckMultiSender(t *testing.T) {
	p := filepath.Join(t.TempDir(), "two.edi")
	os.WriteFile(p, []byte(interchange("SUPPLIERA", "1")+interchange("SUPPLIERB", "2")), 0o600)
	code, out, errs := cli(t, "edi", "ack", "--time", "2026-12-01T12:00:00Z", p)
	if code != ExitOK {
		t.Fatalf("%d %s", code, errs)
	}
	var isas []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ISA*") {
			isas = append(isas, line)
		}
	}
	if len(isas) != 2 {
		t.Fatalf("%d interchanges:\n%s", len(isas), out)
	}
	for i, want := range []string{"SUPPLIERA", "SUPPLIERB"} {
		f := strings.Split(isas[i], "*")
		if strings.TrimSpace(f[8]) != want || strings.TrimSpace(f[6]) != "BUYER01" {
			t.Errorf("reply %d goes to %q from %q, want %s from BUYER01", i, f[8], f[6], want)
		}
	}
	if !strings.Contains(out, "GS*FA*BUYER01*SUPPLIERA*") || !strings.Contains(out, "GS*FA*BUYER01*SUPPLIERB*") ||
		!strings.Contains(out, "AK1*IN*1~") || !strings.Contains(out, "AK1*IN*2~") {
		t.Fatalf("groups:\n%s", out)
	}
}

// An interchange cut before its IEA gets a rejecting TA1 (note 023,
// premature end of file) and no 997; a sound one asking for an
// acknowledgment (ISA14 = 1) gets an accepting TA1 beside its 997.
func TestEDIAckTA1(t *testing.T) {
	dir := t.TempDir()
	cut := strings.Replace(interchange("SUPPLIERA", "1"), "IEA*1*000000001~\n", "", 1)
	p := filepath.Join(dir, "cut.edi")
	os.WriteFile(p, []byte(cut), 0o600)
	code, out, errs := cli(t, "edi", "ack", "--time", "2026-12-01T12:00:00Z", p)
	if code != ExitOK || !strings.Contains(out, "TA1*000000001*261201*1200*R*023~") || strings.Contains(out, "AK5*A") || strings.Contains(out, "ST*997") {
		t.Fatalf("cut interchange %d %s:\n%s", code, errs, out)
	}
	if !strings.Contains(out, "IEA*0*") {
		t.Fatalf("the TA1 interchange holds no group: %s", out)
	}
	asked := strings.Replace(interchange("SUPPLIERB", "2"), "*0*P*>~", "*1*P*>~", 1)
	p2 := filepath.Join(dir, "asked.edi")
	os.WriteFile(p2, []byte(asked), 0o600)
	code, out, errs = cli(t, "edi", "ack", "--time", "2026-12-01T12:00:00Z", p2)
	if code != ExitOK || !strings.Contains(out, "TA1*000000002*261201*1200*A*000~") || !strings.Contains(out, "AK5*A") {
		t.Fatalf("ISA14=1 %d %s:\n%s", code, errs, out)
	}
}

// edi ack --lenient: an 810 with a segment the 810 does not define is
// rejected by default (AK5*R*5) and accepted with the error noted under
// --lenient (AK5*E, AK9*E), the AK3 listed both times.
func TestEDIAckLenient(t *testing.T) {
	raw := strings.Replace(interchange("SUPPLIERA", "1"), "TDS*2500~\n", "ZZZ*1~\nTDS*2500~\n", 1)
	raw = strings.Replace(raw, "SE*6*0001~", "SE*7*0001~", 1)
	p := filepath.Join(t.TempDir(), "custom.edi")
	os.WriteFile(p, []byte(raw), 0o600)
	for _, c := range []struct {
		flag     string
		ak5, ak9 string
	}{{"--lenient=false", "AK5*R*5~", "AK9*R*1*1*0~"}, {"--lenient", "AK5*E~", "AK9*E*1*1*1~"}} {
		code, out, errs := cli(t, "edi", "ack", "--time", "2026-12-01T12:00:00Z", c.flag, p)
		if code != ExitOK || !strings.Contains(out, "AK3*ZZZ*4**6~") || !strings.Contains(out, c.ak5) || !strings.Contains(out, c.ak9) {
			t.Fatalf("%s: %d %s\n%s", c.flag, code, errs, out)
		}
	}
}

// edi validate reports business problems apart from X12 errors: an 810
// without BIG04 and with a priceless line is valid X12 (exit 0, and its 997
// accepts it) but is said to be unpostable, line by line.
func TestEDIValidateBusinessApart(t *testing.T) {
	raw := strings.Replace(interchange("SUPPLIERA", "1"), "**PO1~", "~", 1)
	raw = strings.Replace(raw, "IT1*1*10*EA*2.50**VP*BOLT~", "IT1*1*10*EA*2.50**VP*BOLT~\nIT1*2*****VP*NUT~", 1)
	raw = strings.Replace(raw, "CTT*1~\nSE*6*", "CTT*2~\nSE*7*", 1)
	p := filepath.Join(t.TempDir(), "nopo.edi")
	os.WriteFile(p, []byte(raw), 0o600)
	code, out, errs := cli(t, "edi", "validate", p)
	want := []string{
		"business: set 0001: segment BIG: no purchase order number (BIG04): the invoice cannot be matched to a PO",
		"business: set 0001: segment 4 (IT1): line 2 (2) has no quantity and no unit price (IT102, IT104): it cannot be posted",
		"ok: 1 transaction sets valid X12; 1 of them cannot be posted as they are",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("missing %q in:\n%s%s", w, out, errs)
		}
	}
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	code, out, _ = cli(t, "edi", "ack", "--time", "2026-12-01T12:00:00Z", p)
	if code != ExitOK || !strings.Contains(out, "AK5*A~") {
		t.Fatalf("997 %d:\n%s", code, out)
	}
}
