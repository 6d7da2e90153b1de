package world

import (
	"fmt"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// SelfBillingSupplier is the supplier whose invoices the buyer writes
// itself (evaluated receipt settlement): the supplier of the first Closed
// order. Closed orders are fully received and never billed by the Cleo
// sandbox's suppliers (they bill Confirmed, Arrived and Received orders), so
// the self-billing invoices never double an inbound 810. "" when the world
// has no closed order. A pure function of w: it draws no random numbers, so
// adding it changed nothing else in seeded worlds.
func SelfBillingSupplier(w *World) string {
	for _, po := range w.PurchaseOrders {
		if po.State == StateClosed && len(po.Lines) > 0 {
			return po.SupplierID
		}
	}
	return ""
}

// SelfBillingInvoices are the self-billing supplier invoices the IFS
// sandbox holds: one per Closed order of SelfBillingSupplier, billing every
// line at its received quantity and order price ("SB-<order>"; the last one
// still Preliminary when there are two or more, so it must not be sent),
// plus a Posted credit note "SB-<first order>-CR" returning one unit of the
// first order's first line. Invoice ids start at 900001 so they never meet
// the ids IFS gives the connector's own invoices.
func SelfBillingInvoices(w *World) []domain.SupplierInvoice {
	supID := SelfBillingSupplier(w)
	if supID == "" {
		return nil
	}
	sup, _ := w.SupplierByID(supID)
	var pos []domain.PurchaseOrder
	for _, po := range w.PurchaseOrders {
		if po.SupplierID == supID && po.State == StateClosed && len(po.Lines) > 0 {
			pos = append(pos, po)
		}
	}
	created := w.Today.Add(-2*24*time.Hour + 9*time.Hour)
	var out []domain.SupplierInvoice
	id := int64(900000)
	next := func() int64 { id++; return id }
	for i, po := range pos {
		inv := domain.SupplierInvoice{Company: w.Company.ID, InvoiceID: next(), InvoiceNo: "SB-" + po.OrderNo,
			SupplierID: supID, InvoiceDate: w.Today.AddDate(0, 0, -2), Currency: po.Currency, PayTermID: sup.PayTermID,
			PORef: po.OrderNo, State: "Posted", SelfBilling: true, CreatedAt: created.Add(time.Duration(i) * time.Minute)}
		if len(pos) > 1 && i == len(pos)-1 {
			inv.State = "Preliminary"
		}
		for _, l := range po.Lines {
			qty := l.Quantity
			if l.ReceivedQty != nil {
				qty = *l.ReceivedQty
			}
			net := qty.Mul(l.UnitPrice).Round(2)
			inv.Lines = append(inv.Lines, domain.SupplierInvoiceLine{ItemID: int64(len(inv.Lines) + 1), TaxCode: sup.TaxCode,
				NetAmount: net, TaxAmount: money.Zero, OrderNo: po.OrderNo, LineNo: l.LineNo, ReleaseNo: l.ReleaseNo,
				Text: l.Description, Quantity: qty, UnitPrice: l.UnitPrice, UOM: l.Unit})
			inv.NetAmount = inv.NetAmount.Add(net)
		}
		inv.GrossAmount = inv.NetAmount
		out = append(out, inv)
	}
	if len(pos) > 0 {
		po, l := pos[0], pos[0].Lines[0]
		net := l.UnitPrice.Round(2).Neg()
		cr := domain.SupplierInvoice{Company: w.Company.ID, InvoiceID: next(), InvoiceNo: fmt.Sprintf("SB-%s-CR", po.OrderNo),
			SupplierID: supID, InvoiceDate: w.Today.AddDate(0, 0, -1), Currency: po.Currency, PayTermID: sup.PayTermID,
			PORef: po.OrderNo, State: "Posted", SelfBilling: true, CreditNote: true, CreatedAt: created.Add(24 * time.Hour),
			NetAmount: net, GrossAmount: net,
			Lines: []domain.SupplierInvoiceLine{{ItemID: 1, TaxCode: sup.TaxCode, NetAmount: net, TaxAmount: money.Zero,
				OrderNo: po.OrderNo, LineNo: l.LineNo, ReleaseNo: l.ReleaseNo, Text: "Return: " + l.Description,
				Quantity: money.FromInt(-1), UnitPrice: l.UnitPrice, UOM: l.Unit}}}
		out = append(out, cr)
	}
	return out
}
