package x12

import (
	"fmt"
	"strconv"
	"strings"
)

// Ack is a 997 functional acknowledgment of one functional group.
type Ack struct {
	FunctionalID       string    `json:"functional_id"`        // AK101: GS01 of the acknowledged group
	GroupControlNumber string    `json:"group_control_number"` // AK102: its GS06
	Version            string    `json:"version,omitempty"`    // AK103 (005010): its GS08
	Status             string    `json:"status"`               // AK901: A, E, P, R …
	StatusText         string    `json:"status_text"`          // AK901 in words
	SetsIncluded       int       `json:"sets_included"`        // AK902
	SetsReceived       int       `json:"sets_received"`        // AK903
	SetsAccepted       int       `json:"sets_accepted"`        // AK904
	Errors             []AckCode `json:"errors,omitempty"`     // AK905–AK909
	Sets               []SetAck  `json:"sets"`                 // AK2 loops
	Issues             []Issue   `json:"-"`                    // problems reading the 997 itself
	Warnings           []Issue   `json:"-"`
}

// AckCode is an acknowledgment code with its meaning.
type AckCode struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

func ackCode(code string, table map[string]string) AckCode {
	t := table[code]
	if t == "" {
		t = "unknown code"
	}
	return AckCode{Code: code, Text: t}
}

// SetAck is one AK2 loop: the response for one transaction set.
type SetAck struct {
	ID            string         `json:"id"`                   // AK201: ST01
	ControlNumber string         `json:"control_number"`       // AK202: ST02
	Convention    string         `json:"convention,omitempty"` // AK203 (005010)
	Status        string         `json:"status"`               // AK501
	StatusText    string         `json:"status_text"`
	Errors        []AckCode      `json:"errors,omitempty"`   // AK502–AK506
	Segments      []SegmentError `json:"segments,omitempty"` // AK3 loops
}

// SegmentError is an AK3 loop with its AK4 element errors.
type SegmentError struct {
	SegmentID string         `json:"segment"`            // AK301
	Position  int            `json:"position"`           // AK302, ST = 1
	Loop      string         `json:"loop,omitempty"`     // AK303
	Code      string         `json:"code,omitempty"`     // AK304
	Text      string         `json:"text,omitempty"`     // AK304 in words
	Elements  []ElementError `json:"elements,omitempty"` // AK4
}

// ElementError is an AK4 segment.
type ElementError struct {
	Position   int    `json:"position"`             // AK401-1
	Component  int    `json:"component,omitempty"`  // AK401-2
	Repetition int    `json:"repetition,omitempty"` // AK401-3 (005010)
	Reference  string `json:"reference,omitempty"`  // AK402: data element reference number
	Code       string `json:"code"`                 // AK403
	Text       string `json:"text"`                 // AK403 in words
	Value      string `json:"value,omitempty"`      // AK404: copy of the bad data
}

// Accepted reports whether the group was accepted (AK901 A or E).
func (a *Ack) Accepted() bool { return a.Status == "A" || a.Status == "E" }

