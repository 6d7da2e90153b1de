package cleosim_test

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// invoicesIn parses every 810 of the files.
func invoicesIn(t *testing.T, files []cleosim.File) map[string][]*x12.Invoice {
	t.Helper()
	out := map[string][]*x12.Invoice{} // connection alias → invoices
	for _, f := range files {
		rd := x12.NewReader(bytes.NewReader(f.Content))
		for rd.Next() {
			if st := rd.Set(); st.ID == "810" && st.Valid() {
				if inv, err := x12.ParseInvoice(st); err == nil && len(inv.Errors) == 0 {
					out[f.Connection] = append(out[f.Connection], inv)
				}
			}
		}
	}
	return out
}

// The unknown partner is a supplier's new mailbox: for every seed its one
// invoice bills an open order of that supplier, line for line at the PO's
// quantities and prices, that no other seeded invoice bills.
func TestUnknownPartnerBillsAnOpenOrderOfItsSupplier(t *testing.T) {
	for seed := int64(1); seed <= 25; seed++ {
		w := world.New(seed)
		sup, po, ok := cleosim.UnknownPartnerSupplier(w)
		if !ok {
			t.Fatalf("seed %d: no supplier behind the unknown partner", seed)
		}
		sup2, po2, _ := cleosim.UnknownPartnerSupplier(world.New(seed))
		if !reflect.DeepEqual(sup, sup2) || !reflect.DeepEqual(po, po2) {
			t.Fatalf("seed %d: not deterministic", seed)
		}
		if po.SupplierID != sup.SupplierID || (po.State != world.StateConfirmed && po.State != world.StateReleased) || len(po.Lines) == 0 {
			t.Fatalf("seed %d: order %s of %s is %s with %d lines", seed, po.OrderNo, po.SupplierID, po.State, len(po.Lines))
		}
		byConn := invoicesIn(t, cleosim.New(w, cleosim.Config{}).Inbox())
		orphan := byConn[w.UnknownPartner.Alias]
		if len(orphan) != 1 {
			t.Fatalf("seed %d: the unknown partner sent %d invoices", seed, len(orphan))
		}
		inv := orphan[0]
		if inv.Number != cleosim.UnknownPartnerInvoice || inv.PONumber != po.OrderNo || inv.Currency != po.Currency || len(inv.Lines) != len(po.Lines) {
			t.Fatalf("seed %d: %s bills PO %s in %s with %d lines, want %s in %s with %d", seed, inv.Number, inv.PONumber, inv.Currency,
				len(inv.Lines), po.OrderNo, po.Currency, len(po.Lines))
		}
		for i, l := range inv.Lines {
			pl := po.Lines[i]
			if l.LineNumber != pl.LineNo || !l.Quantity.Equal(pl.Quantity) || !l.UnitPrice.Equal(pl.UnitPrice) || l.BuyerPart != pl.PartNo {
				t.Errorf("seed %d: line %s %s × %s (%s), PO line %s %s × %s (%s)", seed, l.LineNumber, l.Quantity, l.UnitPrice, l.BuyerPart,
					pl.LineNo, pl.Quantity, pl.UnitPrice, pl.PartNo)
			}
		}
		for alias, invs := range byConn {
			for _, o := range invs {
				if alias != w.UnknownPartner.Alias && o.PONumber == po.OrderNo {
					t.Errorf("seed %d: %s from %s bills the unknown partner's order %s too", seed, o.Number, alias, po.OrderNo)
				}
			}
		}
	}
}

// When the 850 of that order reaches the supplier's usual mailbox, the
// supplier does not bill it a second time.
func TestSupplierDoesNotBillTheMailboxOrderAgain(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)}
	sim := cleosim.New(world.New(7), cleosim.Config{SupplierDelay: time.Minute, InvoiceEvery: 1, Now: c.now, TokenTTL: 24 * time.Hour})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	r := &rig{t: t, sim: sim, srv: srv}
	w := sim.World()
	sup, po, _ := cleosim.UnknownPartnerSupplier(w)
	other := w.PurchaseOrders[0] // an order nobody billed: the control
	for _, o := range w.PurchaseOrders {
		if o.SupplierID == sup.SupplierID && o.OrderNo != po.OrderNo && o.State == world.StateReleased {
			other = o
			break
		}
	}
	for _, o := range []struct {
		po   string
		want int // 810s billing it after the supplier answered
	}{{po.OrderNo, 1}, {other.OrderNo, 1}} {
		order, _ := w.PurchaseOrder(o.po)
		s, _ := w.SupplierByID(order.SupplierID)
		xpo := &x12.PurchaseOrder{Purpose: x12.PurposeOriginal, Type: "SA", Number: order.OrderNo, Date: x12.DateOf(order.OrderDate), Currency: order.Currency}
		for _, l := range order.Lines {
			xpo.Lines = append(xpo.Lines, x12.POLine{LineNumber: l.LineNo, Quantity: l.Quantity, UOM: "EA", UnitPrice: l.UnitPrice, BuyerPart: l.PartNo})
		}
		var b bytes.Buffer
		env := x12.Envelope{SenderQualifier: w.Us.Qualifier, SenderID: w.Us.ID, ReceiverQualifier: s.Partner.ISAQualifier, ReceiverID: s.Partner.ISAID,
			InterchangeControl: 41, GroupControl: 41, SetControl: 1, Time: c.now(), Replacement: ' '}
		if err := x12.Write850(&b, env, xpo); err != nil {
			t.Fatal(err)
		}
		if a := r.upload(connID(t, r, s.Partner.Alias), "850_"+order.OrderNo+".edi", b.Bytes(), "run", "true"); a.status != 201 {
			t.Fatalf("upload: %d %s", a.status, a.body)
		}
		sim.Respond()
		n := 0
		for _, invs := range invoicesIn(t, sim.Inbox()) {
			for _, inv := range invs {
				if inv.PONumber == order.OrderNo && !inv.CreditMemo {
					n++
				}
			}
		}
		if n != o.want {
			t.Errorf("order %s: billed %d times after the supplier answered its 850, want %d", order.OrderNo, n, o.want)
		}
	}
}
