package ifs_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/money"
)

func TestLiterals(t *testing.T) {
	d := time.Date(2026, 2, 1, 13, 4, 5, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		got  ifs.Value
		want string
	}{
		{ifs.Str("P1"), "'P1'"},
		{ifs.Str("O'Brien"), "'O''Brien'"},
		{ifs.Str(""), "''"},
		{ifs.Int(-42), "-42"},
		{ifs.Dec(money.MustParse("12.50")), "12.50"},
		{ifs.Date(d), "2026-02-01"},
		{ifs.DateTime(d), "2026-02-01T12:04:05Z"},
		{ifs.Bool(true), "true"},
		{ifs.EnumValue("PurchaseOrderHandling", "PurchaseOrderState", "Released"), "IfsApp.PurchaseOrderHandling.PurchaseOrderState'Released'"},
		{ifs.EnumValue("P", "E", "it's"), "IfsApp.P.E'it''s'"},
	}
	for _, tt := range tests {
		if tt.got.String() != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

func TestExprAndQuery(t *testing.T) {
	rel := ifs.EnumValue("PurchaseOrderHandling", "PurchaseOrderState", "Released")
	conf := ifs.EnumValue("PurchaseOrderHandling", "PurchaseOrderState", "Confirmed")
	e := ifs.And(ifs.Ge("OrderDate", ifs.Date(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), ifs.In("Objstate", rel, conf), ifs.Expr{})
	want := "(OrderDate ge 2026-01-01 and (Objstate eq IfsApp.PurchaseOrderHandling.PurchaseOrderState'Released' or Objstate eq IfsApp.PurchaseOrderHandling.PurchaseOrderState'Confirmed'))"
	if e.String() != want {
		t.Errorf("expr\n got %s\nwant %s", e, want)
	}
	if got := ifs.Or(ifs.Eq("A", ifs.Int(1))).String(); got != "A eq 1" {
		t.Errorf("single-term Or = %q", got)
	}
	if got := ifs.Not(ifs.Contains("Name", "a&b")).String(); got != "not (contains(Name,'a&b'))" {
		t.Errorf("Not = %q", got)
	}
	q := ifs.Query{Filter: ifs.Eq("Name", ifs.Str("A & B+C #1")), Select: []string{"OrderNo", "Objstate"}, OrderBy: []string{"OrderNo desc"}, Top: 5, Skip: 10, Count: true}
	enc := q.Encode()
	wantEnc := "$filter=Name%20eq%20'A%20%26%20B%2BC%20%231'&$select=OrderNo,Objstate&$orderby=OrderNo%20desc&$top=5&$skip=10&$count=true"
	if enc != wantEnc {
		t.Errorf("encode\n got %s\nwant %s", enc, wantEnc)
	}
	// What a server decodes is exactly the expression.
	v, err := url.ParseQuery(enc)
	if err != nil || v.Get("$filter") != "Name eq 'A & B+C #1'" {
		t.Errorf("server would read %q (%v)", v.Get("$filter"), err)
	}
}

func TestKey(t *testing.T) {
	k := ifs.Key{{"Company", ifs.Str("MLC 01")}, {"InvoiceId", ifs.Int(7)}}
	if got := k.String(); got != "(Company='MLC%2001',InvoiceId=7)" {
		t.Errorf("key %s", got)
	}
	k = ifs.Key{{"OrderNo", ifs.Str("P/1'?#")}}
	got := k.String()
	if got != "(OrderNo='P%2F1''%3F%23')" {
		t.Errorf("key %s", got)
	}
	if u, err := url.PathUnescape(got); err != nil || u != "(OrderNo='P/1''?#')" {
		t.Errorf("unescaped %q %v", u, err)
	}
}

// Every comparison and string function renders as OData v4 URL Conventions
// §5.1.1 spells it (operators in lower case, string literals in single
// quotes with quotes doubled, §5.1.1.6.1).
func TestComparisonOperators(t *testing.T) {
	d := ifs.Date(time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC))
	for _, c := range []struct {
		e    ifs.Expr
		want string
	}{
		{ifs.Eq("A", ifs.Int(1)), "A eq 1"},
		{ifs.Ne("Objstate", ifs.Str("Cancelled")), "Objstate ne 'Cancelled'"},
		{ifs.Gt("OrderDate", d), "OrderDate gt 2026-11-16"},
		{ifs.Ge("OrderDate", d), "OrderDate ge 2026-11-16"},
		{ifs.Lt("OrderDate", d), "OrderDate lt 2026-11-16"},
		{ifs.Le("OrderDate", d), "OrderDate le 2026-11-16"},
		{ifs.StartsWith("OrderNo", "P1'0"), "startswith(OrderNo,'P1''0')"},
		{ifs.Contains("Name", "O'Neil"), "contains(Name,'O''Neil')"},
	} {
		if got := c.e.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
