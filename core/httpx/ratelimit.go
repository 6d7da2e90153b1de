package httpx

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Limiter is a token bucket shared by every request to one server, so the
// client stays under the server's limit instead of discovering it through
// 429s. A server's 429 with Retry-After pauses the whole bucket, and, when
// Adaptive is set, lowers the rate, which then creeps back up on success.
//
// A bucket of rate r per minute and burst b sends at most b + r·w/60
// requests in any window of w seconds; to stay under a server limit L per
// minute choose r + b ≤ L.
type Limiter struct {
	mu       sync.Mutex
	clock    Clock
	ceiling  float64 // configured rate, tokens per second
	rate     float64 // current rate (≤ ceiling when adaptive)
	burst    float64
	tokens   float64
	last     time.Time // tokens were exact at last; may lie in the future during a pause
	adaptive bool
}

// NewLimiter returns a bucket allowing perMinute requests a minute with the
// given burst (at least 1). It starts full. A perMinute ≤ 0 means unlimited
// and returns nil; a nil *Limiter never waits.
func NewLimiter(perMinute float64, burst int, clock Clock) *Limiter {
	if perMinute <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	clock = clockOr(clock)
	r := perMinute / 60
	return &Limiter{clock: clock, ceiling: r, rate: r, burst: float64(burst), tokens: float64(burst), last: clock.Now()}
}

// SetAdaptive makes the bucket slow down by a fifth on each 429 (down to a
// quarter of the configured rate) and recover 0.1 % of the configured rate
// per success (additive increase, multiplicative decrease): for tenants
// whose limit is unknown, as with IFS, which publishes none.
func (l *Limiter) SetAdaptive(on bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.adaptive = on
	l.mu.Unlock()
}

// PerMinute returns the current rate.
func (l *Limiter) PerMinute() float64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate * 60
}

func (l *Limiter) refill(now time.Time) {
	if now.After(l.last) {
		l.tokens += l.rate * now.Sub(l.last).Seconds()
		if l.tokens > l.burst {
			l.tokens = l.burst
		}
		l.last = now
	}
}

// reserve takes a token and returns how long the caller must wait for it.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	l.refill(now)
	l.tokens--
	wait := l.last.Sub(now) // a pause
	if l.tokens < 0 {
		wait += time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	if wait < 0 {
		wait = 0
	}
	return wait
}

// Wait blocks until a request may be sent, or ctx ends. It returns the time
// waited.
func (l *Limiter) Wait(ctx context.Context) (time.Duration, error) {
	if l == nil {
		return 0, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	wait := l.reserve()
	if wait == 0 {
		return 0, nil
	}
	if err := l.clock.Sleep(ctx, wait); err != nil {
		l.mu.Lock()
		l.tokens++ // give the unused reservation back
		l.mu.Unlock()
		return 0, err
	}
	return wait, nil
}

// Pause stops the bucket for d from now (a server's Retry-After): nothing
// is released before then, and the bucket restarts empty, so the client
// does not answer a 429 with a burst.
func (l *Limiter) Pause(d time.Duration) {
	if l == nil || d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	l.refill(now)
	until := now.Add(d)
	if until.After(l.last) {
		if l.tokens > 0 {
			l.tokens = 0
		}
		l.last = until
	}
}

// RateLimited records a 429: pause for retryAfter and, when adaptive, slow down.
func (l *Limiter) RateLimited(retryAfter time.Duration) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if l.adaptive {
		now := l.clock.Now()
		l.refill(now)
		l.rate *= 0.8
		if min := l.ceiling / 4; l.rate < min {
			l.rate = min
		}
	}
	l.mu.Unlock()
	l.Pause(retryAfter)
}

// succeeded lets an adaptive bucket recover after a 429.
func (l *Limiter) succeeded() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.adaptive && l.rate < l.ceiling {
		l.refill(l.clock.Now())
		l.rate += l.ceiling / 1000
		if l.rate > l.ceiling {
			l.rate = l.ceiling
		}
	}
}

// RateLimit returns a middleware that takes a token from l before each
// request and feeds 429 answers (with their Retry-After) back into it.
// Put it inside Retry, so retries pay for their tokens too.
func RateLimit(l *Limiter, o Observer) Middleware {
	return func(next http.RoundTripper) http.RoundTripper {
		if l == nil {
			return next
		}
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			waited, err := l.Wait(r.Context())
			if err != nil {
				return nil, err
			}
			if waited > 0 {
				emit(o, Event{Kind: EventRateWait, Method: r.Method, Host: r.URL.Host, Path: r.URL.Path,
					Attempt: AttemptFrom(r.Context()), Wait: waited})
			}
			resp, err := next.RoundTrip(r)
			if resp != nil {
				if resp.StatusCode == http.StatusTooManyRequests {
					ra, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), l.clock.Now())
					l.RateLimited(ra)
				} else if resp.StatusCode < 500 {
					l.succeeded()
				}
			}
			return resp, err
		})
	}
}
