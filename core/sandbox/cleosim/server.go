package cleosim

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// Server is the Cleo sandbox. Create it with New; it is safe for concurrent
// use (one lock serialises the state; latency faults sleep outside it).
type Server struct {
	world *world.World
	cfg   Config
	mux   *http.ServeMux

	mu          sync.Mutex
	rng         *rand.Rand // ids and seeded choices
	frng        *rand.Rand // random faults
	faults      Faults
	conns       []*conn
	connByID    map[string]*conn
	actions     map[string]*conn // action id → its connection
	files       map[string]*file
	byAge       []*file // files, oldest first then by id: kept sorted so a page of a 50,000-file listing does not sort them all
	deleted     map[string]bool
	tokens      map[string]*token
	refresh     map[string]bool
	failures    int
	lockedUntil time.Time
	transfers   []*transfer
	// transfersByName and transferIDs index transfers (the log only
	// grows): the connector asks about one file by name per delivery
	// check, and a sandbox that scanned the whole log each time would
	// make a large backlog slow for its own sake, not the connector's.
	transfersByName map[string][]*transfer
	transferIDs     map[string]*transfer
	transactions    []*transaction
	pending         []*reply
	controlSeq      int
	stats           Stats
	// billedByMailbox is the order the unknown partner's seeded invoice
	// bills: its supplier does not bill it again when its 850 arrives.
	billedByMailbox string
}

// Stats counts what the sandbox served, for tests and the demo.
type Stats struct {
	APICalls     int `json:"api_calls"`
	TokenCalls   int `json:"token_calls"`
	Unauthorized int `json:"unauthorized"`
	Faults       int `json:"faults"`
	Uploads      int `json:"uploads"`
	Duplicates   int `json:"duplicates"`
}

type conn struct {
	id, alias, typ string
	enabled        bool
	externalID     string
	partner        domain.Partner
	supplier       *world.Supplier // nil for the unknown partner
	actionID       string
}

type file struct {
	id, name   string
	conn       *conn
	folder     string // inbox, outbox, sent
	status     string // available, picked (inbox); queued (outbox); sent
	created    time.Time
	content    []byte
	docType    string
	transferID string
	externalID string
	// res caches the file's listing entry while resKey (what it is built
	// from) is unchanged: a list call builds no JSON for files it has
	// shown before, so a backlog of 50,000 files is listed in pages
	// without the sandbox's own cost growing with every page.
	res    *resource
	resKey string
}

type token struct {
	expires time.Time
	dead    bool
}

// transfer is one VLTransfers log record (field names camelCased).
type transfer struct {
	TransferID string    `json:"transferId"`
	ExternalID string    `json:"externalId,omitempty"`
	MessageID  string    `json:"messageId"`
	Host       string    `json:"host"`
	Mailbox    string    `json:"mailbox"`
	MailboxID  string    `json:"mailboxId,omitempty"`
	Action     string    `json:"action"`
	Transport  string    `json:"transport"`
	Start      time.Time `json:"-"`
	End        time.Time `json:"-"`
	Direction  string    `json:"direction"`
	IsReceipt  string    `json:"isReceipt"`
	Status     string    `json:"status"`
	Filename   string    `json:"filename"`
	FileSize   int64     `json:"fileSize"`
	ResultText string    `json:"resultText"`
	// lateUntil is when a late transfer (Faults.LateTransfersS) reads
	// Success; zero otherwise.
	lateUntil time.Time
	// res is the transfer as listed, built once per state (the res*
	// fields): a list call used to rebuild every transfer's JSON, which
	// made the sandbox, not the connector, the cost of draining a large
	// backlog.
	res                *resource
	resStatus, resText string
	resEnd             time.Time
}

// transaction is one VLTracked record plus the designed direction/faStatus.
type transaction struct {
	TransferID          string    `json:"transferId"`
	Interchange         string    `json:"interchange"`
	FunctionalGroup     string    `json:"functionalGroup"`
	SetID               string    `json:"setId"`
	TradingPartnerAlias string    `json:"tradingPartnerAlias"`
	Type                string    `json:"type"`
	Description         string    `json:"description"`
	DocumentID          string    `json:"documentId"`
	Ref1                string    `json:"ref1"`
	Ref2                string    `json:"ref2"`
	SenderID            string    `json:"senderId"`
	ReceiverID          string    `json:"receiverId"`
	DocumentDateTime    time.Time `json:"documentDateTime"`
	Direction           string    `json:"direction"`
	FAStatus            string    `json:"faStatus"`
	sentAt              time.Time
}

