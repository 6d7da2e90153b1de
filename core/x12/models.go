package x12

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
	"time"
	"unsafe"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// Reference is a REF segment.
type Reference struct {
	Qualifier   string `json:"qualifier"` // REF01: IA, VR, DP, PO, IV …
	ID          string `json:"id"`        // REF02
	Description string `json:"description,omitempty"`
}

// Contact is a PER segment.
type Contact struct {
	Function string `json:"function"` // PER01: BD buyer, IC information contact …
	Name     string `json:"name,omitempty"`
	Phone    string `json:"phone,omitempty"` // TE
	Fax      string `json:"fax,omitempty"`   // FX
	Email    string `json:"email,omitempty"` // EM
}

// Party is an N1 loop (N1, N2, N3, N4, REF, PER).
type Party struct {
	Code        string      `json:"code"` // N101: ST ship-to, BT bill-to, SU supplier, RE remit-to …
	Name        string      `json:"name,omitempty"`
	IDQualifier string      `json:"id_qualifier,omitempty"` // N103: 1 DUNS, 92 buyer-assigned …
	ID          string      `json:"id,omitempty"`           // N104
	Name2       string      `json:"name2,omitempty"`        // N201
	Address     []string    `json:"address,omitempty"`      // N301, N302 (and a second N3)
	City        string      `json:"city,omitempty"`
	State       string      `json:"state,omitempty"`
	PostalCode  string      `json:"postal_code,omitempty"`
	Country     string      `json:"country,omitempty"`
	References  []Reference `json:"references,omitempty"`
	Contacts    []Contact   `json:"contacts,omitempty"`
}

// Terms is an ITD segment.
type Terms struct {
	Type            string        `json:"type,omitempty"`       // ITD01: 01 basic, 05 discount not applicable …
	BasisDate       string        `json:"basis_date,omitempty"` // ITD02: 3 invoice date …
	DiscountPercent money.Decimal `json:"discount_percent,omitzero"`
	DiscountDueDate Date          `json:"discount_due_date,omitzero"`
	DiscountDays    int           `json:"discount_days,omitempty"`
	NetDueDate      Date          `json:"net_due_date,omitzero"`
	NetDays         int           `json:"net_days,omitempty"`
	DiscountAmount  money.Decimal `json:"discount_amount,omitzero"` // ITD08, implied 2 decimals
	Description     string        `json:"description,omitempty"`    // ITD12
}

// DateRef is a DTM segment.
type DateRef struct {
	Qualifier string `json:"qualifier"` // DTM01: 002 delivery requested, 011 shipped, 003 invoice …
	Date      Date   `json:"date,omitzero"`
	Time      string `json:"time,omitempty"`
}

// ProductID is one qualifier/ID pair of a PO1 or IT1 line.
type ProductID struct {
	Qualifier string `json:"qualifier"` // BP buyer part, VP vendor part, UP UPC …
	ID        string `json:"id"`
}

// Charge is an SAC allowance or charge.
type Charge struct {
	Indicator   string        `json:"indicator"` // SAC01: A allowance, C charge, N no allowance or charge
	Code        string        `json:"code,omitempty"`
	Amount      money.Decimal `json:"amount"`                // SAC05, implied 2 decimals
	Percent     money.Decimal `json:"percent,omitzero"`      // SAC07
	Description string        `json:"description,omitempty"` // SAC15, else the code's meaning
	Position    int           `json:"-"`
}

// Signed is the amount as it changes a total: charges add, allowances
// subtract, anything else counts zero.
func (c Charge) Signed() money.Decimal {
	switch c.Indicator {
	case "C":
		return c.Amount
	case "A":
		return c.Amount.Neg()
	}
	return money.Zero
}

// Tax is a TXI segment.
type Tax struct {
	Type string `json:"type"` // TXI01: ST state, LS state and local, VA VAT, FD federal …
	// Amount is TXI02, kept when zero: "tax 0" is a statement, unlike
	// NoAmount (TXI02 empty, e.g. a percent only).
	Amount   money.Decimal `json:"amount"`
	NoAmount bool          `json:"no_amount,omitempty"`
	Percent  money.Decimal `json:"percent,omitzero"`
}

