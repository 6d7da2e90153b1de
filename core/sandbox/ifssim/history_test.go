package ifssim

import (
	"net/url"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

const histRoot = "/main/ifsapplications/projection/v1/HistoryLogHandling.svc/"

func TestHistoryLog(t *testing.T) {
	e := newEnv(t, Config{HistoryLog: true})
	planned := e.srv.World().OrdersInState(world.StatePlanned)[0]
	since := e.clock.now().Format(time.RFC3339)
	e.clock.add(time.Minute)
	if err := e.srv.SetPurchaseOrderState(planned.OrderNo, world.StateReleased); err != nil {
		t.Fatal(err)
	}
	q := "LuName eq 'PurchaseOrder' and TimeStamp gt " + since
	r := e.do("GET", histRoot+"HistoryLogOverviewSet?$filter="+url.QueryEscape(q), "")
	v := r.values(t)
	if r.status != 200 || len(v) != 1 || v[0]["KeyRef"] != "ORDER_NO="+planned.OrderNo+"^" {
		t.Fatalf("history since %s: %d %s", since, r.status, r.body)
	}
	id := itoa(int(v[0]["LogId"].(float64)))
	d := e.do("GET", histRoot+"HistoryLogDetailsSet(LogId="+id+")/HistoryLogAttributeArray", "")
	dv := d.values(t)
	if len(dv) != 1 || dv[0]["ColumnName"] != "ROWSTATE" || dv[0]["OldValue"] != "Planned" || dv[0]["NewValue"] != "Released" {
		t.Errorf("details: %s", d.body)
	}
	// Lines were logged too, one entry each.
	lines := e.do("GET", histRoot+"HistoryLogOverviewSet/$count?$filter="+url.QueryEscape("LuName eq 'PurchaseOrderLine'"), "")
	if lines.body != itoa(len(planned.Lines)) {
		t.Errorf("line entries %s, want %d", lines.body, len(planned.Lines))
	}
	// An OData PATCH logs the changed column with the caller as user.
	e.clock.add(time.Minute)
	since = e.clock.now().Format(time.RFC3339)
	e.clock.add(time.Second)
	if p := e.do("PATCH", poRoot+"PurchaseOrderSet(OrderNo='"+planned.OrderNo+"')", `{"BuyerCode":"NEWBUYER"}`, "If-Match: *"); p.status != 204 {
		t.Fatalf("PATCH: %d %s", p.status, p.body)
	}
	r = e.do("GET", histRoot+"HistoryLogOverviewSet?$filter="+url.QueryEscape("TimeStamp gt "+since), "")
	v = r.values(t)
	if len(v) != 1 || v[0]["Username"] != DefaultClientID {
		t.Fatalf("PATCH history: %s", r.body)
	}
	id = itoa(int(v[0]["LogId"].(float64)))
	d = e.do("GET", histRoot+"HistoryLogDetailsSet(LogId="+id+")/HistoryLogAttributeArray", "")
	if dv := d.values(t); len(dv) != 1 || dv[0]["ColumnName"] != "BUYER_CODE" || dv[0]["NewValue"] != "NEWBUYER" {
		t.Errorf("PATCH details: %s", d.body)
	}
}

func TestHistoryLogOff(t *testing.T) {
	e := newEnv(t, Config{})
	planned := e.srv.World().OrdersInState(world.StatePlanned)[0]
	e.srv.SetPurchaseOrderState(planned.OrderNo, world.StateReleased)
	if r := e.do("GET", histRoot+"HistoryLogOverviewSet/$count", ""); r.status != 200 || r.body != "0" {
		t.Errorf("history with logging off: %d %s", r.status, r.body)
	}
}
