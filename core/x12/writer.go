package x12

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Versions the writers produce.
const (
	Version4010 = "004010"
	Version5010 = "005010"
)

// Envelope is what an outbound interchange needs besides its sets. Control
// numbers come from the caller (the engine allocates and remembers them).
type Envelope struct {
	SenderQualifier   string // ISA05, e.g. "ZZ", "01"
	SenderID          string // ISA06, at most 15 characters
	ReceiverQualifier string // ISA07
	ReceiverID        string // ISA08
	AppSender         string // GS02; SenderID when empty
	AppReceiver       string // GS03; ReceiverID when empty
	Version           string // GS08: "004010" (default) or "005010" (may carry an industry suffix)
	// InterchangeControl is ISA13/IEA02 (1..999999999), GroupControl
	// GS06/GE02 (1..999999999), SetControl the ST02 of the first set (later
	// sets count up from it).
	InterchangeControl int64
	GroupControl       int64
	SetControl         int64
	// Time stamps ISA09/ISA10 and GS04/GS05, in the zone the partner agreed on.
	Time         time.Time
	Usage        string // ISA15: "P" production (default) or "T" test
	AckRequested bool   // ISA14: ask for a TA1
	// Separators default to DefaultSeparators, with '^' as repetition
	// separator for 005010.
	Separators Separators
	// Newline writes "\n" after every segment terminator (the reader ignores it).
	Newline bool
	// Replacement, when not zero, replaces delimiter characters (and CR/LF)
	// found in data; when zero such data is an error, as X12 has no escape.
	Replacement byte
}

// Writer writes one interchange segment by segment, keeping the SE, GE and
// IEA counts. Use Write850, Write810 or Write997 for whole documents.
type Writer struct {
	bw         *bufio.Writer
	env        Envelope
	sep        Separators
	err        error
	started    bool
	inGroup    bool
	inSet      bool
	groups     int
	sets       int // in the open group
	segs       int // in the open set
	nextGroup  int64
	nextSet    int64
	setControl string
	groupCtl   string
	buf        []byte
}

// NewWriter checks env and returns a Writer; nothing is written before the
// first group.
func NewWriter(w io.Writer, env Envelope) (*Writer, error) {
	if env.Version == "" {
		env.Version = Version4010
	}
	if len(env.Version) < 6 || !allDigits([]byte(env.Version[:6])) {
		return nil, fmt.Errorf("x12 writer: version %q is not like 004010 or 005010", env.Version)
	}
	if env.Usage == "" {
		env.Usage = "P"
	}
	if env.AppSender == "" {
		env.AppSender = env.SenderID
	}
	if env.AppReceiver == "" {
		env.AppReceiver = env.ReceiverID
	}
	sep := env.Separators
	if sep == (Separators{}) {
		sep = DefaultSeparators
		if env.Version >= "00402" {
			sep.Repetition = '^'
		}
	}
	if env.Version < "00402" {
		sep.Repetition = 0
	}
	if err := checkSeparators(sep); err != nil {
		return nil, err
	}
	env.Separators = sep
	switch {
	case env.Usage != "P" && env.Usage != "T" && env.Usage != "I":
		return nil, fmt.Errorf("x12 writer: usage %q is not P, T or I", env.Usage)
	case env.InterchangeControl < 1 || env.InterchangeControl > 999999999:
		return nil, fmt.Errorf("x12 writer: interchange control number %d is not 1..999999999", env.InterchangeControl)
	case env.GroupControl < 1 || env.GroupControl > 999999999:
		return nil, fmt.Errorf("x12 writer: group control number %d is not 1..999999999", env.GroupControl)
	case env.SetControl < 0 || env.SetControl > 999999999:
		return nil, fmt.Errorf("x12 writer: set control number %d is not 1..999999999", env.SetControl)
	case env.Time.IsZero():
		return nil, errors.New("x12 writer: envelope time is not set")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"sender qualifier", env.SenderQualifier, 2}, {"sender ID", env.SenderID, 15}, {"receiver qualifier", env.ReceiverQualifier, 2},
		{"receiver ID", env.ReceiverID, 15}, {"application sender", env.AppSender, 15}, {"application receiver", env.AppReceiver, 15}} {
		if f.v == "" || len(f.v) > f.max {
			return nil, fmt.Errorf("x12 writer: %s %q must be 1 to %d characters", f.name, f.v, f.max)
		}
	}
	if env.SetControl == 0 {
		env.SetControl = 1
	}
	return &Writer{bw: bufio.NewWriterSize(w, 32<<10), env: env, sep: sep, nextGroup: env.GroupControl, nextSet: env.SetControl}, nil
}