// New builds the sandbox over w (which it does not modify) and seeds the
// inbound mix unless cfg.EmptyInbox.
func New(w *world.World, cfg Config) *Server {
	s := &Server{world: w, cfg: cfg.withDefaults(w.Seed)}
	s.reset()
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

func (s *Server) reset() {
	s.rng = rand.New(rand.NewPCG(uint64(s.world.Seed), 0xC1E0))
	s.frng = rand.New(rand.NewPCG(uint64(s.cfg.FaultSeed), 0xFA17))
	s.faults = s.cfg.Faults
	s.connByID = map[string]*conn{}
	s.actions = map[string]*conn{}
	s.files = map[string]*file{}
	s.byAge = nil
	s.deleted = map[string]bool{}
	s.tokens = map[string]*token{}
	s.refresh = map[string]bool{}
	s.conns, s.transfers, s.transactions, s.pending = nil, nil, nil, nil
	s.transfersByName, s.transferIDs = map[string][]*transfer{}, map[string]*transfer{}
	s.failures, s.lockedUntil, s.controlSeq, s.stats = 0, time.Time{}, 0, Stats{}
	s.billedByMailbox = ""
	for i := range s.world.Suppliers {
		sup := &s.world.Suppliers[i]
		typ := "as2"
		if i%3 == 1 {
			typ = "sftp"
		}
		s.addConn(sup.Partner, sup, typ)
	}
	s.addConn(s.world.UnknownPartner, nil, "as2")
	if !s.cfg.EmptyInbox {
		s.seedInbound()
	}
}

func (s *Server) addConn(p domain.Partner, sup *world.Supplier, typ string) {
	c := &conn{id: s.newID(), alias: p.Alias, typ: typ, enabled: true, externalID: p.ExternalID, partner: p, supplier: sup}
	c.actionID = s.newID()
	s.conns = append(s.conns, c)
	s.connByID[c.id] = c
	s.actions[c.actionID] = c
}

// newID returns an opaque 22-character URL-safe id, like Cleo's.
func (s *Server) newID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Reset restores the state New built (faults from the Config).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

// Config returns the effective configuration.
func (s *Server) Config() Config { return s.cfg }

// World returns the world the sandbox serves.
func (s *Server) World() *world.World { return s.world }

// ControlPrefix returns the path of the control API.
func (s *Server) ControlPrefix() string { return s.cfg.ControlPrefix }

// Faults returns the current fault injection.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SetFaults replaces the fault injection.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// ExpireTokens makes every issued access token invalid now.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireTokens()
}

func (s *Server) expireTokens() {
	for _, t := range s.tokens {
		t.dead = true
	}
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("POST /api/authentication", s.handleAuth)
	m.HandleFunc("GET /api/connections", s.api(s.listConnections))
	m.HandleFunc("GET /api/connections/{id}", s.api(s.getConnection))
	m.HandleFunc("PUT /api/connections/{id}", s.api(s.putConnection))
	m.HandleFunc("GET /api/connections/{id}/inbox", s.api(s.listInbox))
	m.HandleFunc("GET /api/connections/{id}/outbox", s.api(s.listOutbox))
	m.HandleFunc("POST /api/connections/{id}/outbox", s.api(s.upload))
	m.HandleFunc("GET /api/actions", s.api(s.listActions))
	m.HandleFunc("POST /api/actions/{id}/run", s.api(s.runAction))
	m.HandleFunc("GET /api/files", s.api(s.listFiles))
	m.HandleFunc("GET /api/files/{id}", s.api(s.getFile))
	m.HandleFunc("DELETE /api/files/{id}", s.api(s.deleteFile))
	m.HandleFunc("GET /api/files/{id}/content", s.api(s.fileContent))
	m.HandleFunc("POST /api/files/{id}/ack", s.api(s.ackFile))
	m.HandleFunc("GET /api/transfers", s.api(s.listTransfers))
	m.HandleFunc("GET /api/transactions", s.api(s.listTransactions))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "no such resource: "+r.URL.Path)
	})
	// A known path with an unsupported method answers 405 in the API's own
	// error shape (the mux's default would be plain text).
	allowed := map[string][]string{
		"/api/authentication": {"POST"}, "/api/connections": {"GET"}, "/api/connections/{id}": {"GET", "PUT"},
		"/api/connections/{id}/inbox": {"GET"}, "/api/connections/{id}/outbox": {"GET", "POST"}, "/api/actions": {"GET"},
		"/api/actions/{id}/run": {"POST"}, "/api/files": {"GET"}, "/api/files/{id}": {"GET", "DELETE"},
		"/api/files/{id}/content": {"GET"}, "/api/files/{id}/ack": {"POST"}, "/api/transfers": {"GET"}, "/api/transactions": {"GET"},
	}
	for path, methods := range allowed {
		allow := strings.Join(methods, ", ")
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeErr(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
		})
	}
	s.controlRoutes()
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeErr answers the {"message"} error body of the spec.
func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

