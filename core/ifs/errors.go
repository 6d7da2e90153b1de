package ifs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx"
	"golang.org/x/oauth2"
)

// Error is a failed IFS call: the OData error body
// {"error":{"code","message","details"}} when there is one, the HTTP status,
// and what the call was about. It is domain.Classified, so the engine and
// the UI know what to do without reading codes.
type Error struct {
	Op         string // "read PurchaseOrderSet", "create invoice INV-1" …
	Status     int    // HTTP status; 0 for network and token-transport failures
	Code       string // OData error code (DATABASE_ERROR, ODP_NOT_IMPLEMENTED …)
	Message    string
	Details    []ErrorDetail
	Projection string // the projection called, to name a missing grant
	// Body is a redacted excerpt of a non-JSON answer (a gateway's HTML page).
	Body string
	// Retry is the server's Retry-After, if it sent one.
	Retry time.Duration
	Kind  domain.ErrorKind
	Err   error // an underlying transport error
}

// ErrorDetail is one entry of the OData error's details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

// Error describes the failure for a log or an operator.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.Err != nil && e.Status == 0:
		b.WriteString(e.Err.Error())
	case e.Code != "" || e.Message != "":
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
		for _, d := range e.Details {
			if d.Message != "" && d.Message != e.Message {
				b.WriteString("; " + d.Message)
			}
		}
	default:
		fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
		if e.Body != "" {
			b.WriteString(" (not an OData answer: " + e.Body + ")")
		}
	}
	if e.Kind == domain.KindForbidden && e.Projection != "" {
		fmt.Fprintf(&b, " (the IFS service user needs a grant for projection %s)", e.Projection)
	}
	return b.String()
}

// ErrorKind classifies the failure.
func (e *Error) ErrorKind() domain.ErrorKind { return e.Kind }

// RetryAfter is the server's requested wait (0 when none).
func (e *Error) RetryAfter() time.Duration { return e.Retry }

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Fix returns a plain-language next step for an operator.
func (e *Error) Fix() string { return fixFor(e) }

// classify maps a status and OData code to a kind.
func classify(status int, code string) domain.ErrorKind {
	switch {
	case status == http.StatusUnauthorized:
		return domain.KindAuth
	case status == http.StatusForbidden:
		return domain.KindForbidden
	case status == http.StatusNotFound:
		return domain.KindNotFound
	case status == http.StatusConflict, status == http.StatusPreconditionFailed:
		return domain.KindConflict
	case status == http.StatusTooManyRequests:
		return domain.KindRateLimited
	case status == http.StatusRequestTimeout, status >= 500:
		return domain.KindTransient
	case strings.EqualFold(code, "DATABASE_ERROR"), status == http.StatusUnprocessableEntity:
		return domain.KindBusinessRule
	case status >= 400:
		return domain.KindInvalid
	}
	return domain.KindUnknown
}

// parseError builds an Error from an answer's status, headers and body.
func parseError(op, projection string, status int, h http.Header, body []byte, now time.Time) *Error {
	e := &Error{Op: op, Status: status, Projection: projection}
	var env struct {
		Error *struct {
			Code    string        `json:"code"`
			Message string        `json:"message"`
			Details []ErrorDetail `json:"details"`
		} `json:"error"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &env) == nil && env.Error != nil {
		e.Code, e.Message, e.Details = env.Error.Code, env.Error.Message, env.Error.Details
	} else if len(trimmed) > 0 {
		e.Body = excerptText(trimmed, 200)
	}
	e.Kind = classify(status, e.Code)
	if h != nil {
		e.Retry, _ = httpx.ParseRetryAfter(h.Get("Retry-After"), now)
	}
	return e
}

// excerptText turns a body into one redacted line (an HTML page's title or
// first text), short enough for a log.
func excerptText(b []byte, n int) string {
	s := string(b)
	if i := strings.Index(strings.ToLower(s), "<title>"); i >= 0 {
		rest := s[i+7:]
		if j := strings.Index(strings.ToLower(rest), "</title>"); j >= 0 {
			s = rest[:j]
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return httpx.RedactText(strings.ToValidUTF8(s, "?"))
}

// transportError wraps an error that came without an answer.
func transportError(op, projection string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	kind := domain.KindTransient
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return tokenError(re)
	}
	if isCertError(err) {
		kind = domain.KindConfig
	}
	return &Error{Op: op, Projection: projection, Kind: kind, Err: err}
}

// tokenError classifies a failed token request (Keycloak-style body).
func tokenError(re *oauth2.RetrieveError) *Error {
	e := &Error{Op: "get token", Code: re.ErrorCode, Message: re.ErrorDescription, Err: re}
	if re.Response != nil {
		e.Status = re.Response.StatusCode
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Kind = domain.KindRateLimited
	case e.Status >= 500 || e.Status == 0:
		e.Kind = domain.KindTransient
	default:
		// invalid_client, unauthorized_client, unauthorized …: the credentials.
		e.Kind = domain.KindAuth
	}
	if e.Message == "" && e.Code == "" && len(re.Body) > 0 {
		e.Body = excerptText(re.Body, 200)
	}
	return e
}

func isCertError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// fixFor suggests what an operator should do about err.
func fixFor(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.DeadlineExceeded) {
			return "IFS did not answer in time: check that the server is up, then try again."
		}
		return ""
	}
	switch e.Kind {
	case domain.KindAuth:
		if e.Op == "get token" {
			return "IFS refused the client credentials: check the token URL (realm), client ID and secret against the IAM client in IFS (Service Accounts enabled)."
		}
		return "IFS refused the token: check that the IAM client is linked to an active service user."
	case domain.KindForbidden:
		if e.Projection != "" {
			return fmt.Sprintf("Grant projection %s to the IFS service user's permission set, and give it company and site access.", e.Projection)
		}
		return "Grant the service user the projection this call needs."
	case domain.KindNotFound:
		return "Not found: check the resource profile (main or int prefix, projection and entity set names) against the tenant's API Explorer."
	case domain.KindConfig:
		if isCertError(e) {
			return "The server's certificate is not trusted: add the tenant's CA bundle to this connection (never disable verification)."
		}
	case domain.KindRateLimited:
		return "IFS is throttling: lower the request rate in the connection settings or try again later."
	case domain.KindTransient:
		if e.Status == 0 {
			return "Cannot reach IFS: check the URL, DNS, proxy and firewall, then try again."
		}
		return "IFS or its gateway failed temporarily: try again later."
	case domain.KindInvalid:
		if e.Code == "ODP_NOT_IMPLEMENTED" {
			return "The tenant does not support this query: adjust the resource profile."
		}
		if strings.HasSuffix(e.Op, " page 2") || strings.Contains(e.Message, "nextLink") {
			return "The server's next-page link could not be followed: report the detail (it names the link) to the tenant's administrator or to us; collections longer than one page cannot be read until then."
		}
		return "IFS rejected the request as malformed: check the field names in the resource profile."
	case domain.KindBusinessRule:
		return "IFS refused the data (business rule): read the message and correct the record."
	case domain.KindConflict:
		return "Someone else changed the record: reload and try again."
	}
	return ""
}
