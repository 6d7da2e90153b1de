package ifssim

import (
	"fmt"
	"time"
)

// Config shapes one sandbox run. The zero value is usable: New fills every
// empty field with the default documented on it.
type Config struct {
	// Realm is the IAM namespace in the token URL (default "mlc").
	Realm string
	// Clients are the IAM clients that may get tokens (default: DefaultClients).
	Clients []Client
	// TokenLifetime is the expires_in the token endpoint announces
	// (default 180 s, the IFS documentation's sample).
	TokenLifetime time.Duration
	// PageSize is the server-driven page size for collections (default 100).
	PageSize int
	// Names holds every projection, set, navigation and enum name the
	// reference marks unconfirmed (default DefaultNames()).
	Names Names
	// DuplicateInvoiceWarnOnly accepts a duplicate supplier+invoice number
	// instead of answering 400 DATABASE_ERROR (some companies only warn).
	DuplicateInvoiceWarnOnly bool
	// ObjstateFilterAlways400 imitates the reported 24R2 tenant on which every
	// $filter touching Objstate answered 400.
	ObjstateFilterAlways400 bool
	// HistoryLog makes changes to purchase orders and their lines (OData
	// PATCH, SetPurchaseOrderState, concurrent edits) write History Log
	// entries, as IFS does when history logging is on for the LU.
	HistoryLog bool
	// Faults is the initial fault injection (zero: none). Change it at run
	// time with Server.SetFaults or PUT /_sandbox/faults.
	Faults Faults
	// FaultSeed seeds the random source of the faults (default: world seed).
	FaultSeed int64
	// Now is the clock for tokens and the rate limit (default time.Now).
	Now func() time.Time
	// Links are the URL forms of the payloads (nil: drawn at random per
	// instance from world.RunSeed, so tests meet every form a server may send).
	Links *LinkForms
	// UnorderedDesc answers a collection read without $orderby in descending
	// key order rather than ascending. OData leaves that order to the server
	// (Protocol §11.2.6.2: $orderby is how a client asks for one), so nil
	// draws it per instance from world.RunSeed and a client that needs an order
	// must ask for it. Paging keeps the instance's order stable.
	UnorderedDesc *bool
	// ControlPrefix is the path of the control API (default "/_sandbox").
	ControlPrefix string
}

// Client is an IAM client with the client-credentials grant.
type Client struct {
	ID     string
	Secret string
	// Projections lists the services (projection or entity service names)
	// granted to the client's service user; nil grants all.
	Projections []string
}

// Default client credentials of the sandbox. They are not secrets: the
// sandbox only listens on 127.0.0.1.
const (
	DefaultClientID     = "MLC_CONNECTOR"
	DefaultClientSecret = "sandbox-secret"
	// LimitedClientID may only use the purchase-order projection: its calls
	// to any other projection answer 403.
	LimitedClientID     = "MLC_LIMITED"
	LimitedClientSecret = "limited-secret"
)

// DefaultClients returns the full client and the limited one.
func DefaultClients(n Names) []Client {
	return []Client{
		{ID: DefaultClientID, Secret: DefaultClientSecret},
		{ID: LimitedClientID, Secret: LimitedClientSecret, Projections: []string{n.PurchaseOrderProjection}},
	}
}

// Names are the service, set, navigation and enum names. The reference marks
// most of the supplier-invoice ones as assumptions, so a test or a demo can
// rename any of them to match a tenant's API Explorer.
type Names struct {
	PurchaseOrderProjection string // "PurchaseOrderHandling"
	PurchaseOrderSet        string // "PurchaseOrderSet"
	PurchaseOrderState      string // enum of the header Objstate: "PurchaseOrderState"
	PurchaseOrderLinesNav   string // header → lines navigation: "PurchaseOrderLineArray"
	PurchaseOrderNopartSet  string // no-part lines in the PO projection: "PurchaseOrderLineNopartSet"
	PurchaseOrderLineState  string // enum of the line Objstate: "PurchaseOrderLineState"

	POLineEntity     string // entity service with all lines: "PurchaseOrderLineEntity"
	POLineSet        string // "PurchaseOrderLineSet"
	POLinePartEntity string // entity service with part lines: "PurchaseOrderLinePartEntity"
	POLinePartSet    string // "PurchaseOrderLinePartSet"

	SupplierProjections []string // {"SupplierHandling", "SuppliersHandling"}
	SupplierSet         string   // "SupplierInfoGeneralSet"
	SupplierCompanyNav  string   // "SupplierInvoiceCompanies"
	SupplierAddressNav  string   // "SupplierInfoAddresses"

	CodePartProjection string // "CodePartValuesHandling"
	CompanyFinanceSet  string // "CompanyFinanceSet"
	CodeANav           string // accounts: "CodeAArray"
	CodeBNav           string // cost centres: "CodeBArray"

	InvoiceProjection string // "ManualSupplierInvoiceHandling" (assumed)
	InvoiceSet        string // "ManSuppInvoiceSet" (assumed)
	InvoiceItemNav    string // "InvoiceItemArray" (by analogy with InstantInvoiceHandling)
	PostingNav        string // "PostingProposalArray" (assumed)
	InvoiceState      string // "ManSuppInvoiceState"
	PartyTypeEnum     string // "PartyType"

	HistoryLogProjection string // "HistoryLogHandling"
	HistoryLogSet        string // "HistoryLogOverviewSet"
	HistoryDetailsSet    string // "HistoryLogDetailsSet"
	HistoryAttributeNav  string // "HistoryLogAttributeArray"

	// Roots says on which roots a service exists: "main" and "int" are
	// /{main|int}/ifsapplications/projection/v1, "entity" is
	// /int/ifsapplications/entity/v1. A service missing from the map gets
	// {"main","int"} for projections and {"entity"} for entity services.
	Roots map[string][]string
}

