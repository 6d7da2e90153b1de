package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// loadConfig builds the snapshot for a processing step from the store's
// mappings and reference caches. Version is the id of the newest mapping
// audit event: it only grows, so a document can cite the rules it used.
func (e *Engine) loadConfig(ctx context.Context) (*config, error) {
	c := &config{Maps: Mappings{PartnerSupplier: map[string]string{}, Tolerances: map[string]Tolerance{},
		GLRules: map[string]domain.CodeString{}, SelfBilling: map[string]bool{}}, Ref: Reference{Accounts: map[string]domain.CodePartValue{}}}
	pms, err := e.st.PartnerMappings(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range pms {
		c.Maps.PartnerSupplier[m.Key()] = m.SupplierID
		if m.SelfBilling && m.SupplierID != "" {
			c.Maps.SelfBilling[m.SupplierID] = true
		}
	}
	tols, err := e.st.Tolerances(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tols {
		c.Maps.Tolerances[firstNonEmpty(t.SupplierID, "*")] = Tolerance{PricePct: t.PricePct, QtyPct: t.QtyPct, Absolute: t.Absolute, Match: t.Match}
	}
	rules, err := e.st.GLRules(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		c.Maps.GLRules[firstNonEmpty(r.SupplierID, "*")+"|"+firstNonEmpty(r.ChargeCode, "*")] = r.Code
	}
	units, err := e.st.UnitConversions(ctx)
	if err != nil {
		return nil, err
	}
	c.Maps.Units = map[string]UnitConversion{}
	for _, u := range units {
		c.Maps.Units[u.SupplierID+"|"+strings.ToUpper(u.X12Unit)] = UnitConversion{IFSUnit: u.IFSUnit, Factor: u.Factor}
	}
	if ev, err := e.st.Events(ctx, store.EventQuery{Subject: "mapping:*", Limit: 1}); err == nil && len(ev) > 0 {
		c.Maps.Version = ev[0].ID
	}
	sups, err := e.st.Suppliers(ctx)
	if err != nil {
		return nil, err
	}
	c.Ref.Suppliers = suppliersByID(sups)
	accs, err := e.st.CodePartValues(ctx, e.p.Company, "A")
	if err != nil {
		return nil, err
	}
	for _, a := range accs {
		c.Ref.Accounts[a.Value] = a
	}
	parts, err := e.st.Partners(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if !p.Enabled {
			continue
		}
		c.Partners = append(c.Partners, PartnerInfo{ID: p.ID, Alias: p.Alias, ISAQualifier: strings.ToUpper(p.ISAQualifier),
			ISAID: p.ISAID, GSID: p.ISAID, ExternalID: p.ExternalID, OurQualifier: strings.ToUpper(strings.TrimSpace(p.OurQualifier)),
			OurID: strings.TrimSpace(p.OurID), Mode: firstNonEmpty(string(p.Mode), "live"), AckDeadline: p.AckDeadline,
			DeliveryLimit: p.DeliveryLimit, Strictness: string(p.Strictness)})
	}
	c.index()
	return c, nil
}

// partnerRecord finds the stored partner for a key.
func (e *Engine) partnerRecord(ctx context.Context, partnerKey string) (store.PartnerRecord, error) {
	q, id, ok := strings.Cut(partnerKey, ":")
	if !ok {
		return store.PartnerRecord{}, fmt.Errorf("partner %q: want QUALIFIER:ID", partnerKey)
	}
	p, err := e.st.PartnerByISA(ctx, q, id)
	if err != nil {
		return p, fmt.Errorf("partner %s is not known from Cleo (refresh reference data first): %w", partnerKey, err)
	}
	return p, nil
}
