package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// ourKey is our X12 identity as a control-number sender/receiver key.
func ourKey(us Identity) string { return us.Qualifier + ":" + us.ID }

// us is the identity we send under to one partner: the configured one, or,
// when none is configured, what the partner itself names as its receiver
// (Cleo's connection ids for an 850, the received ISA07/08 for a 997), so
// an admin who never filled in "our X12 id" still sends valid envelopes.
func (e *Engine) us(fallback Identity) (Identity, error) {
	if e.p.Us.ID != "" && e.p.Us.Qualifier != "" {
		return e.p.Us, nil
	}
	us := Identity{Qualifier: strings.ToUpper(strings.TrimSpace(fallback.Qualifier)), ID: strings.TrimSpace(fallback.ID), GSID: strings.TrimSpace(fallback.GSID)}
	if us.ID == "" || us.Qualifier == "" {
		return us, errNoIdentity
	}
	if us.GSID == "" {
		us.GSID = us.ID
	}
	return us, nil
}

// errNoIdentity means neither the settings nor the partner say who we are in X12.
var errNoIdentity = errors.New("our X12 identity is not set (settings edi.our_qualifier and edi.our_id) and the partner names none: set it under Connections")

// envelope allocates the three control numbers for one outbound interchange
// to partner ("QUAL:ID") inside tx, so they are never reused once committed.
// fallback is our identity as the partner knows it (see us).
func (e *Engine) envelope(tx *store.Tx, partnerKey, gsReceiver string, test bool, fallback Identity) (Envelope, error) {
	me, err := e.us(fallback)
	if err != nil {
		return Envelope{}, fmt.Errorf("envelope for %s: %w", partnerKey, err)
	}
	q, id, _ := strings.Cut(partnerKey, ":")
	env := Envelope{SenderQual: me.Qualifier, SenderID: me.ID, ReceiverQual: q, ReceiverID: id,
		GSSender: me.GSID, GSReceiver: firstNonEmpty(gsReceiver, id), Test: test, Time: e.clock.Now()}
	if env.ISAControl, err = tx.NextControlNumber(ourKey(me), partnerKey, store.ControlISA); err != nil {
		return env, err
	}
	if env.GSControl, err = tx.NextControlNumber(ourKey(me), partnerKey, store.ControlGS); err != nil {
		return env, err
	}
	if env.STControl, err = tx.NextControlNumber(ourKey(me), partnerKey, store.ControlST); err != nil {
		return env, err
	}
	return env, nil
}

// build997 stores the 997 answering one received group; it is sent by
// sendOutbound. Its Cleo name derives from the group it answers, so it can
// only ever be delivered once under one name.
func (e *Engine) build997(ctx context.Context, tx *store.Tx, cfg *config, f store.InboundFile, group []Set) (store.Document, error) {
	s0 := group[0]
	p := cfg.partnerByKey(s0.Partner())
	test := p != nil && p.Mode == "test"
	env, err := e.envelope(tx, s0.Partner(), s0.GSSender, test, Identity{Qualifier: s0.ReceiverQual, ID: s0.ReceiverID, GSID: s0.GSReceiver})
	if err != nil {
		return store.Document{}, err
	}
	raw, err := e.p.EDI.Write997(group, env)
	if err != nil {
		return store.Document{}, fmt.Errorf("build 997 for group %s of %s: %w", s0.GSControl, s0.Partner(), err)
	}
	d := store.Document{Direction: store.Outbound, Type: store.Type997, Partner: s0.Partner(),
		BusinessKey: s0.GSControl, InboundFileID: f.ID, RawEDI: raw, Status: store.StatusBuilt, TestMode: test,
		ISAControl: pad9(env.ISAControl), GSControl: strconv.FormatInt(env.GSControl, 10), STControl: fmt.Sprintf("%04d", env.STControl),
		CleoName: fmt.Sprintf("997_%s_%s_%s.x12", safeName(s0.SenderID), s0.ISAControl, s0.GSControl),
		Parsed:   mustJSON(ParsedForm{Set: SetInfo{ID: "997", GSControl: s0.GSControl, ISAControl: s0.ISAControl}})}
	if test {
		d.Status = store.StatusTestReviewed
		d.Message = "Test mode: this 997 would be sent; nothing was sent"
	}
	if err := tx.InsertDocument(&d, store.SystemActor); err != nil {
		return d, err
	}
	return d, nil
}

