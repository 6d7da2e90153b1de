package ifssim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t, Config{})
	tokenURL := e.hs.URL + e.srv.TokenPath()
	tests := []struct {
		name   string
		form   url.Values
		status int
		errKey string
	}{
		{"ok", url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}, 200, ""},
		{"ok without scope", url.Values{"grant_type": {"client_credentials"}, "client_id": {LimitedClientID}, "client_secret": {LimitedClientSecret}}, 200, ""},
		{"bad secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {"nope"}}, 401, "unauthorized_client"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"WHO"}, "client_secret": {"x"}}, 401, "invalid_client"},
		{"password grant", url.Values{"grant_type": {"password"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}, 400, "unsupported_grant_type"},
		{"no grant", url.Values{"client_id": {DefaultClientID}}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.PostForm(tokenURL, tt.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			json.NewDecoder(resp.Body).Decode(&m)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tt.status, m)
			}
			if tt.errKey != "" {
				if m["error"] != tt.errKey {
					t.Errorf("error = %v, want %s", m["error"], tt.errKey)
				}
				return
			}
			for _, k := range []string{"access_token", "expires_in", "refresh_expires_in", "refresh_token", "token_type", "id_token", "not-before-policy", "session_state", "scope"} {
				if _, ok := m[k]; !ok {
					t.Errorf("token response lacks %s", k)
				}
			}
			if m["expires_in"] != float64(180) || m["token_type"] != "Bearer" {
				t.Errorf("expires_in %v token_type %v", m["expires_in"], m["token_type"])
			}
		})
	}
	resp, err := http.Get(e.hs.URL + "/auth/realms/mlc/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if disc["token_endpoint"] != tokenURL {
		t.Errorf("discovery token_endpoint = %v, want %s", disc["token_endpoint"], tokenURL)
	}
}

func TestBearerAuth(t *testing.T) {
	e := newEnv(t, Config{TokenLifetime: 60 * time.Second})
	path := poRoot + "PurchaseOrderSet?$top=1"
	if r := e.do("GET", path, ""); r.status != 200 {
		t.Fatalf("with token: %d %s", r.status, r.body)
	}
	for name, auth := range map[string]string{"none": "Authorization: ", "garbage": "Authorization: Bearer xyz", "basic": "Authorization: Basic YTpi"} {
		r := e.do("GET", path, "", auth)
		if r.status != 401 || r.errCode(t) != "UNAUTHORIZED" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	e.clock.add(61 * time.Second)
	if r := e.do("GET", path, ""); r.status != 401 || !strings.Contains(r.body, "expired") {
		t.Errorf("expired token: %d %s", r.status, r.body)
	}
	e.token = e.getToken(DefaultClientID, DefaultClientSecret)
	if r := e.do("GET", path, ""); r.status != 200 {
		t.Errorf("fresh token: %d", r.status)
	}
	// Early expiry: the token dies before its announced expires_in.
	e.srv.SetFaults(Faults{TokenLifetimeS: 5})
	e.token = e.getToken(DefaultClientID, DefaultClientSecret)
	e.clock.add(6 * time.Second)
	if r := e.do("GET", path, ""); r.status != 401 {
		t.Errorf("early expiry: %d", r.status)
	}
	e.token = e.getToken(DefaultClientID, DefaultClientSecret)
	e.srv.ExpireTokens()
	if r := e.do("GET", path, ""); r.status != 401 {
		t.Errorf("after ExpireTokens: %d", r.status)
	}
}

func TestGrantsAndRoots(t *testing.T) {
	e := newEnv(t, Config{})
	limited := e.getToken(LimitedClientID, LimitedClientSecret)
	tests := []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"PO on main", "", poRoot + "PurchaseOrderSet?$top=1", 200, ""},
		{"PO on int", "", "/int/ifsapplications/projection/v1/PurchaseOrderHandling.svc/PurchaseOrderSet?$top=1", 200, ""},
		{"lines on entity root", "", lineRoot + "PurchaseOrderLineSet?$top=1", 200, ""},
		{"part lines", "", "/int/ifsapplications/entity/v1/PurchaseOrderLinePartEntity.svc/PurchaseOrderLinePartSet?$top=1", 200, ""},
		{"supplier alias projection", "", "/main/ifsapplications/projection/v1/SuppliersHandling.svc/SupplierInfoGeneralSet?$top=1", 200, ""},
		{"entity service on main", "", "/main/ifsapplications/projection/v1/PurchaseOrderLineEntity.svc/PurchaseOrderLineSet", 404, "OBJECT_NOT_FOUND"},
		{"projection on entity root", "", "/int/ifsapplications/entity/v1/PurchaseOrderHandling.svc/PurchaseOrderSet", 404, "OBJECT_NOT_FOUND"},
		{"unknown service", "", "/main/ifsapplications/projection/v1/NoSuchHandling.svc/X", 404, "OBJECT_NOT_FOUND"},
		{"unknown set", "", poRoot + "NoSuchSet", 404, "OBJECT_NOT_FOUND"},
		{"unknown key", "", poRoot + "PurchaseOrderSet(OrderNo='NOPE')", 404, "OBJECT_NOT_FOUND"},
		{"not IFS at all", "", "/api/whatever", 404, "OBJECT_NOT_FOUND"},
		{"limited: granted", limited, poRoot + "PurchaseOrderSet?$top=1", 200, ""},
		{"limited: not granted", limited, supRoot + "SupplierInfoGeneralSet", 403, "FORBIDDEN"},
		{"limited: not granted entity service", limited, lineRoot + "PurchaseOrderLineSet", 403, "FORBIDDEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.token != "" {
				hdr = append(hdr, "Authorization: Bearer "+tt.token)
			}
			r := e.do("GET", tt.path, "", hdr...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" && r.errCode(t) != tt.code {
				t.Errorf("code %s, want %s", r.errCode(t), tt.code)
			}
			if tt.status == 403 && !strings.Contains(r.body, "Handling") && !strings.Contains(r.body, "Entity") {
				t.Errorf("403 does not name the projection: %s", r.body)
			}
		})
	}
}

