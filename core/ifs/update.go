package ifs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Entity tells Update how one resource's rows map to T.
type Entity[T any] struct {
	// Name is the logical resource (ResSupplierInvoices …).
	Name string
	// Decode reads a row; Encode returns the writable fields (tenant names).
	// Only fields whose encoded value changed are sent in the PATCH.
	Decode  func(*Profile, Row) T
	Encode  func(*Profile, T) map[string]any
	SetETag func(*T, string)
}

// SupplierInvoiceEntity updates supplier invoice headers.
var SupplierInvoiceEntity = Entity[domain.SupplierInvoice]{
	Name:    ResSupplierInvoices,
	Decode:  decodeInvoice,
	Encode:  encodeInvoice,
	SetETag: func(v *domain.SupplierInvoice, e string) { v.ETag = e },
}

// PurchaseOrderEntity updates purchase-order headers (the dates, buyer and
// coordinator: what a confirmation can change; state changes are actions).
var PurchaseOrderEntity = Entity[domain.PurchaseOrder]{
	Name:   ResPurchaseOrders,
	Decode: decodePO,
	Encode: func(p *Profile, po domain.PurchaseOrder) map[string]any {
		f := fieldsOf{&p.PurchaseOrders}
		m := map[string]any{f.n("BuyerCode"): po.BuyerCode, f.n("AuthorizeCode"): po.Coordinator}
		putDate(m, f.n("WantedReceiptDate"), po.WantedReceiptDate)
		delete(m, "")
		return m
	},
	SetETag: func(v *domain.PurchaseOrder, e string) { v.ETag = e },
}

// PurchaseOrderLineEntity updates purchase-order lines (quantity, price,
// wanted delivery date).
var PurchaseOrderLineEntity = Entity[domain.PurchaseOrderLine]{
	Name:   ResPurchaseOrderLines,
	Decode: decodePOLine,
	Encode: func(p *Profile, l domain.PurchaseOrderLine) map[string]any {
		f := fieldsOf{&p.PurchaseOrderLines}
		m := map[string]any{f.n("BuyQtyDue"): jsonDec(l.Quantity), f.n("BuyUnitPrice"): jsonDec(l.UnitPrice)}
		putDate(m, f.n("WantedDeliveryDate"), l.WantedDeliveryDate)
		delete(m, "")
		return m
	},
	SetETag: func(v *domain.PurchaseOrderLine, e string) { v.ETag = e },
}

// SupplierInvoiceKey is the key of an invoice header.
func (c *Client) SupplierInvoiceKey(company string, invoiceID int64) Key {
	return c.invoiceKey(company, invoiceID)
}

// PurchaseOrderKey is the key of a purchase-order header.
func (c *Client) PurchaseOrderKey(orderNo string) Key {
	return Key{{c.prof.PurchaseOrders.Field("OrderNo"), Str(orderNo)}}
}

// PurchaseOrderLineKey is the key of a purchase-order line.
func (c *Client) PurchaseOrderLineKey(orderNo, lineNo, releaseNo string) Key {
	r := &c.prof.PurchaseOrderLines
	return Key{{r.Field("OrderNo"), Str(orderNo)}, {r.Field("LineNo"), Str(lineNo)}, {r.Field("ReleaseNo"), Str(releaseNo)}}
}

func (p *Profile) resource(name string) *Resource {
	for _, r := range p.resources() {
		if r.name == name && !r.child {
			return r.res
		}
	}
	return nil
}

// Update reads the entity at key with its ETag, applies mutate to it and
// PATCHes the changed fields with If-Match. When someone else changed the
// record in between (412), it reads again and re-applies mutate, at most
// Config.MaxConflictRetries times, so mutate must be safe to run again on a
// fresh copy. Nothing is written when mutate changes nothing or fails.
//
// A PATCH without If-Match is an upsert in IFS and can silently create a
// record, so Update never sends one: it refuses when IFS sent no ETag,
// unless Config.ETagStar allows If-Match: *.
func Update[T any](ctx context.Context, c *Client, e Entity[T], key Key, mutate func(*T) error) (T, error) {
	var zero T
	res := c.prof.resource(e.Name)
	if res == nil {
		return zero, &Error{Op: "update", Kind: domain.KindInvalid, Message: "unknown resource " + e.Name}
	}
	u := c.setURL(res) + key.String()
	op := "update " + res.EntitySet + key.String()
	for attempt := 0; ; attempt++ {
		row, etag, err := c.getRow(ctx, op, res.Projection, u)
		if err != nil {
			return zero, fmt.Errorf("%s: %w", op, err)
		}
		v := e.Decode(c.prof, row)
		before := e.Encode(c.prof, v)
		if err := mutate(&v); err != nil {
			return zero, fmt.Errorf("%s: %w", op, err)
		}
		diff := changedFields(before, e.Encode(c.prof, v))
		if len(diff) == 0 {
			if e.SetETag != nil && etag != "" {
				e.SetETag(&v, etag)
			}
			return v, nil
		}
		ifMatch := etag
		if c.cfg.ETagStar {
			ifMatch = "*"
		} else if etag == "" {
			return zero, &Error{Op: op, Kind: domain.KindInvalid,
				Message: "IFS sent no ETag, and a PATCH without If-Match would be an upsert; refusing (If-Match: * needs explicit configuration)"}
		}
		body, err := json.Marshal(diff)
		if err != nil {
			return zero, &Error{Op: op, Kind: domain.KindInvalid, Err: err}
		}
		resp, err := c.do(ctx, request{op: op, projection: res.Projection, method: http.MethodPatch, url: u, body: body,
			header: http.Header{"If-Match": {ifMatch}, "Prefer": {"return=representation"}},
			// A conditional PATCH cannot apply twice: a repeat gets 412.
			retrySafe: ifMatch != "*"})
		if err != nil {
			if domain.KindOf(err) == domain.KindConflict && ifMatch != "*" && attempt < c.cfg.MaxConflictRetries {
				continue
			}
			return zero, fmt.Errorf("%s: %w", op, err)
		}
		if len(bytes.TrimSpace(resp.body)) > 0 {
			var r Row
			if json.Unmarshal(resp.body, &r) == nil {
				v = e.Decode(c.prof, r)
			}
		}
		if et := resp.header.Get("ETag"); et != "" && e.SetETag != nil {
			e.SetETag(&v, et)
		}
		return v, nil
	}
}

// changedFields returns the fields of after whose JSON differs from before.
func changedFields(before, after map[string]any) map[string]any {
	out := map[string]any{}
	for k, a := range after {
		ab, _ := json.Marshal(a)
		bb, _ := json.Marshal(before[k])
		if !bytes.Equal(ab, bb) {
			out[k] = a
		}
	}
	return out
}
