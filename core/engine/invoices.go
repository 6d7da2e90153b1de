package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// maxFileSize bounds a download held in memory and stored as one row.
const maxFileSize = 64 << 20

// ParsedForm is what the engine stores as a document's parsed form: the
// set's envelope, its problems, the typed content, and what the engine made
// of it (the would-be IFS payload, the 850 sent). It is the contract with
// the screens: they decode it with DecodeParsed, so renaming a member breaks
// the build, not a clerk's view.
type ParsedForm struct {
	Set       SetInfo                 `json:"set"`
	Errors    []string                `json:"errors,omitempty"`
	Warnings  []string                `json:"warnings,omitempty"`
	Invoice   *Invoice                `json:"invoice,omitempty"`
	Ack       *Ack                    `json:"ack,omitempty"`
	Payload   *domain.SupplierInvoice `json:"ifs_payload,omitempty"`
	IFSResult *domain.SupplierInvoice `json:"ifs_result,omitempty"`
	PO        *PO850                  `json:"purchase_order,omitempty"`
	// SelfBilling is an outbound self-billing invoice (the 810 we wrote).
	SelfBilling    *SelfBilling810 `json:"self_billing,omitempty"`
	ETag           string          `json:"etag,omitempty"`
	MappingVersion int64           `json:"mapping_version,omitempty"`
	// Override is an approver's acceptance of this invoice despite one
	// match problem; OriginalPO is the PO the supplier quoted before a
	// clerk re-referenced the invoice to another one.
	Override   *Override `json:"override,omitempty"`
	OriginalPO string    `json:"original_po,omitempty"`
}

// SetInfo is the envelope of a stored transaction set.
type SetInfo struct {
	ID           string `json:"id"`
	Index        int    `json:"index"`
	SenderQual   string `json:"sender_qualifier"`
	SenderID     string `json:"sender_id"`
	ReceiverQual string `json:"receiver_qualifier"`
	ReceiverID   string `json:"receiver_id"`
	ISAControl   string `json:"isa_control"`
	GSControl    string `json:"gs_control"`
	GSFunctional string `json:"functional_id"`
	STControl    string `json:"st_control"`
	Version      string `json:"version"`
}

func infoOf(s Set) SetInfo {
	return SetInfo{ID: s.ID, Index: s.Index, SenderQual: s.SenderQual, SenderID: s.SenderID, ReceiverQual: s.ReceiverQual,
		ReceiverID: s.ReceiverID, ISAControl: s.ISAControl, GSControl: s.GSControl, GSFunctional: s.GSFunctional,
		STControl: s.STControl, Version: s.Version}
}

// DecodeParsed reads a document's stored parsed form; an empty one is the
// zero form.
func DecodeParsed(raw []byte) (ParsedForm, error) {
	var pf ParsedForm
	if len(raw) == 0 {
		return pf, nil
	}
	if err := json.Unmarshal(raw, &pf); err != nil {
		return pf, fmt.Errorf("parsed form: %w", err)
	}
	return pf, nil
}

func (e *Engine) loadParsed(ctx context.Context, id int64) (store.Document, ParsedForm, error) {
	d, err := e.st.Document(ctx, id)
	if err != nil {
		return d, ParsedForm{}, err
	}
	var pf ParsedForm
	if len(d.Parsed) > 0 {
		if err := json.Unmarshal(d.Parsed, &pf); err != nil {
			return d, pf, fmt.Errorf("document %d parsed form: %w", id, err)
		}
	}
	return d, pf, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only engine-owned types are marshalled
	}
	return b
}