func checkSeparators(s Separators) error {
	if len(s.Segment) == 0 {
		return errors.New("x12 writer: no segment terminator")
	}
	ds := []byte{s.Element, s.Component}
	if s.Repetition != 0 {
		ds = append(ds, s.Repetition)
	}
	for i, a := range ds {
		if isAlnum(a) || a == ' ' || a == 0 {
			return fmt.Errorf("x12 writer: separator %q is a letter, digit, space or NUL", a)
		}
		if strings.IndexByte(s.Segment, a) >= 0 {
			return fmt.Errorf("x12 writer: separator %q is part of the segment terminator", a)
		}
		for _, b := range ds[i+1:] {
			if a == b {
				return fmt.Errorf("x12 writer: separator %q is used twice", a)
			}
		}
	}
	return nil
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

func (w *Writer) header() {
	e := w.env
	ver := e.Version[:5]
	isa11 := "U"
	if w.sep.Repetition != 0 {
		isa11 = string(w.sep.Repetition)
	}
	ack := "0"
	if e.AckRequested {
		ack = "1"
	}
	// ISA is written raw: its fields are fixed width and ISA16 is a delimiter.
	el := string(w.sep.Element)
	isa := strings.Join([]string{"ISA", "00", pad("", 10), "00", pad("", 10), pad(e.SenderQualifier, 2), pad(e.SenderID, 15),
		pad(e.ReceiverQualifier, 2), pad(e.ReceiverID, 15), e.Time.Format("060102"), e.Time.Format("1504"), isa11, ver,
		formatControl(e.InterchangeControl, 9), ack, e.Usage, string(w.sep.Component)}, el)
	for _, v := range []string{e.SenderQualifier, e.SenderID, e.ReceiverQualifier, e.ReceiverID} {
		if err := w.checkData(v, false); err != nil {
			w.err = fmt.Errorf("x12 writer: ISA: %w", err)
			return
		}
	}
	w.bw.WriteString(isa)
	w.endSegment()
	w.started = true
}

func (w *Writer) endSegment() {
	w.bw.WriteString(w.sep.Segment)
	if w.env.Newline {
		w.bw.WriteByte('\n')
	}
}

// checkData reports a delimiter inside a value.
func (w *Writer) checkData(v string, composite bool) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == w.sep.Element || (!composite && c == w.sep.Component) || (w.sep.Repetition != 0 && c == w.sep.Repetition) ||
			c == '\n' || c == '\r' || strings.IndexByte(w.sep.Segment, c) >= 0 {
			return fmt.Errorf("value %q contains the delimiter %q, which X12 cannot escape", v, c)
		}
	}
	return nil
}

func (w *Writer) clean(v string, composite bool) (string, error) {
	if err := w.checkData(v, composite); err == nil || w.env.Replacement == 0 {
		return v, err
	}
	b := []byte(v)
	for i, c := range b {
		if c == w.sep.Element || (!composite && c == w.sep.Component) || (w.sep.Repetition != 0 && c == w.sep.Repetition) ||
			c == '\n' || c == '\r' || strings.IndexByte(w.sep.Segment, c) >= 0 {
			b[i] = w.env.Replacement
		}
	}
	return string(b), nil
}

// Segment writes one segment inside the open set. Trailing empty elements
// are dropped; a segment with no data is an error (X12 forbids "XYZ~").
func (w *Writer) Segment(id string, elems ...string) error {
	return w.segment(id, 0, elems)
}

