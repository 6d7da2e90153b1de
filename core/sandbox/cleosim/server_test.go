package cleosim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// rig is a sandbox on a loopback httptest server with a raw HTTP client.
type rig struct {
	t   *testing.T
	sim *cleosim.Server
	srv *httptest.Server
	tok string
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newRig(t *testing.T, cfg cleosim.Config) *rig {
	t.Helper()
	if cfg.MaxPageSize == 0 {
		// These tests check the sandbox's own shapes on full pages;
		// TestPageCapDrawnPerRun covers the cap drawn per run.
		cfg.MaxPageSize = 100
	}
	sim := cleosim.New(world.New(7), cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &rig{t: t, sim: sim, srv: srv}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, a.body)
	}
	return m
}

func (a answer) message(t *testing.T) string {
	t.Helper()
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type %q", ct)
	}
	msg, _ := a.json(t)["message"].(string)
	if msg == "" {
		t.Fatalf("error body without message: %s", a.body)
	}
	return msg
}

func (r *rig) do(method, path string, body io.Reader, hdr ...string) answer {
	r.t.Helper()
	req, err := http.NewRequest(method, r.srv.URL+path, body)
	if err != nil {
		r.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func (r *rig) form(v url.Values) answer {
	return r.do("POST", "/api/authentication", strings.NewReader(v.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

func (r *rig) login() string {
	r.t.Helper()
	u, p := r.sim.Credentials()
	a := r.form(url.Values{"grant_type": {"password"}, "username": {u}, "password": {p}})
	if a.status != 200 {
		r.t.Fatalf("login: %d %s", a.status, a.body)
	}
	r.tok = a.json(r.t)["access_token"].(string)
	return r.tok
}

func (r *rig) api(method, path string, body io.Reader, hdr ...string) answer {
	r.t.Helper()
	if r.tok == "" {
		r.login()
	}
	return r.do(method, path, body, append([]string{"Authorization", "Bearer " + r.tok}, hdr...)...)
}

func (r *rig) get(path string) answer { r.t.Helper(); return r.api("GET", path, nil) }

// list GETs a collection and checks the SCIM envelope.
func (r *rig) list(path string) (total int, res []map[string]any) {
	r.t.Helper()
	a := r.get(path)
	if a.status != 200 {
		r.t.Fatalf("GET %s: %d %s", path, a.status, a.body)
	}
	var pg struct {
		TotalResults *int             `json:"totalResults"`
		StartIndex   *int             `json:"startIndex"`
		Count        *int             `json:"count"`
		Resources    []map[string]any `json:"resources"`
	}
	if err := json.Unmarshal(a.body, &pg); err != nil || pg.TotalResults == nil || pg.StartIndex == nil || pg.Count == nil || pg.Resources == nil {
		r.t.Fatalf("GET %s: not a SCIM page: %s", path, a.body)
	}
	if *pg.Count != len(pg.Resources) {
		r.t.Fatalf("GET %s: count %d but %d resources", path, *pg.Count, len(pg.Resources))
	}
	return *pg.TotalResults, pg.Resources
}

func q(filter string) string { return url.QueryEscape(filter) }

func (r *rig) upload(connID, name string, content []byte, fields ...string) answer {
	r.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return r.api("POST", "/api/connections/"+connID+"/outbox", &b, "Content-Type", mw.FormDataContentType())
}

func TestAuthentication(t *testing.T) {
	r := newRig(t, cleosim.Config{EmptyInbox: true, LockoutAfter: 3})
	u, p := r.sim.Credentials()
	tests := []struct {
		name   string
		form   url.Values
		ctype  string
		status int
		msg    string
	}{
		{"bad password", url.Values{"grant_type": {"password"}, "username": {u}, "password": {"x"}}, "", 401, "Invalid username or password"},
		{"missing password", url.Values{"grant_type": {"password"}, "username": {u}}, "", 400, "required"},
		{"no grant type", url.Values{"username": {u}, "password": {p}}, "", 400, "grant_type"},
		{"unsupported grant", url.Values{"grant_type": {"client_credentials"}}, "", 400, "unsupported"},
		{"JSON body", nil, "application/json", 400, "x-www-form-urlencoded"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, "", 400, "refresh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a answer
			if tc.ctype != "" {
				a = r.do("POST", "/api/authentication", strings.NewReader(`{"grant_type":"password"}`), "Content-Type", tc.ctype)
			} else {
				a = r.form(tc.form)
			}
			if a.status != tc.status || !strings.Contains(a.message(t), tc.msg) {
				t.Fatalf("%d %s, want %d containing %q", a.status, a.body, tc.status, tc.msg)
			}
		})
	}

	a := r.form(url.Values{"grant_type": {"password"}, "username": {u}, "password": {p}})
	m := a.json(t)
	if a.status != 200 || m["token_type"] != "bearer" || m["expires_in"] != float64(3600) || m["refresh_token"] == "" || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("password grant: %d %v %v", a.status, m, a.header)
	}
	if tok, _ := m["access_token"].(string); len(tok) < 20 {
		t.Fatalf("access_token %q", tok)
	}
	rt := m["refresh_token"].(string)
	a = r.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if a.status != 200 || a.json(t)["access_token"] == "" {
		t.Fatalf("refresh grant: %d %s", a.status, a.body)
	}
	if a = r.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); a.status != 400 {
		t.Fatalf("refresh token reused: %d", a.status)
	}

	// Lockout: three failures in a row lock the account, even for the right password.
	for range 3 {
		r.form(url.Values{"grant_type": {"password"}, "username": {u}, "password": {"x"}})
	}
	a = r.form(url.Values{"grant_type": {"password"}, "username": {u}, "password": {p}})
	if a.status != 401 || !strings.Contains(a.message(t), "locked") {
		t.Fatalf("after 3 failures: %d %s", a.status, a.body)
	}
}

func TestMinimalAndNoRefreshTokens(t *testing.T) {
	r := newRig(t, cleosim.Config{EmptyInbox: true, MinimalToken: true})
	u, p := r.sim.Credentials()
	m := r.form(url.Values{"grant_type": {"password"}, "username": {u}, "password": {p}}).json(t)
	if len(m) != 1 || m["access_token"] == nil {
		t.Fatalf("minimal token answer: %v", m)
	}
	r = newRig(t, cleosim.Config{EmptyInbox: true, NoRefresh: true})
	m = r.form(url.Values{"grant_type": {"password"}, "username": {u}, "password": {p}}).json(t)
	if _, has := m["refresh_token"]; has || m["expires_in"] == nil {
		t.Fatalf("no-refresh token answer: %v", m)
	}
}

func TestBearerRequired(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)}
	r := newRig(t, cleosim.Config{EmptyInbox: true, TokenTTL: time.Minute, Now: c.now})
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer nope"}, {"Authorization", "Basic dTpw"}} {
		a := r.do("GET", "/api/connections", nil, hdr...)
		if a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("%v: %d %v", hdr, a.status, a.header)
		}
		a.message(t)
	}
	r.login()
	if a := r.get("/api/connections"); a.status != 200 {
		t.Fatalf("with token: %d", a.status)
	}
	c.add(61 * time.Second)
	if a := r.get("/api/connections"); a.status != 401 || !strings.Contains(a.message(t), "expired") {
		t.Fatalf("expired token: %d %s", a.status, a.body)
	}
	if a := r.get("/api/nothing-here"); a.status != 404 {
		t.Fatalf("unknown route: %d", a.status)
	} else {
		a.message(t)
	}
	if a := r.api("PATCH", "/api/files/x", nil); a.status != 405 || a.header.Get("Allow") != "GET, DELETE" {
		t.Fatalf("wrong method: %d %v", a.status, a.header)
	} else {
		a.message(t)
	}
}

