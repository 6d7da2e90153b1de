package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// TestCopyDeskToTeamDatabase copies a desk's SQLite history into an empty
// team database (PostgreSQL when the suite runs there, else another SQLite
// file): every table's rows, the chain verified on the target, control
// numbers and ids continuing after the copied ones, and a second copy into
// the now non-empty target refused.
func TestCopyDeskToTeamDatabase(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "desk.db"), WithSynchronous("OFF"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var docID int64
	err = src.Update(ctx, func(tx *Tx) error {
		f, _, err := tx.InsertInboundFile(InboundFile{RemoteID: "r1", Name: "inv.x12", Size: 3, SHA256: "x", Raw: []byte("ISA")})
		if err != nil {
			return err
		}
		d := &Document{Direction: Inbound, Type: Type810, BusinessKey: "INV-77", Status: "posted",
			InboundFileID: f.ID, Amount: money.MustParse("1234.50"), Currency: "USD", RawEDI: []byte("ST*810")}
		if err := tx.InsertDocument(d, "ann"); err != nil {
			return err
		}
		docID = d.ID
		for range 3 {
			if _, err := tx.NextControlNumber("US", "ACME", ControlISA); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.SetPartnerMapping(ctx, "ann", PartnerMapping{ISAQualifier: "ZZ", ISAID: "ACME01", SupplierID: "S100"}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.SetPartnerMapping(ctx, "ann", PartnerMapping{ISAQualifier: "ZZ", ISAID: "ACME01", SupplierID: "S200"}); err != nil {
		t.Fatal(err)
	}
	// The desk's roles go with it: ann (first asked) admin, erin approver.
	if err := src.SetRole(ctx, "ann", "erin", RoleApprover); err != nil {
		t.Fatal(err)
	}

	var dst *Store
	if testBackend == "postgres" {
		url, pw := testharness.PostgresDatabase(t)
		dst, err = OpenURL(ctx, url, WithPassword(pw))
	} else {
		dst, err = Open(ctx, filepath.Join(t.TempDir(), "team.db"), WithSynchronous("OFF"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	rep, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Chain.OK || rep.Chain.Events < 3 || rep.Rows["documents"] != 1 || rep.Rows["mappings"] != 2 || rep.Rows["inbound_files"] != 1 {
		t.Fatalf("report %+v", rep)
	}
	if got, err := dst.Roles(ctx); err != nil || len(got) != 2 || got["ann"] != RoleAdmin || got["erin"] != RoleApprover {
		t.Fatalf("copied roles %v %v", got, err)
	}
	d, err := dst.Document(ctx, docID)
	if err != nil || d.BusinessKey != "INV-77" || d.Amount.String() != "1234.50" || string(d.RawEDI) != "ST*810" {
		t.Fatalf("copied document %+v %v", d, err)
	}
	f, err := dst.InboundFile(ctx, d.InboundFileID)
	if err != nil || string(f.Raw) != "ISA" {
		t.Fatalf("copied file %+v %v", f, err)
	}
	h, _ := dst.MappingHistory(ctx, "", "", 0)
	if len(h) != 2 || h[0].Version != 2 {
		t.Fatalf("mapping history %+v", h)
	}
	// Counters continue: the next ISA number is 4, never 1 again.
	if n, err := dst.NextControlNumber(ctx, "US", "ACME", ControlISA); err != nil || n != 4 {
		t.Fatalf("next control number %d %v", n, err)
	}
	// Ids continue after the copied ones, and the chain still verifies after new writes.
	var d2 Document
	err = dst.Update(ctx, func(tx *Tx) error {
		d2 = Document{Direction: Inbound, Type: Type810, BusinessKey: "INV-78", Status: "received"}
		return tx.InsertDocument(&d2, "ann")
	})
	if err != nil || d2.ID <= docID {
		t.Fatalf("new document id %d after %d: %v", d2.ID, docID, err)
	}
	if rep, err := dst.VerifyChain(ctx); err != nil || !rep.OK {
		t.Fatalf("chain after new writes %+v %v", rep, err)
	}
	if _, err := src.CopyTo(ctx, dst); err == nil {
		t.Fatal("copy into a non-empty target accepted")
	}
}
