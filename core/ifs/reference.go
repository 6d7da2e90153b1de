package ifs

import (
	"context"
	"fmt"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Suppliers lists all suppliers (reference data for mapping EDI partners).
//
// IFS keeps a supplier's invoice currency and payment terms per company, in
// the profile's supplier navigation (SupplierInvoiceCompanies), which cannot
// be expanded. For up to Config.SupplierDetailLimit suppliers (default 100)
// they are read one supplier at a time for Config.Company; above that, or
// when the tenant has no such navigation, Currency and PayTermID stay empty
// unless the supplier set itself carries them.
func (c *Client) Suppliers(ctx context.Context) ([]domain.Supplier, error) {
	res := &c.prof.Suppliers
	u := withQuery(c.setURL(res), Query{OrderBy: []string{res.Field("SupplierId")}})
	var out []domain.Supplier
	err := c.list(ctx, "read "+res.EntitySet, res.Projection, u, func(r Row) error {
		out = append(out, decodeSupplier(c.prof, r))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list suppliers: %w", err)
	}
	if len(out) <= c.cfg.SupplierDetailLimit {
		for i := range out {
			ok, err := c.fillSupplierCompany(ctx, &out[i])
			if err != nil {
				return nil, fmt.Errorf("list suppliers: %w", err)
			}
			if !ok {
				break
			}
		}
	}
	return out, nil
}

// fillSupplierCompany reads the supplier's invoice data for the configured
// company. ok is false when the tenant has no such data to read (no
// navigation configured, no company, or the navigation is missing or not
// granted), so callers stop asking.
func (c *Client) fillSupplierCompany(ctx context.Context, s *domain.Supplier) (ok bool, err error) {
	res := &c.prof.Suppliers
	if res.Navigation == "" || c.cfg.Company == "" {
		return false, nil
	}
	if s.Currency != "" && s.PayTermID != "" {
		return true, nil
	}
	u := c.setURL(res) + Key{{res.Field("SupplierId"), Str(s.SupplierID)}}.String() + "/" + res.Navigation
	u = withQuery(u, Query{Filter: Eq(res.Field("Company"), Str(c.cfg.Company))})
	err = c.list(ctx, "read "+res.Navigation+" of "+s.SupplierID, res.Projection, u, func(r Row) error {
		if s.Currency == "" {
			s.Currency = r.str(res.Field("Currency"))
		}
		if s.PayTermID == "" {
			s.PayTermID = r.str(res.Field("PayTermId"))
		}
		return nil
	})
	switch domain.KindOf(err) {
	case domain.KindNotFound, domain.KindForbidden, domain.KindInvalid:
		c.logInfo("supplier company data not readable; currency and payment terms stay empty", "error", err.Error())
		return false, nil
	}
	return err == nil, err
}

// Supplier reads one supplier; an unknown id is KindNotFound.
func (c *Client) Supplier(ctx context.Context, id string) (*domain.Supplier, error) {
	res := &c.prof.Suppliers
	u := c.setURL(res) + Key{{res.Field("SupplierId"), Str(id)}}.String()
	row, _, err := c.getRow(ctx, "read supplier "+id, res.Projection, u)
	if err != nil {
		return nil, fmt.Errorf("read supplier %s: %w", id, err)
	}
	s := decodeSupplier(c.prof, row)
	if _, err := c.fillSupplierCompany(ctx, &s); err != nil {
		return nil, fmt.Errorf("read supplier %s: %w", id, err)
	}
	return &s, nil
}

// CodePartValues lists the values of one code part ("A" for accounts, "B"
// for cost centres in the sandbox company …) of a company.
func (c *Client) CodePartValues(ctx context.Context, company, part string) ([]domain.CodePartValue, error) {
	part = strings.ToUpper(strings.TrimSpace(part))
	if len(part) != 1 || part[0] < 'A' || part[0] > 'J' {
		return nil, &Error{Op: "read code part", Kind: domain.KindInvalid, Message: fmt.Sprintf("code part %q is not A…J", part)}
	}
	res := &c.prof.CodeParts
	nav := strings.ReplaceAll(res.Navigation, "{Part}", part)
	u := c.setURL(res) + Key{{res.Field("Company"), Str(company)}}.String() + "/" + nav
	valueField := strings.ReplaceAll(res.Field("Value"), "{Part}", part)
	u = withQuery(u, Query{OrderBy: []string{valueField}})
	var out []domain.CodePartValue
	err := c.list(ctx, "read "+nav, res.Projection, u, func(r Row) error {
		v := domain.CodePartValue{
			Company:     r.str(res.Field("Company")),
			CodePart:    r.str(res.Field("CodePart")),
			Value:       r.str(valueField),
			Description: r.str(res.Field("Description")),
			ValidFrom:   r.date(res.Field("ValidFrom")),
			ValidUntil:  r.date(res.Field("ValidUntil")),
		}
		if v.Company == "" {
			v.Company = company
		}
		if v.CodePart == "" {
			v.CodePart = part
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list code part %s values of company %s: %w", part, company, err)
	}
	return out, nil
}
