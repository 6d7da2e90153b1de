package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// TLSOptions configures trust for one connection. Verification is always
// on: there is deliberately no way to skip it. A tenant with a private CA
// supplies its bundle instead.
type TLSOptions struct {
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// CAPEM is the same as PEM bytes (e.g. pasted into the settings screen).
	CAPEM []byte
}

// TLSConfig returns a verifying TLS config with the system roots plus the
// configured bundle. It fails when a configured bundle holds no certificate,
// rather than silently trusting only the system roots.
func (o TLSOptions) TLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile == "" && len(o.CAPEM) == 0 {
		return cfg, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s: no PEM certificate found", o.CAFile)
		}
	}
	if len(o.CAPEM) > 0 && !pool.AppendCertsFromPEM(o.CAPEM) {
		return nil, errors.New("CA bundle: no PEM certificate found")
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// NewTransport returns a fresh transport (its own connection pool) with
// sane timeouts and the verifying TLS config.
func NewTransport(o TLSOptions) (*http.Transport, error) {
	tc, err := o.TLSConfig()
	if err != nil {
		return nil, err
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tc,
	}, nil
}

// Options configures New.
type Options struct {
	TLS TLSOptions
	// RequestsPerMinute caps the request rate (0 = unlimited); Burst is the
	// bucket size (default 1). Ignored when Limiter is set.
	RequestsPerMinute float64
	Burst             int
	// Limiter shares one bucket between several clients of the same server
	// (e.g. the token client and the API client).
	Limiter *Limiter
	Retry   RetryPolicy
	// NoRetry disables the retry decorator.
	NoRetry  bool
	Logger   *slog.Logger
	Observer Observer
	Clock    Clock
	// Base replaces the TLS transport (tests, or a transport shared with
	// another client). TLS is then ignored.
	Base http.RoundTripper
	// Timeout bounds a whole call including retries (http.Client.Timeout); 0 = none.
	Timeout time.Duration
}

// New builds an *http.Client with the standard stack
// Retry → RateLimit → Log → Observe → transport. The limiter it used is
// returned so the caller can share it.
func New(o Options) (*http.Client, *Limiter, error) {
	clock := clockOr(o.Clock)
	base := o.Base
	if base == nil {
		t, err := NewTransport(o.TLS)
		if err != nil {
			return nil, nil, err
		}
		base = t
	}
	lim := o.Limiter
	if lim == nil {
		lim = NewLimiter(o.RequestsPerMinute, o.Burst, clock)
	}
	var retry Middleware
	if !o.NoRetry {
		p := o.Retry
		if p.Clock == nil {
			p.Clock = clock
		}
		if p.Observer == nil {
			p.Observer = o.Observer
		}
		retry = Retry(p)
	}
	var obs Middleware
	if o.Observer != nil {
		obs = Observe(o.Observer, clock)
	}
	rt := Chain(base, retry, RateLimit(lim, o.Observer), Log(o.Logger, LogOptions{Clock: clock}), obs)
	return &http.Client{Transport: rt, Timeout: o.Timeout}, lim, nil
}