func pad9(n int64) string { return fmt.Sprintf("%09d", n) }

// safeName keeps letters, digits, dash and underscore: Cleo and file-system
// safe, and stable.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// sendOutbound delivers every outbound document of type typ that is built,
// or was left sending by a crash (resent under the same name; Cleo answers
// "already present" if the first attempt got through).
func (e *Engine) sendOutbound(ctx context.Context, r *run, typ store.DocType) error {
	return e.sendOutboundExcept(ctx, r, typ, nil)
}

// sendRoundEvery is the pause between two rounds of sendInRounds.
const sendRoundEvery = 250 * time.Millisecond

// sendInRounds sends typ's outbound documents in rounds while the run still
// builds them, so Cleo's latency is spent beside IFS's work rather than
// after it: the 850s while later orders are read, the 997s while later
// files download (a 5,000-file backlog left 5,000 997s, 150 ms each, to
// the end of the run). Each round sends in document order and each
// document at most once per run. A round that fails calls abort (the
// caller stops building) and ends the rounds. finish, called once the
// building is over (also after a failure), sends a last round and returns
// the first error.
func (e *Engine) sendInRounds(ctx context.Context, r *run, typ store.DocType, abort func()) (finish func() error) {
	built := make(chan struct{})
	sent := make(chan error, 1)
	go func() {
		tried := map[int64]bool{}
		for {
			select {
			case <-built:
				sent <- e.sendOutboundExcept(ctx, r, typ, tried)
				return
			case <-time.After(sendRoundEvery):
			}
			if err := e.sendOutboundExcept(ctx, r, typ, tried); err != nil {
				abort()
				<-built
				sent <- err
				return
			}
		}
	}()
	return func() error {
		close(built)
		return <-sent
	}
}

// sendOutboundExcept is sendOutbound for the documents not in tried, which
// it adds them to (nil: all): a flow that sends while it still builds
// sends each document at most once per run, as a single round would.
func (e *Engine) sendOutboundExcept(ctx context.Context, r *run, typ store.DocType, tried map[int64]bool) error {
	var cfg *config
	// References only, a page at a time: after a backlog tens of
	// thousands of 997s may wait, and sendOne reads each document when its
	// turn comes. Pages follow the id, the order documents were built in.
	for after := int64(0); ; {
		page, err := e.st.DocumentRefs(ctx, store.DocumentQuery{Direction: store.Outbound, Type: typ,
			Statuses: []store.Status{store.StatusBuilt, store.StatusSending}, ByID: true, AfterID: after, Limit: sendPage})
		if err != nil || len(page) == 0 {
			return err
		}
		after = page[len(page)-1].ID
		docs := page
		if tried != nil {
			docs = docs[:0:0]
			for _, d := range page {
				if !tried[d.ID] {
					tried[d.ID] = true
					docs = append(docs, d)
				}
			}
		}
		if len(docs) == 0 {
			continue
		}
		if cfg == nil {
			if cfg, err = e.loadConfig(ctx); err != nil {
				return err
			}
		}
		r.addTotal(len(docs))
		// One partner's files in order (an 850 replacement after its
		// original), partners side by side.
		err = forEachByKey(ctx, e.cleoWorkers(), docs, func(d store.DocRef) string { return d.Partner }, func(ctx context.Context, d store.DocRef) error {
			if err := e.halt(ctx); err != nil {
				return err
			}
			out, err := e.sendOne(ctx, cfg, d.ID)
			if err != nil {
				if fatal(err) {
					return err
				}
				e.log.Warn("send left for the next run", "document", d.ID, "err", err)
				return nil
			}
			e.counted(r, out.Status)
			return nil
		})
		if err != nil {
			return err
		}
	}
}

