package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// PartnerMode says whether a partner's documents really reach IFS and the
// supplier (live) or stop at the would-be payload for review (test).
type PartnerMode string

// The partner modes.
const (
	ModeLive PartnerMode = "live"
	ModeTest PartnerMode = "test"
)

// PartnerRecord is a cached Cleo partner with the connector's own settings.
type PartnerRecord struct {
	domain.Partner
	Mode        PartnerMode
	AckDeadline time.Duration // how long a 997 may take before the PO is overdue; 0: the company default
	// DeliveryLimit is how long a file to this partner may stay pending in
	// the network before it counts as stuck; 0: the company default.
	DeliveryLimit time.Duration
	// Strictness is how strictly the partner's X12 is read (migration 0009).
	Strictness Strictness
	UpdatedAt  time.Time
}

// Strictness is how strictly a partner's X12 is read.
type Strictness string

// The strictness levels. Standard follows the segment dictionary; Strict
// also refuses the envelope deviations real files often carry; Lenient
// accepts sets whose only problems leave the business reading intact
// (x12.Tolerable), acknowledged AK5*E with the problems listed.
const (
	StrictnessStandard Strictness = "standard"
	StrictnessStrict   Strictness = "strict"
	StrictnessLenient  Strictness = "lenient"
)

// ParseStrictness accepts the three levels ("" is standard).
func ParseStrictness(v string) (Strictness, error) {
	switch Strictness(v) {
	case "", StrictnessStandard:
		return StrictnessStandard, nil
	case StrictnessStrict, StrictnessLenient:
		return Strictness(v), nil
	}
	return "", fmt.Errorf("X12 strictness %q is not standard, strict or lenient: %w", v, ErrInvalid)
}

const partnerColumns = `id, alias, isa_qualifier, isa_id, our_qualifier, our_id, external_id, enabled, transport,
	mode, ack_deadline_minutes, delivery_limit_minutes, x12_strictness, updated_at`

func scanPartner(sc rowScanner) (PartnerRecord, error) {
	var p PartnerRecord
	var enabled, minutes, limit int
	var updated string
	err := sc.Scan(&p.ID, &p.Alias, &p.ISAQualifier, &p.ISAID, &p.OurQualifier, &p.OurID, &p.ExternalID, &enabled,
		&p.Transport, &p.Mode, &minutes, &limit, &p.Strictness, &updated)
	p.Enabled = enabled != 0
	p.AckDeadline = time.Duration(minutes) * time.Minute
	p.DeliveryLimit = time.Duration(limit) * time.Minute
	p.UpdatedAt = parseTime(updated)
	return p, err
}

// ReplacePartners refreshes the partner cache from a full Cleo listing.
// Mode and deadline of known partners are kept; partners missing from the
// listing are kept but disabled, so a partner that briefly disappears does
// not come back with its test mode forgotten.
func (s *Store) ReplacePartners(ctx context.Context, partners []domain.Partner) error {
	return s.Update(ctx, func(tx *Tx) error {
		now := fmtTime(tx.now)
		if _, err := tx.tx.Exec(`UPDATE partners SET enabled = 0, updated_at = ? WHERE enabled = 1`, now); err != nil {
			return fmt.Errorf("replace partners: %w", err)
		}
		for _, p := range partners {
			if p.ID == "" {
				return fmt.Errorf("replace partners: partner %q without id: %w", p.Alias, ErrInvalid)
			}
			_, err := tx.tx.Exec(`INSERT INTO partners (id, alias, isa_qualifier, isa_id, our_qualifier, our_id, external_id,
				enabled, transport, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET alias = excluded.alias, isa_qualifier = excluded.isa_qualifier,
				isa_id = excluded.isa_id, our_qualifier = excluded.our_qualifier, our_id = excluded.our_id,
				external_id = excluded.external_id, enabled = excluded.enabled, transport = excluded.transport,
				updated_at = excluded.updated_at`,
				p.ID, p.Alias, strings.ToUpper(strings.TrimSpace(p.ISAQualifier)), strings.TrimSpace(p.ISAID),
				strings.TrimSpace(p.OurQualifier), strings.TrimSpace(p.OurID), p.ExternalID, boolInt(p.Enabled),
				p.Transport, now)
			if err != nil {
				return fmt.Errorf("replace partners: %s: %w", p.ID, err)
			}
		}
		return nil
	})
}

