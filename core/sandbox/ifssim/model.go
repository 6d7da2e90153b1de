package ifssim

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// Table names in the store.
const (
	tabPO       = "po"
	tabPOLine   = "poline"
	tabSupplier = "supplier"
	tabSuppComp = "suppcomp"
	tabSuppAddr = "suppaddr"
	tabCompany  = "company"
	tabCodeA    = "codea"
	tabCodeB    = "codeb"
	tabInvoice  = "invoice"
	tabItem     = "item"
	tabPosting  = "posting"
	tabHistory  = "history"
	tabHistAttr = "histattr"
)

// InvoiceCreator is the Creator IFS stores on manual supplier invoices.
const InvoiceCreator = "MAN_SUPP_INVOICE_API"

// SelfBillingCreator is the Creator of the seeded self-billing invoices
// (a sandbox name [I]): IFS makes them from receipts, not the connector.
const SelfBillingCreator = "SELF_BILLING_INVOICE_API"

// invoiceStates are the manual supplier invoice states seen in IFS UIs.
var invoiceStates = []string{"Preliminary", "PrelPosted", "Posted", "PartlyPaidPosted", "PaidPosted", "Cancelled"}

// model is the set of services built from the names.
type model struct {
	services map[string]*service
	types    map[string]*entityType // by table
}

