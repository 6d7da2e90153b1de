package ifssim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// fakeClock is a settable clock for token expiry and the rate limit.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }

type env struct {
	t     *testing.T
	srv   *Server
	hs    *httptest.Server
	clock *fakeClock
	token string
}

const (
	poRoot   = "/main/ifsapplications/projection/v1/PurchaseOrderHandling.svc/"
	invRoot  = "/main/ifsapplications/projection/v1/ManualSupplierInvoiceHandling.svc/"
	lineRoot = "/int/ifsapplications/entity/v1/PurchaseOrderLineEntity.svc/"
	supRoot  = "/main/ifsapplications/projection/v1/SupplierHandling.svc/"
	codeRoot = "/main/ifsapplications/projection/v1/CodePartValuesHandling.svc/"
)

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)}
	if cfg.Now == nil {
		cfg.Now = clock.now
	}
	srv := New(world.New(1), cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &env{t: t, srv: srv, hs: hs, clock: clock}
	e.token = e.getToken(DefaultClientID, DefaultClientSecret)
	return e
}

func (e *env) getToken(id, secret string) string {
	e.t.Helper()
	resp, err := http.PostForm(e.hs.URL+e.srv.TokenPath(), url.Values{
		"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {"openid microprofile-jwt"}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tr) != nil {
		e.t.Fatalf("token: HTTP %d", resp.StatusCode)
	}
	return tr.AccessToken
}

type result struct {
	status int
	header http.Header
	body   string
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return m
}

func (r result) errCode(t *testing.T) string {
	t.Helper()
	m := r.json(t)
	e, _ := m["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error object in %s", r.body)
	}
	c, _ := e["code"].(string)
	return c
}

func (r result) values(t *testing.T) []map[string]any {
	t.Helper()
	vs, ok := r.json(t)["value"].([]any)
	if !ok {
		t.Fatalf("no value array in %s", r.body)
	}
	out := make([]map[string]any, len(vs))
	for i, v := range vs {
		out[i] = v.(map[string]any)
	}
	return out
}

// do sends a request with the env's token; hdr is "Name: value" pairs.
func (e *env) do(method, path, body string, hdr ...string) result {
	e.t.Helper()
	u := strings.ReplaceAll(path, " ", "%20")
	if strings.HasPrefix(path, "/") {
		u = e.hs.URL + u
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		if v = strings.TrimSpace(v); v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, string(b)}
}

// readAll reads every page of a collection from path, resolving each
// @odata.nextLink the way OData JSON Format v4.01 §4.3 says (against the
// context URL, itself resolved against the request URL), calls fn for each
// row and returns the number of pages.
func (e *env) readAll(path string, fn func(page, row map[string]any)) int {
	e.t.Helper()
	next, pages := e.hs.URL+path, 0
	for next != "" {
		r := e.do("GET", next, "")
		if r.status != 200 {
			e.t.Fatalf("page %d (%s): %d %s", pages, next, r.status, r.body)
		}
		m := r.json(e.t)
		for _, v := range r.values(e.t) {
			fn(m, v)
		}
		pages++
		if pages > 50 {
			e.t.Fatal("paging does not end")
		}
		link, _ := m["@odata.nextLink"].(string)
		if link == "" {
			break
		}
		base, _ := url.Parse(next)
		if ctx, _ := m["@odata.context"].(string); ctx != "" {
			cu, err := base.Parse(ctx)
			if err != nil {
				e.t.Fatalf("context %q: %v", ctx, err)
			}
			base = cu
		}
		n, err := base.Parse(link)
		if err != nil {
			e.t.Fatalf("nextLink %q: %v", link, err)
		}
		n.Fragment = ""
		next = n.String()
	}
	return pages
}
