package cleo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx"
)

// InboundListing selects how the REST transport lists inbound files.
type InboundListing int

const (
	// ListFiles uses the cross-partner GET /api/files (one paged listing).
	ListFiles InboundListing = iota
	// ListPerConnection lists GET /api/connections/{id}/inbox for every
	// partner, for servers (or accounts) without the cross-partner form.
	ListPerConnection
)

// AckMode selects how the REST transport marks a file picked up.
type AckMode int

const (
	// AckDelete deletes the file after pickup (Cleo's confirmed "delete
	// after receive" semantics); a 404 on a second delete is success.
	AckDelete AckMode = iota
	// AckEndpoint posts to /api/files/{id}/ack (designed alternative), which
	// keeps the file with status "picked".
	AckEndpoint
)

// RESTPaths are the API routes. Authentication and /api/connections are
// confirmed Cleo routes; the file routes are the simulator's design in
// Cleo's style (see the reference), so a customer whose tenant names them
// differently can be served by changing this table. "{id}" is replaced by
// the escaped id.
type RESTPaths struct {
	Auth             string // POST, form-encoded password/refresh grant
	Connections      string // GET (paged), connection objects
	Connection       string // GET/PUT one connection
	ConnectionInbox  string // GET (paged), files waiting from one partner
	ConnectionOutbox string // POST multipart upload
	Files            string // GET (paged), cross-partner file listing
	File             string // DELETE = pickup
	FileContent      string // GET, the bytes
	FileAck          string // POST, designed pickup alternative
	Transfers        string // GET (paged), the transfer log (VLTransfers, camelCased)
	Actions          string // GET (paged), actions; each carries _links.run.href
	// InboundFilter and ConnectionInboxFilter are the SCIM filters that
	// select unread inbound files on Files and ConnectionInbox; "-" sends
	// none (the transport then skips entries whose status is not
	// "available" itself).
	InboundFilter         string
	ConnectionInboxFilter string
}

// DefaultRESTPaths are the routes of the reference's simulator spec.
var DefaultRESTPaths = RESTPaths{
	Auth:                  "/api/authentication",
	Connections:           "/api/connections",
	Connection:            "/api/connections/{id}",
	ConnectionInbox:       "/api/connections/{id}/inbox",
	ConnectionOutbox:      "/api/connections/{id}/outbox",
	Files:                 "/api/files",
	File:                  "/api/files/{id}",
	FileContent:           "/api/files/{id}/content",
	FileAck:               "/api/files/{id}/ack",
	Transfers:             "/api/transfers",
	Actions:               "/api/actions",
	InboundFilter:         `folder eq "inbox" and status eq "available"`,
	ConnectionInboxFilter: `status eq "available"`,
}

// RESTConfig configures the REST transport.
type RESTConfig struct {
	// BaseURL is the host root, e.g. https://tenant.cleointegration.com or
	// https://harmony.example.com:6080. Plain http is accepted only for a
	// loopback host (the local sandbox).
	BaseURL  string
	Username string
	Password string
	// TLS adds a CA bundle for servers with a private certificate;
	// verification itself cannot be switched off.
	TLS httpx.TLSOptions
	// HTTP tunes the pipeline (retry policy, rate limit, logger, observer).
	// Its TLS field is replaced by TLS above. Retry.Statuses defaults to
	// 429 and 500, 502, 503, 504.
	HTTP httpx.Options
	// PageSize is the count asked for per page; default 100. The server may
	// return fewer: paging always follows totalResults.
	PageSize int
	// Listing and Ack choose between the confirmed and the designed forms.
	Listing InboundListing
	Ack     AckMode
	// Paths overrides routes; zero fields take DefaultRESTPaths.
	Paths RESTPaths
	// NoRunOnUpload leaves uploaded files queued in the outbox instead of
	// asking Cleo to send them at once (run=true), for tenants where a
	// scheduled action picks up the outbox.
	NoRunOnUpload bool
	// TokenLifetime is assumed when the server's token answer has no
	// expires_in; default 10 minutes (conservative: a 401 renews it anyway).
	TokenLifetime time.Duration
	// MaxUpload bounds an outbound file; default 64 MiB.
	MaxUpload int64
	// Now is the clock for token expiry; default time.Now.
	Now func() time.Time
	// CertWarnWithin is how long before the server certificate expires
	// TestConnection warns; default domain.CertWarnWithin (30 days).
	CertWarnWithin time.Duration
}