// sendPage is how many outbound documents are listed at a time for sending.
const sendPage = 1024

func (e *Engine) sendOne(ctx context.Context, cfg *config, id int64) (store.Document, error) {
	d, err := e.st.Document(ctx, id)
	if err != nil {
		return d, err
	}
	p := cfg.partnerByKey(d.Partner)
	if p == nil || p.ID == "" {
		return e.fail(ctx, id, newProblem(ReasonSendFailed, "refresh reference data, or set up the partner in Cleo; then replay",
			"Partner %s is not known in Cleo, so %s %s cannot be sent", d.Partner, d.Type, d.BusinessKey), store.DocumentPatch{})
	}
	raw := d.RawEDI // Transition returns the document without its body
	// Intent: the name and content are fixed before the upload.
	err = e.st.Update(ctx, func(tx *store.Tx) error {
		if _, _, err := tx.RecordIntent(store.Intent{Name: d.CleoName, Partner: d.Partner, BusinessKey: d.BusinessKey,
			ContentHash: d.ContentHash, DocumentID: d.ID}); err != nil {
			return err
		}
		var err error
		d, err = tx.Transition(id, store.Transition{From: []store.Status{store.StatusBuilt, store.StatusSending},
			To: store.StatusSending, IncAttempts: true, Action: "send.intent", Detail: map[string]any{"name": d.CleoName}})
		return err
	})
	if err != nil {
		return d, err
	}
	res, err := e.p.Cleo.Send(ctx, p.ID, d.CleoName, raw)
	if err != nil {
		if domain.KindOf(err) == domain.KindConflict {
			// A "file exists" from a transport that does not map it: delivered.
			res = domain.SendResult{Name: d.CleoName, AlreadyPresent: true}
		} else if !fatal(err) && !transient(err) || d.Attempts >= e.p.MaxAttempts {
			if ferr := e.st.FinishIntent(ctx, d.CleoName, store.IntentFailed, err.Error()); ferr != nil {
				return d, fmt.Errorf("record the failed send of %s: %w", d.CleoName, ferr)
			}
			return e.fail(ctx, id, newProblem(ReasonSendFailed, "check the Cleo connection and the partner, then replay",
				"Cleo did not accept %s %s (%s) after %d attempts: %s", d.Type, d.BusinessKey, d.CleoName, d.Attempts, err), store.DocumentPatch{})
		} else {
			return d, fmt.Errorf("send %s: %w", d.CleoName, err)
		}
	}
	var due *time.Time
	if d.Type == store.Type850 || d.Type == store.Type810 {
		deadline := e.p.AckDeadline
		if p.AckDeadline > 0 {
			deadline = p.AckDeadline
		}
		t := e.clock.Now().Add(deadline)
		due = &t
	}
	action := "send.done"
	if res.AlreadyPresent {
		action = "send.already_present"
	}
	cleoID := firstNonEmpty(res.ID, d.CleoID)
	// Handed over is not delivered: the delivery record follows the file
	// through the network from here (trackDeliveries).
	handed, err := e.handedOver(ctx, id)
	if err != nil {
		return d, err
	}
	var out store.Document
	err = e.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.FinishIntent(d.CleoName, store.IntentDone, cleoID); err != nil {
			return err
		}
		var err error
		out, err = tx.Transition(id, store.Transition{From: []store.Status{store.StatusSending}, To: store.StatusSent,
			Action: action, Detail: map[string]any{"name": d.CleoName, "cleo_id": cleoID, "already_present": res.AlreadyPresent},
			Patch: store.DocumentPatch{CleoID: &cleoID, DueAt: due}})
		if err != nil || handed == nil {
			return err
		}
		return tx.PutDelivery(*handed)
	})
	if err != nil {
		return out, err
	}
	e.publishDoc(out)
	return out, nil
}

