package x12

import (
	"fmt"
	"math"
	"strings"
)

// The segment dictionary: which segment IDs each set we handle defines
// (004010 and 005010, as one union, so a segment valid in either version is
// never refused), and for the segments we read, their elements with type,
// minimum/maximum length and, where it matters to us, a code list.
//
// It decides what a 997 rejects at the syntax level (DE 720 AK304 and DE
// 723 AK403 codes), separate from the business checks of the engine (a
// price, a PO reference), which come after an accepting 997. It is
// deliberately conservative: an element or segment it does not describe is
// not checked, so a gap in this table can only let through what a stricter
// translator would refuse, never refuse what the standard allows.
// Sources: ASC X12 004010/005010 segment directories (see
// ../shared/reference/x12.md §2–3 for the excerpts used).

// elemType is an X12 data element type (X12.6 §3.7).
type elemType uint8

const (
	tAN elemType = iota // string
	tID                 // coded value
	tN                  // numeric with implied decimals (N0–N9)
	tR                  // decimal number
	tDT                 // date (checked by the mappers, which know its meaning)
	tTM                 // time HHMM[SS[d..]]
)

// elemDef is one simple data element of a segment definition.
type elemDef struct {
	typ       elemType
	mandatory bool
	min, max  int
	max5010   int             // max length from 005010 on, when it changed (0: same)
	codes     map[string]bool // the code list, when we check it
	few       []string        // the same list when it is short: compared in order, faster than the map
	composite bool            // a composite element: the component separator is allowed
	// lim4 and lim5 are the max length in 004010 and 005010, with "no
	// limit" as a large number (set by build, for quick).
	lim4, lim5 int
}

// segDef is a segment definition: its elements in order. maxElems is the
// number of elements the segment may carry (0: not checked); maxElems5010
// when 005010 added some.
type segDef struct {
	maxElems, maxElems5010 int
	elems                  []elemDef
	// needed is one past the last mandatory element (set by build): a
	// segment that stops before it lacks a mandatory element.
	needed int
	// fast holds what quick needs of elems, per version (0: 004010, 1:
	// 005010), eight bytes an element (set by build): a 25-element IT1's
	// whole definition fits in four cache lines instead of forty.
	fast [2][]quickElem
	// maxE is maxFor per version (set by build).
	maxE [2]int
}

// quickElem is an element's definition reduced to what quick tests.
type quickElem struct {
	typ       elemType
	mandatory bool
	min       uint16
	lim       uint16 // max length, math.MaxUint16 for "no limit"
	list      int16  // index in elems of the element with a code list, -1 for none
}

func an(min, max int) elemDef        { return elemDef{typ: tAN, min: min, max: max} }
func id(min, max int) elemDef        { return elemDef{typ: tID, min: min, max: max} }
func num(min, max int) elemDef       { return elemDef{typ: tN, min: min, max: max} }
func dec(min, max int) elemDef       { return elemDef{typ: tR, min: min, max: max} }
func date8() elemDef                 { return elemDef{typ: tDT} }
func tm() elemDef                    { return elemDef{typ: tTM, min: 4, max: 8} }
func (e elemDef) m() elemDef         { e.mandatory = true; return e }
func (e elemDef) v5(max int) elemDef { e.max5010 = max; return e }
func (e elemDef) list(codes ...string) elemDef {
	if len(codes) <= 8 {
		e.few = codes
	}
	e.codes = make(map[string]bool, len(codes))
	for _, c := range codes {
		e.codes[c] = true
	}
	return e
}

// productPairs are the ten qualifier/ID pairs of PO1 and IT1 (elements
// 6–25): a product/service ID qualifier (DE 235, ID 2/2) and the ID (DE
// 234, AN 1/48).
func productPairs() []elemDef {
	out := make([]elemDef, 0, 20)
	for range 10 {
		out = append(out, id(2, 2), an(1, 48))
	}
	return out
}

// iso4217 is the ISO 4217 list of active currency codes (CUR02, DE 100).
var iso4217 = strings.Fields(`AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC
SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA
XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL`)

