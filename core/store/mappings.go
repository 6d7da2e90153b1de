package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// MappingKind names a mapping table.
type MappingKind string

// The mapping tables.
const (
	MappingPartners   MappingKind = "partner"   // ISA qualifier:id → IFS supplier
	MappingGLRules    MappingKind = "gl_rule"   // supplier + charge code → code string
	MappingUnits      MappingKind = "unit"      // X12 unit → IFS unit and factor
	MappingTolerances MappingKind = "tolerance" // supplier → price/quantity/absolute tolerances
)

// MappingKinds lists every mapping table.
var MappingKinds = []MappingKind{MappingPartners, MappingGLRules, MappingUnits, MappingTolerances}

// PartnerMapping maps a trading partner, identified as the X12 sender
// (ISA05 qualifier and ISA06 id), to an IFS supplier.
type PartnerMapping struct {
	ISAQualifier string `json:"isa_qualifier"`
	ISAID        string `json:"isa_id"`
	SupplierID   string `json:"supplier_id"`
	PartnerID    string `json:"partner_id,omitempty"` // Cleo partner, for reference
	Note         string `json:"note,omitempty"`
	// SelfBilling: we write this supplier's invoices ourselves (evaluated
	// receipt settlement) and send them as 810s (the invoices-out flow).
	SelfBilling bool `json:"self_billing,omitempty"`
}

// PartnerKey is the mapping key of an ISA sender: "ZZ:ACME01" (qualifier
// upper-cased, padding trimmed).
func PartnerKey(qualifier, id string) string {
	return strings.ToUpper(strings.TrimSpace(qualifier)) + ":" + strings.TrimSpace(id)
}

// Key returns the mapping key.
func (m PartnerMapping) Key() string { return PartnerKey(m.ISAQualifier, m.ISAID) }

func (m *PartnerMapping) normalize() error {
	m.ISAQualifier = strings.ToUpper(strings.TrimSpace(m.ISAQualifier))
	m.ISAID = strings.TrimSpace(m.ISAID)
	m.SupplierID = strings.TrimSpace(m.SupplierID)
	if m.ISAID == "" || m.SupplierID == "" {
		return fmt.Errorf("partner mapping needs an ISA id and a supplier id: %w", ErrInvalid)
	}
	return nil
}

// GLRule codes invoice charges and non-PO lines: for a supplier ("" for
// every supplier) and a charge code (the SAC service code, "" for lines
// without one), the code string to post to.
type GLRule struct {
	SupplierID string            `json:"supplier_id"`
	ChargeCode string            `json:"charge_code"`
	Code       domain.CodeString `json:"code"`
	TaxCode    string            `json:"tax_code,omitempty"`
	Note       string            `json:"note,omitempty"`
}

// GLRuleKey is the mapping key of a GL rule.
func GLRuleKey(supplierID, chargeCode string) string {
	return strings.TrimSpace(supplierID) + "|" + strings.ToUpper(strings.TrimSpace(chargeCode))
}

// Key returns the mapping key.
func (r GLRule) Key() string { return GLRuleKey(r.SupplierID, r.ChargeCode) }

func (r *GLRule) normalize() error {
	r.SupplierID = strings.TrimSpace(r.SupplierID)
	r.ChargeCode = strings.ToUpper(strings.TrimSpace(r.ChargeCode))
	if strings.TrimSpace(r.Code.Account) == "" {
		return fmt.Errorf("GL rule %s needs an account (code part A): %w", r.Key(), ErrInvalid)
	}
	return nil
}

// UnitConversion converts an X12 unit of measure to an IFS unit: IFS
// quantity = X12 quantity × Factor (and IFS price = X12 price ÷ Factor).
type UnitConversion struct {
	SupplierID string        `json:"supplier_id"` // "" for every supplier
	X12Unit    string        `json:"x12_unit"`
	IFSUnit    string        `json:"ifs_unit"`
	Factor     money.Decimal `json:"factor"`
}

// UnitKey is the mapping key of a unit conversion.
func UnitKey(supplierID, x12Unit string) string {
	return strings.TrimSpace(supplierID) + "|" + strings.ToUpper(strings.TrimSpace(x12Unit))
}

// Key returns the mapping key.
func (u UnitConversion) Key() string { return UnitKey(u.SupplierID, u.X12Unit) }

func (u *UnitConversion) normalize() error {
	u.SupplierID = strings.TrimSpace(u.SupplierID)
	u.X12Unit = strings.ToUpper(strings.TrimSpace(u.X12Unit))
	u.IFSUnit = strings.TrimSpace(u.IFSUnit)
	if u.X12Unit == "" || u.IFSUnit == "" {
		return fmt.Errorf("unit conversion needs an X12 unit and an IFS unit: %w", ErrInvalid)
	}
	if !u.Factor.Valid() || u.Factor.Sign() <= 0 {
		return fmt.Errorf("unit conversion %s: factor %s must be positive: %w", u.Key(), u.Factor, ErrInvalid)
	}
	return nil
}