func TestConnections(t *testing.T) {
	r := newRig(t, cleosim.Config{EmptyInbox: true})
	w := r.sim.World()
	total, all := r.list("/api/connections?count=100")
	if total != len(w.Suppliers)+1 || len(all) != total {
		t.Fatalf("%d connections (%d returned), want one per supplier plus the unknown partner", total, len(all))
	}
	for _, c := range all {
		id, _ := c["id"].(string)
		links, _ := c["_links"].(map[string]any)
		self, _ := links["self"].(map[string]any)
		if len(id) != 22 || strings.ContainsAny(id, "+/=") || c["meta"].(map[string]any)["type"] != "connection" || self["href"] != "/api/connections/"+id {
			t.Fatalf("connection shape: %v", c)
		}
	}
	first := all[0]
	sup := w.Suppliers[0]
	edi := first["edi"].(map[string]any)
	if first["alias"] != sup.Partner.Alias || first["externalID"] != sup.SupplierID || edi["senderId"] != sup.Partner.ISAID || edi["receiverId"] != w.Us.ID {
		t.Fatalf("first connection %v does not carry supplier %s", first, sup.SupplierID)
	}
	if last := all[len(all)-1]; last["alias"] != w.UnknownPartner.Alias || last["externalID"] != "" {
		t.Fatalf("last connection %v is not the unknown partner", last)
	}

	filters := []struct {
		filter string
		want   func(map[string]any) bool
	}{
		{fmt.Sprintf("alias eq %q", sup.Partner.Alias), func(c map[string]any) bool { return c["alias"] == sup.Partner.Alias }},
		{`type eq "sftp"`, func(c map[string]any) bool { return c["type"] == "sftp" }},
		{fmt.Sprintf("alias sw %q", sup.Partner.Alias[:2]), func(c map[string]any) bool { return strings.HasPrefix(c["alias"].(string), sup.Partner.Alias[:2]) }},
		{fmt.Sprintf(`type eq "as2" and alias sw %q`, sup.Partner.Alias[:1]), func(c map[string]any) bool {
			return c["type"] == "as2" && strings.HasPrefix(c["alias"].(string), sup.Partner.Alias[:1])
		}},
		{fmt.Sprintf("edi.senderId eq %q", sup.Partner.ISAID), func(c map[string]any) bool { return c["alias"] == sup.Partner.Alias }},
		{`externalID eq ""`, func(c map[string]any) bool { return c["externalID"] == "" }},
		{`(type eq "sftp" or type eq "as2") and not (enabled eq false)`, func(map[string]any) bool { return true }},
	}
	for _, f := range filters {
		n, res := r.list("/api/connections?filter=" + q(f.filter))
		want := 0
		for _, c := range all {
			if f.want(c) {
				want++
			}
		}
		if n != want || len(res) != want || want == 0 {
			t.Errorf("filter %s: %d results, want %d (>0)", f.filter, n, want)
		}
		for _, c := range res {
			if !f.want(c) {
				t.Errorf("filter %s matched %v", f.filter, c["alias"])
			}
		}
	}
	if a := r.get("/api/connections?filter=" + q(`alias eq`)); a.status != 400 {
		t.Errorf("bad filter: %d", a.status)
	}
	if a := r.get("/api/connections?filter=" + q(`alias zz "x"`)); a.status != 400 {
		t.Errorf("bad operator: %d", a.status)
	}

	// Paging: 0-based startIndex, short last page, past the end is empty.
	pages := []struct{ start, count, want int }{{0, 5, 5}, {5, 5, 5}, {10, 5, total - 10}, {total, 5, 0}, {total + 5, 5, 0}, {0, 0, 0}}
	var seen []string
	for _, p := range pages {
		n, res := r.list(fmt.Sprintf("/api/connections?startIndex=%d&count=%d", p.start, p.count))
		if n != total || len(res) != p.want {
			t.Fatalf("page %+v: total %d, %d resources", p, n, len(res))
		}
		if p.start < 15 && p.count > 0 {
			for _, c := range res {
				seen = append(seen, c["id"].(string))
			}
		}
	}
	if len(seen) != total {
		t.Fatalf("pages covered %d connections, want %d", len(seen), total)
	}
	for _, bad := range []string{"startIndex=-1", "count=x"} {
		if a := r.get("/api/connections?" + bad); a.status != 400 {
			t.Errorf("%s: %d", bad, a.status)
		}
	}

	id := first["id"].(string)
	if a := r.get("/api/connections/" + id); a.status != 200 || a.json(t)["alias"] != sup.Partner.Alias {
		t.Fatalf("GET connection: %d", a.status)
	}
	if a := r.get("/api/connections/AAAAAAAAAAAAAAAAAAAAAA"); a.status != 404 {
		t.Fatalf("unknown connection: %d", a.status)
	} else {
		a.message(t)
	}
	a := r.api("PUT", "/api/connections/"+id, strings.NewReader(`{"alias":"`+sup.Partner.Alias+`","externalID":"SUP9"}`), "Content-Type", "application/json")
	if a.status != 200 || a.json(t)["externalID"] != "SUP9" {
		t.Fatalf("PUT externalID: %d %s", a.status, a.body)
	}
	if a := r.api("PUT", "/api/connections/"+id, strings.NewReader(`{"alias":"OTHER"}`)); a.status != 400 {
		t.Fatalf("PUT alias change: %d", a.status)
	}
}

