// Package cleo is the connector's side of Cleo Integration Cloud (and of the
// on-premises Harmony/VLTrader products): listing trading partners, picking up
// inbound EDI files (810s, 997s) and delivering outbound ones (850s).
//
// Three transports implement the same Transport interface, so the engine
// does not care how a customer reaches Cleo:
//
//   - REST (NewREST): the /api surface of the reference. Parts of it are
//     confirmed Cleo behaviour (password grant on /api/authentication, bearer
//     tokens, SCIM paging, {"message"} errors); the file endpoints fill gaps
//     with a design in Cleo's style. Everything designed is isolated in
//     RESTConfig knobs and the restPaths table, so it can be swapped when a
//     customer shows the real endpoints.
//   - SFTP mailbox (NewSFTP): a partner mailbox reached over SFTP.
//   - Folder (NewFolder): a Harmony/VLTrader inbox/outbox on a local or
//     mounted share.
//
// The conformance suite in core/cleo/cleotest runs the same behaviour tests
// against all three, in the manner of restic's backend tests.
package cleo

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Transport is one way of reaching Cleo. The engine declares its own copy
// of the methods it needs; this one exists for the conformance suite and
// for callers that hold "some transport".
type Transport interface {
	// Partners lists the trading partners (connections or mailboxes).
	Partners(ctx context.Context) ([]domain.Partner, error)
	// Inbound lists the files waiting for us, oldest first, paged to the end.
	Inbound(ctx context.Context) ([]domain.RemoteFile, error)
	// Open streams the content of an inbound file.
	Open(ctx context.Context, id string) (io.ReadCloser, error)
	// Ack marks a file picked up; acking an already acked file is not an error.
	Ack(ctx context.Context, id string) error
	// Send delivers content to partner under name. A name the network
	// already holds means an earlier attempt delivered it: the result then
	// has AlreadyPresent set and the error is nil.
	Send(ctx context.Context, partner domain.Partner, name string, content io.Reader) (domain.SendResult, error)
	// SetPartnerExternalID stores the IFS supplier id on the partner where
	// the network has such a field; an error matching errors.ErrUnsupported
	// otherwise.
	SetPartnerExternalID(ctx context.Context, partnerID, supplierID string) error
	// TestConnection checks the settings step by step for the admin screen.
	TestConnection(ctx context.Context) domain.TestReport
	// Close releases connections.
	Close() error
}

type externalIDKey struct{}

// WithExternalID attaches the id an outbound file is about (the PO number)
// to ctx; the REST transport sends it as the upload's externalId, which Cleo
// copies into the transfer log. Transports without such a field ignore it.
func WithExternalID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, externalIDKey{}, id)
}

func externalIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(externalIDKey{}).(string)
	return s
}

// CheckName rejects names that are not a plain file name: an outbound name
// must land in the outbox itself, never elsewhere on the server.
func CheckName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return &Error{Op: "check name", Kind: domain.KindInvalid, Message: fmt.Sprintf("invalid file name %q", name)}
	case strings.ContainsAny(name, "/\\\x00") || path.Base(name) != name:
		return &Error{Op: "check name", Kind: domain.KindInvalid, Message: fmt.Sprintf("file name %q must not contain a path", name)}
	case strings.HasPrefix(name, "."):
		return &Error{Op: "check name", Kind: domain.KindInvalid, Message: fmt.Sprintf("file name %q must not start with a dot (reserved for partial uploads)", name)}
	}
	return nil
}

// OutboundName builds the deterministic name of an outbound file from what
// identifies the document: e.g. OutboundName("850", "P10001", "3") gives
// "850_P10001_3.edi". The same inputs always give the same name, so a retry
// after a crash is recognised by the network as a duplicate; characters that
// are unsafe in file names become '-'.
func OutboundName(docType string, keys ...string) string {
	parts := append([]string{docType}, keys...)
	for i, p := range parts {
		parts[i] = strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
				return r
			}
			return '-'
		}, p)
	}
	return strings.Join(parts, "_") + ".edi"
}
