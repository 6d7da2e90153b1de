package ifssim

import (
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// ptype is an Edm type the simulator knows.
type ptype int

const (
	tString ptype = iota
	tDecimal
	tInt
	tDate
	tDateTime
	tEnum
	tBool
)

func (t ptype) edm() string {
	switch t {
	case tDecimal:
		return "Edm.Decimal"
	case tInt:
		return "Edm.Int64"
	case tDate:
		return "Edm.Date"
	case tDateTime:
		return "Edm.DateTimeOffset"
	case tBool:
		return "Edm.Boolean"
	}
	return "Edm.String"
}

// prop is one property of an entity type.
type prop struct {
	name     string
	typ      ptype
	enum     string // enum type name when typ == tEnum
	readOnly bool   // computed or system-maintained: rejected in POST and PATCH bodies
}

// nav is a navigation from a parent entity to its children.
type nav struct {
	name   string
	target *entityType
	// fk pairs parent key property → child property.
	fk [][2]string
}

// entityType describes rows of one table as one projection exposes them.
type entityType struct {
	name   string // EntityType name in $metadata
	luname string
	table  string
	props  []prop
	keys   []string
	// genKey is the key the server assigns on insert (InvoiceId, ItemId …).
	genKey string
	insert bool
	update bool
	delete bool
	navs   []*nav
	// subset limits the rows a set shows (part lines vs no-part lines).
	subset func(*row) bool
	// validate checks a row about to be stored; insert tells POST from PATCH.
	validate func(s *Server, st *store, r *row, insert bool) *odataError
}

func (et *entityType) prop(name string) *prop {
	for i := range et.props {
		if et.props[i].name == name {
			return &et.props[i]
		}
	}
	return nil
}

func (et *entityType) isKey(name string) bool {
	for _, k := range et.keys {
		if k == name {
			return true
		}
	}
	return false
}

func (et *entityType) nav(name string) *nav {
	for _, n := range et.navs {
		if n.name == name {
			return n
		}
	}
	return nil
}

// enumType is an IFS enumeration as $metadata lists it.
type enumType struct {
	name    string
	members []string
}

func (e enumType) has(v string) bool {
	for _, m := range e.members {
		if m == v {
			return true
		}
	}
	return false
}

// entitySet is a named set in a service.
type entitySet struct {
	name string
	et   *entityType
}

// service is one projection or entity service.
type service struct {
	name  string   // "PurchaseOrderHandling"
	roots []string // "main", "int" (projection roots) and/or "entity"
	sets  []*entitySet
	enums map[string]enumType
}

func (sv *service) set(name string) *entitySet {
	for _, s := range sv.sets {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (sv *service) onRoot(root string) bool {
	for _, r := range sv.roots {
		if r == root {
			return true
		}
	}
	return false
}

// namespace is the OData schema namespace, used in qualified enum literals.
func (sv *service) namespace() string { return "IfsApp." + sv.name }

// row is one stored record. Values are string, money.Decimal, int64,
// time.Time (dates at UTC midnight, timestamps in UTC), bool or nil.
type row struct {
	v     map[string]any
	objid string
	ver   int64 // logical clock value of the last write
}

func (r *row) clone() *row {
	c := &row{objid: r.objid, ver: r.ver, v: make(map[string]any, len(r.v))}
	for k, x := range r.v {
		c.v[k] = x
	}
	return c
}

func (r *row) str(name string) string {
	s, _ := r.v[name].(string)
	return s
}

func (r *row) dec(name string) money.Decimal {
	d, _ := r.v[name].(money.Decimal)
	return d
}

func (r *row) int(name string) int64 {
	n, _ := r.v[name].(int64)
	return n
}

func (r *row) date(name string) time.Time {
	t, _ := r.v[name].(time.Time)
	return t
}

// dbColumn turns a CamelCase property into an IFS column name for keyref
// (OrderNo → ORDER_NO).
func dbColumn(p string) string {
	var b strings.Builder
	for i, c := range p {
		if i > 0 && c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(c)
	}
	return strings.ToUpper(b.String())
}