func (s *Server) sleep(ctx context.Context, ms int) {
	if ms <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// api wraps an /api handler: latency, injected faults, bearer check, the
// token-expiry countdown and due supplier replies, then the handler under
// the lock.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		lat := s.faults.LatencyMS
		s.mu.Unlock()
		s.sleep(r.Context(), lat)

		s.mu.Lock()
		defer s.mu.Unlock()
		s.stats.APICalls++
		f := &s.faults
		if f.RateLimited > 0 || f.Error429Rate > 0 && s.frng.Float64() < f.Error429Rate {
			if f.RateLimited > 0 {
				f.RateLimited--
			}
			s.stats.Faults++
			ra := f.RetryAfterS
			if ra <= 0 {
				ra = 1
			}
			w.Header().Set("Retry-After", strconv.Itoa(ra))
			writeErr(w, http.StatusTooManyRequests, "too many requests")
			return
		}
		if f.Errors500 > 0 || f.Error500Rate > 0 && s.frng.Float64() < f.Error500Rate {
			if f.Errors500 > 0 {
				f.Errors500--
			}
			s.stats.Faults++
			writeErr(w, http.StatusInternalServerError, "internal server error (injected)")
			return
		}
		now := s.cfg.Now()
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		t := s.tokens[strings.TrimSpace(tok)]
		if !ok || t == nil || t.dead || !now.Before(t.expires) {
			s.stats.Unauthorized++
			w.Header().Set("WWW-Authenticate", `Bearer realm="cleo", error="invalid_token"`)
			msg := "authentication required"
			if t != nil {
				msg = "token expired"
			}
			writeErr(w, http.StatusUnauthorized, msg)
			return
		}
		if f.ExpireTokensAfter > 0 {
			f.ExpireTokensAfter--
			if f.ExpireTokensAfter == 0 {
				defer s.expireTokens() // this call is served, the next one is not
			}
		}
		s.processDue(now, false)
		h(w, r)
	}
}

func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	lat := s.faults.LatencyMS
	s.mu.Unlock()
	s.sleep(r.Context(), lat)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.TokenCalls++
	w.Header().Set("Cache-Control", "no-store")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeErr(w, http.StatusBadRequest, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeErr(w, http.StatusBadRequest, "unreadable form: "+err.Error())
		return
	}
	now := s.cfg.Now()
	if s.faults.AuthFailures > 0 {
		s.faults.AuthFailures--
		s.stats.Faults++
		writeErr(w, http.StatusUnauthorized, "Invalid username or password")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "password":
		user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
		if user == "" || pass == "" {
			writeErr(w, http.StatusBadRequest, "username and password are required")
			return
		}
		if now.Before(s.lockedUntil) {
			writeErr(w, http.StatusUnauthorized, "Account locked after too many failed sign-ins; try again later")
			return
		}
		if user != s.cfg.Username || pass != s.cfg.Password {
			s.failures++
			if s.cfg.LockoutAfter > 0 && s.failures >= s.cfg.LockoutAfter {
				s.lockedUntil = now.Add(s.cfg.LockoutFor)
				s.failures = 0
			}
			writeErr(w, http.StatusUnauthorized, "Invalid username or password")
			return
		}
		s.failures = 0
	case "refresh_token":
		if s.cfg.NoRefresh || s.cfg.MinimalToken {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "unsupported grant type", "error": "unsupported_grant_type"})
			return
		}
		rt := r.PostForm.Get("refresh_token")
		if rt == "" || !s.refresh[rt] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "invalid refresh token", "error": "invalid_grant"})
			return
		}
		delete(s.refresh, rt) // one use: the answer carries a new one
	case "":
		writeErr(w, http.StatusBadRequest, "grant_type is required")
		return
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "unsupported grant type " + gt, "error": "unsupported_grant_type"})
		return
	}
	access := secret()
	s.tokens[access] = &token{expires: now.Add(s.cfg.TokenTTL)}
	body := map[string]any{"access_token": access}
	if !s.cfg.MinimalToken {
		body["token_type"] = "bearer"
		body["expires_in"] = int(s.cfg.TokenTTL / time.Second)
		if !s.cfg.NoRefresh {
			rt := secret()
			s.refresh[rt] = true
			body["refresh_token"] = rt
		}
	}
	writeJSON(w, http.StatusOK, body)
}