func (s *Store) queryPartners(ctx context.Context, where string, args ...any) ([]PartnerRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+partnerColumns+` FROM partners`+where+` ORDER BY alias, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("partners: %w", err)
	}
	defer rows.Close()
	var out []PartnerRecord
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, fmt.Errorf("partners: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Partners lists every cached partner (enabled or not) by alias.
func (s *Store) Partners(ctx context.Context) ([]PartnerRecord, error) {
	return s.queryPartners(ctx, "")
}

// Partner returns one cached partner by Cleo id.
func (s *Store) Partner(ctx context.Context, id string) (PartnerRecord, error) {
	ps, err := s.queryPartners(ctx, ` WHERE id = ?`, id)
	if err != nil {
		return PartnerRecord{}, err
	}
	if len(ps) == 0 {
		return PartnerRecord{}, fmt.Errorf("partner %s: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// PartnerByISA returns the cached partner that sends as qualifier:id
// (enabled ones first when several match).
func (s *Store) PartnerByISA(ctx context.Context, qualifier, id string) (PartnerRecord, error) {
	p, err := scanPartner(s.r.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners
		WHERE isa_qualifier = ? AND isa_id = ? ORDER BY enabled DESC, id LIMIT 1`,
		strings.ToUpper(strings.TrimSpace(qualifier)), strings.TrimSpace(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("partner %s: %w", PartnerKey(qualifier, id), ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("partner %s: %w", PartnerKey(qualifier, id), err)
	}
	return p, nil
}

// SetPartnerMode switches a partner between test and live, audited as
// "partner.mode" with the actor.
func (s *Store) SetPartnerMode(ctx context.Context, actor, id string, mode PartnerMode) error {
	if mode != ModeLive && mode != ModeTest {
		return fmt.Errorf("set partner %s mode %q: %w", id, mode, ErrInvalid)
	}
	return s.Update(ctx, func(tx *Tx) error {
		var cur PartnerMode
		err := tx.tx.QueryRow(`SELECT mode FROM partners WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("set partner %s mode: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("set partner %s mode: %w", id, err)
		}
		if cur == mode {
			return nil
		}
		if _, err := tx.tx.Exec(`UPDATE partners SET mode = ?, updated_at = ? WHERE id = ?`, mode, fmtTime(tx.now), id); err != nil {
			return fmt.Errorf("set partner %s mode: %w", id, err)
		}
		_, err = tx.AppendEvent(Event{Subject: "partner:" + id, Actor: actor, Action: "partner.mode",
			Detail: map[string]any{"from": cur, "to": mode}})
		return err
	})
}

// SetPartnerAckDeadline sets how long a partner has to acknowledge a PO
// (0: the company default), audited.
func (s *Store) SetPartnerAckDeadline(ctx context.Context, actor, id string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("set partner %s deadline %v: %w", id, d, ErrInvalid)
	}
	return s.Update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`UPDATE partners SET ack_deadline_minutes = ?, updated_at = ? WHERE id = ?`,
			int(d/time.Minute), fmtTime(tx.now), id)
		if err != nil {
			return fmt.Errorf("set partner %s deadline: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("set partner %s deadline: %w", id, ErrNotFound)
		}
		_, err = tx.AppendEvent(Event{Subject: "partner:" + id, Actor: actor, Action: "partner.ack_deadline",
			Detail: map[string]any{"minutes": int(d / time.Minute)}})
		return err
	})
}

// SetPartnerDeliveryLimit sets how long a file to the partner may stay
// pending in the network before it counts as stuck (0: the company
// default), audited.
func (s *Store) SetPartnerDeliveryLimit(ctx context.Context, actor, id string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("set partner %s delivery limit %v: %w", id, d, ErrInvalid)
	}
	return s.Update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`UPDATE partners SET delivery_limit_minutes = ?, updated_at = ? WHERE id = ?`,
			int(d/time.Minute), fmtTime(tx.now), id)
		if err != nil {
			return fmt.Errorf("set partner %s delivery limit: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("set partner %s delivery limit: %w", id, ErrNotFound)
		}
		_, err = tx.AppendEvent(Event{Subject: "partner:" + id, Actor: actor, Action: "partner.delivery_limit",
			Detail: map[string]any{"minutes": int(d / time.Minute)}})
		return err
	})
}

// SetPartnerStrictness sets how strictly the partner's X12 is read,
// audited with the level before and after.
func (s *Store) SetPartnerStrictness(ctx context.Context, actor, id string, v Strictness) error {
	v, err := ParseStrictness(string(v))
	if err != nil {
		return fmt.Errorf("set partner %s strictness: %w", id, err)
	}
	return s.Update(ctx, func(tx *Tx) error {
		var cur Strictness
		if err := tx.tx.QueryRow(`SELECT x12_strictness FROM partners WHERE id = ?`, id).Scan(&cur); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("set partner %s strictness: %w", id, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("set partner %s strictness: %w", id, err)
		}
		if cur == v {
			return nil
		}
		if _, err := tx.tx.Exec(`UPDATE partners SET x12_strictness = ?, updated_at = ? WHERE id = ?`, string(v), fmtTime(tx.now), id); err != nil {
			return fmt.Errorf("set partner %s strictness: %w", id, err)
		}
		_, err := tx.AppendEvent(Event{Subject: "partner:" + id, Actor: actor, Action: "partner.x12_strictness",
			Detail: map[string]any{"from": string(cur), "to": string(v)}})
		return err
	})
}

// ReplaceSuppliers refreshes the supplier cache from a full IFS listing
// (suppliers missing from it are removed from the cache).
func (s *Store) ReplaceSuppliers(ctx context.Context, suppliers []domain.Supplier) error {
	return s.Update(ctx, func(tx *Tx) error {
		now := fmtTime(tx.now)
		if _, err := tx.tx.Exec(`DELETE FROM suppliers`); err != nil {
			return fmt.Errorf("replace suppliers: %w", err)
		}
		for _, sp := range suppliers {
			if _, err := tx.tx.Exec(`INSERT INTO suppliers (supplier_id, name, country_code, currency, pay_term_id, state, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (supplier_id) DO NOTHING`, sp.SupplierID, sp.Name, sp.CountryCode,
				sp.Currency, sp.PayTermID, sp.State, now); err != nil {
				return fmt.Errorf("replace suppliers: %s: %w", sp.SupplierID, err)
			}
		}
		return nil
	})
}

const supplierColumns = `supplier_id, name, country_code, currency, pay_term_id, state`

func (s *Store) querySuppliers(ctx context.Context, q string, args ...any) ([]domain.Supplier, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("suppliers: %w", err)
	}
	defer rows.Close()
	var out []domain.Supplier
	for rows.Next() {
		var sp domain.Supplier
		if err := rows.Scan(&sp.SupplierID, &sp.Name, &sp.CountryCode, &sp.Currency, &sp.PayTermID, &sp.State); err != nil {
			return nil, fmt.Errorf("suppliers: %w", err)
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// Suppliers lists the cached suppliers by id.
func (s *Store) Suppliers(ctx context.Context) ([]domain.Supplier, error) {
	return s.querySuppliers(ctx, `SELECT `+supplierColumns+` FROM suppliers ORDER BY supplier_id`)
}

// Supplier returns one cached supplier.
func (s *Store) Supplier(ctx context.Context, id string) (domain.Supplier, error) {
	sp, err := s.querySuppliers(ctx, `SELECT `+supplierColumns+` FROM suppliers WHERE supplier_id = ?`, id)
	if err != nil {
		return domain.Supplier{}, err
	}
	if len(sp) == 0 {
		return domain.Supplier{}, fmt.Errorf("supplier %s: %w", id, ErrNotFound)
	}
	return sp[0], nil
}

// SearchSuppliers finds cached suppliers whose id or name contains text
// (case-insensitive), for pickers.
func (s *Store) SearchSuppliers(ctx context.Context, text string, limit int) ([]domain.Supplier, error) {
	if limit <= 0 {
		limit = 50
	}
	pat := "%" + likeEscape(text) + "%"
	return s.querySuppliers(ctx, `SELECT `+supplierColumns+` FROM suppliers
		WHERE supplier_id LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' ORDER BY name, supplier_id LIMIT ?`, pat, pat, limit)
}

// ReplaceCodeParts refreshes the cached values of one company's code part
// (e.g. every account, code part "A").
func (s *Store) ReplaceCodeParts(ctx context.Context, company, codePart string, values []domain.CodePartValue) error {
	return s.Update(ctx, func(tx *Tx) error {
		now := fmtTime(tx.now)
		if _, err := tx.tx.Exec(`DELETE FROM code_parts WHERE company = ? AND code_part = ?`, company, codePart); err != nil {
			return fmt.Errorf("replace code parts %s %s: %w", company, codePart, err)
		}
		for _, v := range values {
			if v.Company != company || v.CodePart != codePart {
				return fmt.Errorf("replace code parts %s %s: value %s is for %s %s: %w", company, codePart, v.Value,
					v.Company, v.CodePart, ErrInvalid)
			}
			if _, err := tx.tx.Exec(`INSERT INTO code_parts (company, code_part, value, description, valid_from, valid_until, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, company, codePart, v.Value, v.Description,
				fmtTime(v.ValidFrom), fmtTime(v.ValidUntil), now); err != nil {
				return fmt.Errorf("replace code parts %s %s: %w", company, codePart, err)
			}
		}
		return nil
	})
}

// CodePartValues lists the cached values of a company's code part by value.
func (s *Store) CodePartValues(ctx context.Context, company, codePart string) ([]domain.CodePartValue, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT value, description, valid_from, valid_until FROM code_parts
		WHERE company = ? AND code_part = ? ORDER BY value`, company, codePart)
	if err != nil {
		return nil, fmt.Errorf("code parts %s %s: %w", company, codePart, err)
	}
	defer rows.Close()
	var out []domain.CodePartValue
	for rows.Next() {
		v := domain.CodePartValue{Company: company, CodePart: codePart}
		var from, until string
		if err := rows.Scan(&v.Value, &v.Description, &from, &until); err != nil {
			return nil, fmt.Errorf("code parts %s %s: %w", company, codePart, err)
		}
		v.ValidFrom, v.ValidUntil = parseTime(from), parseTime(until)
		out = append(out, v)
	}
	return out, rows.Err()
}

// CodePartValue returns one cached code-part value.
func (s *Store) CodePartValue(ctx context.Context, company, codePart, value string) (domain.CodePartValue, error) {
	v := domain.CodePartValue{Company: company, CodePart: codePart, Value: value}
	var from, until string
	err := s.r.QueryRowContext(ctx, `SELECT description, valid_from, valid_until FROM code_parts
		WHERE company = ? AND code_part = ? AND value = ?`, company, codePart, value).Scan(&v.Description, &from, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("code part %s %s %s: %w", company, codePart, value, ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("code part %s %s %s: %w", company, codePart, value, err)
	}
	v.ValidFrom, v.ValidUntil = parseTime(from), parseTime(until)
	return v, nil
}
