package bridge

// The Mappings screen's source: partners, GL rules, units, tolerances, CSV and history.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/locale"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui/mappings"
)

type mappingSource struct{ b *Bridge }

var kinds = map[string]store.MappingKind{mappings.GL: store.MappingGLRules, mappings.UoM: store.MappingUnits, mappings.Tolerances: store.MappingTolerances}

func (s *mappingSource) Partners(ctx context.Context) ([]mappings.PartnerMapping, error) {
	st := s.b.cfg.Store
	ps, err := st.Partners(ctx)
	if err != nil {
		return nil, err
	}
	maps, err := st.PartnerMappings(ctx)
	if err != nil {
		return nil, err
	}
	mapped := map[string]string{}
	selfBilling := map[string]bool{}
	for _, m := range maps {
		mapped[store.PartnerKey(m.ISAQualifier, m.ISAID)] = m.SupplierID
		selfBilling[store.PartnerKey(m.ISAQualifier, m.ISAID)] = m.SelfBilling
	}
	sugg := map[string][]mappings.Suggestion{}
	if e, _, err := s.b.engine(); err == nil {
		if ss, err := e.Suggestions(ctx); err == nil {
			for _, x := range ss {
				sugg[x.PartnerKey] = append(sugg[x.PartnerKey], mappings.Suggestion{SupplierID: x.SupplierID, Name: x.SupplierName, Why: x.Why})
			}
		}
	}
	// The open exceptions waiting for a partner's mapping, by partner.
	waiting := map[string]int{}
	for offset := 0; ; offset += 500 {
		xs, err := st.Exceptions(ctx, store.ExceptionQuery{Reasons: []string{string(engine.ReasonPartnerNotMapped)}, Limit: 500, Offset: offset})
		if err != nil {
			return nil, err
		}
		for _, x := range xs {
			waiting[x.Partner]++
		}
		if len(xs) < 500 {
			break
		}
	}
	var out []mappings.PartnerMapping
	for _, p := range ps {
		key := store.PartnerKey(p.ISAQualifier, p.ISAID)
		pm := mappings.PartnerMapping{PartnerKey: key, PartnerName: p.Alias, SupplierID: mapped[key], Suggestions: sugg[key],
			SelfBilling: selfBilling[key], NetworkSupplierID: p.ExternalID, Waiting: waiting[key]}
		if pm.SupplierID != "" {
			if sup, err := st.Supplier(ctx, pm.SupplierID); err == nil {
				pm.SupplierName = sup.Name
			}
		}
		out = append(out, pm)
	}
	return out, nil
}

func (s *mappingSource) MapPartner(ctx context.Context, key, supplierID string) error {
	if s.b.asClient() {
		_, err := s.b.ask(ctx, "map_partner", key, map[string]string{"supplier": supplierID})
		return err
	}
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetPartnerSupplier(ctx, key, supplierID)
}

func (s *mappingSource) SetSelfBilling(ctx context.Context, key string, on bool) error {
	if s.b.asClient() {
		_, err := s.b.ask(ctx, "self_billing", key, map[string]string{"on": strconv.FormatBool(on)})
		return err
	}
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetPartnerSelfBilling(ctx, key, on)
}

// ExportCSV is the file the clerk saves: what Excel on this desk opens
// cleanly (UTF-8 with BOM, CRLF, the desk's list separator), and what the
// import reads back unchanged.
func (s *mappingSource) ExportCSV(ctx context.Context, kind string) ([]byte, error) {
	return s.csv(ctx, kind, store.CSVStyle{Excel: true, Comma: locale.ListSeparator()})
}

func (s *mappingSource) csv(ctx context.Context, kind string, style store.CSVStyle) ([]byte, error) {
	k, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("unknown mapping %q", kind)
	}
	var b bytes.Buffer
	err := s.b.cfg.Store.ExportMappingsCSVAs(ctx, k, &b, style)
	return b.Bytes(), err
}

func (s *mappingSource) Table(ctx context.Context, kind string) ([]string, [][]string, error) {
	b, err := s.csv(ctx, kind, store.CSVStyle{})
	if err != nil {
		return nil, nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, nil, err
	}
	if kind != mappings.GL {
		return recs[0], recs[1:], nil
	}
	// GL rules say whether IFS still accepts their coding.
	e, _, err := s.b.engine()
	if err != nil {
		return nil, nil, err
	}
	warn, err := e.GLRuleWarnings(ctx)
	if err != nil {
		return nil, nil, err
	}
	header := append(append([]string(nil), recs[0]...), "check")
	rows := make([][]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		check := "ok"
		if len(r) >= 2 {
			if w := warn[store.GLRuleKey(r[0], r[1])]; w != "" {
				check = "⚠ " + w
			}
		}
		rows = append(rows, append(append([]string(nil), r...), check))
	}
	return header, rows, nil
}

func (s *mappingSource) PreviewCSV(ctx context.Context, kind string, data []byte) (mappings.ImportPlan, error) {
	return s.importCSV(ctx, kind, data, true, 0)
}

func (s *mappingSource) ImportCSV(ctx context.Context, kind string, data []byte, confirmDeletes int) (int, error) {
	p, err := s.importCSV(ctx, kind, data, false, confirmDeletes)
	return len(p.Adds) + len(p.Changes) + p.Unchanged, err
}

