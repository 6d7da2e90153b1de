package x12

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unsafe"
)

// Limits that keep memory bounded on hostile input.
const (
	readBufferSize = 64 << 10
	maxSegmentLen  = 1 << 20 // a longer "segment" means the terminator is wrong
	maxIssues      = 1000    // per set, and for Reader.Issues
	maxControlSeen = 10000   // ST02 values remembered per group for the uniqueness check
	isaPeek        = 2048
)

// Reader streams transaction sets out of one or more interchanges.
type Reader struct {
	strict bool
	reuse  bool // Recycle: sets live until the next Next
	free   *Set // Recycle: the set released by the last Next, reused by closeSet
	br     *bufio.Reader
	// slab and islabN are the sizes of a new text slab (bytes) and index
	// slab (entries): textSlab and indexSlab, or less for a small input.
	slab, islabN int
	off          int64 // bytes consumed from br
	err          error
	done         bool

	// current interchange
	inIC      bool
	ic        Interchange
	icSeq     int // increases with every interchange
	icGroups  int
	icIssues  []Issue // ISA problems, copied into every set of the interchange
	elem      byte
	comp, rep byte
	term      []byte
	termLast  byte
	wrapped   bool
	needISA   bool // the next thing in the input must be an ISA

	// current group
	inGroup    bool
	grp        Group
	grpSeq     int
	grpSets    int
	grpIssues  []Issue
	grpControl map[string]struct{}
	grpCtlSeq  []uint64 // all-digit ST02s that rose above every earlier one: value<<4 | length, ascending

	// current set being built
	inSet     bool
	setOff    int64
	buf       []byte // slab: sets' text, appended and never changed (sets view it)
	setStart  int    // where the set being built starts in buf
	islab     []segIndex
	metas     []segMeta
	errs      []Issue
	warns     []Issue
	dropped   int
	stControl []byte

	icP  *Interchange // shared, immutable header of the current interchange
	grpP *Group       // same for the group

	// closed set waiting for its trailers; and the one handed out
	pending    *Set
	pendingIC  int
	pendingGrp int
	set        *Set

	orphans []Issue
	carry   []byte
	scratch []byte
	tmpEnds []int32
}

// Slab sizes: sets are carved out of them, so the garbage collector sees
// few large pointer-free objects instead of many small ones.
const (
	textSlab  = 256 << 10
	indexSlab = 8 << 10
)

type segMeta struct {
	start, end int32 // in buf, relative to setStart
	idEnd      int32 // length of the segment ID
	off        int64
}

// NewReader returns a Reader over r. It buffers r itself.
//
// An input that knows its length (a *bytes.Reader, *strings.Reader or
// *bytes.Buffer: one received file) gets buffers no larger than itself.
// The full sizes (64 KiB read buffer, 256 KiB text slab, 8 Ki index
// entries) are for streams; for a 1 KB file they were 380 KB of garbage
// per reader, most of the engine's allocation when draining a backlog.
func NewReader(r io.Reader) *Reader {
	rd := &Reader{needISA: true, slab: textSlab, islabN: indexSlab}
	size := readBufferSize
	if l, ok := r.(interface{ Len() int }); ok {
		n := l.Len()
		size = max(16, min(readBufferSize, n+64))
		rd.slab = max(64, min(textSlab, n+64))
		// A segment is at least 4 bytes with its terminator.
		rd.islabN = max(16, min(indexSlab, n/4+16))
	}
	rd.br = bufio.NewReaderSize(r, size)
	return rd
}

// Strict makes envelope deviations that real files often carry errors
// instead of warnings: ISA fields that are not fixed width or padded with
// non-ASCII characters, GS08 disagreeing with ISA12, a GS04 that is not
// CCYYMMDD, control numbers equal in value but not in width. It returns r.
func (r *Reader) Strict() *Reader {
	r.strict = true
	return r
}

// Recycle makes the reader reuse its memory from one set to the next, for
// a consumer that handles each set before asking for the next one (a
// batch validation, a bulk mapping into one reused Invoice). A Set is
// then valid only until the next call to Next: its text, its segments and
// every string read from it (an Invoice's number, its lines' part
// numbers…) are overwritten by the sets that follow. Copy what you keep.
// Without Recycle each set owns its memory for as long as it is
// referenced. It returns r.
//
// What it saves is the garbage collector's work: the reader otherwise
// allocates about 1.3 bytes per input byte, and collecting them was a
// sixth of the CPU time of reading and mapping a large file of invoices.
func (r *Reader) Recycle() *Reader {
	r.reuse = true
	return r
}

// Next advances to the next transaction set; it returns false at the end of
// the input or when the input cannot be tokenised further (see Err).
func (r *Reader) Next() bool {
	if r.reuse {
		r.recycle()
	}
	r.set = nil
	for {
		if r.pending != nil && (r.inSet || r.done) {
			r.set, r.pending = r.pending, nil
			return true
		}
		if r.done {
			return false
		}
		r.step()
	}
}

// Set returns the set read by the last successful Next.
func (r *Reader) Set() *Set { return r.set }

// Err returns the condition that stopped the reader early (input that is not
// X12, an unterminated segment, an I/O error), or nil. Problems inside
// interchanges are reported as Issues, not here.
func (r *Reader) Err() error { return r.err }

// Issues returns the problems that belong to no transaction set: a group or
// interchange with no sets, junk between sets. Warnings have Warning set.
func (r *Reader) Issues() []Issue { return r.orphans }

