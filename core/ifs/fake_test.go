package ifs_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/ifs"
)

// fake is a minimal IFS for unit tests: a token endpoint and per-test
// handlers for the API paths. Tokens are "tok-N"; a test can revoke them.
type fake struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	tokenN   int
	valid    map[string]bool
	tokenErr int // when set, the token endpoint answers this status
	calls    []string
	api      http.HandlerFunc
	apiCalls atomic.Int32
}

func newFake(t *testing.T, api http.HandlerFunc) *fake {
	f := &fake{t: t, valid: map[string]bool{}, api: api}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.RequestURI())
	f.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/auth/realms/") {
		r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.tokenErr != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.tokenErr)
			io.WriteString(w, `{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}`)
			return
		}
		if r.PostForm.Get("client_secret") != "sec" || r.PostForm.Get("grant_type") != "client_credentials" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		f.tokenN++
		tok := fmt.Sprintf("tok-%d", f.tokenN)
		f.valid[tok] = true
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":180,"token_type":"Bearer"}`, tok)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	ok := f.valid[tok]
	f.mu.Unlock()
	if !ok {
		odataErr(w, 401, "UNAUTHORIZED", "The access token has expired")
		return
	}
	f.apiCalls.Add(1)
	f.api(w, r)
}

func (f *fake) revokeAll() {
	f.mu.Lock()
	f.valid = map[string]bool{}
	f.mu.Unlock()
}

func (f *fake) tokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenN
}

func (f *fake) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func odataErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"details": []map[string]string{{"code": code, "message": msg + " (detail)"}}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// client returns a client of f on a virtual clock, so retries do not sleep.
func (f *fake) client(mod func(*ifs.Config)) (*ifs.Client, *httpxtest.Clock, *httpx.Counters) {
	clk := httpxtest.NewClock(time.Date(2026, 11, 16, 8, 0, 0, 0, time.UTC))
	var cnt httpx.Counters
	cfg := ifs.Config{BaseURL: f.srv.URL, Realm: "mlc", ClientID: "c", ClientSecret: "sec", Company: "MLC01",
		Clock: clk, Observer: &cnt, Transport: http.DefaultTransport, RequestsPerMinute: -1,
		Retry: httpx.RetryPolicy{Jitter: func(n time.Duration) time.Duration { return n / 2 }}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := ifs.New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return c, clk, &cnt
}
