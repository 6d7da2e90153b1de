package ifs

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

//go:embed profile.json
var defaultProfileJSON []byte

// Profile maps the connector's logical resources onto one tenant's OData
// surface: prefix, projection, entity set, navigation and field names. Most
// names on the IFS side are unconfirmed or change between releases, so an
// administrator adapts a profile file instead of waiting for a rebuild.
//
// A profile file only needs what differs from the default: it is laid over
// DefaultProfile, field by field.
type Profile struct {
	Name string `json:"name"`
	// Batch allows $batch change sets for creating an invoice atomically.
	Batch bool `json:"batch"`
	// StateFilter is "server" (filter Objstate in $filter), "client" (read
	// by date, filter states here, for tenants that answer 400 to any
	// Objstate filter) or "auto" (server first, client after such a 400).
	StateFilter string `json:"state_filter"`

	PurchaseOrders     Resource `json:"purchase_orders"`
	PurchaseOrderLines Resource `json:"purchase_order_lines"`
	Suppliers          Resource `json:"suppliers"`
	CodeParts          Resource `json:"code_parts"`
	SupplierInvoices   Resource `json:"supplier_invoices"`
	// InvoiceLines and PostingProposal are navigations of a supplier
	// invoice; only Navigation and Fields apply.
	InvoiceLines    Resource `json:"invoice_lines"`
	PostingProposal Resource `json:"posting_proposal"`
	// SelfBilling says which supplier invoices go out as 810s.
	SelfBilling SelfBillingProfile `json:"self_billing"`
}

// SelfBillingProfile selects the self-billing supplier invoices to send
// (core/ifs/SELF_BILLING.md: what the public record says and what is a
// guess). The invoices live in supplier_invoices; its logical fields
// SelfBilling (marker of a self-billing invoice), EdiSent (the "already
// sent" marker the connector sets after sending) and CreationDate may be
// mapped to the tenant's names or to "-" when it has no such field.
type SelfBillingProfile struct {
	// States are the Objstates in which an invoice is final enough to send.
	States []string `json:"states"`
	// OverlapDays: without an EdiSent field, invoices created since the
	// newest one sent minus this many days are read again (an invoice
	// created earlier may reach a sendable state later); the connector's
	// own store is then the record of what was sent.
	OverlapDays int `json:"overlap_days"`
}

// Resource is where one logical resource lives and what its fields are called.
type Resource struct {
	// Prefix is "main" or "int" (the gateway path).
	Prefix string `json:"prefix,omitempty"`
	// API is "projection" (…/projection/v1/X.svc) or "entity" (…/entity/v1/X.svc).
	API        string `json:"api,omitempty"`
	Projection string `json:"projection,omitempty"`
	EntitySet  string `json:"entity_set,omitempty"`
	// Navigation is the path from a parent entity: "Code{Part}Array" for
	// code parts, where {Part} is A…J; for suppliers, the optional
	// per-company invoice data (currency, payment terms).
	Navigation string `json:"navigation,omitempty"`
	// StateEnum is the enumeration type of Objstate, for qualified literals.
	StateEnum string `json:"state_enum,omitempty"`
	// PartyTypeEnum is the enumeration of an invoice's PartyType.
	PartyTypeEnum string `json:"party_type_enum,omitempty"`
	// Fields renames logical fields (the reference names, e.g. "VendorNo")
	// to the tenant's names. Unlisted fields keep their logical name; "-"
	// marks a field the tenant does not have.
	Fields map[string]string `json:"fields,omitempty"`
}

// Logical resource names, as used in errors, profiles and TestConnection.
const (
	ResPurchaseOrders     = "purchase_orders"
	ResPurchaseOrderLines = "purchase_order_lines"
	ResSuppliers          = "suppliers"
	ResCodeParts          = "code_parts"
	ResSupplierInvoices   = "supplier_invoices"
	ResInvoiceLines       = "invoice_lines"
	ResPostingProposal    = "posting_proposal"
)