func buildModel(n Names) *model {
	m := &model{services: map[string]*service{}, types: map[string]*entityType{}}
	s := func(name string) prop { return prop{name: name, typ: tString} }
	d := func(name string) prop { return prop{name: name, typ: tDecimal} }
	date := func(name string) prop { return prop{name: name, typ: tDate} }
	en := func(name, enum string) prop { return prop{name: name, typ: tEnum, enum: enum} }
	ro := func(p prop) prop { p.readOnly = true; return p }

	poState := enumType{n.PurchaseOrderState, world.POStates}
	lineState := enumType{n.PurchaseOrderLineState, world.POStates}
	supState := enumType{"SupplierInfoState", []string{"Active", "Blocked", "Inactive"}}
	invState := enumType{n.InvoiceState, invoiceStates}
	party := enumType{n.PartyTypeEnum, []string{"Company", "Customer", "Supplier", "Person", "Manufacturer", "Owner", "ForwardingAgent"}}

	line := &entityType{
		name: "PurchaseOrderLine", luname: "PurchaseOrderLine", table: tabPOLine,
		keys: []string{"OrderNo", "LineNo", "ReleaseNo"},
		props: []prop{s("OrderNo"), s("LineNo"), s("ReleaseNo"), ro(en("Objstate", lineState.name)),
			s("PartNo"), s("VendorPartNo"), s("Description"), d("BuyQtyDue"), s("BuyUnitMeas"), d("BuyUnitPrice"),
			d("FbuyUnitPrice"), s("PriceUnitMeas"), ro(d("NetAmtCurr")), ro(d("GrossAmtCurr")), s("CurrencyCode"),
			s("Contract"), s("VendorNo"), date("WantedDeliveryDate"), date("PlannedReceiptDate"), s("ProjectId"),
			// Pre-posting code string of the line [I]: sandbox names.
			s("CodeA"), s("CodeB"),
			// Quantities received and invoiced in IFS [I]: sandbox names,
			// read-only like every derived quantity.
			ro(d("QtyReceived")), ro(d("QtyInvoiced"))},
		update: true,
	}
	partLine := *line
	partLine.name = "PurchaseOrderLinePart"
	partLine.subset = func(r *row) bool { return r.str("PartNo") != "" }
	nopartLine := *line
	nopartLine.name = "PurchaseOrderLineNopart"
	nopartLine.subset = func(r *row) bool { return r.str("PartNo") == "" }

	po := &entityType{
		name: "PurchaseOrder", luname: "PurchaseOrder", table: tabPO,
		keys: []string{"OrderNo"},
		props: []prop{s("OrderNo"), ro(en("Objstate", poState.name)), s("Company"), s("Contract"), s("VendorNo"),
			date("OrderDate"), date("WantedReceiptDate"), s("CurrencyCode"), s("BuyerCode"), s("AuthorizeCode")},
		update: true,
		navs:   []*nav{{name: n.PurchaseOrderLinesNav, target: line, fk: [][2]string{{"OrderNo", "OrderNo"}}}},
	}
	m.types[tabPO], m.types[tabPOLine] = po, line
	m.add(&service{name: n.PurchaseOrderProjection, sets: []*entitySet{
		{n.PurchaseOrderSet, po}, {n.PurchaseOrderNopartSet, &nopartLine},
	}, enums: enums(poState, lineState)}, n, "main", "int")
	m.add(&service{name: n.POLineEntity, sets: []*entitySet{{n.POLineSet, line}}, enums: enums(lineState)}, n, "entity")
	m.add(&service{name: n.POLinePartEntity, sets: []*entitySet{{n.POLinePartSet, &partLine}}, enums: enums(lineState)}, n, "entity")

	suppComp := &entityType{name: "SupplierInvoiceCompany", luname: "IdentityInvoiceInfo", table: tabSuppComp,
		keys:  []string{"SupplierId", "Company"},
		props: []prop{s("SupplierId"), s("Company"), s("PayTermId"), s("Currency"), s("DefaultTaxCode")}}
	suppAddr := &entityType{name: "SupplierInfoAddress", luname: "SupplierInfoAddress", table: tabSuppAddr,
		keys:  []string{"SupplierId", "AddressId"},
		props: []prop{s("SupplierId"), s("AddressId"), s("Address1"), s("City"), s("ZipCode"), s("CountryCode")}}
	supplier := &entityType{name: "SupplierInfoGeneral", luname: "SupplierInfoGeneral", table: tabSupplier,
		keys: []string{"SupplierId"}, update: true,
		props: []prop{s("SupplierId"), ro(en("Objstate", supState.name)), s("Name"), s("AssociationNo"),
			s("CountryCode"), s("DefaultLanguage"),
			// Where this sandbox keeps a supplier's EDI identity (the
			// profile's suppliers.EdiAddress/EdiAlias; a guess, see
			// core/ifs/SUPPLIER_EDI.md).
			s("EdiAddress"), s("EdiAlias")},
		navs: []*nav{
			{name: n.SupplierCompanyNav, target: suppComp, fk: [][2]string{{"SupplierId", "SupplierId"}}},
			{name: n.SupplierAddressNav, target: suppAddr, fk: [][2]string{{"SupplierId", "SupplierId"}}},
		}}
	m.types[tabSupplier], m.types[tabSuppComp], m.types[tabSuppAddr] = supplier, suppComp, suppAddr
	for _, p := range n.SupplierProjections {
		m.add(&service{name: p, sets: []*entitySet{{n.SupplierSet, supplier}}, enums: enums(supState)}, n, "main", "int")
	}

	code := func(part, table string) *entityType {
		return &entityType{name: "AccountingCodePart" + part + "Value", luname: "AccountingCodePartValue", table: table,
			keys: []string{"Company", "Code" + part},
			props: []prop{s("Company"), s("Code" + part), s("CodePart"), s("Description"), date("ValidFrom"),
				date("ValidUntil"), s("BudgetValueDb")}}
	}
	codeA, codeB := code("A", tabCodeA), code("B", tabCodeB)
	company := &entityType{name: "CompanyFinance", luname: "CompanyFinance", table: tabCompany,
		keys:  []string{"Company"},
		props: []prop{s("Company"), s("Description"), s("CurrencyCode")},
		navs: []*nav{
			{name: n.CodeANav, target: codeA, fk: [][2]string{{"Company", "Company"}}},
			{name: n.CodeBNav, target: codeB, fk: [][2]string{{"Company", "Company"}}},
		}}
	m.types[tabCompany], m.types[tabCodeA], m.types[tabCodeB] = company, codeA, codeB
	m.add(&service{name: n.CodePartProjection, sets: []*entitySet{{n.CompanyFinanceSet, company}}}, n, "main", "int")

	item := &entityType{name: "ManSuppInvoiceItem", luname: "ManSuppInvoiceItem", table: tabItem,
		keys: []string{"Company", "InvoiceId", "ItemId"}, genKey: "ItemId",
		props: []prop{s("Company"), {name: "InvoiceId", typ: tInt}, {name: "ItemId", typ: tInt}, s("VatCode"),
			d("NetCurrAmount"), d("VatCurrAmount"), d("GrossCurrAmount"), s("PoRefNumber"), s("OrderNo"),
			s("LineNo"), s("ReleaseNo"), s("Text"),
			// What a self-billing line bills [I]: sandbox names.
			d("Quantity"), d("UnitPrice"), s("UnitMeas")},
		insert: true, update: true, delete: true, validate: validateItem}
	posting := &entityType{name: "ManSuppInvoicePosting", luname: "ManSuppInvoicePostings", table: tabPosting,
		keys: []string{"Company", "InvoiceId", "RowNo"}, genKey: "RowNo",
		props: []prop{s("Company"), {name: "InvoiceId", typ: tInt}, {name: "RowNo", typ: tInt}, {name: "ItemId", typ: tInt},
			s("Account"), s("CodeB"), s("CodeC"), s("CodeD"), s("CodeE"), s("CodeF"), s("CodeG"), s("CodeH"),
			s("CodeI"), s("CodeJ"), d("CurrAmount"), s("Text"), s("TaxCode"), s("Authorizer")},
		insert: true, update: true, delete: true, validate: validatePosting}
	invoice := &entityType{name: "ManSuppInvoice", luname: "ManSuppInvoice", table: tabInvoice,
		keys: []string{"Company", "InvoiceId"}, genKey: "InvoiceId",
		props: []prop{s("Company"), {name: "InvoiceId", typ: tInt}, ro(en("Objstate", invState.name)), s("InvoiceNo"),
			s("Identity"), en("PartyType", party.name), date("InvoiceDate"), date("DueDate"), date("ArrivalDate"),
			s("Currency"), d("CurrRate"), s("PayTermId"), d("GrossAmount"), d("NetCurrAmount"), d("VatCurrAmount"),
			s("PoRefNumber"), s("Creator"), s("VoucherText"),
			// Self-billing marker, "already sent" flag and creation time
			// [I]: sandbox names (core/ifs/SELF_BILLING.md).
			{name: "SelfBilling", typ: tBool}, {name: "EdiSent", typ: tBool}, ro(prop{name: "CreationDate", typ: tDateTime}),
			// ProposalBalance is the posting-proposal balance: sum of posting
			// amounts minus the net amount; read-only, may be non-zero.
			ro(d("ProposalBalance"))},
		insert: true, update: true, delete: true, validate: validateInvoice,
		navs: []*nav{
			{name: n.InvoiceItemNav, target: item, fk: [][2]string{{"Company", "Company"}, {"InvoiceId", "InvoiceId"}}},
			{name: n.PostingNav, target: posting, fk: [][2]string{{"Company", "Company"}, {"InvoiceId", "InvoiceId"}}},
		}}
	m.types[tabInvoice], m.types[tabItem], m.types[tabPosting] = invoice, item, posting
	m.add(&service{name: n.InvoiceProjection, sets: []*entitySet{{n.InvoiceSet, invoice}}, enums: enums(invState, party)}, n, "main", "int")

	attr := &entityType{name: "HistoryLogAttribute", luname: "HistoryLogAttribute", table: tabHistAttr,
		keys:  []string{"LogId", "ColumnName"},
		props: []prop{{name: "LogId", typ: tInt}, s("ColumnName"), s("ColumnNamePrompt"), s("OldValue"), s("NewValue")}}
	history := &entityType{name: "HistoryLog", luname: "HistoryLog", table: tabHistory,
		keys: []string{"LogId"},
		props: []prop{{name: "LogId", typ: tInt}, s("LuName"), s("TableName"), s("KeyRef"), s("Keys"),
			{name: "TimeStamp", typ: tDateTime}, s("Username"), s("HistoryType")},
		navs: []*nav{{name: n.HistoryAttributeNav, target: attr, fk: [][2]string{{"LogId", "LogId"}}}}}
	m.types[tabHistory], m.types[tabHistAttr] = history, attr
	m.add(&service{name: n.HistoryLogProjection, sets: []*entitySet{
		{n.HistoryLogSet, history}, {n.HistoryDetailsSet, history},
	}}, n, "main", "int")
	return m
}

