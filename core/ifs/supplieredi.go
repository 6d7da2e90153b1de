package ifs

import (
	"context"
	"fmt"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// SupplierEDIEntity updates the EDI identity fields of a supplier
// (EdiAddress, EdiAlias); nothing else of the supplier is ever written.
var SupplierEDIEntity = Entity[domain.Supplier]{
	Name:   ResSuppliers,
	Decode: decodeSupplier,
	Encode: func(p *Profile, s domain.Supplier) map[string]any {
		f := fieldsOf{&p.Suppliers}
		m := map[string]any{f.n("EdiAddress"): nilIfBlank(s.EDIAddress), f.n("EdiAlias"): nilIfBlank(s.EDIAlias)}
		delete(m, "")
		return m
	},
	SetETag: func(s *domain.Supplier, e string) { s.ETag = e },
}

// nilIfBlank is JSON null for an empty text: a cleared field, not "".
func nilIfBlank(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// HasSupplierEDIIdentity reports whether the profile names a place on the
// supplier for the partner's EDI identity (EdiAddress not mapped to "-").
func (c *Client) HasSupplierEDIIdentity() bool { return c.prof.Suppliers.Field("EdiAddress") != "" }

// SetSupplierEDIIdentity writes a partner's EDI identity onto its IFS
// supplier: address is the ISA qualifier and id ("ZZ:ACME01"), alias the
// Cleo alias (written only where the profile maps EdiAlias). The supplier
// is read with its ETag and PATCHed with If-Match (Update: a 412 reads it
// again); when IFS already holds these values nothing is written. A tenant
// without such a field is a KindInvalid error before any request.
func (c *Client) SetSupplierEDIIdentity(ctx context.Context, supplierID, address, alias string) (domain.Supplier, error) {
	if !c.HasSupplierEDIIdentity() {
		return domain.Supplier{}, &Error{Op: "write EDI identity of supplier " + supplierID, Kind: domain.KindInvalid,
			Message: "the resource profile maps suppliers.EdiAddress to \"-\": this tenant has no place for it"}
	}
	res := &c.prof.Suppliers
	s, err := Update(ctx, c, SupplierEDIEntity, Key{{res.Field("SupplierId"), Str(supplierID)}}, func(s *domain.Supplier) error {
		s.EDIAddress = address
		if res.Field("EdiAlias") != "" {
			s.EDIAlias = alias
		}
		return nil
	})
	if err != nil {
		return domain.Supplier{}, fmt.Errorf("write EDI identity of supplier %s: %w", supplierID, err)
	}
	return s, nil
}