func secret() string {
	var b [24]byte
	_, _ = crand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// resource is one item of a collection: its JSON and its filterable attributes.
type resource struct {
	json  any
	attrs map[string]any
}

// flatten turns a JSON-shaped map into lower-case dotted attribute names.
func flatten(prefix string, v any, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			if strings.HasPrefix(k, "_") {
				continue
			}
			name := strings.ToLower(k)
			if prefix != "" {
				name = prefix + "." + name
			}
			flatten(name, vv, out)
		}
	default:
		out[prefix] = v
	}
}

// page answers a SCIM-style collection: filter, startIndex (0-based, as
// Cleo's client sends it), count.
func (s *Server) page(w http.ResponseWriter, r *http.Request, items []resource) {
	q := r.URL.Query()
	f, err := parseFilter(q.Get("filter"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "invalid filter: "+err.Error())
		return
	}
	start, count := 0, s.cfg.DefaultPageSize
	if v := q.Get("startIndex"); v != "" {
		if start, err = strconv.Atoi(v); err != nil || start < 0 {
			writeErr(w, http.StatusBadRequest, "startIndex must be a non-negative integer")
			return
		}
	}
	if v := q.Get("count"); v != "" {
		if count, err = strconv.Atoi(v); err != nil || count < 0 {
			writeErr(w, http.StatusBadRequest, "count must be a non-negative integer")
			return
		}
	}
	count = min(count, s.cfg.MaxPageSize)
	// Every item is matched (totalResults counts them all), but only the
	// page is kept: a listing of 50,000 files no longer copies them all
	// for each page of 100.
	out, matched := []any{}, 0
	for _, it := range items {
		if f(it.attrs) {
			if matched >= start && len(out) < count {
				out = append(out, it.json)
			}
			matched++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"totalResults": matched, "startIndex": start, "count": len(out), "resources": out,
	})
}

func (s *Server) connJSON(c *conn) map[string]any {
	self := "/api/connections/" + c.id
	m := map[string]any{
		"id": c.id, "alias": c.alias, "type": c.typ, "meta": map[string]any{"type": "connection"},
		"enabled": c.enabled, "externalID": c.externalID,
		"outgoing": map[string]any{"storage": map[string]any{"outbox": "outbox/", "sentbox": "sentbox/"}},
		"incoming": map[string]any{"storage": map[string]any{"inbox": "inbox/", "receivedbox": "receivedbox/"}},
		"edi": map[string]any{
			// What the partner sends us: it is the sender, we are the receiver.
			"senderQualifier": c.partner.ISAQualifier, "senderId": c.partner.ISAID,
			"receiverQualifier": c.partner.OurQualifier, "receiverId": c.partner.OurID,
		},
		"_links": map[string]any{
			"self":    map[string]any{"href": self},
			"actions": []any{map[string]any{"href": "/api/actions/" + c.actionID}},
			"inbox":   map[string]any{"href": self + "/inbox"},
			"outbox":  map[string]any{"href": self + "/outbox"},
		},
	}
	host := strings.ToLower(c.alias) + ".partners.example"
	switch c.typ {
	case "as2":
		m["localName"] = s.world.Us.ID
		m["partnerName"] = c.partner.ISAID
		m["connect"] = map[string]any{"url": "https://" + host + "/as2"}
	default:
		m["connect"] = map[string]any{"host": host, "port": 22, "username": strings.ToLower(c.alias)}
	}
	return m
}

func (s *Server) connResource(c *conn) resource {
	m := s.connJSON(c)
	attrs := map[string]any{}
	flatten("", m, attrs)
	return resource{json: m, attrs: attrs}
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) {
	items := make([]resource, 0, len(s.conns))
	for _, c := range s.conns {
		items = append(items, s.connResource(c))
	}
	s.page(w, r, items)
}

func (s *Server) connOr404(w http.ResponseWriter, r *http.Request) *conn {
	c := s.connByID[r.PathValue("id")]
	if c == nil {
		writeErr(w, http.StatusNotFound, "connection "+r.PathValue("id")+" not found")
	}
	return c
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) {
	if c := s.connOr404(w, r); c != nil {
		writeJSON(w, http.StatusOK, s.connJSON(c))
	}
}