func enums(es ...enumType) map[string]enumType {
	m := map[string]enumType{}
	for _, e := range es {
		m[e.name] = e
	}
	return m
}

func (m *model) add(sv *service, n Names, roots ...string) {
	if r, ok := n.Roots[sv.name]; ok {
		roots = r
	}
	sv.roots = roots
	m.services[sv.name] = sv
}

// store is the mutable data behind the services.
type store struct {
	tables map[string][]*row
	seq    map[string]int64 // last generated key per table
	clock  int64            // logical clock: every write ticks it, so Objversion changes
	rowids int64
	epoch  time.Time
	// undo, while a $batch change set runs, records how to take back its
	// writes (begin, commit, rollback); nil otherwise.
	undo *undoLog
	// keyCols are the key properties of each table. Key values never change
	// in place (PATCH takes keys from the URL), so rows can be indexed by
	// any set of key columns.
	keyCols map[string][]string
	// indexes are built on first use, by table and column set; adding a row
	// updates them, removing rows or rolling back drops the table's.
	indexes map[string]map[string]*index
}

// secondaryCols are columns besides the keys that may be indexed: the
// duplicate check before every supplier invoice asks by company, supplier
// and number, and scanning every invoice for it made a backlog drain of
// 50,000 invoices quadratic in the sandbox. Unlike keys they may change in
// place, so a PATCH moves its row between buckets (reindex) and a rolled
// back change set that changed rows in place drops every index.
var secondaryCols = map[string][]string{tabInvoice: {"Company", "Identity", "InvoiceNo"}}