// recycle frees what the set handed out by the last Next used, which its
// consumer released by calling Next again. Only a set still staged (its
// ST, already read) lives in the text slab then, and no closed set waits
// for its trailers: its bytes move to the front of the slab and the index
// slab starts over. A closed set that has not been handed out yet keeps
// everything as it is.
func (r *Reader) recycle() {
	if r.pending != nil {
		return
	}
	if r.set != nil {
		r.free = r.set
	}
	n := copy(r.buf[:cap(r.buf)], r.buf[r.setStart:])
	r.buf, r.setStart = r.buf[:n], 0
	r.islab = r.islab[:0]
}

// fatal stops the reader.
func (r *Reader) fatal(off int64, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("x12: byte %d: %s", off, fmt.Sprintf(format, args...))
	}
	r.finish()
}

// step reads and handles one segment (or an ISA).
func (r *Reader) step() {
	if r.needISA {
		r.readISA()
		return
	}
	seg, off, ok := r.readSegment()
	if !ok {
		r.finish()
		return
	}
	r.handle(seg, off)
}

// finish closes whatever is open at the end of input.
func (r *Reader) finish() {
	if r.done {
		return
	}
	if r.inSet {
		r.setError(0, 0, LevelSet, "2", "", "transaction set trailer SE missing at end of input")
		r.closeSet()
	}
	if r.inGroup {
		r.trailerIssue(LevelGroup, "3", "", "functional group trailer GE missing at end of input", "GE", false)
		r.inGroup = false
	}
	if r.inIC && r.err == nil {
		r.trailerIssue(LevelInterchange, "023", "", "interchange trailer IEA missing at end of input", "IEA", false)
		r.inIC = false
	}
	r.done = true
}

// isSpace is the white space allowed between segments.
func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// readSegment returns the next segment without its terminator and without
// surrounding white space, and its byte offset. The slice is valid until the
// next read.
func (r *Reader) readSegment() ([]byte, int64, bool) {
	for {
		start := r.off
		var line []byte
		r.carry = r.carry[:0]
		eof := false
		for {
			l, err := r.br.ReadSlice(r.termLast)
			r.off += int64(len(l))
			if err == nil || err == bufio.ErrBufferFull {
				if err == nil && len(r.carry) == 0 && (len(r.term) == 1 || bytes.HasSuffix(l, r.term)) {
					line = l[:len(l)-len(r.term)]
					break
				}
				r.carry = append(r.carry, l...)
				if err == nil && bytes.HasSuffix(r.carry, r.term) {
					line = r.carry[:len(r.carry)-len(r.term)]
					break
				}
				if len(r.carry) > maxSegmentLen {
					r.fatal(start, "no segment terminator %q within %d bytes", r.term, maxSegmentLen)
					return nil, 0, false
				}
				continue
			}
			if err != io.EOF {
				r.fatal(r.off, "read: %v", err)
				return nil, 0, false
			}
			if len(r.carry) > 0 {
				r.carry = append(r.carry, l...)
				l = r.carry
			}
			line, eof = l, true
			break
		}
		// Skip white space (CR/LF after the previous terminator, indentation).
		i := 0
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		line = line[i:]
		off := start + int64(i)
		if r.termLast == '\n' || r.termLast == '\r' {
			for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == '\n') {
				line = line[:len(line)-1]
			}
		}
		if r.wrapped && (bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0) {
			r.scratch = r.scratch[:0]
			for _, c := range line {
				if c != '\n' && c != '\r' {
					r.scratch = append(r.scratch, c)
				}
			}
			line = r.scratch
		}
		if eof {
			if len(bytes.TrimSpace(line)) == 0 {
				return nil, 0, false
			}
			r.warnLoose(off, "", fmt.Sprintf("last segment has no terminator %q", r.term))
			return line, off, true
		}
		if len(line) == 0 {
			continue // an empty segment ("~~") or a blank line
		}
		return line, off, true
	}
}

// split appends the end of each element of seg to ends and returns it.
func (r *Reader) split(seg []byte, ends []int32) []int32 {
	i := 0
	for {
		j := bytes.IndexByte(seg[i:], r.elem)
		if j < 0 {
			return append(ends, int32(len(seg)))
		}
		ends = append(ends, int32(i+j))
		i += j + 1
	}
}