// runInvoices is the inbound flow: fetch and store every waiting file, split
// it into documents, ack it, then process every queued inbound document.
//
// Cleo and IFS work side by side: while Cleo's files are downloaded and
// split batch by batch, the documents already split are judged against
// IFS, and once everything is fetched the 997s go back to Cleo while the
// last invoices are still being posted. IFS's rate limit is the budget a
// run spends; waiting on Cleo with it unused is what made month-end slow.
// The store commit of each file still comes before its ack, and invoices
// that share an order or a number are still judged in order, one at a
// time (inboundClaim).
func (e *Engine) runInvoices(ctx context.Context, r *run) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return err
	}
	q := newClaimQueue(cfg.inboundClaim)
	// What a crash or an earlier run left waiting goes first.
	left, err := e.st.Documents(ctx, store.DocumentQuery{Direction: store.Inbound,
		Statuses: []store.Status{store.StatusReceived, store.StatusPosting}, Oldest: true, Limit: 1 << 30})
	if err != nil {
		return err
	}
	r.addTotal(len(left))
	q.add(left...)
	// Every file split from now on feeds the queue at once, while fewer
	// than maxWaiting documents wait: beyond that the fetch waits for the
	// judging, so a backlog of 50,000 files is not all in memory at once.
	fctx := context.WithValue(ctx, splitHookKey{}, func(ds []store.Document) {
		r.addTotal(len(ds))
		q.addWait(ds...)
	})
	fetched := make(chan error, 1)
	acked := make(chan error, 1)
	// The 997s are built with the split, in the store transaction of their
	// file: they go back in rounds while later files download and earlier
	// invoices are judged, never before their file is stored.
	// A failed round ends the rounds but not the run: the invoices are
	// still judged, and the error is the run's once they are.
	finish997 := e.sendInRounds(ctx, r, store.Type997, func() {})
	go func() {
		err := e.fetchInbound(fctx, r)
		q.close()
		fetched <- err
		if err != nil {
			cancel()
			_ = finish997() // the run failed; what is left goes next run
			acked <- nil
			return
		}
		// Everything is stored: the last 997s go back while the last
		// invoices are still being judged.
		err = finish997()
		if err == nil {
			err = e.trackDeliveries(ctx, r, store.Type997)
		}
		acked <- err
	}()
	workErr := q.run(ctx, e.ifsWorkers(), func(ctx context.Context, d store.Document) error {
		return e.handleInbound(ctx, r, cfg, d)
	})
	if workErr != nil {
		cancel()
	}
	fetchErr := <-fetched
	ackErr := <-acked
	for _, err := range []error{fetchErr, workErr, ackErr} {
		if err != nil {
			return err
		}
	}
	return e.recheckWaiting(ctx, r)
}

// splitHookKey carries, in a run's context, the function that queues the
// documents of each file as soon as it is split.
type splitHookKey struct{}

// waitingReasons are exceptions that resolve themselves when IFS changes
// (goods arrive): every invoice run checks them again without writing
// anything, and replays those that would now post.
var waitingReasons = []string{string(ReasonNotReceived)}

// recheckWaiting replays the waiting invoices whose check now passes. A
// check that still fails leaves no trace (no audit event per run); one
// that passes is replayed as the system, audited like a clerk's replay.
func (e *Engine) recheckWaiting(ctx context.Context, r *run) error {
	excs, err := e.st.Exceptions(ctx, store.ExceptionQuery{Reasons: waitingReasons, Limit: 1 << 30})
	if err != nil {
		return err
	}
	for _, x := range excs {
		if err := e.halt(ctx); err != nil {
			return err
		}
		pv, err := e.PreviewReplay(ctx, x.ID)
		if err != nil {
			if fatal(err) {
				return err
			}
			continue
		}
		if pv.Outcome != "post" {
			continue
		}
		res, err := e.replayAs(ctx, x.ID, store.SystemActor)
		if err != nil {
			if fatal(err) {
				return err
			}
			e.log.Warn("re-check of a waiting invoice failed", "exception", x.ID, "err", err)
			continue
		}
		if res.Status == string(store.StatusPosted) {
			r.mu.Lock()
			r.res.OK++
			r.mu.Unlock()
		}
	}
	return nil
}

// fetchInbound downloads new files. The order is what makes it crash-safe:
// store and commit the raw file, split it into documents, and only then
// ack it in Cleo. A crash before the ack re-lists the file, which the store
// recognises by its remote id.
func (e *Engine) fetchInbound(ctx context.Context, r *run) error {
	// Files stored but not split (a crash between the two).
	pending, err := e.st.InboundFiles(ctx, store.FileReceived, 0)
	if err != nil {
		return err
	}
	for _, f := range pending {
		full, err := e.st.InboundFile(ctx, f.ID)
		if err != nil {
			return err
		}
		if err := e.splitFile(ctx, full); err != nil {
			return err
		}
	}
	// Files stored and acked at Cleo whose ack was not recorded (a crash
	// between the two): ack again, which is idempotent, and record it.
	unacked, err := e.st.UnackedInboundFiles(ctx)
	if err != nil {
		return err
	}
	for _, f := range unacked {
		if err := e.p.Cleo.Ack(ctx, f.RemoteID); err != nil && domain.KindOf(err) != domain.KindNotFound {
			if fatal(err) {
				return err
			}
			continue
		}
		if err := e.st.Update(ctx, func(tx *store.Tx) error { return tx.MarkInboundFileAcked(f.ID) }); err != nil {
			return err
		}
	}
	// A transport that streams its listing is fetched in windows of the
	// oldest files; the others are listed whole.
	if s, ok := e.p.Cleo.(InboundStream); ok {
		if err := e.fetchWindows(ctx, r, s); !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
	}
	list, err := e.p.Cleo.Inbound(ctx)
	if err != nil {
		return fmt.Errorf("list Cleo inbound: %w", err)
	}
	r.addTotal(len(list)) // one document a file until it is split
	for lo := 0; lo < len(list); lo += fetchBatchSize {
		if _, err := e.fetchBatch(ctx, r, list[lo:min(lo+fetchBatchSize, len(list))]); err != nil {
			return err
		}
	}
	return nil
}

