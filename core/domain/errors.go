package domain

import (
	"errors"
	"time"
)

// ErrorKind classifies a failure by what a person or the engine should do about it.
type ErrorKind int

// The kinds. Unknown is anything not classified.
const (
	KindUnknown      ErrorKind = iota
	KindAuth                   // credentials wrong or expired: fix the connection settings
	KindForbidden              // authenticated but not allowed: ask for a grant
	KindNotFound               // the record or endpoint does not exist
	KindConflict               // changed by someone else (412) or already exists (409)
	KindRateLimited            // 429: wait and retry
	KindBusinessRule           // the remote system refused the content (IFS DATABASE_ERROR …)
	KindTransient              // 5xx, timeouts, network: retry later
	KindInvalid                // we sent something malformed: a bug or a bad mapping
	KindConfig                 // local configuration missing or wrong
)

var kindNames = map[ErrorKind]string{
	KindUnknown: "unknown", KindAuth: "auth", KindForbidden: "forbidden", KindNotFound: "not_found",
	KindConflict: "conflict", KindRateLimited: "rate_limited", KindBusinessRule: "business_rule",
	KindTransient: "transient", KindInvalid: "invalid", KindConfig: "config",
}

// String returns a stable lower-case name.
func (k ErrorKind) String() string { return kindNames[k] }

// Retryable reports whether trying again later may succeed without a human.
func (k ErrorKind) Retryable() bool {
	return k == KindTransient || k == KindRateLimited || k == KindConflict
}

// Classified is implemented by errors that know their kind (ifs.Error, cleo.Error …).
type Classified interface {
	error
	ErrorKind() ErrorKind
}

// KindOf finds the kind of err through any wrapping; KindUnknown when none says.
func KindOf(err error) ErrorKind {
	var c Classified
	if errors.As(err, &c) {
		return c.ErrorKind()
	}
	return KindUnknown
}

// RetryAfter is implemented by errors that carry a server's Retry-After.
type RetryAfter interface {
	RetryAfter() time.Duration
}