// mapper turns a set's segments into a typed document, collecting
// positioned problems.
type mapper struct {
	set    *Set
	curPos int // Pos of the segment split into the ends (0: none)
	// The element ends of the current segment live in an array inside the
	// mapper (on the stack for the 810), so splitting stores no pointers
	// and costs no write barriers; only segments longer than shortSeg bytes
	// use the slice.
	n       int
	arr     [shortSeg + 4]int32
	long    bool
	special bool // the current segment may hold a component or repetition separator
	plain   bool // the whole set holds neither separator: no segment needs the test
	comp    byte // the set's component separator (0: none)
	rep     byte // the set's repetition separator (0: none)
	ext     []int32
	errs    []Issue
	warns   []Issue
	syn     []Issue       // syntax problems of the dictionary, merged at the end
	lineSum money.Decimal // 810: sum of the line extensions so far
}

// shortSeg is the longest segment split into the mapper's array.
const shortSeg = 256

func newMapper(s *Set) *mapper {
	m := &mapper{set: s, comp: s.comp, rep: s.rep}
	m.errs = append(m.errs, s.Errors...)
	m.warns = append(m.warns, s.Warnings...)
	return m
}

func (m *mapper) errorf(g *Segment, elem int, lvl Level, code, value, format string, args ...any) {
	if len(m.errs) < maxIssues {
		m.errs = append(m.errs, m.set.issue(g, elem, lvl, code, value, fmt.Sprintf(format, args...)))
	}
}

func (m *mapper) warnf(g *Segment, elem int, format string, args ...any) {
	if len(m.warns) < maxIssues {
		m.warns = append(m.warns, m.set.issue(g, elem, LevelSegment, "", "", fmt.Sprintf(format, args...)))
	}
}

// ends are the element ends of the segment split last: element i is
// raw[ends[i-1]+1 : ends[i]].
func (m *mapper) ends() []int32 {
	if m.long {
		return m.ext
	}
	return m.arr[:m.n]
}

// el is element i of g; the mapper splits each segment once, into offsets.
func (m *mapper) el(g *Segment, i int) string {
	if m.curPos != g.Pos { // a mapper serves one set, where Pos is unique
		m.split(g)
	}
	e := m.ends()
	if i <= 0 || i >= len(e) {
		return ""
	}
	return g.raw[e[i-1]+1 : e[i]]
}

func (m *mapper) split(g *Segment) {
	m.splitRaw(g.raw, len(g.ID), g.Pos, g.sep)
}

// splitRaw splits the segment at position pos whose text is raw and whose ID
// is idLen bytes long, and returns its element ends.
func (m *mapper) splitRaw(raw string, idLen, pos int, sep byte) []int32 {
	m.curPos = pos
	start := idLen
	if len(raw) <= shortSeg {
		// Short segments (nearly all): one pass over the bytes, eight at a
		// time, beats a call to IndexByte per element.
		m.long = false
		m.arr[0] = int32(start)
		n := 1
		m.special = false
		if start < len(raw) {
			if m.plain {
				n = splitPlain(raw, start+1, sep, &m.arr, n)
			} else {
				n, m.special = splitShort(raw, start+1, sep, m.comp, m.rep, &m.arr, n)
			}
			m.arr[n] = int32(len(raw))
			n++
		}
		m.n = n
		return m.arr[:n]
	}
	m.long = true
	body := raw[start:]
	m.special = !m.plain && (m.comp != 0 && strings.IndexByte(body, m.comp) >= 0 || m.rep != 0 && strings.IndexByte(body, m.rep) >= 0)
	ends := append(m.ext[:0], int32(start))
	for start < len(raw) {
		j := strings.IndexByte(raw[start+1:], sep)
		if j < 0 {
			start = len(raw)
		} else {
			start += 1 + j
		}
		ends = append(ends, int32(start))
	}
	m.ext = ends
	return ends
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
	lo7 = 0x7f7f7f7f7f7f7f7f
)

