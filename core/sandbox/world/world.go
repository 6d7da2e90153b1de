// Package world builds the seeded business world that both sandboxes (the IFS
// Cloud simulator in core/sandbox/ifssim and the Cleo simulator in
// core/sandbox/cleosim) serve: one mid-sized discrete manufacturer with two
// sites, a dozen suppliers that trade EDI through Cleo, a chart of accounts
// (code part A), cost centres (code part B) and about sixty purchase orders in
// every state a real order book shows.
//
// The world is a pure function of its seed: New(seed) called twice gives
// deeply equal worlds, so tests, demos and the two sandboxes agree on every
// order number, price and ISA id without talking to each other. A World is
// read-only once built; a sandbox that mutates data (releases an order,
// records an invoice) works on its own Clone.
//
// Conventions the sandboxes and tests can rely on:
//   - Company.ID is "MLC01"; sites are "MLC10" (main plant) and "MLC20"
//     (assembly plant). Every PO header and line carries one of them.
//   - Supplier ids are "SUP1001" … "SUP1012"; each supplier has exactly one
//     Cleo partner (Supplier.Partner) whose ExternalID is the supplier id and
//     whose Our* fields name us (World.Us).
//   - UnknownPartner is a Cleo partner that maps to no supplier (ExternalID
//     empty, ISA id not used by any supplier), for the "unknown partner" case.
//   - Order numbers are "P10001", "P10002", … in order-date order; line and
//     release numbers are strings ("1", "1") as in IFS.
//   - Every line's CodeString names an account and a cost centre that are
//     valid on World.Today; Accounts and CostCentres also hold values that
//     are expired or not yet valid, for the "invalid account" case.
//   - Dates are UTC midnights relative to World.Today, which is a fixed date
//     (DefaultToday) unless NewAt is used, never the wall clock.
package world

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// DefaultToday is the "current date" of a world built by New. It is fixed so
// a world never depends on when the test runs.
var DefaultToday = time.Date(2026, time.November, 16, 0, 0, 0, 0, time.UTC)

// Purchase-order states as IFS spells them (Objstate of header and line).
const (
	StatePlanned   = "Planned"
	StateReleased  = "Released"
	StateConfirmed = "Confirmed"
	StateArrived   = "Arrived"
	StateReceived  = "Received"
	StateClosed    = "Closed"
	StateCancelled = "Cancelled"
	StateStopped   = "Stopped"
)

// POStates lists every purchase-order state in lifecycle order.
var POStates = []string{StatePlanned, StateReleased, StateConfirmed, StateArrived, StateReceived, StateClosed, StateCancelled, StateStopped}

// World is the seeded data set. Treat it as read-only; use Clone for a
// mutable copy.
type World struct {
	Seed  int64
	Today time.Time // UTC midnight; "now" for validity and order dates

	Company Company
	Sites   []Site
	// Us is our own X12 identity: what suppliers put in ISA07/08 when they
	// send to us and what we put in ISA05/06 on outbound 850s.
	Us X12ID

	Suppliers []Supplier
	// UnknownPartner is a Cleo partner with no IFS supplier behind it.
	UnknownPartner domain.Partner

	Accounts    []domain.CodePartValue // code part A
	CostCentres []domain.CodePartValue // code part B

	PurchaseOrders []domain.PurchaseOrder // sorted by OrderNo, lines by LineNo
}

// Company is the one IFS company of the world.
type Company struct {
	ID       string // "MLC01"
	Name     string
	Currency string // accounting (base) currency
	Country  string
}

// Site is an IFS site ("Contract").
type Site struct {
	ID          string // "MLC10"
	Description string
	Company     string
	CostCentre  string // the code part B the site's lines post to by default
}

// X12ID is an interchange sender/receiver: ISA qualifier and id (unpadded),
// plus the GS application code.
type X12ID struct {
	Qualifier string // "ZZ", "01" …
	ID        string // at most 15 characters, unpadded
	GSID      string
}

