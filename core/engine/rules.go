package engine

import (
	"sort"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// Tolerance bounds how far an invoice may differ from its PO. Percentages
// are of the PO value ("2" = 2 %).
type Tolerance struct {
	PricePct money.Decimal `json:"price_pct"`
	QtyPct   money.Decimal `json:"qty_pct"`
	// Match is store.MatchThreeWay when invoices must also stay within the
	// quantity IFS reports as received; empty is two-way (against the PO).
	Match string `json:"match,omitempty"`
	// Absolute accepts a price difference whose effect on the line amount
	// is at most this much in the invoice currency (0: not used), so a
	// 0.01 rounding on a cheap part is not a variance.
	Absolute money.Decimal `json:"absolute"`
}

// DefaultTolerance is the company default when nothing is configured:
// prices within 2 %, quantities never above the PO.
var DefaultTolerance = Tolerance{PricePct: money.FromInt(2), QtyPct: money.FromInt(0)}

// Mappings is the snapshot of admin-maintained rules a run works with. The
// store keeps each entry versioned; Version is the highest version seen, so
// each processed document records which rules it used.
type Mappings struct {
	// PartnerSupplier maps "QUAL:ID" (ISA sender) to an IFS supplier id.
	PartnerSupplier map[string]string
	// Tolerances by supplier id; "*" is the company default.
	Tolerances map[string]Tolerance
	// GLRules by "SUPPLIER|CHARGE" with "*" wildcards on either side; the
	// charge "NONPO" codes invoice lines that match no PO line.
	GLRules map[string]domain.CodeString
	// Units converts a supplier's X12 unit to the IFS unit of the PO line:
	// key "SUPPLIER|X12UNIT" or "|X12UNIT" for every supplier.
	Units map[string]UnitConversion
	// SelfBilling holds the suppliers whose invoices we write and send
	// as 810s (a partner mapping's self-billing flag).
	SelfBilling map[string]bool
	Version     int64
}

// UnitConversion says that one X12 unit is Factor IFS units (a box of 12:
// X12 "BX" → IFS "pcs", factor 12).
type UnitConversion struct {
	IFSUnit string
	Factor  money.Decimal
}

func (m Mappings) glRule(supplier, charge string) (domain.CodeString, bool) {
	for _, k := range []string{supplier + "|" + charge, "*|" + charge, supplier + "|*", "*|*"} {
		if c, ok := m.GLRules[k]; ok {
			return c, true
		}
	}
	return domain.CodeString{}, false
}

// openPOStates are the IFS order states an invoice may be matched against.
var openPOStates = map[string]bool{"Released": true, "Confirmed": true, "Arrived": true, "Received": true}

var hundred = money.FromInt(100)

// within reports whether |got-want| <= want*pct/100.
func within(got, want, pct money.Decimal) bool {
	diff := got.Sub(want).Abs()
	limit := want.Abs().Mul(pct).Div(hundred, 6)
	return diff.Cmp(limit) <= 0
}

// matchPOLine finds the PO line an invoice line refers to: by line number
// (IT101 carries the PO line by convention), then buyer part, then vendor part.
func matchPOLine(l InvoiceLine, po domain.PurchaseOrder) (domain.PurchaseOrderLine, bool) {
	if l.LineNumber != "" {
		for _, pl := range po.Lines {
			if strings.TrimLeft(pl.LineNo, "0") == strings.TrimLeft(l.LineNumber, "0") {
				return pl, true
			}
		}
	}
	for _, pl := range po.Lines {
		if l.BuyerPart != "" && strings.EqualFold(pl.PartNo, l.BuyerPart) {
			return pl, true
		}
		if l.VendorPart != "" && strings.EqualFold(pl.VendorPartNo, l.VendorPart) {
			return pl, true
		}
	}
	return domain.PurchaseOrderLine{}, false
}

// Reference is the reference data a run validates against.
type Reference struct {
	Suppliers map[string]domain.Supplier
	Accounts  map[string]domain.CodePartValue // code part A by value; empty = not loaded, no check
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

// nameSimilarity is a token Jaccard score in [0,1] on upper-cased words,
// ignoring company suffixes, for suggesting partner ↔ supplier matches.
func nameSimilarity(a, b string) float64 {
	ta, tb := tokens(a), tokens(b)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	inter := 0
	for t := range ta {
		if tb[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(ta)+len(tb)-inter)
}

var stopWords = map[string]bool{"INC": true, "LLC": true, "LTD": true, "GMBH": true, "AG": true, "CO": true,
	"CORP": true, "SA": true, "AS2": true, "EDI": true, "THE": true, "AND": true, "BV": true, "AB": true, "OY": true, "SRL": true}

func tokens(s string) map[string]bool {
	out := map[string]bool{}
	f := strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	for _, w := range f {
		if !stopWords[w] {
			out[w] = true
		}
	}
	return out
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}
