// Package httpx is the HTTP pipeline shared by the IFS and Cleo clients: a
// stack of small http.RoundTripper decorators (client-side rate limiting,
// retry with backoff, redacted logging, observation) over a transport whose
// TLS verification is always on.
//
// The decorators are independent so each client can compose what it needs;
// New builds the usual stack:
//
//	Retry → RateLimit → Log → Observe → TLS transport
//
// Retry is outermost so that every attempt takes a rate-limit token, is
// logged and counted. Authentication (oauth2.Transport) goes on top of the
// returned client's transport, so a retried attempt carries the same token;
// refreshing after a 401 is the API client's business, not the pipeline's.
package httpx

import (
	"net/http"
)

// Middleware decorates a RoundTripper.
type Middleware func(http.RoundTripper) http.RoundTripper

// Chain wraps base with mws; the first middleware is the outermost one, so
// Chain(t, a, b) serves a request as a → b → t.
func Chain(base http.RoundTripper, mws ...Middleware) http.RoundTripper {
	rt := base
	for i := len(mws) - 1; i >= 0; i-- {
		if mws[i] != nil {
			rt = mws[i](rt)
		}
	}
	return rt
}

// RoundTripperFunc adapts a function to http.RoundTripper.
type RoundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f(r).
func (f RoundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