// putConnection updates a connection; only enabled and externalID may
// change here (the connector needs no more), other fields must be echoed
// unchanged or left out.
func (s *Server) putConnection(w http.ResponseWriter, r *http.Request) {
	c := s.connOr404(w, r)
	if c == nil {
		return
	}
	var body map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	if v, ok := body["alias"]; ok && v != c.alias {
		writeErr(w, http.StatusBadRequest, "alias cannot be changed through this sandbox")
		return
	}
	if v, ok := body["externalID"]; ok {
		sv, isStr := v.(string)
		if !isStr {
			writeErr(w, http.StatusBadRequest, "externalID must be a string")
			return
		}
		c.externalID = sv
	}
	if v, ok := body["enabled"].(bool); ok {
		c.enabled = v
	}
	writeJSON(w, http.StatusOK, s.connJSON(c))
}

func (s *Server) fileJSON(f *file) map[string]any {
	self := "/api/files/" + f.id
	direction := "receive"
	if f.folder != "inbox" {
		direction = "send"
	}
	m := map[string]any{
		"id": f.id, "filename": f.name, "size": len(f.content), "created": f.created.UTC().Format(time.RFC3339Nano),
		"connection": map[string]any{"id": f.conn.id, "alias": f.conn.alias, "href": "/api/connections/" + f.conn.id},
		"folder":     f.folder, "direction": direction, "status": f.status, "transferId": f.transferID,
		"_links": map[string]any{"self": map[string]any{"href": self}, "content": map[string]any{"href": self + "/content"},
			"transfer": map[string]any{"href": "/api/transfers?filter=" + fmt.Sprintf("transferId eq %q", f.transferID)}},
	}
	if f.docType != "" {
		m["documentType"] = f.docType
	}
	if f.externalID != "" {
		m["externalId"] = f.externalID
	}
	return m
}

func (s *Server) fileResource(f *file) resource {
	key := f.folder + "|" + f.status + "|" + f.transferID + "|" + f.externalID + "|" + f.docType + "|" + f.name + "|" + f.conn.id + "|" + f.conn.alias
	if f.res != nil && f.resKey == key {
		return *f.res
	}
	r := s.buildFileResource(f)
	f.res, f.resKey = &r, key
	return r
}

func (s *Server) buildFileResource(f *file) resource {
	m := s.fileJSON(f)
	attrs := map[string]any{}
	flatten("", m, attrs)
	attrs["created"] = f.created
	attrs["size"] = int64(len(f.content))
	return resource{json: m, attrs: attrs}
}