var codeFields = []string{"Account", "CodeB", "CodeC", "CodeD", "CodeE", "CodeF", "CodeG", "CodeH", "CodeI", "CodeJ"}

// logicalFields lists, per resource, the fields the client reads or writes.
var logicalFields = map[string][]string{
	ResPurchaseOrders: {"OrderNo", "Company", "Contract", "VendorNo", "OrderDate", "WantedReceiptDate",
		"CurrencyCode", "BuyerCode", "AuthorizeCode", "Objstate"},
	ResPurchaseOrderLines: append([]string{"OrderNo", "LineNo", "ReleaseNo", "PartNo", "VendorPartNo", "Description",
		"BuyQtyDue", "BuyUnitMeas", "BuyUnitPrice", "NetAmtCurr", "CurrencyCode", "WantedDeliveryDate", "Objstate",
		// Optional [I]: quantities received and invoiced in IFS; a tenant
		// without them maps them to "-" (or its rows simply lack them).
		"QtyReceived", "QtyInvoiced"}, codeFields...),
	ResSuppliers: {"SupplierId", "Name", "CountryCode", "Currency", "PayTermId", "Objstate", "Company",
		// The partner's EDI identity on the supplier [I]: where a tenant
		// keeps it (an external reference field, a custom field) is
		// tenant set-up; "-" when it has no such place
		// (core/ifs/SUPPLIER_EDI.md).
		"EdiAddress", "EdiAlias"},
	ResCodeParts: {"Company", "CodePart", "Value", "Description", "ValidFrom", "ValidUntil"},
	ResSupplierInvoices: {"Company", "InvoiceId", "InvoiceNo", "Identity", "PartyType", "InvoiceDate", "DueDate",
		"Currency", "PayTermId", "PoRefNumber", "GrossAmount", "NetCurrAmount", "VatCurrAmount", "Objstate",
		// Self-billing [I]: the marker, the "already sent" flag and the
		// creation time (core/ifs/SELF_BILLING.md).
		"SelfBilling", "EdiSent", "CreationDate"},
	ResInvoiceLines: {"ItemId", "VatCode", "NetCurrAmount", "VatCurrAmount", "OrderNo", "LineNo", "ReleaseNo", "Text",
		// What a self-billing line bills [I]: read only for outbound 810s.
		"Quantity", "UnitPrice", "UnitMeas"},
	ResPostingProposal: append([]string{"RowNo", "CurrAmount", "Text", "TaxCode"}, codeFields...),
}

// DefaultProfile returns the embedded profile: the names of the reference
// (ifs-cloud.md §8.3), which the sandbox serves by default.
func DefaultProfile() *Profile {
	p, err := ParseProfile(nil)
	if err != nil {
		panic("ifs: embedded profile: " + err.Error())
	}
	return p
}