// fetchBatchSize is how many files are fetched together. The downloads of
// a batch run side by side (Cleo is a network away), then its files are
// stored and split one by one in the order Cleo listed them (an invoice
// before the credit memo that follows it), then acked side by side. A
// batch bounds the memory a large backlog can take.
const fetchBatchSize = 32

// fetchBatch stores, splits and acks one batch of listed files. It returns
// the ids of files left for the next run: not downloaded, or not acked.
// Each file was counted as one document in the run's progress total; it
// is taken out here, and the documents it splits into are counted instead
// (splitHookKey).
func (e *Engine) fetchBatch(ctx context.Context, r *run, list []domain.RemoteFile) (left []string, err error) {
	if err := e.halt(ctx); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	leave := func(id string) {
		mu.Lock()
		left = append(left, id)
		mu.Unlock()
	}
	type item struct {
		i   int
		rf  domain.RemoteFile
		raw []byte
		f   store.InboundFile
		new bool
	}
	items := make([]*item, len(list))
	var toGet []*item
	for i, rf := range list {
		it := &item{i: i, rf: rf}
		items[i] = it
		f, err := e.st.InboundFileByRemoteID(ctx, rf.ID)
		switch {
		case err == nil:
			it.f = f // already stored: only the ack may be missing
		case errors.Is(err, store.ErrNotFound):
			it.new = true
			toGet = append(toGet, it)
		default:
			return nil, err
		}
	}
	byFile := func(it *item) string { return it.rf.ID }
	if err := forEachByKey(ctx, e.cleoWorkers(), toGet, byFile, func(ctx context.Context, it *item) error {
		raw, err := e.download(ctx, it.rf.ID)
		if err != nil {
			if fatal(err) {
				return err
			}
			e.log.Warn("download failed; will retry next run", "file", it.rf.Name, "err", err)
			leave(it.rf.ID)
			return nil
		}
		it.raw = raw
		return nil
	}); err != nil {
		return nil, err
	}
	var toAck []*item
	for _, it := range items {
		r.addTotal(-1)
		if it.new {
			if it.raw == nil {
				continue // not downloaded: next run
			}
			f, _, err := e.st.InsertInboundFile(ctx, store.InboundFile{RemoteID: it.rf.ID, Name: it.rf.Name,
				Partner: firstNonEmpty(it.rf.PartnerAlias, it.rf.PartnerID), Raw: it.raw})
			if err != nil {
				return nil, err
			}
			if err := e.splitFile(ctx, f); err != nil {
				return nil, err
			}
			it.f, it.raw = f, nil
		}
		if it.f.AckedAt.IsZero() {
			toAck = append(toAck, it)
		} else {
			leave(it.rf.ID) // acked, yet still listed: nothing more this run
		}
	}
	err = forEachByKey(ctx, e.cleoWorkers(), toAck, byFile, func(ctx context.Context, it *item) error {
		if err := e.p.Cleo.Ack(ctx, it.rf.ID); err != nil {
			if fatal(err) {
				return err
			}
			e.log.Warn("ack failed; will retry next run", "file", it.rf.Name, "err", err)
			leave(it.rf.ID)
			return nil
		}
		return e.st.Update(ctx, func(tx *store.Tx) error { return tx.MarkInboundFileAcked(it.f.ID) })
	})
	return left, err
}