// segment writes id and elems; compositeAt (1-based, 0 none) names the one
// element allowed to hold component separators.
func (w *Writer) segment(id string, compositeAt int, elems []string) error {
	if w.err != nil {
		return w.err
	}
	if !w.inSet && id != "ST" && id != "GS" && id != "GE" && id != "SE" && !(id == "TA1" && !w.inGroup) {
		w.err = fmt.Errorf("x12 writer: segment %s outside a transaction set", id)
		return w.err
	}
	if !validID([]byte(id)) {
		w.err = fmt.Errorf("x12 writer: segment ID %q is not 2-3 uppercase letters or digits", id)
		return w.err
	}
	n := len(elems)
	for n > 0 && strings.TrimRight(elems[n-1], " ") == "" {
		n--
	}
	if n == 0 {
		w.err = fmt.Errorf("x12 writer: segment %s has no data", id)
		return w.err
	}
	b := append(w.buf[:0], id...)
	for i, v := range elems[:n] {
		v, err := w.clean(v, i+1 == compositeAt)
		if err != nil {
			w.err = fmt.Errorf("x12 writer: %s%02d: %w", id, i+1, err)
			return w.err
		}
		// Trailing spaces are not data in X12 AN values; the reader drops them too.
		for len(v) > 0 && v[len(v)-1] == ' ' {
			v = v[:len(v)-1]
		}
		b = append(b, w.sep.Element)
		b = append(b, v...)
	}
	w.buf = b
	w.bw.Write(b)
	w.endSegment()
	if w.inSet {
		w.segs++
	}
	return nil
}

// BeginGroup writes the ISA (for the first group) and a GS with the next
// group control number.
func (w *Writer) BeginGroup(functionalID string) error {
	if w.err != nil {
		return w.err
	}
	if w.inGroup {
		w.EndGroup()
	}
	if !w.started {
		w.header()
		if w.err != nil {
			return w.err
		}
	}
	w.groupCtl = strconv.FormatInt(w.nextGroup, 10)
	w.nextGroup++
	agency := "X"
	w.inGroup = true
	w.sets = 0
	w.groups++
	return w.segment("GS", 0, []string{functionalID, w.env.AppSender, w.env.AppReceiver, w.env.Time.Format("20060102"),
		w.env.Time.Format("1504"), w.groupCtl, agency, w.env.Version})
}

// BeginSet writes an ST with the next set control number (at least four
// digits, zero-padded).
func (w *Writer) BeginSet(id string) error {
	if w.err != nil {
		return w.err
	}
	if !w.inGroup {
		w.err = errors.New("x12 writer: BeginSet outside a group")
		return w.err
	}
	if w.inSet {
		w.EndSet()
	}
	w.setControl = formatControl(w.nextSet, 4)
	w.nextSet++
	w.inSet = true
	w.segs = 0
	w.sets++
	return w.segment("ST", 0, []string{id, w.setControl})
}

// EndSet writes the SE with the segment count.
func (w *Writer) EndSet() error {
	if w.err != nil {
		return w.err
	}
	if !w.inSet {
		return nil
	}
	err := w.segment("SE", 0, []string{strconv.Itoa(w.segs + 1), w.setControl})
	w.inSet = false
	return err
}

// EndGroup closes an open set and writes the GE.
func (w *Writer) EndGroup() error {
	if w.inSet {
		w.EndSet()
	}
	if w.err != nil || !w.inGroup {
		return w.err
	}
	w.inGroup = false
	return w.segment("GE", 0, []string{strconv.Itoa(w.sets), w.groupCtl})
}

// Close ends the open set and group, writes the IEA and flushes. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	w.EndGroup()
	if w.err != nil {
		return w.err
	}
	if !w.started {
		w.err = errors.New("x12 writer: no functional group written")
		return w.err
	}
	w.bw.WriteString("IEA" + string(w.sep.Element) + strconv.Itoa(w.groups) + string(w.sep.Element) + formatControl(w.env.InterchangeControl, 9))
	w.endSegment()
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("x12 writer: %w", err)
	}
	return w.err
}

// ReplyEnvelope is the envelope for answering the interchange of s (a 997):
// sender and receiver swapped, same version family. The caller sets the
// control numbers and the time.
func ReplyEnvelope(s *Set) Envelope {
	ver := Version4010
	if strings.HasPrefix(s.Group.Version, "005") || s.Interchange.Version >= "00501" {
		ver = Version5010
	}
	return Envelope{
		SenderQualifier: s.Interchange.ReceiverQualifier, SenderID: s.Interchange.ReceiverID,
		ReceiverQualifier: s.Interchange.SenderQualifier, ReceiverID: s.Interchange.SenderID,
		AppSender: s.Group.ReceiverCode, AppReceiver: s.Group.SenderCode,
		Version: ver, Usage: s.Interchange.Usage,
	}
}
