package ifssim

import (
	"testing"
	"time"
)

// TestRateLimitPerClient: each IAM client has its own bucket, as behind a
// real API gateway; one client's burst does not throttle another.
func TestRateLimitPerClient(t *testing.T) {
	e := newEnv(t, Config{Faults: Faults{RateLimitPerMinute: 600, RateBurst: 3}})
	full, limited := e.token, e.getToken(LimitedClientID, LimitedClientSecret)
	path := poRoot + "PurchaseOrderSet?$top=1"
	as := func(tok string) result {
		e.token = tok
		return e.do("GET", path, "")
	}
	for i := 0; i < 3; i++ {
		if r := as(full); r.status != 200 {
			t.Fatalf("%s request %d: %d", DefaultClientID, i, r.status)
		}
	}
	if r := as(full); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("%s over its limit: %d", DefaultClientID, r.status)
	}
	// The other client still has its whole burst.
	for i := 0; i < 3; i++ {
		if r := as(limited); r.status != 200 {
			t.Fatalf("%s request %d while %s is throttled: %d", LimitedClientID, i, DefaultClientID, r.status)
		}
	}
	if r := as(limited); r.status != 429 {
		t.Fatalf("%s over its limit: %d", LimitedClientID, r.status)
	}
	// A second client token of the same client_id shares the bucket.
	second := e.getToken(DefaultClientID, DefaultClientSecret)
	if r := as(second); r.status != 429 {
		t.Errorf("new token of a throttled client: %d", r.status)
	}
	// Calls without a valid token have a bucket of their own (and then 401).
	if r := as("bogus"); r.status != 401 {
		t.Errorf("unknown token: %d", r.status)
	}
	e.clock.add(100 * time.Millisecond) // 10 a second: one more each
	if r := as(full); r.status != 200 {
		t.Errorf("%s after refill: %d", DefaultClientID, r.status)
	}
	if r := as(limited); r.status != 200 {
		t.Errorf("%s after refill: %d", LimitedClientID, r.status)
	}
	st := e.srv.Stats()
	if st.RateLimited != 3 || st.RateLimitedByClient[DefaultClientID] != 2 || st.RateLimitedByClient[LimitedClientID] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestServerRateLimit: the optional whole-server cap counts every client.
func TestServerRateLimit(t *testing.T) {
	e := newEnv(t, Config{Faults: Faults{ServerRateLimitPerMinute: 300}}) // 5 a second, burst 5
	full, limited := e.token, e.getToken(LimitedClientID, LimitedClientSecret)
	path := poRoot + "PurchaseOrderSet?$top=1"
	statuses := []int{}
	for i := 0; i < 6; i++ {
		e.token = full
		if i%2 == 1 {
			e.token = limited
		}
		statuses = append(statuses, e.do("GET", path, "").status)
	}
	if !equalInts(statuses, []int{200, 200, 200, 200, 200, 429}) {
		t.Errorf("statuses %v", statuses)
	}
	e.clock.add(200 * time.Millisecond)
	if r := e.do("GET", path, ""); r.status != 200 {
		t.Errorf("after refill: %d", r.status)
	}
	if code, _ := e.control("PUT", "/faults", `{"server_rate_limit_per_minute":-1}`); code != 400 {
		t.Errorf("negative limit accepted: %d", code)
	}
}

// TestRandom429: throttling regardless of the client's rate, with
// Retry-After, counted as rate limiting.
func TestRandom429(t *testing.T) {
	e := newEnv(t, Config{Faults: Faults{Error429Rate: 1}})
	r := e.do("GET", poRoot+"PurchaseOrderSet?$top=1", "")
	if r.status != 429 || r.header.Get("Retry-After") != "1" || r.errCode(t) != "TOO_MANY_REQUESTS" {
		t.Fatalf("429: %d %v %s", r.status, r.header, r.body)
	}
	if st := e.srv.Stats(); st.RateLimited != 1 || st.RateLimitedByClient[DefaultClientID] != 1 {
		t.Errorf("stats %+v", st)
	}
	e.srv.SetFaults(Faults{Error429Rate: 0.5})
	n := 0
	for i := 0; i < 40; i++ {
		if e.do("GET", poRoot+"PurchaseOrderSet?$top=1", "").status == 429 {
			n++
		}
	}
	if n < 8 || n > 32 {
		t.Errorf("%d of 40 throttled at rate 0.5", n)
	}
	if code, _ := e.control("PUT", "/faults", `{"error_429_rate":-0.1}`); code != 400 {
		t.Errorf("negative rate accepted: %d", code)
	}
}
