package x12

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Separators are the delimiters of one interchange.
type Separators struct {
	Element    byte   // the byte after "ISA", usually '*'
	Component  byte   // ISA16, usually '>' or ':'
	Repetition byte   // ISA11 from 00402 on ('^'); 0 when the version has none
	Segment    string // the segment terminator: one byte or one UTF-8 character, usually "~"
}

// DefaultSeparators are the common "* > ~" delimiters; Repetition is set for
// 005010 by the writer.
var DefaultSeparators = Separators{Element: '*', Component: '>', Segment: "~"}

// Interchange is the ISA header of an interchange as read.
type Interchange struct {
	Index             int        `json:"index"` // 1-based position in the input
	AuthQualifier     string     `json:"auth_qualifier,omitempty"`
	AuthInfo          string     `json:"auth_info,omitempty"`
	SecurityQualifier string     `json:"security_qualifier,omitempty"`
	SecurityInfo      string     `json:"security_info,omitempty"`
	SenderQualifier   string     `json:"sender_qualifier"`
	SenderID          string     `json:"sender_id"` // trailing padding removed
	ReceiverQualifier string     `json:"receiver_qualifier"`
	ReceiverID        string     `json:"receiver_id"`
	Date              string     `json:"date"`                   // ISA09 as written, YYMMDD
	Time              string     `json:"time"`                   // ISA10 as written, HHMM
	StandardsID       string     `json:"standards_id,omitempty"` // ISA11 when it is data (before 00402)
	Version           string     `json:"version"`                // ISA12, e.g. "00401"
	ControlNumber     string     `json:"control_number"`         // ISA13 as written, 9 digits
	AckRequested      bool       `json:"ack_requested"`          // ISA14 = 1
	Usage             string     `json:"usage"`                  // ISA15: P production, T test, I information
	Separators        Separators `json:"-"`
	Offset            int64      `json:"offset"` // byte offset of "ISA" in the input
}

// Timestamp combines ISA09/ISA10 into a time in loc (X12 carries no zone;
// the partner agreement says which one applies). Two-digit years are 20YY.
func (ic Interchange) Timestamp(loc *time.Location) (time.Time, error) {
	return time.ParseInLocation("060102 1504", ic.Date+" "+ic.Time, loc)
}

// Group is the GS header of a functional group as read, with what its GE said
// when the trailer has been read (it has for the last set of a group).
type Group struct {
	Index         int    `json:"index"`             // 1-based within the interchange
	FunctionalID  string `json:"functional_id"`     // GS01: PO, IN, FA …
	SenderCode    string `json:"sender_code"`       // GS02
	ReceiverCode  string `json:"receiver_code"`     // GS03
	Date          string `json:"date"`              // GS04 as written, CCYYMMDD
	Time          string `json:"time"`              // GS05 as written
	ControlNumber string `json:"control_number"`    // GS06
	Agency        string `json:"agency"`            // GS07: X or T
	Version       string `json:"version"`           // GS08, e.g. "004010", "005010X230"
	Missing       bool   `json:"missing,omitempty"` // sets appeared with no GS; the group is implied
	TrailerRead   bool   `json:"-"`                 // the GE has been read (true on the group's last set)
	DeclaredSets  int    `json:"-"`                 // GE01 when TrailerRead
	Offset        int64  `json:"offset"`
}

// Level tells which envelope level an Issue belongs to, and so which
// acknowledgment code list its Code is from.
type Level uint8

// Issue levels; the Code of an Issue is from the code list named.
const (
	LevelElement     Level = iota + 1 // AK403, data element syntax error codes (DE 723)
	LevelSegment                      // AK304, segment syntax error codes (DE 720)
	LevelSet                          // AK502, transaction set syntax error codes (DE 718)
	LevelGroup                        // AK905, functional group syntax error codes (DE 716)
	LevelInterchange                  // TA105, interchange note codes (DE I18)
	// LevelBusiness is a problem X12 allows but the engine cannot post
	// (Invoice.BusinessIssues): it never reaches a 997 or TA1, and has no
	// code.
	LevelBusiness
)