func connID(t *testing.T, r *rig, alias string) string {
	t.Helper()
	_, res := r.list("/api/connections?filter=" + q(fmt.Sprintf("alias eq %q", alias)))
	if len(res) != 1 {
		t.Fatalf("connection %s not found", alias)
	}
	return res[0]["id"].(string)
}

func TestOutboxUploadAndActions(t *testing.T) {
	r := newRig(t, cleosim.Config{EmptyInbox: true, MaxUpload: 1000, SupplierDelay: -1})
	alias := r.sim.World().Suppliers[1].Partner.Alias
	id := connID(t, r, alias)

	a := r.upload(id, "850_P1_1.edi", []byte("ISA*hello"), "externalId", "P1")
	m := a.json(t)
	if a.status != 201 || a.header.Get("Location") != "/api/files/"+m["id"].(string) || m["status"] != "queued" || m["filename"] != "850_P1_1.edi" ||
		m["connection"].(map[string]any)["alias"] != alias || m["size"] != float64(9) {
		t.Fatalf("upload: %d %v %s", a.status, a.header, a.body)
	}
	if a := r.upload(id, "850_P1_1.edi", []byte("again")); a.status != 409 || a.message(t) != "file exists" {
		t.Fatalf("duplicate: %d %s", a.status, a.body)
	}
	if a := r.upload(id, "big.edi", bytes.Repeat([]byte("x"), 1001)); a.status != 413 {
		t.Fatalf("too large: %d", a.status)
	}
	if a := r.api("POST", "/api/connections/"+id+"/outbox", strings.NewReader("x"), "Content-Type", "text/plain"); a.status != 400 {
		t.Fatalf("not multipart: %d", a.status)
	}
	if a := r.upload("AAAAAAAAAAAAAAAAAAAAAA", "x.edi", []byte("x")); a.status != 404 {
		t.Fatalf("unknown connection: %d", a.status)
	}

	// The send action moves queued files to sent.
	n, acts := r.list("/api/actions?filter=" + q(`alias eq "send" and connection.alias eq "`+alias+`"`))
	if n != 1 {
		t.Fatalf("send action of %s: %d", alias, n)
	}
	run := acts[0]["_links"].(map[string]any)["run"].(map[string]any)["href"].(string)

	f := r.sim.Faults()
	f.RunError = true
	r.sim.SetFaults(f)
	a = r.api("POST", run+"?timeout=30&messagesCount=10", nil)
	if a.status != 200 || a.json(t)["result"] != "error" || r.sim.Sent()[0].Folder != "outbox" {
		t.Fatalf("failing run: %d %s", a.status, a.body)
	}
	r.sim.SetFaults(cleosim.Faults{})
	a = r.api("POST", run, nil)
	m = a.json(t)
	msgs, _ := m["messages"].([]any)
	if a.status != 200 || m["status"] != "completed" || m["result"] != "success" || len(msgs) < 3 || !strings.Contains(fmt.Sprint(msgs[0]), `Run: type="API"`) {
		t.Fatalf("run: %d %s", a.status, a.body)
	}
	if s := r.sim.Sent(); len(s) != 1 || s[0].Folder != "sent" || s[0].ExternalID != "P1" {
		t.Fatalf("after run: %+v", s)
	}
	// Sent files still block the name: a retry after a crash is recognised.
	if a := r.upload(id, "850_P1_1.edi", []byte("again"), "run", "true"); a.status != 409 {
		t.Fatalf("re-upload of a sent name: %d", a.status)
	}
	// "ISA*hello" is no interchange: delivered, with a warning.
	n, trs := r.list("/api/transfers?filter=" + q(`direction eq "send" and status eq "Warning"`))
	if n != 1 || trs[0]["externalId"] != "P1" || trs[0]["host"] != alias || !strings.Contains(trs[0]["startDT"].(string), "/") {
		t.Fatalf("transfers: %d %v", n, trs)
	}
	n, _ = r.list("/api/transfers?filter=" + q(`status eq "Error"`))
	if n != 1 {
		t.Fatalf("the failed run left %d Error transfers, want 1", n)
	}

	// A slow run cut off by its timeout: Interrupted, the file stays queued.
	r.upload(id, "slow.edi", []byte("x"))
	r.sim.SetFaults(cleosim.Faults{RunDelayMS: 1100})
	a = r.api("POST", run+"?timeout=1", nil)
	if a.status != 200 || a.json(t)["result"] != "timeout" {
		t.Fatalf("timed-out run: %d %s", a.status, a.body)
	}
	if n, _ := r.list("/api/transfers?filter=" + q(`status eq "Interrupted" and filename eq "slow.edi"`)); n != 1 {
		t.Fatalf("interrupted transfers: %d", n)
	}
	// Stuck transfers: an AS2 partner's MDN never comes.
	r.sim.SetFaults(cleosim.Faults{StuckTransfers: true})
	_, as2 := r.list("/api/connections?filter=" + q(`type eq "as2"`))
	if a := r.upload(as2[0]["id"].(string), "stuck.edi", []byte("x"), "run", "true"); a.status != 201 {
		t.Fatalf("upload: %d", a.status)
	}
	if n, trs := r.list("/api/transfers?filter=" + q(`status eq "Receipt Pending"`)); n != 1 || trs[0]["filename"] != "stuck.edi" {
		t.Fatalf("stuck AS2 transfer: %v", trs)
	}
	// A name or ID filter is answered from the sandbox's index; the same
	// question put with not (no index) gives the same transfers.
	_, all := r.list("/api/transfers")
	for _, c := range []struct{ indexed, scanned string }{
		{`filename eq "850_P1_1.edi"`, `not (filename ne "850_P1_1.edi")`},
		{`filename eq "slow.edi" and direction eq "send"`, `not (filename ne "slow.edi") and direction eq "send"`},
		{`filename eq "nothing.edi"`, `not (filename ne "nothing.edi")`},
		{`transferId eq "` + all[0]["transferId"].(string) + `"`, `not (transferId ne "` + all[0]["transferId"].(string) + `")`},
		{`transferId eq "T99999999"`, `not (transferId ne "T99999999")`},
	} {
		n1, a := r.list("/api/transfers?filter=" + q(c.indexed))
		n2, b := r.list("/api/transfers?filter=" + q(c.scanned))
		if n1 != n2 || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: %d %v; %s: %d %v", c.indexed, n1, a, c.scanned, n2, b)
		}
	}
}