// runPOs is the outbound flow: build an 850 for every new, changed or
// cancelled order, send what is built, and flag overdue 997s.
func (e *Engine) runPOs(ctx context.Context, r *run) error {
	orders, err := e.p.IFS.PurchaseOrders(ctx)
	if err != nil {
		return fmt.Errorf("list IFS purchase orders: %w", err)
	}
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return err
	}
	r.addTotal(len(orders))
	// Each changed order is read in full from IFS, orders side by side
	// sharing the IFS rate limit. An order's revisions are one item here
	// (its ETag decides), and the order a partner receives its 850s in is
	// kept where it matters: control numbers are taken in the store
	// transaction that builds each 850, and sendOutbound sends one
	// partner's documents one after another in that order.
	//
	// The 850s go to Cleo while later orders are still read: IFS's rate
	// limit is the budget, and sending only after the last order was built
	// left it unused for the whole send. Rounds of sending run one after
	// another, each in document order, so a partner still receives its
	// 850s in the order they were built (an original before its change).
	bctx, stopBuild := context.WithCancel(ctx)
	defer stopBuild()
	finishSend := e.sendInRounds(ctx, r, store.Type850, stopBuild)
	err = forEachByKey(bctx, e.ifsWorkers(), orders, func(po domain.PurchaseOrder) string { return po.OrderNo }, func(ctx context.Context, po domain.PurchaseOrder) error {
		if err := e.halt(ctx); err != nil {
			return err
		}
		d, built, err := e.buildPO(ctx, cfg, po)
		if err != nil {
			if fatal(err) {
				return err
			}
			e.log.Warn("PO left for the next run", "po", po.OrderNo, "err", err)
			return nil
		}
		if !built {
			return nil
		}
		e.publishDoc(d)
		if d.Status == store.StatusException {
			r.mu.Lock()
			r.res.Failed++
			r.mu.Unlock()
		}
		return nil
	})
	sendErr := finishSend()
	if err != nil {
		return err
	}
	if sendErr != nil {
		return sendErr
	}
	if err := e.trackDeliveries(ctx, r, store.Type850); err != nil {
		return err
	}
	return e.checkOverdue(ctx, r)
}