// Segments shared by the 810 and the 850.
var (
	defCUR = &segDef{maxElems: 21, elems: []elemDef{id(2, 3).m(), id(3, 3).m().list(iso4217...), dec(1, 10)}}
	defREF = &segDef{maxElems: 4, elems: []elemDef{id(2, 3).m(), an(1, 30).v5(50), an(1, 80), {composite: true}}}
	defN1  = &segDef{maxElems: 6, elems: []elemDef{id(2, 3).m(), an(1, 60), id(1, 2), an(2, 80), id(2, 2), id(2, 3)}}
	defN2  = &segDef{maxElems: 2, elems: []elemDef{an(1, 60).m(), an(1, 60)}}
	defN3  = &segDef{maxElems: 2, elems: []elemDef{an(1, 55).m(), an(1, 55)}}
	defN4  = &segDef{maxElems: 6, maxElems5010: 7, elems: []elemDef{an(2, 30), id(2, 2), id(3, 15), id(2, 3), id(1, 2), an(1, 30), id(1, 3)}}
	defPER = &segDef{maxElems: 9, elems: []elemDef{id(2, 2).m(), an(1, 60), id(2, 2), an(1, 80).v5(256), id(2, 2), an(1, 80).v5(256), id(2, 2), an(1, 80).v5(256), an(1, 20)}}
	defITD = &segDef{maxElems: 15, elems: []elemDef{id(2, 2), id(1, 2), dec(1, 6), date8(), num(1, 3), date8(), num(1, 3), num(1, 10), {}, {}, {}, an(1, 80)}}
	defDTM = &segDef{maxElems: 6, elems: []elemDef{id(3, 3).m(), date8(), tm(), id(2, 2), id(2, 3), an(1, 35)}}
	defPID = &segDef{maxElems: 9, elems: []elemDef{id(1, 1).m().list("F", "S", "X"), id(2, 3), id(2, 2), an(1, 12), an(1, 80), id(2, 3), an(1, 3), id(1, 1), id(2, 3)}}
	defSAC = &segDef{maxElems: 16, elems: []elemDef{id(1, 1).m(), id(4, 4), id(2, 2), an(1, 10), num(1, 15), id(1, 1), dec(1, 6), dec(1, 9), id(2, 2), dec(1, 15), dec(1, 15), id(2, 2), an(1, 30).v5(50), an(1, 20), an(1, 80), id(2, 3)}}
	defTXI = &segDef{maxElems: 10, elems: []elemDef{id(2, 2).m(), dec(1, 18), dec(1, 10), id(2, 2), an(1, 30), id(1, 1), id(1, 1), dec(1, 15), an(1, 20), an(1, 20)}}
	defCTT = &segDef{maxElems: 7, elems: []elemDef{num(1, 6).m(), dec(1, 10), dec(1, 10), id(2, 2), dec(1, 8), id(2, 2), an(1, 80)}}
)

// dict810 is the 810 Invoice: every segment ID either version defines
// (heading, IT1 loop with its SLN/N1/LM/V1/FA1 loops, summary), and the
// definitions of the segments we map.
var dict810 = (&setDict{
	name: "810",
	ids: idSet(`ST BIG NTE CUR REF YNQ PER N1 N2 N3 N4 DMG ITD DTM FOB PID MEA PWK PKG L7 BAL INC PAM CRC LM LQ N9
MSG MTX V1 R4 FA1 FA2 IT1 QTY IT3 TXI CTP PO4 SDQ CAD SR SAC SLN TC2 TDS AMT ISS CTT SE`),
	defs: map[string]*segDef{
		"BIG": {maxElems: 10, maxElems5010: 11, elems: []elemDef{date8().m(), an(1, 22).m(), date8(), an(1, 22), an(1, 30), an(1, 8), id(2, 2), id(2, 2), id(2, 2), an(1, 22), id(2, 2)}},
		"IT1": {maxElems: 25, elems: append([]elemDef{an(1, 20), dec(1, 10).v5(15), id(2, 2), dec(1, 17), id(2, 2)}, productPairs()...)},
		"TDS": {maxElems: 4, elems: []elemDef{num(1, 15).m(), num(1, 15), num(1, 15), num(1, 15)}},
		"CUR": defCUR, "REF": defREF, "N1": defN1, "N2": defN2, "N3": defN3, "N4": defN4, "PER": defPER,
		"ITD": defITD, "DTM": defDTM, "PID": defPID, "SAC": defSAC, "TXI": defTXI, "CTT": defCTT,
	},
}).build()