// ParseProfile lays data (JSON, may be empty) over the default profile and
// validates the result.
func ParseProfile(data []byte) (*Profile, error) {
	p := &Profile{}
	if err := strictDecode(defaultProfileJSON, p); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := strictDecode(data, p); err != nil {
			return nil, fmt.Errorf("resource profile: %w", err)
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func strictDecode(data []byte, p *Profile) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(p)
}

// LoadProfile reads a profile file (see ParseProfile).
func LoadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("resource profile: %w", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks every name, so that a typo shows up when the profile is
// loaded, with the resource and field it concerns, and not as a 404 later.
func (p *Profile) Validate() error {
	var errs []error
	bad := func(res, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", res, fmt.Sprintf(format, args...)))
	}
	switch p.StateFilter {
	case "auto", "server", "client":
	case "":
		p.StateFilter = "auto"
	default:
		bad("state_filter", "%q is not one of auto, server, client", p.StateFilter)
	}
	ident := func(res, what, v string, required bool) {
		switch {
		case v == "" && required:
			bad(res, "%s is missing", what)
		case v != "" && !identRE.MatchString(v):
			bad(res, "%s %q is not an OData identifier (letters, digits, _)", what, v)
		}
	}
	for _, r := range p.resources() {
		name, res := r.name, r.res
		if r.child {
			ident(name, "navigation", res.Navigation, true)
			if res.Prefix != "" || res.Projection != "" || res.EntitySet != "" || res.API != "" {
				bad(name, "is a navigation of supplier_invoices: set only navigation and fields")
			}
		} else {
			if res.Prefix != "main" && res.Prefix != "int" {
				bad(name, "prefix %q must be \"main\" or \"int\"", res.Prefix)
			}
			switch res.API {
			case "", "projection":
			case "entity":
				if res.Prefix != "int" {
					bad(name, "entity services exist only under the int prefix")
				}
			default:
				bad(name, "api %q must be \"projection\" or \"entity\"", res.API)
			}
			ident(name, "projection", res.Projection, true)
			ident(name, "entity_set", res.EntitySet, true)
			nav := strings.ReplaceAll(res.Navigation, "{Part}", "A")
			ident(name, "navigation", nav, name == ResCodeParts)
		}
		ident(name, "state_enum", res.StateEnum, false)
		ident(name, "party_type_enum", res.PartyTypeEnum, name == ResSupplierInvoices)
		known := map[string]bool{}
		for _, f := range logicalFields[name] {
			known[f] = true
		}
		keys := make([]string, 0, len(res.Fields))
		for k := range res.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !known[k] {
				bad(name, "fields: unknown logical field %q (known: %s)", k, strings.Join(logicalFields[name], ", "))
				continue
			}
			if v := res.Fields[k]; v != "-" {
				ident(name, "field "+k, strings.ReplaceAll(v, "{Part}", "A"), true)
			}
		}
	}
	if len(p.SelfBilling.States) == 0 {
		bad("self_billing", "states is empty: name the Objstates in which a self-billing invoice is sent")
	}
	if p.SelfBilling.OverlapDays < 0 {
		bad("self_billing", "overlap_days %d must be zero or more", p.SelfBilling.OverlapDays)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid resource profile %q: %w", p.Name, errors.Join(errs...))
	}
	return nil
}

type namedResource struct {
	name  string
	res   *Resource
	child bool
}

func (p *Profile) resources() []namedResource {
	return []namedResource{
		{ResPurchaseOrders, &p.PurchaseOrders, false},
		{ResPurchaseOrderLines, &p.PurchaseOrderLines, false},
		{ResSuppliers, &p.Suppliers, false},
		{ResCodeParts, &p.CodeParts, false},
		{ResSupplierInvoices, &p.SupplierInvoices, false},
		{ResInvoiceLines, &p.InvoiceLines, true},
		{ResPostingProposal, &p.PostingProposal, true},
	}
}

// Field returns the tenant's name for a logical field.
// A field mapped to "-" does not exist on the tenant: it is neither read
// nor written, and Field returns "".
func (r *Resource) Field(logical string) string {
	if v, ok := r.Fields[logical]; ok && v != "" {
		if v == "-" {
			return ""
		}
		return v
	}
	return logical
}

// ServicePath is the path of the resource's service root, without a
// trailing slash: "/main/ifsapplications/projection/v1/PurchaseOrderHandling.svc".
func (r *Resource) ServicePath() string {
	api := "projection"
	if r.API == "entity" {
		api = "entity"
	}
	return "/" + r.Prefix + "/ifsapplications/" + api + "/v1/" + r.Projection + ".svc"
}

// Enum returns the qualified literal of an enumeration value as IFS wants it
// in $filter and keys: IfsApp.{Projection}.{Enum}'Value'.
func (r *Resource) Enum(enumType, value string) Value {
	return EnumValue(r.Projection, enumType, value)
}
