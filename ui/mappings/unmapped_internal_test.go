package mappings

import "testing"

// TestUnmappedText: the warning counts partners the way the engine
// decides (a Cleo record with an IFS supplier id is not unmapped) and only
// says invoices wait when open exceptions do.
func TestUnmappedText(t *testing.T) {
	for _, tc := range []struct {
		name string
		ps   []PartnerMapping
		want string
	}{
		{"one unmapped, nothing waiting", []PartnerMapping{{PartnerKey: "ZZ:A"}}, "1 partner has no IFS supplier; none of its invoices is waiting."},
		{"all mapped", []PartnerMapping{{PartnerKey: "ZZ:A", SupplierID: "S1"}}, ""},
		{"mapped through Cleo's record", []PartnerMapping{{PartnerKey: "ZZ:A", NetworkSupplierID: "S1"}}, ""},
		{"unmapped, nothing waiting", []PartnerMapping{{PartnerKey: "ZZ:A"}, {PartnerKey: "ZZ:B"}, {PartnerKey: "ZZ:C", NetworkSupplierID: "S3"}},
			"2 partners have no IFS supplier; none of their invoices is waiting."},
		{"one waiting", []PartnerMapping{{PartnerKey: "ZZ:A", Waiting: 1}, {PartnerKey: "ZZ:B", SupplierID: "S2"}},
			"1 partner has no IFS supplier; 1 invoice of 1 partner waits in the exception queue until mapped."},
		{"several waiting", []PartnerMapping{{PartnerKey: "ZZ:A", Waiting: 2}, {PartnerKey: "ZZ:B", Waiting: 1}, {PartnerKey: "ZZ:C"}},
			"3 partners have no IFS supplier; 3 invoices of 2 partners wait in the exception queue until mapped."},
	} {
		if got := unmappedText(tc.ps); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
