package httpx

import (
	"net/http"
	"sync/atomic"
	"time"
)

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	EventRequest  EventKind = iota // an attempt is about to go on the wire
	EventResponse                  // an attempt finished (Status or Err set)
	EventRetry                     // the retry decorator will try again after Wait
	EventRateWait                  // the rate limiter held a request back for Wait
)

// Event is one observation from the pipeline. It carries no headers or
// bodies, so observers cannot leak secrets.
type Event struct {
	Kind     EventKind
	Method   string
	Host     string
	Path     string
	Attempt  int           // 1 for the first attempt
	Status   int           // EventResponse: HTTP status, 0 on a network error
	Err      error         // EventResponse: the transport error, if any
	Wait     time.Duration // EventRetry, EventRateWait
	Duration time.Duration // EventResponse: time on the wire
	Reason   string        // EventRetry: why ("429", "503", "network: …")
}

// Observer receives pipeline events; implementations must be safe for
// concurrent use and fast (they run on the request path).
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// Observers fans an event out to several observers; nil entries are skipped.
type Observers []Observer

// Observe forwards e to each observer.
func (os Observers) Observe(e Event) {
	for _, o := range os {
		if o != nil {
			o.Observe(e)
		}
	}
}

func emit(o Observer, e Event) {
	if o != nil {
		o.Observe(e)
	}
}

// Counters is an Observer that counts, for benchmarks and the status screen.
type Counters struct {
	requests, rateLimited, serverErrors, networkErrors, retries atomic.Int64
	rateWait                                                    atomic.Int64
}

// Stats is a snapshot of Counters.
type Stats struct {
	Requests      int64         // attempts put on the wire
	RateLimited   int64         // 429 answers
	ServerErrors  int64         // 5xx answers
	NetworkErrors int64         // attempts that ended without an answer
	Retries       int64         // attempts repeated by the retry decorator
	RateWait      time.Duration // total time the limiter held requests back
}

// Observe counts e.
func (c *Counters) Observe(e Event) {
	switch e.Kind {
	case EventRequest:
		c.requests.Add(1)
	case EventResponse:
		switch {
		case e.Err != nil:
			c.networkErrors.Add(1)
		case e.Status == http.StatusTooManyRequests:
			c.rateLimited.Add(1)
		case e.Status >= 500:
			c.serverErrors.Add(1)
		}
	case EventRetry:
		c.retries.Add(1)
	case EventRateWait:
		c.rateWait.Add(int64(e.Wait))
	}
}

// Snapshot returns the current counts.
func (c *Counters) Snapshot() Stats {
	return Stats{
		Requests:      c.requests.Load(),
		RateLimited:   c.rateLimited.Load(),
		ServerErrors:  c.serverErrors.Load(),
		NetworkErrors: c.networkErrors.Load(),
		Retries:       c.retries.Load(),
		RateWait:      time.Duration(c.rateWait.Load()),
	}
}

// Observe returns a middleware that reports each attempt that reaches it
// (EventRequest before, EventResponse after). Put it innermost so it sees the
// wire, not the logical request.
func Observe(o Observer, clock Clock) Middleware {
	clock = clockOr(clock)
	return func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			ev := Event{Method: r.Method, Host: r.URL.Host, Path: r.URL.Path, Attempt: AttemptFrom(r.Context())}
			ev.Kind = EventRequest
			emit(o, ev)
			start := clock.Now()
			resp, err := next.RoundTrip(r)
			ev.Kind = EventResponse
			ev.Duration = clock.Now().Sub(start)
			ev.Err = err
			if resp != nil {
				ev.Status = resp.StatusCode
			}
			emit(o, ev)
			return resp, err
		})
	}
}

// Latency is an Observer that keeps a moving average of the time answers
// take on the wire (network errors excluded: they say nothing about the
// server's pace). The engine sizes the pools that wait on a server from it
// and the server's rate limit (Little's law: requests in flight = rate ×
// latency), so a slow tenant gets more documents in flight, not fewer
// requests per second.
type Latency struct {
	avg atomic.Int64 // nanoseconds; 0 until the first answer
}

// latencyWeight is the weight of a new answer in the average (1/8): a
// few slow answers move it, one does not.
const latencyWeight = 8

// Observe folds an answered attempt's time on the wire into the average.
func (l *Latency) Observe(e Event) {
	if e.Kind != EventResponse || e.Err != nil || e.Duration <= 0 {
		return
	}
	d := int64(e.Duration)
	for {
		old := l.avg.Load()
		next := d
		if old > 0 {
			next = old + (d-old)/latencyWeight
		}
		if l.avg.CompareAndSwap(old, next) {
			return
		}
	}
}

// Mean is the moving average, 0 before the first answer.
func (l *Latency) Mean() time.Duration { return time.Duration(l.avg.Load()) }
