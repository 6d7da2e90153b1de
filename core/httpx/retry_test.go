package httpx_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// halfJitter makes full jitter deterministic: half the window.
func halfJitter(n time.Duration) time.Duration { return n / 2 }

// script serves the statuses in order (the last one repeats) and counts hits.
type script struct {
	statuses []int
	headers  []map[string]string
	hits     atomic.Int32
	bodies   []string
}

func (s *script) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := int(s.hits.Add(1)) - 1
		b, _ := io.ReadAll(r.Body)
		s.bodies = append(s.bodies, string(b))
		i := min(n, len(s.statuses)-1)
		if i < len(s.headers) {
			for k, v := range s.headers[i] {
				w.Header().Set(k, v)
			}
		}
		w.WriteHeader(s.statuses[i])
		io.WriteString(w, "answer "+http.StatusText(s.statuses[i]))
	}
}

func newClient(t *testing.T, clk *httpxtest.Clock, p httpx.RetryPolicy, obs httpx.Observer) *http.Client {
	t.Helper()
	p.Clock = clk
	if p.Jitter == nil {
		p.Jitter = halfJitter
	}
	p.Observer = obs
	return &http.Client{Transport: httpx.Chain(http.DefaultTransport.(*http.Transport).Clone(),
		httpx.Retry(p), httpx.Observe(obs, clk))}
}

func TestRetryStatuses(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		safe       bool
		statuses   []int
		headers    []map[string]string
		policy     httpx.RetryPolicy
		wantStatus int
		wantHits   int32
		wantSleeps []time.Duration
	}{
		{name: "GET 503 then ok", method: "GET", statuses: []int{503, 502, 504, 200},
			policy:     httpx.RetryPolicy{BaseDelay: 100 * time.Millisecond},
			wantStatus: 200, wantHits: 4, wantSleeps: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}},
		{name: "backoff capped", method: "GET", statuses: []int{503, 503, 503, 503, 200},
			policy:     httpx.RetryPolicy{BaseDelay: time.Second, MaxDelay: 2 * time.Second},
			wantStatus: 200, wantHits: 5, wantSleeps: []time.Duration{500 * time.Millisecond, time.Second, time.Second, time.Second}},
		{name: "Retry-After seconds honoured", method: "GET", statuses: []int{429, 200},
			headers:    []map[string]string{{"Retry-After": "3"}},
			wantStatus: 200, wantHits: 2, wantSleeps: []time.Duration{3 * time.Second}},
		{name: "Retry-After date honoured", method: "GET", statuses: []int{503, 200},
			headers:    []map[string]string{{"Retry-After": t0.Add(7 * time.Second).Format(http.TimeFormat)}},
			wantStatus: 200, wantHits: 2, wantSleeps: []time.Duration{7 * time.Second}},
		{name: "gives up after MaxAttempts with last answer", method: "GET", statuses: []int{503},
			policy:     httpx.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond},
			wantStatus: 503, wantHits: 3, wantSleeps: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond}},
		{name: "Retry-After beyond MaxElapsed gives up at once", method: "GET", statuses: []int{429, 200},
			headers:    []map[string]string{{"Retry-After": "600"}},
			policy:     httpx.RetryPolicy{MaxElapsed: time.Minute},
			wantStatus: 429, wantHits: 1},
		{name: "4xx not retried", method: "GET", statuses: []int{400, 200}, wantStatus: 400, wantHits: 1},
		{name: "500 not retried by default", method: "GET", statuses: []int{500, 200}, wantStatus: 500, wantHits: 1},
		{name: "POST 503 not retried", method: "POST", statuses: []int{503, 201}, wantStatus: 503, wantHits: 1},
		{name: "PATCH 502 not retried", method: "PATCH", statuses: []int{502, 200}, wantStatus: 502, wantHits: 1},
		{name: "POST 429 retried: not processed", method: "POST", statuses: []int{429, 201},
			headers: []map[string]string{{"Retry-After": "1"}}, wantStatus: 201, wantHits: 2, wantSleeps: []time.Duration{time.Second}},
		{name: "POST marked retry-safe retried on 503", method: "POST", safe: true, statuses: []int{503, 201},
			policy: httpx.RetryPolicy{BaseDelay: 200 * time.Millisecond}, wantStatus: 201, wantHits: 2, wantSleeps: []time.Duration{100 * time.Millisecond}},
		{name: "DELETE retried", method: "DELETE", statuses: []int{504, 204}, policy: httpx.RetryPolicy{BaseDelay: 2 * time.Millisecond},
			wantStatus: 204, wantHits: 2, wantSleeps: []time.Duration{time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{statuses: tt.statuses, headers: tt.headers}
			srv := httptest.NewServer(s.handler(t))
			defer srv.Close()
			clk := httpxtest.NewClock(t0)
			var c httpx.Counters
			client := newClient(t, clk, tt.policy, &c)
			ctx := context.Background()
			if tt.safe {
				ctx = httpx.WithRetrySafe(ctx)
			}
			req, _ := http.NewRequestWithContext(ctx, tt.method, srv.URL+"/x", strings.NewReader(`{"n":1}`))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			want := "answer " + http.StatusText(tt.wantStatus)
			if tt.wantStatus == http.StatusNoContent {
				want = ""
			}
			if string(body) != want {
				t.Errorf("body %q, want %q (intact)", body, want)
			}
			if got := s.hits.Load(); got != tt.wantHits {
				t.Errorf("hits %d, want %d", got, tt.wantHits)
			}
			if got := clk.Sleeps(); !equalDurations(got, tt.wantSleeps) {
				t.Errorf("sleeps %v, want %v", got, tt.wantSleeps)
			}
			for i, b := range s.bodies {
				if b != `{"n":1}` {
					t.Errorf("attempt %d body %q: not replayed", i+1, b)
				}
			}
			st := c.Snapshot()
			if st.Requests != int64(tt.wantHits) || st.Retries != int64(tt.wantHits-1) {
				t.Errorf("counters %+v, want %d requests", st, tt.wantHits)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryNetworkErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "refused"}}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name     string
		method   string
		errs     []error
		wantErr  bool
		wantHits int
	}{
		{"GET reset then ok", "GET", []error{reset, nil}, false, 2},
		{"POST reset not retried", "POST", []error{reset, nil}, true, 1},
		{"POST dial refused retried", "POST", []error{refused, nil}, false, 2},
		{"POST ECONNREFUSED retried", "POST", []error{syscall.ECONNREFUSED, nil}, false, 2},
		{"GET gives up", "GET", []error{reset, reset, reset}, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := 0
			base := httpx.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
				err := tt.errs[min(hits, len(tt.errs)-1)]
				hits++
				if err != nil {
					return nil, err
				}
				return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
			})
			clk := httpxtest.NewClock(t0)
			rt := httpx.Chain(base, httpx.Retry(httpx.RetryPolicy{MaxAttempts: 3, Clock: clk, Jitter: halfJitter}))
			req, _ := http.NewRequest(tt.method, "http://127.0.0.1:1/x", strings.NewReader("b"))
			resp, err := rt.RoundTrip(req)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if resp != nil {
				resp.Body.Close()
			}
			if hits != tt.wantHits {
				t.Errorf("hits %d, want %d", hits, tt.wantHits)
			}
		})
	}
}

