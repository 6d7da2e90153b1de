package ifssim

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// TestFilter checks $filter against the world: each case states the
// expected rows as a predicate over the world's orders, so a wrong
// evaluator cannot pass by returning everything or nothing.
func TestFilter(t *testing.T) {
	e := newEnv(t, Config{PageSize: 1000})
	w := e.srv.World()
	enum := func(v string) string { return "IfsApp.PurchaseOrderHandling.PurchaseOrderState'" + v + "'" }
	d := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	tests := []struct {
		filter string
		want   func(po domain.PurchaseOrder) bool
	}{
		{"OrderNo eq 'P10005'", func(po domain.PurchaseOrder) bool { return po.OrderNo == "P10005" }},
		{"OrderNo ne 'P10005'", func(po domain.PurchaseOrder) bool { return po.OrderNo != "P10005" }},
		{"OrderNo gt 'P10050'", func(po domain.PurchaseOrder) bool { return po.OrderNo > "P10050" }},
		{"OrderNo le 'P10003'", func(po domain.PurchaseOrder) bool { return po.OrderNo <= "P10003" }},
		{"Objstate eq " + enum("Released"), func(po domain.PurchaseOrder) bool { return po.State == "Released" }},
		{"((Objstate eq " + enum("Released") + "))", func(po domain.PurchaseOrder) bool { return po.State == "Released" }},
		{"Objstate eq " + enum("Released") + " or Objstate eq " + enum("Confirmed"),
			func(po domain.PurchaseOrder) bool { return po.State == "Released" || po.State == "Confirmed" }},
		{"not (Objstate eq " + enum("Closed") + ") and CurrencyCode eq 'GBP'",
			func(po domain.PurchaseOrder) bool { return po.State != "Closed" && po.Currency == "GBP" }},
		{"OrderDate ge 2026-10-01", func(po domain.PurchaseOrder) bool { return !po.OrderDate.Before(d("2026-10-01")) }},
		{"OrderDate ge 2026-10-01 and OrderDate lt 2026-11-01",
			func(po domain.PurchaseOrder) bool {
				return !po.OrderDate.Before(d("2026-10-01")) && po.OrderDate.Before(d("2026-11-01"))
			}},
		{"contains(VendorNo,'100')", func(po domain.PurchaseOrder) bool { return strings.Contains(po.SupplierID, "100") }},
		{"startswith(Contract,'MLC2')", func(po domain.PurchaseOrder) bool { return po.Site == "MLC20" }},
		{"endswith(OrderNo,'7')", func(po domain.PurchaseOrder) bool { return strings.HasSuffix(po.OrderNo, "7") }},
		{"tolower(CurrencyCode) eq 'eur'", func(po domain.PurchaseOrder) bool { return po.Currency == "EUR" }},
		{"toupper(tolower(VendorNo)) eq 'SUP1003'", func(po domain.PurchaseOrder) bool { return po.SupplierID == "SUP1003" }},
		{"WantedReceiptDate ne null", func(po domain.PurchaseOrder) bool { return true }},
		{"WantedReceiptDate eq null", func(po domain.PurchaseOrder) bool { return false }},
		{"OrderNo eq 'O''Brien'", func(po domain.PurchaseOrder) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			r := e.do("GET", poRoot+"PurchaseOrderSet?$select=OrderNo&$filter="+url.QueryEscape(tt.filter), "")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			got := map[string]bool{}
			for _, v := range r.values(t) {
				got[v["OrderNo"].(string)] = true
			}
			n := 0
			for _, po := range w.PurchaseOrders {
				if tt.want(po) {
					n++
					if !got[po.OrderNo] {
						t.Errorf("%s missing", po.OrderNo)
					}
				}
			}
			if len(got) != n {
				t.Errorf("got %d rows, want %d", len(got), n)
			}
		})
	}
}

