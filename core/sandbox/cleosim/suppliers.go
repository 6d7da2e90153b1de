package cleosim

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// reply is a supplier's pending answer to one delivered 850 group.
type reply struct {
	conn *conn
	due  time.Time
	sets []*x12.Set
	pos  []*x12.PurchaseOrder
}

// readSets reads every set of an X12 file; nil when the content is not X12.
func readSets(content []byte) []*x12.Set {
	rd := x12.NewReader(bytes.NewReader(content))
	var sets []*x12.Set
	for rd.Next() {
		sets = append(sets, rd.Set())
	}
	return sets
}

func sniffDocType(content []byte) string {
	for _, st := range readSets(content) {
		return st.ID
	}
	return ""
}

func idQual(id, qual string) string {
	if qual == "" {
		return id
	}
	return id + ":" + qual
}

// track records a VLTracked-style transaction for every set of a file.
func (s *Server) track(f *file, sets []*x12.Set, direction string, now time.Time) {
	for _, st := range sets {
		t := &transaction{
			TransferID: f.transferID, Interchange: st.Interchange.ControlNumber, FunctionalGroup: st.Group.ControlNumber,
			SetID: st.ControlNumber, TradingPartnerAlias: f.conn.alias, Type: st.ID, DocumentID: st.Interchange.ControlNumber,
			SenderID:   idQual(st.Interchange.SenderID, st.Interchange.SenderQualifier),
			ReceiverID: idQual(st.Interchange.ReceiverID, st.Interchange.ReceiverQualifier),
			Direction:  direction, FAStatus: "none", DocumentDateTime: now.UTC(),
		}
		if ts, err := st.Interchange.Timestamp(time.UTC); err == nil {
			t.DocumentDateTime = ts
		}
		switch st.ID {
		case "850":
			t.Description = "Purchase Order"
			if po, err := x12.ParsePurchaseOrder(st); err == nil && po != nil {
				t.Ref1, t.Ref2 = po.Number, po.Purpose
			}
			if direction == "send" {
				t.FAStatus, t.sentAt = "pending", now
			}
		case "810":
			t.Description = "Invoice"
			if inv, err := x12.ParseInvoice(st); err == nil && inv != nil {
				t.Ref1, t.Ref2 = inv.Number, inv.PONumber
			}
		case "997":
			t.Description = "Functional Acknowledgment"
			if ack, err := x12.ParseAck(st); err == nil && ack != nil {
				t.Ref1, t.Ref2 = ack.GroupControlNumber, ack.Status
				if direction == "receive" {
					s.applyAck(f.conn, ack)
				}
			}
		}
		s.transactions = append(s.transactions, t)
	}
}

// applyAck sets the faStatus of the outbound sets a received 997 answers.
func (s *Server) applyAck(c *conn, ack *x12.Ack) {
	for _, t := range s.transactions {
		if t.Direction != "send" || t.TradingPartnerAlias != c.alias || t.FunctionalGroup != ack.GroupControlNumber || t.FAStatus != "pending" {
			continue
		}
		status := ack.Status
		for _, sa := range ack.Sets {
			if sa.ControlNumber == t.SetID {
				status = sa.Status
			}
		}
		if status == "A" || status == "E" {
			t.FAStatus = "accepted"
		} else {
			t.FAStatus = "rejected"
		}
	}
}

// delivered is called when an outbound file reaches the partner: it tracks
// the sets and schedules the supplier's 997 (and maybe 810).
func (s *Server) delivered(f *file, now time.Time) {
	sets := readSets(f.content)
	s.track(f, sets, "send", now)
	// One reply per functional group, as a real translator acknowledges groups.
	var group []*x12.Set
	flush := func() {
		if len(group) == 0 {
			return
		}
		r := &reply{conn: f.conn, due: now.Add(s.cfg.SupplierDelay), sets: group}
		for _, st := range group {
			if st.ID == "850" {
				if po, err := x12.ParsePurchaseOrder(st); err == nil && po != nil && len(po.Errors) == 0 {
					r.pos = append(r.pos, po)
				}
			}
		}
		s.pending = append(s.pending, r)
		group = nil
	}
	for _, st := range sets {
		if len(group) > 0 && (group[0].Interchange.Offset != st.Interchange.Offset || group[0].Group.Offset != st.Group.Offset) {
			flush()
		}
		if st.Group.FunctionalID == "FA" {
			continue // 997s are never acknowledged
		}
		group = append(group, st)
	}
	flush()
}

