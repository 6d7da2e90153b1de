package engine

import (
	"context"
	"fmt"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// runReference refreshes suppliers and accounts from IFS and partners from
// Cleo, then writes confirmed supplier ids back to Cleo as external ids.
func (e *Engine) runReference(ctx context.Context, r *run) error {
	sups, err := e.p.IFS.Suppliers(ctx)
	if err != nil {
		return fmt.Errorf("read IFS suppliers: %w", err)
	}
	accs, err := e.p.IFS.CodePartValues(ctx, "A")
	if err != nil {
		return fmt.Errorf("read IFS accounts: %w", err)
	}
	// Cost centres (code part B) let mappings be checked before they are
	// saved; a tenant that does not expose them leaves the check to IFS.
	ccs, err := e.p.IFS.CodePartValues(ctx, "B")
	skipCC := false
	if err != nil {
		switch domain.KindOf(err) {
		case domain.KindNotFound, domain.KindForbidden, domain.KindInvalid:
			e.log.Warn("IFS cost centres not readable; mappings are checked without them", "err", err)
			skipCC = true
		default:
			return fmt.Errorf("read IFS cost centres: %w", err)
		}
	}
	parts, err := e.p.Cleo.Partners(ctx)
	if err != nil {
		return fmt.Errorf("read Cleo partners: %w", err)
	}
	r.total = len(sups) + len(accs) + len(parts)
	if err := e.st.ReplaceSuppliers(ctx, sups); err != nil {
		return err
	}
	if err := e.st.ReplaceCodeParts(ctx, e.p.Company, "A", accs); err != nil {
		return err
	}
	if !skipCC {
		if err := e.st.ReplaceCodeParts(ctx, e.p.Company, "B", ccs); err != nil {
			return err
		}
	}
	if err := e.st.ReplacePartners(ctx, parts); err != nil {
		return err
	}
	if _, err := e.st.AppendEvent(ctx, store.Event{Subject: "reference", Action: "reference.refreshed",
		Detail: map[string]any{"suppliers": len(sups), "accounts": len(accs), "cost_centres": len(ccs), "partners": len(parts)}}); err != nil {
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
	return nil
}