// splitPlain is splitShort for a set known to hold no component or
// repetition separator (the mapper tests the whole set once, which costs
// far less than a test per word). It uses the exact zero-byte test, which
// flags only bytes equal to sep, so no candidate needs confirming.
func splitPlain(raw string, k int, sep byte, ends *[shortSeg + 4]int32, n int) int {
	b := unsafe.Slice(unsafe.StringData(raw), len(raw))
	pat := uint64(sep) * lo8
	for ; k+8 <= len(b); k += 8 {
		x := binary.LittleEndian.Uint64(b[k:]) ^ pat
		t := ^((x&lo7 + lo7) | x | lo7)
		for t != 0 {
			ends[n] = int32(k + bits.TrailingZeros64(t)>>3)
			n++
			t &= t - 1
		}
	}
	for ; k < len(b); k++ {
		if b[k] == sep {
			ends[n] = int32(k)
			n++
		}
	}
	return n
}

// splitShort stores the position of every sep in raw[k:] in ends from
// index n on and returns the new count (raw is at most shortSeg bytes, so
// the array has room). It tests eight bytes per step for a byte equal to
// sep (the classic "has zero byte" test on raw XOR sep), then confirms each
// candidate, since the test can flag a byte right after a real match.
//
// special reports whether the bytes from k on may hold comp or rep (0:
// none in use): the same test on the same word, exact for "is there one in
// these eight bytes", so a segment without them costs two more tests a word
// and no second pass. A zero comp or rep tests for NUL, which X12 forbids
// in data anyway: a false "maybe" only costs the slower check.
func splitShort(raw string, k int, sep, comp, rep byte, ends *[shortSeg + 4]int32, n int) (int, bool) {
	b := unsafe.Slice(unsafe.StringData(raw), len(raw))
	pat := uint64(sep) * lo8
	cpat, rpat := uint64(comp)*lo8, uint64(rep)*lo8
	var seen uint64
	for ; k+8 <= len(b); k += 8 {
		w := binary.LittleEndian.Uint64(b[k:])
		c, r := w^cpat, w^rpat
		seen |= (c-lo8)&^c | (r-lo8)&^r
		x := w ^ pat
		t := (x - lo8) &^ x & hi8
		for t != 0 {
			i := k + bits.TrailingZeros64(t)>>3
			if b[i] == sep {
				ends[n] = int32(i)
				n++
			}
			t &= t - 1
		}
	}
	special := seen&hi8 != 0
	for ; k < len(b); k++ {
		switch b[k] {
		case sep:
			ends[n] = int32(k)
			n++
		case comp, rep:
			special = true
		}
	}
	return n, special
}

// elemAt is element i of a segment split into ends, "" when absent. The
// text and the ends are separate arguments so that escape analysis sees the
// result come from raw only, and the mapper holding the ends stays on the
// stack.
func elemAt(raw string, ends []int32, i int) string {
	if i <= 0 || i >= len(ends) {
		return ""
	}
	return raw[ends[i-1]+1 : ends[i]]
}

// elemTrimmed is elemAt without trailing spaces.
func elemTrimmed(raw string, ends []int32, i int) string {
	return trimRight(elemAt(raw, ends, i))
}

// endsOf splits g (once) and returns its element ends.
func (m *mapper) endsOf(g *Segment) []int32 {
	if m.curPos != g.Pos {
		m.split(g)
	}
	return m.ends()
}

// str is element i with trailing spaces removed (X12 AN values should not
// carry them; real files do).
func (m *mapper) str(g *Segment, i int) string {
	v := m.el(g, i)
	for len(v) > 0 && v[len(v)-1] == ' ' {
		v = v[:len(v)-1]
	}
	return v
}

// required reports a missing mandatory element.
func (m *mapper) required(g *Segment, i int, what string) string {
	v := m.str(g, i)
	if v == "" {
		m.errorf(g, i, LevelElement, "1", "", "%s is missing", what)
	}
	return v
}

// dec reads an R (explicit decimal) element; "" is zero.
func (m *mapper) dec(g *Segment, i int, what string) money.Decimal {
	v := m.el(g, i)
	if v == "" {
		return money.Zero
	}
	d, ok := parseR(v)
	if !ok {
		m.errorf(g, i, LevelElement, "6", v, "%s %q is not a number", what, v)
	}
	return d
}

