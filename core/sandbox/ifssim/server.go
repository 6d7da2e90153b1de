package ifssim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// Server is the IFS sandbox. Create it with New; it is safe for concurrent use.
type Server struct {
	world *world.World
	cfg   Config
	model *model

	mu     sync.Mutex // guards everything below
	st     *store
	tokens map[string]tokenInfo
	faults Faults
	rng    *mrand.Rand
	// buckets are the rate-limit token buckets by IAM client id ("" for
	// callers without a known token); serverBucket is the optional
	// whole-server cap.
	buckets      map[string]*bucket
	serverBucket *bucket
	stats        Stats
}

type tokenInfo struct {
	client  string
	expires time.Time
}

// Stats counts what the sandbox answered, for benchmarks and tests.
type Stats struct {
	Requests    int         `json:"requests"`     // OData API requests (not token, not control)
	TokenCalls  int         `json:"token_calls"`  // token endpoint calls
	RateLimited int         `json:"rate_limited"` // answered 429
	ByStatus    map[int]int `json:"by_status"`    // API answers by status code
	Invoices    int         `json:"invoices"`     // supplier invoices currently stored
	// LostAnswers counts committed writes whose answer was lost
	// (Faults.LostAnswerRate/LostAnswers); ByStatus has their real status.
	LostAnswers int `json:"lost_answers"`
	// RateLimitedByClient counts 429s by IAM client id ("" for callers
	// without a known token).
	RateLimitedByClient map[string]int `json:"rate_limited_by_client"`
}

// New builds a sandbox over its own copy of w.
func New(w *world.World, cfg Config) *Server {
	if cfg.Realm == "" {
		cfg.Realm = "mlc"
	}
	cfg.Names = cfg.Names.fill()
	if cfg.Clients == nil {
		cfg.Clients = DefaultClients(cfg.Names)
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = 180 * time.Second
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ControlPrefix == "" {
		cfg.ControlPrefix = "/_sandbox"
	}
	if cfg.FaultSeed == 0 {
		cfg.FaultSeed = w.Seed
	}
	if cfg.Links == nil {
		f := randomLinkForms()
		cfg.Links = &f
	}
	if cfg.UnorderedDesc == nil {
		desc := world.InstanceRand(0x0DE5).IntN(2) == 1
		cfg.UnorderedDesc = &desc
	}
	s := &Server{world: w.Clone(), cfg: cfg, model: buildModel(cfg.Names)}
	s.reset()
	return s
}

// reset restores data, tokens, faults and counters to the initial state. Caller holds no lock.
func (s *Server) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = load(s.world)
	s.st.keyCols = map[string][]string{}
	for table, et := range s.model.types {
		s.st.keyCols[table] = et.keys
	}
	s.st.seq[tabInvoice] = 220000
	s.tokens = map[string]tokenInfo{}
	s.faults = s.cfg.Faults
	s.rng = mrand.New(mrand.NewPCG(uint64(s.cfg.FaultSeed), 0x1f5))
	s.buckets, s.serverBucket = map[string]*bucket{}, nil
	s.stats = Stats{ByStatus: map[int]int{}, RateLimitedByClient: map[string]int{}}
}

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// World returns the world the sandbox was built from (read-only).
func (s *Server) World() *world.World { return s.world }

// Realm returns the IAM realm of the token URL.
func (s *Server) Realm() string { return s.cfg.Realm }

// TokenPath is the token endpoint path, to be joined to the server's root URL.
func (s *Server) TokenPath() string {
	return "/auth/realms/" + s.cfg.Realm + "/protocol/openid-connect/token"
}

// ControlPrefix is the path of the control API.
func (s *Server) ControlPrefix() string { return s.cfg.ControlPrefix }