// Tolerance is how far an invoice may differ from its PO and still post.
// SupplierID "" is the company default that applies to suppliers without
// their own row.
type Tolerance struct {
	SupplierID string        `json:"supplier_id"`
	PricePct   money.Decimal `json:"price_pct"` // unit price, percent of the PO price
	QtyPct     money.Decimal `json:"qty_pct"`   // quantity, percent of the PO quantity
	Absolute   money.Decimal `json:"absolute"`  // line amount, in the invoice currency
	// Match is MatchTwoWay (invoice against the PO, the default when empty)
	// or MatchThreeWay (also never more than IFS reports as received).
	Match string `json:"match,omitempty"`
}

// The per-supplier matching modes of Tolerance.Match.
const (
	MatchTwoWay   = "two_way"
	MatchThreeWay = "three_way"
)

// Key returns the mapping key (the supplier id).
func (t Tolerance) Key() string { return strings.TrimSpace(t.SupplierID) }

func (t *Tolerance) normalize() error {
	t.SupplierID = strings.TrimSpace(t.SupplierID)
	switch m := strings.ToLower(strings.TrimSpace(strings.NewReplacer("-", "_", " ", "_").Replace(t.Match))); m {
	case "", MatchTwoWay, "2_way", "2":
		t.Match = ""
	case MatchThreeWay, "3_way", "3":
		t.Match = MatchThreeWay
	default:
		return fmt.Errorf("tolerance %q: match %q must be %s or %s: %w", t.SupplierID, t.Match, MatchTwoWay, MatchThreeWay, ErrInvalid)
	}
	for name, v := range map[string]money.Decimal{"price %": t.PricePct, "quantity %": t.QtyPct, "absolute": t.Absolute} {
		if !v.Valid() || v.Sign() < 0 {
			return fmt.Errorf("tolerance %q: %s %s must be zero or more: %w", t.SupplierID, name, v, ErrInvalid)
		}
	}
	return nil
}

// MappingVersion is one row of a mapping's history.
type MappingVersion struct {
	Kind      MappingKind
	Key       string
	Version   int
	Current   bool
	Deleted   bool
	Value     json.RawMessage // the mapping as of this version (the previous value for a deletion)
	ChangedBy string
	ChangedAt time.Time
	Change    json.RawMessage // {"op": "create"|"update"|"delete", "fields": {"supplier_id": {"from": …, "to": …}}}
}

type normalizer interface{ normalize() error }

// putMapping writes a new version of (kind, key) unless the current one is
// identical. It reports whether anything changed.
func (t *Tx) putMapping(kind MappingKind, key string, value any, actor string) (bool, error) {
	if n, ok := value.(normalizer); ok {
		if err := n.normalize(); err != nil {
			return false, err
		}
	}
	b, err := json.Marshal(value)
	if err != nil {
		return false, fmt.Errorf("set %s mapping %s: %w", kind, key, err)
	}
	return t.writeMapping(kind, key, b, false, actor)
}

func (t *Tx) writeMapping(kind MappingKind, key string, value []byte, deleted bool, actor string) (bool, error) {
	var curID int64
	var curVersion, curDeleted int
	var curValue string
	err := t.tx.QueryRow(`SELECT id, version, deleted, value FROM mappings WHERE kind = ? AND key = ? AND current = 1`,
		kind, key).Scan(&curID, &curVersion, &curDeleted, &curValue)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("%s mapping %s: %w", kind, key, err)
	}
	live := exists && curDeleted == 0
	op := "create"
	switch {
	case deleted && !live:
		return false, fmt.Errorf("delete %s mapping %s: %w", kind, key, ErrNotFound)
	case deleted:
		op = "delete"
		value = []byte(curValue)
	case live:
		if jsonEqual([]byte(curValue), value) {
			return false, nil
		}
		op = "update"
	}
	var before []byte
	if live {
		before = []byte(curValue)
	}
	after := value
	if deleted {
		after = nil
	}
	change := map[string]any{"op": op, "fields": fieldDiff(before, after)}
	changeText, _ := json.Marshal(change)
	if exists {
		if _, err := t.tx.Exec(`UPDATE mappings SET current = 0 WHERE id = ?`, curID); err != nil {
			return false, fmt.Errorf("%s mapping %s: %w", kind, key, err)
		}
	}
	actor = actorOr(actor)
	if _, err := t.tx.Exec(`INSERT INTO mappings (kind, key, version, current, deleted, value, changed_by, changed_at, change)
		VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)`, kind, key, curVersion+1, boolInt(deleted), string(value), actor,
		fmtTime(t.now), string(changeText)); err != nil {
		return false, fmt.Errorf("%s mapping %s: %w", kind, key, err)
	}
	if _, err := t.AppendEvent(Event{Subject: "mapping:" + string(kind) + ":" + key, Actor: actor,
		Action: "mapping." + op, Detail: json.RawMessage(changeText)}); err != nil {
		return false, err
	}
	return true, nil
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return reflect.DeepEqual(x, y)
}