// A connection cut after the server read the request: a POST must not be
// repeated (the server may have acted), a GET is.
func TestRetryConnectionDropReal(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	for _, m := range []string{"POST", "GET"} {
		hits.Store(0)
		clk := httpxtest.NewClock(t0)
		tr := &http.Transport{DisableKeepAlives: true}
		client := &http.Client{Transport: httpx.Chain(tr, httpx.Retry(httpx.RetryPolicy{Clock: clk, Jitter: halfJitter}))}
		req, _ := http.NewRequest(m, srv.URL, strings.NewReader("x"))
		resp, err := client.Do(req)
		if m == "POST" {
			if err == nil || hits.Load() != 1 {
				t.Errorf("POST: err %v hits %d, want an error after 1 hit", err, hits.Load())
			}
		} else {
			if err != nil || resp.StatusCode != 200 || hits.Load() != 2 {
				t.Errorf("GET: err %v hits %d, want 200 after 2 hits", err, hits.Load())
			}
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
}

func TestRetryStopsOnContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		cancel()
		w.WriteHeader(503)
	}))
	defer srv.Close()
	client := newClient(t, httpxtest.NewClock(t0), httpx.RetryPolicy{}, nil)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, context.Canceled) && (resp == nil || resp.StatusCode != 503) {
		t.Errorf("err %v: want cancellation or the 503 as is", err)
	}
	if hits.Load() != 1 {
		t.Errorf("hits %d after cancel, want 1", hits.Load())
	}
}

// With the real clock, a cancelled context interrupts a long backoff.
func TestRetrySleepCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	client := &http.Client{Transport: httpx.Chain(http.DefaultTransport, httpx.Retry(httpx.RetryPolicy{}))}
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		resp, err := client.Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("retry did not stop on cancel")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := t0
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"5", 5 * time.Second, true},
		{" 0 ", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := httpx.ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v,%v want %v,%v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffFullJitterBounds(t *testing.T) {
	p := httpx.RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for n := 1; n <= 8; n++ {
		limit := min(100*time.Millisecond<<(n-1), time.Second)
		for range 200 {
			d := p.Backoff(n)
			if d < 0 || d >= limit {
				t.Fatalf("Backoff(%d) = %v outside [0,%v)", n, d, limit)
			}
		}
	}
}

func TestIsRetrySafe(t *testing.T) {
	for _, tt := range []struct {
		method string
		ctx    context.Context
		header string
		want   bool
	}{
		{"GET", context.Background(), "", true},
		{"DELETE", context.Background(), "", true},
		{"POST", context.Background(), "", false},
		{"PATCH", context.Background(), "", false},
		{"POST", httpx.WithRetrySafe(context.Background()), "", true},
		{"POST", context.Background(), "k1", true},
	} {
		r, _ := http.NewRequestWithContext(tt.ctx, tt.method, "http://127.0.0.1/", nil)
		if tt.header != "" {
			r.Header.Set("Idempotency-Key", tt.header)
		}
		if got := httpx.IsRetrySafe(r); got != tt.want {
			t.Errorf("%s header=%q: %v want %v", tt.method, tt.header, got, tt.want)
		}
	}
}
