package engine

import (
	"github.com/ml-connector/ifs-cleo/core/store"
)

// applyStrictness reads each set the way its sender's strictness says.
// Standard keeps the reading Split gave. Strict takes the set from a second
// reading with envelope deviations as errors (read once per file, only when
// a strict partner sent in it). Lenient moves the problems x12.Tolerable
// allows from Errors to Warnings and marks the set, so its invoice is
// processed and its 997 accepts it with the problems noted (AK501 E). A
// partner the engine does not know is read by the standard. A received 997
// is read leniently unless its sender is strict.
func (e *Engine) applyStrictness(f store.InboundFile, cfg *config, sets []Set) {
	var strict []Set
	read := false
	for i := range sets {
		p := cfg.partnerByKey(sets[i].Partner())
		level := store.StrictnessStandard
		if p != nil {
			level = store.Strictness(p.Strictness)
		}
		switch {
		case level == store.StrictnessLenient:
			sets[i].applyLenient()
		case sets[i].ID == "997" && level != store.StrictnessStrict:
			// A 997 is never answered, so refusing it for a tolerable
			// problem (an AK103 under 004010, a long AK404) would tell the
			// partner nothing and leave our PO waiting for an
			// acknowledgment it has: only a strict partner's is refused.
			sets[i].applyLenient()
		case level != store.StrictnessStrict:
			// standard: as Split read it
		default: // strict
			if !read {
				read = true
				var err error
				if strict, err = e.p.EDI.SplitStrict(f.Raw); err != nil {
					strict = nil
				}
			}
			// The strict reading only reclassifies problems, so its sets
			// are the same sets in the same order; check rather than trust.
			if i < len(strict) && sameSet(strict[i], sets[i]) {
				sets[i] = strict[i]
			} else {
				sets[i].Warnings = append(sets[i].Warnings, "partner "+p.Key()+" is set to strict, but the file could not be read strictly set by set; read by the standard")
			}
		}
	}
}

func sameSet(a, b Set) bool {
	return a.Index == b.Index && a.Interchange == b.Interchange && a.ID == b.ID && a.ISAControl == b.ISAControl &&
		a.GSControl == b.GSControl && a.STControl == b.STControl && a.Partner() == b.Partner()
}

// applyLenient moves the tolerable problems to Warnings, each said once.
func (s *Set) applyLenient() {
	s.Lenient = true
	if len(s.Tolerable) == 0 {
		return
	}
	left := map[string]int{}
	for _, t := range s.Tolerable {
		left[t]++
	}
	keep := make([]string, 0, len(s.Errors))
	for _, msg := range s.Errors {
		if left[msg] > 0 {
			left[msg]--
			if s.ID == "997" {
				s.Warnings = append(s.Warnings, "tolerated in an acknowledgment: "+msg)
			} else {
				s.Warnings = append(s.Warnings, "tolerated, as the partner is set to lenient (the 997 notes it): "+msg)
			}
			continue
		}
		keep = append(keep, msg)
	}
	s.Errors = keep
}
