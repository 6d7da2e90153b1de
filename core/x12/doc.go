// Package x12 reads, validates and writes ANSI ASC X12 interchanges, with
// typed documents for the 850 purchase order, the 810 invoice and the 997
// functional acknowledgment in releases 004010 and 005010.
//
// # Reading
//
// [NewReader] streams an io.Reader of any size: it keeps one transaction set
// in memory at a time, so a 1 GB file of invoices parses in the same memory as
// a 1 KB one. Iterate over transaction sets:
//
//	rd := x12.NewReader(f)
//	for rd.Next() {
//		set := rd.Set()
//		for _, e := range set.Errors {
//			log.Print(e) // "interchange 000000905 group 1 set 0001: segment 14 (IT1) element 4: …"
//		}
//		if set.ID == "810" {
//			inv, err := x12.ParseInvoice(set)
//			…
//		}
//	}
//	if err := rd.Err(); err != nil {
//		// the input could not be tokenised any further (not X12, I/O error)
//	}
//	orphans := rd.Issues() // envelope problems that belong to no set
//
// The separators come from each ISA: the element separator is the byte after
// "ISA", the component separator is ISA16, the segment terminator is the
// character after ISA16 (one UTF-8 character, so "…" works), and ISA11 is the
// repetition separator from version 00402 on. CR/LF and other white space
// after a terminator is ignored; a UTF-8 byte-order mark before the ISA is
// skipped; ISA fields padded with no-break spaces are accepted with a warning;
// an interchange hard-wrapped at a fixed width (a line break inside the ISA)
// has every CR/LF removed before tokenising.
//
// Problems are collected per transaction set as [Issue] values naming the
// interchange, group, set, segment position and element, so one bad set does
// not hide the others. Envelope problems found in a GE or IEA trailer are
// attached to the last set of that group or interchange, which the reader
// yields only after reading the trailer. The reader never panics on any
// input; [Reader.Err] reports only conditions that stop tokenising.
//
// A [Set] and its segments are immutable once yielded and may be kept or
// handed to other goroutines: each set's text is copied once into an
// append-only arena (slabs of 256 KB shared by consecutive sets, so keeping a
// set keeps at most its slab alive), and every value the package hands out
// is a substring of it. A set's Interchange and Group headers are shared
// with the other sets of the same interchange and group; treat them as
// read-only. Iterate a set's segments with
//
//	for i, g := range set.Segments { … g.ID, g.Element(3), g.Component(1, 2) … }
//
// # Typed documents
//
// [ParseInvoice], [ParsePurchaseOrder] and [ParseAck] map a set to a model
// with money amounts as [money.Decimal] (never float64) and dates as [Date].
// They add mapping problems (a price that is not a number, TDS that does not
// equal the lines) to the document's Errors and Warnings.
//
// # Writing
//
// [Write850], [Write810] and [Write997] produce complete interchanges from
// the models with caller-supplied control numbers, [Envelope] settings and
// [Separators]; [Build997] acknowledges a received functional group with
// AK3/AK4/AK5 detail for every problem found. The lower-level [Writer] emits
// arbitrary segments with correct SE/GE/IEA counts. Output read back by
// [NewReader] and written again is byte-identical.
package x12
