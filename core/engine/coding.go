package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// CodingError is a mapping refused because it refers to IFS data that is
// unknown, closed or inactive today (or because that data has not been
// read yet). Its kind is domain.KindInvalid.
type CodingError struct {
	What string // "account zzz", "supplier SUP9", "cost centre CC99"
	Why  string // "is not an IFS account", "is Blocked in IFS" …
}

func (e *CodingError) Error() string { return e.What + " " + e.Why }

// ErrorKind classifies it for domain.KindOf.
func (e *CodingError) ErrorKind() domain.ErrorKind { return domain.KindInvalid }

// refIndex is the IFS reference data coding is checked against: the
// suppliers, accounts (code part A) and cost centres (code part B) the
// reference flow last read.
type refIndex struct {
	suppliers   map[string]domain.Supplier
	accounts    map[string]domain.CodePartValue
	costCentres map[string]domain.CodePartValue
	today       time.Time
}

// errNoRefData refuses coding checks before the first reference refresh:
// without IFS's lists every check would pass or every check would fail.
var errNoRefData = &CodingError{What: "IFS reference data", Why: "has not been read yet: run Sync now (reference data) first, then save again"}

func (e *Engine) loadRefIndex(ctx context.Context) (*refIndex, error) {
	sups, err := e.st.Suppliers(ctx)
	if err != nil {
		return nil, err
	}
	accs, err := e.st.CodePartValues(ctx, e.p.Company, "A")
	if err != nil {
		return nil, err
	}
	ccs, err := e.st.CodePartValues(ctx, e.p.Company, "B")
	if err != nil {
		return nil, err
	}
	if len(sups) == 0 || len(accs) == 0 {
		return nil, errNoRefData
	}
	r := &refIndex{suppliers: suppliersByID(sups), accounts: map[string]domain.CodePartValue{},
		costCentres: map[string]domain.CodePartValue{}, today: e.clock.Now()}
	for _, a := range accs {
		r.accounts[a.Value] = a
	}
	for _, c := range ccs {
		r.costCentres[c.Value] = c
	}
	return r, nil
}

// supplier checks a supplier id ("" and "*" mean every supplier).
func (r *refIndex) supplier(id string) error {
	id = strings.TrimSpace(id)
	if id == "" || id == "*" {
		return nil
	}
	s, ok := r.suppliers[id]
	if !ok {
		return &CodingError{What: "supplier " + id, Why: "is not an IFS supplier"}
	}
	if s.State != "" && !strings.EqualFold(s.State, "Active") {
		return &CodingError{What: fmt.Sprintf("supplier %s (%s)", id, s.Name), Why: "is " + s.State + " in IFS"}
	}
	return nil
}

// code checks a code string: the account (required) and the cost centre
// (when set, and when IFS's cost centres were read) must exist and be
// valid today.
func (r *refIndex) code(c domain.CodeString) error {
	acc := strings.TrimSpace(c.Account)
	a, ok := r.accounts[acc]
	switch {
	case acc == "":
		return &CodingError{What: "the rule", Why: "has no account (code part A)"}
	case !ok:
		return &CodingError{What: fmt.Sprintf("account %q", acc), Why: "is not an IFS account of this company"}
	case !a.Valid(r.today):
		return &CodingError{What: fmt.Sprintf("account %s (%s)", acc, a.Description), Why: "is not valid today " + validity(a)}
	}
	if cc := strings.TrimSpace(c.CodeB); cc != "" && len(r.costCentres) > 0 {
		v, ok := r.costCentres[cc]
		switch {
		case !ok:
			return &CodingError{What: fmt.Sprintf("cost centre %q", cc), Why: "is not an IFS cost centre (code part B) of this company"}
		case !v.Valid(r.today):
			return &CodingError{What: fmt.Sprintf("cost centre %s (%s)", cc, v.Description), Why: "is not valid today " + validity(v)}
		}
	}
	return nil
}