// REST is the REST transport.
type REST struct {
	cfg   RESTConfig
	base  *url.URL
	paths RESTPaths
	http  *http.Client
	oauth oauth2.Config
	certs *httpx.PeerCerts

	mu  sync.Mutex
	tok *oauth2.Token
}

// NewREST checks the configuration and builds the HTTP pipeline; it does not
// contact the server.
func NewREST(cfg RESTConfig) (*REST, error) {
	cerr := func(msg string, err error) error {
		return &Error{Op: "configure cleo rest", Kind: domain.KindConfig, Message: msg, Err: err}
	}
	if cfg.Username == "" || cfg.Password == "" {
		return nil, cerr("username and password are required", nil)
	}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || u.Host == "" {
		return nil, cerr(fmt.Sprintf("base URL %q is not an absolute URL", cfg.BaseURL), err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, cerr("the base URL must use https (plain http is only allowed for a local sandbox)", nil)
		}
	default:
		return nil, cerr(fmt.Sprintf("base URL scheme %q is not https", u.Scheme), nil)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = 10 * time.Minute
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 64 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CertWarnWithin <= 0 {
		cfg.CertWarnWithin = domain.CertWarnWithin
	}
	paths := cfg.Paths
	def := DefaultRESTPaths
	for _, p := range []struct {
		dst *string
		d   string
	}{
		{&paths.Auth, def.Auth}, {&paths.Connections, def.Connections}, {&paths.Connection, def.Connection},
		{&paths.ConnectionInbox, def.ConnectionInbox}, {&paths.ConnectionOutbox, def.ConnectionOutbox},
		{&paths.Files, def.Files}, {&paths.File, def.File}, {&paths.FileContent, def.FileContent}, {&paths.FileAck, def.FileAck},
		{&paths.Transfers, def.Transfers}, {&paths.Actions, def.Actions},
		{&paths.InboundFilter, def.InboundFilter}, {&paths.ConnectionInboxFilter, def.ConnectionInboxFilter},
	} {
		switch *p.dst {
		case "":
			*p.dst = p.d
		case "-":
			*p.dst = ""
		}
	}
	ho := cfg.HTTP
	ho.TLS = cfg.TLS
	if len(ho.Retry.Statuses) == 0 {
		ho.Retry.Statuses = []int{429, 500, 502, 503, 504}
	}
	hc, _, err := httpx.New(ho)
	if err != nil {
		return nil, cerr("TLS settings", err)
	}
	certs := &httpx.PeerCerts{Next: hc.Transport}
	hc.Transport = certs
	r := &REST{cfg: cfg, base: u, paths: paths, http: hc, certs: certs}
	r.oauth = oauth2.Config{Endpoint: oauth2.Endpoint{TokenURL: u.String() + paths.Auth, AuthStyle: oauth2.AuthStyleInParams}}
	return r, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// token returns a usable access token: the cached one, a refreshed one, or
// a new password grant. force skips the cache (after a 401).
func (r *REST) token(ctx context.Context, force bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Now()
	if !force && r.tok != nil && now.Add(10*time.Second).Before(r.tok.Expiry) {
		return r.tok.AccessToken, nil
	}
	octx := context.WithValue(ctx, oauth2.HTTPClient, r.http)
	var tok *oauth2.Token
	var err error
	if r.tok != nil && r.tok.RefreshToken != "" {
		// A refresh grant is designed, not confirmed: if the server refuses
		// it, fall back to the password grant.
		tok, err = r.oauth.TokenSource(octx, &oauth2.Token{RefreshToken: r.tok.RefreshToken}).Token()
	}
	if tok == nil || err != nil {
		tok, err = r.oauth.PasswordCredentialsToken(octx, r.cfg.Username, r.cfg.Password)
	}
	if err != nil {
		r.tok = nil
		return "", tokenError(err)
	}
	if tok.Expiry.IsZero() {
		tok.Expiry = now.Add(r.cfg.TokenLifetime)
	} else if tok.ExpiresIn > 0 {
		// oauth2 computes Expiry from the wall clock; keep it on ours.
		tok.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	r.tok = tok
	return tok.AccessToken, nil
}

func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		e := &Error{Op: "sign in", Status: re.Response.StatusCode, Kind: kindForStatus(re.Response.StatusCode)}
		e.Message, e.Code = errorBody(re.Body)
		if e.Message == "" {
			e.Message = re.ErrorDescription
		}
		if e.Status == http.StatusBadRequest && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_client") {
			e.Kind = domain.KindAuth
		}
		if d, ok := httpx.ParseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now()); ok {
			e.Retry = d
		}
		return e
	}
	return wrapErr("sign in", err)
}

