package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/ifs"
)

// IFSClient adapts *ifs.Client to the engine's IFS port.
type IFSClient struct {
	C       *ifs.Client
	Company string
	// States are the order states read for 850s (default Released,
	// Confirmed and Cancelled).
	States []string
}

var (
	_ IFS            = (*IFSClient)(nil)
	_ IFSSelfBilling = (*IFSClient)(nil)
	_ IFSSupplierEDI = (*IFSClient)(nil)
)

// HasSupplierEDIIdentity reports whether the profile names a place on the
// IFS supplier for a partner's EDI identity.
func (a *IFSClient) HasSupplierEDIIdentity() bool { return a.C.HasSupplierEDIIdentity() }

// SetSupplierEDIIdentity writes a partner's EDI identity onto its supplier.
func (a *IFSClient) SetSupplierEDIIdentity(ctx context.Context, supplierID, address, alias string) (domain.Supplier, error) {
	return a.C.SetSupplierEDIIdentity(ctx, supplierID, address, alias)
}

// SelfBillingInvoices lists the due self-billing invoices of the suppliers.
func (a *IFSClient) SelfBillingInvoices(ctx context.Context, suppliers []string, since time.Time) ([]domain.SupplierInvoice, error) {
	return a.C.SelfBillingInvoices(ctx, ifs.SelfBillingQuery{Company: a.Company, Suppliers: suppliers, Since: since})
}

// MarkSelfBillingSent sets the invoice's "already sent" marker.
func (a *IFSClient) MarkSelfBillingSent(ctx context.Context, company string, invoiceID int64) error {
	_, err := a.C.MarkSelfBillingSent(ctx, company, invoiceID)
	return err
}

// HasSentMarker reports whether the tenant has an "already sent" field.
func (a *IFSClient) HasSentMarker() bool { return a.C.HasSentMarker() }

// PurchaseOrders lists order headers; lines are read per changed order.
func (a *IFSClient) PurchaseOrders(ctx context.Context) ([]domain.PurchaseOrder, error) {
	st := a.States
	if len(st) == 0 {
		st = []string{"Released", "Confirmed", "Cancelled"}
	}
	return a.C.PurchaseOrders(ctx, ifs.POQuery{States: st})
}

// PurchaseOrder reads one order with its lines.
func (a *IFSClient) PurchaseOrder(ctx context.Context, no string) (domain.PurchaseOrder, error) {
	po, err := a.C.PurchaseOrder(ctx, no)
	if err != nil {
		return domain.PurchaseOrder{}, err
	}
	return *po, nil
}

// Suppliers lists suppliers.
func (a *IFSClient) Suppliers(ctx context.Context) ([]domain.Supplier, error) {
	return a.C.Suppliers(ctx)
}

// CodePartValues lists one code part of the company.
func (a *IFSClient) CodePartValues(ctx context.Context, part string) ([]domain.CodePartValue, error) {
	return a.C.CodePartValues(ctx, a.Company, part)
}

// FindSupplierInvoice looks an invoice up by supplier and number.
func (a *IFSClient) FindSupplierInvoice(ctx context.Context, company, sup, no string) (domain.SupplierInvoice, bool, error) {
	inv, err := a.C.FindSupplierInvoice(ctx, company, sup, no)
	if err != nil || inv == nil {
		return domain.SupplierInvoice{}, false, err
	}
	return *inv, true, nil
}

// CreateSupplierInvoice creates an invoice with lines and postings.
func (a *IFSClient) CreateSupplierInvoice(ctx context.Context, inv domain.SupplierInvoice) (domain.SupplierInvoice, error) {
	out, err := a.C.CreateSupplierInvoice(ctx, inv)
	if err != nil {
		return inv, err
	}
	return *out, nil
}

// TestConnection checks the IFS settings step by step.
func (a *IFSClient) TestConnection(ctx context.Context) domain.TestReport {
	return a.C.TestConnection(ctx)
}

// CleoTransport adapts a cleo.Transport to the engine's Cleo port.
type CleoTransport struct{ T cleo.Transport }

var _ Cleo = CleoTransport{}

// Partners lists trading partners.
func (a CleoTransport) Partners(ctx context.Context) ([]domain.Partner, error) {
	return a.T.Partners(ctx)
}

// Inbound lists waiting files.
func (a CleoTransport) Inbound(ctx context.Context) ([]domain.RemoteFile, error) {
	return a.T.Inbound(ctx)
}

// InboundEach streams the listing where the transport can (REST); other
// transports answer ErrUnsupported and are listed whole with Inbound.
func (a CleoTransport) InboundEach(ctx context.Context, each func(domain.RemoteFile) error) (int, error) {
	t, ok := a.T.(interface {
		InboundEach(ctx context.Context, each func(domain.RemoteFile) error) (int, error)
	})
	if !ok {
		return 0, unsupportedErr{errors.ErrUnsupported}
	}
	return t.InboundEach(ctx, each)
}

