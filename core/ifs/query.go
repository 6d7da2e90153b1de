package ifs

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// Value is an OData literal, already written the way IFS reads it.
type Value struct{ lit string }

// String returns the literal text.
func (v Value) String() string { return v.lit }

// Str is a string literal: quoted, with ' doubled.
func Str(s string) Value { return Value{"'" + strings.ReplaceAll(s, "'", "''") + "'"} }

// Int is a number literal.
func Int(n int64) Value { return Value{strconv.FormatInt(n, 10)} }

// Dec is a decimal literal.
func Dec(d money.Decimal) Value { return Value{d.String()} }

// Date is an Edm.Date literal (unquoted YYYY-MM-DD) of t's calendar day in t's zone.
func Date(t time.Time) Value { return Value{t.Format("2006-01-02")} }

// DateTime is an Edm.DateTimeOffset literal in UTC.
func DateTime(t time.Time) Value { return Value{t.UTC().Format("2006-01-02T15:04:05Z")} }

// Bool is a boolean literal.
func Bool(b bool) Value { return Value{strconv.FormatBool(b)} }

// EnumValue is a qualified enumeration literal,
// IfsApp.{Projection}.{Enum}'Value'; IFS rejects a plain string for an enum.
func EnumValue(projection, enumType, value string) Value {
	return Value{"IfsApp." + projection + "." + enumType + Str(value).lit}
}

// Expr is a $filter expression. Build it with the functions below; field
// names come from the profile, literals from the Value constructors, so
// nothing a user typed is ever spliced in unescaped.
type Expr struct{ s string }

// String returns the expression text.
func (e Expr) String() string { return e.s }

// IsZero reports an empty expression (matches everything).
func (e Expr) IsZero() bool { return e.s == "" }

func cmp(field, op string, v Value) Expr { return Expr{field + " " + op + " " + v.lit} }

// Eq is field eq v.
func Eq(field string, v Value) Expr { return cmp(field, "eq", v) }

// Ne is field ne v.
func Ne(field string, v Value) Expr { return cmp(field, "ne", v) }

// Gt is field gt v.
func Gt(field string, v Value) Expr { return cmp(field, "gt", v) }

// Ge is field ge v.
func Ge(field string, v Value) Expr { return cmp(field, "ge", v) }

// Lt is field lt v.
func Lt(field string, v Value) Expr { return cmp(field, "lt", v) }

// Le is field le v.
func Le(field string, v Value) Expr { return cmp(field, "le", v) }

// Contains is contains(field, 's').
func Contains(field, s string) Expr { return Expr{"contains(" + field + "," + Str(s).lit + ")"} }

// StartsWith is startswith(field, 's').
func StartsWith(field, s string) Expr { return Expr{"startswith(" + field + "," + Str(s).lit + ")"} }

func join(op string, es []Expr) Expr {
	var parts []string
	for _, e := range es {
		if !e.IsZero() {
			parts = append(parts, e.s)
		}
	}
	switch len(parts) {
	case 0:
		return Expr{}
	case 1:
		return Expr{parts[0]}
	}
	return Expr{"(" + strings.Join(parts, " "+op+" ") + ")"}
}

// And joins expressions with and; empty ones are dropped.
func And(es ...Expr) Expr { return join("and", es) }

// Or joins expressions with or; empty ones are dropped.
func Or(es ...Expr) Expr { return join("or", es) }

// Not negates e.
func Not(e Expr) Expr {
	if e.IsZero() {
		return e
	}
	return Expr{"not (" + e.s + ")"}
}

// In is field eq v1 or field eq v2 … (IFS has no "in" on every release).
func In(field string, vs ...Value) Expr {
	es := make([]Expr, len(vs))
	for i, v := range vs {
		es[i] = Eq(field, v)
	}
	return Or(es...)
}

// Query is the system query options of a collection read.
type Query struct {
	Filter  Expr
	Select  []string
	OrderBy []string // "OrderNo" or "OrderDate desc"
	Top     int      // 0: none
	Skip    int
	Count   bool
}

// Encode returns the query string. Names are written literally ($filter,
// not %24filter: some gateways do not decode them) and values are
// percent-encoded with spaces as %20.
func (q Query) Encode() string {
	var parts []string
	add := func(k, v string) { parts = append(parts, k+"="+escapeQuery(v)) }
	if !q.Filter.IsZero() {
		add("$filter", q.Filter.s)
	}
	if len(q.Select) > 0 {
		add("$select", strings.Join(q.Select, ","))
	}
	if len(q.OrderBy) > 0 {
		add("$orderby", strings.Join(q.OrderBy, ","))
	}
	if q.Top > 0 {
		add("$top", strconv.Itoa(q.Top))
	}
	if q.Skip > 0 {
		add("$skip", strconv.Itoa(q.Skip))
	}
	if q.Count {
		add("$count", "true")
	}
	return strings.Join(parts, "&")
}

// escapeQuery percent-encodes everything but RFC 3986 unreserved characters
// and the OData punctuation that is safe in a query ('(),:/).
func escapeQuery(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '\'', c == '(', c == ')', c == ',', c == ':', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// KeyPart is one property of an entity key.
type KeyPart struct {
	Field string
	Value Value
}

// Key is an entity key, written (A='x',B=1). A single-part key is still
// written with its name, which IFS accepts and which survives renames.
type Key []KeyPart

// String returns the key segment with parentheses, percent-encoded for a path.
func (k Key) String() string {
	parts := make([]string, len(k))
	for i, p := range k {
		parts[i] = p.Field + "=" + p.Value.lit
	}
	return "(" + escapePath(strings.Join(parts, ",")) + ")"
}

// escapePath percent-encodes a key for a URL path: quotes, commas, equals
// and parentheses stay; '/', '?', '#', '%', spaces and non-ASCII do not.
func escapePath(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '\'', c == '(', c == ')', c == ',', c == '=', c == ':', c == '@', c == '!', c == '*', c == '+', c == '$':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// GoString helps test failure messages.
func (k Key) GoString() string { return fmt.Sprintf("ifs.Key%s", k.String()) }
