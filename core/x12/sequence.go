package x12

import (
	"fmt"
	"sort"
	"strings"
)

// seqRules are the parts of a transaction set's segment order that the
// dictionary checks: the segment that must follow ST, the segments that
// exist only inside the detail loop (so cannot come before its first
// trigger), the segment opening the summary and the only segments that may
// follow it, and the top-level segments used once. They are the positions
// and max uses of the 004010/005010 tables (../shared/reference/x12.md §2,
// §3) where both versions agree and the whole area is known; the inner
// order of the heading and detail loops is not checked (conservative, as
// the rest of the dictionary: a gap lets through, never refuses).
type seqRules struct {
	first      string          // the segment at position 020, right after ST
	detail     string          // the detail loop's trigger (IT1, PO1)
	detailOnly map[string]bool // segments defined only inside the detail loop
	summary    string          // the segment opening the summary area
	after      map[string]bool // the segments the summary area holds after it
	last       string          // the summary's last segment before SE ("" when none is fixed)
	class      []uint8         // by idIndex: the sq bits of a segment ID (build)
}

// seq810: BIG at 020; QTY, IT3, CTP, PO4, SDQ, SR, SLN, TC2 only inside
// the IT1 loop; the summary is TDS (010), TXI, CAD, AMT, the SAC loop (SAC,
// TXI, and DTM from 005010), the ISS loop (ISS, PID), then CTT (070) last.
var seq810 = (&seqRules{first: "BIG", detail: "IT1", detailOnly: idSet("QTY IT3 CTP PO4 SDQ SR SLN TC2"),
	summary: "TDS", after: idSet("TXI CAD AMT SAC DTM ISS PID CTT"), last: "CTT"}).build()

// seq850: BEG at 020; the summary is the CTT loop (CTT, AMT). The heading
// and detail of an 850 share too many segments to name detail-only ones.
var seq850 = (&seqRules{first: "BEG", detail: "PO1", summary: "CTT", after: idSet("AMT")}).build()

// The classes of a segment ID in seqRules.class (bits).
const (
	sqFirst uint8 = 1 << iota
	sqDetail
	sqDetailOnly
	sqSummary
	sqAfter
	sqLast
)

// build fills the class table, indexed like the dictionary (idIndex), so
// a segment costs one array read on the mapper's hot path.
func (r *seqRules) build() *seqRules {
	r.class = make([]uint8, idSpace)
	set := func(id string, bit uint8) {
		if x, ok := idIndex(id); ok {
			r.class[x] |= bit
		}
	}
	set(r.first, sqFirst)
	set(r.detail, sqDetail)
	set(r.summary, sqSummary)
	if r.last != "" {
		set(r.last, sqLast)
	}
	for id := range r.detailOnly {
		set(id, sqDetailOnly)
	}
	for id := range r.after {
		set(id, sqAfter)
	}
	return r
}

// seqState follows one set through seqRules, segment by segment.
type seqState struct {
	r                 *seqRules
	lo                int // index of the first body segment
	detail            bool
	summaryAt, lastAt int
}

func newSeqState(r *seqRules, lo int) seqState {
	return seqState{r: r, lo: lo, summaryAt: -1, lastAt: -1}
}

// checkSequence runs seqRules over the set's body (for a mapper that does
// not call seqState.step as it goes).
func (m *mapper) checkSequence(r *seqRules) {
	s := m.set
	lo, hi := s.bodyRange()
	st := newSeqState(r, lo)
	for i := lo; i < hi; i++ {
		raw := s.rawAt(i)
		st.step(m, i, raw[:idLen(raw, s.sep)])
	}
}

// step checks segment id at index i and adds to m.syn the order problems:
// the first segment not right after ST (AK304 7), a detail-only segment
// before any detail line (7), a segment after the summary opened that the
// summary does not hold (7), anything after the last summary segment (7),
// and a second summary opener or last segment (5). Where the typed mapper
// said the same of a segment (a second BIG, IT1 after TDS), mergeSyntax
// keeps the mapper's words.
func (st *seqState) step(m *mapper, i int, id string) {
	x, ok := idIndex(id)
	var c uint8
	if ok {
		c = st.r.class[x]
	}
	if c == 0 && st.summaryAt < 0 {
		return // the common case: a heading or detail segment with no rule
	}
	if len(m.syn) >= maxIssues {
		return
	}
	r := st.r
	add := func(code, format string, args ...any) {
		is := m.set.issue(nil, 0, LevelSegment, code, "", fmt.Sprintf(format, args...))
		is.Position, is.SegmentID, is.Offset = i+1, id, m.set.offset(m.set.idx[i])
		m.syn = append(m.syn, is)
	}
	if c&sqLast != 0 && st.lastAt >= 0 {
		add("5", "%s appears more than once", id)
		return
	}
	switch {
	case st.lastAt >= 0:
		add("7", "%s after %s is out of sequence: %s closes the transaction set", id, r.last, r.last)
	case c&sqFirst != 0:
		if i != st.lo {
			add("7", "%s must follow ST directly; it is segment %d", id, i+1)
		}
	case c&sqDetail != 0:
		st.detail = true
		if st.summaryAt >= 0 {
			add("7", "%s after %s is out of sequence", id, r.summary)
		}
	case c&sqSummary != 0:
		if st.summaryAt >= 0 {
			add("5", "%s appears more than once", id)
		}
		st.summaryAt = i
	case st.summaryAt >= 0 && c&sqAfter == 0:
		add("7", "%s after %s is out of sequence: only %s may follow %s", id, r.summary, strings.Join(sortedSet(r.after), ", "), r.summary)
	case !st.detail && c&sqDetailOnly != 0:
		add("7", "%s belongs inside the %s loop and comes before any %s", id, r.detail, r.detail)
	}
	if c&sqLast != 0 {
		st.lastAt = i
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
