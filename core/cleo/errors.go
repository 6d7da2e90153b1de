package cleo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Error is a failure talking to Cleo, classified for the engine and the UI.
type Error struct {
	Op      string // what we were doing: "list inbound", "send 850_P10001_1.edi" …
	Status  int    // HTTP status when the REST API answered; 0 otherwise
	Code    string // the optional "code" of a {"message","code"} body
	Message string // the server's "message", or a description
	Kind    domain.ErrorKind
	// Retry is the server's Retry-After, when it sent one.
	Retry time.Duration
	Err   error // the underlying cause (network, TLS, SSH …), if any
}

func (e *Error) Error() string {
	s := "cleo: " + e.Op
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorKind implements domain.Classified.
func (e *Error) ErrorKind() domain.ErrorKind { return e.Kind }

// RetryAfter implements domain.RetryAfter.
func (e *Error) RetryAfter() time.Duration { return e.Retry }

// Is lets errors.Is(err, errors.ErrUnsupported) see an unsupported operation.
func (e *Error) Is(target error) bool {
	return target == errors.ErrUnsupported && e.Kind == domain.KindInvalid && e.Code == codeUnsupported
}

const codeUnsupported = "unsupported"

func unsupported(op, why string) error {
	return &Error{Op: op, Kind: domain.KindInvalid, Code: codeUnsupported, Message: why}
}

// kindForStatus maps an HTTP status to what should be done about it.
func kindForStatus(status int) domain.ErrorKind {
	switch {
	case status == http.StatusUnauthorized:
		return domain.KindAuth
	case status == http.StatusForbidden:
		return domain.KindForbidden
	case status == http.StatusNotFound || status == http.StatusGone:
		return domain.KindNotFound
	case status == http.StatusConflict || status == http.StatusPreconditionFailed:
		return domain.KindConflict
	case status == http.StatusTooManyRequests:
		return domain.KindRateLimited
	case status == http.StatusRequestEntityTooLarge || status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return domain.KindInvalid
	case status == http.StatusRequestTimeout || status >= 500:
		return domain.KindTransient
	}
	return domain.KindUnknown
}

// wrapErr classifies a non-HTTP failure (network, TLS, SSH, file system).
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		if ce.Op == "" {
			ce.Op = op
		}
		return err
	}
	kind := domain.KindTransient
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certInvalid x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		dnsErr      *net.DNSError
	)
	switch {
	case errors.Is(err, context.Canceled):
		kind = domain.KindUnknown
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certInvalid), errors.As(err, &verifyErr):
		kind = domain.KindConfig
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		kind = domain.KindConfig
	case errors.Is(err, os.ErrNotExist):
		kind = domain.KindNotFound
	case errors.Is(err, os.ErrPermission):
		kind = domain.KindForbidden
	}
	return &Error{Op: op, Kind: kind, Err: err}
}
