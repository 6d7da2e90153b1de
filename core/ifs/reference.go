package ifs

import (
	"context"
	"fmt"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Suppliers lists all suppliers (reference data for mapping EDI partners).
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
	return out, nil
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