// index finds rows by the values of some key (or secondary) columns.
type index struct {
	cols []string
	m    map[string][]*row
}

// indexKey renders the values of cols canonically; ok is false when a
// value has a type keys never have.
func indexKey(cols []string, get func(string) any) (string, bool) {
	var b strings.Builder
	for _, c := range cols {
		switch v := get(c).(type) {
		case string:
			b.WriteByte('s')
			b.WriteString(v)
		case int64:
			b.WriteByte('i')
			b.WriteString(strconv.FormatInt(v, 10))
		case nil:
			b.WriteByte('n')
		default:
			return "", false
		}
		b.WriteByte(0)
	}
	return b.String(), true
}

// lookup returns the rows of table whose values equal vals (a set of key
// columns), through an index; ok is false when vals are not all key
// columns of the table, and the caller must scan.
func (st *store) lookup(table string, vals map[string]any) (rows []*row, ok bool) {
	if len(vals) == 0 {
		return nil, false
	}
	cols := make([]string, 0, len(vals))
	for c := range vals {
		if !slices.Contains(st.keyCols[table], c) && !slices.Contains(secondaryCols[table], c) {
			return nil, false
		}
		cols = append(cols, c)
	}
	sort.Strings(cols)
	name := strings.Join(cols, ",")
	ix := st.indexes[table][name]
	if ix == nil {
		ix = &index{cols: cols, m: map[string][]*row{}}
		for _, r := range st.tables[table] {
			if k, ok := indexKey(cols, func(c string) any { return r.v[c] }); ok {
				ix.m[k] = append(ix.m[k], r)
			}
		}
		if st.indexes == nil {
			st.indexes = map[string]map[string]*index{}
		}
		if st.indexes[table] == nil {
			st.indexes[table] = map[string]*index{}
		}
		st.indexes[table][name] = ix
	}
	k, ok := indexKey(cols, func(c string) any { return vals[c] })
	if !ok {
		return nil, false
	}
	return ix.m[k], true
}

// undoLog is what a change set needs to roll back: the scalars and the key
// sequences as they were, the slice of every table it added rows to or
// removed rows from, and the old values of every row it changed in place.
// Only what the change set touches is saved, not the whole store.
type undoLog struct {
	clock, rowids int64
	seq           map[string]int64
	tables        map[string][]*row
	rows          map[*row]savedRow
}

type savedRow struct {
	v   map[string]any
	ver int64
}

// begin starts recording a change set.
func (st *store) begin() {
	seq := make(map[string]int64, len(st.seq))
	for k, v := range st.seq {
		seq[k] = v
	}
	st.undo = &undoLog{clock: st.clock, rowids: st.rowids, seq: seq,
		tables: map[string][]*row{}, rows: map[*row]savedRow{}}
}

// commit keeps the change set's writes.
func (st *store) commit() { st.undo = nil }