func (e *Engine) download(ctx context.Context, id string) ([]byte, error) {
	rc, err := e.p.Cleo.Open(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("open Cleo file %s: %w", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read Cleo file %s: %w", id, err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("Cleo file %s is larger than %d MB", id, maxFileSize>>20)
	}
	return b, nil
}

// splitFile turns a stored file into one document per transaction set (and
// the 997s to return), all in one transaction with the file's status, so a
// crash leaves either the whole split or none of it.
func (e *Engine) splitFile(ctx context.Context, f store.InboundFile) error {
	sets, err := e.p.EDI.Split(f.Raw)
	if err != nil || len(sets) == 0 {
		msg := "the file contains no X12 interchange"
		if err != nil {
			msg = err.Error()
		}
		subject := fmt.Sprintf("file:%d", f.ID)
		var exc store.Exception
		var created bool
		err := e.st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.SetInboundFileStatus(f.ID, store.FileFailed, msg); err != nil {
				return err
			}
			var err error
			exc, created, err = tx.RaiseException(store.Exception{Subject: subject, Reason: string(ReasonFileUnreadable),
				Message: fmt.Sprintf("File %s from %s could not be read as X12: %s", f.Name, firstNonEmpty(f.Partner, "an unknown partner"), msg),
				Fix:     fixSupplierEDI, Partner: f.Partner}, store.SystemActor)
			return err
		})
		// Published after the commit: a rolled-back exception is never announced.
		if err == nil && created {
			e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, Reason: exc.Reason, Message: exc.Message})
		}
		return err
	}
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return err
	}
	e.applyStrictness(f, cfg, sets)
	if err := e.flagRepeatedInterchanges(ctx, f, sets); err != nil {
		return err
	}
	for i := range sets {
		if sets[i].EnvelopeFailed {
			sets[i].Warnings = append(sets[i].Warnings, "no 997 was sent: the interchange envelope (ISA/IEA) failed, and X12 never acknowledges such a set as accepted; ask the partner to resend the file")
		}
	}
	var created []store.Document
	err = e.st.Update(ctx, func(tx *store.Tx) error {
		created = created[:0]
		groups := map[string][]Set{}
		var order []string
		for _, s := range sets {
			d, err := e.setDocument(ctx, f, s)
			if err != nil {
				return err
			}
			fromUs, err := e.classifyEcho(tx, cfg, s, &d)
			if err != nil {
				return err
			}
			if err := tx.InsertDocument(&d, store.SystemActor); err != nil {
				return err
			}
			created = append(created, d)
			gk := s.Partner() + "|" + s.ISAControl + "|" + s.GSControl
			if _, ok := groups[gk]; !ok {
				order = append(order, gk)
			}
			// Never acknowledge an acknowledgment, a failed envelope, or a
			// document in our own name (we would be answering ourselves).
			if s.ID != "997" && !s.EnvelopeFailed && !fromUs {
				groups[gk] = append(groups[gk], s)
			}
		}
		if e.Send997() {
			for _, gk := range order {
				if len(groups[gk]) == 0 {
					continue
				}
				d, err := e.build997(ctx, tx, cfg, f, groups[gk])
				if err != nil {
					return err
				}
				created = append(created, d)
			}
		}
		return tx.SetInboundFileStatus(f.ID, store.FileSplit, "")
	})
	if err != nil {
		return fmt.Errorf("split file %s: %w", f.Name, err)
	}
	var queued []store.Document
	for _, d := range created {
		e.publishDoc(d)
		if d.Direction == store.Inbound && d.Status == store.StatusReceived {
			queued = append(queued, d)
		}
	}
	if hook, ok := ctx.Value(splitHookKey{}).(func([]store.Document)); ok && len(queued) > 0 {
		hook(queued)
	}
	return nil
}

// flagRepeatedInterchanges warns on every set of an interchange whose
// control number (ISA13) the same sender used before: in another
// interchange of this file, or in an earlier file. A repeated ISA13 is the
// classic re-send; its invoices are still de-duplicated one by one (an
// exact re-send is skipped), and the warning tells the clerk why.
func (e *Engine) flagRepeatedInterchanges(ctx context.Context, f store.InboundFile, sets []Set) error {
	type ic struct {
		partner, control string
	}
	firstIndex := map[ic]int{}
	checked := map[ic]string{}
	for i := range sets {
		s := &sets[i]
		k := ic{s.Partner(), s.ISAControl}
		if s.ISAControl == "" {
			continue
		}
		if at, ok := firstIndex[k]; !ok {
			firstIndex[k] = s.Interchange
		} else if at != s.Interchange {
			s.Warnings = append(s.Warnings, fmt.Sprintf("interchange control number %s from %s is used twice in file %s: a re-send inside the file",
				s.ISAControl, s.Partner(), f.Name))
		}
		msg, ok := checked[k]
		if !ok {
			earlier, err := e.st.Documents(ctx, store.DocumentQuery{Direction: store.Inbound, Partner: s.Partner(), ISAControl: s.ISAControl, Limit: 5, Oldest: true})
			if err != nil {
				return fmt.Errorf("look up interchange %s of %s: %w", s.ISAControl, s.Partner(), err)
			}
			for _, d := range earlier {
				if d.InboundFileID != f.ID {
					msg = fmt.Sprintf("interchange control number %s from %s was received before (document %d, %s): a re-send; its invoices are de-duplicated",
						s.ISAControl, s.Partner(), d.ID, d.CreatedAt.Format("2006-01-02 15:04 MST"))
					break
				}
			}
			checked[k] = msg
		}
		if msg != "" {
			s.Warnings = append(s.Warnings, msg)
		}
	}
	return nil
}