// sortedFiles returns the files keep accepts, oldest first, then by id.
func (s *Server) sortedFiles(keep func(*file) bool) []*file {
	var out []*file
	for _, f := range s.byAge {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// older is the listing order: created, then id.
func older(a, b *file) int {
	if c := a.created.Compare(b.created); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// putFile adds f to the files and to byAge at its place.
func (s *Server) putFile(f *file) {
	if old, ok := s.files[f.id]; ok {
		s.dropFile(old)
	}
	s.files[f.id] = f
	i, _ := slices.BinarySearchFunc(s.byAge, f, older)
	s.byAge = slices.Insert(s.byAge, i, f)
}

// dropFile removes f from the files and from byAge.
func (s *Server) dropFile(f *file) {
	delete(s.files, f.id)
	if i, ok := slices.BinarySearchFunc(s.byAge, f, older); ok {
		s.byAge = slices.Delete(s.byAge, i, i+1)
	}
}

func (s *Server) fileResources(fs []*file) []resource {
	items := make([]resource, len(fs))
	for i, f := range fs {
		items[i] = s.fileResource(f)
	}
	return items
}

func (s *Server) listInbox(w http.ResponseWriter, r *http.Request) {
	if c := s.connOr404(w, r); c != nil {
		s.page(w, r, s.fileResources(s.sortedFiles(func(f *file) bool { return f.conn == c && f.folder == "inbox" })))
	}
}

func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) {
	if c := s.connOr404(w, r); c != nil {
		s.page(w, r, s.fileResources(s.sortedFiles(func(f *file) bool { return f.conn == c && f.folder != "inbox" })))
	}
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, s.fileResources(s.sortedFiles(func(*file) bool { return true })))
}

// fileOr404 finds a file for a single-file call, honouring the Deleted404 fault.
func (s *Server) fileOr404(w http.ResponseWriter, r *http.Request) *file {
	id := r.PathValue("id")
	if s.faults.Deleted404 > 0 {
		s.faults.Deleted404--
		s.stats.Faults++
		writeErr(w, http.StatusNotFound, "file "+id+" not found")
		return nil
	}
	f := s.files[id]
	if f == nil {
		msg := "file " + id + " not found"
		if s.deleted[id] {
			msg = "file " + id + " was deleted"
		}
		writeErr(w, http.StatusNotFound, msg)
	}
	return f
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	if f := s.fileOr404(w, r); f != nil {
		writeJSON(w, http.StatusOK, s.fileJSON(f))
	}
}

func (s *Server) deleteFile(w http.ResponseWriter, r *http.Request) {
	f := s.fileOr404(w, r)
	if f == nil {
		return
	}
	s.dropFile(f)
	s.deleted[f.id] = true
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ackFile(w http.ResponseWriter, r *http.Request) {
	f := s.fileOr404(w, r)
	if f == nil {
		return
	}
	if f.folder != "inbox" {
		writeErr(w, http.StatusBadRequest, "only inbound files can be acknowledged")
		return
	}
	f.status = "picked"
	writeJSON(w, http.StatusOK, s.fileJSON(f))
}

func etag(b []byte) string {
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

func (s *Server) fileContent(w http.ResponseWriter, r *http.Request) {
	f := s.fileOr404(w, r)
	if f == nil {
		return
	}
	et := etag(f.content)
	w.Header().Set("ETag", et)
	if r.Header.Get("If-None-Match") == et {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", f.name))
	w.Header().Set("Content-Length", strconv.Itoa(len(f.content)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.content)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	c := s.connOr404(w, r)
	if c == nil {
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		writeErr(w, http.StatusBadRequest, "upload must be multipart/form-data with a part named file")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+64<<10)
	if err := r.ParseMultipartForm(s.cfg.MaxUpload + 64<<10); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("upload larger than %d bytes", s.cfg.MaxUpload))
			return
		}
		writeErr(w, http.StatusBadRequest, "unreadable multipart body: "+err.Error())
		return
	}
	defer r.MultipartForm.RemoveAll()
	fh, hdr, err := r.FormFile("file")
	if err != nil {
		writeErr(w, http.StatusBadRequest, "part file is required")
		return
	}
	defer fh.Close()
	if hdr.Size > s.cfg.MaxUpload {
		writeErr(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("upload larger than %d bytes", s.cfg.MaxUpload))
		return
	}
	name := hdr.Filename
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		writeErr(w, http.StatusBadRequest, "invalid filename")
		return
	}
	content, err := io.ReadAll(fh)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "unreadable file part")
		return
	}
	s.stats.Uploads++
	if s.faults.Duplicate409 > 0 {
		s.faults.Duplicate409--
		s.stats.Faults++
		s.stats.Duplicates++
		writeErr(w, http.StatusConflict, "file exists")
		return
	}
	// Overwrite is off (Cleo's default): a name already in the outbox, or
	// already sent from it, is refused.
	for _, f := range s.files {
		if f.conn == c && f.folder != "inbox" && f.name == name {
			s.stats.Duplicates++
			writeErr(w, http.StatusConflict, "file exists")
			return
		}
	}
	now := s.cfg.Now().UTC()
	f := &file{id: s.newID(), name: name, conn: c, folder: "outbox", status: "queued", created: now,
		content: content, externalID: r.FormValue("externalId")}
	f.docType = sniffDocType(content)
	tr := s.addTransfer(f, "send", "In Progress", "Queued in outbox")
	f.transferID = tr.TransferID
	s.putFile(f)
	if run, _ := strconv.ParseBool(r.FormValue("run")); run {
		s.runSend(c, now)
	}
	w.Header().Set("Location", "/api/files/"+f.id)
	writeJSON(w, http.StatusCreated, s.fileJSON(f))
}

func (s *Server) addTransfer(f *file, direction, status, text string) *transfer {
	now := s.cfg.Now().UTC()
	if direction == "receive" {
		now = f.created
	}
	tr := &transfer{
		TransferID: fmt.Sprintf("T%08d", len(s.transfers)+1), ExternalID: f.externalID,
		MessageID: "<" + s.newID() + "@cleosim>", Host: f.conn.alias, Mailbox: f.conn.alias, MailboxID: f.conn.externalID,
		Action: "send", Transport: strings.ToUpper(f.conn.typ), Start: now, Direction: direction, IsReceipt: "F",
		Status: status, Filename: f.name, FileSize: int64(len(f.content)), ResultText: text,
	}
	if direction == "receive" {
		tr.Action = "receive"
		tr.End = now
	}
	s.transfers = append(s.transfers, tr)
	if s.transfersByName == nil {
		s.transfersByName, s.transferIDs = map[string][]*transfer{}, map[string]*transfer{}
	}
	s.transfersByName[tr.Filename] = append(s.transfersByName[tr.Filename], tr)
	s.transferIDs[tr.TransferID] = tr
	return tr
}