func TestInboundFilesContentDeleteAck(t *testing.T) {
	r := newRig(t, cleosim.Config{})
	total, files := r.list("/api/files?count=100&filter=" + q(`folder eq "inbox" and status eq "available"`))
	if total < 10 || len(files) != total {
		t.Fatalf("seeded inbox: %d", total)
	}
	var prev string
	for _, f := range files {
		c := f["created"].(string)
		if c < prev {
			t.Fatalf("not oldest first: %s after %s", c, prev)
		}
		prev = c
		if f["direction"] != "receive" || f["_links"].(map[string]any)["content"] == nil {
			t.Fatalf("file shape: %v", f)
		}
	}
	mid := files[len(files)/2]["created"].(string)
	n, later := r.list("/api/files?count=100&filter=" + q(fmt.Sprintf(`folder eq "inbox" and created gt %q`, mid)))
	if n == 0 || n >= total {
		t.Fatalf("created gt %s: %d of %d", mid, n, total)
	}
	ts, _ := time.Parse(time.RFC3339Nano, mid)
	if n2, _ := r.list("/api/files?count=100&filter=" + q(fmt.Sprintf(`created gt %q`, ts.Format("2006/01/02 15:04:05")))); n2 != n {
		t.Fatalf("transfer-log date format in filter: %d, want %d", n2, n)
	}
	_ = later

	// Per-connection inbox agrees with the cross-partner listing.
	alias := files[0]["connection"].(map[string]any)["alias"].(string)
	cid := files[0]["connection"].(map[string]any)["id"].(string)
	want := 0
	for _, f := range files {
		if f["connection"].(map[string]any)["alias"] == alias {
			want++
		}
	}
	if n, _ := r.list("/api/connections/" + cid + "/inbox"); n != want {
		t.Fatalf("inbox of %s: %d, want %d", alias, n, want)
	}

	id := files[0]["id"].(string)
	a := r.get("/api/files/" + id + "/content")
	if a.status != 200 || a.header.Get("Content-Type") != "application/octet-stream" || a.header.Get("ETag") == "" ||
		a.header.Get("Content-Length") != fmt.Sprint(len(a.body)) || a.header.Get("Content-Disposition") != fmt.Sprintf("attachment; filename=%q", files[0]["filename"]) ||
		!bytes.HasPrefix(a.body, []byte("ISA")) {
		t.Fatalf("content: %d %v", a.status, a.header)
	}
	if b := r.api("GET", "/api/files/"+id+"/content", nil, "If-None-Match", a.header.Get("ETag")); b.status != 304 {
		t.Fatalf("If-None-Match: %d", b.status)
	}

	// Designed ack: status picked, idempotent, gone from the available filter.
	for range 2 {
		if a := r.api("POST", "/api/files/"+files[1]["id"].(string)+"/ack", nil); a.status != 200 || a.json(t)["status"] != "picked" {
			t.Fatalf("ack: %d %s", a.status, a.body)
		}
	}
	if n, _ := r.list("/api/files?count=100&filter=" + q(`status eq "available"`)); n != total-1 {
		t.Fatalf("available after ack: %d, want %d", n, total-1)
	}

	// Real semantics: delete after receive; the second delete is a 404.
	if a := r.api("DELETE", "/api/files/"+id, nil); a.status != 204 || len(a.body) != 0 {
		t.Fatalf("delete: %d", a.status)
	}
	for _, p := range []string{"DELETE /api/files/" + id, "GET /api/files/" + id + "/content", "GET /api/files/" + id} {
		m, path, _ := strings.Cut(p, " ")
		if a := r.api(m, path, nil); a.status != 404 || !strings.Contains(a.message(t), "deleted") {
			t.Fatalf("%s after delete: %d %s", p, a.status, a.body)
		}
	}
}