// setDocument is the document for one received set, before insertion.
func (e *Engine) setDocument(ctx context.Context, f store.InboundFile, s Set) (store.Document, error) {
	d := store.Document{Direction: store.Inbound, Partner: s.Partner(), InboundFileID: f.ID, RawEDI: s.Raw,
		ISAControl: s.ISAControl, GSControl: s.GSControl, STControl: s.STControl, Status: store.StatusReceived}
	pf := ParsedForm{Set: infoOf(s), Errors: s.Errors, Warnings: s.Warnings, Invoice: s.Invoice, Ack: s.Ack}
	switch s.ID {
	case "810":
		d.Type = store.Type810
		if s.Invoice != nil {
			d.BusinessKey = s.Invoice.Number
			d.Amount = s.Invoice.Total
			d.Currency = s.Invoice.Currency
		}
	case "997":
		d.Type = store.Type997
		if s.Ack != nil {
			d.BusinessKey = s.Ack.GroupControlNumber
		}
	default:
		// Unsupported inbound sets are kept (nothing is dropped) as an 810
		// slot would be wrong; the store only knows 810/850/997, so an
		// inbound 850 is stored as such and anything else as a failed 810.
		d.Type = store.Type810
		if s.ID == "850" {
			d.Type = store.Type850
			if s.Order != nil {
				// Readable as the 850s we send are (docview), and matched
				// or raised by classifyEcho.
				d.BusinessKey = s.Order.Order.OrderNo
				pf.PO = s.Order
				break
			}
		}
		d.Status = store.StatusException
		d.Reason = string(ReasonUnsupported)
		d.Message = fmt.Sprintf("Partner %s sent a %s transaction set, which the connector does not process", s.Partner(), firstNonEmpty(s.ID, "unknown"))
		d.Fix = "ask the partner whether it was meant for another system; ignore it with a comment"
	}
	d.Parsed = mustJSON(pf)
	return d, nil
}

// handleInbound judges one inbound document; the error is only what must
// stop the run (fatal), anything else leaves the document for the next run.
func (e *Engine) handleInbound(ctx context.Context, r *run, cfg *config, d store.Document) error {
	if err := e.halt(ctx); err != nil {
		return err
	}
	var out store.Document
	var err error
	switch d.Type {
	case store.Type810:
		out, err = e.processInvoice(ctx, d.ID, cfg)
	case store.Type997:
		out, err = e.processAck(ctx, d.ID)
	default:
		return nil
	}
	if err != nil {
		if fatal(err) {
			return err
		}
		e.log.Warn("document left for the next run", "document", d.ID, "err", err)
		return nil
	}
	e.counted(r, out.Status)
	return nil
}

// invoicePlan is what pre-flight decided for an invoice: a problem, a
// skip (exact duplicate), or a payload to post.
type invoicePlan struct {
	problem    *problem
	patch      store.DocumentPatch
	skipOf     int64 // document id this is an exact re-send of
	skipMsg    string
	payload    domain.SupplierInvoice
	supplierID string
	testMode   bool
	pf         ParsedForm
	billed     []store.BilledLine // what it bills per PO line, recorded with the intent
}