func errorBody(b []byte) (msg, code string) {
	var eb struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	if json.Unmarshal(b, &eb) == nil {
		return eb.Message, eb.Code
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return httpx.RedactText(s), ""
}

func (r *REST) url(p string, id string, q url.Values) string {
	p = strings.ReplaceAll(p, "{id}", url.PathEscape(id))
	u := r.base.String() + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// do sends one request with a bearer token, renewing the token once after
// a 401. It returns the response when its status is one of ok (the caller
// closes the body) and a classified *Error otherwise.
func (r *REST) do(ctx context.Context, op, method, target string, body []byte, ctype string, ok ...int) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		tok, err := r.token(ctx, attempt > 0)
		if err != nil {
			return nil, wrapErr(op, err)
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, rd)
		if err != nil {
			return nil, &Error{Op: op, Kind: domain.KindInvalid, Err: err}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := r.http.Do(req)
		if err != nil {
			return nil, wrapErr(op, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			drain(resp)
			continue
		}
		for _, s := range ok {
			if resp.StatusCode == s {
				return resp, nil
			}
		}
		return nil, httpError(op, resp)
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func httpError(op string, resp *http.Response) error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	e := &Error{Op: op, Status: resp.StatusCode, Kind: kindForStatus(resp.StatusCode)}
	e.Message, e.Code = errorBody(b)
	if d, ok := httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.Retry = d
	}
	return e
}

// page is the SCIM-style collection envelope.
type page struct {
	TotalResults int               `json:"totalResults"`
	StartIndex   int               `json:"startIndex"`
	Resources    []json.RawMessage `json:"resources"`
}

// list pages through a collection: startIndex is 0-based (as Cleo's own
// client uses it) and advances by the number of resources actually
// returned, until totalResults is reached. A page is never assumed full.
func (r *REST) list(ctx context.Context, op, p, id, filter string, each func(json.RawMessage) error) error {
	_, err := r.listCounted(ctx, op, p, id, filter, each)
	return err
}

// listCounted is list that also returns the server's totalResults as its
// first page gave it: how many resources matched when the listing began.
func (r *REST) listCounted(ctx context.Context, op, p, id, filter string, each func(json.RawMessage) error) (int, error) {
	start, total := 0, -1
	for {
		q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(r.cfg.PageSize)}}
		if filter != "" {
			q.Set("filter", filter)
		}
		resp, err := r.do(ctx, op, http.MethodGet, r.url(p, id, q), nil, "", http.StatusOK)
		if err != nil {
			return 0, err
		}
		var pg page
		err = json.NewDecoder(resp.Body).Decode(&pg)
		drain(resp)
		if err != nil {
			return 0, &Error{Op: op, Kind: domain.KindTransient, Message: "unreadable page", Err: err}
		}
		if total < 0 {
			total = pg.TotalResults
		}
		for _, raw := range pg.Resources {
			if err := each(raw); err != nil {
				return 0, err
			}
		}
		start += len(pg.Resources)
		if len(pg.Resources) == 0 || start >= pg.TotalResults {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, wrapErr(op, err)
		}
	}
}

// connection is the part of a Cleo connection object the transport reads.
type connection struct {
	ID         string `json:"id"`
	Alias      string `json:"alias"`
	Type       string `json:"type"`
	Enabled    *bool  `json:"enabled"`
	ExternalID string `json:"externalID"`
	EDI        struct {
		SenderQualifier   string `json:"senderQualifier"`
		SenderID          string `json:"senderId"`
		ReceiverQualifier string `json:"receiverQualifier"`
		ReceiverID        string `json:"receiverId"`
	} `json:"edi"`
}