// Supplier is an IFS supplier together with its EDI and Cleo identity.
type Supplier struct {
	domain.Supplier
	AssociationNo   string // company registration / VAT-ish number
	DefaultLanguage string // "en", "de" …
	TaxCode         string // default IFS tax code for its invoices
	// Partner is the supplier's Cleo connection. ExternalID = SupplierID,
	// ISAQualifier/ISAID identify the supplier, OurQualifier/OurID are World.Us.
	Partner domain.Partner
	// Category says what the supplier sells ("fasteners", "electronics" …);
	// its PO lines draw parts from that category.
	Category string
}

// Clone returns a deep copy that may be changed without touching w.
func (w *World) Clone() *World {
	c := *w
	c.Sites = slices.Clone(w.Sites)
	c.Suppliers = slices.Clone(w.Suppliers)
	c.Accounts = slices.Clone(w.Accounts)
	c.CostCentres = slices.Clone(w.CostCentres)
	c.PurchaseOrders = make([]domain.PurchaseOrder, len(w.PurchaseOrders))
	for i, po := range w.PurchaseOrders {
		c.PurchaseOrders[i] = ClonePO(po)
	}
	return &c
}

// ClonePO returns a copy of po with its own Lines slice.
func ClonePO(po domain.PurchaseOrder) domain.PurchaseOrder {
	po.Lines = slices.Clone(po.Lines)
	return po
}

// OpenStates are the states of orders a supplier still delivers and bills.
var OpenStates = []string{StateReleased, StateConfirmed, StateArrived, StateReceived}

// AddCopies appends n copies of w's orders (with lines) in the given
// states, taken in turn, numbered prefix00001 upwards: a load test's
// month-end (many orders, a few invoices each) over the same suppliers,
// parts and prices. The same world and arguments give the same orders.
func (w *World) AddCopies(n int, prefix string, states ...string) {
	var src []domain.PurchaseOrder
	for _, po := range w.PurchaseOrders {
		if slices.Contains(states, po.State) && len(po.Lines) > 0 {
			src = append(src, po)
		}
	}
	if len(src) == 0 {
		return
	}
	for i := range n {
		po := ClonePO(src[i%len(src)])
		po.OrderNo = fmt.Sprintf("%s%05d", prefix, i+1)
		for j := range po.Lines {
			po.Lines[j].OrderNo = po.OrderNo
		}
		w.PurchaseOrders = append(w.PurchaseOrders, po)
	}
}

// SupplierByID returns the supplier with IFS id id.
func (w *World) SupplierByID(id string) (Supplier, bool) {
	for _, s := range w.Suppliers {
		if s.SupplierID == id {
			return s, true
		}
	}
	return Supplier{}, false
}

// SupplierByISA returns the supplier whose Cleo partner has this ISA
// qualifier and id (ISA05/06 on what it sends). Trailing spaces in id are ignored.
func (w *World) SupplierByISA(qualifier, id string) (Supplier, bool) {
	id = trimRight(id)
	for _, s := range w.Suppliers {
		if s.Partner.ISAQualifier == qualifier && s.Partner.ISAID == id {
			return s, true
		}
	}
	return Supplier{}, false
}

// Partners returns every Cleo partner: one per supplier, then UnknownPartner.
func (w *World) Partners() []domain.Partner {
	out := make([]domain.Partner, 0, len(w.Suppliers)+1)
	for _, s := range w.Suppliers {
		out = append(out, s.Partner)
	}
	return append(out, w.UnknownPartner)
}

// PurchaseOrder returns the order with number no.
func (w *World) PurchaseOrder(no string) (domain.PurchaseOrder, bool) {
	for _, po := range w.PurchaseOrders {
		if po.OrderNo == no {
			return po, true
		}
	}
	return domain.PurchaseOrder{}, false
}

// OrdersOf returns the supplier's orders (shared line slices: do not mutate).
func (w *World) OrdersOf(supplierID string) []domain.PurchaseOrder {
	var out []domain.PurchaseOrder
	for _, po := range w.PurchaseOrders {
		if po.SupplierID == supplierID {
			out = append(out, po)
		}
	}
	return out
}

