package ifs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// POQuery selects purchase orders.
type POQuery struct {
	// States keeps orders in these Objstates (e.g. "Released"); empty = any.
	States []string
	// From and To bound OrderDate, inclusive, by calendar day; zero = open.
	From, To time.Time
	// SupplierID and Site narrow further when set.
	SupplierID string
	Site       string
	// WithLines also reads the lines of every order found (in chunks, one
	// request per 20 orders rather than one per order).
	WithLines bool
}

// PurchaseOrders lists purchase-order headers matching q, ordered by
// OrderNo, following server paging. States are filtered with qualified enum
// literals; on a tenant that answers 400 to any Objstate filter (profile
// state_filter "auto") the client drops the state filter, filters states
// itself, and remembers to do so for later calls.
func (c *Client) PurchaseOrders(ctx context.Context, q POQuery) ([]domain.PurchaseOrder, error) {
	res := &c.prof.PurchaseOrders
	f := fieldsOf{res}
	base := []Expr{}
	if !q.From.IsZero() {
		base = append(base, Ge(f.n("OrderDate"), Date(q.From)))
	}
	if !q.To.IsZero() {
		base = append(base, Le(f.n("OrderDate"), Date(q.To)))
	}
	if q.SupplierID != "" {
		base = append(base, Eq(f.n("VendorNo"), Str(q.SupplierID)))
	}
	if q.Site != "" {
		base = append(base, Eq(f.n("Contract"), Str(q.Site)))
	}
	var stateExpr Expr
	if len(q.States) > 0 && res.StateEnum != "" {
		vs := make([]Value, len(q.States))
		for i, s := range q.States {
			vs[i] = res.Enum(res.StateEnum, s)
		}
		stateExpr = In(f.n("Objstate"), vs...)
	}
	serverStates := !stateExpr.IsZero() && c.prof.StateFilter != "client" && !c.stateFilterRejected.Load()
	read := func(withStates bool) ([]domain.PurchaseOrder, error) {
		filter := And(base...)
		if withStates {
			filter = And(append(slices.Clone(base), stateExpr)...)
		}
		u := withQuery(c.setURL(res), Query{Filter: filter, OrderBy: []string{f.n("OrderNo")}})
		var out []domain.PurchaseOrder
		err := c.list(ctx, "read "+res.EntitySet, res.Projection, u, func(r Row) error {
			po := decodePO(c.prof, r)
			if len(q.States) > 0 && !slices.Contains(q.States, po.State) {
				return nil
			}
			out = append(out, po)
			return nil
		})
		return out, err
	}
	out, err := read(serverStates)
	if err != nil && serverStates && c.prof.StateFilter == "auto" && errIsStateFilterRejection(err) {
		out2, err2 := read(false)
		if err2 == nil {
			c.stateFilterRejected.Store(true)
			c.logInfo("IFS rejected an Objstate filter; filtering purchase-order states on the client from now on", "error", err.Error())
		}
		out, err = out2, err2
	}
	if err != nil {
		return nil, fmt.Errorf("list purchase orders: %w", err)
	}
	if q.WithLines && len(out) > 0 {
		if err := c.attachLines(ctx, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StateFilterOnClient reports whether the client has fallen back to
// filtering purchase-order states itself.
func (c *Client) StateFilterOnClient() bool {
	return c.prof.StateFilter == "client" || c.stateFilterRejected.Load()
}

func (c *Client) logInfo(msg string, args ...any) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.Info(msg, args...)
	}
}

// attachLines reads the lines of many orders, 20 orders per request.
func (c *Client) attachLines(ctx context.Context, pos []domain.PurchaseOrder) error {
	idx := make(map[string]int, len(pos))
	for i := range pos {
		idx[pos[i].OrderNo] = i
	}
	for chunk := range slices.Chunk(pos, 20) {
		nos := make([]Value, len(chunk))
		for i, po := range chunk {
			nos[i] = Str(po.OrderNo)
		}
		lines, err := c.readLines(ctx, In(c.prof.PurchaseOrderLines.Field("OrderNo"), nos...))
		if err != nil {
			return fmt.Errorf("read purchase order lines: %w", err)
		}
		for _, l := range lines {
			if i, ok := idx[l.OrderNo]; ok {
				pos[i].Lines = append(pos[i].Lines, l)
			}
		}
	}
	return nil
}

// PurchaseOrder reads one order by number, with its lines. An unknown
// order is an *Error of kind domain.KindNotFound.
func (c *Client) PurchaseOrder(ctx context.Context, orderNo string) (*domain.PurchaseOrder, error) {
	res := &c.prof.PurchaseOrders
	u := c.setURL(res) + Key{{res.Field("OrderNo"), Str(orderNo)}}.String()
	row, etag, err := c.getRow(ctx, "read purchase order "+orderNo, res.Projection, u)
	if err != nil {
		return nil, fmt.Errorf("read purchase order %s: %w", orderNo, err)
	}
	po := decodePO(c.prof, row)
	if etag != "" {
		po.ETag = etag
	}
	lines, err := c.PurchaseOrderLines(ctx, orderNo)
	if err != nil {
		return nil, err
	}
	po.Lines = lines
	return &po, nil
}

// PurchaseOrderLines reads an order's lines, ordered by line and release.
func (c *Client) PurchaseOrderLines(ctx context.Context, orderNo string) ([]domain.PurchaseOrderLine, error) {
	lines, err := c.readLines(ctx, Eq(c.prof.PurchaseOrderLines.Field("OrderNo"), Str(orderNo)))
	if err != nil {
		return nil, fmt.Errorf("read lines of purchase order %s: %w", orderNo, err)
	}
	return lines, nil
}

func (c *Client) readLines(ctx context.Context, filter Expr) ([]domain.PurchaseOrderLine, error) {
	res := &c.prof.PurchaseOrderLines
	f := fieldsOf{res}
	u := withQuery(c.setURL(res), Query{Filter: filter, OrderBy: []string{f.n("OrderNo"), f.n("LineNo"), f.n("ReleaseNo")}})
	var out []domain.PurchaseOrderLine
	err := c.list(ctx, "read "+res.EntitySet, res.Projection, u, func(r Row) error {
		out = append(out, decodePOLine(c.prof, r))
		return nil
	})
	return out, err
}