// validID reports whether id looks like an X12 segment ID.
func validID(id []byte) bool {
	if len(id) < 2 || len(id) > 3 {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return id[0] >= 'A' && id[0] <= 'Z'
}

// handle dispatches one segment.
func (r *Reader) handle(seg []byte, off int64) {
	idEnd := bytes.IndexByte(seg, r.elem)
	if idEnd < 0 {
		idEnd = len(seg)
	}
	id := seg[:idEnd]
	if r.inSet && !isEnvelopeID(id) {
		r.appendSeg(seg, idEnd, off)
		if !validID(id) {
			r.setError(len(r.metas), 0, LevelSegment, "1", "", fmt.Sprintf("unrecognized segment ID %q", clip(id)))
		}
		return
	}
	switch string(id) {
	case "ST":
		r.startSet(seg, idEnd, off)
	case "SE":
		if !r.inSet {
			r.looseError(off, "SE", LevelSegment, "2", "SE without a matching ST")
			return
		}
		r.appendSeg(seg, idEnd, off)
		r.endSet()
	case "GS":
		if r.inSet {
			r.setError(0, 0, LevelSet, "2", "", "transaction set trailer SE missing before GS")
			r.closeSet()
		}
		r.startGroup(seg, off)
	case "GE":
		if r.inSet {
			r.setError(0, 0, LevelSet, "2", "", "transaction set trailer SE missing before GE")
			r.closeSet()
		}
		r.endGroup(seg, off)
	case "IEA":
		if r.inSet {
			r.setError(0, 0, LevelSet, "2", "", "transaction set trailer SE missing before IEA")
			r.closeSet()
		}
		if r.inGroup {
			r.trailerIssue(LevelGroup, "3", "", "functional group trailer GE missing before IEA", "GE", false)
			r.inGroup = false
		}
		r.endInterchange(seg, off)
	case "ISA":
		// A new interchange without the IEA of the previous one.
		if r.inSet {
			r.setError(0, 0, LevelSet, "2", "", "transaction set trailer SE missing before ISA")
			r.closeSet()
		}
		if r.inGroup {
			r.trailerIssue(LevelGroup, "3", "", "functional group trailer GE missing before ISA", "GE", false)
			r.inGroup = false
		}
		r.trailerIssue(LevelInterchange, "023", "", "interchange trailer IEA missing before the next ISA", "IEA", false)
		r.inIC = false
		b := append(append([]byte(nil), seg...), r.term...)
		r.startInterchange(b, off, true)
	case "TA1", "ISB", "ISE":
		if r.inGroup {
			r.looseError(off, string(id), LevelSegment, "2", fmt.Sprintf("%s inside a functional group", id))
		}
	default:
		if r.inGroup {
			r.looseError(off, string(clip(id)), LevelSegment, "2", fmt.Sprintf("segment %q outside a transaction set", clip(id)))
		} else {
			r.looseError(off, string(clip(id)), LevelSegment, "2", fmt.Sprintf("segment %q outside a functional group", clip(id)))
		}
	}
}

func isEnvelopeID(id []byte) bool {
	switch len(id) {
	case 2:
		return id[0] == 'S' && (id[1] == 'T' || id[1] == 'E') || id[0] == 'G' && (id[1] == 'S' || id[1] == 'E')
	case 3:
		return string(id) == "IEA" || string(id) == "ISA"
	}
	return false
}

// clip bounds a value quoted in a message.
func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// appendSeg copies seg into the set's staging buffer. Elements are not
// split here: Segment.Element finds them when asked, so a reader that only
// routes segments does not pay for it.
func (r *Reader) appendSeg(seg []byte, idEnd int, off int64) {
	if len(r.buf)+len(seg) > cap(r.buf) {
		// A new slab; the set so far moves with it so its text stays contiguous.
		cur := r.buf[r.setStart:]
		nb := make([]byte, 0, max(r.slab, 2*(len(cur)+len(seg))))
		r.buf = append(nb, cur...)
		r.setStart = 0
	}
	start := int32(len(r.buf) - r.setStart)
	r.buf = append(r.buf, seg...)
	r.metas = append(r.metas, segMeta{start: start, end: int32(len(r.buf) - r.setStart), idEnd: int32(idEnd), off: off})
}

// stagedElem returns element i of the staged segment m.
func (r *Reader) stagedElem(m segMeta, i int) []byte {
	seg := r.buf[r.setStart+int(m.start) : r.setStart+int(m.end)]
	r.tmpEnds = r.split(seg, r.tmpEnds[:0])
	return elemOf(seg, r.tmpEnds, i)
}

func (r *Reader) startSet(seg []byte, idEnd int, off int64) {
	if r.inSet {
		r.setError(0, 0, LevelSet, "2", "", "transaction set trailer SE missing before the next ST")
		r.closeSet()
	}
	if !r.inGroup {
		r.grpSeq++
		r.grp = Group{Index: r.icGroups + 1, Missing: true, Offset: off}
		g := r.grp
		r.grpP = &g
		r.icGroups++
		r.grpSets = 0
		r.grpIssues = nil
		r.grpControl, r.grpCtlSeq = nil, r.grpCtlSeq[:0]
		r.inGroup = true
		r.grpIssues = append(r.grpIssues, Issue{Interchange: r.ic.ControlNumber, Offset: off, Level: LevelSet, Code: "18",
			SegmentID: "ST", Message: "transaction set is not in a functional group (GS missing)"})
	}
	r.inSet = true
	r.setOff = off
	r.setStart = len(r.buf)
	r.metas = r.metas[:0]
	r.errs = r.errs[:0]
	r.warns = r.warns[:0]
	r.dropped = 0
	r.grpSets++
	r.appendSeg(seg, idEnd, off)
	m := r.metas[0]
	const st = 1
	st01, st02 := r.stagedElem(m, 1), r.stagedElem(m, 2)
	r.stControl = append(r.stControl[:0], st02...)
	if len(st01) != 3 || !allDigits(st01) {
		r.setError(st, 1, LevelSet, "6", string(clip(st01)), fmt.Sprintf("ST01 transaction set identifier %q is not 3 digits", clip(st01)))
	}
	if len(st02) < 4 || len(st02) > 9 {
		r.setError(st, 2, LevelSet, "7", string(clip(st02)), fmt.Sprintf("ST02 control number %q must be 4 to 9 characters", clip(st02)))
	}
	// The functional group says what its sets are (GS01, DE 479): an 850 in
	// an invoice group is not an invoice, whatever it holds.
	if want, ok := functionalIDs[string(st01)]; ok && r.grp.FunctionalID != "" && r.grp.FunctionalID != want {
		r.setError(st, 1, LevelSet, "6", string(st01), fmt.Sprintf("a %s transaction set belongs in a %s functional group, not in this %s group (GS01)",
			st01, want, r.grp.FunctionalID))
	}
	if r.seenControl(st02) {
		r.setError(st, 2, LevelSet, "23", string(clip(st02)), fmt.Sprintf("ST02 control number %q is not unique within the group", clip(st02)))
	} else {
		r.rememberControl(st02)
	}
}

// functionalIDs is the GS01 functional identifier code (DE 479) each
// transaction set belongs to, for the sets partners send us and we send.
var functionalIDs = map[string]string{
	"810": "IN", "850": "PO", "855": "PR", "856": "SH", "860": "PC", "865": "CA", "997": "FA", "999": "FA",
	"820": "RA", "824": "AG", "846": "IB", "864": "TX", "812": "CD",
}

// ctlKey packs an ST02 of one to nine digits as value<<4 | length: two such
// control numbers are the same string exactly when their keys are equal.
func ctlKey(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v<<4 | uint64(len(b)), true
}

// seenControl reports whether the group already had this ST02. Control
// numbers usually count up, so an all-digit one above every earlier one is
// new without a lookup (the map holds only values at or below that maximum,
// and strings that are not all digits); others are searched in the
// ascending list and the map.
func (r *Reader) seenControl(st02 []byte) bool {
	if k, ok := ctlKey(st02); ok {
		n := len(r.grpCtlSeq)
		if n == 0 || k>>4 > r.grpCtlSeq[n-1]>>4 {
			return false
		}
		if _, found := slices.BinarySearch(r.grpCtlSeq, k); found {
			return true
		}
	}
	_, dup := r.grpControl[string(st02)]
	return dup
}

// rememberControl records a new ST02 (up to maxControlSeen per group): in
// the ascending list when it rises above every earlier all-digit one, else
// in the map.
func (r *Reader) rememberControl(st02 []byte) {
	if len(r.grpControl)+len(r.grpCtlSeq) >= maxControlSeen {
		return
	}
	if k, ok := ctlKey(st02); ok {
		if n := len(r.grpCtlSeq); n == 0 || k>>4 > r.grpCtlSeq[n-1]>>4 {
			r.grpCtlSeq = append(r.grpCtlSeq, k)
			return
		}
	}
	if r.grpControl == nil {
		r.grpControl = map[string]struct{}{}
	}
	r.grpControl[string(st02)] = struct{}{}
}

func (r *Reader) endSet() {
	m := r.metas[len(r.metas)-1]
	se := len(r.metas)
	se01, se02 := r.stagedElem(m, 1), r.stagedElem(m, 2)
	n := len(r.metas)
	if v, ok := atoi(se01); !ok {
		r.setError(se, 1, LevelSet, "4", string(clip(se01)), fmt.Sprintf("SE01 segment count %q is not a number", clip(se01)))
	} else if v != n {
		r.setError(se, 1, LevelSet, "4", string(clip(se01)), fmt.Sprintf("SE01 says %d segments, the set has %d", v, n))
	}
	if !bytes.Equal(se02, r.stControl) {
		r.setError(se, 2, LevelSet, "3", string(clip(se02)), fmt.Sprintf("SE02 control number %q does not match ST02 %q", clip(se02), clip(r.stControl)))
	}
	r.closeSet()
}

// closeSet copies the staged set into its own arena and parks it as pending.
func (r *Reader) closeSet() {
	r.inSet = false
	var data string
	if n := len(r.buf) - r.setStart; n > 0 {
		// The slab bytes of a closed set are never written again, so the
		// string can share them instead of copying.
		data = unsafe.String(&r.buf[r.setStart], n)
	}
	r.setStart = len(r.buf)
	if len(r.islab)+len(r.metas) > cap(r.islab) {
		r.islab = make([]segIndex, 0, max(r.islabN, len(r.metas)))
	}
	i0 := len(r.islab)
	var base int64
	if len(r.metas) > 0 {
		base = r.metas[0].off
	}
	for _, m := range r.metas {
		rel := uint32(relUnknown)
		if d := m.off - base; d >= 0 && d < relUnknown {
			rel = uint32(d)
		}
		r.islab = append(r.islab, segIndex{start: m.start, rel: rel})
	}
	idx := r.islab[i0:len(r.islab):len(r.islab)]
	var s *Set
	var errs, warns []Issue
	if r.free != nil { // Recycle: the released set's struct and lists
		s, r.free = r.free, nil
		errs, warns = s.Errors[:0], s.Warnings[:0]
	} else {
		s = new(Set)
	}
	*s = Set{Interchange: r.icP, Group: r.grpP, Index: r.grpSets, data: data, idx: idx, base: base, sep: r.elem, comp: r.comp, rep: r.rep, Warnings: warns}
	if len(idx) > 0 {
		st := s.Segment(0)
		s.ID, s.ControlNumber, s.Convention = st.Element(1), st.Element(2), st.Element(3)
	}
	if n := len(r.icIssues) + len(r.grpIssues) + len(r.errs); cap(errs) >= n {
		s.Errors = errs
	} else {
		s.Errors = make([]Issue, 0, n)
	}
	for _, list := range [][]Issue{r.icIssues, r.grpIssues} {
		for _, is := range list {
			is.Group, is.Set = r.grp.ControlNumber, s.ControlNumber
			warn := is.Warning && !r.strict
			is.Warning = false
			if warn {
				s.Warnings = append(s.Warnings, is)
			} else {
				s.Errors = append(s.Errors, is)
			}
		}
	}
	for _, is := range r.errs {
		is.Set = s.ControlNumber
		s.Errors = append(s.Errors, is)
	}
	for _, is := range r.warns {
		is.Set = s.ControlNumber
		s.Warnings = append(s.Warnings, is)
	}
	if r.dropped > 0 {
		s.Errors = append(s.Errors, s.issue(nil, 0, LevelSet, "5", "", fmt.Sprintf("%d more problems not listed", r.dropped)))
	}
	if r.pending != nil { // cannot happen: a set is yielded before the next one closes
		r.orphans = append(r.orphans, Issue{Message: "internal: set dropped", Offset: -1})
	}
	r.pending, r.pendingIC, r.pendingGrp = s, r.icSeq, r.grpSeq
}

// setError records an error for the set being built. m is the staged
// segment (nil for the set as a whole).
func (r *Reader) setError(pos int, elem int, lvl Level, code, value, msg string) {
	r.addSetIssue(&r.errs, pos, elem, lvl, code, value, msg)
}

func (r *Reader) setWarning(pos int, elem int, lvl Level, code, value, msg string) {
	r.addSetIssue(&r.warns, pos, elem, lvl, code, value, msg)
}

// addSetIssue records a problem of the set being built; pos is the 1-based
// position of the staged segment, 0 for the set as a whole.
func (r *Reader) addSetIssue(list *[]Issue, pos int, elem int, lvl Level, code, value, msg string) {
	if len(*list) >= maxIssues {
		r.dropped++
		return
	}
	is := Issue{Interchange: r.ic.ControlNumber, Group: r.grp.ControlNumber, Offset: r.setOff, Level: lvl, Code: code, Value: value, Message: msg}
	if pos > 0 && pos <= len(r.metas) {
		m := r.metas[pos-1]
		is.Offset = m.off
		is.Element = elem
		is.Position = pos
		seg := r.buf[r.setStart+int(m.start) : r.setStart+int(m.end)]
		is.SegmentID = string(clip(seg[:m.idEnd]))
	}
	*list = append(*list, is)
}

// trailerIssue records a problem found in (or for want of) a GE or IEA: it
// goes to the last set of that group or interchange, or to the orphans.
func (r *Reader) trailerIssue(lvl Level, code, value, msg, segID string, warning bool) {
	is := Issue{Interchange: r.ic.ControlNumber, SegmentID: segID, Offset: r.off, Level: lvl, Code: code, Value: value, Message: msg}
	if lvl == LevelGroup {
		is.Group = r.grp.ControlNumber
	}
	warning = warning && !r.strict
	belongs := r.pending != nil && r.pendingIC == r.icSeq && (lvl != LevelGroup || r.pendingGrp == r.grpSeq)
	if belongs {
		is.Group, is.Set = r.pending.Group.ControlNumber, r.pending.ControlNumber
		if lvl == LevelInterchange {
			is.Group = r.pending.Group.ControlNumber
		}
		p := r.pending
		if warning {
			p.Warnings = append(p.Warnings, is)
		} else {
			p.Errors = append(p.Errors, is)
		}
		return
	}
	is.Warning = warning
	r.addOrphan(is)
}

func (r *Reader) addOrphan(is Issue) {
	if len(r.orphans) < maxIssues {
		r.orphans = append(r.orphans, is)
	}
}

// looseError reports a segment found where none may be.
func (r *Reader) looseError(off int64, id string, lvl Level, code, msg string) {
	is := Issue{Interchange: r.ic.ControlNumber, SegmentID: id, Offset: off, Level: lvl, Code: code, Message: msg}
	if r.inGroup {
		is.Group = r.grp.ControlNumber
	}
	if r.pending != nil && r.pendingIC == r.icSeq {
		is.Set = r.pending.ControlNumber
		r.pending.Errors = append(r.pending.Errors, is)
		return
	}
	r.addOrphan(is)
}

func (r *Reader) warnLoose(off int64, id, msg string) {
	if r.inSet {
		r.setWarning(0, 0, LevelSegment, "", "", msg)
		return
	}
	is := Issue{Interchange: r.ic.ControlNumber, SegmentID: id, Offset: off, Level: LevelInterchange, Message: msg, Warning: true}
	if r.pending != nil {
		is.Set = r.pending.ControlNumber
		is.Warning = false
		r.pending.Warnings = append(r.pending.Warnings, is)
		return
	}
	r.addOrphan(is)
}

func (r *Reader) startGroup(seg []byte, off int64) {
	if r.inGroup {
		r.trailerIssue(LevelGroup, "3", "", "functional group trailer GE missing before the next GS", "GE", false)
	}
	r.tmpEnds = r.split(seg, r.tmpEnds[:0])
	el := func(i int) string { return string(clip(elemOf(seg, r.tmpEnds, i))) }
	r.grpSeq++
	r.icGroups++
	r.inGroup = true
	r.grpSets = 0
	r.grpControl, r.grpCtlSeq = nil, r.grpCtlSeq[:0]
	r.grp = Group{Index: r.icGroups, FunctionalID: el(1), SenderCode: el(2), ReceiverCode: el(3), Date: el(4), Time: el(5),
		ControlNumber: el(6), Agency: el(7), Version: el(8), Offset: off}
	g := r.grp
	r.grpP = &g
	r.grpIssues = nil
	gi := func(elem int, lvl Level, code, value, msg string, warn bool) {
		r.grpIssues = append(r.grpIssues, Issue{Interchange: r.ic.ControlNumber, Group: r.grp.ControlNumber, SegmentID: "GS",
			Element: elem, Offset: off, Level: lvl, Code: code, Value: value, Message: msg, Warning: warn})
	}
	n := len(r.tmpEnds) - 1
	if n < 8 {
		gi(0, LevelGroup, "6", "", fmt.Sprintf("GS has %d elements, 8 are required", n), false)
	}
	if g := r.grp.ControlNumber; len(g) == 0 || len(g) > 9 || !allDigits([]byte(g)) {
		gi(6, LevelGroup, "6", g, fmt.Sprintf("GS06 group control number %q is not 1-9 digits", g), false)
	}
	if v := r.grp.Version; len(v) >= 5 && len(r.ic.Version) == 5 && v[:5] != r.ic.Version {
		gi(8, LevelGroup, "2", v, fmt.Sprintf("GS08 version %q differs from ISA12 %q", v, r.ic.Version), true)
	}
	if d := r.grp.Date; len(d) != 8 || !allDigits([]byte(d)) {
		gi(4, LevelElement, "8", d, fmt.Sprintf("GS04 date %q is not CCYYMMDD", d), true)
	}
}

func (r *Reader) endGroup(seg []byte, off int64) {
	if !r.inGroup {
		r.looseError(off, "GE", LevelGroup, "3", "GE without a matching GS")
		return
	}
	r.tmpEnds = r.split(seg, r.tmpEnds[:0])
	ge01, ge02 := elemOf(seg, r.tmpEnds, 1), elemOf(seg, r.tmpEnds, 2)
	if r.pending != nil && r.pendingGrp == r.grpSeq {
		// Headers are shared and immutable: the last set gets its own copy
		// that knows the trailer.
		g := *r.pending.Group
		g.TrailerRead = true
		g.DeclaredSets, _ = atoi(ge01)
		r.pending.Group = &g
	}
	if v, ok := atoi(ge01); !ok {
		r.trailerIssue(LevelGroup, "5", string(clip(ge01)), fmt.Sprintf("GE01 set count %q is not a number", clip(ge01)), "GE", false)
	} else if v != r.grpSets {
		r.trailerIssue(LevelGroup, "5", string(clip(ge01)), fmt.Sprintf("GE01 says %d transaction sets, the group has %d", v, r.grpSets), "GE", false)
	}
	switch eq, width := numEqual(ge02, []byte(r.grp.ControlNumber)); {
	case !eq:
		r.trailerIssue(LevelGroup, "4", string(clip(ge02)), fmt.Sprintf("GE02 control number %q does not match GS06 %q", clip(ge02), r.grp.ControlNumber), "GE", false)
	case !width:
		r.trailerIssue(LevelGroup, "4", string(clip(ge02)), fmt.Sprintf("GE02 control number %q is written with another width than GS06 %q", clip(ge02), r.grp.ControlNumber), "GE", true)
	}
	r.inGroup = false
}

func (r *Reader) endInterchange(seg []byte, off int64) {
	if !r.inIC {
		r.looseError(off, "IEA", LevelInterchange, "022", "IEA without a matching ISA")
		return
	}
	r.tmpEnds = r.split(seg, r.tmpEnds[:0])
	iea01, iea02 := elemOf(seg, r.tmpEnds, 1), elemOf(seg, r.tmpEnds, 2)
	if v, ok := atoi(iea01); !ok {
		r.trailerIssue(LevelInterchange, "021", string(clip(iea01)), fmt.Sprintf("IEA01 group count %q is not a number", clip(iea01)), "IEA", false)
	} else if v != r.icGroups {
		r.trailerIssue(LevelInterchange, "021", string(clip(iea01)), fmt.Sprintf("IEA01 says %d functional groups, the interchange has %d", v, r.icGroups), "IEA", false)
	}
	switch eq, width := numEqual(iea02, []byte(r.ic.ControlNumber)); {
	case !eq:
		r.trailerIssue(LevelInterchange, "001", string(clip(iea02)), fmt.Sprintf("IEA02 control number %q does not match ISA13 %q", clip(iea02), r.ic.ControlNumber), "IEA", false)
	case !width:
		r.trailerIssue(LevelInterchange, "001", string(clip(iea02)), fmt.Sprintf("IEA02 control number %q is not zero-padded to 9 digits like ISA13 %q", clip(iea02), r.ic.ControlNumber), "IEA", true)
	}
	r.inIC = false
	r.needISA = true
}

// elemOf returns element i of seg split at ends.
func elemOf(seg []byte, ends []int32, i int) []byte {
	if i <= 0 || i >= len(ends) {
		return nil
	}
	return seg[ends[i-1]+1 : ends[i]]
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// atoi parses a non-negative decimal integer of at most 18 digits.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// numEqual compares two control numbers numerically; width reports whether
// they are also written alike.
func numEqual(a, b []byte) (eq, width bool) {
	if bytes.Equal(a, b) {
		return true, true
	}
	if !allDigits(a) || !allDigits(b) {
		return false, false
	}
	a, b = bytes.TrimLeft(a, "0"), bytes.TrimLeft(b, "0")
	return bytes.Equal(a, b), false
}

// dosEOF is the DOS end-of-file byte (SUB, Ctrl-Z) some Windows tools
// append to a file after its last IEA.
const dosEOF = 0x1A

// readISA expects an ISA header next (start of input or after an IEA).
func (r *Reader) readISA() {
	// Skip a BOM and white space; after an interchange also a DOS
	// end-of-file byte, which is not data (a warning, not an error).
	subAt := int64(-1)
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			if err != io.EOF {
				r.fatal(r.off, "read: %v", err)
				return
			}
			if r.icSeq == 0 {
				r.fatal(r.off, "no ISA interchange header: the input is empty")
				return
			}
			if subAt >= 0 {
				r.addOrphan(Issue{Offset: subAt, Level: LevelInterchange, Warning: true,
					Message: "a DOS end-of-file byte (0x1A) after the last IEA was ignored"})
			}
			r.finish()
			return
		}
		if isSpace(b[0]) || b[0] == dosEOF && r.icSeq > 0 {
			if b[0] == dosEOF && subAt < 0 {
				subAt = r.off
			}
			r.br.Discard(1)
			r.off++
			continue
		}
		if b[0] == 0xEF {
			if bom, _ := r.br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				r.br.Discard(3)
				r.off += 3
				continue
			}
		}
		break
	}
	b, err := r.br.Peek(isaPeek)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		r.fatal(r.off, "read: %v", err)
		return
	}
	if r.icSeq > 0 && !bytes.HasPrefix(b, []byte("ISA")) {
		// Not a second interchange: say what it is rather than "no ISA header".
		preview := b
		if len(preview) > 20 {
			preview = preview[:20]
		}
		r.fatal(r.off, "trailing data after the last IEA is not an X12 interchange (it starts %q)", preview)
		return
	}
	r.startInterchange(b, r.off, false)
}