// importCSV runs the engine's checked import (replacing the table) as a
// dry run or for real.
func (s *mappingSource) importCSV(ctx context.Context, kind string, data []byte, dryRun bool, confirmDeletes int) (mappings.ImportPlan, error) {
	k, ok := kinds[kind]
	if !ok {
		return mappings.ImportPlan{}, fmt.Errorf("unknown mapping %q", kind)
	}
	e, _, err := s.b.engine()
	if err != nil {
		return mappings.ImportPlan{}, err
	}
	res, err := e.ImportMappings(ctx, k, bytes.NewReader(data), true, dryRun, confirmDeletes)
	if err != nil {
		return mappings.ImportPlan{}, err
	}
	p := mappings.ImportPlan{Unchanged: res.Unchanged}
	for _, c := range res.Changes {
		switch c.Op {
		case "add":
			p.Adds = append(p.Adds, c.Key)
		case "change":
			p.Changes = append(p.Changes, c.Key)
		case "delete":
			p.Deletes = append(p.Deletes, c.Key)
		}
	}
	return p, nil
}

func (s *mappingSource) Reference(ctx context.Context) (mappings.Reference, error) {
	st := s.b.cfg.Store
	var r mappings.Reference
	sups, err := st.Suppliers(ctx)
	if err != nil {
		return r, err
	}
	for _, x := range sups {
		if x.State != "" && !strings.EqualFold(x.State, "Active") {
			continue
		}
		r.Suppliers = append(r.Suppliers, mappings.Option{Value: x.SupplierID, Label: x.SupplierID + " — " + x.Name})
	}
	company := ""
	if e, _, err := s.b.engine(); err == nil {
		company = e.Company()
	}
	now := time.Now()
	for _, part := range []struct {
		code string
		dst  *[]mappings.Option
	}{{"A", &r.Accounts}, {"B", &r.CostCentres}} {
		vals, err := st.CodePartValues(ctx, company, part.code)
		if err != nil {
			return r, err
		}
		for _, v := range vals {
			if v.Valid(now) {
				*part.dst = append(*part.dst, mappings.Option{Value: v.Value, Label: v.Value + " — " + v.Description})
			}
		}
	}
	return r, nil
}

func (s *mappingSource) SaveGLRule(ctx context.Context, r mappings.GLRule) error {
	if strings.TrimSpace(r.Account) == "" {
		return fmt.Errorf("a GL rule needs an account")
	}
	if s.b.asClient() {
		_, err := s.b.ask(ctx, "gl_rule", r.SupplierID, map[string]string{"charge": r.ChargeCode, "account": r.Account, "code_b": r.CostCentre})
		return err
	}
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetGLRule(ctx, r.SupplierID, r.ChargeCode, domain.CodeString{Account: r.Account, CodeB: r.CostCentre})
}

func (s *mappingSource) DeleteGLRule(ctx context.Context, supplierID, chargeCode string) error {
	if s.b.asClient() {
		_, err := s.b.ask(ctx, "gl_rule", supplierID, map[string]string{"charge": chargeCode}) // no account deletes
		return err
	}
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetGLRule(ctx, supplierID, chargeCode, domain.CodeString{}) // an empty account deletes
}

func (s *mappingSource) SaveTolerance(ctx context.Context, t mappings.Tolerance) error {
	var tol engine.Tolerance
	for _, f := range []struct {
		name string
		in   string
		dst  *money.Decimal
	}{{"price %", t.PricePct, &tol.PricePct}, {"quantity %", t.QtyPct, &tol.QtyPct}, {"amount per line", t.Absolute, &tol.Absolute}} {
		if strings.TrimSpace(f.in) == "" {
			continue
		}
		v, err := money.Parse(strings.TrimSpace(f.in))
		if err != nil || v.Sign() < 0 {
			return fmt.Errorf("%s %q is not a number of zero or more", f.name, f.in)
		}
		*f.dst = v
	}
	if t.ThreeWay {
		tol.Match = store.MatchThreeWay
	}
	if s.b.asClient() {
		_, err := s.b.ask(ctx, "tolerance", t.SupplierID, map[string]string{"price_pct": tol.PricePct.String(),
			"qty_pct": tol.QtyPct.String(), "absolute": tol.Absolute.String(), "match": tol.Match})
		return err
	}
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetTolerance(ctx, t.SupplierID, tol)
}

func (s *mappingSource) History(ctx context.Context) ([]mappings.Change, error) {
	var out []mappings.Change
	for _, k := range store.MappingKinds {
		vs, err := s.b.cfg.Store.MappingHistory(ctx, k, "", 50)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			out = append(out, change(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, nil
}

// change words one mapping version: "partner ZZ:ACME01: supplier_id → S1001".
func change(v store.MappingVersion) mappings.Change {
	op := "changed"
	var c struct {
		Op     string `json:"op"`
		Fields map[string]struct {
			From any `json:"from"`
			To   any `json:"to"`
		} `json:"fields"`
	}
	if json.Unmarshal(v.Change, &c) == nil && c.Op != "" {
		op = c.Op + "d"
	}
	var parts []string
	for k, f := range c.Fields {
		parts = append(parts, fmt.Sprintf("%s %v → %v", k, orNone(f.From), orNone(f.To)))
	}
	sort.Strings(parts)
	what := fmt.Sprintf("%s %s %s", strings.ReplaceAll(string(v.Kind), "_", " "), v.Key, op)
	if len(parts) > 0 {
		what += ": " + strings.Join(parts, ", ")
	}
	return mappings.Change{Time: v.ChangedAt, Actor: v.ChangedBy, What: what}
}

func orNone(v any) any {
	if v == nil || v == "" {
		return "none"
	}
	return v
}
