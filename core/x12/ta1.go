package x12

import (
	"errors"
	"fmt"
	"io"
)

// TA1 is an interchange acknowledgment: the answer to an interchange's
// envelope (ISA/IEA), which a 997 cannot give. X12 sends one when ISA14
// asks for it, and the receiver sends one rejecting an interchange whose
// envelope failed, instead of 997s for its groups.
type TA1 struct {
	ControlNumber string // TA101: the acknowledged ISA13
	Date          string // TA102: its ISA09, YYMMDD
	Time          string // TA103: its ISA10, HHMM
	Ack           string // TA104 (DE I17): A accepted, E accepted with errors, R rejected
	Note          string // TA105 (DE I18): 000 no error, 001 control numbers differ, 023 premature end of file …
}

// EnvelopeErrors are the interchange-level errors (not warnings) among
// issues: what makes an interchange's envelope fail.
func EnvelopeErrors(issues []Issue) []Issue {
	var out []Issue
	for _, is := range issues {
		if is.Level == LevelInterchange && !is.Warning {
			out = append(out, is)
		}
	}
	return out
}

// BuildTA1 acknowledges interchange ic: R with the note code of its first
// envelope error (DE I18; 024 "invalid interchange content" when the error
// carries none), else A with 000.
func BuildTA1(ic Interchange, envelopeErrors []Issue) TA1 {
	t := TA1{ControlNumber: ic.ControlNumber, Date: ic.Date, Time: ic.Time, Ack: "A", Note: "000"}
	if len(envelopeErrors) > 0 {
		t.Ack, t.Note = "R", envelopeErrors[0].Code
		if len(t.Note) != 3 {
			t.Note = "024"
		}
	}
	return t
}

// WriteTA1 writes one interchange holding the TA1 segments and no
// functional group (IEA01 = 0).
func WriteTA1(out io.Writer, env Envelope, ta1s ...TA1) error {
	if len(ta1s) == 0 {
		return errors.New("write TA1: no acknowledgments")
	}
	w, err := NewWriter(out, env)
	if err != nil {
		return fmt.Errorf("write TA1: %w", err)
	}
	w.header()
	for _, t := range ta1s {
		w.Segment("TA1", t.ControlNumber, t.Date, t.Time, t.Ack, t.Note)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write TA1: %w", err)
	}
	return nil
}