// rollback takes back every write since begin.
func (st *store) rollback() {
	u := st.undo
	if u == nil {
		return
	}
	st.undo = nil
	for r, old := range u.rows {
		r.v, r.ver = old.v, old.ver
	}
	for t, rows := range u.tables {
		st.tables[t] = rows
		delete(st.indexes, t)
	}
	if len(u.rows) > 0 {
		st.indexes = nil // values restored in place: secondary buckets may be wrong
	}
	st.clock, st.rowids, st.seq = u.clock, u.rowids, u.seq
}

// willChangeTable must be called before rows are added to or removed from
// table. Adding appends past the saved length and removing builds a new
// slice, so the saved slice header still sees the old rows.
func (st *store) willChangeTable(table string) {
	if st.undo == nil {
		return
	}
	if _, ok := st.undo.tables[table]; !ok {
		st.undo.tables[table] = st.tables[table]
	}
}

// willChangeRow must be called before r's values or version change in place.
func (st *store) willChangeRow(r *row) {
	if st.undo == nil {
		return
	}
	if _, ok := st.undo.rows[r]; !ok {
		v := make(map[string]any, len(r.v))
		for k, x := range r.v {
			v[k] = x
		}
		st.undo.rows[r] = savedRow{v: v, ver: r.ver}
	}
}

// newRow stores values as a new row with a fresh Objid and version.
func (st *store) newRow(table string, v map[string]any) *row {
	st.willChangeTable(table)
	st.rowids++
	st.clock++
	r := &row{v: v, objid: rowid(table, st.rowids), ver: st.clock}
	st.tables[table] = append(st.tables[table], r)
	for _, ix := range st.indexes[table] {
		if k, ok := indexKey(ix.cols, func(c string) any { return v[c] }); ok {
			ix.m[k] = append(ix.m[k], r)
		}
	}
	return r
}

// reindex moves r, whose values were old before a PATCH, to the buckets of
// its new values in table's indexes.
func (st *store) reindex(table string, r *row, old map[string]any) {
	for _, ix := range st.indexes[table] {
		was, ok1 := indexKey(ix.cols, func(c string) any { return old[c] })
		now, ok2 := indexKey(ix.cols, func(c string) any { return r.v[c] })
		if ok1 == ok2 && was == now {
			continue
		}
		if ok1 {
			ix.m[was] = slices.DeleteFunc(ix.m[was], func(x *row) bool { return x == r })
		}
		if ok2 {
			ix.m[now] = append(ix.m[now], r)
		}
	}
}

// touch gives r a new Objversion.
func (st *store) touch(r *row) {
	st.willChangeRow(r)
	st.clock++
	r.ver = st.clock
}

// objversion renders a version as IFS does: a YYYYMMDDHHMMSS timestamp.
func (st *store) objversion(r *row) string {
	return st.epoch.Add(time.Duration(r.ver) * time.Second).Format("20060102150405")
}

// rowid makes an Oracle-rowid-looking Objid (18 base64 characters).
func rowid(table string, n int64) string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var blk [6]byte
	for i := 5; i >= 0; i-- {
		blk[i] = b64[n%64]
		n /= 64
	}
	t := strings.ToUpper(table + "xxx")[:3]
	return "AAA" + t + "AAFAAB" + string(blk[:])
}

