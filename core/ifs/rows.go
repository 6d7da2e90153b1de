package ifs

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// str returns a string field ("" when absent or null); numbers are returned
// as their text, since keys such as LineNo are strings on some tenants and
// numbers on others.
func (r Row) str(name string) string {
	if name == "" {
		return ""
	}
	raw, ok := r[name]
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	return string(raw)
}

// Str returns a field as a string ("" when absent or null; a number as its text).
func (r Row) Str(name string) string { return r.str(name) }

// Decimal returns a field as an exact decimal (JSON number or string).
func (r Row) Decimal(name string) money.Decimal { return r.dec(name) }

// Int returns a field as an integer (0 when absent or not a number).
func (r Row) Int(name string) int64 { return r.int(name) }

// Date returns an Edm.Date (UTC midnight) or Edm.DateTimeOffset (in UTC)
// field; zero when absent.
func (r Row) Date(name string) time.Time { return r.date(name) }

// ETag returns the row's @odata.etag.
func (r Row) ETag() string { return r.str("@odata.etag") }

func (r Row) dec(name string) money.Decimal {
	raw, ok := r[name]
	if !ok {
		return money.Decimal{}
	}
	var d money.Decimal
	if err := d.UnmarshalJSON(raw); err != nil {
		return money.Decimal{}
	}
	return d
}

func (r Row) int(name string) int64 {
	n, _ := strconv.ParseInt(strings.Trim(r.str(name), " "), 10, 64)
	return n
}

