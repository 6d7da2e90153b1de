package cleo

import (
	"testing"
	"time"
)

func TestSniffX12(t *testing.T) {
	isa := "ISA*00*          *00*          *ZZ*ACMEFASTEN     *ZZ*MLCONNECTOR    *261116*1200*U*00401*000000001*0*T*>~"
	tests := []struct {
		in            string
		qual, id, doc string
	}{
		{isa + "GS*IN*A*B*20261116*1200*1*X*004010~ST*810*0001~", "ZZ", "ACMEFASTEN", "810"},
		{"\ufeff\r\n" + isa + "\nGS*FA*A*B*20261116*1200*1*X*004010~\nST*997*0001~", "ZZ", "ACMEFASTEN", "997"},
		{isa, "ZZ", "ACMEFASTEN", ""},
		{"not edi at all", "", "", ""},
		{isa[:80], "", "", ""},
	}
	for _, tc := range tests {
		s := sniffX12([]byte(tc.in))
		if s.senderQual != tc.qual || s.senderID != tc.id || s.docType != tc.doc {
			t.Errorf("sniff(%.30q) = %+v, want %s/%s %s", tc.in, s, tc.qual, tc.id, tc.doc)
		}
	}
}

// FuzzSniffX12: the router never panics on whatever lands in an inbox.
func FuzzSniffX12(f *testing.F) {
	f.Add([]byte("ISA*00*          *00*          *ZZ*ACMEFASTEN     *ZZ*MLCONNECTOR    *261116*1200*U*00401*000000001*0*T*>~ST*810*1~"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) { sniffX12(b) })
}

func TestFlexTime(t *testing.T) {
	want := "2026-11-10T08:00:00Z"
	for _, in := range []string{`"2026-11-10T08:00:00Z"`, `"2026/11/10 08:00:00"`, `"2026-11-10T09:00:00+01:00"`, `"2026-11-10 08:00:00"`} {
		var ft flexTime
		if err := ft.UnmarshalJSON([]byte(in)); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := time.Time(ft).UTC().Format(time.RFC3339); got != want {
			t.Errorf("%s = %s", in, got)
		}
	}
	var ft flexTime
	if err := ft.UnmarshalJSON([]byte(`"yesterday"`)); err == nil {
		t.Error("accepted yesterday")
	}
}