// OrdersInState returns the orders whose header state is state.
func (w *World) OrdersInState(state string) []domain.PurchaseOrder {
	var out []domain.PurchaseOrder
	for _, po := range w.PurchaseOrders {
		if po.State == state {
			out = append(out, po)
		}
	}
	return out
}

// CodePart returns the value of code part part ("A" accounts, "B" cost
// centres) with the given code, whatever its validity.
func (w *World) CodePart(part, value string) (domain.CodePartValue, bool) {
	var list []domain.CodePartValue
	switch part {
	case "A":
		list = w.Accounts
	case "B":
		list = w.CostCentres
	}
	for _, v := range list {
		if v.Value == value {
			return v, true
		}
	}
	return domain.CodePartValue{}, false
}

// ValidCode reports whether value exists for code part part and may be posted
// to on day t.
func (w *World) ValidCode(part, value string, t time.Time) bool {
	v, ok := w.CodePart(part, value)
	return ok && v.Valid(t)
}

func trimRight(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// New builds the world for seed, dated DefaultToday.
func New(seed int64) *World { return NewAt(seed, DefaultToday) }

// NewAt builds the world for seed with "today" set to the UTC date of today
// (for demos that want current-looking dates). Same seed and date → same world.
func NewAt(seed int64, today time.Time) *World {
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(uint64(seed), 0x6d6c632d776f726c)) // "mlc-worl"
	w := &World{
		Seed:  seed,
		Today: today,
		Company: Company{
			ID: "MLC01", Name: "Meridian Lakes Components Inc.", Currency: "USD", Country: "US",
		},
		Sites: []Site{
			{ID: "MLC10", Description: "Columbus Main Plant", Company: "MLC01", CostCentre: "110"},
			{ID: "MLC20", Description: "Dayton Assembly Plant", Company: "MLC01", CostCentre: "210"},
		},
		Us: X12ID{Qualifier: "ZZ", ID: "MERIDIANLAKES", GSID: "MERIDIANLAKES"},
	}
	w.Accounts = accounts(today)
	w.CostCentres = costCentres(today)
	w.Suppliers = suppliers(r, w.Us)
	w.UnknownPartner = domain.Partner{
		ID:           connID(r),
		Alias:        "ORPHAN_TRADING_AS2",
		ISAQualifier: "ZZ",
		ISAID:        "ORPHANTRADING",
		OurQualifier: w.Us.Qualifier,
		OurID:        w.Us.ID,
		Enabled:      true,
		Transport:    "as2",
	}
	w.PurchaseOrders = orders(r, w)
	return w
}

func day(t time.Time, d int) time.Time { return t.AddDate(0, 0, d) }

func cpv(part, value, desc string, from, until time.Time) domain.CodePartValue {
	return domain.CodePartValue{Company: "MLC01", CodePart: part, Value: value, Description: desc, ValidFrom: from, ValidUntil: until}
}

// accounts is the chart of accounts the lines post to, plus one closed and
// one future account for validation tests.
func accounts(today time.Time) []domain.CodePartValue {
	open := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	return []domain.CodePartValue{
		cpv("A", "1410", "Raw material inventory", open, time.Time{}),
		cpv("A", "1420", "Purchased components inventory", open, time.Time{}),
		cpv("A", "2410", "Goods received not invoiced", open, time.Time{}),
		cpv("A", "4010", "Raw materials consumed", open, time.Time{}),
		cpv("A", "4020", "Purchased components", open, time.Time{}),
		cpv("A", "4030", "Packaging materials", open, time.Time{}),
		cpv("A", "4050", "Freight inbound", open, time.Time{}),
		cpv("A", "4090", "Obsolete material write-off (closed)", open, day(today, -200)),
		cpv("A", "5110", "Consumables and MRO supplies", open, time.Time{}),
		cpv("A", "5120", "Repairs and maintenance", open, time.Time{}),
		cpv("A", "5130", "Chemicals and coatings", open, time.Time{}),
		cpv("A", "5210", "Utilities", open, time.Time{}),
		cpv("A", "6110", "Office supplies", open, time.Time{}),
		cpv("A", "6210", "IT services and software", open, time.Time{}),
		cpv("A", "6990", "New plant start-up costs (from next year)", day(today, 60), time.Time{}),
	}
}

