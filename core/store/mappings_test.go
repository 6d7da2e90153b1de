package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

func TestPartnerMappingVersions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	changed, err := s.SetPartnerMapping(ctx, "alice", PartnerMapping{ISAQualifier: "zz", ISAID: "ACME01         ", SupplierID: "S100"})
	if err != nil || !changed {
		t.Fatalf("create: %v %v", changed, err)
	}
	changed, err = s.SetPartnerMapping(ctx, "alice", PartnerMapping{ISAQualifier: "ZZ", ISAID: "ACME01", SupplierID: "S100"})
	if err != nil || changed {
		t.Fatalf("identical set must not write a version: %v %v", changed, err)
	}
	if _, err := s.SetPartnerMapping(ctx, "bob", PartnerMapping{ISAQualifier: "ZZ", ISAID: "ACME01", SupplierID: "S200"}); err != nil {
		t.Fatal(err)
	}
	m, ok, err := s.PartnerMapping(ctx, "ZZ", "ACME01  ")
	if err != nil || !ok || m.SupplierID != "S200" {
		t.Fatalf("lookup: %+v %v %v", m, ok, err)
	}
	if _, err := s.SetPartnerMapping(ctx, "bob", PartnerMapping{ISAQualifier: "ZZ", ISAID: "X"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("mapping without supplier: %v", err)
	}
	if err := s.DeletePartnerMapping(ctx, "carol", "ZZ", "ACME01"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.PartnerMapping(ctx, "ZZ", "ACME01"); ok {
		t.Fatal("deleted mapping still found")
	}
	if err := s.DeletePartnerMapping(ctx, "carol", "ZZ", "ACME01"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	h, err := s.MappingHistory(ctx, MappingPartners, PartnerKey("ZZ", "ACME01"), 0)
	if err != nil || len(h) != 3 {
		t.Fatalf("history: %d %v", len(h), err)
	}
	if !h[0].Deleted || !h[0].Current || h[0].ChangedBy != "carol" || h[0].Version != 3 {
		t.Fatalf("newest version %+v", h[0])
	}
	var change struct {
		Op     string                    `json:"op"`
		Fields map[string]map[string]any `json:"fields"`
	}
	if err := json.Unmarshal(h[1].Change, &change); err != nil {
		t.Fatal(err)
	}
	if change.Op != "update" || change.Fields["supplier_id"]["from"] != "S100" || change.Fields["supplier_id"]["to"] != "S200" || len(change.Fields) != 1 {
		t.Fatalf("change %s", h[1].Change)
	}
	// Re-creating after a delete continues the version numbers.
	if _, err := s.SetPartnerMapping(ctx, "dave", PartnerMapping{ISAQualifier: "ZZ", ISAID: "ACME01", SupplierID: "S300"}); err != nil {
		t.Fatal(err)
	}
	h, _ = s.MappingHistory(ctx, "", "", 0)
	if len(h) != 4 || h[0].Version != 4 || h[0].Deleted {
		t.Fatalf("after re-create %+v", h[0])
	}
	evs, _ := s.Events(ctx, EventQuery{Subject: "mapping:*"})
	if len(evs) != 4 || evs[0].Actor != "dave" || evs[0].Action != "mapping.create" {
		t.Fatalf("mapping audit events %d %+v", len(evs), evs)
	}
}

func TestLookupFallbacks(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	must := func(_ bool, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SetGLRule(ctx, "", GLRule{Code: domain.CodeString{Account: "6000"}}))
	must(s.SetGLRule(ctx, "", GLRule{ChargeCode: "d240", Code: domain.CodeString{Account: "6100"}}))
	must(s.SetGLRule(ctx, "", GLRule{SupplierID: "S1", Code: domain.CodeString{Account: "6200", CodeB: "CC1"}}))
	must(s.SetGLRule(ctx, "", GLRule{SupplierID: "S1", ChargeCode: "D240", Code: domain.CodeString{Account: "6300"}}))
	for _, tc := range []struct{ sup, charge, want string }{
		{"S1", "D240", "6300"}, {"S1", "H000", "6200"}, {"S2", "D240", "6100"}, {"S2", "", "6000"}, {"S1", "", "6200"},
	} {
		r, ok, err := s.GLRule(ctx, tc.sup, tc.charge)
		if err != nil || !ok || r.Code.Account != tc.want {
			t.Errorf("GL %s/%s: %+v %v %v, want %s", tc.sup, tc.charge, r, ok, err, tc.want)
		}
	}
	if _, err := s.SetGLRule(ctx, "", GLRule{SupplierID: "S9"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("rule without account: %v", err)
	}

	must(s.SetUnitConversion(ctx, "", UnitConversion{X12Unit: "ca", IFSUnit: "pcs", Factor: money.MustParse("12")}))
	must(s.SetUnitConversion(ctx, "", UnitConversion{SupplierID: "S1", X12Unit: "CA", IFSUnit: "pcs", Factor: money.MustParse("24")}))
	if u, ok, _ := s.UnitConversion(ctx, "S1", "CA"); !ok || u.Factor.String() != "24" {
		t.Errorf("unit S1: %+v", u)
	}
	if u, ok, _ := s.UnitConversion(ctx, "S2", "ca"); !ok || u.Factor.String() != "12" {
		t.Errorf("unit S2: %+v", u)
	}
	if _, ok, _ := s.UnitConversion(ctx, "S2", "EA"); ok {
		t.Error("EA found")
	}
	if _, err := s.SetUnitConversion(ctx, "", UnitConversion{X12Unit: "EA", IFSUnit: "pcs", Factor: money.MustParse("0")}); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero factor: %v", err)
	}

	if _, ok, _ := s.Tolerance(ctx, "S1"); ok {
		t.Error("tolerance without any row")
	}
	must(s.SetTolerance(ctx, "", Tolerance{PricePct: money.MustParse("2"), QtyPct: money.MustParse("5"), Absolute: money.MustParse("1.00")}))
	must(s.SetTolerance(ctx, "", Tolerance{SupplierID: "S1", PricePct: money.MustParse("0.5")}))
	if tol, ok, _ := s.Tolerance(ctx, "S1"); !ok || tol.SupplierID != "S1" || tol.PricePct.String() != "0.5" {
		t.Errorf("S1 tolerance %+v", tol)
	}
	if tol, ok, _ := s.Tolerance(ctx, "S2"); !ok || tol.SupplierID != "" || tol.Absolute.String() != "1.00" {
		t.Errorf("default tolerance %+v", tol)
	}
	if _, err := s.SetTolerance(ctx, "", Tolerance{SupplierID: "S3", PricePct: money.MustParse("-1")}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative tolerance: %v", err)
	}
}

func TestMappingsCSVRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, kind := range MappingKinds {
		t.Run(string(kind), func(t *testing.T) {
			src, _ := openTest(t)
			var in string
			switch kind {
			case MappingPartners:
				in = "isa_qualifier,isa_id,supplier_id,partner_id,note\nZZ,ACME01,S100,p1,\"first, with comma\"\n01,123456789,S200,,\n"
			case MappingGLRules:
				in = "supplier_id,charge_code,account,code_b,code_c,code_d,code_e,code_f,code_g,code_h,code_i,code_j,tax_code,note\n" +
					",,6000,,,,,,,,,,,default\nS1,D240,6100,CC1,P1,,,,,,,,T25,freight\n"
			case MappingUnits:
				in = "supplier_id,x12_unit,ifs_unit,factor\n,CA,pcs,12\nS1,BX,pcs,0.5\n"
			case MappingTolerances:
				in = "supplier_id,price_pct,qty_pct,absolute\n,2,5,1.00\nS1,0.5,0,0\n"
			}
			res, err := src.ImportMappingsCSV(ctx, kind, "alice", strings.NewReader(in), false)
			if err != nil || res.Created != 2 {
				t.Fatalf("import: %+v %v", res, err)
			}
			var out bytes.Buffer
			if err := src.ExportMappingsCSV(ctx, kind, &out); err != nil {
				t.Fatal(err)
			}
			// Importing the export into a fresh store and exporting again is a fixed point.
			dst, _ := openTest(t)
			if _, err := dst.ImportMappingsCSV(ctx, kind, "bob", bytes.NewReader(out.Bytes()), false); err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			if err := dst.ExportMappingsCSV(ctx, kind, &again); err != nil {
				t.Fatal(err)
			}
			if again.String() != out.String() {
				t.Fatalf("round trip differs:\n%s\nvs\n%s", out.String(), again.String())
			}
			// Importing the same file again changes nothing.
			res, err = src.ImportMappingsCSV(ctx, kind, "alice", bytes.NewReader(out.Bytes()), false)
			if err != nil || res.Unchanged != 2 || res.Created+res.Updated != 0 {
				t.Fatalf("re-import: %+v %v", res, err)
			}
			// What Excel in a decimal-comma locale opens: BOM, CRLF, ';'
			// between fields; the same rows, and read back unchanged.
			var xl bytes.Buffer
			if err := src.ExportMappingsCSVAs(ctx, kind, &xl, CSVStyle{Comma: ';', Excel: true}); err != nil {
				t.Fatal(err)
			}
			want := "\ufeff" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(out.String(), ",", ";"), "\"first; with comma\"", "first, with comma"), "\n", "\r\n")
			if xl.String() != want {
				t.Fatalf("Excel style:\n%q\nwant\n%q", xl.String(), want)
			}
			res, err = src.ImportMappingsCSV(ctx, kind, "alice", bytes.NewReader(xl.Bytes()), false)
			if err != nil || res.Unchanged != 2 || res.Created+res.Updated != 0 {
				t.Fatalf("re-import of the Excel style: %+v %v", res, err)
			}
			// Replace with only the header row would delete everything:
			// refused without a confirmation, and nothing is deleted.
			header := strings.SplitN(out.String(), "\n", 2)[0] + "\n"
			if _, err = src.ImportMappingsCSV(ctx, kind, "alice", strings.NewReader(header), true); !errors.Is(err, ErrConfirmDeletes) {
				t.Fatalf("unconfirmed replace: %v", err)
			}
			// A dry run shows the two deletions and writes nothing.
			plan, err := src.ImportMappings(ctx, kind, "alice", strings.NewReader(header), ImportOptions{Replace: true, DryRun: true})
			if err != nil || plan.Deleted != 2 || len(plan.Changes) != 2 || plan.Changes[0].Op != "delete" {
				t.Fatalf("dry run: %+v %v", plan, err)
			}
			var still bytes.Buffer
			if err := src.ExportMappingsCSV(ctx, kind, &still); err != nil || still.String() != out.String() {
				t.Fatalf("after a refused and a dry-run import the table changed: %v\n%s", err, still.String())
			}
			// Confirming a different number is refused too; the right one deletes.
			if _, err = src.ImportMappings(ctx, kind, "alice", strings.NewReader(header), ImportOptions{Replace: true, ConfirmDeletes: 1}); !errors.Is(err, ErrConfirmDeletes) {
				t.Fatalf("wrong confirmation: %v", err)
			}
			res, err = src.ImportMappings(ctx, kind, "alice", strings.NewReader(header), ImportOptions{Replace: true, ConfirmDeletes: 2})
			if err != nil || res.Deleted != 2 {
				t.Fatalf("confirmed replace: %+v %v", res, err)
			}
		})
	}
}

func TestMappingsCSVErrorsAreAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	cases := []struct{ name, in string }{
		{"bad factor", "x12_unit,ifs_unit,factor\nCA,pcs,12\nBX,pcs,1,5\n"},
		{"zero factor", "x12_unit,ifs_unit,factor\nCA,pcs,12\nBX,pcs,0\n"},
		{"unknown column", "x12_unit,ifs_unit,factor,colour\nCA,pcs,12,red\n"},
		{"duplicate key", "x12_unit,ifs_unit,factor\nCA,pcs,12\nca,pcs,6\n"},
		{"empty", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ImportMappingsCSV(ctx, MappingUnits, "alice", strings.NewReader(tc.in), false)
			if err == nil {
				t.Fatal("accepted")
			}
			var re *RowError
			if tc.name != "empty" && tc.name != "bad factor" && !errors.As(err, &re) {
				t.Fatalf("want a RowError, got %v", err)
			}
			if n, _ := s.UnitConversions(ctx); len(n) != 0 {
				t.Fatalf("partial import left %d rows", len(n))
			}
		})
	}
	_, err := s.ImportMappingsCSV(ctx, MappingUnits, "alice", strings.NewReader("x12_unit,ifs_unit,factor\nCA,pcs,12\nBX,pcs,0\n"), false)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 3 {
		t.Fatalf("want line 3, got %v", err)
	}
}

// A file saved by Excel in a ';' locale, with its UTF-8 byte-order mark,
// imports as the ',' file does; a ',' inside a ';' file is data.
func TestMappingsCSVFromExcelSemicolonAndBOM(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	in := "\ufeffsupplier_id;x12_unit;ifs_unit;factor\r\nS1;CA;pcs;12\r\nS2;BX;pcs;0.5\r\n"
	res, err := s.ImportMappingsCSV(ctx, MappingUnits, "alice", strings.NewReader(in), false)
	if err != nil || res.Created != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	in = "\ufeffisa_qualifier;isa_id;supplier_id;partner_id;note\r\nZZ;ACME01;S100;;Müller, Einkauf\r\n"
	if res, err := s.ImportMappingsCSV(ctx, MappingPartners, "alice", strings.NewReader(in), false); err != nil || res.Created != 1 {
		t.Fatalf("partners: %+v %v", res, err)
	}
	ms, err := s.PartnerMappings(ctx)
	if err != nil || len(ms) != 1 || ms[0].Note != "Müller, Einkauf" || ms[0].SupplierID != "S100" {
		t.Fatalf("partner mapping %+v %v", ms, err)
	}
}