// buildPO stores the 850 for po when its ETag differs from the last one
// handled. The document, its control numbers and the new ETag are
// committed together, so a crash never builds the same revision twice.
func (e *Engine) buildPO(ctx context.Context, cfg *config, po domain.PurchaseOrder) (store.Document, bool, error) {
	last, seen, err := e.st.SentETag(ctx, "po", po.OrderNo)
	if err != nil {
		return store.Document{}, false, err
	}
	if seen && last == po.ETag {
		return store.Document{}, false, nil
	}
	// The purpose depends on what the partner has actually received, not on
	// what was built: an 850 that never left (no partner) does not count.
	prev, err := e.st.FindByBusinessKey(ctx, store.Outbound, store.Type850, "", po.OrderNo)
	if err != nil {
		return store.Document{}, false, err
	}
	delivered := false
	for _, p := range prev {
		if p.CleoID != "" || p.Status == store.StatusSent || p.Status == store.StatusAcknowledged || p.Status == store.StatusSending {
			delivered = true
		}
	}
	purpose := "00"
	switch {
	case strings.EqualFold(po.State, "Cancelled") && !delivered:
		return store.Document{}, false, nil // never sent: nothing to cancel
	case strings.EqualFold(po.State, "Cancelled"):
		purpose = "01"
	case delivered:
		purpose = "05"
	}
	if len(po.Lines) == 0 {
		full, err := e.p.IFS.PurchaseOrder(ctx, po.OrderNo)
		if err != nil {
			return store.Document{}, false, fmt.Errorf("read PO %s: %w", po.OrderNo, err)
		}
		full.ETag = firstNonEmpty(po.ETag, full.ETag)
		po = full
	}
	partner := cfg.partnerForSupplier(po.SupplierID)
	if partner == nil && len(cfg.Partners) == 0 {
		return store.Document{}, false, errNoReference
	}
	d := store.Document{Direction: store.Outbound, Type: store.Type850, SupplierID: po.SupplierID, BusinessKey: po.OrderNo,
		Currency: po.Currency, Amount: poTotal(po)}
	pf := ParsedForm{ETag: po.ETag, PO: &PO850{Purpose: purpose, Order: po, Supplier: cfg.Ref.Suppliers[po.SupplierID]},
		MappingVersion: cfg.Maps.Version}
	err = e.st.Update(ctx, func(tx *store.Tx) error {
		if partner == nil {
			d.Partner = "supplier:" + po.SupplierID
			d.Status = store.StatusException
			d.Reason = string(ReasonPONoPartner)
			d.Message = fmt.Sprintf("PO %s is for supplier %s, which is not mapped to an EDI partner", po.OrderNo, po.SupplierID)
			d.Fix = fixPartnerForPO
		} else {
			key := partner.Key()
			test := partner.Mode == "test"
			env, err := e.envelope(tx, key, partner.GSID, test, Identity{Qualifier: partner.OurQualifier, ID: partner.OurID})
			if err != nil {
				return err
			}
			raw, err := e.p.EDI.Write850(*pf.PO, env)
			if err != nil {
				return fmt.Errorf("build 850 for PO %s: %w", po.OrderNo, err)
			}
			d.Partner, d.RawEDI, d.TestMode = key, raw, test
			d.ISAControl, d.GSControl, d.STControl = pad9(env.ISAControl), strconv.FormatInt(env.GSControl, 10), fmt.Sprintf("%04d", env.STControl)
			d.CleoName = fmt.Sprintf("850_%s_%s_%s.x12", safeName(po.OrderNo), purpose, pad9(env.ISAControl))
			d.Status = store.StatusBuilt
			if test {
				d.Status = store.StatusTestReviewed
				d.Message = "Test mode: this 850 would be sent; nothing was sent"
			}
		}
		d.Parsed = mustJSON(pf)
		if err := tx.InsertDocument(&d, store.SystemActor); err != nil {
			return err
		}
		return tx.SetSentETag("po", po.OrderNo, po.ETag, d.ID)
	})
	return d, err == nil, err
}

func poTotal(po domain.PurchaseOrder) money.Decimal {
	t := money.FromInt(0)
	for _, l := range po.Lines {
		if l.NetAmount.IsZero() {
			t = t.Add(l.Quantity.Mul(l.UnitPrice).Round(2))
		} else {
			t = t.Add(l.NetAmount)
		}
	}
	return t
}

// checkOverdue flags sent 850s and 810s whose 997 deadline passed.
func (e *Engine) checkOverdue(ctx context.Context, r *run) error {
	var docs []store.Document
	for _, typ := range []store.DocType{store.Type850, store.Type810} {
		ds, err := e.st.Documents(ctx, store.DocumentQuery{Direction: store.Outbound, Type: typ,
			Statuses: []store.Status{store.StatusSent}, Oldest: true, Limit: 1 << 30})
		if err != nil {
			return err
		}
		docs = append(docs, ds...)
	}
	now := e.clock.Now()
	for _, d := range docs {
		if d.DueAt.IsZero() || now.Before(d.DueAt) {
			continue
		}
		if _, err := e.fail(ctx, d.ID, newProblem(ReasonAckOverdue, fixAckOverdue,
			"Partner %s has not acknowledged %s (sent as %s); the 997 was due %s", d.Partner, docLabel(d), d.CleoName,
			d.DueAt.Format("2006-01-02 15:04 MST")), store.DocumentPatch{}); err != nil {
			return err
		}
		r.res.Failed++
	}
	return nil
}