// planInvoice runs every check that needs no write: parse errors, partner
// mapping, the PO, tolerances, GL coding and local de-duplication. Replay
// previews call it alone.
func (e *Engine) planInvoice(ctx context.Context, d store.Document, pf ParsedForm, cfg *config) (invoicePlan, error) {
	var pl invoicePlan
	pl.pf = pf
	if len(pf.Errors) > 0 || pf.Invoice == nil {
		msg := "the invoice could not be read"
		if len(pf.Errors) > 0 {
			msg = strings.Join(firstN(pf.Errors, 3), "; ")
		}
		pl.problem = newProblem(ReasonEDIInvalid, fixSupplierEDI,
			"Invoice %s from %s is not valid X12: %s", firstNonEmpty(d.BusinessKey, "(no number)"), d.Partner, msg)
		return pl, nil
	}
	inv := pf.Invoice
	if cfg == nil {
		var err error
		if cfg, err = e.loadConfig(ctx); err != nil {
			return pl, err
		}
	}
	partner := cfg.partnerByKey(d.Partner)
	supplierID := cfg.Maps.PartnerSupplier[d.Partner]
	if supplierID == "" && partner != nil && partner.ExternalID != "" {
		supplierID = partner.ExternalID
	}
	if supplierID == "" && len(cfg.Partners) == 0 {
		// Without reference data "not mapped" would be a false verdict:
		// wait for the reference flow (the document stays queued).
		return pl, errNoReference
	}
	if supplierID == "" {
		pl.problem = &problem{Reason: ReasonPartnerNotMapped, Fix: fixMapPartner,
			Message: fmt.Sprintf("Partner %s is not mapped to an IFS supplier", d.Partner),
			Context: &PartnerContext{Partner: d.Partner, Suggestions: cfg.suggest(d.Partner, partner)}}
		return pl, nil
	}
	pl.supplierID = supplierID
	pl.patch = store.DocumentPatch{SupplierID: &supplierID}
	pl.testMode = partner != nil && partner.Mode == "test"
	var po *domain.PurchaseOrder
	if inv.PONumber != "" {
		got, err := e.cachedPO(ctx, cfg, inv.PONumber)
		switch {
		case err == nil:
			po = &got
		case domain.KindOf(err) == domain.KindNotFound:
			pl.problem = newProblem(ReasonPONotFound, fixCheckPO,
				"Invoice %s refers to PO %s, which does not exist in IFS", inv.Number, inv.PONumber)
			return pl, nil
		default:
			return pl, fmt.Errorf("read PO %s: %w", inv.PONumber, err)
		}
		if !openPOStates[po.State] {
			pl.problem = newProblem(ReasonPONotOpen, fixCheckPO,
				"Invoice %s refers to PO %s, which is %s in IFS", inv.Number, po.OrderNo, po.State)
			return pl, nil
		}
		if po.SupplierID != supplierID {
			pl.problem = newProblem(ReasonPOSupplier, fixCheckPO,
				"Invoice %s from supplier %s refers to PO %s of supplier %s", inv.Number, supplierID, po.OrderNo, po.SupplierID)
			return pl, nil
		}
	} else if _, ok := cfg.Maps.glRule(supplierID, "NONPO"); !ok {
		pl.problem = newProblem(ReasonPOMissing, fixCheckPO, "Invoice %s from supplier %s has no PO number", inv.Number, supplierID)
		return pl, nil
	}
	// De-duplication comes before matching: an exact re-send of a posted
	// invoice bills its lines a second time by definition, and must be
	// skipped as a re-send, not reported as a billing problem.
	gross := invoiceGross(inv)
	fp := store.Fingerprint(supplierID, inv.Number, gross)
	// correction is the IFS invoice this one corrects (still editable),
	// earlier the document that posted it.
	var correction *domain.SupplierInvoice
	var earlier store.Document
	if d.Status != store.StatusPosting {
		same, err := e.st.FindByFingerprint(ctx, fp)
		if err != nil {
			return pl, err
		}
		for _, o := range same {
			if o.ID != d.ID && o.Type == store.Type810 && (o.Status == store.StatusPosted || o.Status == store.StatusPosting) {
				pl.skipOf = o.ID
				pl.skipMsg = fmt.Sprintf("Invoice %s was already posted (document %d); this exact re-send was skipped", inv.Number, o.ID)
				pl.patch = store.DocumentPatch{SupplierID: &supplierID, Fingerprint: &fp, Amount: &gross, IFSCompany: &e.p.Company}
				return pl, nil
			}
		}
		prior, err := e.st.FindByBusinessKey(ctx, store.Inbound, store.Type810, supplierID, inv.Number)
		if err != nil {
			return pl, err
		}
		for _, o := range prior {
			if o.ID != d.ID && o.Fingerprint != fp && (o.Status == store.StatusPosted || o.Status == store.StatusPosting) {
				c, state, err := e.correctionTarget(ctx, o)
				if err != nil {
					return pl, err
				}
				if c != nil {
					correction, earlier = c, o
					break
				}
				msg := fmt.Sprintf("Invoice number %s from supplier %s was already posted (document %d) with amount %s; this one has %s",
					inv.Number, supplierID, o.ID, o.Amount, gross)
				fix := fixDuplicate
				if state != "" {
					msg += fmt.Sprintf(". The IFS invoice %d is %s and can no longer be changed; nothing was written", o.IFSInvoiceID, state)
					fix = fixCorrectionTooLate
				}
				pl.problem = &problem{Reason: ReasonDuplicateNumber, Fix: fix, Message: msg,
					Context: &DuplicateContext{OtherDocument: o.ID, IFSInvoiceID: o.IFSInvoiceID}}
				return pl, nil
			}
		}
	}
	var billed map[string]store.BilledTotal
	if po != nil {
		var err error
		if billed, err = e.st.BilledToDate(ctx, po.OrderNo, d.ID); err != nil {
			return pl, err
		}
		if correction != nil {
			// The correction replaces the earlier invoice: its lines do
			// not count against this one.
			if err := e.withoutDocument(ctx, billed, earlier.ID); err != nil {
				return pl, err
			}
		}
	}
	var waive Reason
	if pf.Override != nil {
		waive = pf.Override.Reason
	}
	payload, rows, prob := buildInvoice(e.p.Company, supplierID, inv, po, cfg.Maps, cfg.Ref, e.clock.Now(), billed, waive)
	if prob != nil {
		pl.problem = prob
		return pl, nil
	}
	if !payload.GrossAmount.Equal(gross) {
		return pl, fmt.Errorf("invoice %s: gross %s differs from the de-duplication amount %s", inv.Number, payload.GrossAmount, gross)
	}
	if rows == nil {
		rows = []store.BilledLine{}
	}
	pl.billed = rows
	pf.Payload = &payload
	pf.MappingVersion = cfg.Maps.Version
	pl.pf = pf
	pl.payload = payload
	pl.patch = store.DocumentPatch{SupplierID: &supplierID, Fingerprint: &fp, Amount: &payload.GrossAmount,
		Currency: &payload.Currency, IFSCompany: &e.p.Company, Parsed: mustJSON(pf), TestMode: &pl.testMode}
	if correction != nil {
		pl.problem = e.correctionProblem(ctx, earlier, *correction, payload)
	}
	return pl, nil
}