func TestFilterNumbersAndTimestamps(t *testing.T) {
	e := newEnv(t, Config{PageSize: 1000})
	w := e.srv.World()
	count := func(pred func(l domain.PurchaseOrderLine) bool) int {
		n := 0
		for _, po := range w.PurchaseOrders {
			for _, l := range po.Lines {
				if pred(l) {
					n++
				}
			}
		}
		return n
	}
	hundred := money.FromInt(100)
	tests := []struct {
		filter string
		want   int
	}{
		{"BuyQtyDue gt 100", count(func(l domain.PurchaseOrderLine) bool { return l.Quantity.Cmp(hundred) > 0 })},
		{"BuyUnitPrice le 1.5", count(func(l domain.PurchaseOrderLine) bool { return l.UnitPrice.Cmp(money.MustParse("1.5")) <= 0 })},
		{"BuyQtyDue mul BuyUnitPrice gt 10000", count(func(l domain.PurchaseOrderLine) bool {
			return l.Quantity.Mul(l.UnitPrice).Cmp(money.FromInt(10000)) > 0
		})},
		{"BuyUnitMeas eq 'KG' and BuyQtyDue ge 500.5", count(func(l domain.PurchaseOrderLine) bool {
			return l.Unit == "KG" && l.Quantity.Cmp(money.MustParse("500.5")) >= 0
		})},
		{"PartNo eq null", count(func(l domain.PurchaseOrderLine) bool { return l.PartNo == "" })},
		{"Objstate eq IfsApp.PurchaseOrderLineEntity.PurchaseOrderLineState'Arrived'",
			count(func(l domain.PurchaseOrderLine) bool { return l.State == world.StateArrived })},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			r := e.do("GET", lineRoot+"PurchaseOrderLineSet/$count?$filter="+url.QueryEscape(tt.filter), "")
			if r.status != 200 || r.body != itoa(tt.want) {
				t.Errorf("%d %s, want %d", r.status, r.body, tt.want)
			}
		})
	}
	// Timestamps compare against a DateTimeOffset property: none in the PO
	// model, so check the literal is accepted where types match and refused
	// where they do not.
	if r := e.do("GET", poRoot+"PurchaseOrderSet?$filter="+url.QueryEscape("OrderDate gt 2026-01-01T00:00:00Z"), ""); r.status != 400 {
		t.Errorf("date vs timestamp: %d", r.status)
	}
	if _, err := lex("TimeStamp gt 2026-01-01T00:00:00Z"); err != nil {
		t.Errorf("timestamp literal: %v", err.message)
	}
	if _, err := lex("TimeStamp gt 2026-01-01T10:20:30.123+02:00"); err != nil {
		t.Errorf("timestamp literal with offset: %v", err.message)
	}
}

func TestFilterErrors(t *testing.T) {
	e := newEnv(t, Config{})
	tests := []struct {
		filter, code string
	}{
		{"Objstate eq 'Released'", "BAD_REQUEST"}, // plain string on an enum
		{"Objstate eq IfsApp.PurchaseOrderHandling.PurchaseOrderState'Flying'", "BAD_REQUEST"},
		{"Objstate eq IfsApp.OtherHandling.PurchaseOrderState'Released'", "BAD_REQUEST"},
		{"Objstate eq IfsApp.PurchaseOrderHandling.OtherState'Released'", "BAD_REQUEST"},
		{"PurchaseOrderLineArray/any(l:l/PartNo eq 'X')", "ODP_NOT_IMPLEMENTED"},
		{"PurchaseOrderLineArray/all(l:l/PartNo eq 'X')", "ODP_NOT_IMPLEMENTED"},
		{"Objstate has IfsApp.PurchaseOrderHandling.PurchaseOrderState'Released'", "ODP_NOT_IMPLEMENTED"},
		{"length(OrderNo) mod 2 eq 0", "ODP_NOT_IMPLEMENTED"},
		{"round(length(OrderNo)) eq 6", "ODP_NOT_IMPLEMENTED"},
		{"floor(length(OrderNo)) eq 6", "ODP_NOT_IMPLEMENTED"},
		{"$count gt 1", "ODP_NOT_IMPLEMENTED"},
		{"NoSuchField eq 'x'", "BAD_REQUEST"},
		{"OrderNo eq 5", "BAD_REQUEST"},
		{"OrderDate eq '2026-01-01'", "BAD_REQUEST"},
		{"OrderNo eq 'unterminated", "BAD_REQUEST"},
		{"(OrderNo eq 'x'", "BAD_REQUEST"},
		{"OrderNo eq 'x' and", "BAD_REQUEST"},
		{"OrderNo", "BAD_REQUEST"},
		{"frobnicate(OrderNo)", "BAD_REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			r := e.do("GET", poRoot+"PurchaseOrderSet?$filter="+url.QueryEscape(tt.filter), "")
			if r.status != 400 || r.errCode(t) != tt.code {
				t.Errorf("%d %s, want 400 %s", r.status, r.body, tt.code)
			}
		})
	}
}