func (s *Server) transferByID(id string) *transfer {
	if t, ok := s.transferIDs[id]; ok {
		return t
	}
	for _, t := range s.transfers {
		if t.TransferID == id {
			return t
		}
	}
	return nil
}

// runSend is the connection's "send" action: PUT every queued outbox file.
func (s *Server) runSend(c *conn, now time.Time) (result string, messages []string) {
	stamp := func(msg string) string { return now.UTC().Format("2006/01/02 15:04:05") + "   " + msg }
	messages = append(messages, stamp(`Run: type="API"`), stamp(fmt.Sprintf(`Command: "PUT -DEL *" type="%s"`, strings.ToUpper(c.typ))))
	result = "success"
	for _, f := range s.sortedFiles(func(f *file) bool { return f.conn == c && f.folder == "outbox" }) {
		tr := s.transferByID(f.transferID)
		if tr != nil && tr.Status != "In Progress" {
			// The last attempt ended (failed): this run is a new one.
			tr = s.addTransfer(f, "send", "In Progress", "Retrying")
			f.transferID = tr.TransferID
		}
		if s.faults.FailTransfers > 0 || s.faults.FailTo != "" && s.faults.FailTo == c.alias {
			if s.faults.FailTransfers > 0 {
				s.faults.FailTransfers--
			}
			s.stats.Faults++
			result = "error"
			if tr != nil {
				tr.Status, tr.End = "Error", now
				tr.ResultText = strings.ToUpper(c.typ) + " send to " + c.alias + " failed: the partner's certificate has expired (injected)"
			}
			messages = append(messages, stamp(fmt.Sprintf(`Error: "%s" not sent: partner certificate expired`, f.name)))
			continue
		}
		if s.faults.RunError {
			result = "error"
			if tr != nil {
				tr.Status, tr.ResultText, tr.End = "Error", "Connection refused by partner host (injected)", now
				// The file stays queued; its next attempt is a new transfer.
				f.transferID = s.addTransfer(f, "send", "In Progress", "Queued for retry").TransferID
			}
			messages = append(messages, stamp(fmt.Sprintf(`Error: "%s" not sent: connection refused`, f.name)))
			continue
		}
		f.folder, f.status = "sent", "sent"
		switch {
		case tr == nil:
		case s.faults.StuckTransfers && c.typ == "as2":
			tr.Status, tr.ResultText = "Receipt Pending", "Sent; waiting for the partner's MDN"
		case s.faults.StuckTransfers:
			tr.Status = "In Progress"
		case s.faults.LateTransfersS > 0:
			tr.Status, tr.ResultText = "In Progress", "Sending"
			tr.lateUntil = tr.Start.Add(time.Duration(s.faults.LateTransfersS) * time.Second)
		case len(readSets(f.content)) == 0:
			tr.Status, tr.ResultText, tr.End = "Warning", "Sent, but not recognised as X12: no acknowledgment will follow", now
		default:
			tr.Status, tr.ResultText, tr.End = "Success", "Sent", now
		}
		messages = append(messages, stamp(fmt.Sprintf(`File: "%s" sent (%d bytes)`, f.name, len(f.content))))
		s.delivered(f, now)
	}
	if result == "success" {
		messages = append(messages, stamp(`Result: "Success"`))
	} else {
		messages = append(messages, stamp(`Result: "Error"`))
	}
	messages = append(messages, stamp("End"))
	return result, messages
}

func (s *Server) actionJSON(c *conn) map[string]any {
	return map[string]any{
		"id": c.actionID, "alias": "send", "type": "Commands", "meta": map[string]any{"type": "action"},
		"commands": []string{"PUT -DEL *"}, "schedule": "none",
		"connection": map[string]any{"alias": c.alias, "href": "/api/connections/" + c.id},
		"_links":     map[string]any{"self": map[string]any{"href": "/api/actions/" + c.actionID}, "run": map[string]any{"href": "/api/actions/" + c.actionID + "/run"}},
	}
}