func TestServiceDocumentAndMetadata(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.do("GET", poRoot, "")
	if r.status != 200 || r.header.Get("OData-Version") != "4.0" {
		t.Fatalf("service document: %d %v", r.status, r.header)
	}
	names := map[string]bool{}
	for _, v := range r.values(t) {
		names[v["name"].(string)] = v["kind"] == "EntitySet"
	}
	if !names["PurchaseOrderSet"] || !names["PurchaseOrderLineNopartSet"] {
		t.Errorf("service document sets: %v", names)
	}
	m := e.do("GET", poRoot+"$metadata", "")
	for _, want := range []string{`Namespace="IfsApp.PurchaseOrderHandling"`, `<EnumType Name="PurchaseOrderState">`,
		`<Member Name="Released"`, `<PropertyRef Name="OrderNo"/>`, `Type="IfsApp.PurchaseOrderHandling.PurchaseOrderState"`,
		`<EntitySet Name="PurchaseOrderSet"`, `NavigationProperty Name="PurchaseOrderLineArray"`} {
		if !strings.Contains(m.body, want) {
			t.Errorf("$metadata lacks %s", want)
		}
	}
	if m.status != 200 || !strings.HasPrefix(m.header.Get("Content-Type"), "application/xml") {
		t.Errorf("$metadata: %d %s", m.status, m.header.Get("Content-Type"))
	}
}

var etagRE = regexp.MustCompile(`^W/"([A-Za-z0-9+/=]+)"$`)

