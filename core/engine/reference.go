package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// refRead is one reference resource read in a refresh.
type refRead struct {
	name  string // subject suffix and words: "suppliers", "accounts" …
	words string // for the clerk: "IFS suppliers"
	n     int
	err   error
	store func(ctx context.Context) error
}

// runReference refreshes suppliers and accounts from IFS and partners from
// Cleo, then writes confirmed supplier ids back to Cleo as external ids.
//
// Each resource is read on its own: one that fails keeps its last good copy
// in the store, becomes a REFERENCE_READ_FAILED exception (cleared by the
// next successful read), and the others are stored, so a paging problem in
// the accounts never leaves the PO and invoice flows without suppliers.
// Only when every read fails does the run fail (the connection is down;
// the heartbeat says so).
func (e *Engine) runReference(ctx context.Context, r *run) error {
	var reads []*refRead
	sups, supErr := e.p.IFS.Suppliers(ctx)
	reads = append(reads, &refRead{name: "suppliers", words: "IFS suppliers", n: len(sups), err: supErr,
		store: func(ctx context.Context) error { return e.st.ReplaceSuppliers(ctx, sups) }})
	accs, err := e.p.IFS.CodePartValues(ctx, "A")
	reads = append(reads, &refRead{name: "accounts", words: "IFS accounts (code part A)", n: len(accs), err: err,
		store: func(ctx context.Context) error { return e.st.ReplaceCodeParts(ctx, e.p.Company, "A", accs) }})
	// Cost centres (code part B) let mappings be checked before they are
	// saved; a tenant that does not expose them leaves the check to IFS.
	ccs, err := e.p.IFS.CodePartValues(ctx, "B")
	if k := domain.KindOf(err); err != nil && (k == domain.KindForbidden || k == domain.KindNotFound) && e.costCentresNeverRead(ctx) {
		e.log.Warn("IFS cost centres not readable; mappings are checked without them", "err", err)
	} else {
		reads = append(reads, &refRead{name: "cost_centres", words: "IFS cost centres (code part B)", n: len(ccs), err: err,
			store: func(ctx context.Context) error { return e.st.ReplaceCodeParts(ctx, e.p.Company, "B", ccs) }})
	}
	parts, partErr := e.p.Cleo.Partners(ctx)
	reads = append(reads, &refRead{name: "partners", words: "Cleo trading partners", n: len(parts), err: partErr,
		store: func(ctx context.Context) error { return e.st.ReplacePartners(ctx, parts) }})

	failed := 0
	for _, rd := range reads {
		if rd.err != nil {
			if errors.Is(rd.err, context.Canceled) || errors.Is(rd.err, ErrStopping) {
				return rd.err
			}
			failed++
		}
	}
	if failed == len(reads) {
		return fmt.Errorf("read reference data: %w", reads[0].err)
	}
	detail := map[string]any{}
	for _, rd := range reads {
		if rd.err != nil {
			detail[rd.name+"_error"] = rd.err.Error()
			if err := e.referenceFailed(ctx, rd); err != nil {
				return err
			}
			r.res.Failed++
			continue
		}
		if err := rd.store(ctx); err != nil {
			return fmt.Errorf("store %s: %w", rd.words, err)
		}
		detail[rd.name] = rd.n
		r.total += rd.n
		if err := e.referenceRead(ctx, rd.name); err != nil {
			return err
		}
	}
	if _, err := e.st.AppendEvent(ctx, store.Event{Subject: "reference", Action: "reference.refreshed", Detail: detail}); err != nil {
		return fmt.Errorf("audit reference refresh: %w", err)
	}
	r.res.OK = r.total
	// Write back confirmed mappings as external ids.
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return err
	}
	for _, key := range sortedKeys(cfg.Maps.PartnerSupplier) {
		p := cfg.partnerByKey(key)
		sup := cfg.Maps.PartnerSupplier[key]
		if p == nil || p.ExternalID == sup {
			continue
		}
		if err := e.p.Cleo.SetPartnerExternalID(ctx, p.ID, sup); err != nil {
			k := domain.KindOf(err)
			if k == domain.KindInvalid || k == domain.KindNotFound {
				continue // transport cannot store it: fine, the mapping is local
			}
			if fatal(err) {
				return err
			}
			e.log.Warn("write back external id", "partner", key, "err", err)
			continue
		}
		if _, err := e.st.AppendEvent(ctx, store.Event{Subject: "partner:" + key, Action: "partner.external_id_written",
			Detail: map[string]any{"supplier_id": sup}}); err != nil {
			return fmt.Errorf("audit external id of %s: %w", key, err)
		}
	}
	if supErr == nil && partErr == nil {
		return e.syncEDIIdentities(ctx, sups)
	}
	return nil
}

// costCentresNeverRead reports that no cost centre was ever stored: a
// tenant that does not expose code part B at all is a set-up, not a failure.
func (e *Engine) costCentresNeverRead(ctx context.Context) bool {
	ccs, err := e.st.CodePartValues(ctx, e.p.Company, "B")
	return err == nil && len(ccs) == 0
}

// referenceFailed raises (or keeps open) the exception of one reference
// read that failed; the last good copy stays in use.
func (e *Engine) referenceFailed(ctx context.Context, rd *refRead) error {
	msg := fmt.Sprintf("Reading %s failed; the copy from the last successful refresh stays in use and the other flows go on: %v", rd.words, rd.err)
	exc, created, err := e.st.RaiseException(ctx, store.Exception{Subject: "reference:" + rd.name, Reason: string(ReasonReferenceRead),
		Message: msg, Fix: fixReference}, store.SystemActor)
	if err != nil {
		return fmt.Errorf("raise the exception for %s: %w", rd.words, err)
	}
	e.log.Warn("reference read failed", "resource", rd.name, "err", rd.err)
	if created {
		e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, Reason: exc.Reason, Message: exc.Message})
	}
	return nil
}

// referenceRead resolves the open exception of a resource read again.
func (e *Engine) referenceRead(ctx context.Context, name string) error {
	var n int
	err := e.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.ResolveSubjectExceptions("reference:"+name, string(ReasonReferenceRead), store.SystemActor, "read successfully again")
		return err
	})
	if err != nil {
		return fmt.Errorf("resolve the reference exception of %s: %w", name, err)
	}
	if n > 0 {
		e.bus.Publish(events.ExceptionResolved, events.ExceptionData{Reason: string(ReasonReferenceRead), Resolution: "resolved"})
	}
	return nil
}