// nilIfEmpty stores an empty text as null, as IFS does.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// load fills a store from the world.
func load(w *world.World) *store {
	st := &store{tables: map[string][]*row{}, seq: map[string]int64{}, epoch: w.Today.Add(6 * time.Hour)}
	dateOrNil := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	for _, po := range w.PurchaseOrders {
		st.newRow(tabPO, map[string]any{
			"OrderNo": po.OrderNo, "Objstate": po.State, "Company": po.Company, "Contract": po.Site,
			"VendorNo": po.SupplierID, "OrderDate": po.OrderDate, "WantedReceiptDate": dateOrNil(po.WantedReceiptDate),
			"CurrencyCode": po.Currency, "BuyerCode": po.BuyerCode, "AuthorizeCode": po.Coordinator,
		})
		for _, l := range po.Lines {
			st.newRow(tabPOLine, map[string]any{
				"OrderNo": l.OrderNo, "LineNo": l.LineNo, "ReleaseNo": l.ReleaseNo, "Objstate": l.State,
				"PartNo": nilIfEmpty(l.PartNo), "VendorPartNo": nilIfEmpty(l.VendorPartNo), "Description": l.Description,
				"BuyQtyDue": l.Quantity, "BuyUnitMeas": l.Unit, "BuyUnitPrice": l.UnitPrice, "FbuyUnitPrice": l.UnitPrice,
				"PriceUnitMeas": l.Unit, "NetAmtCurr": l.NetAmount, "GrossAmtCurr": l.NetAmount, "CurrencyCode": l.Currency,
				"Contract": po.Site, "VendorNo": po.SupplierID, "WantedDeliveryDate": dateOrNil(l.WantedDeliveryDate),
				"PlannedReceiptDate": dateOrNil(l.WantedDeliveryDate), "ProjectId": nil,
				"CodeA": nilIfEmpty(l.CodeString.Account), "CodeB": nilIfEmpty(l.CodeString.CodeB),
				"QtyReceived": decOrZero(l.ReceivedQty), "QtyInvoiced": decOrZero(l.InvoicedQty),
			})
		}
	}
	for _, s := range w.Suppliers {
		st.newRow(tabSupplier, map[string]any{
			"SupplierId": s.SupplierID, "Objstate": s.State, "Name": s.Name, "AssociationNo": s.AssociationNo,
			"CountryCode": s.CountryCode, "DefaultLanguage": s.DefaultLanguage,
			"EdiAddress": nilIfEmpty(s.EDIAddress), "EdiAlias": nilIfEmpty(s.EDIAlias),
		})
		st.newRow(tabSuppComp, map[string]any{
			"SupplierId": s.SupplierID, "Company": w.Company.ID, "PayTermId": s.PayTermID, "Currency": s.Currency,
			"DefaultTaxCode": nilIfEmpty(s.TaxCode),
		})
		st.newRow(tabSuppAddr, map[string]any{
			"SupplierId": s.SupplierID, "AddressId": "1", "Address1": "1 " + strings.Fields(s.Name)[0] + " Street",
			"City": "", "ZipCode": "", "CountryCode": s.CountryCode,
		})
	}
	for _, inv := range world.SelfBillingInvoices(w) {
		st.newRow(tabInvoice, map[string]any{
			"Company": inv.Company, "InvoiceId": inv.InvoiceID, "Objstate": inv.State, "InvoiceNo": inv.InvoiceNo,
			"Identity": inv.SupplierID, "PartyType": "Supplier", "InvoiceDate": inv.InvoiceDate, "DueDate": nil,
			"ArrivalDate": nil, "Currency": inv.Currency, "CurrRate": money.FromInt(1), "PayTermId": inv.PayTermID,
			"GrossAmount": inv.GrossAmount, "NetCurrAmount": inv.NetAmount, "VatCurrAmount": money.Zero,
			"PoRefNumber": inv.PORef, "Creator": SelfBillingCreator, "VoucherText": nil,
			"SelfBilling": true, "EdiSent": false, "CreationDate": inv.CreatedAt, "ProposalBalance": money.Zero,
		})
		for _, l := range inv.Lines {
			st.newRow(tabItem, map[string]any{
				"Company": inv.Company, "InvoiceId": inv.InvoiceID, "ItemId": l.ItemID, "VatCode": nilIfEmpty(l.TaxCode),
				"NetCurrAmount": l.NetAmount, "VatCurrAmount": l.TaxAmount, "GrossCurrAmount": l.NetAmount,
				"PoRefNumber": l.OrderNo, "OrderNo": l.OrderNo, "LineNo": l.LineNo, "ReleaseNo": l.ReleaseNo,
				"Text": l.Text, "Quantity": l.Quantity, "UnitPrice": l.UnitPrice, "UnitMeas": l.UOM,
			})
		}
	}
	st.newRow(tabCompany, map[string]any{"Company": w.Company.ID, "Description": w.Company.Name, "CurrencyCode": w.Company.Currency})
	for _, a := range w.Accounts {
		st.newRow(tabCodeA, codeRow(a.Company, "A", a.Value, a.Description, a.ValidFrom, a.ValidUntil))
	}
	for _, b := range w.CostCentres {
		st.newRow(tabCodeB, codeRow(b.Company, "B", b.Value, b.Description, b.ValidFrom, b.ValidUntil))
	}
	return st
}