// fieldDiff lists the top-level (and one nested level, "code.Account")
// fields that differ between two JSON objects.
func fieldDiff(before, after []byte) map[string]any {
	flat := func(b []byte) map[string]any {
		out := map[string]any{}
		if b == nil {
			return out
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				for sk, sv := range sub {
					out[k+"."+sk] = sv
				}
				continue
			}
			out[k] = v
		}
		return out
	}
	a, b := flat(before), flat(after)
	diff := map[string]any{}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !reflect.DeepEqual(av, bv) {
			diff[k] = map[string]any{"from": av, "to": bv}
		}
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok {
			diff[k] = map[string]any{"from": nil, "to": bv}
		}
	}
	return diff
}

func (s *Store) getMapping(ctx context.Context, kind MappingKind, key string, dst any) (bool, error) {
	var value string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM mappings WHERE kind = ? AND key = ? AND current = 1 AND deleted = 0`,
		kind, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s mapping %s: %w", kind, key, err)
	}
	if err := json.Unmarshal([]byte(value), dst); err != nil {
		return false, fmt.Errorf("%s mapping %s: %w", kind, key, err)
	}
	return true, nil
}

func listMappings[T any](ctx context.Context, q querier, kind MappingKind) ([]T, error) {
	rows, err := q.QueryContext(ctx, `SELECT value FROM mappings WHERE kind = ? AND current = 1 AND deleted = 0 ORDER BY key`, kind)
	if err != nil {
		return nil, fmt.Errorf("list %s mappings: %w", kind, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("list %s mappings: %w", kind, err)
		}
		var x T
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			return nil, fmt.Errorf("list %s mappings: %w", kind, err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *Store) put(ctx context.Context, kind MappingKind, keyOf func() string, v any, actor string) (bool, error) {
	var changed bool
	err := s.Update(ctx, func(tx *Tx) error {
		if n, ok := v.(normalizer); ok {
			if err := n.normalize(); err != nil {
				return err
			}
		}
		var err error
		changed, err = tx.putMapping(kind, keyOf(), v, actor)
		return err
	})
	return changed, err
}

func (s *Store) del(ctx context.Context, kind MappingKind, key, actor string) error {
	return s.Update(ctx, func(tx *Tx) error {
		_, err := tx.writeMapping(kind, key, nil, true, actor)
		return err
	})
}

// SetPartnerMapping stores m as the current mapping of its ISA sender. It
// reports whether anything changed (an identical mapping writes no version).
func (s *Store) SetPartnerMapping(ctx context.Context, actor string, m PartnerMapping) (bool, error) {
	return s.put(ctx, MappingPartners, func() string { return m.Key() }, &m, actor)
}

// DeletePartnerMapping removes the mapping of an ISA sender (a new, deleted version).
func (s *Store) DeletePartnerMapping(ctx context.Context, actor, qualifier, id string) error {
	return s.del(ctx, MappingPartners, PartnerKey(qualifier, id), actor)
}

// PartnerMapping returns the current mapping of an ISA sender.
func (s *Store) PartnerMapping(ctx context.Context, qualifier, id string) (PartnerMapping, bool, error) {
	var m PartnerMapping
	ok, err := s.getMapping(ctx, MappingPartners, PartnerKey(qualifier, id), &m)
	return m, ok, err
}

// PartnerMappings lists the current partner mappings by key.
func (s *Store) PartnerMappings(ctx context.Context) ([]PartnerMapping, error) {
	return listMappings[PartnerMapping](ctx, s.r, MappingPartners)
}

// SetGLRule stores r as the current rule for its supplier and charge code.
func (s *Store) SetGLRule(ctx context.Context, actor string, r GLRule) (bool, error) {
	return s.put(ctx, MappingGLRules, func() string { return r.Key() }, &r, actor)
}

// DeleteGLRule removes a GL rule.
func (s *Store) DeleteGLRule(ctx context.Context, actor, supplierID, chargeCode string) error {
	return s.del(ctx, MappingGLRules, GLRuleKey(supplierID, chargeCode), actor)
}

// GLRule finds the rule that codes a charge or non-PO line, most specific
// first: (supplier, charge code), (supplier, ""), ("", charge code), ("", "").
func (s *Store) GLRule(ctx context.Context, supplierID, chargeCode string) (GLRule, bool, error) {
	for _, k := range [][2]string{{supplierID, chargeCode}, {supplierID, ""}, {"", chargeCode}, {"", ""}} {
		var r GLRule
		ok, err := s.getMapping(ctx, MappingGLRules, GLRuleKey(k[0], k[1]), &r)
		if err != nil || ok {
			return r, ok, err
		}
	}
	return GLRule{}, false, nil
}

// GLRules lists the current GL rules by key.
func (s *Store) GLRules(ctx context.Context) ([]GLRule, error) {
	return listMappings[GLRule](ctx, s.r, MappingGLRules)
}

// SetUnitConversion stores u as the current conversion of its unit.
func (s *Store) SetUnitConversion(ctx context.Context, actor string, u UnitConversion) (bool, error) {
	return s.put(ctx, MappingUnits, func() string { return u.Key() }, &u, actor)
}

// DeleteUnitConversion removes a unit conversion.
func (s *Store) DeleteUnitConversion(ctx context.Context, actor, supplierID, x12Unit string) error {
	return s.del(ctx, MappingUnits, UnitKey(supplierID, x12Unit), actor)
}

// UnitConversion finds the conversion of an X12 unit for a supplier, falling
// back to the one for every supplier.
func (s *Store) UnitConversion(ctx context.Context, supplierID, x12Unit string) (UnitConversion, bool, error) {
	for _, sup := range []string{supplierID, ""} {
		var u UnitConversion
		ok, err := s.getMapping(ctx, MappingUnits, UnitKey(sup, x12Unit), &u)
		if err != nil || ok {
			return u, ok, err
		}
	}
	return UnitConversion{}, false, nil
}

// UnitConversions lists the current unit conversions by key.
func (s *Store) UnitConversions(ctx context.Context) ([]UnitConversion, error) {
	return listMappings[UnitConversion](ctx, s.r, MappingUnits)
}

// SetTolerance stores t as the current tolerance of its supplier ("" = company default).
func (s *Store) SetTolerance(ctx context.Context, actor string, t Tolerance) (bool, error) {
	return s.put(ctx, MappingTolerances, func() string { return t.Key() }, &t, actor)
}

// DeleteTolerance removes a supplier's tolerance (it falls back to the default).
func (s *Store) DeleteTolerance(ctx context.Context, actor, supplierID string) error {
	return s.del(ctx, MappingTolerances, strings.TrimSpace(supplierID), actor)
}

// Tolerance returns the supplier's tolerance, else the company default
// (SupplierID "" in the result); ok is false when neither exists, and the
// caller should then require an exact match.
func (s *Store) Tolerance(ctx context.Context, supplierID string) (Tolerance, bool, error) {
	for _, sup := range []string{strings.TrimSpace(supplierID), ""} {
		var t Tolerance
		ok, err := s.getMapping(ctx, MappingTolerances, sup, &t)
		if err != nil || ok {
			return t, ok, err
		}
	}
	return Tolerance{}, false, nil
}

// Tolerances lists the current tolerances by key.
func (s *Store) Tolerances(ctx context.Context) ([]Tolerance, error) {
	return listMappings[Tolerance](ctx, s.r, MappingTolerances)
}

// MappingHistory lists mapping versions newest first: of one key when key
// is set, of one kind when kind is set, of everything otherwise.
func (s *Store) MappingHistory(ctx context.Context, kind MappingKind, key string, limit int) ([]MappingVersion, error) {
	q := `SELECT kind, key, version, current, deleted, value, changed_by, changed_at, change FROM mappings`
	var conds []string
	var args []any
	if kind != "" {
		conds = append(conds, "kind = ?")
		args = append(args, kind)
	}
	if key != "" {
		conds = append(conds, "key = ?")
		args = append(args, key)
	}
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	if limit <= 0 {
		limit = 200
	}
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("mapping history: %w", err)
	}
	defer rows.Close()
	var out []MappingVersion
	for rows.Next() {
		var v MappingVersion
		var cur, del int
		var value, at, change string
		if err := rows.Scan(&v.Kind, &v.Key, &v.Version, &cur, &del, &value, &v.ChangedBy, &at, &change); err != nil {
			return nil, fmt.Errorf("mapping history: %w", err)
		}
		v.Current, v.Deleted = cur == 1, del == 1
		v.Value, v.Change = json.RawMessage(value), json.RawMessage(change)
		v.ChangedAt = parseTime(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// mappingKeys returns the current live keys of a kind, sorted.
func (t *Tx) mappingKeys(kind MappingKind) ([]string, error) {
	rows, err := t.tx.Query(`SELECT key FROM mappings WHERE kind = ? AND current = 1 AND deleted = 0`, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, rows.Err()
}