// dict850 is the 850 Purchase Order, as dict810.
var dict850 = (&setDict{
	name: "850",
	ids: idSet(`ST BEG CUR REF PER TAX FOB CTP PAM CSH TC2 SAC ITD DIS INC DTM LDT LIN SI PID MEA PWK PKG TD1 TD5 TD3
TD4 MAN PCT CTB TXI AMT N9 MSG MTX N1 N2 N3 N4 NX2 IN2 QTY SCH SLN LM LQ SPI CB1 ADV PO1 CN1 PO3 PO4 IT8 SDQ IT3 LS
LE FA1 FA2 CTT SE`),
	defs: map[string]*segDef{
		"BEG": {maxElems: 12, elems: []elemDef{id(2, 2).m(), id(2, 2).m(), an(1, 22).m(), an(1, 30), date8().m(), an(1, 30), id(2, 2), id(1, 2), id(2, 2), id(2, 2), id(1, 1), tm()}},
		"PO1": {maxElems: 25, elems: append([]elemDef{an(1, 20), dec(1, 15), id(2, 2), dec(1, 17), id(2, 2)}, productPairs()...)},
		"CUR": defCUR, "REF": defREF, "N1": defN1, "N2": defN2, "N3": defN3, "N4": defN4, "PER": defPER,
		"ITD": defITD, "DTM": defDTM, "PID": defPID, "SAC": defSAC, "TXI": defTXI, "CTT": defCTT,
	},
}).build()