// Handler returns s as an http.Handler (it is one; this reads better at call sites).
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP routes token, control and OData requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == s.cfg.ControlPrefix || strings.HasPrefix(path, s.cfg.ControlPrefix+"/"):
		s.serveControl(w, r)
		return
	case strings.HasPrefix(path, "/auth/realms/"):
		s.serveAuth(w, r)
		return
	}
	rt, ok := parseRoot(r.URL.EscapedPath())
	if !ok {
		writeResp(w, errResp(&odataError{status: 404, code: "OBJECT_NOT_FOUND", message: "No resource at " + path}))
		return
	}
	if resp := s.fault(r.Context(), s.clientOf(r)); resp != nil {
		writeResp(w, resp)
		return
	}
	client, aerr := s.authenticate(r)
	if aerr != nil {
		resp := errResp(aerr)
		resp.header.Set("WWW-Authenticate", `Bearer realm="`+s.cfg.Realm+`"`)
		s.count(401)
		writeResp(w, resp)
		return
	}
	s.mu.Lock()
	clock := s.st.clock
	resp := s.serveOData(r, rt, client, nil)
	s.stats.Requests++
	s.stats.ByStatus[resp.status]++
	// A write that ticked the clock stored something: only then is losing
	// its answer the interesting fault (the client cannot tell it landed).
	lost, mode := false, ""
	if r.Method != http.MethodGet && r.Method != http.MethodHead && s.st.clock != clock && s.loseAnswer() {
		lost, mode = true, s.faults.LostAnswerMode
		s.stats.LostAnswers++
	}
	s.mu.Unlock()
	if lost {
		sendLostAnswer(w, mode)
		return
	}
	writeResp(w, resp)
}

// loseAnswer reports whether the answer to the committed write just served
// is to be lost. Caller holds s.mu.
func (s *Server) loseAnswer() bool {
	if s.faults.LostAnswers > 0 {
		s.faults.LostAnswers--
		return true
	}
	return s.faults.LostAnswerRate > 0 && s.rng.Float64() < s.faults.LostAnswerRate
}

func (s *Server) count(status int) {
	s.mu.Lock()
	s.countLocked(status)
	s.mu.Unlock()
}

func (s *Server) countLocked(status int) {
	s.stats.Requests++
	s.stats.ByStatus[status]++
	if status == 429 {
		s.stats.RateLimited++
	}
}

// response is a buffered HTTP answer, so $batch can embed it.
type response struct {
	status int
	header http.Header
	body   []byte
}

func writeResp(w http.ResponseWriter, r *response) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.body != nil && w.Header().Get("Content-Length") == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(r.body)))
	}
	w.WriteHeader(r.status)
	w.Write(r.body)
}

// odataError is an error as the OData JSON error body carries it.
type odataError struct {
	status  int
	code    string
	message string
	details []odataDetail
}

type odataDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errResp(e *odataError) *response {
	type body struct {
		Code    string        `json:"code"`
		Message string        `json:"message"`
		Details []odataDetail `json:"details,omitempty"`
	}
	b, _ := json.Marshal(map[string]body{"error": {e.code, e.message, e.details}})
	h := http.Header{}
	h.Set("Content-Type", "application/json;odata.metadata=minimal")
	h.Set("OData-Version", "4.0")
	return &response{status: e.status, header: h, body: b}
}

// ---- auth ----