// costCentres are code part B values, one or more per site function.
func costCentres(today time.Time) []domain.CodePartValue {
	open := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	return []domain.CodePartValue{
		cpv("B", "100", "Columbus plant overhead", open, time.Time{}),
		cpv("B", "110", "Columbus machining", open, time.Time{}),
		cpv("B", "120", "Columbus quality", open, time.Time{}),
		cpv("B", "130", "Columbus maintenance", open, time.Time{}),
		cpv("B", "190", "Columbus paint shop (closed)", open, day(today, -90)),
		cpv("B", "200", "Dayton plant overhead", open, time.Time{}),
		cpv("B", "210", "Dayton assembly", open, time.Time{}),
		cpv("B", "220", "Dayton test and packing", open, time.Time{}),
		cpv("B", "400", "Logistics", open, time.Time{}),
		cpv("B", "500", "Administration", open, time.Time{}),
		cpv("B", "600", "IT", open, time.Time{}),
	}
}

type supplierSeed struct {
	name, country, currency, terms, lang, category, transport, alias string
	qual                                                             string
}

var supplierSeeds = []supplierSeed{
	{"Buckeye Fastener Supply Co.", "US", "USD", "N30", "en", "fasteners", "as2", "BUCKEYE_FASTENER_AS2", "01"},
	{"Great Lakes Steel Service", "US", "USD", "N45", "en", "steel", "sftp", "GREATLAKES_STEEL_SFTP", "01"},
	{"Keystone Bearing Works LLC", "US", "USD", "2/10N30", "en", "bearings", "as2", "KEYSTONE_BEARING_AS2", "01"},
	{"Rheinfeld Präzisionsteile GmbH", "DE", "EUR", "N60", "de", "machined", "as2", "RHEINFELD_AS2", "ZZ"},
	{"Midlands Castings Ltd", "GB", "GBP", "N30", "en", "castings", "sftp", "MIDLANDS_CASTINGS_SFTP", "ZZ"},
	{"Polder Polymers B.V.", "NL", "EUR", "N45", "nl", "plastics", "as2", "POLDER_POLYMERS_AS2", "ZZ"},
	{"Pacific Crest Electronics Corp.", "US", "USD", "N30", "en", "electronics", "as2", "PACIFICCREST_AS2", "01"},
	{"Nordvik Hydraulik AB", "SE", "EUR", "N60", "sv", "hydraulics", "ftp", "NORDVIK_FTP", "ZZ"},
	{"Thames Valley Packaging Ltd", "GB", "GBP", "N30", "en", "packaging", "sftp", "THAMESVALLEY_PACK_SFTP", "ZZ"},
	{"Ohio River Coatings Inc.", "US", "USD", "N30", "en", "chemicals", "ftp", "OHIORIVER_COAT_FTP", "12"},
	{"Lyonnaise de Câblage SA", "FR", "EUR", "N45", "fr", "cables", "as2", "LYON_CABLAGE_AS2", "ZZ"},
	{"Heartland Industrial MRO", "US", "USD", "N30", "en", "mro", "sftp", "HEARTLAND_MRO_SFTP", "01"},
}

var taxByCountry = map[string]string{"US": "EXEMPT", "DE": "EU-RC", "NL": "EU-RC", "SE": "EU-RC", "FR": "EU-RC", "GB": "GB-RC"}