// String is the level's name ("element", "segment", "set", "group", "interchange").
func (l Level) String() string {
	switch l {
	case LevelElement:
		return "element"
	case LevelSegment:
		return "segment"
	case LevelSet:
		return "set"
	case LevelGroup:
		return "group"
	case LevelInterchange:
		return "interchange"
	case LevelBusiness:
		return "business"
	}
	return "unknown"
}

// MarshalText writes the level name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Issue is one problem (error or warning) with its position. Positions that
// do not apply are empty or zero.
type Issue struct {
	Interchange string `json:"interchange,omitempty"` // ISA13
	Group       string `json:"group,omitempty"`       // GS06
	Set         string `json:"set,omitempty"`         // ST02
	Position    int    `json:"position,omitempty"`    // segment position in the set, ST = 1
	SegmentID   string `json:"segment,omitempty"`
	Element     int    `json:"element,omitempty"`   // 1-based element position
	Component   int    `json:"component,omitempty"` // 1-based component position, 0 for the whole element
	Offset      int64  `json:"offset"`              // byte offset of the segment in the input, -1 when unknown
	Level       Level  `json:"level"`
	Code        string `json:"code,omitempty"` // X12 acknowledgment code for Level (AK403, AK304, AK502, AK905 or TA105)
	Value       string `json:"value,omitempty"`
	Message     string `json:"message"`
	Warning     bool   `json:"warning,omitempty"` // a warning rather than an error (only meaningful outside Set lists)
}

