package httpx

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// sensitive names, matched case-insensitively as whole names or suffixes
// ("client_secret", "access_token", "X-Api-Key" …).
var sensitiveWords = []string{"authorization", "token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "cookie", "assertion", "code_verifier"}

// Sensitive reports whether a header, query or form field name may carry a
// credential and must never be logged.
func Sensitive(name string) bool {
	n := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

const redacted = "REDACTED"

// RedactURL returns u as a string with the password and every sensitive
// query value replaced.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	if c.RawQuery != "" {
		q, err := url.ParseQuery(c.RawQuery)
		if err != nil {
			c.RawQuery = redacted
		} else {
			changed := false
			for k := range q {
				if Sensitive(k) {
					q[k] = []string{redacted}
					changed = true
				}
			}
			if changed {
				c.RawQuery = q.Encode()
			}
		}
	}
	return c.String()
}

// RedactHeader returns a copy of h with sensitive values replaced.
func RedactHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		if Sensitive(k) {
			out[k] = []string{redacted}
			continue
		}
		out[k] = append([]string(nil), v...)
	}
	return out
}

var (
	jsonSecret = regexp.MustCompile(`(?i)("[^"]*(?:token|secret|password|passwd|authorization|api_?key|assertion)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	formSecret = regexp.MustCompile(`(?i)((?:^|[&\s?])[^=&\s]*(?:token|secret|password|passwd|api_?key|assertion)[^=&\s]*=)[^&\s]*`)
	bearer     = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*`)
)

// RedactText replaces credentials in a body excerpt: JSON string fields and
// form fields whose name looks sensitive, and bearer tokens.
func RedactText(s string) string {
	s = jsonSecret.ReplaceAllString(s, `$1"`+redacted+`"`)
	s = formSecret.ReplaceAllString(s, `${1}`+redacted)
	s = bearer.ReplaceAllString(s, `${1}`+redacted)
	return s
}

// LogOptions tunes the logging decorator.
type LogOptions struct {
	// BodyExcerpt is how many bytes of an error answer's body to log
	// (redacted); 0 means 512, negative means none.
	BodyExcerpt int
	Clock       Clock
}

// Log returns a middleware that logs each attempt: method, redacted URL,
// status, duration, attempt, at Debug for success and Warn for failures,
// with a redacted excerpt of an error body. It never logs headers, request
// bodies or tokens.
func Log(logger *slog.Logger, opts LogOptions) Middleware {
	if opts.BodyExcerpt == 0 {
		opts.BodyExcerpt = 512
	}
	clock := clockOr(opts.Clock)
	return func(next http.RoundTripper) http.RoundTripper {
		if logger == nil {
			return next
		}
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			start := clock.Now()
			resp, err := next.RoundTrip(r)
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("url", RedactURL(r.URL)),
				slog.Int("attempt", AttemptFrom(r.Context())),
				slog.Duration("took", clock.Now().Sub(start).Round(time.Millisecond)),
			}
			ctx := r.Context()
			switch {
			case err != nil:
				attrs = append(attrs, slog.String("error", RedactText(err.Error())))
				logger.LogAttrs(ctx, slog.LevelWarn, "http request failed", attrs...)
			case resp.StatusCode >= 400:
				attrs = append(attrs, slog.Int("status", resp.StatusCode))
				if opts.BodyExcerpt > 0 {
					attrs = append(attrs, slog.String("body", excerpt(resp, opts.BodyExcerpt)))
				}
				logger.LogAttrs(ctx, slog.LevelWarn, "http error answer", attrs...)
			default:
				if logger.Enabled(ctx, slog.LevelDebug) {
					attrs = append(attrs, slog.Int("status", resp.StatusCode))
					logger.LogAttrs(ctx, slog.LevelDebug, "http request", attrs...)
				}
			}
			return resp, err
		})
	}
}

// excerpt reads up to n bytes of the body for the log and puts them back in
// front of the rest, so the caller still reads the whole body.
func excerpt(resp *http.Response, n int) string {
	if resp.Body == nil {
		return ""
	}
	buf := make([]byte, n)
	k, _ := io.ReadFull(resp.Body, buf)
	buf = buf[:k]
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), resp.Body), resp.Body}
	return RedactText(strings.ToValidUTF8(string(buf), "?"))
}