func suppliers(r *rand.Rand, us X12ID) []Supplier {
	out := make([]Supplier, len(supplierSeeds))
	for i, s := range supplierSeeds {
		id := fmt.Sprintf("SUP%d", 1001+i)
		var isa string
		switch s.qual {
		case "01": // DUNS
			isa = fmt.Sprintf("%09d", 100000000+r.IntN(899999999))
		case "12": // phone number
			isa = fmt.Sprintf("614%07d", r.IntN(10000000))
		default:
			isa = fmt.Sprintf("%.10s%03d", shortName(s.alias), r.IntN(1000))
		}
		out[i] = Supplier{
			Supplier: domain.Supplier{
				SupplierID:  id,
				Name:        s.name,
				CountryCode: s.country,
				Currency:    s.currency,
				PayTermID:   s.terms,
				State:       "Active",
			},
			AssociationNo:   fmt.Sprintf("%s%09d", s.country, r.IntN(1000000000)),
			DefaultLanguage: s.lang,
			TaxCode:         taxByCountry[s.country],
			Category:        s.category,
			Partner: domain.Partner{
				ID:           connID(r),
				Alias:        s.alias,
				ISAQualifier: s.qual,
				ISAID:        isa,
				OurQualifier: us.Qualifier,
				OurID:        us.ID,
				ExternalID:   id,
				Enabled:      true,
				Transport:    s.transport,
			},
		}
	}
	return out
}

func shortName(alias string) string {
	b := make([]byte, 0, len(alias))
	for i := 0; i < len(alias) && alias[i] != '_'; i++ {
		b = append(b, alias[i])
	}
	return string(b)
}