func TestFaultInjection(t *testing.T) {
	r := newRig(t, cleosim.Config{EmptyInbox: true})
	r.login()
	put := func(body string) answer {
		return r.do("PUT", "/_sandbox/faults", strings.NewReader(body), "Content-Type", "application/json")
	}
	cases := []struct {
		name   string
		faults string
		call   func() answer
		status int
		check  func(answer) bool
	}{
		{"500", `{"errors_500":1}`, func() answer { return r.get("/api/connections") }, 500, nil},
		{"429", `{"rate_limited":1,"retry_after_s":7}`, func() answer { return r.get("/api/connections") }, 429,
			func(a answer) bool { return a.header.Get("Retry-After") == "7" }},
		{"auth 401", `{"auth_failures":1}`, func() answer {
			u, p := r.sim.Credentials()
			return r.form(url.Values{"grant_type": {"password"}, "username": {u}, "password": {p}})
		}, 401, nil},
		{"token expiry", `{"expire_tokens_after":1}`, func() answer { r.get("/api/connections"); return r.get("/api/connections") }, 401, nil},
		{"duplicate 409", `{"duplicate_409":1}`, func() answer {
			r.login()
			return r.upload(connID(t, r, r.sim.World().Suppliers[0].Partner.Alias), "new.edi", []byte("x"))
		}, 409, nil},
		{"deleted 404", `{"deleted_404":1}`, func() answer { return r.get("/api/files/whatever/content") }, 404, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if a := put(tc.faults); a.status != 200 {
				t.Fatalf("PUT faults: %d %s", a.status, a.body)
			}
			a := tc.call()
			if a.status != tc.status || tc.check != nil && !tc.check(a) {
				t.Fatalf("%d %v %s", a.status, a.header, a.body)
			}
			a.message(t)
			// The fault was one-shot: the next call is served.
			r.login()
			if a := r.get("/api/connections"); a.status != 200 {
				t.Fatalf("after the fault: %d", a.status)
			}
		})
	}
	if a := put(`{"nonsense":1}`); a.status != 400 {
		t.Fatalf("unknown fault field: %d", a.status)
	}
	if a := r.do("GET", "/_sandbox/faults", nil); a.status != 200 {
		t.Fatalf("GET faults: %d", a.status)
	}
	if a := r.do("POST", "/_sandbox/expire-tokens", nil); a.status != 204 {
		t.Fatalf("expire-tokens: %d", a.status)
	}
	if a := r.get("/api/connections"); a.status != 401 {
		t.Fatalf("after expire-tokens: %d", a.status)
	}

	// Latency holds the answer without holding the whole server.
	r.sim.SetFaults(cleosim.Faults{LatencyMS: 30})
	r.login()
	if a := r.get("/api/connections"); a.status != 200 {
		t.Fatalf("slow call: %d", a.status)
	}
}