func TestRowEnvelopeAndEntity(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.do("GET", poRoot+"PurchaseOrderSet(OrderNo='P10003')", "")
	if r.status != 200 {
		t.Fatal(r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json;odata.metadata=minimal" {
		t.Errorf("Content-Type %q", ct)
	}
	m := r.json(t)
	// The context may be absolute or relative to the request URL (JSON
	// Format §4.3); resolved, it is the service's metadata document.
	req, _ := url.Parse(e.hs.URL + poRoot + "PurchaseOrderSet(OrderNo='P10003')")
	if cu, err := req.Parse(m["@odata.context"].(string)); err != nil ||
		cu.String() != e.hs.URL+poRoot+"$metadata#PurchaseOrderSet/$entity" {
		t.Errorf("context %v resolves to %v", m["@odata.context"], cu)
	}
	tag := m["@odata.etag"].(string)
	if tag != r.header.Get("ETag") {
		t.Errorf("ETag header %q != @odata.etag %q", r.header.Get("ETag"), tag)
	}
	sm := etagRE.FindStringSubmatch(tag)
	if sm == nil {
		t.Fatalf("etag %q not W/\"base64\"", tag)
	}
	inner, err := base64.StdEncoding.DecodeString(sm[1])
	if err != nil || !regexp.MustCompile(`^W/"[A-Za-z0-9+/]{18}:\d{14}"$`).Match(inner) {
		t.Errorf("etag inner %q: want W/\"<Objid>:<YYYYMMDDHHMMSS>\"", inner)
	}
	if m["luname"] != "PurchaseOrder" || m["keyref"] != "ORDER_NO=P10003^" || m["Objgrants"] != nil {
		t.Errorf("envelope: %v %v %v", m["luname"], m["keyref"], m["Objgrants"])
	}
	// Field order: envelope first, then Objstate, then business fields.
	last := -1
	for _, k := range []string{`"@odata.context"`, `"@odata.etag"`, `"luname"`, `"keyref"`, `"Objgrants"`, `"Objstate"`, `"OrderNo"`} {
		j := strings.Index(r.body, k)
		if j <= last {
			t.Errorf("field %s out of order in %s", k, r.body)
		}
		last = j
	}
	// Lines: three string keys and decimals as JSON numbers.
	l := e.do("GET", lineRoot+"PurchaseOrderLineSet(OrderNo='P10003',LineNo='1',ReleaseNo='1')", "")
	lm := l.json(t)
	if l.status != 200 || lm["keyref"] != "ORDER_NO=P10003^LINE_NO=1^RELEASE_NO=1^" {
		t.Fatalf("line: %d %s", l.status, l.body)
	}
	if _, ok := lm["BuyQtyDue"].(float64); !ok {
		t.Errorf("BuyQtyDue should be a JSON number without IEEE754Compatible: %v", lm["BuyQtyDue"])
	}
	l = e.do("GET", lineRoot+"PurchaseOrderLineSet(OrderNo='P10003',LineNo='1',ReleaseNo='1')", "",
		"Accept: application/json;odata.metadata=full;IEEE754Compatible=true")
	lm = l.json(t)
	if _, ok := lm["BuyQtyDue"].(string); !ok {
		t.Errorf("BuyQtyDue should be a string with IEEE754Compatible=true: %v", lm["BuyQtyDue"])
	}
	if !strings.Contains(l.header.Get("Content-Type"), "IEEE754Compatible=true") {
		t.Errorf("Content-Type %q", l.header.Get("Content-Type"))
	}
	// Navigation from header to lines, and from company to accounts.
	nav := e.do("GET", poRoot+"PurchaseOrderSet(OrderNo='P10003')/PurchaseOrderLineArray", "")
	if nav.status != 200 || len(nav.values(t)) == 0 {
		t.Errorf("nav lines: %d %s", nav.status, nav.body)
	}
	acc := e.do("GET", codeRoot+"CompanyFinanceSet(Company='MLC01')/CodeAArray", "")
	if acc.status != 200 || len(acc.values(t)) != len(e.srv.World().Accounts) {
		t.Errorf("accounts: %d %s", acc.status, acc.body)
	}
	cc := e.do("GET", codeRoot+"CompanyFinanceSet(Company='MLC01')/CodeBArray('110')", "")
	if cc.status != 200 || cc.json(t)["Description"] != "Columbus machining" {
		t.Errorf("cost centre by key: %d %s", cc.status, cc.body)
	}
	if r := e.do("GET", codeRoot+"CompanyFinanceSet(Company='NOPE')/CodeAArray", ""); r.status != 404 {
		t.Errorf("nav of missing parent: %d", r.status)
	}
	sc := e.do("GET", supRoot+"SupplierInfoGeneralSet(SupplierId='SUP1004')/SupplierInvoiceCompanies", "")
	if v := sc.values(t); len(v) != 1 || v[0]["Currency"] != "EUR" {
		t.Errorf("supplier companies: %s", sc.body)
	}
}

func TestPagingCountSelectOrder(t *testing.T) {
	for _, forms := range AllLinkForms() {
		t.Run(forms.String(), func(t *testing.T) {
			e := newEnv(t, Config{PageSize: 7, Links: &forms})
			total := len(e.srv.World().PurchaseOrders)
			seen := map[string]bool{}
			pages := e.readAll(poRoot+"PurchaseOrderSet?$count=true&$select=OrderNo", func(page map[string]any, v map[string]any) {
				if c, ok := page["@odata.count"]; ok && c != float64(total) {
					t.Errorf("@odata.count = %v, want %d", c, total)
				}
				no := v["OrderNo"].(string)
				if seen[no] {
					t.Fatalf("%s on two pages", no)
				}
				seen[no] = true
				if _, ok := v["VendorNo"]; ok {
					t.Fatal("$select did not drop VendorNo")
				}
				if _, ok := v["@odata.etag"]; !ok {
					t.Fatal("$select dropped @odata.etag")
				}
			})
			if len(seen) != total || pages != (total+6)/7 {
				t.Errorf("saw %d orders in %d pages, want %d in %d", len(seen), pages, total, (total+6)/7)
			}
			// Inside a navigation the context URL and the request URL have
			// different bases: the case that once stalled a client.
			accounts := 0
			pages = e.readAll(codeRoot+"CompanyFinanceSet(Company='MLC01')/CodeAArray", func(_, _ map[string]any) { accounts++ })
			if n := len(e.srv.World().Accounts); accounts != n || pages != (n+6)/7 {
				t.Errorf("navigation: %d accounts in %d pages, want %d in %d", accounts, pages, n, (n+6)/7)
			}
			// $top smaller than the collection but larger than a page.
			top := 0
			e.readAll(poRoot+"PurchaseOrderSet?$top=10&$skip=2", func(_, _ map[string]any) { top++ })
			if top != 10 {
				t.Errorf("$top=10&$skip=2 gave %d rows over all pages", top)
			}
		})
	}
}

func TestCountAndTop(t *testing.T) {
	e := newEnv(t, Config{PageSize: 7})
	total := len(e.srv.World().PurchaseOrders)
	r := e.do("GET", poRoot+"PurchaseOrderSet/$count", "")
	if r.status != 200 || r.body != itoa(total) || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("/$count: %d %q %s", r.status, r.body, r.header.Get("Content-Type"))
	}
	r = e.do("GET", poRoot+"PurchaseOrderSet/$count?$filter=CurrencyCode eq 'EUR'", "")
	eur := 0
	for _, po := range e.srv.World().PurchaseOrders {
		if po.Currency == "EUR" {
			eur++
		}
	}
	if r.body != itoa(eur) {
		t.Errorf("/$count with filter = %s, want %d", r.body, eur)
	}

	r = e.do("GET", poRoot+"PurchaseOrderSet?$orderby=OrderNo desc&$top=3&$skip=1&$select=OrderNo", "")
	v := r.values(t)
	if len(v) != 3 || v[0]["OrderNo"] != "P10059" || v[2]["OrderNo"] != "P10057" {
		t.Errorf("orderby desc/top/skip: %s", r.body)
	}
	if _, ok := r.json(t)["@odata.nextLink"]; ok {
		t.Error("nextLink although $top fits in a page")
	}
	r = e.do("GET", poRoot+"PurchaseOrderSet?$orderby=VendorNo,OrderNo desc&$top=2", "")
	if v := r.values(t); len(v) != 2 || v[0]["VendorNo"].(string) > v[1]["VendorNo"].(string) {
		t.Errorf("orderby two keys: %s", r.body)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestQueryOptionErrors(t *testing.T) {
	e := newEnv(t, Config{})
	tests := []struct {
		query string
		code  string
	}{
		{"$expand=PurchaseOrderLineArray", "ODP_NOT_IMPLEMENTED"},
		{"$expand=NoSuchNav", "BAD_REQUEST"},
		{"$select=NoSuchField", "BAD_REQUEST"},
		{"$orderby=NoSuchField", "BAD_REQUEST"},
		{"$orderby=OrderNo sideways", "BAD_REQUEST"},
		{"$top=-1", "BAD_REQUEST"},
		{"$skip=x", "BAD_REQUEST"},
		{"$count=maybe", "BAD_REQUEST"},
		{"$apply=groupby((VendorNo))", "ODP_NOT_IMPLEMENTED"},
		{"$bogus=1", "BAD_REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do("GET", poRoot+"PurchaseOrderSet?"+tt.query, "")
			if r.status != 400 || r.errCode(t) != tt.code {
				t.Errorf("%d %s, want 400 %s", r.status, r.body, tt.code)
			}
		})
	}
}

// Without $orderby the order is the server's (Protocol §11.2.6.2): an
// instance answers in ascending or descending key order, drawn per run
// when not configured, and keeps it across pages so paging never repeats
// or drops a row. $orderby still decides when it is given.
func TestUnorderedReadsKeepTheInstanceOrder(t *testing.T) {
	for _, desc := range []bool{false, true} {
		t.Run(fmt.Sprintf("desc=%v", desc), func(t *testing.T) {
			e := newEnv(t, Config{PageSize: 7, UnorderedDesc: &desc})
			var got []string
			e.readAll(poRoot+"PurchaseOrderSet?$select=OrderNo", func(_, v map[string]any) { got = append(got, v["OrderNo"].(string)) })
			// World order numbers are P10001, P10002, … (world.go): key order is
			// their string order.
			want := make([]string, 0, len(e.srv.World().PurchaseOrders))
			for _, po := range e.srv.World().PurchaseOrders {
				want = append(want, po.OrderNo)
			}
			slices.Sort(want)
			if desc {
				slices.Reverse(want)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("unordered read gave %v, want %v", got, want)
			}
			var asked []string
			e.readAll(poRoot+"PurchaseOrderSet?$select=OrderNo&$orderby=OrderNo", func(_, v map[string]any) { asked = append(asked, v["OrderNo"].(string)) })
			if !slices.IsSorted(asked) || len(asked) != len(want) {
				t.Fatalf("$orderby=OrderNo gave %v", asked)
			}
		})
	}
	seen := map[bool]bool{}
	for range 40 {
		seen[*New(world.New(1), Config{}).cfg.UnorderedDesc] = true
	}
	if len(seen) != 2 {
		t.Fatalf("40 sandboxes all chose desc=%v: the default order does not vary", seen)
	}
}