// openEnd is how IFS stores "valid until further notice".
var openEnd = time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC)

func codeRow(company, part, value, desc string, from, until time.Time) map[string]any {
	if until.IsZero() {
		until = openEnd
	}
	return map[string]any{"Company": company, "Code" + part: value, "CodePart": part, "Description": desc,
		"ValidFrom": from, "ValidUntil": until, "BudgetValueDb": "FALSE"}
}

// dbError is a PL/SQL business-rule failure as IFS reports it.
func dbError(ora int, lu, key, format string, args ...any) *odataError {
	msg := fmt.Sprintf(format, args...)
	return &odataError{status: 400, code: "DATABASE_ERROR",
		message: fmt.Sprintf("ORA-%d: %s.%s: %s", ora, lu, key, msg),
		details: []odataDetail{{Code: "DATABASE_ERROR", Message: msg}}}
}

func validateInvoice(s *Server, st *store, r *row, insert bool) *odataError {
	if r.str("Company") != s.world.Company.ID {
		return dbError(20111, "CompanyFinance", "NOTEXIST", "Company %s does not exist.", r.str("Company"))
	}
	id := r.str("Identity")
	if id == "" {
		return dbError(20115, "ManSuppInvoice", "MANDATORY", "Field [Identity] is mandatory for Manual Supplier Invoice.")
	}
	if r.str("InvoiceNo") == "" {
		return dbError(20115, "ManSuppInvoice", "MANDATORY", "Field [InvoiceNo] is mandatory for Manual Supplier Invoice.")
	}
	sup, ok := s.world.SupplierByID(id)
	if !ok {
		return dbError(20111, "SupplierInfo", "NOTEXIST", "Supplier %s does not exist.", id)
	}
	if insert {
		if r.v["PartyType"] == nil {
			r.v["PartyType"] = "Supplier"
		}
		if r.v["Currency"] == nil {
			r.v["Currency"] = sup.Currency
		}
		if r.v["PayTermId"] == nil {
			r.v["PayTermId"] = sup.PayTermID
		}
		if r.v["Creator"] == nil {
			r.v["Creator"] = InvoiceCreator
		}
		if r.v["InvoiceDate"] == nil {
			r.v["InvoiceDate"] = s.world.Today
		}
		if r.v["CurrRate"] == nil {
			r.v["CurrRate"] = money.FromInt(1)
		}
		r.v["Objstate"] = "Preliminary"
		r.v["CreationDate"] = s.cfg.Now().UTC().Truncate(time.Second)
		if r.v["SelfBilling"] == nil {
			r.v["SelfBilling"] = false
		}
		if r.v["EdiSent"] == nil {
			r.v["EdiSent"] = false
		}
	}
	if r.str("PartyType") != "Supplier" {
		return dbError(20112, "ManSuppInvoice", "PARTYTYPE", "Party type %s is not allowed for a supplier invoice.", r.str("PartyType"))
	}
	if !s.cfg.DuplicateInvoiceWarnOnly {
		same, ok := st.lookup(tabInvoice, map[string]any{"Company": r.str("Company"), "Identity": id, "InvoiceNo": r.str("InvoiceNo")})
		if !ok {
			same = st.tables[tabInvoice]
		}
		for _, o := range same {
			if o != r && o.str("Company") == r.str("Company") && o.str("Identity") == id &&
				o.str("InvoiceNo") == r.str("InvoiceNo") && o.str("Objstate") != "Cancelled" {
				return dbError(20112, "ManSuppInvoice", "DUPLINVNO",
					"Invoice number %s already exists for supplier %s (invoice id %d).", r.str("InvoiceNo"), id, o.int("InvoiceId"))
			}
		}
	}
	return nil
}

func validateItem(s *Server, st *store, r *row, insert bool) *odataError {
	if no := r.str("OrderNo"); no != "" {
		if _, ok := s.world.PurchaseOrder(no); !ok && findRow(st, tabPO, map[string]any{"OrderNo": no}) == nil {
			return dbError(20111, "PurchaseOrder", "NOTEXIST", "Purchase order %s does not exist.", no)
		}
	}
	return nil
}

