// Package ifs is the IFS Cloud client the engine uses: OData v4 reads of
// purchase orders, suppliers and code parts, and supplier-invoice writes,
// over the shared httpx pipeline (rate limit, retry, redacted logs, strict
// TLS), with client-credentials auth, a resource profile for the tenant's
// names, typed errors and a connection test for the admin screen.
//
// What is known of the real API, and how sure, is in
// shared/reference/ifs-cloud.md; everything it marks unconfirmed is a
// profile entry, not a constant here.
package ifs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Config is one IFS connection.
type Config struct {
	// BaseURL is the host root, e.g. https://acme.ifs.cloud (no path).
	BaseURL string
	// TokenURL is the full token endpoint; when empty it is
	// BaseURL/auth/realms/{Realm}/protocol/openid-connect/token.
	TokenURL     string
	Realm        string
	ClientID     string
	ClientSecret string
	// Scopes default to "openid microprofile-jwt" as IFS documents.
	Scopes []string
	// Company is the IFS company used by TestConnection and as default.
	Company string

	// TLS adds a private CA bundle; verification is always on.
	TLS httpx.TLSOptions
	// CertWarnWithin is how long before the server certificate expires
	// TestConnection warns; default domain.CertWarnWithin (30 days).
	CertWarnWithin time.Duration
	// RequestsPerMinute caps the request rate to the tenant, token calls
	// included (default 600; negative: no limit; IFS publishes none).
	// Burst is the bucket size (default 10). To stay under a server limit
	// of L a minute, keep RequestsPerMinute + Burst ≤ L.
	RequestsPerMinute float64
	Burst             int
	// AdaptiveRate lowers the rate on each 429 and recovers on success.
	AdaptiveRate bool
	Retry        httpx.RetryPolicy

	// Profile maps resources to the tenant's names (default DefaultProfile()).
	Profile *Profile
	// ETagStar makes Update send If-Match: * (no optimistic-concurrency
	// check, as IFS allows for system-to-system writes). Off by default:
	// updates then always send the ETag they read.
	ETagStar bool
	// MaxConflictRetries bounds re-read-and-re-apply after a 412 (default 3).
	MaxConflictRetries int
	// SupplierDetailLimit is the most suppliers for which Suppliers reads
	// the per-company currency and payment terms, one request each
	// (default 100; negative: never).
	SupplierDetailLimit int
	// MaxCreateAttempts bounds CreateSupplierInvoice tries after failures
	// whose outcome is unknown, each preceded by a lookup (default 3).
	MaxCreateAttempts int

	Logger   *slog.Logger
	Observer httpx.Observer
	Clock    httpx.Clock
	// Transport replaces the TLS transport (tests; TLS is then ignored).
	Transport http.RoundTripper
}

// Client talks to one IFS tenant. It is safe for concurrent use.
type Client struct {
	cfg    Config
	prof   *Profile
	base   *url.URL
	hc     *http.Client
	lim    *httpx.Limiter
	tokens *tokenCache
	clock  httpx.Clock
	certs  *httpx.PeerCerts
	// stateFilterRejected remembers that the tenant answered 400 to an
	// Objstate filter, so later reads filter states on the client at once.
	stateFilterRejected atomic.Bool
	// latency is the moving average of IFS's answer times (Latency).
	latency *httpx.Latency
}