// processDue sends the replies that are due (all of them when force).
func (s *Server) processDue(now time.Time, force bool) []*file {
	var out []*file
	keep := s.pending[:0]
	for _, r := range s.pending {
		if !force && (s.cfg.SupplierDelay < 0 || s.faults.SilentSuppliers || now.Before(r.due)) {
			keep = append(keep, r)
			continue
		}
		out = append(out, s.answer(r, now)...)
	}
	s.pending = keep
	return out
}

func (s *Server) nextControl() int64 {
	s.controlSeq++
	return int64(s.controlSeq)
}

func (s *Server) envelopeFrom(c *conn, now time.Time) x12.Envelope {
	ctl := s.nextControl()
	return x12.Envelope{
		SenderQualifier: c.partner.ISAQualifier, SenderID: c.partner.ISAID,
		ReceiverQualifier: s.world.Us.Qualifier, ReceiverID: s.world.Us.ID, AppReceiver: s.world.Us.GSID,
		InterchangeControl: 700000000 + ctl, GroupControl: 7000 + ctl, SetControl: 1,
		Time: now.UTC(), Usage: "P", Newline: true, Replacement: ' ',
	}
}

// answer writes the 997 for a delivered group and, for some orders, an 810.
func (s *Server) answer(r *reply, now time.Time) []*file {
	var out []*file
	ack, err := x12.Build997(r.sets)
	if err == nil && ack != nil {
		env := x12.ReplyEnvelope(r.sets[0])
		ctl := s.nextControl()
		env.InterchangeControl, env.GroupControl, env.SetControl = 700000000+ctl, 7000+ctl, 1
		env.Time, env.Newline = now.UTC(), true
		var b bytes.Buffer
		if x12.Write997(&b, env, ack) == nil {
			out = append(out, s.inject(r.conn, fmt.Sprintf("997_%s_%09d.edi", r.sets[0].Group.ControlNumber, env.InterchangeControl), b.Bytes(), now.UTC()))
		}
	}
	if r.conn.supplier == nil || ack == nil || !ack.Accepted() {
		return out
	}
	for _, po := range r.pos {
		if po.Purpose == "01" || !s.invoices(po.Number) || po.Number == s.billedByMailbox {
			continue // cancellations, orders this supplier does not bill yet or already billed
		}
		inv := &x12.Invoice{
			Number: invoiceNo(r.conn.supplier, po.Number, s.nextControl()), Date: x12.DateOf(now.UTC()),
			PONumber: po.Number, PODate: po.Date, Type: "DI", Currency: po.Currency,
		}
		for _, l := range po.Lines {
			inv.Lines = append(inv.Lines, x12.InvoiceLine{LineNumber: l.LineNumber, Quantity: l.Quantity, UOM: l.UOM,
				UnitPrice: l.UnitPrice, BuyerPart: l.BuyerPart, VendorPart: l.VendorPart, Description: l.Description})
		}
		inv.Total = inv.ComputeTotal()
		var b bytes.Buffer
		if err := x12.Write810(&b, s.envelopeFrom(r.conn, now), inv); err == nil {
			out = append(out, s.inject(r.conn, "810_"+inv.Number+".edi", b.Bytes(), now.UTC()))
		}
	}
	return out
}

// invoices decides, from the seed, whether the supplier bills an order now.
func (s *Server) invoices(orderNo string) bool {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s", s.world.Seed, orderNo)
	return h.Sum32()%uint32(s.cfg.InvoiceEvery) == 0
}

func invoiceNo(sup *world.Supplier, orderNo string, n int64) string {
	return fmt.Sprintf("%s-%s-%03d", strings.TrimPrefix(sup.SupplierID, "SUP"), strings.TrimLeft(orderNo, "P"), n%1000)
}

// inject stores an inbound file from c as the network received it.
func (s *Server) inject(c *conn, name string, content []byte, created time.Time) *file {
	f := &file{id: s.newID(), name: name, conn: c, folder: "inbox", status: "available", created: created.UTC(), content: content}
	sets := readSets(content)
	if len(sets) > 0 {
		f.docType = sets[0].ID
	}
	if s.faults.InterimTransfers {
		s.addTransfer(f, "receive", "Interim Success", "Received by the server; not yet stored in the inbox")
	}
	tr := s.addTransfer(f, "receive", "Success", "Received")
	f.transferID = tr.TransferID
	s.putFile(f)
	s.track(f, sets, "receive", created)
	return f
}

// supplierOf is the supplier behind c; nil for nil or an unmapped conn.
func (c *conn) supplierOf() *world.Supplier {
	if c == nil {
		return nil
	}
	return c.supplier
}

func (s *Server) connByAlias(alias string) *conn {
	for _, c := range s.conns {
		if c.alias == alias || c.id == alias {
			return c
		}
	}
	return nil
}