// implied reads an Nn element with places implied decimals.
func (m *mapper) implied(g *Segment, i int, what string, places int) money.Decimal {
	v := m.el(g, i)
	if v == "" {
		return money.Zero
	}
	d, ok := parseN(v, places)
	if !ok {
		m.errorf(g, i, LevelElement, "6", v, "%s %q is not a whole number (implied %d decimals)", what, v, places)
	}
	return d
}

func (m *mapper) integer(g *Segment, i int, what string) int {
	v := m.el(g, i)
	if v == "" {
		return 0
	}
	n, ok := atoi([]byte(v))
	if !ok {
		m.errorf(g, i, LevelElement, "6", v, "%s %q is not a whole number", what, v)
	}
	return n
}

func (m *mapper) date(g *Segment, i int, what string) Date {
	v := m.el(g, i)
	if v == "" {
		return Date{}
	}
	d, ok := fastDate(v)
	if !ok {
		m.errorf(g, i, LevelElement, "8", v, "%s %q is not a date (CCYYMMDD)", what, v)
	}
	return d
}

// parseR parses an X12 R value: optional sign, digits, optional point.
func parseR(s string) (money.Decimal, bool) {
	// Fast path for what nearly every amount and quantity is: up to 18
	// digits (no overflow possible) with at most one point, parsed inline.
	// Anything else, and every error, goes through money.Parse.
	if n := len(s); n > 0 && n <= 18 {
		var c int64
		scale, digits := -1, 0
		for i := 0; i < n; i++ {
			b := s[i]
			switch {
			case b-'0' <= 9:
				c = c*10 + int64(b-'0')
				digits++
				if scale >= 0 {
					scale++
				}
			case b == '.' && scale < 0:
				scale = 0
			default:
				goto slow
			}
		}
		if digits > 0 && scale <= money.MaxScale {
			return money.New(c, max(scale, 0)), true
		}
	}
slow:
	if len(s) > 0 && s[0] == '+' {
		return money.Decimal{}, false
	}
	d, err := money.Parse(s)
	return d, err == nil && d.Valid()
}

// parseN parses an Nn value: optional minus and digits only.
func parseN(s string, places int) (money.Decimal, bool) {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	if i == len(s) {
		return money.Decimal{}, false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return money.Decimal{}, false
		}
	}
	d, err := money.ParseImplied(s, places)
	return d, err == nil
}

var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// fastDate parses CCYYMMDD (or YYMMDD as 20YY) without allocating.
func fastDate(s string) (Date, bool) {
	var y, mo, d int
	switch len(s) {
	case 8:
		for i := 0; i < 8; i++ {
			if s[i] < '0' || s[i] > '9' {
				return Date{}, false
			}
		}
		y = int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
		mo = int(s[4]-'0')*10 + int(s[5]-'0')
		d = int(s[6]-'0')*10 + int(s[7]-'0')
	case 6:
		for i := 0; i < 6; i++ {
			if s[i] < '0' || s[i] > '9' {
				return Date{}, false
			}
		}
		y = 2000 + int(s[0]-'0')*10 + int(s[1]-'0')
		mo = int(s[2]-'0')*10 + int(s[3]-'0')
		d = int(s[4]-'0')*10 + int(s[5]-'0')
	default:
		return Date{}, false
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn[mo] {
		return Date{}, false
	}
	if mo == 2 && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		return Date{}, false
	}
	return Date{Year: y, Month: time.Month(mo), Day: d}, true
}

func (m *mapper) ref(g *Segment) Reference {
	return Reference{Qualifier: m.str(g, 1), ID: m.str(g, 2), Description: m.str(g, 3)}
}

func (m *mapper) contact(g *Segment) Contact {
	c := Contact{Function: m.str(g, 1), Name: m.str(g, 2)}
	for i := 3; i <= 7; i += 2 {
		v := m.str(g, i+1)
		switch m.str(g, i) {
		case "TE":
			c.Phone = v
		case "FX":
			c.Fax = v
		case "EM":
			c.Email = v
		}
	}
	return c
}

