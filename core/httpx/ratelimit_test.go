package httpx_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
)

func TestLimiterPacesAfterBurst(t *testing.T) {
	clk := httpxtest.NewClock(t0)
	l := httpx.NewLimiter(60, 2, clk) // one a second, burst 2
	ctx := context.Background()
	var waits []time.Duration
	for range 5 {
		w, err := l.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	want := []time.Duration{0, 0, time.Second, time.Second, time.Second}
	if !equalDurations(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	// Idle refills to the burst, not beyond.
	clk.Advance(time.Hour)
	for i, want := range []time.Duration{0, 0, time.Second} {
		if w, _ := l.Wait(ctx); w != want {
			t.Errorf("after idle, wait %d = %v want %v", i, w, want)
		}
	}
}

func TestLimiterNeverExceedsWindow(t *testing.T) {
	// r + b ≤ L keeps any 60 s window at or under L: count sends per window.
	clk := httpxtest.NewClock(t0)
	l := httpx.NewLimiter(990, 10, clk)
	var sent []time.Time
	for range 3000 {
		if _, err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, clk.Now())
	}
	j := 0
	for i := range sent {
		for sent[i].Sub(sent[j]) >= time.Minute {
			j++
		}
		if n := i - j + 1; n > 1000 {
			t.Fatalf("%d requests in a 60 s window ending %v", n, sent[i].Sub(t0))
		}
	}
	if got := sent[len(sent)-1].Sub(sent[0]); got < 3*time.Minute-2*time.Second || got > 3*time.Minute+2*time.Second {
		t.Errorf("3000 requests at 990/min took %v of virtual time", got)
	}
}

func TestLimiterPauseAndAdaptive(t *testing.T) {
	clk := httpxtest.NewClock(t0)
	l := httpx.NewLimiter(600, 5, clk)
	l.SetAdaptive(true)
	l.RateLimited(4 * time.Second)
	w, _ := l.Wait(context.Background())
	if w < 4*time.Second {
		t.Errorf("first wait after a 429 with Retry-After 4 = %v, want ≥ 4s", w)
	}
	if got := l.PerMinute(); got != 480 {
		t.Errorf("adaptive rate %v, want 480 (600·0.8)", got)
	}
	for range 20 {
		l.RateLimited(0)
	}
	if got := l.PerMinute(); got != 150 {
		t.Errorf("rate floor %v, want 150", got)
	}
}

func TestLimiterCancelReturnsToken(t *testing.T) {
	clk := httpxtest.NewClock(t0)
	l := httpx.NewLimiter(60, 1, clk)
	l.Wait(context.Background()) // empties the bucket
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if w, _ := l.Wait(context.Background()); w != time.Second {
		t.Errorf("wait %v after a cancelled reservation, want 1s (token given back)", w)
	}
}

func TestLimiterConcurrentRealClock(t *testing.T) {
	// Race check with the real clock; a generous rate keeps it fast.
	l := httpx.NewLimiter(60000, 5, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := l.Wait(context.Background()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

func TestRateLimitMiddlewareFeedsBack429(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.Header().Set("Retry-After", "9")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	clk := httpxtest.NewClock(t0)
	l := httpx.NewLimiter(6000, 10, clk)
	var c httpx.Counters
	client, _, err := httpx.New(httpx.Options{Base: http.DefaultTransport, Limiter: l, Clock: clk, Observer: &c,
		Retry: httpx.RetryPolicy{Jitter: halfJitter}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	st := c.Snapshot()
	if resp.StatusCode != 200 || st.Requests != 2 || st.RateLimited != 1 || st.Retries != 1 {
		t.Errorf("status %d stats %+v", resp.StatusCode, st)
	}
	// The retry slept the Retry-After; the paused bucket then restarts
	// empty, so the retry waits one token (10 ms at 6000/min), not a burst.
	if slept := clk.Sleeps(); len(slept) != 2 || slept[0] != 9*time.Second || slept[1] != 10*time.Millisecond {
		t.Errorf("sleeps %v, want [9s 10ms]", slept)
	}
}

func TestNilLimiter(t *testing.T) {
	if l := httpx.NewLimiter(0, 1, nil); l != nil {
		t.Fatal("0/min should be unlimited (nil)")
	}
	var l *httpx.Limiter
	if w, err := l.Wait(context.Background()); w != 0 || err != nil {
		t.Error("nil limiter must not wait")
	}
	l.RateLimited(time.Second) // must not panic
}

func TestAdaptiveRecovers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer srv.Close()
	clk := httpxtest.NewClock(t0)
	l := httpx.NewLimiter(600, 5, clk)
	l.SetAdaptive(true)
	l.RateLimited(0)
	client := &http.Client{Transport: httpx.Chain(http.DefaultTransport, httpx.RateLimit(l, nil))}
	for range 10 {
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// 480 after the 429, plus 0.6 (a thousandth of 600) per success.
	if got := l.PerMinute(); got < 485.99 || got > 486.01 {
		t.Errorf("rate %v after 10 successes, want 486", got)
	}
}