// Seeded cases that tests, demos and the Xvfb journeys name.
const (
	// UnknownPartnerInvoice is the number of the invoice the world's
	// UnknownPartner sends. That partner is a supplier's new EDI mailbox
	// nobody has mapped yet (see UnknownPartnerSupplier): once the partner
	// is mapped to that supplier, a replay posts the invoice.
	UnknownPartnerInvoice = "UX-88213"
	// MissingPONumber is the PO number a mapped supplier quotes on its
	// seeded invoice MissingPOInvoice although IFS has no such order
	// (the PO_NOT_FOUND case).
	MissingPONumber = "X-4471"
	// MissingPOInvoice is the number of that invoice.
	MissingPOInvoice = "INV-X-4471"
)

// Positions in billableOrders (modulo its length) the seeded cases bill.
const (
	pickClean1    = 0 // also the duplicate and the credit memo
	pickBatch     = 1 // its supplier sends the multi-invoice file
	pickAckOK     = 2 // its partner sends the accepted 997
	pickClean2    = 3
	pickAckBad    = 4 // its partner sends the rejected 997
	pickPriceVar  = 5
	pickQtyOver   = 7
	pickCharge    = 9
	pickMalformed = 11
	pickMissingPO = 13
)

// minBillable is the smallest order book the seeded mix is built from.
const minBillable = 10

// billableOrders are the orders a supplier would bill: goods on the way or
// received, in OrderNo order.
func billableOrders(w *world.World) []domain.PurchaseOrder {
	var out []domain.PurchaseOrder
	for _, po := range w.PurchaseOrders {
		switch po.State {
		case world.StateConfirmed, world.StateArrived, world.StateReceived:
			if len(po.Lines) > 0 {
				out = append(out, po)
			}
		}
	}
	return out
}

// batchOrders are the (up to three) orders of pickBatch's supplier billed
// in the one multi-invoice file; never the first clean invoice's order.
func batchOrders(billable []domain.PurchaseOrder) []domain.PurchaseOrder {
	sup, skip := billable[pickBatch%len(billable)].SupplierID, billable[pickClean1%len(billable)].OrderNo
	var out []domain.PurchaseOrder
	for _, po := range billable {
		if po.SupplierID == sup && po.OrderNo != skip && len(out) < 3 {
			out = append(out, po)
		}
	}
	return out
}

// UnknownPartnerSupplier returns the supplier whose new, unmapped EDI
// mailbox the world's UnknownPartner is, and the open order (Confirmed,
// else Released) that its invoice UnknownPartnerInvoice bills line for line
// at the PO's quantities and prices. The order is one no other seeded case
// bills, preferably of a supplier no other seeded case involves, so mapping
// the partner to this supplier and replaying posts the invoice. It is a
// pure function of w; ok is false when w is too small for the seeded mix.
func UnknownPartnerSupplier(w *world.World) (sup world.Supplier, po domain.PurchaseOrder, ok bool) {
	billable := billableOrders(w)
	if len(billable) < minBillable {
		return world.Supplier{}, domain.PurchaseOrder{}, false
	}
	usedPO, usedSup := map[string]bool{}, map[string]bool{}
	for _, i := range []int{pickClean1, pickBatch, pickAckOK, pickClean2, pickAckBad, pickPriceVar, pickQtyOver, pickCharge, pickMalformed, pickMissingPO} {
		o := billable[i%len(billable)]
		usedSup[o.SupplierID] = true
		if i != pickBatch && i != pickAckOK && i != pickAckBad {
			usedPO[o.OrderNo] = true
		}
	}
	for _, o := range batchOrders(billable) {
		usedPO[o.OrderNo] = true
	}
	// Best first: a Confirmed order of an uninvolved supplier, then any
	// unused Confirmed order, then the same for Released ones.
	for _, state := range []string{world.StateConfirmed, world.StateReleased} {
		for _, freshSupplier := range []bool{true, false} {
			for _, o := range w.PurchaseOrders {
				if o.State != state || len(o.Lines) == 0 || usedPO[o.OrderNo] || freshSupplier && usedSup[o.SupplierID] {
					continue
				}
				if s, found := w.SupplierByID(o.SupplierID); found {
					return s, o, true
				}
			}
		}
	}
	return world.Supplier{}, domain.PurchaseOrder{}, false
}