func (c connection) partner() domain.Partner {
	return domain.Partner{
		ID: c.ID, Alias: c.Alias, Transport: c.Type, ExternalID: c.ExternalID,
		Enabled:      c.Enabled == nil || *c.Enabled,
		ISAQualifier: c.EDI.SenderQualifier, ISAID: strings.TrimSpace(c.EDI.SenderID),
		OurQualifier: c.EDI.ReceiverQualifier, OurID: strings.TrimSpace(c.EDI.ReceiverID),
	}
}

// Partners lists every connection.
func (r *REST) Partners(ctx context.Context) ([]domain.Partner, error) {
	return r.partners(ctx, "")
}

func (r *REST) partners(ctx context.Context, filter string) ([]domain.Partner, error) {
	var out []domain.Partner
	seen := map[string]bool{}
	err := r.list(ctx, "list partners", r.paths.Connections, "", filter, func(raw json.RawMessage) error {
		var c connection
		if err := json.Unmarshal(raw, &c); err != nil {
			return &Error{Op: "list partners", Kind: domain.KindTransient, Message: "unreadable connection", Err: err}
		}
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c.partner())
		}
		return nil
	})
	return out, err
}

// remoteFile is a file resource of the designed file API.
type remoteFile struct {
	ID           string   `json:"id"`
	Filename     string   `json:"filename"`
	Size         int64    `json:"size"`
	Created      flexTime `json:"created"`
	Status       string   `json:"status"`
	DocumentType string   `json:"documentType"`
	Connection   struct {
		ID    string `json:"id"`
		Alias string `json:"alias"`
		Href  string `json:"href"`
	} `json:"connection"`
}

func (f remoteFile) remote() domain.RemoteFile {
	pid := f.Connection.ID
	if pid == "" && f.Connection.Href != "" {
		pid = f.Connection.Href[strings.LastIndex(f.Connection.Href, "/")+1:]
	}
	return domain.RemoteFile{
		ID: f.ID, Name: f.Filename, Size: f.Size, Created: time.Time(f.Created).UTC(),
		PartnerID: pid, PartnerAlias: f.Connection.Alias, DocumentType: f.DocumentType,
	}
}