// Error formats the issue with its full position, e.g.
// `interchange 000000905 group 1 set 0001: segment 14 (IT1) element 4: unit price "12,50" is not a number`.
func (e Issue) Error() string {
	var b strings.Builder
	sep := func() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
	}
	if e.Interchange != "" {
		b.WriteString("interchange ")
		b.WriteString(e.Interchange)
	}
	if e.Group != "" {
		sep()
		b.WriteString("group ")
		b.WriteString(e.Group)
	}
	if e.Set != "" {
		sep()
		b.WriteString("set ")
		b.WriteString(e.Set)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Position > 0 || e.SegmentID != "" {
		if e.Position > 0 {
			b.WriteString("segment ")
			b.WriteString(strconv.Itoa(e.Position))
			if e.SegmentID != "" {
				b.WriteString(" (" + e.SegmentID + ")")
			}
		} else {
			b.WriteString("segment " + e.SegmentID)
		}
		if e.Element > 0 {
			b.WriteString(" element ")
			b.WriteString(strconv.Itoa(e.Element))
			if e.Component > 0 {
				b.WriteString(" component ")
				b.WriteString(strconv.Itoa(e.Component))
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Issues is a list of problems usable as an error.
type Issues []Issue

// Error is the first issue and how many more there are.
func (l Issues) Error() string {
	switch len(l) {
	case 0:
		return "no problems"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	b.WriteString(l[0].Error())
	fmt.Fprintf(&b, " (and %d more)", len(l)-1)
	return b.String()
}

// Set is one transaction set (ST…SE) with its envelope and problems.
type Set struct {
	Interchange   *Interchange `json:"interchange"`          // shared by the interchange's sets; do not modify
	Group         *Group       `json:"group"`                // shared by the group's sets; do not modify
	ID            string       `json:"id"`                   // ST01: 810, 850, 997 …
	ControlNumber string       `json:"control_number"`       // ST02
	Convention    string       `json:"convention,omitempty"` // ST03 (005010)
	Index         int          `json:"index"`                // 1-based within the group
	Errors        []Issue      `json:"errors"`
	Warnings      []Issue      `json:"warnings"`
	data          string       // arena: every segment's text, concatenated
	idx           []segIndex   // where each segment is in data (no pointers: cheap for the GC)
	base          int64        // input offset of the first segment; idx offsets are relative to it
	sep           byte
	comp          byte
	rep           byte
}

// segIndex locates one segment in a set's arena; it ends where the next
// one starts. Eight bytes a segment, as the index is a third of what the
// reader allocates: the ID ends at the first element separator (idLen), and
// the input offset is kept relative to the set's first segment.
type segIndex struct {
	start int32  // in data
	rel   uint32 // byte offset in the input minus Set.base; relUnknown when it does not fit
}

// relUnknown marks an offset too far from the set's start to store (the
// segment's Offset is then -1, unknown).
const relUnknown = 1<<32 - 1

// offset is the input offset of the segment x.
func (s *Set) offset(x segIndex) int64 {
	if x.rel == relUnknown {
		return -1
	}
	return s.base + int64(x.rel)
}

// rawAt is the text of segment i (in range).
func (s *Set) rawAt(i int) string {
	end := len(s.data)
	if i+1 < len(s.idx) {
		end = int(s.idx[i+1].start)
	}
	return s.data[s.idx[i].start:end]
}

// idLen is the length of the segment ID at the start of raw: up to the
// first element separator, or all of raw (as the reader splits it).
func idLen(raw string, sep byte) int {
	// Segment IDs are two or three characters (X12.6 §3.5), so test those
	// two places before scanning.
	if len(raw) > 3 && raw[0] != sep && raw[1] != sep {
		if raw[2] == sep {
			return 2
		}
		if raw[3] == sep {
			return 3
		}
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] == sep {
			return i
		}
	}
	return len(raw)
}

// Len is the number of segments, ST through SE inclusive.
func (s *Set) Len() int { return len(s.idx) }

// Segment returns segment i (0-based: ST is 0, so its Pos is i+1). It
// allocates nothing; out of range gives an empty Segment.
func (s *Set) Segment(i int) Segment {
	if i < 0 || i >= len(s.idx) {
		return Segment{}
	}
	x := s.idx[i]
	end := len(s.data)
	if i+1 < len(s.idx) {
		end = int(s.idx[i+1].start)
	}
	raw := s.data[x.start:end]
	return Segment{ID: raw[:idLen(raw, s.sep)], Pos: i + 1, Offset: s.offset(x), raw: raw, sep: s.sep, comp: s.comp, rep: s.rep}
}

// Segments iterates over every segment, ST through SE (SE is absent when
// it was missing): for i, g := range set.Segments { … }.
func (s *Set) Segments(yield func(int, Segment) bool) {
	for i := range s.idx {
		if !yield(i, s.Segment(i)) {
			return
		}
	}
}

// Body iterates over the segments between ST and SE.
func (s *Set) Body(yield func(int, Segment) bool) {
	lo, hi := s.bodyRange()
	for i := lo; i < hi; i++ {
		if !yield(i, s.Segment(i)) {
			return
		}
	}
}

// plain reports whether the set's text holds neither the component nor
// the repetition separator, so no element can be a composite or repeat.
// IndexByte over the whole set is a fraction of the cost of testing each
// segment for them.
func (s *Set) plain() bool {
	return (s.comp == 0 || strings.IndexByte(s.data, s.comp) < 0) &&
		(s.rep == 0 || strings.IndexByte(s.data, s.rep) < 0)
}

// bodyRange is the index range of the segments between ST and SE.
func (s *Set) bodyRange() (lo, hi int) {
	hi = len(s.idx)
	if hi > 0 && s.Segment(0).ID == "ST" {
		lo = 1
	}
	if hi > lo && s.Segment(hi-1).ID == "SE" {
		hi--
	}
	return lo, hi
}

// Valid reports whether the set has no errors.
func (s *Set) Valid() bool { return len(s.Errors) == 0 }

// Version is the set's effective version: ST03 when present, else GS08.
func (s *Set) Version() string {
	if s.Convention != "" {
		return s.Convention
	}
	return s.Group.Version
}

// is5010 says the set follows 005010 or later (ST03, else GS08).
func (s *Set) is5010() bool {
	v := s.Version()
	return len(v) >= 3 && v[:3] >= "005"
}

// pos returns an Issue prefilled with the set's envelope position.
func (s *Set) issue(seg *Segment, elem int, lvl Level, code, value, msg string) Issue {
	is := Issue{Interchange: s.Interchange.ControlNumber, Group: s.Group.ControlNumber, Set: s.ControlNumber,
		Offset: -1, Level: lvl, Code: code, Value: value, Message: msg}
	if seg != nil {
		is.Position, is.SegmentID, is.Element, is.Offset = seg.Pos, seg.ID, elem, seg.Offset
	}
	return is
}

// Segment is one segment of a set. Values are substrings of the set's arena.
type Segment struct {
	ID     string
	Pos    int   // position in the set, ST = 1
	Offset int64 // byte offset of the segment in the input
	raw    string
	sep    byte // element separator
	comp   byte // component separator, 0 when none
	rep    byte // repetition separator, 0 when none
}

// Raw is the segment text without its terminator.
func (g Segment) Raw() string { return g.raw }

// String is the segment text without its terminator.
func (g Segment) String() string { return g.raw }

// Len is the number of data elements present (trailing empty ones included).
func (g Segment) Len() int { return strings.Count(g.raw[len(g.ID):], string(g.sep)) }

// Element returns data element i (1-based, so BEG03 is Element(3)), or ""
// when absent. It scans from the start of the segment; Split is cheaper
// when most elements are wanted.
func (g Segment) Element(i int) string {
	if i <= 0 {
		return ""
	}
	s := g.raw[len(g.ID):]
	for k := 1; ; k++ {
		if len(s) == 0 || s[0] != g.sep {
			return ""
		}
		s = s[1:]
		j := strings.IndexByte(s, g.sep)
		if k == i {
			if j < 0 {
				return s
			}
			return s[:j]
		}
		if j < 0 {
			return ""
		}
		s = s[j:]
	}
}

// Split appends the ID and then every data element to dst, so dst[i] is
// element i; it allocates nothing when dst has room.
func (g Segment) Split(dst []string) []string {
	dst = append(dst, g.ID)
	s := g.raw[len(g.ID):]
	for len(s) > 0 && s[0] == g.sep {
		s = s[1:]
		j := strings.IndexByte(s, g.sep)
		if j < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:j])
		s = s[j:]
	}
	return dst
}

// Component returns component j (1-based) of element i, split on the
// component separator; Component(i, 1) of a simple element is the element.
func (g Segment) Component(i, j int) string {
	e := g.Element(i)
	if g.comp == 0 || j <= 0 {
		if j == 1 {
			return e
		}
		return ""
	}
	for k := 1; ; k++ {
		n := strings.IndexByte(e, g.comp)
		if k == j {
			if n < 0 {
				return e
			}
			return e[:n]
		}
		if n < 0 {
			return ""
		}
		e = e[n+1:]
	}
}

// Repetitions splits element i on the repetition separator (005010); with no
// repetition separator it is the element alone.
func (g Segment) Repetitions(i int) []string {
	e := g.Element(i)
	if g.rep == 0 {
		return []string{e}
	}
	return strings.Split(e, string(g.rep))
}

// Elements returns every data element (allocates; for tests and tools).
func (g Segment) Elements() []string {
	out := make([]string, g.Len())
	for i := range out {
		out[i] = g.Element(i + 1)
	}
	return out
}

// Date is a calendar day without a zone, as X12 writes it (CCYYMMDD).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads CCYYMMDD or, for old groups, YYMMDD (years 20YY).
func ParseDate(s string) (Date, error) {
	var t time.Time
	var err error
	switch len(s) {
	case 8:
		t, err = time.Parse("20060102", s)
	case 6:
		t, err = time.Parse("060102", s)
	default:
		return Date{}, fmt.Errorf("date %q: want CCYYMMDD", s)
	}
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want CCYYMMDD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String is YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// X12 is CCYYMMDD.
func (d Date) X12() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
}

// In returns midnight of the day in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalText writes YYYY-MM-DD (empty when unset).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD or CCYYMMDD.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	t, err := time.Parse("2006-01-02", string(b))
	if err != nil {
		v, err2 := ParseDate(string(b))
		if err2 != nil {
			return err
		}
		*d = v
		return nil
	}
	*d = DateOf(t)
	return nil
}