func TestDeterministicFromSeed(t *testing.T) {
	a, b := newRig(t, cleosim.Config{}), newRig(t, cleosim.Config{})
	for _, p := range []string{"/api/connections?count=100", "/api/files?count=100"} {
		_, ra := a.list(p)
		_, rb := b.list(p)
		ja, _ := json.Marshal(ra)
		jb, _ := json.Marshal(rb)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("%s differs between two sandboxes of the same seed", p)
		}
	}
	for i, f := range a.sim.Inbox() {
		if g := b.sim.Inbox()[i]; !bytes.Equal(f.Content, g.Content) {
			t.Fatalf("seeded file %s differs", f.Filename)
		}
	}
}

// TestSeededMix checks that the seeded inbound files hold every case the
// engine must handle, built from the world's real orders.
func TestSeededMix(t *testing.T) {
	r := newRig(t, cleosim.Config{})
	w := r.sim.World()
	var (
		clean, priceVar, qtyOver, unknown, missingPO, unmapped, credit, multi, malformed, ack997A, ack997R int
		numbers                                                                                            = map[string]int{}
	)
	billedBy := map[string]string{} // PO → connection of the invoice billing it
	orphanSup, orphanPO, ok := cleosim.UnknownPartnerSupplier(w)
	if !ok {
		t.Fatal("no supplier behind the unknown partner")
	}
	for _, f := range r.sim.Inbox() {
		rd := x12.NewReader(bytes.NewReader(f.Content))
		var sets []*x12.Set
		for rd.Next() {
			sets = append(sets, rd.Set())
		}
		bad := rd.Err() != nil || len(rd.Issues()) > 0
		for _, s := range sets {
			bad = bad || !s.Valid()
		}
		if bad {
			malformed++
			continue
		}
		if f.Connection == w.UnknownPartner.Alias {
			unknown++
		}
		invs := 0
		for _, s := range sets {
			switch s.ID {
			case "997":
				ack, err := x12.ParseAck(s)
				if err != nil {
					t.Fatal(err)
				}
				if ack.Accepted() {
					ack997A++
				} else {
					ack997R++
				}
			case "810":
				invs++
				inv, err := x12.ParseInvoice(s)
				if err != nil || len(inv.Errors) > 0 {
					t.Fatalf("%s: %v %v", f.Filename, err, inv.Errors)
				}
				numbers[inv.Number]++
				if inv.CreditMemo {
					credit++
					continue
				}
				for _, c := range inv.Charges {
					if c.Code == "H090" {
						unmapped++
					}
				}
				po, ok := w.PurchaseOrder(inv.PONumber)
				if !ok {
					if f.Connection == w.UnknownPartner.Alias || inv.PONumber != cleosim.MissingPONumber || inv.Number != cleosim.MissingPOInvoice {
						t.Errorf("%s from %s bills unknown PO %s", f.Filename, f.Connection, inv.PONumber)
					}
					missingPO++
					continue
				}
				sup, _ := w.SupplierByID(po.SupplierID)
				if f.Connection == w.UnknownPartner.Alias {
					// A supplier's new, unmapped mailbox billing an open order of that supplier.
					if po.SupplierID != orphanSup.SupplierID || po.OrderNo != orphanPO.OrderNo || inv.Number != cleosim.UnknownPartnerInvoice ||
						(po.State != world.StateConfirmed && po.State != world.StateReleased) {
						t.Errorf("%s bills %s (%s, %s), want the open order %s of %s", f.Filename, po.OrderNo, po.State, po.SupplierID, orphanPO.OrderNo, orphanSup.SupplierID)
					}
					if len(inv.Parties) == 0 || inv.Parties[0].ID != orphanSup.SupplierID || inv.Parties[0].Name != orphanSup.Name {
						t.Errorf("%s does not name its supplier: %+v", f.Filename, inv.Parties)
					}
				} else if sup.Partner.Alias != f.Connection {
					t.Errorf("%s: PO %s belongs to %s, file came from %s", f.Filename, po.OrderNo, sup.Partner.Alias, f.Connection)
				}
				if billedBy[po.OrderNo] != "" && (f.Connection == w.UnknownPartner.Alias || billedBy[po.OrderNo] == w.UnknownPartner.Alias) {
					t.Errorf("PO %s billed by the unknown partner and by %s", po.OrderNo, billedBy[po.OrderNo]+f.Connection)
				}
				billedBy[po.OrderNo] = f.Connection
				exact := len(inv.Lines) == len(po.Lines)
				for i, l := range inv.Lines {
					pl := po.Lines[i]
					if l.LineNumber != pl.LineNo {
						t.Errorf("%s line %s vs PO line %s", f.Filename, l.LineNumber, pl.LineNo)
					}
					switch {
					case !l.UnitPrice.Equal(pl.UnitPrice):
						priceVar++
						exact = false
					case !l.Quantity.Equal(pl.Quantity):
						if l.Quantity.Cmp(pl.Quantity) > 0 {
							qtyOver++
						}
						exact = false
					}
				}
				if exact && len(inv.Charges) == 0 {
					clean++
				}
			}
		}
		if invs > 1 {
			multi++
		}
	}
	dups := 0
	for _, n := range numbers {
		if n > 1 {
			dups++
		}
	}
	got := map[string]int{"clean": clean, "price variance": priceVar, "quantity over": qtyOver, "unknown partner": unknown, "missing PO": missingPO,
		"unmapped charge": unmapped, "credit memo": credit, "multi-invoice file": multi, "malformed": malformed,
		"997 accepted": ack997A, "997 rejected": ack997R, "duplicate number": dups}
	t.Logf("seeded mix: %v", got)
	for k, v := range got {
		if v == 0 {
			t.Errorf("seeded mix has no %s case (%v)", k, got)
		}
	}
}