func (s *Server) serveAuth(w http.ResponseWriter, r *http.Request) {
	realmPrefix := "/auth/realms/" + s.cfg.Realm
	switch r.URL.Path {
	case realmPrefix + "/.well-known/openid-configuration":
		base := "http://" + r.Host + realmPrefix
		writeJSON(w, 200, map[string]any{
			"issuer":                                base,
			"token_endpoint":                        base + "/protocol/openid-connect/token",
			"grant_types_supported":                 []string{"client_credentials"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		})
		return
	case s.TokenPath():
	default:
		writeJSON(w, 404, map[string]string{"error": "Realm does not exist"})
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, 405, map[string]string{"error": "HTTP 405 Method Not Allowed"})
		return
	}
	if err := sleepCtx(r.Context(), s.latency()); err != nil {
		return
	}
	s.mu.Lock()
	s.stats.TokenCalls++
	s.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "Bad form body"})
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		if gt == "" {
			writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "Missing form parameter: grant_type"})
			return
		}
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"})
		return
	}
	var client *Client
	for i := range s.cfg.Clients {
		if s.cfg.Clients[i].ID == id {
			client = &s.cfg.Clients[i]
		}
	}
	if client == nil {
		writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"})
		return
	}
	if client.Secret != secret {
		writeJSON(w, 401, map[string]string{"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"})
		return
	}
	tok := randomToken()
	now := s.cfg.Now()
	life := s.cfg.TokenLifetime
	s.mu.Lock()
	if f := s.faults.TokenLifetimeS; f > 0 && time.Duration(f)*time.Second < life {
		life = time.Duration(f) * time.Second
	}
	s.tokens[tok] = tokenInfo{client: client.ID, expires: now.Add(life)}
	s.mu.Unlock()
	scope := "openid microprofile-jwt profile email"
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, 200, map[string]any{
		"access_token":       tok,
		"expires_in":         int(s.cfg.TokenLifetime / time.Second),
		"refresh_expires_in": 1800,
		"refresh_token":      randomToken(),
		"token_type":         "Bearer",
		"id_token":           randomToken(),
		"not-before-policy":  0,
		"session_state":      randomToken()[:36],
		"scope":              scope,
	})
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return "eyJ" + base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *Server) authenticate(r *http.Request) (string, *odataError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return "", &odataError{status: 401, code: "UNAUTHORIZED", message: "Authentication required: send Authorization: Bearer <token>"}
	}
	s.mu.Lock()
	ti, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok {
		return "", &odataError{status: 401, code: "UNAUTHORIZED", message: "The access token is not valid"}
	}
	if !s.cfg.Now().Before(ti.expires) {
		return "", &odataError{status: 401, code: "UNAUTHORIZED", message: "The access token has expired"}
	}
	return ti.client, nil
}

func (s *Server) granted(client, svc string) bool {
	for _, c := range s.cfg.Clients {
		if c.ID != client {
			continue
		}
		if c.Projections == nil {
			return true
		}
		for _, p := range c.Projections {
			if p == svc {
				return true
			}
		}
	}
	return false
}

// ---- faults ----

func (s *Server) latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.faults.LatencyMS) * time.Millisecond
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