// ParseAck maps a 997 set. Segments a 997 does not define (some
// translators put a TA1 inside) are skipped with a warning.
func ParseAck(s *Set) (*Ack, error) {
	if s.ID != "997" {
		return nil, fmt.Errorf("parse acknowledgment: set %s is a %s, not a 997", s.ControlNumber, s.ID)
	}
	m := newMapper(s)
	a := &Ack{Sets: []SetAck{}}
	var set *SetAck
	var seg *SegmentError
	ak1, ak9 := false, false
	lo, hi := s.bodyRange()
	v5 := s.is5010()
	for i := lo; i < hi; i++ {
		sg := s.Segment(i)
		g := &sg
		switch g.ID {
		case "AK1", "AK2", "AK3", "AK4", "AK5", "AK9":
			raw := s.rawAt(i)
			m.checkSegment(dict997, raw, idLen(raw, s.sep), i+1, v5)
		}
		switch g.ID {
		case "AK1":
			ak1 = true
			a.FunctionalID = m.required(g, 1, "functional identifier code (AK101)")
			a.GroupControlNumber = m.required(g, 2, "group control number (AK102)")
			a.Version = m.str(g, 3)
		case "AK2":
			a.Sets = append(a.Sets, SetAck{ID: m.required(g, 1, "transaction set identifier (AK201)"),
				ControlNumber: m.required(g, 2, "transaction set control number (AK202)"), Convention: m.str(g, 3)})
			set, seg = &a.Sets[len(a.Sets)-1], nil
		case "AK3":
			if set == nil {
				m.errorf(g, 0, LevelSegment, "7", "", "AK3 before any AK2")
				continue
			}
			se := SegmentError{SegmentID: m.required(g, 1, "segment ID code (AK301)"),
				Position: m.integer(g, 2, "segment position (AK302)"), Loop: m.str(g, 3), Code: m.str(g, 4)}
			if se.Code != "" {
				se.Text = ackCode(se.Code, SegmentErrorText).Text
			}
			set.Segments = append(set.Segments, se)
			seg = &set.Segments[len(set.Segments)-1]
		case "AK4":
			if seg == nil {
				m.errorf(g, 0, LevelSegment, "7", "", "AK4 before any AK3")
				continue
			}
			e := ElementError{Reference: m.str(g, 2), Code: m.required(g, 3, "data element syntax error code (AK403)"), Value: m.el(g, 4)}
			e.Position = atoiOr0(g.Component(1, 1))
			e.Component = atoiOr0(g.Component(1, 2))
			e.Repetition = atoiOr0(g.Component(1, 3))
			if e.Position == 0 {
				m.errorf(g, 1, LevelElement, "6", m.el(g, 1), "element position (AK401) %q is not a number", m.el(g, 1))
			}
			e.Text = ackCode(e.Code, ElementErrorText).Text
			seg.Elements = append(seg.Elements, e)
		case "AK5":
			if set == nil {
				m.errorf(g, 0, LevelSegment, "7", "", "AK5 before any AK2")
				continue
			}
			set.Status = m.required(g, 1, "transaction set acknowledgment code (AK501)")
			set.StatusText = ackCode(set.Status, AckStatusText).Text
			for k := 2; k <= 6; k++ {
				if c := m.str(g, k); c != "" {
					set.Errors = append(set.Errors, ackCode(c, SetErrorText))
				}
			}
			set, seg = nil, nil
		case "AK9":
			ak9 = true
			a.Status = m.required(g, 1, "functional group acknowledge code (AK901)")
			a.StatusText = ackCode(a.Status, AckStatusText).Text
			a.SetsIncluded = m.integer(g, 2, "number of transaction sets included (AK902)")
			a.SetsReceived = m.integer(g, 3, "number of received transaction sets (AK903)")
			a.SetsAccepted = m.integer(g, 4, "number of accepted transaction sets (AK904)")
			for k := 5; k <= 9; k++ {
				if c := m.str(g, k); c != "" {
					a.Errors = append(a.Errors, ackCode(c, GroupErrorText))
				}
			}
		default:
			m.warnf(g, 0, "segment %s is not part of a 997; skipped", g.ID)
		}
	}
	if !ak1 {
		m.errorf(nil, 0, LevelSegment, "3", "", "mandatory segment AK1 is missing")
		m.errs[len(m.errs)-1].SegmentID = "AK1"
	}
	if !ak9 {
		m.errorf(nil, 0, LevelSegment, "3", "", "mandatory segment AK9 is missing")
		m.errs[len(m.errs)-1].SegmentID = "AK9"
	}
	for _, sa := range a.Sets {
		if sa.Status == "" {
			m.errorf(nil, 0, LevelSegment, "3", "", "AK5 missing for transaction set %s %s", sa.ID, sa.ControlNumber)
			m.errs[len(m.errs)-1].SegmentID = "AK5"
		}
	}
	m.mergeSyntax()
	a.Issues, a.Warnings = m.errs, m.warns
	if len(m.errs) > 0 {
		return a, Issues(m.errs)
	}
	return a, nil
}

func atoiOr0(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}

// Summary describes the acknowledgment in one line for people, e.g.
// "group PO 1234 rejected: 1 of 2 sets accepted; set 850 0002 rejected: segment 3 (PO1) element 4: invalid character in data element".
func (a *Ack) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "group %s %s %s: %d of %d sets accepted", a.FunctionalID, a.GroupControlNumber, a.StatusText, a.SetsAccepted, a.SetsReceived)
	for _, e := range a.Errors {
		fmt.Fprintf(&b, "; %s", e.Text)
	}
	for _, s := range a.Sets {
		if s.Status == "A" {
			continue
		}
		fmt.Fprintf(&b, "; set %s %s %s", s.ID, s.ControlNumber, s.StatusText)
		for _, e := range s.Errors {
			fmt.Fprintf(&b, ", %s", e.Text)
		}
		for _, g := range s.Segments {
			fmt.Fprintf(&b, ": segment %d (%s)", g.Position, g.SegmentID)
			if g.Text != "" {
				fmt.Fprintf(&b, " %s", g.Text)
			}
			for _, e := range g.Elements {
				fmt.Fprintf(&b, " element %d %s", e.Position, e.Text)
				if e.Value != "" {
					fmt.Fprintf(&b, " %q", e.Value)
				}
			}
		}
	}
	return b.String()
}
