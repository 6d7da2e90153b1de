package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// ediIdentityActor is who maps a partner because IFS names it on a supplier.
const ediIdentityActor = "ifs:supplier-edi-identity"

// fixEDIIdentity is the fix of an EDI identity IFS refused.
const fixEDIIdentity = "check the resource profile's suppliers.EdiAddress/EdiAlias fields and the service user's grants on the supplier, then replay (the reference data is read again)"

// syncEDIIdentities keeps the partners' EDI identities and the IFS
// suppliers in step, both ways, after a reference refresh read both:
//
//   - IFS → app: a supplier whose EDI identity in IFS names a Cleo partner
//     that is not mapped to any supplier (neither confirmed here nor by
//     the external id at Cleo) is mapped to it, audited as done by IFS.
//   - app → IFS: a supplier a partner is mapped to gets that partner's
//     identity (read ETag, PATCH If-Match) unless IFS already names one of
//     the partners mapped to it (several mailboxes of one supplier must not
//     flap the field).
//
// Nothing is done when the IFS port has no place for it (profile "-").
// A refusal by IFS is an IFS_REJECTED exception that clears itself on the
// next accepted write; transient failures wait for the next refresh.
func (e *Engine) syncEDIIdentities(ctx context.Context, sups []domain.Supplier) error {
	w, ok := e.p.IFS.(IFSSupplierEDI)
	if !ok || !w.HasSupplierEDIIdentity() {
		return nil
	}
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return err
	}
	// IFS → app.
	ref, err := e.loadRefIndex(ctx)
	if err != nil {
		return err
	}
	for _, s := range sups {
		q, id, ok := strings.Cut(s.EDIAddress, ":")
		if !ok || strings.TrimSpace(id) == "" {
			continue
		}
		key := store.PartnerKey(q, id)
		p := cfg.partnerByKey(key)
		if p == nil {
			continue // no such Cleo partner (yet): nothing to map
		}
		if cur := cfg.supplierOf(key); cur != "" {
			if cur != s.SupplierID {
				e.log.Warn("IFS names a partner on a supplier the app maps elsewhere; the app's mapping is kept",
					"partner", key, "ifs_supplier", s.SupplierID, "mapped_to", cur)
			}
			continue
		}
		m := store.PartnerMapping{ISAQualifier: strings.ToUpper(strings.TrimSpace(q)), ISAID: strings.TrimSpace(id),
			SupplierID: s.SupplierID, PartnerID: p.ID,
			Note: fmt.Sprintf("mapped from the EDI identity IFS holds on supplier %s", s.SupplierID)}
		if err := ref.validateMapping(store.MappingPartners, &m); err != nil {
			e.log.Warn("IFS names a partner on a supplier that cannot be mapped", "partner", key, "supplier", s.SupplierID, "err", err)
			continue
		}
		if _, err := e.st.SetPartnerMapping(ctx, ediIdentityActor, m); err != nil {
			return fmt.Errorf("map %s from IFS supplier %s: %w", key, s.SupplierID, err)
		}
		e.log.Info("partner mapped from its EDI identity in IFS", "partner", key, "supplier", s.SupplierID)
		if cfg.Maps.PartnerSupplier == nil {
			cfg.Maps.PartnerSupplier = map[string]string{}
		}
		cfg.Maps.PartnerSupplier[key] = s.SupplierID
	}
	// App → IFS.
	inIFS := map[string]domain.Supplier{}
	for _, s := range sups {
		inIFS[s.SupplierID] = s
	}
	mapped := map[string][]string{} // supplier → partner keys, confirmed first
	for _, key := range sortedKeys(cfg.Maps.PartnerSupplier) {
		mapped[cfg.Maps.PartnerSupplier[key]] = append(mapped[cfg.Maps.PartnerSupplier[key]], key)
	}
	for i := range cfg.Partners {
		p := &cfg.Partners[i]
		key := store.PartnerKey(p.ISAQualifier, p.ISAID)
		if _, confirmed := cfg.Maps.PartnerSupplier[key]; !confirmed && p.ExternalID != "" {
			mapped[p.ExternalID] = append(mapped[p.ExternalID], key)
		}
	}
	for _, sup := range sortedKeys(mapped) {
		s, ok := inIFS[sup]
		keys := mapped[sup]
		if !ok || len(keys) == 0 {
			continue
		}
		if q, id, ok := strings.Cut(s.EDIAddress, ":"); ok && containsKey(keys, store.PartnerKey(q, id)) {
			continue
		}
		refused, err := e.writeEDIIdentity(ctx, w, cfg, sup, keys[0])
		if err != nil {
			return err
		}
		if refused {
			// A refusal (no such field, no grant) is the tenant's, not
			// this supplier's: one exception, the rest waits for the fix.
			break
		}
	}
	return nil
}

func containsKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// pushEDIIdentity writes a just-confirmed mapping's identity onto its IFS
// supplier; a failure is logged and left to the next reference refresh
// (the mapping itself is already saved).
func (e *Engine) pushEDIIdentity(ctx context.Context, key, supplierID string) {
	w, ok := e.p.IFS.(IFSSupplierEDI)
	if !ok || !w.HasSupplierEDIIdentity() || supplierID == "" {
		return
	}
	cfg, err := e.loadConfig(ctx)
	if err == nil {
		_, err = e.writeEDIIdentity(ctx, w, cfg, supplierID, key)
	}
	if err != nil {
		e.log.Warn("EDI identity not written to IFS now; the next reference refresh tries again", "partner", key, "supplier", supplierID, "err", err)
	}
}

// ediIdentitySubject is the subject of the one exception for refused
// identity writes.
const ediIdentitySubject = "reference:edi_identity"

// writeEDIIdentity writes one partner's identity onto a supplier and
// audits it with the ETag IFS gave the row. Only cancellation and a lost
// connection are returned as errors; a refusal becomes (or keeps open) the
// IFS_REJECTED exception and refused is true; anything else waits for the
// next refresh.
func (e *Engine) writeEDIIdentity(ctx context.Context, w IFSSupplierEDI, cfg *config, supplierID, key string) (refused bool, err error) {
	alias := ""
	if p := cfg.partnerByKey(key); p != nil {
		alias = p.Alias
	}
	subject := ediIdentitySubject
	got, err := w.SetSupplierEDIIdentity(ctx, supplierID, key, alias)
	if err != nil {
		if k := domain.KindOf(err); fatal(err) && k != domain.KindForbidden {
			return false, err
		}
		e.log.Warn("EDI identity not written to IFS", "partner", key, "supplier", supplierID, "err", err)
		if transient(err) {
			return false, nil
		}
		exc, created, rerr := e.st.RaiseException(ctx, store.Exception{Subject: subject, Reason: string(ReasonIFSRejected), Fix: fixEDIIdentity,
			Partner: key,
			Message: fmt.Sprintf("IFS refused the EDI identity %s (%s) on supplier %s: %v. The mapping is kept in the app; invoices are not affected.", key, alias, supplierID, err)},
			store.SystemActor)
		if rerr != nil {
			return true, rerr
		}
		if created {
			e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, Reason: exc.Reason, Message: exc.Message})
		}
		return true, nil
	}
	resolved := 0
	err = e.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		if resolved, err = tx.ResolveSubjectExceptions(subject, string(ReasonIFSRejected), store.SystemActor, "IFS took the EDI identity"); err != nil {
			return err
		}
		_, err = tx.AppendEvent(store.Event{Subject: "partner:" + key, Actor: store.SystemActor, Action: "partner.edi_identity_in_ifs",
			Detail: map[string]any{"supplier_id": supplierID, "edi_address": got.EDIAddress, "edi_alias": got.EDIAlias, "etag": got.ETag}})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("audit the EDI identity of %s: %w", supplierID, err)
	}
	if resolved > 0 {
		e.bus.Publish(events.ExceptionResolved, events.ExceptionData{Reason: string(ReasonIFSRejected), Resolution: "resolved"})
	}
	return false, nil
}