func TestSupplierReplies(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)}
	r := newRig(t, cleosim.Config{EmptyInbox: true, SupplierDelay: 10 * time.Minute, InvoiceEvery: 1, Now: c.now, TokenTTL: 24 * time.Hour})
	w := r.sim.World()
	po := w.PurchaseOrders[0]
	sup, _ := w.SupplierByID(po.SupplierID)
	xpo := &x12.PurchaseOrder{Purpose: x12.PurposeOriginal, Type: "SA", Number: po.OrderNo, Date: x12.DateOf(po.OrderDate), Currency: po.Currency}
	for _, l := range po.Lines {
		xpo.Lines = append(xpo.Lines, x12.POLine{LineNumber: l.LineNo, Quantity: l.Quantity, UOM: "EA", UnitPrice: l.UnitPrice, BuyerPart: l.PartNo})
	}
	var b bytes.Buffer
	env := x12.Envelope{SenderQualifier: w.Us.Qualifier, SenderID: w.Us.ID, ReceiverQualifier: sup.Partner.ISAQualifier, ReceiverID: sup.Partner.ISAID,
		InterchangeControl: 41, GroupControl: 41, SetControl: 1, Time: c.now(), Replacement: ' '}
	if err := x12.Write850(&b, env, xpo); err != nil {
		t.Fatal(err)
	}
	if a := r.upload(connID(t, r, sup.Partner.Alias), "850_"+po.OrderNo+".edi", b.Bytes(), "run", "true", "externalId", po.OrderNo); a.status != 201 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	n, txs := r.list("/api/transactions?filter=" + q(`type eq "850" and direction eq "send"`))
	if n != 1 || txs[0]["faStatus"] != "pending" || txs[0]["ref1"] != po.OrderNo || txs[0]["receiverId"] != sup.Partner.ISAID+":"+sup.Partner.ISAQualifier {
		t.Fatalf("850 transaction: %v", txs)
	}
	if n, _ := r.list("/api/files?filter=" + q(`folder eq "inbox"`)); n != 0 || r.sim.Pending() != 1 {
		t.Fatalf("supplier answered before its delay: %d files", n)
	}
	c.add(11 * time.Minute)
	_, files := r.list("/api/files?filter=" + q(`folder eq "inbox"`))
	if len(files) != 2 || files[0]["documentType"] != "997" || files[1]["documentType"] != "810" {
		t.Fatalf("after the delay: %v", files)
	}
	_, txs = r.list("/api/transactions?filter=" + q(`type eq "850"`))
	if txs[0]["faStatus"] != "accepted" {
		t.Fatalf("faStatus after the 997: %v", txs[0]["faStatus"])
	}
	// The 810 bills the ordered lines at the PO prices.
	inv := r.get("/api/files/" + files[1]["id"].(string) + "/content")
	rd := x12.NewReader(bytes.NewReader(inv.body))
	if !rd.Next() {
		t.Fatal("810 unreadable")
	}
	parsed, err := x12.ParseInvoice(rd.Set())
	if err != nil || parsed.PONumber != po.OrderNo || len(parsed.Lines) != len(po.Lines) || !parsed.Lines[0].UnitPrice.Equal(po.Lines[0].UnitPrice) {
		t.Fatalf("810: %+v %v", parsed, err)
	}

	// A malformed 850 is rejected by the supplier's 997.
	bad := bytes.Replace(b.Bytes(), []byte("PO1*"), []byte("PO1**"), 1)
	r.upload(connID(t, r, sup.Partner.Alias), "850_bad.edi", bad, "run", "true")
	if a := r.do("POST", "/_sandbox/respond", nil); a.status != 200 {
		t.Fatalf("respond: %d", a.status)
	}
	_, txs = r.list("/api/transactions?filter=" + q(`type eq "850"`))
	if len(txs) != 2 || txs[1]["faStatus"] != "rejected" {
		t.Fatalf("faStatus of a bad 850: %v", txs)
	}
	// Overdue: an 850 nobody answers for a day.
	r.sim.SetFaults(cleosim.Faults{SilentSuppliers: true})
	r.upload(connID(t, r, sup.Partner.Alias), "850_late.edi", b.Bytes(), "run", "true")
	c.add(25 * time.Hour)
	r.login()
	if n, _ := r.list("/api/transactions?filter=" + q(`type eq "850" and faStatus eq "overdue"`)); n != 1 {
		t.Fatalf("overdue 850s: %d, want 1", n)
	}
	r.sim.Respond()
	if n, _ := r.list("/api/transactions?filter=" + q(`type eq "850" and faStatus eq "accepted"`)); n != 2 {
		t.Fatalf("accepted 850s: %d, want 2", n)
	}
}

