// Package cleosim is the Cleo sandbox: an http.Handler that answers like the
// REST surface described in the "Simulator spec" of
// ../shared/reference/cleo.md, over the seeded world of core/sandbox/world.
//
// What mirrors confirmed Cleo behaviour ([REAL] in the spec): the password
// grant on POST /api/authentication (form-encoded, access_token), bearer
// tokens on every other /api route, SCIM-style collections (startIndex,
// count, totalResults, resources) with SCIM filters, {"message"} error
// bodies, 22-character opaque ids, connections with alias/type/_links,
// actions with a run link answering status/result/messages, 201/200/204
// status codes, and transfer-log field names and status values.
//
// What fills gaps with a design in Cleo's style ([DESIGN]): the refresh
// grant and expires_in, the file routes (outbox upload, per-connection inbox,
// cross-partner /api/files, content download, ack), /api/transfers and
// /api/transactions with faStatus, the externalID and edi fields of a
// connection. core/cleo keeps all of these behind its RESTPaths table.
//
// The sandbox also plays the suppliers: an 850 delivered to a supplier's
// connection is answered, after Config.SupplierDelay or on an explicit
// Respond call, with a 997 and, for some orders, an 810 for the ordered
// lines. A seeded inbound mix (clean invoices, price and quantity
// variances, an unknown partner, an unmapped charge, a duplicate invoice
// number, a credit memo, a multi-invoice file, a malformed file, accepted
// and rejected 997s) waits in the inboxes from the start.
//
// Routes (all JSON; every /api route but authentication needs a bearer token):
//
//	POST   /api/authentication              password and refresh grants (form-encoded)
//	GET    /api/connections                 paged, SCIM filter; one per world supplier + the unknown partner
//	GET    /api/connections/{id}            one connection; PUT changes externalID and enabled
//	GET    /api/connections/{id}/inbox      paged inbound files of one partner
//	GET    /api/connections/{id}/outbox     paged outbound files (queued and sent)
//	POST   /api/connections/{id}/outbox     multipart upload (file, externalId, run): 201, 409, 413
//	GET    /api/actions                     one "send" action per connection
//	POST   /api/actions/{id}/run            sends the queued outbox files: status/result/messages
//	GET    /api/files                       paged cross-partner listing (folder, status, created …)
//	GET    /api/files/{id}                  one file; DELETE: 204, then 404
//	GET    /api/files/{id}/content          bytes with Content-Disposition, Content-Length, ETag
//	POST   /api/files/{id}/ack              status "picked", idempotent
//	GET    /api/transfers                   transfer log records
//	GET    /api/transactions                tracked sets; 850s carry faStatus
//
// Control (no auth): GET/PUT /_sandbox/faults, POST /_sandbox/expire-tokens,
// POST /_sandbox/inject {connection, filename, content | content_base64,
// created}, GET /_sandbox/sent, GET /_sandbox/inbox, POST /_sandbox/respond,
// GET /_sandbox/stats, POST /_sandbox/reset.
//
// A separate control API under /_sandbox (no auth, not Cleo behaviour)
// injects faults and files, lists what was sent and triggers supplier
// responses; the same operations are methods on Server for in-process tests.
package cleosim