// date reads an Edm.Date or Edm.DateTimeOffset; dates are UTC midnights.
func (r Row) date(name string) time.Time {
	s := r.str(name)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

// boolean reads an Edm.Boolean; absent, null or anything but true is false.
func (r Row) boolean(name string) bool {
	if name == "" {
		return false
	}
	return string(r[name]) == "true"
}

// fieldsOf is the resolver of tenant field names for one resource.
type fieldsOf struct{ r *Resource }

func (f fieldsOf) n(logical string) string { return f.r.Field(logical) }

func decodePO(p *Profile, row Row) domain.PurchaseOrder {
	f := fieldsOf{&p.PurchaseOrders}
	return domain.PurchaseOrder{
		OrderNo:           row.str(f.n("OrderNo")),
		Company:           row.str(f.n("Company")),
		Site:              row.str(f.n("Contract")),
		SupplierID:        row.str(f.n("VendorNo")),
		OrderDate:         row.date(f.n("OrderDate")),
		WantedReceiptDate: row.date(f.n("WantedReceiptDate")),
		Currency:          row.str(f.n("CurrencyCode")),
		BuyerCode:         row.str(f.n("BuyerCode")),
		Coordinator:       row.str(f.n("AuthorizeCode")),
		State:             row.str(f.n("Objstate")),
		ETag:              row.str("@odata.etag"),
	}
}

func decodeCode(res *Resource, row Row) domain.CodeString {
	f := fieldsOf{res}
	return domain.CodeString{
		Account: row.str(f.n("Account")), CodeB: row.str(f.n("CodeB")), CodeC: row.str(f.n("CodeC")),
		CodeD: row.str(f.n("CodeD")), CodeE: row.str(f.n("CodeE")), CodeF: row.str(f.n("CodeF")),
		CodeG: row.str(f.n("CodeG")), CodeH: row.str(f.n("CodeH")), CodeI: row.str(f.n("CodeI")),
		CodeJ: row.str(f.n("CodeJ")),
	}
}

func encodeCode(res *Resource, c domain.CodeString, m map[string]any) {
	f := fieldsOf{res}
	for _, kv := range [][2]string{{"Account", c.Account}, {"CodeB", c.CodeB}, {"CodeC", c.CodeC}, {"CodeD", c.CodeD},
		{"CodeE", c.CodeE}, {"CodeF", c.CodeF}, {"CodeG", c.CodeG}, {"CodeH", c.CodeH}, {"CodeI", c.CodeI}, {"CodeJ", c.CodeJ}} {
		if kv[1] != "" {
			m[f.n(kv[0])] = kv[1]
		}
	}
}

func decodePOLine(p *Profile, row Row) domain.PurchaseOrderLine {
	res := &p.PurchaseOrderLines
	f := fieldsOf{res}
	return domain.PurchaseOrderLine{
		OrderNo:            row.str(f.n("OrderNo")),
		LineNo:             row.str(f.n("LineNo")),
		ReleaseNo:          row.str(f.n("ReleaseNo")),
		PartNo:             row.str(f.n("PartNo")),
		VendorPartNo:       row.str(f.n("VendorPartNo")),
		Description:        row.str(f.n("Description")),
		Quantity:           row.dec(f.n("BuyQtyDue")),
		Unit:               row.str(f.n("BuyUnitMeas")),
		UnitPrice:          row.dec(f.n("BuyUnitPrice")),
		NetAmount:          row.dec(f.n("NetAmtCurr")),
		Currency:           row.str(f.n("CurrencyCode")),
		WantedDeliveryDate: row.date(f.n("WantedDeliveryDate")),
		State:              row.str(f.n("Objstate")),
		CodeString:         decodeCode(res, row),
		ETag:               row.str("@odata.etag"),
		InvoicedQty:        row.decOpt(f.n("QtyInvoiced")),
		ReceivedQty:        row.decOpt(f.n("QtyReceived")),
	}
}

// decOpt is a decimal that may be absent: nil when the field is not mapped,
// not in the row, null, or not a number (OData JSON Format §7.1: a property
// may be omitted from a response, and null is its absence of a value).
func (r Row) decOpt(name string) *money.Decimal {
	if name == "" {
		return nil
	}
	raw, ok := r[name]
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var d money.Decimal
	if err := d.UnmarshalJSON(raw); err != nil || !d.Valid() {
		return nil
	}
	return &d
}

func decodeSupplier(p *Profile, row Row) domain.Supplier {
	f := fieldsOf{&p.Suppliers}
	return domain.Supplier{
		SupplierID:  row.str(f.n("SupplierId")),
		Name:        row.str(f.n("Name")),
		CountryCode: row.str(f.n("CountryCode")),
		Currency:    row.str(f.n("Currency")),
		PayTermID:   row.str(f.n("PayTermId")),
		State:       row.str(f.n("Objstate")),
		EDIAddress:  row.str(f.n("EdiAddress")),
		EDIAlias:    row.str(f.n("EdiAlias")),
	}
}

func decodeInvoice(p *Profile, row Row) domain.SupplierInvoice {
	f := fieldsOf{&p.SupplierInvoices}
	inv := domain.SupplierInvoice{
		Company:     row.str(f.n("Company")),
		InvoiceID:   row.int(f.n("InvoiceId")),
		InvoiceNo:   row.str(f.n("InvoiceNo")),
		SupplierID:  row.str(f.n("Identity")),
		InvoiceDate: row.date(f.n("InvoiceDate")),
		DueDate:     row.date(f.n("DueDate")),
		Currency:    row.str(f.n("Currency")),
		PayTermID:   row.str(f.n("PayTermId")),
		PORef:       row.str(f.n("PoRefNumber")),
		GrossAmount: row.dec(f.n("GrossAmount")),
		NetAmount:   row.dec(f.n("NetCurrAmount")),
		TaxAmount:   row.dec(f.n("VatCurrAmount")),
		State:       row.str(f.n("Objstate")),
		ETag:        row.str("@odata.etag"),
		SelfBilling: row.boolean(f.n("SelfBilling")),
		Sent:        row.boolean(f.n("EdiSent")),
		CreatedAt:   row.date(f.n("CreationDate")),
	}
	inv.CreditNote = inv.NetAmount.Sign() < 0
	return inv
}

// encodeInvoice returns the writable header fields. Read-only, key and
// system fields (InvoiceId, Objstate, GrossAmount) are never sent: IFS
// rejects them in a POST.
func encodeInvoice(p *Profile, inv domain.SupplierInvoice) map[string]any {
	f := fieldsOf{&p.SupplierInvoices}
	m := map[string]any{
		f.n("Company"):       inv.Company,
		f.n("InvoiceNo"):     inv.InvoiceNo,
		f.n("Identity"):      inv.SupplierID,
		f.n("PartyType"):     "Supplier",
		f.n("Currency"):      inv.Currency,
		f.n("NetCurrAmount"): jsonDec(inv.NetAmount),
		f.n("VatCurrAmount"): jsonDec(inv.TaxAmount),
	}
	putDate(m, f.n("InvoiceDate"), inv.InvoiceDate)
	putDate(m, f.n("DueDate"), inv.DueDate)
	if inv.PayTermID != "" {
		m[f.n("PayTermId")] = inv.PayTermID
	}
	if inv.PORef != "" {
		m[f.n("PoRefNumber")] = inv.PORef
	}
	delete(m, "")
	return m
}

func decodeInvoiceLine(p *Profile, row Row) domain.SupplierInvoiceLine {
	f := fieldsOf{&p.InvoiceLines}
	return domain.SupplierInvoiceLine{
		ItemID:    row.int(f.n("ItemId")),
		TaxCode:   row.str(f.n("VatCode")),
		NetAmount: row.dec(f.n("NetCurrAmount")),
		TaxAmount: row.dec(f.n("VatCurrAmount")),
		OrderNo:   row.str(f.n("OrderNo")),
		LineNo:    row.str(f.n("LineNo")),
		ReleaseNo: row.str(f.n("ReleaseNo")),
		Text:      row.str(f.n("Text")),
		Quantity:  row.dec(f.n("Quantity")),
		UnitPrice: row.dec(f.n("UnitPrice")),
		UOM:       row.str(f.n("UnitMeas")),
	}
}

func encodeInvoiceLine(p *Profile, l domain.SupplierInvoiceLine) map[string]any {
	f := fieldsOf{&p.InvoiceLines}
	m := map[string]any{
		f.n("NetCurrAmount"): jsonDec(l.NetAmount),
		f.n("VatCurrAmount"): jsonDec(l.TaxAmount),
	}
	for _, kv := range [][2]string{{"VatCode", l.TaxCode}, {"OrderNo", l.OrderNo}, {"LineNo", l.LineNo}, {"ReleaseNo", l.ReleaseNo}, {"Text", l.Text}} {
		if kv[1] != "" {
			m[f.n(kv[0])] = kv[1]
		}
	}
	delete(m, "")
	return m
}

func decodePosting(p *Profile, row Row) domain.PostingLine {
	res := &p.PostingProposal
	f := fieldsOf{res}
	return domain.PostingLine{
		RowNo:   row.int(f.n("RowNo")),
		Code:    decodeCode(res, row),
		Amount:  row.dec(f.n("CurrAmount")),
		Text:    row.str(f.n("Text")),
		TaxCode: row.str(f.n("TaxCode")),
	}
}

func encodePosting(p *Profile, l domain.PostingLine) map[string]any {
	res := &p.PostingProposal
	f := fieldsOf{res}
	m := map[string]any{f.n("CurrAmount"): jsonDec(l.Amount)}
	encodeCode(res, l.Code, m)
	if l.Text != "" {
		m[f.n("Text")] = l.Text
	}
	if l.TaxCode != "" {
		m[f.n("TaxCode")] = l.TaxCode
	}
	delete(m, "")
	return m
}

// jsonDec writes a decimal as a JSON number with its exact digits (OData's
// default for Edm.Decimal), never through float64.
func jsonDec(d money.Decimal) json.Number { return json.Number(d.String()) }

func putDate(m map[string]any, name string, t time.Time) {
	if !t.IsZero() {
		m[name] = t.Format("2006-01-02")
	}
}