// seedInbound puts the realistic inbound mix in the inboxes, dated in the
// days before the world's Today.
func (s *Server) seedInbound() {
	w := s.world
	base := w.Today.Add(-6 * 24 * time.Hour).Add(7 * time.Hour)
	step := 0
	at := func() time.Time { step++; return base.Add(time.Duration(step) * 97 * time.Minute) }

	billable := billableOrders(w)
	if len(billable) < minBillable {
		return // a world too small for the mix; tests use EmptyInbox anyway
	}
	pick := func(i int) (domain.PurchaseOrder, *conn) {
		po := billable[i%len(billable)]
		sup, _ := w.SupplierByID(po.SupplierID)
		return po, s.connByAlias(sup.Partner.Alias)
	}
	write := func(c *conn, name string, invs ...*x12.Invoice) {
		var b bytes.Buffer
		if err := x12.Write810(&b, s.envelopeFrom(c, base), invs...); err == nil {
			s.inject(c, name, b.Bytes(), at())
		}
	}

	// Clean invoices.
	po1, c1 := pick(pickClean1)
	inv1 := invoiceFor(po1, c1.supplierOf(), "INV-"+po1.OrderNo, w.Today.Add(-5*24*time.Hour))
	// Its supplier states terms: 2 % 10, net 30 days from the invoice date
	// (ITD01 08 basic discount offered, ITD02 3 invoice date).
	inv1.Terms = []x12.Terms{{Type: "08", BasisDate: "3", DiscountPercent: money.MustParse("2"), DiscountDays: 10, NetDays: 30,
		Description: "2% 10 NET 30"}}
	write(c1, "810_"+inv1.Number+".edi", inv1)
	po2, c2 := pick(pickClean2)
	inv2 := invoiceFor(po2, c2.supplierOf(), "INV-"+po2.OrderNo, w.Today.Add(-5*24*time.Hour))
	write(c2, "810_"+inv2.Number+".edi", inv2)

	// Price variance: line 1 billed 7.5 % above the PO price.
	po3, c3 := pick(pickPriceVar)
	inv3 := invoiceFor(po3, c3.supplierOf(), "INV-"+po3.OrderNo+"-PV", w.Today.Add(-4*24*time.Hour))
	inv3.Lines[0].UnitPrice = inv3.Lines[0].UnitPrice.Mul(money.MustParse("1.075")).Round(2)
	inv3.Total = inv3.ComputeTotal()
	write(c3, "810_"+inv3.Number+".edi", inv3)

	// Quantity over the PO: line 1 billed for 20 % more (at least one more).
	po4, c4 := pick(pickQtyOver)
	inv4 := invoiceFor(po4, c4.supplierOf(), "INV-"+po4.OrderNo+"-QO", w.Today.Add(-4*24*time.Hour))
	extra := inv4.Lines[0].Quantity.Mul(money.MustParse("0.2")).Round(0)
	if extra.Cmp(money.MustParse("1")) < 0 {
		extra = money.MustParse("1")
	}
	inv4.Lines[0].Quantity = inv4.Lines[0].Quantity.Add(extra)
	inv4.Total = inv4.ComputeTotal()
	write(c4, "810_"+inv4.Number+".edi", inv4)

	// Unknown partner: a supplier's new EDI mailbox that no one has mapped
	// yet. Its invoice is a clean one for an open order of that supplier and
	// names the supplier in N1*RE, as its billing system always does.
	if sup, po, ok := UnknownPartnerSupplier(w); ok {
		cu := s.connByAlias(w.UnknownPartner.Alias)
		invU := invoiceFor(po, &sup, UnknownPartnerInvoice, w.Today.Add(-3*24*time.Hour))
		write(cu, "810_"+UnknownPartnerInvoice+".edi", invU)
		s.billedByMailbox = po.OrderNo
	}

	// A PO that IFS does not have: a mapped supplier quotes its own
	// reference where the PO number belongs.
	poN, cN := pick(pickMissingPO)
	invN := invoiceFor(poN, cN.supplierOf(), MissingPOInvoice, w.Today.Add(-3*24*time.Hour))
	invN.PONumber = MissingPONumber
	write(cN, "810_"+MissingPOInvoice+".edi", invN)

	// A charge no GL rule covers (special handling).
	po5, c5 := pick(pickCharge)
	inv5 := invoiceFor(po5, c5.supplierOf(), "INV-"+po5.OrderNo+"-SH", w.Today.Add(-3*24*time.Hour))
	inv5.Charges = []x12.Charge{{Indicator: "C", Code: "H090", Amount: money.MustParse("45.00"), Description: "Special handling"}}
	inv5.Total = inv5.ComputeTotal()
	write(c5, "810_"+inv5.Number+".edi", inv5)

	// Duplicate invoice number: the first clean invoice sent again.
	write(c1, "810_"+inv1.Number+"_resend.edi", inv1)

	// Credit memo for one unit of the first line of the first order.
	cm := invoiceFor(po1, c1.supplierOf(), "CM-"+po1.OrderNo, w.Today.Add(-2*24*time.Hour))
	cm.Type, cm.CreditMemo = "CR", true
	cm.Lines = cm.Lines[:1]
	cm.Lines[0].Quantity = money.MustParse("1")
	cm.Total = cm.ComputeTotal()
	write(c1, "810_"+cm.Number+".edi", cm)

	// One file, several invoices (one supplier, up to three of its orders).
	_, c6 := pick(pickBatch)
	var multi []*x12.Invoice
	for _, po := range batchOrders(billable) {
		multi = append(multi, invoiceFor(po, c6.supplierOf(), "INV-"+po.OrderNo+"-M", w.Today.Add(-2*24*time.Hour)))
	}
	if len(multi) > 0 {
		write(c6, fmt.Sprintf("810_batch_%s.edi", strings.ToLower(c6.alias)), multi...)
	}

	// A malformed file: an 810 cut off mid-transmission, with a garbled amount.
	po7, c7 := pick(pickMalformed)
	inv7 := invoiceFor(po7, c7.supplierOf(), "INV-"+po7.OrderNo+"-BAD", w.Today.Add(-1*24*time.Hour))
	var b bytes.Buffer
	if x12.Write810(&b, s.envelopeFrom(c7, base), inv7) == nil {
		raw := b.String()
		raw = strings.Replace(raw, "IT1*", "IT1**", 1) // shifts every element of the first line
		raw = raw[:len(raw)*2/3]                       // no SE, GE or IEA
		s.inject(c7, "810_"+inv7.Number+".edi", []byte(raw), at())
	}

	// 997s for earlier 850s: one accepted, one rejected.
	ok := &x12.Ack{FunctionalID: "PO", GroupControlNumber: "4101", Status: "A", SetsIncluded: 1, SetsReceived: 1, SetsAccepted: 1,
		Sets: []x12.SetAck{{ID: "850", ControlNumber: "0001", Status: "A"}}}
	bad := &x12.Ack{FunctionalID: "PO", GroupControlNumber: "4102", Status: "R", SetsIncluded: 1, SetsReceived: 1, SetsAccepted: 0,
		Sets: []x12.SetAck{{ID: "850", ControlNumber: "0001", Status: "R", Errors: []x12.AckCode{{Code: "5"}},
			Segments: []x12.SegmentError{{SegmentID: "PO1", Position: 7, Code: "8", Elements: []x12.ElementError{{Position: 4, Code: "6", Value: "12,50"}}}}}},
		Errors: []x12.AckCode{{Code: "5"}}}
	for i, a := range []*x12.Ack{ok, bad} {
		_, c := pick([]int{pickAckOK, pickAckBad}[i])
		env := s.envelopeFrom(c, base)
		var ab bytes.Buffer
		if x12.Write997(&ab, env, a) == nil {
			s.inject(c, fmt.Sprintf("997_%s.edi", a.GroupControlNumber), ab.Bytes(), at())
		}
	}
}