func (s *Server) listActions(w http.ResponseWriter, r *http.Request) {
	var items []resource
	for _, c := range s.conns {
		m := s.actionJSON(c)
		attrs := map[string]any{}
		flatten("", m, attrs)
		items = append(items, resource{json: m, attrs: attrs})
	}
	s.page(w, r, items)
}

func (s *Server) runAction(w http.ResponseWriter, r *http.Request) {
	c := s.actions[r.PathValue("id")]
	if c == nil {
		writeErr(w, http.StatusNotFound, "action "+r.PathValue("id")+" not found")
		return
	}
	if d := s.faults.RunDelayMS; d > 0 {
		timeout, _ := strconv.Atoi(r.URL.Query().Get("timeout"))
		timedOut := timeout > 0 && d > timeout*1000
		if timedOut {
			d = timeout * 1000
		}
		s.mu.Unlock()
		s.sleep(r.Context(), d)
		s.mu.Lock()
		if timedOut {
			// The run is cut off: its transfers end Interrupted, the files
			// stay queued for the next run.
			now := s.cfg.Now()
			for _, f := range s.sortedFiles(func(f *file) bool { return f.conn == c && f.folder == "outbox" }) {
				if tr := s.transferByID(f.transferID); tr != nil {
					tr.Status, tr.ResultText, tr.End = "Interrupted", "Run timed out", now
				}
				f.transferID = s.addTransfer(f, "send", "In Progress", "Queued for retry").TransferID
			}
			writeJSON(w, http.StatusOK, map[string]any{"status": "running", "result": "timeout",
				"messages": []string{now.UTC().Format("2006/01/02 15:04:05") + "   Run: timed out after " + strconv.Itoa(timeout) + " s"}})
			return
		}
	}
	result, msgs := s.runSend(c, s.cfg.Now())
	if n, err := strconv.Atoi(r.URL.Query().Get("messagesCount")); err == nil && n >= 0 && n < len(msgs) {
		msgs = msgs[len(msgs)-n:]
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "completed", "result": result, "messages": msgs})
}

func transferJSON(t *transfer) (map[string]any, map[string]any) {
	b, _ := json.Marshal(t)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["startDT"] = t.Start.UTC().Format("2006/01/02 15:04:05")
	if !t.End.IsZero() {
		m["endDT"] = t.End.UTC().Format("2006/01/02 15:04:05")
	} else {
		m["endDT"] = nil
	}
	attrs := map[string]any{}
	flatten("", m, attrs)
	attrs["startdt"], attrs["enddt"] = t.Start, t.End
	attrs["filesize"] = t.FileSize
	return m, attrs
}

func (s *Server) listTransfers(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now().UTC()
	for _, t := range s.transfers {
		if !t.lateUntil.IsZero() && !now.Before(t.lateUntil) && t.Status == "In Progress" {
			// A late transfer completes when its time has come.
			t.Status, t.ResultText, t.End, t.lateUntil = "Success", "Sent", t.lateUntil, time.Time{}
		}
	}
	// A filter that requires one file name or transfer ID (and nothing
	// joined with or/not) can only match transfers of that name or ID:
	// only those are built and filtered. The answer is the same.
	cands := s.transfers
	if eq, ok := eqConjuncts(r.URL.Query().Get("filter")); ok {
		if id, ok := eq["transferid"]; ok {
			cands = nil
			if t := s.transferIDs[id]; t != nil {
				cands = []*transfer{t}
			}
		} else if name, ok := eq["filename"]; ok {
			cands = s.transfersByName[name]
		}
	}
	items := make([]resource, len(cands))
	for i, t := range cands {
		if t.res == nil || t.resStatus != t.Status || t.resText != t.ResultText || !t.resEnd.Equal(t.End) {
			m, a := transferJSON(t)
			t.res, t.resStatus, t.resText, t.resEnd = &resource{json: m, attrs: a}, t.Status, t.ResultText, t.End
		}
		items[i] = *t.res
	}
	s.page(w, r, items)
}

func (s *Server) listTransactions(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	items := make([]resource, len(s.transactions))
	for i, t := range s.transactions {
		tc := *t
		if tc.FAStatus == "pending" && !tc.sentAt.IsZero() && now.Sub(tc.sentAt) > 24*time.Hour {
			tc.FAStatus = "overdue"
		}
		b, _ := json.Marshal(tc)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		attrs := map[string]any{}
		flatten("", m, attrs)
		attrs["documentdatetime"] = tc.DocumentDateTime
		items[i] = resource{json: m, attrs: attrs}
	}
	s.page(w, r, items)
}