// DefaultNames returns the names of the reference's table 8.3.
func DefaultNames() Names {
	return Names{
		PurchaseOrderProjection: "PurchaseOrderHandling",
		PurchaseOrderSet:        "PurchaseOrderSet",
		PurchaseOrderState:      "PurchaseOrderState",
		PurchaseOrderLinesNav:   "PurchaseOrderLineArray",
		PurchaseOrderNopartSet:  "PurchaseOrderLineNopartSet",
		PurchaseOrderLineState:  "PurchaseOrderLineState",
		POLineEntity:            "PurchaseOrderLineEntity",
		POLineSet:               "PurchaseOrderLineSet",
		POLinePartEntity:        "PurchaseOrderLinePartEntity",
		POLinePartSet:           "PurchaseOrderLinePartSet",
		SupplierProjections:     []string{"SupplierHandling", "SuppliersHandling"},
		SupplierSet:             "SupplierInfoGeneralSet",
		SupplierCompanyNav:      "SupplierInvoiceCompanies",
		SupplierAddressNav:      "SupplierInfoAddresses",
		CodePartProjection:      "CodePartValuesHandling",
		CompanyFinanceSet:       "CompanyFinanceSet",
		CodeANav:                "CodeAArray",
		CodeBNav:                "CodeBArray",
		InvoiceProjection:       "ManualSupplierInvoiceHandling",
		InvoiceSet:              "ManSuppInvoiceSet",
		InvoiceItemNav:          "InvoiceItemArray",
		PostingNav:              "PostingProposalArray",
		InvoiceState:            "ManSuppInvoiceState",
		PartyTypeEnum:           "PartyType",
		HistoryLogProjection:    "HistoryLogHandling",
		HistoryLogSet:           "HistoryLogOverviewSet",
		HistoryDetailsSet:       "HistoryLogDetailsSet",
		HistoryAttributeNav:     "HistoryLogAttributeArray",
	}
}

// fill replaces empty names with defaults.
func (n Names) fill() Names {
	d := DefaultNames()
	set := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	set(&n.PurchaseOrderProjection, d.PurchaseOrderProjection)
	set(&n.PurchaseOrderSet, d.PurchaseOrderSet)
	set(&n.PurchaseOrderState, d.PurchaseOrderState)
	set(&n.PurchaseOrderLinesNav, d.PurchaseOrderLinesNav)
	set(&n.PurchaseOrderNopartSet, d.PurchaseOrderNopartSet)
	set(&n.PurchaseOrderLineState, d.PurchaseOrderLineState)
	set(&n.POLineEntity, d.POLineEntity)
	set(&n.POLineSet, d.POLineSet)
	set(&n.POLinePartEntity, d.POLinePartEntity)
	set(&n.POLinePartSet, d.POLinePartSet)
	if len(n.SupplierProjections) == 0 {
		n.SupplierProjections = d.SupplierProjections
	}
	set(&n.SupplierSet, d.SupplierSet)
	set(&n.SupplierCompanyNav, d.SupplierCompanyNav)
	set(&n.SupplierAddressNav, d.SupplierAddressNav)
	set(&n.CodePartProjection, d.CodePartProjection)
	set(&n.CompanyFinanceSet, d.CompanyFinanceSet)
	set(&n.CodeANav, d.CodeANav)
	set(&n.CodeBNav, d.CodeBNav)
	set(&n.InvoiceProjection, d.InvoiceProjection)
	set(&n.InvoiceSet, d.InvoiceSet)
	set(&n.InvoiceItemNav, d.InvoiceItemNav)
	set(&n.PostingNav, d.PostingNav)
	set(&n.InvoiceState, d.InvoiceState)
	set(&n.PartyTypeEnum, d.PartyTypeEnum)
	set(&n.HistoryLogProjection, d.HistoryLogProjection)
	set(&n.HistoryLogSet, d.HistoryLogSet)
	set(&n.HistoryDetailsSet, d.HistoryDetailsSet)
	set(&n.HistoryAttributeNav, d.HistoryAttributeNav)
	return n
}

