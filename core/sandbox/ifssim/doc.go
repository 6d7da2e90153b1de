// Package ifssim is the IFS Cloud sandbox: an http.Handler that answers like
// an IFS Cloud tenant's OData v4 API over the seeded world of
// core/sandbox/world. It follows section 8 of
// ../shared/reference/ifs-cloud.md and is meant to stay faithful to that
// reference rather than to any client: tests in this package hit the raw
// HTTP surface.
//
// # URL space (default names; every unconfirmed one is in Config.Names)
//
//	POST /auth/realms/{realm}/protocol/openid-connect/token      client credentials, Keycloak errors
//	GET  /auth/realms/{realm}/.well-known/openid-configuration
//	/{main|int}/ifsapplications/projection/v1/
//	    PurchaseOrderHandling.svc/PurchaseOrderSet                 (+ (OrderNo='…')/PurchaseOrderLineArray)
//	    PurchaseOrderHandling.svc/PurchaseOrderLineNopartSet
//	    SupplierHandling.svc/SupplierInfoGeneralSet                (also SuppliersHandling.svc;
//	                                                               navs SupplierInvoiceCompanies, SupplierInfoAddresses)
//	    CodePartValuesHandling.svc/CompanyFinanceSet(Company='MLC01')/CodeAArray | CodeBArray
//	    ManualSupplierInvoiceHandling.svc/ManSuppInvoiceSet        (+ (Company='…',InvoiceId=n)/InvoiceItemArray
//	                                                               and /PostingProposalArray)
//	    HistoryLogHandling.svc/HistoryLogOverviewSet, HistoryLogDetailsSet(LogId=n)/HistoryLogAttributeArray
//	    {Projection}.svc/ , /$metadata , /$batch
//	/int/ifsapplications/entity/v1/
//	    PurchaseOrderLineEntity.svc/PurchaseOrderLineSet
//	    PurchaseOrderLinePartEntity.svc/PurchaseOrderLinePartSet
//
// A service on a root it is not configured for (Names.Roots) answers 404.
// Clients: DefaultClientID may use every projection, LimitedClientID only
// PurchaseOrderHandling (anything else answers 403 FORBIDDEN).
//
// # Behaviour
//
// Bearer tokens on every call (401 UNAUTHORIZED with an OData error body
// and WWW-Authenticate otherwise); rows carry @odata.etag
// (W/"base64(W/"Objid:Objversion")"), luname, keyref, Objgrants and
// Objstate; $filter, $select, $orderby, $top, $skip, $count and /$count,
// server paging with @odata.nextLink ($skiptoken), $expand of a collection
// answers 400 ODP_NOT_IMPLEMENTED; POST 201 + ETag + Location; PATCH with
// If-Match (stale: 412 ETAG_MISMATCH, "*" skips the check), PATCH without
// If-Match upserts; DELETE needs If-Match (without it 428
// PRECONDITION_REQUIRED: the reference is silent there, see delete in
// odata.go) and only removes Preliminary invoices; If-None-Match 400; business rules
// (unknown supplier, invalid account or code part, duplicate supplier
// invoice number) answer 400 DATABASE_ERROR with an ORA-20xxx message;
// $batch with atomic change sets, Content-ID/$n references and
// odata.continue-on-error; IEEE754Compatible=true sends decimals as strings.
//
// # Faults and control
//
// Fault injection (Faults: rate limit with 429 + Retry-After per IAM client,
// as an API gateway keeps it, plus an optional whole-server cap, random 503,
// HTML 502 from a "gateway", added latency, early token expiry, a
// "concurrent user" editing a record between a client's GET and PATCH, and
// the "lost answer": a write that is stored but answered by the gateway's
// 502 or a reset connection, at a rate or for the next N writes) is
// set in Config.Faults and changed at run time with Server.SetFaults or
// PUT /_sandbox/faults. The control API under /_sandbox (no token, outside
// the IFS URL space) also resets the sandbox, expires tokens, reports Stats,
// lists the invoices clients created, posts or cancels them, makes the
// next N writes lose their answer and changes purchase orders (release one
// to trigger an outbound 850); see control.go. The same operations are
// Server methods for in-process tests.
//
// The sandbox keeps everything in memory and serialises requests with one
// lock; it is for tests and demos, not load. A $batch change set records an
// undo log of the rows and tables it touches and plays it back on failure,
// so atomicity costs what the change set writes, not the size of the store.
package ifssim