// invoiceGross is the invoice's gross amount as posted: the supplier's
// total (TDS01) when it has one, else lines, charges and tax; negative for
// a credit memo. buildInvoice arrives at the same figure.
func invoiceGross(inv *Invoice) money.Decimal {
	sign := money.FromInt(1)
	if inv.CreditMemo {
		sign = money.FromInt(-1)
	}
	if !inv.Total.IsZero() {
		return inv.Total.Abs().Mul(sign)
	}
	net := money.Zero
	for _, l := range inv.Lines {
		net = net.Add(l.Quantity.Mul(l.UnitPrice).Round(2).Abs().Mul(sign))
	}
	for _, c := range inv.Charges {
		amt := c.Amount.Abs()
		if c.Allowance {
			amt = amt.Neg()
		}
		net = net.Add(amt.Mul(sign))
	}
	return net.Add(inv.Tax.Abs().Mul(sign))
}

// processInvoice takes one 810 from received (or posting, after a crash) to
// posted, skipped, test-reviewed or an exception.
// cfg may be nil (loaded here); a run passes its snapshot so a thousand
// invoices do not re-read every mapping a thousand times.
func (e *Engine) processInvoice(ctx context.Context, id int64, cfg *config) (store.Document, error) {
	d, pf, err := e.loadParsed(ctx, id)
	if err != nil {
		return d, err
	}
	pl, err := e.planInvoice(ctx, d, pf, cfg)
	if err != nil {
		if !errors.Is(err, errNoReference) && !fatal(err) && d.Status == store.StatusReceived {
			// Count failed look-ups (a PO read that keeps failing) so the
			// document reaches the exception queue instead of waiting forever.
			if nd, terr := e.st.Transition(ctx, id, store.Transition{From: []store.Status{store.StatusReceived}, To: store.StatusReceived,
				IncAttempts: true, Action: "invoice.preflight_retry", Detail: map[string]any{"error": err.Error()}}); terr == nil {
				d = nd
			}
		}
		return e.retryOrFail(ctx, d, err)
	}
	if pl.problem != nil {
		return e.fail(ctx, id, pl.problem, pl.patch)
	}
	if pl.skipOf != 0 {
		return e.transition(ctx, id, store.Transition{To: store.StatusSkippedDuplicate, Action: "invoice.duplicate_skipped",
			Message: pl.skipMsg, Detail: map[string]any{"duplicate_of": pl.skipOf}, Patch: pl.patch})
	}
	inv, payload, supplierID, testMode, patch, pf := pf.Invoice, pl.payload, pl.supplierID, pl.testMode, pl.patch, pl.pf
	if testMode {
		return e.transition(ctx, id, store.Transition{To: store.StatusTestReviewed, Action: "invoice.test_reviewed",
			Message: fmt.Sprintf("Test mode: invoice %s would be posted to IFS as shown; nothing was written", inv.Number), Patch: patch})
	}
	// Intent: recorded and committed before IFS is touched.
	// The billed quantities are recorded with the intent, in the same
	// transaction: from here on they count against the PO lines, so a
	// second invoice for the same goods is refused even before IFS answers.
	patch.Billed = &pl.billed
	if d.Status != store.StatusPosting {
		if d, err = e.transition(ctx, id, store.Transition{To: store.StatusPosting, IncAttempts: true,
			Action: "invoice.post_intent", Detail: map[string]any{"request": payload}, Patch: patch}); err != nil {
			return d, err
		}
	} else {
		if d, err = e.transition(ctx, id, store.Transition{From: []store.Status{store.StatusPosting}, To: store.StatusPosting,
			IncAttempts: true, Action: "invoice.post_retry", Patch: patch}); err != nil {
			return d, err
		}
	}
	// Reconcile with IFS first: a crash may have left the create done.
	existing, found, err := e.p.IFS.FindSupplierInvoice(ctx, e.p.Company, supplierID, inv.Number)
	if err != nil {
		return e.retryOrFail(ctx, d, fmt.Errorf("look up invoice %s in IFS: %w", inv.Number, err))
	}
	if found {
		if existing.GrossAmount.Equal(payload.GrossAmount) || existing.GrossAmount.IsZero() {
			pf.IFSResult = &existing
			if d.Attempts > 1 {
				return e.transition(ctx, id, store.Transition{To: store.StatusPosted, Action: "invoice.reconciled",
					Message: fmt.Sprintf("Invoice %s is in IFS as invoice %d", inv.Number, existing.InvoiceID),
					Detail:  map[string]any{"ifs_invoice_id": existing.InvoiceID},
					Patch:   store.DocumentPatch{IFSInvoiceID: &existing.InvoiceID, Parsed: mustJSON(pf)}})
			}
			return e.transition(ctx, id, store.Transition{To: store.StatusSkippedDuplicate, Action: "invoice.duplicate_skipped",
				Message: fmt.Sprintf("Invoice %s is already in IFS (invoice %d); this exact re-send was skipped", inv.Number, existing.InvoiceID),
				Detail:  map[string]any{"ifs_invoice_id": existing.InvoiceID},
				Patch:   store.DocumentPatch{IFSInvoiceID: &existing.InvoiceID, Parsed: mustJSON(pf)}})
		}
		return e.fail(ctx, id, &problem{Reason: ReasonDuplicateNumber, Fix: fixDuplicate,
			Message: fmt.Sprintf("Invoice number %s from supplier %s is already in IFS (invoice %d) with amount %s; this one has %s",
				inv.Number, supplierID, existing.InvoiceID, existing.GrossAmount, payload.GrossAmount),
			Context: &DuplicateContext{IFSInvoiceID: existing.InvoiceID}}, store.DocumentPatch{})
	}
	created, err := e.p.IFS.CreateSupplierInvoice(ctx, payload)
	if err != nil {
		if domain.KindOf(err) == domain.KindBusinessRule || domain.KindOf(err) == domain.KindInvalid {
			return e.fail(ctx, id, &problem{Reason: ReasonIFSRejected, Fix: fixIFSRejected,
				Message: fmt.Sprintf("IFS refused invoice %s: %s", inv.Number, err)}, store.DocumentPatch{})
		}
		return e.retryOrFail(ctx, d, fmt.Errorf("create invoice %s in IFS: %w", inv.Number, err))
	}
	pf.IFSResult = &created
	return e.transition(ctx, id, store.Transition{To: store.StatusPosted, Action: "invoice.posted",
		Message: fmt.Sprintf("Posted to IFS as invoice %d", created.InvoiceID),
		Detail:  map[string]any{"ifs_invoice_id": created.InvoiceID, "response": created},
		Patch:   store.DocumentPatch{IFSInvoiceID: &created.InvoiceID, Parsed: mustJSON(pf)}})
}

// retryOrFail leaves a document where it is after a remote failure so the
// next run retries it, until the retry budget is spent; then it becomes an
// exception. Fatal errors are returned to stop the run.
func (e *Engine) retryOrFail(ctx context.Context, d store.Document, err error) (store.Document, error) {
	if fatal(err) {
		return d, err
	}
	if domain.KindOf(err) == domain.KindNotFound || domain.KindOf(err) == domain.KindBusinessRule || domain.KindOf(err) == domain.KindInvalid ||
		d.Attempts >= e.p.MaxAttempts {
		reason, fix := ReasonRemoteUnavailable, fixRetryLater
		if !transient(err) && domain.KindOf(err) != domain.KindConflict {
			reason, fix = ReasonIFSRejected, fixIFSRejected
		}
		return e.fail(ctx, d.ID, &problem{Reason: reason, Fix: fix,
			Message: fmt.Sprintf("Document %s %s failed after %d attempts: %s", d.Type, firstNonEmpty(d.BusinessKey, fmt.Sprint(d.ID)), d.Attempts, err)},
			store.DocumentPatch{})
	}
	return d, err
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