func TestControlAPI(t *testing.T) {
	r := newRig(t, cleosim.Config{EmptyInbox: true})
	alias := r.sim.World().Suppliers[2].Partner.Alias
	a := r.do("POST", "/_sandbox/inject", strings.NewReader(`{"connection":"`+alias+`","filename":"x.edi","content":"ISA*test","created":"2026-11-10T08:00:00Z"}`))
	if a.status != 201 || a.json(t)["filename"] != "x.edi" {
		t.Fatalf("inject: %d %s", a.status, a.body)
	}
	if a := r.do("POST", "/_sandbox/inject", strings.NewReader(`{"connection":"NOPE","filename":"x.edi"}`)); a.status != 400 {
		t.Fatalf("inject to unknown: %d", a.status)
	}
	_, files := r.list("/api/files")
	if len(files) != 1 || files[0]["created"] != "2026-11-10T08:00:00Z" {
		t.Fatalf("injected: %v", files)
	}
	var inbox []cleosim.File
	if a := r.do("GET", "/_sandbox/inbox", nil); json.Unmarshal(a.body, &inbox) != nil || len(inbox) != 1 || string(inbox[0].Content) != "ISA*test" {
		t.Fatalf("control inbox: %s", a.body)
	}
	r.upload(connID(t, r, alias), "out.edi", []byte("ISA"))
	var sent []cleosim.File
	if a := r.do("GET", "/_sandbox/sent", nil); json.Unmarshal(a.body, &sent) != nil || len(sent) != 1 || sent[0].Filename != "out.edi" {
		t.Fatalf("control sent: %s", a.body)
	}
	if a := r.do("GET", "/_sandbox/stats", nil); a.status != 200 || a.json(t)["uploads"] != float64(1) {
		t.Fatalf("stats: %s", a.body)
	}
	if a := r.do("POST", "/_sandbox/reset", nil); a.status != 204 || len(r.sim.Inbox()) != 0 || len(r.sim.Sent()) != 0 {
		t.Fatalf("reset: %d", a.status)
	}
}

// A sandbox without a configured cap draws one per instance from the run
// seed: a client meets short pages as well as Cleo's 100. Asked for 100,
// a page holds min(cap, what is left); totalResults counts all.
func TestPageCapDrawnPerRun(t *testing.T) {
	seen := map[int]bool{}
	for range 40 {
		r := &rig{t: t, sim: cleosim.New(world.New(7), cleosim.Config{EmptyInbox: true})}
		r.srv = httptest.NewServer(r.sim)
		total, res := r.list("/api/connections?count=100")
		r.srv.Close()
		// world.New(7): one connection per supplier plus the unknown partner.
		if want := len(r.sim.World().Suppliers) + 1; total != want {
			t.Fatalf("totalResults %d, want %d", total, want)
		}
		capped := len(res)
		if !slices.Contains(cleosim.PageCaps, capped) && capped != total {
			t.Fatalf("a page of %d of %d connections: not one of the caps %v", capped, total, cleosim.PageCaps)
		}
		seen[capped] = true
	}
	if len(seen) < 2 {
		t.Fatalf("40 sandboxes all answered pages of %v: the cap does not vary", seen)
	}
}