// dict997 is the 997 Functional Acknowledgment (004010 and 005010: AK103
// and AK203 are 005010's). Code lists only where they are closed and short:
// AK304 (DE 720), AK403 (DE 723), AK501 (DE 717) and AK901 (DE 715).
// ParseAck checks only the AK segments against it: a segment a 997 does not
// define stays a warning there, as translators put a TA1 inside.
var dict997 = (&setDict{
	name: "997",
	ids:  idSet(`ST AK1 AK2 AK3 AK4 AK5 AK9 SE`),
	defs: map[string]*segDef{
		"AK1": {maxElems: 2, maxElems5010: 3, elems: []elemDef{id(2, 2).m(), num(1, 9).m(), an(1, 12)}},
		"AK2": {maxElems: 2, maxElems5010: 3, elems: []elemDef{id(3, 3).m(), an(4, 9).m(), an(1, 35)}},
		"AK3": {maxElems: 4, elems: []elemDef{id(2, 3).m(), num(1, 6).m(), an(1, 4), id(1, 3).list("1", "2", "3", "4", "5", "6", "7", "8")}},
		"AK4": {maxElems: 4, elems: []elemDef{{composite: true, mandatory: true}, num(1, 4), id(1, 3).m().list("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "13"), an(1, 99)}},
		"AK5": {maxElems: 6, elems: []elemDef{id(1, 1).m().list("A", "E", "M", "R", "W", "X"), id(1, 3), id(1, 3), id(1, 3), id(1, 3), id(1, 3)}},
		"AK9": {maxElems: 9, elems: []elemDef{id(1, 1).m().list("A", "E", "M", "P", "R", "W", "X"), num(1, 6).m(), num(1, 6).m(), num(1, 6).m(), id(1, 3), id(1, 3), id(1, 3), id(1, 3), id(1, 3)}},
	},
}).build()

// setDict is the dictionary of one transaction set.
type setDict struct {
	name  string
	ids   map[string]bool
	defs  map[string]*segDef
	table []uint8 // by idIndex: a slot
	list  []*segDef
}

func idSet(list string) map[string]bool {
	out := map[string]bool{}
	for _, s := range strings.Fields(list) {
		out[s] = true
	}
	return out
}

// checkSyntax validates the body of the mapper's set against d (for a
// mapper that does not call checkSegment as it goes); see checkSegment.
func (m *mapper) checkSyntax(d *setDict) {
	s := m.set
	v5 := s.is5010()
	lo, hi := s.bodyRange()
	for i := lo; i < hi; i++ {
		raw := s.rawAt(i)
		m.checkSegment(d, raw, idLen(raw, s.sep), i+1, v5)
	}
	m.mergeSyntax()
}

// checkSegment validates segment raw at position pos against d: a segment
// ID the set does not define (AK304 6), too many elements (AK403 3),
// missing mandatory elements (1), lengths (4, 5), separators inside a
// simple element (6), codes outside their list (7) and times (9). It leaves
// the segment split in the mapper, so the mapping does not split it again.
// The segment is first checked in one pass (quick); only one that fails is
// described, into m.syn.
func (m *mapper) checkSegment(d *setDict, raw string, idEnd, pos int, v5 bool) {
	slot, ok := d.lookup(raw[:idEnd])
	switch {
	case !ok, slot == slotUnchecked, len(m.syn) >= maxIssues:
		return // an invalid ID is the reader's (AK304 1); a file of junk stops being described
	case slot == slotUndefined:
		is := m.set.issue(nil, 0, LevelSegment, "6", "", fmt.Sprintf("segment %s is not defined in the %s transaction set", raw[:idEnd], d.name))
		is.Position, is.SegmentID, is.Offset = pos, raw[:idEnd], m.set.offset(m.set.idx[pos-1])
		m.syn = append(m.syn, is)
		return
	}
	def := d.list[slot-slotFirst]
	if def.quick(raw, m.splitRaw(raw, idEnd, pos, m.set.sep), m.special, v5) && !describeAll {
		return
	}
	m.describe(m.set.Segment(pos-1), def, v5)
}

// describeAll sends every segment to describe, skipping quick: the test
// that quick never passes what describe would report sets it.
var describeAll = false

// versionNote warns when the set's version is neither 004010 nor 005010:
// the dictionary holds those two, and an older (003050–004030) or newer
// release is read with the nearer one, where the segments we read are
// compatible; a stricter translator may disagree on details.
func (m *mapper) versionNote() {
	v := m.set.Version()
	if len(v) < 6 {
		return // the reader reported a malformed ISA12/GS08
	}
	switch v[:6] {
	case "004010", "005010":
		return
	}
	as := "004010"
	if m.set.is5010() {
		as = "005010"
	}
	if len(m.warns) < maxIssues {
		m.warns = append(m.warns, m.set.issue(nil, 0, LevelSet, "", v,
			fmt.Sprintf("version %s is checked with the %s segment dictionary (the versions we hold are 004010 and 005010)", v, as)))
	}
}

// mergeSyntax adds the syntax problems to the errors, except where the
// mapping already reported the same element (a missing BIG02 is said once).
func (m *mapper) mergeSyntax() {
	n := len(m.errs)
	for _, is := range m.syn {
		if is.Position > 0 && m.reportedAt(n, is.Position, is.Element) {
			continue
		}
		if len(m.errs) < maxIssues {
			m.errs = append(m.errs, is)
		}
	}
	m.syn = m.syn[:0]
}

// describe reports every problem of segment g, which quick refused.
func (m *mapper) describe(g Segment, def *segDef, v5 bool) {
	ends := m.endsOf(&g)
	count := len(ends) - 1
	for count > 0 && elemAt(g.raw, ends, count) == "" {
		count-- // trailing empty elements are sloppy, not extra data
	}
	add := func(elem int, code, value, format string, args ...any) {
		m.syn = append(m.syn, m.set.issue(&g, elem, LevelElement, code, clipS(value), fmt.Sprintf(format, args...)))
	}
	if maxE := def.maxFor(v5); maxE > 0 && count > maxE {
		add(maxE+1, "3", elemAt(g.raw, ends, maxE+1), "%s has %d elements, its definition allows %d", g.ID, count, maxE)
	}
	for k := 1; k <= len(def.elems); k++ {
		v := ""
		if k < len(ends) {
			v = elemAt(g.raw, ends, k)
		}
		if msg, code := def.elems[k-1].check(v, g.comp, g.rep, v5); code != "" {
			add(k, code, v, "%s%02d %s", g.ID, k, msg)
		}
	}
}

func (d *segDef) maxFor(v5 bool) int {
	if v5 && d.maxElems5010 > 0 {
		return d.maxElems5010
	}
	return d.maxElems
}

// quick says segment raw (split into ends, ends[0] the end of its ID) breaks no rule of d, in one
// pass over its bytes and without allocating. It must be at least as
// strict as elemDef.check: false only sends the segment to describe.
//
// special says the segment may hold a component or repetition separator
// (splitRaw finds out while splitting): then describe decides, since only
// a composite element may hold one, and those are rare.
func (d *segDef) quick(raw string, ends []int32, special, v5 bool) bool {
	if special {
		return false
	}
	ver := 0
	if v5 {
		ver = 1
	}
	elems := d.fast[ver]
	sent := len(ends) - 1 // elements sent, empty ones included
	if sent < d.needed {
		return false // stops before a mandatory element
	}
	if maxE := d.maxE[ver]; maxE > 0 && sent > maxE {
		// Too many elements, unless the extra ones are all empty.
		for k := sent; k > maxE; k-- {
			if ends[k]-ends[k-1] > 1 {
				return false
			}
		}
	}
	checked := min(sent, len(elems))
	ends = ends[:checked+1]
	elems = elems[:checked]
	prev := int(ends[0]) + 1 // where element k begins
	for k := range elems {
		e := &elems[k]
		next := int(ends[k+1])
		n := next - prev
		if n <= 0 {
			if e.mandatory {
				return false
			}
			prev = next + 1
			continue
		}
		v := raw[prev:next]
		prev = next + 1
		switch e.typ {
		case tDT:
		case tTM:
			if !validTime(v) {
				return false
			}
		case tN, tR:
			l := 0
			for i := 0; i < len(v); i++ {
				c := v[i]
				switch {
				case c >= '0' && c <= '9':
					l++
				case c == '-' && i == 0, c == '.' && e.typ == tR:
				default:
					return false
				}
			}
			if l > int(e.lim) || l < int(e.min) {
				return false
			}
		default:
			if e.list >= 0 && !d.elems[e.list].inList(v) {
				return false
			}
			if n <= int(e.lim) && e.min <= 1 {
				// Trailing spaces cannot matter: the trimmed length is
				// at most n, and at least 1 (all spaces count as sent).
				continue
			}
			l := n
			for l > 0 && v[l-1] == ' ' {
				l--
			}
			if l == 0 {
				l = n // all spaces: the length is what was sent
			}
			if l > int(e.lim) || l < int(e.min) {
				return false
			}
		}
	}
	return true
}

// Slots of setDict.table.
const (
	slotInvalid   = iota // not a valid segment ID
	slotUndefined        // a valid ID the set does not define
	slotUnchecked        // defined, with no element definitions here
	slotFirst            // slotFirst+i: list[i]
)

// lookup finds id's slot; ok is false for an ID that is not two or three
// upper-case letters and digits.
func (d *setDict) lookup(id string) (uint8, bool) {
	x, ok := idIndex(id)
	if !ok {
		return slotInvalid, false
	}
	return d.table[x], true
}

// idIndex numbers the valid segment IDs densely (A–Z = 0–25, 0–9 = 26–35;
// two-character IDs first), so the dictionary is one array lookup.
func idIndex(id string) (int, bool) {
	switch len(id) {
	case 2:
		a, b := idChar[id[0]], idChar[id[1]]
		if a|b < 0 {
			return 0, false
		}
		return int(a)*36 + int(b), true
	case 3:
		a, b, c := idChar[id[0]], idChar[id[1]], idChar[id[2]]
		if a|b|c < 0 {
			return 0, false
		}
		return 36*36 + (int(a)*36+int(b))*36 + int(c), true
	}
	return 0, false
}

// idChar numbers the characters of a segment ID (A–Z = 0–25, 0–9 =
// 26–35); -1 for any other byte. One table load per character replaces
// two range tests.
var idChar = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = int8(c - 'A')
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(26 + c - '0')
	}
	return t
}()

const idSpace = 36*36 + 36*36*36

// build fills the lookup table from ids and defs.
func (d *setDict) build() *setDict {
	d.table = make([]uint8, idSpace)
	for i := range d.table {
		d.table[i] = slotUndefined
	}
	for sid := range d.ids {
		x, _ := idIndex(sid)
		d.table[x] = slotUnchecked
		if def := d.defs[sid]; def != nil {
			def.needed = 0
			for i := range def.elems {
				e := &def.elems[i]
				if e.mandatory {
					def.needed = i + 1
				}
				e.lim4 = e.max
				if e.max == 0 {
					e.lim4 = math.MaxInt32
				}
				e.lim5 = e.lim4
				if e.max5010 > 0 {
					e.lim5 = e.max5010
				}
			}
			for v, lim := range [2]func(*elemDef) int{
				func(e *elemDef) int { return e.lim4 },
				func(e *elemDef) int { return e.lim5 },
			} {
				def.fast[v] = make([]quickElem, len(def.elems))
				for i := range def.elems {
					e := &def.elems[i]
					q := quickElem{typ: e.typ, mandatory: e.mandatory, min: uint16(min(e.min, math.MaxUint16)),
						lim: uint16(min(lim(e), math.MaxUint16)), list: -1}
					if e.codes != nil {
						q.list = int16(i)
					}
					def.fast[v][i] = q
				}
				def.maxE[v] = def.maxFor(v == 1)
			}
			d.table[x] = uint8(slotFirst + len(d.list))
			d.list = append(d.list, def)
		}
	}
	return d
}

// reportedAt says an element error at pos/elem is among the first n errors.
func (m *mapper) reportedAt(n, pos, elem int) bool {
	for _, is := range m.errs[:min(n, len(m.errs))] {
		if is.Position == pos && is.Element == elem {
			return true
		}
	}
	return false
}

// check returns a message and AK403 code for a bad value v, or "" codes.
func (e elemDef) check(v string, comp, rep byte, v5 bool) (string, string) {
	if v == "" {
		if e.mandatory {
			return "is mandatory and missing", "1"
		}
		return "", ""
	}
	if !e.composite {
		if comp != 0 && strings.IndexByte(v, comp) >= 0 {
			return fmt.Sprintf("contains the component separator %q, which is not allowed in a simple element", comp), "6"
		}
		if rep != 0 && strings.IndexByte(v, rep) >= 0 {
			return fmt.Sprintf("contains the repetition separator %q, which is not allowed here", rep), "6"
		}
	} else {
		return "", ""
	}
	maxL := e.max
	if v5 && e.max5010 > 0 {
		maxL = e.max5010
	}
	var l int
	switch e.typ {
	case tDT:
		return "", "" // the mappers check the dates they read (AK403 8)
	case tTM:
		if !validTime(v) {
			return fmt.Sprintf("%q is not a time (HHMM[SS[d…]])", v), "9"
		}
		return "", ""
	case tN, tR:
		// X12.6: the length of a numeric element counts its digits, not a
		// sign or decimal point. Non-numbers are the mappers' concern
		// where they read them; elsewhere they are invalid characters.
		for i := 0; i < len(v); i++ {
			c := v[i]
			switch {
			case c >= '0' && c <= '9':
				l++
			case c == '-' && i == 0, c == '.' && e.typ == tR:
			default:
				return fmt.Sprintf("%q is not a number", v), "6"
			}
		}
	default:
		l = len(trimRight(v))
		if l == 0 {
			l = len(v) // all spaces: the length is what was sent
		}
	}
	if maxL > 0 && l > maxL {
		return fmt.Sprintf("%q is %d characters long, the maximum is %d", v, l, maxL), "5"
	}
	if l < e.min {
		return fmt.Sprintf("%q is %d characters long, the minimum is %d", v, l, e.min), "4"
	}
	if e.codes != nil && !e.codes[v] {
		return fmt.Sprintf("%q is not in its code list", v), "7"
	}
	return "", ""
}

// inList says v is in e's code list.
func (e *elemDef) inList(v string) bool {
	if e.few != nil {
		for _, c := range e.few {
			if c == v {
				return true
			}
		}
		return false
	}
	return e.codes[v]
}

// validTime is an X12 TM value: HHMM, HHMMSS or HHMMSS with 1–2 decimal
// digits of seconds, with hours < 24 and minutes, seconds < 60.
func validTime(v string) bool {
	if len(v) != 4 && len(v) != 6 && len(v) != 7 && len(v) != 8 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	two := func(i int) int { return int(v[i]-'0')*10 + int(v[i+1]-'0') }
	if two(0) > 23 || two(2) > 59 {
		return false
	}
	return len(v) < 6 || two(4) <= 59
}

// clipS bounds a value copied into an AK404.
func clipS(v string) string {
	if len(v) > 99 {
		return v[:99]
	}
	return v
}