func TestObjstateFilterAlways400(t *testing.T) {
	e := newEnv(t, Config{ObjstateFilterAlways400: true})
	q := url.QueryEscape("Objstate eq IfsApp.PurchaseOrderHandling.PurchaseOrderState'Released'")
	if r := e.do("GET", poRoot+"PurchaseOrderSet?$filter="+q, ""); r.status != 400 {
		t.Errorf("Objstate filter on the strict tenant: %d", r.status)
	}
	if r := e.do("GET", poRoot+"PurchaseOrderSet?$filter="+url.QueryEscape("OrderDate ge 2026-01-01"), ""); r.status != 200 {
		t.Errorf("date filter on the strict tenant: %d", r.status)
	}
}

func TestKeySyntax(t *testing.T) {
	e := newEnv(t, Config{})
	// One invoice so numeric keys have something to find.
	r := e.do("POST", invRoot+"ManSuppInvoiceSet", `{"Company":"MLC01","InvoiceNo":"K-1","Identity":"SUP1001"}`)
	if r.status != 201 {
		t.Fatal(r.status, r.body)
	}
	tests := []struct {
		path   string
		status int
	}{
		{poRoot + "PurchaseOrderSet(OrderNo='P10001')", 200},
		{poRoot + "PurchaseOrderSet('P10001')", 200},
		{poRoot + "PurchaseOrderSet(OrderNo=%27P10001%27)", 200},
		{poRoot + "PurchaseOrderSet(OrderNo='P1''0')", 404},
		{poRoot + "PurchaseOrderSet(OrderNo=P10001)", 400},
		{poRoot + "PurchaseOrderSet(OrderNo=\"P10001\")", 400},
		{poRoot + "PurchaseOrderSet(OrderNo='P10001)", 400},
		{poRoot + "PurchaseOrderSet(Order='P10001')", 400},
		{poRoot + "PurchaseOrderSet(OrderNo='P10001',OrderNo='P10001')", 400},
		{poRoot + "PurchaseOrderSet()", 400},
		{lineRoot + "PurchaseOrderLineSet(OrderNo='P10001',LineNo='1',ReleaseNo='1')", 200},
		{lineRoot + "PurchaseOrderLineSet(OrderNo='P10001',LineNo=1,ReleaseNo='1')", 400},
		{lineRoot + "PurchaseOrderLineSet(OrderNo='P10001',LineNo='1')", 400},
		{lineRoot + "PurchaseOrderLineSet('P10001')", 400},
		{invRoot + "ManSuppInvoiceSet(Company='MLC01',InvoiceId=220001)", 200},
		{invRoot + "ManSuppInvoiceSet(InvoiceId=220001,Company='MLC01')", 200},
		{invRoot + "ManSuppInvoiceSet(Company='MLC01',InvoiceId='220001')", 400},
		{invRoot + "ManSuppInvoiceSet(Company='MLC01',InvoiceId=22x)", 400},
		{invRoot + "ManSuppInvoiceSet(Company='MLC01',InvoiceId=220002)", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := e.do("GET", tt.path, "")
			if r.status != tt.status {
				t.Errorf("%d, want %d: %s", r.status, tt.status, r.body)
			}
		})
	}
}

func TestEnumKeyLiteral(t *testing.T) {
	sv := &service{name: "SupplierHandling", enums: enums(enumType{"PartyType", []string{"Supplier"}})}
	c := &reqCtx{sv: sv}
	p := &prop{name: "PartyType", typ: tEnum, enum: "PartyType"}
	if v, err := c.keyLiteral("IfsApp.SupplierHandling.PartyType'Supplier'", p); err != nil || v != "Supplier" {
		t.Errorf("qualified enum key: %v %v", v, err)
	}
	for _, bad := range []string{"'Supplier'", "Supplier", "IfsApp.Other.PartyType'Supplier'"} {
		if _, err := c.keyLiteral(bad, p); err == nil {
			t.Errorf("%s accepted as enum key", bad)
		}
	}
}