// Faults is the fault injection of a run. It is not documented IFS
// behaviour: it exists so resilience can be tested. JSON field names are
// what GET/PUT /_sandbox/faults read and write.
type Faults struct {
	// RateLimitPerMinute, when > 0, answers 429 with Retry-After once a
	// client goes over it (token bucket, burst RateBurst). Each IAM client
	// (client_id of the bearer token) has its own bucket, as behind a real
	// API gateway; calls without a token the sandbox issued share one.
	RateLimitPerMinute int `json:"rate_limit_per_minute"`
	// RateBurst is the bucket size (default RateLimitPerMinute/60, at least 1).
	RateBurst int `json:"rate_burst"`
	// ServerRateLimitPerMinute, when > 0, also caps all clients together
	// (burst: a second's worth, at least 1): what a small tenant's
	// environment takes in total.
	ServerRateLimitPerMinute int `json:"server_rate_limit_per_minute"`
	// Error429Rate is the share of API calls answered 429 with Retry-After
	// whatever the client's rate: the "fair-use throttling" of a busy
	// tenant, on top of the rate limits (0..1).
	Error429Rate float64 `json:"error_429_rate"`
	// Error503Rate is the share of API calls answered 503 (0..1).
	Error503Rate float64 `json:"error_503_rate"`
	// Gateway502Rate is the share answered by an HTML 502 "gateway" page.
	Gateway502Rate float64 `json:"gateway_502_rate"`
	// LatencyMS is added to every API and token call.
	LatencyMS int `json:"latency_ms"`
	// TokenLifetimeS, when > 0, makes tokens die after this many seconds
	// while still announcing the configured expires_in (early expiry).
	TokenLifetimeS int `json:"token_lifetime_s"`
	// ConcurrentEditRate is the share of single-entity GETs on writable sets
	// after which a "concurrent user" changes the record, so the caller's
	// next PATCH with the ETag it just read gets 412.
	ConcurrentEditRate float64 `json:"concurrent_edit_rate"`
	// ConcurrentEdits makes the next N such GETs certain to be followed by a
	// concurrent change (counts down).
	ConcurrentEdits int `json:"concurrent_edits"`
	// LostAnswerRate is the share of committed writes whose answer is lost:
	// the write (POST, PATCH, PUT, DELETE, or a $batch that stored
	// something) is fully processed and stored, but the client gets
	// LostAnswerMode instead of the answer. A write that failed (nothing
	// stored, e.g. a 400 or a rolled-back change set) is answered normally.
	// This is what makes a blind retry of a POST create a duplicate.
	LostAnswerRate float64 `json:"lost_answer_rate"`
	// LostAnswers makes the next N committed writes lose their answer
	// (counts down; see also POST /_sandbox/lose-next-writes).
	LostAnswers int `json:"lost_answers"`
	// LostAnswerMode is how an answer is lost: LostGateway ("gateway", the
	// default when empty) sends the gateway's HTML 502 page, LostReset
	// ("reset") resets the TCP connection without any answer.
	LostAnswerMode string `json:"lost_answer_mode"`
}

// Ways to lose an answer (Faults.LostAnswerMode).
const (
	LostGateway = "gateway"
	LostReset   = "reset"
)

// Validate reports a fault setting the sandbox cannot apply.
func (f Faults) Validate() error {
	rates := map[string]float64{"error_429_rate": f.Error429Rate, "error_503_rate": f.Error503Rate, "gateway_502_rate": f.Gateway502Rate,
		"concurrent_edit_rate": f.ConcurrentEditRate, "lost_answer_rate": f.LostAnswerRate}
	for name, r := range rates {
		if r < 0 || r > 1 {
			return fmt.Errorf("%s %v is not a share between 0 and 1", name, r)
		}
	}
	for name, n := range map[string]int{"rate_limit_per_minute": f.RateLimitPerMinute, "rate_burst": f.RateBurst,
		"server_rate_limit_per_minute": f.ServerRateLimitPerMinute,
		"latency_ms":                   f.LatencyMS, "token_lifetime_s": f.TokenLifetimeS, "concurrent_edits": f.ConcurrentEdits,
		"lost_answers": f.LostAnswers} {
		if n < 0 {
			return fmt.Errorf("%s %d is negative", name, n)
		}
	}
	switch f.LostAnswerMode {
	case "", LostGateway, LostReset:
	default:
		return fmt.Errorf("lost_answer_mode %q: want %q or %q", f.LostAnswerMode, LostGateway, LostReset)
	}
	return nil
}

// DefaultRateLimit is the request rate a client may make that the sandbox
// command enforces unless told otherwise (about what a small IFS tenant
// tolerates); it applies to each IAM client on its own.
const DefaultRateLimit = 1000