var _ InboundStream = CleoTransport{}

// Open streams a file.
func (a CleoTransport) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	return a.T.Open(ctx, id)
}

// Ack marks a file picked up.
func (a CleoTransport) Ack(ctx context.Context, id string) error { return a.T.Ack(ctx, id) }

// Send uploads under a deterministic name.
func (a CleoTransport) Send(ctx context.Context, partnerID, name string, content []byte) (domain.SendResult, error) {
	return a.T.Send(ctx, domain.Partner{ID: partnerID}, name, bytes.NewReader(content))
}

// SetPartnerExternalID writes the supplier id back; unsupported transports
// answer a KindInvalid error the engine skips.
func (a CleoTransport) SetPartnerExternalID(ctx context.Context, partnerID, ext string) error {
	err := a.T.SetPartnerExternalID(ctx, partnerID, ext)
	if errors.Is(err, errors.ErrUnsupported) {
		return unsupportedErr{err}
	}
	return err
}

var _ Deliveries = CleoTransport{}

// TracksDelivery reports whether the transport can follow a file after Send.
func (a CleoTransport) TracksDelivery() bool {
	_, ok := a.T.(cleo.DeliveryTracker)
	return ok
}

// Delivery asks the transport what became of a sent file.
func (a CleoTransport) Delivery(ctx context.Context, partnerID, alias string, sent domain.SendResult) (domain.DeliveryReport, error) {
	t, ok := a.T.(cleo.DeliveryTracker)
	if !ok {
		return domain.DeliveryReport{}, unsupportedErr{errors.ErrUnsupported}
	}
	return t.Delivery(ctx, domain.Partner{ID: partnerID, Alias: alias}, sent)
}

// DeliveredSince reads the transport's send log since a time (REST only);
// other transports answer ErrUnsupported and are asked file by file.
func (a CleoTransport) DeliveredSince(ctx context.Context, since time.Time, max int) (func(partnerID, alias string, sent domain.SendResult) (domain.DeliveryReport, bool), error) {
	t, ok := a.T.(interface {
		SendLog(ctx context.Context, since time.Time, max int) (cleo.SendLog, error)
	})
	if !ok {
		return nil, unsupportedErr{errors.ErrUnsupported}
	}
	log, err := t.SendLog(ctx, since, max)
	if err != nil {
		return nil, err
	}
	return func(partnerID, alias string, sent domain.SendResult) (domain.DeliveryReport, bool) {
		return log.Delivered(domain.Partner{ID: partnerID, Alias: alias}, sent.Name)
	}, nil
}

var _ DeliveryLog = CleoTransport{}

// Redeliver sends a file again when the transport confirms it did not go out.
func (a CleoTransport) Redeliver(ctx context.Context, partnerID, alias string, sent domain.SendResult, content []byte) (domain.DeliveryReport, error) {
	t, ok := a.T.(cleo.DeliveryTracker)
	if !ok {
		return domain.DeliveryReport{}, unsupportedErr{errors.ErrUnsupported}
	}
	return t.Redeliver(ctx, domain.Partner{ID: partnerID, Alias: alias}, sent, bytes.NewReader(content))
}

// TestConnection checks the Cleo settings step by step.
func (a CleoTransport) TestConnection(ctx context.Context) domain.TestReport {
	return a.T.TestConnection(ctx)
}

type unsupportedErr struct{ error }

func (unsupportedErr) ErrorKind() domain.ErrorKind { return domain.KindInvalid }
func (e unsupportedErr) Unwrap() error             { return e.error }

// SupplierInvoice reads an invoice with its lines and posting proposal.
func (a *IFSClient) SupplierInvoice(ctx context.Context, company string, invoiceID int64) (domain.SupplierInvoice, error) {
	out, err := a.C.SupplierInvoice(ctx, company, invoiceID)
	if err != nil {
		return domain.SupplierInvoice{}, err
	}
	return *out, nil
}

// CorrectSupplierInvoice changes an editable invoice from seen to want
// (read ETag, PATCH If-Match, row by row).
func (a *IFSClient) CorrectSupplierInvoice(ctx context.Context, seen, want domain.SupplierInvoice) (ifs.CorrectionResult, error) {
	return a.C.CorrectSupplierInvoice(ctx, seen, want)
}

// Pace reports the client's rate limit and IFS's measured answer time.
func (a *IFSClient) Pace() (float64, time.Duration) { return a.C.Limiter().PerMinute(), a.C.Latency() }

var _ Pacer = (*IFSClient)(nil)