// New checks cfg and builds a client. It does not contact IFS.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, &Error{Op: "configure IFS", Kind: domain.KindConfig, Message: "the IFS URL is empty"}
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, &Error{Op: "configure IFS", Kind: domain.KindConfig, Message: fmt.Sprintf("%q is not an http(s) URL of the IFS host", cfg.BaseURL)}
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, &Error{Op: "configure IFS", Kind: domain.KindConfig, Message: "client ID and secret are required"}
	}
	if cfg.TokenURL == "" {
		if cfg.Realm == "" {
			return nil, &Error{Op: "configure IFS", Kind: domain.KindConfig, Message: "set either the token URL or the realm"}
		}
		cfg.TokenURL = base.String() + "/auth/realms/" + url.PathEscape(cfg.Realm) + "/protocol/openid-connect/token"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"openid", "microprofile-jwt"}
	}
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = 600
	}
	if cfg.Burst == 0 {
		cfg.Burst = 10
	}
	if cfg.MaxConflictRetries <= 0 {
		cfg.MaxConflictRetries = 3
	}
	if cfg.SupplierDetailLimit == 0 {
		cfg.SupplierDetailLimit = 100
	}
	if cfg.CertWarnWithin <= 0 {
		cfg.CertWarnWithin = domain.CertWarnWithin
	}
	if cfg.MaxCreateAttempts <= 0 {
		cfg.MaxCreateAttempts = 3
	}
	prof := cfg.Profile
	if prof == nil {
		prof = DefaultProfile()
	} else if err := prof.Validate(); err != nil {
		return nil, &Error{Op: "configure IFS", Kind: domain.KindConfig, Message: err.Error()}
	}
	clock := cfg.Clock
	if clock == nil {
		clock = httpx.SystemClock{}
	}
	latency := &httpx.Latency{}
	hc, lim, err := httpx.New(httpx.Options{
		TLS: cfg.TLS, RequestsPerMinute: cfg.RequestsPerMinute, Burst: cfg.Burst,
		Retry: cfg.Retry, Logger: cfg.Logger, Observer: httpx.Observers{cfg.Observer, latency}, Clock: clock, Base: cfg.Transport,
	})
	if err != nil {
		return nil, &Error{Op: "configure IFS", Kind: domain.KindConfig, Message: err.Error(), Err: err}
	}
	lim.SetAdaptive(cfg.AdaptiveRate)
	certs := &httpx.PeerCerts{Next: hc.Transport}
	hc.Transport = certs
	c := &Client{cfg: cfg, prof: prof, base: base, hc: hc, lim: lim, clock: clock, certs: certs, latency: latency}
	c.tokens = &tokenCache{
		cc: clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL,
			Scopes: cfg.Scopes, AuthStyle: oauth2.AuthStyleInParams},
		hc: hc, clock: clock,
	}
	return c, nil
}

// Profile returns the resource profile in use.
func (c *Client) Profile() *Profile { return c.prof }

// Limiter returns the client's rate limiter (for the status screen).
func (c *Client) Limiter() *httpx.Limiter { return c.lim }

// Latency is the moving average of the time IFS takes to answer, 0 before
// the first answer.
func (c *Client) Latency() time.Duration { return c.latency.Mean() }

// tokenCache holds one client-credentials token and renews it before it
// expires. Fetching goes through clientcredentials (no OAuth by hand) over
// the same pipeline, so token calls are rate limited and retried too.
type tokenCache struct {
	cc      clientcredentials.Config
	hc      *http.Client
	clock   httpx.Clock
	mu      sync.Mutex
	tok     string
	renewAt time.Time
}

// Token returns a cached token or fetches one.
func (t *tokenCache) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != "" && t.clock.Now().Before(t.renewAt) {
		return t.tok, nil
	}
	fetched := t.clock.Now()
	ctx = context.WithValue(httpx.WithRetrySafe(ctx), oauth2.HTTPClient, t.hc)
	tok, err := t.cc.Token(ctx)
	if err != nil {
		return "", transportError("get token", "", err)
	}
	// expires_in as the server sent it, measured on our clock; IFS
	// clients fall back to an hour when it is missing.
	life := time.Hour
	if tok.ExpiresIn > 0 {
		life = time.Duration(tok.ExpiresIn) * time.Second
	} else if !tok.Expiry.IsZero() {
		life = time.Until(tok.Expiry)
	}
	// Renew a minute early, or after two thirds of a short lifetime.
	margin := min(time.Minute, life/3)
	t.tok, t.renewAt = tok.AccessToken, fetched.Add(life-margin)
	return t.tok, nil
}

// Invalidate drops tok if it is still the cached one (after a 401).
func (t *tokenCache) Invalidate(tok string) {
	t.mu.Lock()
	if t.tok == tok {
		t.tok = ""
	}
	t.mu.Unlock()
}

// request is one API call.
type request struct {
	op         string
	projection string
	method     string
	url        string // absolute
	body       []byte // JSON or batch
	ctype      string
	header     http.Header
	// retrySafe marks a write the pipeline may repeat (PATCH with If-Match).
	retrySafe bool
}