func (m *mapper) dtm(g *Segment) DateRef {
	return DateRef{Qualifier: m.str(g, 1), Date: m.date(g, 2, "DTM02 date"), Time: m.str(g, 3)}
}

func (m *mapper) terms(g *Segment) Terms {
	return Terms{
		Type: m.str(g, 1), BasisDate: m.str(g, 2),
		DiscountPercent: m.dec(g, 3, "terms discount percent"),
		DiscountDueDate: m.date(g, 4, "discount due date"),
		DiscountDays:    m.integer(g, 5, "discount days"),
		NetDueDate:      m.date(g, 6, "net due date"),
		NetDays:         m.integer(g, 7, "net days"),
		DiscountAmount:  m.implied(g, 8, "terms discount amount", 2),
		Description:     m.str(g, 12),
	}
}

func (m *mapper) charge(g *Segment) Charge {
	c := Charge{Indicator: m.str(g, 1), Code: m.str(g, 2), Position: g.Pos,
		Amount:      m.implied(g, 5, "allowance/charge amount", 2),
		Percent:     m.dec(g, 7, "allowance/charge percent"),
		Description: m.str(g, 15)}
	if c.Description == "" {
		c.Description = ChargeCodeText[c.Code]
	}
	switch c.Indicator {
	case "A", "C", "N", "P", "Q", "R", "S":
	default:
		m.errorf(g, 1, LevelElement, "7", c.Indicator, "allowance/charge indicator %q is not A, C, N, P, Q, R or S", c.Indicator)
	}
	return c
}

func (m *mapper) tax(g *Segment) Tax {
	return Tax{Type: m.str(g, 1), Amount: m.dec(g, 2, "tax amount"), NoAmount: m.str(g, 2) == "", Percent: m.dec(g, 3, "tax percent")}
}

// party starts an N1 loop.
func (m *mapper) party(g *Segment) Party {
	p := Party{Code: m.str(g, 1), Name: m.str(g, 2), IDQualifier: m.str(g, 3), ID: m.str(g, 4)}
	if p.Name == "" && p.IDQualifier == "" {
		m.errorf(g, 2, LevelElement, "2", "", "N1 needs a name (N102) or an identification (N103/N104)")
	}
	return p
}

// partySegment applies N2/N3/N4/REF/PER to the open party; false when g
// does not belong to an N1 loop.
func (m *mapper) partySegment(p *Party, g *Segment) bool {
	switch g.ID {
	case "N2":
		p.Name2 = m.str(g, 1)
	case "N3":
		for i := 1; i <= 2; i++ {
			if v := m.str(g, i); v != "" {
				p.Address = append(p.Address, v)
			}
		}
	case "N4":
		p.City, p.State, p.PostalCode, p.Country = m.str(g, 1), m.str(g, 2), m.str(g, 3), m.str(g, 4)
	case "REF":
		p.References = append(p.References, m.ref(g))
	case "PER":
		p.Contacts = append(p.Contacts, m.contact(g))
	default:
		return false
	}
	return true
}

// productIDs reads qualifier/ID pairs from element first onwards.
func (m *mapper) productIDs(g *Segment, first int, pool []ProductID) []ProductID {
	raw, e := g.raw, m.endsOf(g)
	for i := first; i+1 < len(e); i += 2 {
		q, id := elemTrimmed(raw, e, i), elemTrimmed(raw, e, i+1)
		if q == "" && id == "" {
			continue
		}
		pool = append(pool, ProductID{Qualifier: q, ID: id})
	}
	return pool
}

// pickParts sets the buyer and vendor part numbers from the ID pairs.
func pickParts(ids []ProductID) (buyer, vendor, upc string) {
	for _, p := range ids {
		switch p.Qualifier {
		case "BP", "IN":
			if buyer == "" {
				buyer = p.ID
			}
		case "VP", "VN", "VA", "VC", "MG": // DE 235: vendor part, number, supplier article, vendor catalogue, manufacturer part
			if vendor == "" {
				vendor = p.ID
			}
		case "UP", "UK", "UA", "EN":
			if upc == "" {
				upc = p.ID
			}
		}
	}
	return
}