// Inbound lists files not yet picked up, oldest first.
func (r *REST) Inbound(ctx context.Context) ([]domain.RemoteFile, error) {
	var out []domain.RemoteFile
	seen := map[string]bool{}
	_, err := r.InboundEach(ctx, func(f domain.RemoteFile) error {
		if !seen[f.ID] {
			seen[f.ID] = true
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The design promises oldest first; sorting here keeps that true for a
	// server that pages in another order, and across connections.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out, nil
}

// InboundEach hands each waiting file to each as its page arrives, without
// holding the listing: a backlog of 50,000 files is never in memory at
// once. Files come in the server's order and, when the listing shifts
// between pages (files acked meanwhile), a file may come twice; the caller
// orders and de-duplicates what it keeps. total is how many files the
// server said were waiting when the listing began (its totalResults, summed
// over connections), exact where the stream may repeat. An error from each
// stops the listing and is returned.
func (r *REST) InboundEach(ctx context.Context, each func(domain.RemoteFile) error) (total int, err error) {
	collect := func(raw json.RawMessage) error {
		var f remoteFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return &Error{Op: "list inbound", Kind: domain.KindTransient, Message: "unreadable file entry", Err: err}
		}
		if f.Status == "" || f.Status == "available" {
			return each(f.remote())
		}
		return nil
	}
	switch r.cfg.Listing {
	case ListPerConnection:
		ps, err := r.Partners(ctx)
		if err != nil {
			return 0, err
		}
		for _, p := range ps {
			n, err := r.listCounted(ctx, "list inbound of "+p.Alias, r.paths.ConnectionInbox, p.ID, r.paths.ConnectionInboxFilter, collect)
			if err != nil {
				return 0, err
			}
			total += n
		}
		return total, nil
	default:
		return r.listCounted(ctx, "list inbound", r.paths.Files, "", r.paths.InboundFilter, collect)
	}
}

// Open streams a file's content.
func (r *REST) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	resp, err := r.do(ctx, "open "+id, http.MethodGet, r.url(r.paths.FileContent, id, nil), nil, "", http.StatusOK)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Ack deletes the file (or posts to the ack route); a file that is already
// gone counts as acknowledged.
func (r *REST) Ack(ctx context.Context, id string) error {
	op := "ack " + id
	var resp *http.Response
	var err error
	if r.cfg.Ack == AckEndpoint {
		resp, err = r.do(ctx, op, http.MethodPost, r.url(r.paths.FileAck, id, nil), nil, "", http.StatusOK, http.StatusNoContent)
	} else {
		resp, err = r.do(ctx, op, http.MethodDelete, r.url(r.paths.File, id, nil), nil, "", http.StatusNoContent, http.StatusOK)
	}
	if domain.KindOf(err) == domain.KindNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// Send uploads content to the partner's outbox. The upload may be repeated
// safely: the server answers 409 for a name it already holds, which is
// reported as AlreadyPresent.
func (r *REST) Send(ctx context.Context, partner domain.Partner, name string, content io.Reader) (domain.SendResult, error) {
	op := "send " + name
	res := domain.SendResult{Name: name}
	if err := CheckName(name); err != nil {
		return res, err
	}
	if partner.ID == "" {
		if partner.Alias == "" {
			return res, &Error{Op: op, Kind: domain.KindInvalid, Message: "partner has neither id nor alias"}
		}
		ps, err := r.partners(ctx, fmt.Sprintf("alias eq %q", partner.Alias))
		if err != nil {
			return res, err
		}
		if len(ps) == 0 {
			return res, &Error{Op: op, Kind: domain.KindNotFound, Message: fmt.Sprintf("no Cleo connection with alias %q", partner.Alias)}
		}
		partner = ps[0]
	}
	data, err := io.ReadAll(io.LimitReader(content, r.cfg.MaxUpload+1))
	if err != nil {
		return res, wrapErr(op, err)
	}
	if int64(len(data)) > r.cfg.MaxUpload {
		return res, &Error{Op: op, Kind: domain.KindInvalid, Message: fmt.Sprintf("file is larger than %d bytes", r.cfg.MaxUpload)}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if ext := externalIDFrom(ctx); ext != "" {
		_ = mw.WriteField("externalId", ext)
	}
	if !r.cfg.NoRunOnUpload {
		_ = mw.WriteField("run", "true")
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return res, wrapErr(op, err)
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		return res, wrapErr(op, err)
	}
	// The server de-duplicates by name, so repeating the POST is safe.
	rctx := httpx.WithRetrySafe(ctx)
	resp, err := r.do(rctx, op, http.MethodPost, r.url(r.paths.ConnectionOutbox, partner.ID, nil), buf.Bytes(), mw.FormDataContentType(), http.StatusCreated, http.StatusOK)
	if domain.KindOf(err) == domain.KindConflict {
		res.AlreadyPresent = true
		return res, nil
	}
	if err != nil {
		return res, err
	}
	defer drain(resp)
	var f remoteFile
	if json.NewDecoder(resp.Body).Decode(&f) == nil {
		res.ID = f.ID
	}
	if res.ID == "" {
		if loc := resp.Header.Get("Location"); loc != "" {
			res.ID = loc[strings.LastIndex(loc, "/")+1:]
		}
	}
	return res, nil
}

// SetPartnerExternalID stores the IFS supplier id in the connection's
// externalID (read, change, PUT back the object).
func (r *REST) SetPartnerExternalID(ctx context.Context, partnerID, supplierID string) error {
	op := "set external id of " + partnerID
	target := r.url(r.paths.Connection, partnerID, nil)
	resp, err := r.do(ctx, op, http.MethodGet, target, nil, "", http.StatusOK)
	if err != nil {
		return err
	}
	var obj map[string]any
	err = json.NewDecoder(resp.Body).Decode(&obj)
	drain(resp)
	if err != nil {
		return &Error{Op: op, Kind: domain.KindTransient, Message: "unreadable connection", Err: err}
	}
	obj["externalID"] = supplierID
	b, _ := json.Marshal(obj)
	resp, err = r.do(ctx, op, http.MethodPut, target, b, "application/json", http.StatusOK, http.StatusNoContent)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// TestConnection signs in, lists partners and lists inbound files, and
// says in plain words what to fix when a step fails.
func (r *REST) TestConnection(ctx context.Context) domain.TestReport {
	rep := domain.TestReport{Target: "Cleo (REST)"}
	failed := false
	step := func(name string, f func() (string, error), fix func(error) string) {
		if failed {
			rep.Steps = append(rep.Steps, domain.TestStep{Name: name, Skipped: true})
			return
		}
		t0 := time.Now()
		detail, err := f()
		s := domain.TestStep{Name: name, OK: err == nil, Detail: detail, Duration: time.Since(t0)}
		if err != nil {
			failed = true
			s.Detail = err.Error()
			s.Fix = fix(err)
		}
		rep.Steps = append(rep.Steps, s)
	}
	step("Sign in", func() (string, error) {
		if _, err := r.token(ctx, true); err != nil {
			return "", err
		}
		return "signed in as " + r.cfg.Username + " at " + r.base.Host, nil
	}, func(err error) string { return r.fix(err, "sign in") })
	step("List partners", func() (string, error) {
		ps, err := r.Partners(ctx)
		if err != nil {
			return "", err
		}
		if len(ps) == 0 {
			return "", &Error{Op: "list partners", Kind: domain.KindForbidden, Message: "the account sees no trading partners"}
		}
		withISA := 0
		for _, p := range ps {
			if p.ISAID != "" {
				withISA++
			}
		}
		return fmt.Sprintf("%d partners, %d with X12 ids", len(ps), withISA), nil
	}, func(err error) string { return r.fix(err, "partners") })
	step("List inbound files", func() (string, error) {
		fs, err := r.Inbound(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d files waiting", len(fs)), nil
	}, func(err error) string { return r.fix(err, "inbound") })
	// Last, so the steps above keep their places in the report.
	if cert := r.certs.Soonest(); !cert.IsZero() {
		rep.Cert = cert
		rep.Steps = append(rep.Steps, domain.CertStep(cert, r.cfg.Now(), r.cfg.CertWarnWithin))
	}
	return rep
}

func (r *REST) fix(err error, what string) string {
	var ce *Error
	errors.As(err, &ce)
	switch domain.KindOf(err) {
	case domain.KindAuth:
		return "Check the username and password. For Cleo Integration Cloud use a partner-mailbox account that may use the Cleo Portal; after repeated failures the account may be locked, so ask the Cleo administrator to unlock it."
	case domain.KindConfig:
		return "The server's certificate is not trusted by this machine. Add your company's CA bundle (PEM) to the connection settings; certificate checks are never switched off."
	case domain.KindForbidden:
		if what == "partners" {
			return "The account is signed in but sees no partner connections: ask the Cleo administrator to give it access to the trading partners."
		}
		return "The account is not allowed to do this: ask the Cleo administrator for API access to connections and files."
	case domain.KindNotFound:
		return fmt.Sprintf("The server answered but has no such API route (%s). Check the base URL points at the Cleo REST API (Harmony's admin port is usually 6080), or adjust the API paths for this tenant.", ce.Op)
	case domain.KindRateLimited:
		return "The server is throttling requests; wait a minute and test again."
	}
	if ce != nil && ce.Status >= 500 {
		return "The Cleo server reported an internal error; try again later or ask the Cleo administrator to check its logs."
	}
	return "Check the base URL and port, and that the firewall lets this machine reach the Cleo server."
}

// Close releases idle connections.
func (r *REST) Close() error {
	r.http.CloseIdleConnections()
	return nil
}

// flexTime reads a timestamp as ISO-8601 or in the transfer log's
// "yyyy/mm/dd hh:mm:ss" (taken as UTC): the file API is designed, and a
// real tenant may well use the log's format.
type flexTime time.Time

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*t = flexTime{}
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006/01/02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			*t = flexTime(v)
			return nil
		}
	}
	return fmt.Errorf("unrecognised timestamp %q", s)
}