// invoiceFor bills every line of po at its ordered quantity and price.
// The invoicing supplier (nil: none) names itself in N1*RE.
func invoiceFor(po domain.PurchaseOrder, sup *world.Supplier, number string, date time.Time) *x12.Invoice {
	inv := &x12.Invoice{Number: number, Date: x12.DateOf(date), PONumber: po.OrderNo, PODate: x12.DateOf(po.OrderDate),
		Type: "DI", Currency: po.Currency}
	if sup != nil {
		inv.Parties = []x12.Party{{Code: "RE", Name: sup.Name, IDQualifier: "92", ID: sup.SupplierID}}
	}
	for _, l := range po.Lines {
		inv.Lines = append(inv.Lines, x12.InvoiceLine{LineNumber: l.LineNo, Quantity: l.Quantity, UOM: x12UOM(l.Unit),
			UnitPrice: l.UnitPrice, BuyerPart: l.PartNo, VendorPart: l.VendorPartNo, Description: l.Description})
	}
	inv.Total = inv.ComputeTotal()
	return inv
}

// x12UOM maps IFS unit codes to X12 unit-of-measure codes (DE 355).
func x12UOM(u string) string {
	switch strings.ToLower(u) {
	case "pcs", "pc", "ea", "each":
		return "EA"
	case "kg":
		return "KG"
	case "m":
		return "MR"
	case "l":
		return "LT"
	case "box":
		return "BX"
	case "set":
		return "SET"
	case "pk", "pack":
		return "PK"
	case "h", "hr":
		return "HR"
	}
	return strings.ToUpper(u)
}