// startInterchange parses the ISA at the start of b and sets up the
// separators. When consumed is false the ISA bytes are still in the bufio
// buffer and are discarded here.
func (r *Reader) startInterchange(b []byte, off int64, consumed bool) {
	h, n, issues, err := parseISA(b)
	if err != nil {
		r.fatal(off, "%v", err)
		return
	}
	if !consumed {
		r.br.Discard(n)
		r.off += int64(n)
	}
	r.icSeq++
	h.Index = r.icSeq
	h.Offset = off
	r.ic = h
	r.icP = &h
	r.inIC = true
	r.needISA = false
	r.icGroups = 0
	r.elem, r.comp, r.rep = h.Separators.Element, h.Separators.Component, h.Separators.Repetition
	r.term = []byte(h.Separators.Segment)
	r.termLast = r.term[len(r.term)-1]
	r.wrapped = issues.wrapped
	r.icIssues = r.icIssues[:0]
	for _, is := range issues.list {
		is.Interchange = h.ControlNumber
		is.Offset = off
		r.icIssues = append(r.icIssues, is)
	}
}

// Interchange problems found while reading the ISA, passed to every set.
type isaIssues struct {
	list    []Issue
	wrapped bool
}

var isaWidths = [17]int{0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1}

// parseISA reads an ISA header at the start of b: the 16 elements, the
// component separator (ISA16) and the terminator after it. It returns the
// number of bytes used.
func parseISA(b []byte) (Interchange, int, isaIssues, error) {
	var h Interchange
	var iss isaIssues
	if len(b) < 4 {
		return h, 0, iss, fmt.Errorf("no ISA interchange header: input too short (%d bytes)", len(b))
	}
	if !bytes.Equal(b[:3], []byte("ISA")) {
		if bytes.EqualFold(b[:3], []byte("ISA")) {
			return h, 0, iss, fmt.Errorf("interchange header %q is not uppercase: X12 segment IDs are uppercase, so this is not an ISA header", b[:3])
		}
		return h, 0, iss, fmt.Errorf("not an X12 interchange: expected \"ISA\", found %q", clip(b[:min(len(b), 20)]))
	}
	sep := b[3]
	if sep >= 'A' && sep <= 'Z' || sep >= 'a' && sep <= 'z' || sep >= '0' && sep <= '9' || isSpace(sep) {
		return h, 0, iss, fmt.Errorf("ISA element separator %q is a letter, digit or white space", sep)
	}
	var fields [17][]byte
	count := 1
	start := 4
	i := 4
	for ; i < len(b) && count < 16; i++ {
		switch b[i] {
		case sep:
			fields[count] = b[start:i]
			count++
			start = i + 1
		case '\n', '\r':
			iss.wrapped = true
		}
	}
	if count < 16 {
		return h, 0, iss, fmt.Errorf("ISA has %d of its 16 elements in the first %d bytes", count, len(b))
	}
	// i is just past the 16th separator: ISA16, then the terminator.
	for i < len(b) && iss.wrapped && (b[i] == '\n' || b[i] == '\r') {
		i++
	}
	if i+1 >= len(b) {
		return h, 0, iss, errors.New("ISA ends before its component separator and segment terminator")
	}
	comp := b[i]
	fields[16] = b[i : i+1]
	i++
	tlen := 1
	if b[i] >= 0xC0 {
		switch {
		case b[i] >= 0xF0:
			tlen = 4
		case b[i] >= 0xE0:
			tlen = 3
		default:
			tlen = 2
		}
		if i+tlen > len(b) {
			return h, 0, iss, errors.New("ISA segment terminator is cut off")
		}
	}
	term := b[i : i+tlen]
	n := i + tlen
	for k := 1; k <= 15; k++ {
		if iss.wrapped && (bytes.IndexByte(fields[k], '\n') >= 0 || bytes.IndexByte(fields[k], '\r') >= 0) {
			f := make([]byte, 0, len(fields[k]))
			for _, c := range fields[k] {
				if c != '\n' && c != '\r' {
					f = append(f, c)
				}
			}
			fields[k] = f
		}
	}
	add := func(elem int, lvl Level, code, value, msg string, warn bool) {
		iss.list = append(iss.list, Issue{SegmentID: "ISA", Element: elem, Level: lvl, Code: code, Value: value, Message: msg, Warning: warn})
	}
	// ISA16 holding the terminator, with a line break after it (seen in real
	// files): take ISA16 as the terminator when the next line ends with it.
	if (term[0] == '\n' || term[0] == '\r') && !isAlnum(comp) {
		rest := b[n:]
		for len(rest) > 0 && isSpace(rest[0]) {
			rest = rest[1:]
		}
		if nl := bytes.IndexAny(rest, "\r\n"); nl > 0 && rest[nl-1] == comp {
			add(16, LevelInterchange, "027", string(comp), fmt.Sprintf("ISA16 holds %q, which also ends every following line: read as the segment terminator, with no component separator", comp), true)
			term = fields[16]
			n = i
			comp = 0
		}
	}
	// A space (or a digit) as segment terminator is legal but unusual, and
	// every element value containing one is then cut into bogus segments:
	// say which terminator the ISA declared, once, before the "unrecognized
	// segment" errors it causes.
	if len(term) == 1 && (term[0] == ' ' || term[0] >= '0' && term[0] <= '9') {
		name := fmt.Sprintf("%q", term[0])
		if term[0] == ' ' {
			name = "a space"
		}
		add(16, LevelInterchange, "", string(term), fmt.Sprintf("the ISA declares %s as segment terminator (the byte after ISA16): element values containing it are split into false segments; ask the partner for ~ or a line break", name), true)
	}
	trim := func(f []byte) string {
		s := string(f)
		for {
			switch {
			case len(s) > 0 && s[len(s)-1] == ' ':
				s = s[:len(s)-1]
			case len(s) >= 2 && s[len(s)-2:] == "\u00a0":
				s = s[:len(s)-2]
			default:
				return trimLeftPad(s)
			}
		}
	}
	h.AuthQualifier, h.AuthInfo = trim(fields[1]), trim(fields[2])
	h.SecurityQualifier, h.SecurityInfo = trim(fields[3]), trim(fields[4])
	h.SenderQualifier, h.SenderID = trim(fields[5]), trim(fields[6])
	h.ReceiverQualifier, h.ReceiverID = trim(fields[7]), trim(fields[8])
	h.Date, h.Time = string(fields[9]), string(fields[10])
	h.Version = string(fields[12])
	h.ControlNumber = string(fields[13])
	h.AckRequested = string(fields[14]) == "1"
	h.Usage = string(fields[15])
	h.Separators = Separators{Element: sep, Component: comp, Segment: string(term)}
	for k := 1; k <= 16; k++ {
		w := runeCount(fields[k])
		if w != isaWidths[k] {
			add(k, LevelInterchange, "022", string(clip(fields[k])), fmt.Sprintf("ISA%02d is %d characters wide, the standard fixes %d", k, w, isaWidths[k]), true)
		}
		if w != len(fields[k]) {
			add(k, LevelInterchange, "022", "", fmt.Sprintf("ISA%02d holds non-ASCII characters (padding with no-break spaces?)", k), true)
		}
	}
	v, vok := atoi(fields[12])
	if len(fields[12]) != 5 || !vok {
		add(12, LevelInterchange, "017", h.Version, fmt.Sprintf("ISA12 version %q is not 5 digits", h.Version), false)
	}
	isa11 := fields[11]
	if vok && v >= 402 && len(isa11) == 1 && !isAlnum(isa11[0]) && !isSpace(isa11[0]) {
		h.Separators.Repetition = isa11[0]
	} else {
		h.StandardsID = string(isa11)
	}
	if len(fields[13]) != 9 || !allDigits(fields[13]) {
		add(13, LevelInterchange, "018", h.ControlNumber, fmt.Sprintf("ISA13 control number %q is not 9 digits", h.ControlNumber), false)
	}
	if f := string(fields[14]); f != "0" && f != "1" {
		add(14, LevelInterchange, "019", f, fmt.Sprintf("ISA14 acknowledgment requested %q is not 0 or 1", f), false)
	}
	if f := h.Usage; f != "P" && f != "T" && f != "I" {
		add(15, LevelInterchange, "020", f, fmt.Sprintf("ISA15 usage indicator %q is not P, T or I", f), false)
	}
	s := h.Separators
	if s.Component != 0 && (s.Component == s.Element || string(s.Component) == s.Segment || isAlnum(s.Component)) {
		add(16, LevelInterchange, "027", string(s.Component), fmt.Sprintf("ISA16 component separator %q clashes with another delimiter or is a letter or digit", s.Component), false)
	}
	if s.Segment == string(s.Element) || len(s.Segment) == 1 && isAlnum(s.Segment[0]) {
		return h, 0, iss, fmt.Errorf("ISA segment terminator %q is invalid", s.Segment)
	}
	if s.Repetition != 0 && (s.Repetition == s.Element || s.Repetition == s.Component || string(s.Repetition) == s.Segment) {
		add(11, LevelInterchange, "026", string(s.Repetition), fmt.Sprintf("ISA11 repetition separator %q clashes with another delimiter", s.Repetition), false)
		h.Separators.Repetition = 0
	}
	return h, n, iss, nil
}

func trimLeftPad(s string) string {
	for {
		switch {
		case len(s) > 0 && s[0] == ' ':
			s = s[1:]
		case len(s) >= 2 && s[:2] == "\u00a0":
			s = s[2:]
		default:
			return s
		}
	}
}

func isAlnum(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func runeCount(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

// formatControl pads a control number to width with zeros.
func formatControl(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