// processAck applies a received 997 to the 850 it acknowledges.
func (e *Engine) processAck(ctx context.Context, id int64) (store.Document, error) {
	d, pf, err := e.loadParsed(ctx, id)
	if err != nil {
		return d, err
	}
	if len(pf.Errors) > 0 || pf.Ack == nil {
		return e.fail(ctx, id, newProblem(ReasonEDIInvalid, fixSupplierEDI,
			"The 997 from %s could not be read: %s", d.Partner, strings.Join(firstN(pf.Errors, 3), "; ")), store.DocumentPatch{})
	}
	ack := pf.Ack
	cands, err := e.st.Documents(ctx, store.DocumentQuery{Direction: store.Outbound, Partner: d.Partner, Oldest: true, Limit: 1 << 30})
	if err != nil {
		return d, err
	}
	var target *store.Document
	for i := range cands {
		c := &cands[i]
		if c.Type != store.Type850 && c.Type != store.Type810 || c.GSControl != strings.TrimLeft(ack.GroupControlNumber, "0") && c.GSControl != ack.GroupControlNumber {
			continue
		}
		target = c
	}
	if target == nil {
		if ack.Status != "A" && ack.Status != "E" {
			// A rejection is never "no action needed": some document of
			// ours, or of another system in our name, did not get through.
			return e.fail(ctx, id, newProblem(ReasonAckUnmatched, fixAckUnmatchedRejected,
				"Partner %s REJECTED group %s (%s), which matches no PO or invoice this connector sent to it", d.Partner,
				ack.GroupControlNumber, AckStatusWords(ack.Status)), store.DocumentPatch{})
		}
		return e.fail(ctx, id, newProblem(ReasonAckUnmatched, fixAckUnmatched,
			"Partner %s acknowledged group %s, which matches no PO or invoice sent to it", d.Partner, ack.GroupControlNumber), store.DocumentPatch{})
	}
	rel := target.ID
	accepted := ack.Status == "A" || ack.Status == "E"
	if accepted {
		if target.Status == store.StatusSent || target.Status == store.StatusException || target.Status == store.StatusOverdue {
			msg := fmt.Sprintf("Partner %s acknowledged %s: %s", d.Partner, docLabel(*target), AckStatusWords(ack.Status))
			if _, err := e.transition(ctx, target.ID, store.Transition{To: store.StatusAcknowledged, Action: "ack.accepted",
				Message: msg, Detail: map[string]any{"ack_document": id}}); err != nil {
				return d, err
			}
		}
	} else {
		var words []string
		for _, s := range ack.Sets {
			for _, p := range s.Problems {
				words = append(words, AckProblemWords(p))
			}
		}
		msg := fmt.Sprintf("Partner %s rejected %s (%s)", d.Partner, docLabel(*target), AckStatusWords(ack.Status))
		if len(words) > 0 {
			msg += ": " + strings.Join(words, "; ")
		}
		fix := fixAckRejected
		if target.Type == store.Type810 {
			fix = fixAckRejected810
		}
		if _, err := e.transition(ctx, target.ID, store.Transition{To: store.StatusException, Reason: string(ReasonAckRejected),
			Message: msg, Fix: fix, Action: "ack.rejected", Context: map[string]any{"ack_document": id, "problems": words}}); err != nil {
			return d, err
		}
	}
	return e.transition(ctx, id, store.Transition{To: store.StatusMatched, Action: "ack.applied",
		Message: fmt.Sprintf("Applied to %s", docLabel(*target)), Patch: store.DocumentPatch{RelatedID: &rel}})
}

// AckProblemWords renders one AK3/AK4 problem for a clerk.
func AckProblemWords(p AckProblem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "segment %s", firstNonEmpty(p.Segment, "?"))
	if p.Position > 0 {
		fmt.Fprintf(&b, " (line %d)", p.Position)
	}
	if p.SegmentCode != "" {
		fmt.Fprintf(&b, ": %s", firstNonEmpty(ackCodeWords["S"+p.SegmentCode], "error "+p.SegmentCode))
	}
	if p.Element > 0 {
		fmt.Fprintf(&b, ", field %d", p.Element)
		if p.ElementCode != "" {
			fmt.Fprintf(&b, ": %s", firstNonEmpty(ackCodeWords["E"+p.ElementCode], "error "+p.ElementCode))
		}
		if p.Data != "" {
			fmt.Fprintf(&b, " (%q)", p.Data)
		}
	}
	return b.String()
}