const gatewayPage = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
`

// clientOf is the IAM client a request's bearer token was issued to, as a
// gateway reads it from the token; "" without a token the sandbox issued.
// An expired token still names its client.
func (s *Server) clientOf(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[tok].client
}

// bucket is a token bucket of the rate limit.
type bucket struct {
	tokens float64
	at     time.Time
}

// take spends one request from b at rate requests a second with room for
// burst; when none is left it returns the whole seconds until one is.
func (b *bucket) take(now time.Time, rate, burst float64) (ok bool, retryAfter int) {
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens < 1 {
		return false, max(1, int(math.Ceil((1-b.tokens)/rate)))
	}
	b.tokens--
	return true, 0
}

// fault applies latency, the rate limits and random failures; it returns
// the response to send instead of serving (already counted), or nil.
// client is the caller's IAM client id: like a real API gateway, the
// sandbox limits each client on its own (Faults.RateLimitPerMinute) and,
// optionally, all of them together (Faults.ServerRateLimitPerMinute).
func (s *Server) fault(ctx context.Context, client string) *response {
	if err := sleepCtx(ctx, s.latency()); err != nil {
		return &response{status: 499, header: http.Header{}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	now := s.cfg.Now()
	limited := func(retryAfter int) *response {
		s.countLocked(429)
		s.stats.RateLimitedByClient[client]++
		resp := errResp(&odataError{status: 429, code: "TOO_MANY_REQUESTS", message: "Rate limit exceeded, retry later"})
		resp.header.Set("Retry-After", strconv.Itoa(retryAfter))
		return resp
	}
	if f.ServerRateLimitPerMinute > 0 {
		rate := float64(f.ServerRateLimitPerMinute) / 60
		burst := math.Max(1, math.Floor(rate))
		if s.serverBucket == nil {
			s.serverBucket = &bucket{tokens: burst, at: now}
		}
		if ok, wait := s.serverBucket.take(now, rate, burst); !ok {
			return limited(wait)
		}
	}
	if f.RateLimitPerMinute > 0 {
		rate := float64(f.RateLimitPerMinute) / 60 // tokens per second
		burst := float64(f.RateBurst)
		if burst <= 0 {
			burst = math.Max(1, math.Floor(rate))
		}
		b := s.buckets[client]
		if b == nil {
			b = &bucket{tokens: burst, at: now}
			s.buckets[client] = b
		}
		if ok, wait := b.take(now, rate, burst); !ok {
			return limited(wait)
		}
	}
	if f.Error429Rate > 0 && s.rng.Float64() < f.Error429Rate {
		return limited(1)
	}
	if f.Error503Rate > 0 && s.rng.Float64() < f.Error503Rate {
		s.countLocked(503)
		resp := errResp(&odataError{status: 503, code: "SERVICE_UNAVAILABLE", message: "The service is temporarily unavailable"})
		resp.header.Set("Retry-After", "1")
		return resp
	}
	if f.Gateway502Rate > 0 && s.rng.Float64() < f.Gateway502Rate {
		s.countLocked(502)
		return gatewayResp()
	}
	return nil
}

// sendLostAnswer replaces the answer to a committed write: the gateway's
// HTML 502, or a reset connection (where the connection cannot be taken
// over, as with httptest.ResponseRecorder, the 502 instead).
func sendLostAnswer(w http.ResponseWriter, mode string) {
	if mode == LostReset {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // close with RST, not FIN
			}
			conn.Close()
			return
		}
	}
	writeResp(w, gatewayResp())
}

func gatewayResp() *response {
	h := http.Header{}
	h.Set("Content-Type", "text/html")
	return &response{status: 502, header: h, body: []byte(gatewayPage)}
}

// concurrentEdit reports whether a "concurrent user" should change the row
// just read. Caller holds s.mu.
func (s *Server) concurrentEdit() bool {
	if s.faults.ConcurrentEdits > 0 {
		s.faults.ConcurrentEdits--
		return true
	}
	return s.faults.ConcurrentEditRate > 0 && s.rng.Float64() < s.faults.ConcurrentEditRate
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// route is the part of an OData URL before the resource path.
type route struct {
	root    string // main, int or entity
	service string
	rest    string // escaped path after ".svc", without the leading slash
	base    string // escaped path up to and including ".svc/"
}

func parseRoot(p string) (route, bool) {
	var rt route
	var after string
	switch {
	case strings.HasPrefix(p, "/main/ifsapplications/projection/v1/"):
		rt.root, after = "main", strings.TrimPrefix(p, "/main/ifsapplications/projection/v1/")
	case strings.HasPrefix(p, "/int/ifsapplications/projection/v1/"):
		rt.root, after = "int", strings.TrimPrefix(p, "/int/ifsapplications/projection/v1/")
	case strings.HasPrefix(p, "/int/ifsapplications/entity/v1/"):
		rt.root, after = "entity", strings.TrimPrefix(p, "/int/ifsapplications/entity/v1/")
	default:
		return rt, false
	}
	name, rest, _ := strings.Cut(after, "/")
	svc, ok := strings.CutSuffix(name, ".svc")
	if !ok || svc == "" {
		return rt, false
	}
	rt.service, rt.rest = svc, rest
	rt.base = p[:len(p)-len(after)] + name + "/"
	return rt, true
}

func (s *Server) String() string { return fmt.Sprintf("ifssim(realm=%s)", s.cfg.Realm) }
