package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type ctxKey int

const (
	keyRetrySafe ctxKey = iota
	keyAttempt
)

// WithRetrySafe marks requests made with ctx as safe to repeat even when
// their method is not idempotent (POST, PATCH): use it when the server
// de-duplicates, or when the caller has made the request idempotent itself
// (a PATCH with If-Match cannot apply twice). A request carrying an
// Idempotency-Key header counts as marked too.
func WithRetrySafe(ctx context.Context) context.Context {
	return context.WithValue(ctx, keyRetrySafe, true)
}

// IsRetrySafe reports whether r may be sent again after a failure that does
// not prove it was left unprocessed.
func IsRetrySafe(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	if v, _ := r.Context().Value(keyRetrySafe).(bool); v {
		return true
	}
	return r.Header.Get("Idempotency-Key") != "" || r.Header.Get("X-Idempotency-Key") != ""
}

// AttemptFrom returns the attempt number (1-based) the retry decorator put
// into a request's context; 1 outside it.
func AttemptFrom(ctx context.Context) int {
	if n, ok := ctx.Value(keyAttempt).(int); ok {
		return n
	}
	return 1
}

// RetryPolicy bounds and paces retries. The zero value is usable: every
// zero field takes the default in its comment.
type RetryPolicy struct {
	MaxAttempts int           // attempts in all, the first included; default 5
	MaxElapsed  time.Duration // no retry starts after this since the first attempt; default 2 min
	BaseDelay   time.Duration // backoff base; default 500 ms
	MaxDelay    time.Duration // backoff cap; default 30 s
	// Statuses are the answers worth repeating; default 429, 502, 503, 504.
	Statuses []int
	Clock    Clock
	// Jitter returns a random duration in [0, n); default math/rand/v2.
	Jitter   func(n time.Duration) time.Duration
	Observer Observer
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 2 * time.Minute
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.Statuses == nil {
		p.Statuses = []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	}
	p.Clock = clockOr(p.Clock)
	if p.Jitter == nil {
		p.Jitter = func(n time.Duration) time.Duration {
			if n <= 0 {
				return 0
			}
			return rand.N(n)
		}
	}
	return p
}

// Backoff returns the full-jitter delay before retry number n (1 for the
// first retry): a random duration in [0, min(MaxDelay, BaseDelay·2^(n-1))).
func (p RetryPolicy) Backoff(n int) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	if d > p.MaxDelay {
		d = p.MaxDelay
	}
	return p.Jitter(d)
}

// ParseRetryAfter reads a Retry-After value, either delay-seconds or an
// HTTP date (relative to now). ok is false when v is empty or unreadable.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d = t.Sub(now); d < 0 {
		d = 0
	}
	return d, true
}

// Retry returns a middleware that repeats a request after the statuses in
// the policy and after network errors, waiting a full-jitter exponential
// backoff or the server's Retry-After, whichever is longer.
//
// Non-idempotent requests (POST, PATCH) are repeated only when marked
// (WithRetrySafe, Idempotency-Key) or when the failure proves the server did
// not process them: a 429, or a connection that could not be opened. A
// request whose body cannot be rewound (no GetBody) is never repeated.
// When it gives up, Retry returns the last answer unchanged (body intact),
// so the caller can read the error.
func Retry(p RetryPolicy) Middleware {
	p = p.withDefaults()
	return func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			return p.do(next, r)
		})
	}
}

func (p RetryPolicy) do(next http.RoundTripper, r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	start := p.Clock.Now()
	safe := IsRetrySafe(r)
	for attempt := 1; ; attempt++ {
		req := r
		if attempt > 1 {
			req = r.Clone(context.WithValue(ctx, keyAttempt, attempt))
			if r.Body != nil && r.Body != http.NoBody {
				body, err := r.GetBody()
				if err != nil {
					return nil, err
				}
				req.Body = body
			}
		} else {
			req = r.WithContext(context.WithValue(ctx, keyAttempt, attempt))
		}
		resp, err := next.RoundTrip(req)
		if ctx.Err() != nil {
			return resp, err
		}
		retry, reason, notProcessed := p.classify(resp, err)
		if !retry || attempt >= p.MaxAttempts {
			return resp, err
		}
		if !safe && !notProcessed {
			return resp, err
		}
		if r.Body != nil && r.Body != http.NoBody && r.GetBody == nil {
			return resp, err
		}
		wait := p.Backoff(attempt)
		if resp != nil {
			if ra, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), p.Clock.Now()); ok && ra > wait {
				wait = ra
			}
		}
		if p.Clock.Now().Sub(start)+wait > p.MaxElapsed {
			return resp, err
		}
		if resp != nil {
			// Drain a little so the connection can be reused, then let go.
			_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
			resp.Body.Close()
		}
		emit(p.Observer, Event{Kind: EventRetry, Method: r.Method, Host: r.URL.Host, Path: r.URL.Path,
			Attempt: attempt + 1, Wait: wait, Reason: reason})
		if err := p.Clock.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// classify says whether an outcome is worth repeating and whether it proves
// the server did not act on the request.
func (p RetryPolicy) classify(resp *http.Response, err error) (retry bool, reason string, notProcessed bool) {
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return false, "", false
		}
		if permanentTLS(err) {
			return false, "", false
		}
		return true, "network: " + err.Error(), notSent(err)
	}
	for _, s := range p.Statuses {
		if resp.StatusCode == s {
			return true, strconv.Itoa(s), s == http.StatusTooManyRequests
		}
	}
	return false, "", false
}

// notSent reports network errors that happen before a request is written:
// the server cannot have processed it.
func notSent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// permanentTLS reports certificate failures, which no retry will fix.
func permanentTLS(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}