import (
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// Config shapes one sandbox run. The zero value is usable: New fills every
// empty field with the default documented on it.
type Config struct {
	// Username and Password are the API account (default "mlc-api" and
	// "cleo-sandbox-pass").
	Username, Password string
	// TokenTTL is the lifetime announced as expires_in (default 3600 s).
	TokenTTL time.Duration
	// NoRefresh disables the refresh grant (400 unsupported_grant_type) and
	// omits refresh_token, like a server without one.
	NoRefresh bool
	// MinimalToken answers the token call with access_token only (the one
	// field confirmed for Cleo): no token_type, expires_in or refresh_token.
	// Tokens then still die after TokenTTL.
	MinimalToken bool
	// LockoutAfter locks the account after this many failed sign-ins in a
	// row (default 5; negative: never), for LockoutFor (default 15 min).
	LockoutAfter int
	LockoutFor   time.Duration
	// MaxPageSize caps the count of a page; DefaultPageSize is used when the
	// client sends no count (default min(100, MaxPageSize)). Zero draws the
	// cap per instance from world.RunSeed among PageCaps: a server may answer
	// fewer resources than asked for (reference/cleo.md: "never assume a page
	// is full"), so tests meet short pages as well as Cleo's 100.
	MaxPageSize, DefaultPageSize int
	// MaxUpload is the largest accepted upload in bytes (default 10 MiB);
	// bigger answers 413.
	MaxUpload int64
	// SupplierDelay is how long after an 850 is sent the supplier answers
	// (default 20 s). Negative: only when Respond is called.
	SupplierDelay time.Duration
	// InvoiceEvery makes the supplier invoice one order in InvoiceEvery
	// (chosen from the seed; default 2). 1 invoices every order.
	InvoiceEvery int
	// EmptyInbox starts without the seeded inbound mix (conformance tests).
	EmptyInbox bool
	// Faults is the initial fault injection (zero: none). Change it at run
	// time with SetFaults or PUT /_sandbox/faults.
	Faults Faults
	// FaultSeed seeds the random faults (default: the world seed).
	FaultSeed int64
	// Now is the clock (default time.Now). Seeded files are dated relative to
	// the world's Today, never the wall clock.
	Now func() time.Time
	// ControlPrefix is the path of the control API (default "/_sandbox").
	ControlPrefix string
}

// Faults is the fault injection of a run. Counters ("next N calls") count
// down as they fire. JSON names are what GET/PUT /_sandbox/faults use.
type Faults struct {
	// AuthFailures answers the next N sign-ins 401 whatever the credentials.
	AuthFailures int `json:"auth_failures"`
	// ExpireTokensAfter kills every issued token after N more authenticated
	// API calls (token expiry mid-poll).
	ExpireTokensAfter int `json:"expire_tokens_after"`
	// Errors500 answers the next N API calls 500 {"message"}.
	Errors500 int `json:"errors_500"`
	// Error500Rate answers this share of API calls 500 (0..1).
	Error500Rate float64 `json:"error_500_rate"`
	// RateLimited answers the next N API calls 429 with Retry-After.
	RateLimited int `json:"rate_limited"`
	// Error429Rate answers this share of API calls 429.
	Error429Rate float64 `json:"error_429_rate"`
	// RetryAfterS is the Retry-After of a 429 in seconds (default 1).
	RetryAfterS int `json:"retry_after_s"`
	// LatencyMS delays every API and token call.
	LatencyMS int `json:"latency_ms"`
	// Duplicate409 answers the next N uploads 409 "file exists" (as if an
	// earlier attempt had delivered them) without storing anything.
	Duplicate409 int `json:"duplicate_409"`
	// Deleted404 answers the next N single-file calls (content, delete,
	// ack) 404 as if the file had already been deleted.
	Deleted404 int `json:"deleted_404"`
	// RunError makes action runs report result "error" and leave files queued.
	RunError bool `json:"run_error"`
	// RunDelayMS makes an action run take this long (slow or timed-out run).
	RunDelayMS int `json:"run_delay_ms"`
	// StuckTransfers leaves new send transfers "In Progress" (never completed).
	StuckTransfers bool `json:"stuck_transfers"`
	// FailTransfers makes the next N send attempts end "Error" with a
	// partner-side reason (an expired AS2 certificate); the file stays
	// queued in the outbox, so running the send action again retries it.
	FailTransfers int `json:"fail_transfers"`
	// FailTo makes every send attempt to the connection with this alias
	// fail the same way until it is cleared (a partner that is down).
	FailTo string `json:"fail_to"`
	// LateTransfersS makes new send transfers stay "In Progress" until
	// this many seconds (on the server's clock) after they started, then
	// read "Success": a delivery that is slow but arrives.
	LateTransfersS int `json:"late_transfers_s"`
	// InterimTransfers logs every new inbound file first as "Interim
	// Success" (received by the server, not yet in the inbox folder) and
	// then as "Success", as Harmony's transfer log does for FTP/SFTP.
	InterimTransfers bool `json:"interim_transfers"`
	// SilentSuppliers stops suppliers answering on their own (only Respond
	// makes them), so 850s go overdue for want of a 997.
	SilentSuppliers bool `json:"silent_suppliers"`
}

// PageCaps are the page caps a sandbox draws from when Config.MaxPageSize
// is zero: Cleo's own 100 twice as likely as each short cap.
var PageCaps = []int{100, 100, 40, 9}

func (c Config) withDefaults(seed int64) Config {
	if c.Username == "" {
		c.Username = "mlc-api"
	}
	if c.Password == "" {
		c.Password = "cleo-sandbox-pass"
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = time.Hour
	}
	if c.LockoutAfter == 0 {
		c.LockoutAfter = 5
	}
	if c.LockoutFor <= 0 {
		c.LockoutFor = 15 * time.Minute
	}
	if c.MaxPageSize <= 0 {
		c.MaxPageSize = PageCaps[world.InstanceRand(0xC1E0).IntN(len(PageCaps))]
	}
	if c.DefaultPageSize <= 0 {
		c.DefaultPageSize = min(100, c.MaxPageSize)
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = 10 << 20
	}
	if c.SupplierDelay == 0 {
		c.SupplierDelay = 20 * time.Second
	}
	if c.InvoiceEvery <= 0 {
		c.InvoiceEvery = 2
	}
	if c.FaultSeed == 0 {
		c.FaultSeed = seed
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ControlPrefix == "" {
		c.ControlPrefix = "/_sandbox"
	}
	return c
}