// response is an answer with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r with a bearer token. A 401 drops the token and repeats the
// call once with a fresh one: the 401 proves IFS did nothing, so this is
// safe for POSTs too. Any other failure comes back as *Error.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return nil, err
		}
		var body io.Reader
		if r.body != nil {
			body = bytes.NewReader(r.body)
		}
		rctx := ctx
		if r.retrySafe {
			rctx = httpx.WithRetrySafe(ctx)
		}
		req, err := http.NewRequestWithContext(rctx, r.method, r.url, body)
		if err != nil {
			return nil, &Error{Op: r.op, Kind: domain.KindInvalid, Err: err}
		}
		for k, v := range r.header {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if req.Header.Get("Accept") == "" {
			req.Header.Set("Accept", "application/json")
		}
		if r.body != nil {
			ct := r.ctype
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("OData-Version", "4.0")
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, transportError(r.op, r.projection, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return nil, transportError(r.op, r.projection, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			c.tokens.Invalidate(tok)
			continue
		}
		if resp.StatusCode >= 400 {
			return nil, parseError(r.op, r.projection, resp.StatusCode, resp.Header, data, c.clock.Now())
		}
		return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
	}
}

// serviceURL returns the absolute URL of a resource's service root.
func (c *Client) serviceURL(res *Resource) string {
	return c.base.String() + res.ServicePath()
}

// setURL returns the URL of a resource's entity set.
func (c *Client) setURL(res *Resource) string {
	return c.serviceURL(res) + "/" + res.EntitySet
}

// Row is one entity as IFS sent it, by field name.
type Row map[string]json.RawMessage

// getRow reads one entity and its ETag.
func (c *Client) getRow(ctx context.Context, op, projection, u string) (Row, string, error) {
	resp, err := c.do(ctx, request{op: op, projection: projection, method: http.MethodGet, url: u})
	if err != nil {
		return nil, "", err
	}
	var row Row
	if err := json.Unmarshal(resp.body, &row); err != nil {
		return nil, "", &Error{Op: op, Status: resp.status, Kind: domain.KindInvalid, Message: "unreadable entity: " + err.Error()}
	}
	etag := resp.header.Get("ETag")
	if etag == "" {
		etag = row.str("@odata.etag")
	}
	return row, etag, nil
}

// list reads every page of a collection, following @odata.nextLink, and
// calls fn for each row. A nextLink to another host is refused: the bearer
// token must not leave the tenant.
func (c *Client) list(ctx context.Context, op, projection, u string, fn func(Row) error) error {
	pages := 0
	for u != "" {
		pages++
		if pages > 10000 {
			return &Error{Op: op, Kind: domain.KindInvalid, Message: "more than 10000 pages: the server's nextLink does not advance"}
		}
		resp, err := c.do(ctx, request{op: op, projection: projection, method: http.MethodGet, url: u})
		if err != nil {
			return err
		}
		var page struct {
			Context  string `json:"@odata.context"`
			Value    []Row  `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(resp.body, &page); err != nil {
			return &Error{Op: op, Status: resp.status, Kind: domain.KindInvalid, Message: "unreadable collection: " + err.Error()}
		}
		for _, row := range page.Value {
			if err := fn(row); err != nil {
				return err
			}
		}
		next, err := c.resolveNext(u, page.Context, page.NextLink)
		if err != nil {
			return &Error{Op: op, Kind: domain.KindInvalid, Message: err.Error()}
		}
		u = next
	}
	return nil
}

// resolveNext turns a page's @odata.nextLink into the URL of the next page.
//
// OData JSON Format v4.01 §4.3: a relative URL in a payload is relative to
// the context URL of its object, and only without one to the request URL;
// a relative context URL is itself relative to the request URL. Inside a
// navigation (CompanyFinanceSet(Company='10')/CodeAArray) the two bases
// differ, and resolving against the request URL reads a page that does not
// exist. The next link is otherwise opaque (Protocol §11.2.6.7): $skiptoken
// or $skip, the client sends it back as it came.
func (c *Client) resolveNext(current, context, next string) (string, error) {
	if next == "" {
		return "", nil
	}
	base, err := url.Parse(current)
	if err != nil {
		return "", err
	}
	if context != "" {
		ctx, err := base.Parse(context)
		if err != nil {
			return "", fmt.Errorf("bad @odata.context %q: %w", context, err)
		}
		ctx.Fragment, ctx.RawFragment = "", ""
		base = ctx
	}
	n, err := base.Parse(next)
	if err != nil {
		return "", fmt.Errorf("bad @odata.nextLink %q: %w", next, err)
	}
	if n.Scheme != c.base.Scheme || n.Host != c.base.Host {
		return "", fmt.Errorf("@odata.nextLink points to %s://%s, not the IFS host", n.Scheme, n.Host)
	}
	if n.String() == current {
		return "", fmt.Errorf("@odata.nextLink repeats the current page")
	}
	return n.String(), nil
}

// withQuery appends a query string.
func withQuery(u string, q Query) string {
	if s := q.Encode(); s != "" {
		return u + "?" + s
	}
	return u
}

// errIsStateFilterRejection reports a 400 that a state filter may have caused.
func errIsStateFilterRejection(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusBadRequest
}