func validatePosting(s *Server, st *store, r *row, insert bool) *odataError {
	c := r.str("Company")
	acc := r.str("Account")
	if acc == "" {
		return dbError(20115, "ManSuppInvoicePostings", "MANDATORY", "Field [Account] is mandatory for Posting Proposal.")
	}
	if !codeValid(st, tabCodeA, "CodeA", c, acc, s.world.Today) {
		return dbError(20105, "Accounting_Codestr_API", "ACCNOTEXIST",
			"Account %s does not exist or is not valid in company %s on %s.", acc, c, s.world.Today.Format("2006-01-02"))
	}
	if b := r.str("CodeB"); b != "" && !codeValid(st, tabCodeB, "CodeB", c, b, s.world.Today) {
		return dbError(20105, "Accounting_Codestr_API", "CODEPARTNOTEXIST",
			"Code part value %s does not exist or is not valid for code part B in company %s.", b, c)
	}
	for _, p := range []string{"C", "D", "E", "F", "G", "H", "I", "J"} {
		if v := r.str("Code" + p); v != "" {
			return dbError(20105, "Accounting_Codestr_API", "CODEPARTNOTUSED",
				"Code part %s is not used in company %s (value %s).", p, c, v)
		}
	}
	return nil
}

func codeValid(st *store, table, col, company, value string, t time.Time) bool {
	r := findRow(st, table, map[string]any{"Company": company, col: value})
	if r == nil {
		return false
	}
	from, until := r.date("ValidFrom"), r.date("ValidUntil")
	return !t.Before(from) && !t.After(until)
}

func findRow(st *store, table string, keys map[string]any) *row {
	if rows, ok := st.lookup(table, keys); ok {
		for _, r := range rows {
			if rowMatches(r, keys) {
				return r
			}
		}
		return nil
	}
	for _, r := range st.tables[table] {
		if rowMatches(r, keys) {
			return r
		}
	}
	return nil
}

func rowMatches(r *row, keys map[string]any) bool {
	for k, v := range keys {
		if !valueEqual(r.v[k], v) {
			return false
		}
	}
	return true
}

func valueEqual(a, b any) bool {
	switch x := a.(type) {
	case money.Decimal:
		y, ok := b.(money.Decimal)
		return ok && x.Equal(y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}

// historyChange is one column change for the History Log.
type historyChange struct {
	column, prompt, old, new string
}

// logHistory writes a History Log entry for a changed purchase-order header
// or line when Config.HistoryLog is on. Caller holds s.mu.
func (s *Server) logHistory(st *store, et *entityType, r *row, user string, changes []historyChange) {
	if !s.cfg.HistoryLog || len(changes) == 0 || (et.table != tabPO && et.table != tabPOLine) {
		return
	}
	st.seq[tabHistory]++
	id := st.seq[tabHistory]
	c := &reqCtx{s: s, st: st}
	keyref := c.keyref(et, r)
	table := "PURCHASE_ORDER_TAB"
	if et.table == tabPOLine {
		table = "PURCHASE_ORDER_LINE_TAB"
	}
	st.newRow(tabHistory, map[string]any{
		"LogId": id, "LuName": et.luname, "TableName": table, "KeyRef": keyref,
		"Keys":      strings.ReplaceAll(strings.TrimSuffix(keyref, "^"), "^", ", "),
		"TimeStamp": s.cfg.Now().UTC().Truncate(time.Second), "Username": user, "HistoryType": "Update",
	})
	for _, ch := range changes {
		st.newRow(tabHistAttr, map[string]any{"LogId": id, "ColumnName": ch.column, "ColumnNamePrompt": ch.prompt,
			"OldValue": ch.old, "NewValue": ch.new})
	}
}

// diffRows lists the columns that differ between two versions of a row.
func diffRows(et *entityType, before, after *row) []historyChange {
	var out []historyChange
	for _, p := range et.props {
		a, b := before.v[p.name], after.v[p.name]
		if valueEqual(a, b) {
			continue
		}
		out = append(out, historyChange{column: dbColumn(p.name), prompt: p.name, old: histValue(a), new: histValue(b)})
	}
	return out
}

func histValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.Format("2006-01-02")
	case int64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}

func decOrZero(d *money.Decimal) money.Decimal {
	if d == nil {
		return money.Zero
	}
	return *d
}