// connID makes a Cleo-style opaque id: 22 URL-safe characters.
func connID(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// part is a catalogue item a supplier sells.
type part struct {
	no, desc, unit string
	price          string // typical unit price in USD
	account        string
	fracQty        bool // quantity may have decimals (KG, M, L)
}

var catalogue = map[string][]part{
	"fasteners": {
		{"FA-10020", "Hex bolt M10x40 8.8 zinc", "PCS", "0.18", "4020", false},
		{"FA-10055", "Flange nut M10 zinc", "PCS", "0.07", "4020", false},
		{"FA-10310", "Socket cap screw M6x20 12.9", "BOX", "14.50", "4020", false},
		{"FA-10880", "Flat washer M10 (box of 500)", "BOX", "9.80", "4020", false},
	},
	"steel": {
		{"ST-20100", "Cold rolled sheet 2mm S235", "KG", "1.12", "4010", true},
		{"ST-20140", "Round bar 40mm 42CrMo4", "M", "18.40", "4010", true},
		{"ST-20210", "Square tube 50x50x3", "M", "9.75", "4010", true},
	},
	"bearings": {
		{"BR-30011", "Deep groove ball bearing 6205-2RS", "PCS", "3.85", "4020", false},
		{"BR-30027", "Tapered roller bearing 30206", "PCS", "11.20", "4020", false},
		{"BR-30090", "Linear guide carriage 20mm", "PCS", "46.00", "4020", false},
	},
	"machined": {
		{"MC-40012", "Drive shaft, machined, hardened", "PCS", "87.50", "4020", false},
		{"MC-40033", "Gearbox housing cover", "PCS", "142.00", "4020", false},
		{"MC-40048", "Precision bushing 25H7", "PCS", "6.30", "4020", false},
	},
	"castings": {
		{"CA-50005", "Pump housing, grey iron GG25", "PCS", "64.00", "4020", false},
		{"CA-50019", "Motor end shield, aluminium", "PCS", "23.40", "4020", false},
	},
	"plastics": {
		{"PL-60002", "PA66 GF30 pellets", "KG", "3.90", "4010", true},
		{"PL-60015", "Injection-moulded cable clip", "PCS", "0.11", "4020", false},
		{"PL-60040", "ABS cover panel, black", "PCS", "2.75", "4020", false},
	},
	"electronics": {
		{"EL-70001", "Motor controller PCB rev C", "PCS", "38.90", "4020", false},
		{"EL-70014", "Proximity sensor M12 PNP", "PCS", "17.60", "4020", false},
		{"EL-70022", "Connector kit 12-pin", "BOX", "42.00", "4020", false},
	},
	"hydraulics": {
		{"HY-80003", "Hydraulic cylinder 40/22x200", "PCS", "189.00", "4020", false},
		{"HY-80017", "Hydraulic oil HLP 46", "L", "2.45", "5130", true},
		{"HY-80031", "Pressure hose 1/2in 1m", "PCS", "14.80", "4020", false},
	},
	"packaging": {
		{"PK-90001", "Corrugated box 600x400x400", "PCS", "1.35", "4030", false},
		{"PK-90012", "Stretch film 500mm", "BOX", "24.00", "4030", false},
		{"PK-90020", "Euro pallet, heat treated", "PCS", "11.50", "4030", false},
	},
	"chemicals": {
		{"CH-11004", "Powder coat RAL 7035", "KG", "7.20", "5130", true},
		{"CH-11018", "Degreaser concentrate", "L", "4.10", "5130", true},
	},
	"cables": {
		{"CB-12002", "Control cable 7G1.5 shielded", "M", "2.95", "4020", true},
		{"CB-12015", "Wire harness, main panel", "PCS", "56.00", "4020", false},
		{"CB-12031", "Power cable 4G6", "M", "6.40", "4020", true},
	},
	"mro": {
		{"MR-13001", "Cutting insert CNMG 120408", "BOX", "68.00", "5110", false},
		{"MR-13009", "Safety gloves, cut level C", "BOX", "32.50", "5110", false},
		{"", "Machine repair service, hourly (no-part line)", "PCS", "95.00", "5120", false},
		{"MR-13040", "Shop towels", "BOX", "18.00", "5110", false},
	},
}

var fx = map[string]money.Decimal{ // price factor from USD list prices
	"USD": money.MustParse("1"),
	"EUR": money.MustParse("0.92"),
	"GBP": money.MustParse("0.79"),
}

var buyers = []string{"JSMITH", "MGARCIA", "TCHEN", "ANOWAK"}

// stateMix gives how many headers get each state: about sixty in all, most
// in the states an integration cares about (Released, Confirmed).
var stateMix = []struct {
	state string
	n     int
}{
	{StatePlanned, 6}, {StateReleased, 15}, {StateConfirmed, 12}, {StateArrived, 5},
	{StateReceived, 9}, {StateClosed, 7}, {StateCancelled, 3}, {StateStopped, 3},
}

func orders(r *rand.Rand, w *World) []domain.PurchaseOrder {
	var states []string
	for _, m := range stateMix {
		for range m.n {
			states = append(states, m.state)
		}
	}
	r.Shuffle(len(states), func(i, j int) { states[i], states[j] = states[j], states[i] })

	// Older orders are further along: sort the ages descending and give the
	// oldest ages to the most advanced states.
	rank := map[string]int{StateClosed: 0, StateReceived: 1, StateCancelled: 2, StateStopped: 2, StateArrived: 3, StateConfirmed: 4, StateReleased: 5, StatePlanned: 6}
	slices.SortStableFunc(states, func(a, b string) int { return rank[a] - rank[b] })

	out := make([]domain.PurchaseOrder, len(states))
	ages := make([]int, len(states))
	for i := range ages {
		ages[i] = 1 + r.IntN(120)
	}
	slices.Sort(ages)
	slices.Reverse(ages)
	// Keep states in rank order but jitter ages so states overlap in time.
	for i, st := range states {
		age := ages[i]
		switch st {
		case StatePlanned:
			age = 1 + r.IntN(10)
		case StateReleased:
			age = 2 + r.IntN(20)
		}
		sup := w.Suppliers[r.IntN(len(w.Suppliers))]
		site := w.Sites[r.IntN(len(w.Sites))]
		od := day(w.Today, -age)
		po := domain.PurchaseOrder{
			Company:           w.Company.ID,
			Site:              site.ID,
			SupplierID:        sup.SupplierID,
			OrderDate:         od,
			WantedReceiptDate: day(od, 14+r.IntN(32)),
			Currency:          sup.Currency,
			BuyerCode:         buyers[r.IntN(len(buyers))],
			Coordinator:       buyers[r.IntN(len(buyers))],
			State:             st,
		}
		po.Lines = lines(r, w, sup, site, po)
		out[i] = po
	}
	// Number in order-date order, as IFS's sequence would.
	slices.SortStableFunc(out, func(a, b domain.PurchaseOrder) int { return a.OrderDate.Compare(b.OrderDate) })
	for i := range out {
		no := fmt.Sprintf("P%d", 10001+i)
		out[i].OrderNo = no
		for j := range out[i].Lines {
			out[i].Lines[j].OrderNo = no
		}
	}
	return out
}

func lines(r *rand.Rand, w *World, sup Supplier, site Site, po domain.PurchaseOrder) []domain.PurchaseOrderLine {
	cat := catalogue[sup.Category]
	n := 1 + r.IntN(5)
	if n > len(cat) {
		n = len(cat)
	}
	perm := r.Perm(len(cat))
	out := make([]domain.PurchaseOrderLine, 0, n)
	for i := 0; i < n; i++ {
		p := cat[perm[i]]
		var qty money.Decimal
		switch {
		case p.fracQty:
			qty = money.New(int64(50+r.IntN(1950))*10+int64(r.IntN(2))*5, 1).Normalize() // e.g. 812.5
		case p.unit == "BOX":
			qty = money.FromInt(int64(2 + r.IntN(30)))
		default:
			qty = money.FromInt(int64(10 * (1 + r.IntN(50))))
		}
		list := money.MustParse(p.price)
		// ±8 % around the list price, converted to the order currency.
		adj := money.New(int64(92+r.IntN(17)), 2)
		// Cents for normal prices, four decimals for cheap piece parts, as
		// IFS price lists usually hold them.
		places := 2
		if list.Cmp(money.FromInt(1)) < 0 {
			places = 4
		}
		price := list.Mul(adj).Mul(fx[po.Currency]).Round(places)
		cc := site.CostCentre
		if p.account == "5120" || p.account == "5110" {
			cc = map[string]string{"MLC10": "130", "MLC20": "200"}[site.ID]
		}
		st := po.State
		if st == StateArrived && i > 0 && r.IntN(2) == 0 {
			st = StateConfirmed // partly arrived order
		}
		if st == StateReceived && i > 0 && r.IntN(3) == 0 {
			st = StateArrived
		}
		out = append(out, domain.PurchaseOrderLine{
			LineNo:             fmt.Sprint(i + 1),
			ReleaseNo:          "1",
			PartNo:             p.no,
			VendorPartNo:       vendorPart(sup.SupplierID, p.no),
			Description:        p.desc,
			Quantity:           qty,
			Unit:               p.unit,
			UnitPrice:          price,
			NetAmount:          qty.Mul(price).Round(2),
			Currency:           po.Currency,
			WantedDeliveryDate: day(po.WantedReceiptDate, r.IntN(3)*7),
			State:              st,
			CodeString:         domain.CodeString{Account: p.account, CodeB: cc},
			// Goods of arrived and received lines are in; nothing is
			// invoiced in IFS itself (the connector's invoices are
			// manual supplier invoices, which IFS does not match).
			ReceivedQty: receivedQty(st, qty),
			InvoicedQty: new(money.Zero),
		})
	}
	return out
}

// receivedQty is what IFS shows as received on a line in state st.
func receivedQty(st string, qty money.Decimal) *money.Decimal {
	if st == StateArrived || st == StateReceived || st == StateClosed {
		return new(qty)
	}
	return new(money.Zero)
}

// vendorPart is the supplier's own number for our part; no-part lines have none.
func vendorPart(supplierID, partNo string) string {
	if partNo == "" {
		return ""
	}
	return supplierID[3:] + "-" + partNo[3:]
}