func validity(v domain.CodePartValue) string {
	from, until := "always", "open-ended"
	if !v.ValidFrom.IsZero() {
		from = v.ValidFrom.Format("2006-01-02")
	}
	if !v.ValidUntil.IsZero() {
		until = v.ValidUntil.Format("2006-01-02")
	}
	return "(valid " + from + " to " + until + ")"
}

// validateMapping checks one mapping of a kind before it is saved.
func (r *refIndex) validateMapping(kind store.MappingKind, value any) error {
	switch m := value.(type) {
	case *store.PartnerMapping:
		if m.SupplierID == "" || m.SupplierID == "*" {
			return &CodingError{What: "partner " + m.Key(), Why: "needs one IFS supplier"}
		}
		return r.supplier(m.SupplierID)
	case *store.GLRule:
		if err := r.supplier(m.SupplierID); err != nil {
			return err
		}
		return r.code(m.Code)
	case *store.UnitConversion:
		return r.supplier(m.SupplierID)
	case *store.Tolerance:
		return r.supplier(m.SupplierID)
	}
	return fmt.Errorf("validate %s mapping: unexpected %T", kind, value)
}

// MappingImport is the preview (or result) of importing a CSV file.
type MappingImport = store.ImportResult

// ImportMappings validates a CSV file of one mapping kind against the IFS
// reference data and applies it, audited with the current user. With
// dryRun it only plans (what a preview shows); with replace, mappings the
// file does not list are deleted, but only when confirmDeletes is exactly
// the number of deletions the preview showed (store.ErrConfirmDeletes
// otherwise). Nothing is written when any row is invalid.
func (e *Engine) ImportMappings(ctx context.Context, kind store.MappingKind, r io.Reader, replace, dryRun bool, confirmDeletes int) (MappingImport, error) {
	ref, err := e.loadRefIndex(ctx)
	if err != nil {
		return MappingImport{}, err
	}
	return e.st.ImportMappings(ctx, kind, e.actor, r, store.ImportOptions{Replace: replace, DryRun: dryRun,
		ConfirmDeletes: confirmDeletes, Validate: func(_ string, v any) error { return ref.validateMapping(kind, v) }})
}

// closingSoon is how far ahead a coding rule's account or cost centre
// closing in IFS is announced in Mappings.
const closingSoon = 30 * 24 * time.Hour

// GLRuleWarnings checks every saved GL coding rule against the IFS
// reference data as read last: a rule whose supplier is gone, or whose
// account or cost centre IFS has closed (or closes within 30 days), gets a
// warning by rule key (store.GLRuleKey), so Mappings shows it before an
// invoice fails on it. Rules without a problem are absent.
func (e *Engine) GLRuleWarnings(ctx context.Context) (map[string]string, error) {
	rules, err := e.st.GLRules(ctx)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	ref, err := e.loadRefIndex(ctx)
	if errors.Is(err, errNoRefData) {
		return nil, nil // nothing to check against yet
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range rules {
		k := store.GLRuleKey(r.SupplierID, r.ChargeCode)
		if err := ref.supplier(r.SupplierID); err != nil {
			out[k] = err.Error()
			continue
		}
		if err := ref.code(r.Code); err != nil {
			out[k] = err.Error()
			continue
		}
		for _, v := range []struct {
			what string
			val  domain.CodePartValue
			ok   bool
		}{
			{"account", ref.accounts[strings.TrimSpace(r.Code.Account)], true},
			{"cost centre", ref.costCentres[strings.TrimSpace(r.Code.CodeB)], strings.TrimSpace(r.Code.CodeB) != ""},
		} {
			if v.ok && !v.val.ValidUntil.IsZero() && v.val.ValidUntil.Sub(ref.today) < closingSoon {
				out[k] = fmt.Sprintf("%s %s closes in IFS on %s: change the rule before then", v.what, v.val.Value, v.val.ValidUntil.Format("2006-01-02"))
				break
			}
		}
	}
	return out, nil
}
