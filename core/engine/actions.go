package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// Preview says what replaying one exception would do now, without doing it.
type Preview struct {
	ExceptionID int64  `json:"exception_id"`
	DocumentID  int64  `json:"document_id"`
	BusinessKey string `json:"business_key"`
	Reason      string `json:"reason"` // the current reason
	// Outcome is "post", "skip_duplicate", "test_review", "send", "rebuild",
	// "redeliver" (ask Cleo, re-send only a confirmed failure), "resplit",
	// "rerun" (a reference read), "still_failing" or "not_replayable".
	Outcome string `json:"outcome"`
	// NewReason is the reason it would fail with (Outcome still_failing).
	NewReason string `json:"new_reason,omitempty"`
	Message   string `json:"message"`
}

// ReplayResult is the outcome of replaying one exception.
type ReplayResult struct {
	Preview
	Status string `json:"status"` // the document's status afterwards
	Err    string `json:"error,omitempty"`
}

// ErrNotReplayable is returned for exceptions that replay cannot help.
var ErrNotReplayable = errors.New("exception cannot be replayed")

// PreviewReplay computes what Replay(excID) would do.
func (e *Engine) PreviewReplay(ctx context.Context, excID int64) (Preview, error) {
	exc, err := e.st.Exception(ctx, excID)
	if err != nil {
		return Preview{}, err
	}
	pv := Preview{ExceptionID: exc.ID, DocumentID: exc.DocumentID, BusinessKey: exc.BusinessKey, Reason: exc.Reason}
	if exc.State != store.ExceptionOpen {
		pv.Outcome, pv.Message = "not_replayable", "the exception is already "+string(exc.State)
		return pv, nil
	}
	if exc.DocumentID == 0 {
		switch {
		case strings.HasPrefix(exc.Subject, "file:"):
			pv.Outcome, pv.Message = "resplit", "the stored file is read again"
		case strings.HasPrefix(exc.Subject, "ifs-marker:"):
			pv.Outcome, pv.Message = "not_replayable", "the invoice was sent; each invoices-out run sets the IFS marker again and the exception clears when IFS takes it"
		case strings.HasPrefix(exc.Subject, "reference:"):
			pv.Outcome, pv.Message = "rerun", "the reference data is read again now; the exception clears when the read succeeds"
		default:
			pv.Outcome, pv.Message = "not_replayable", "it clears itself when the poller succeeds"
		}
		return pv, nil
	}
	d, pf, err := e.loadParsed(ctx, exc.DocumentID)
	if err != nil {
		return pv, err
	}
	switch {
	case d.Reason == string(ReasonUnexpected):
		// Not ours to process: an 810 in our own name must never be posted.
		pv.Outcome, pv.Message = "not_replayable", "the connector does not process this document; ignore it with a comment once it is dealt with"
	case d.Direction == store.Inbound && d.Type == store.Type810:
		d.Status = store.StatusReceived
		pl, err := e.planInvoice(ctx, d, pf, nil)
		if err != nil {
			pv.Outcome, pv.Message = "still_failing", err.Error()
			return pv, nil
		}
		switch {
		case pl.problem != nil:
			pv.Outcome, pv.NewReason, pv.Message = "still_failing", string(pl.problem.Reason), pl.problem.Message
		case pl.skipOf != 0:
			pv.Outcome, pv.Message = "skip_duplicate", pl.skipMsg
		case pl.testMode:
			pv.Outcome = "test_review"
			pv.Message = fmt.Sprintf("test mode: invoice %s (%s %s) would be shown for review, not posted", pf.Invoice.Number, pl.payload.GrossAmount, pl.payload.Currency)
		default:
			pv.Outcome = "post"
			pv.Message = fmt.Sprintf("invoice %s for supplier %s, %s %s, %d posting lines, is posted to IFS (after an IFS duplicate check)",
				pf.Invoice.Number, pl.supplierID, pl.payload.GrossAmount, pl.payload.Currency, len(pl.payload.Postings))
		}
	case d.Direction == store.Inbound && d.Type == store.Type997:
		pv.Outcome, pv.Message = "post", "the acknowledgment is matched to its PO again"
	case d.Type == store.Type810 && d.Direction == store.Outbound && len(d.RawEDI) == 0:
		pv.Outcome, pv.Message = "rebuild", fmt.Sprintf("self-billing invoice %s is read from IFS again and sent as a new 810", d.BusinessKey)
	case d.Type == store.Type850 && len(d.RawEDI) == 0:
		cfg, err := e.loadConfig(ctx)
		if err != nil {
			return pv, err
		}
		if cfg.partnerForSupplier(d.SupplierID) == nil {
			pv.Outcome, pv.NewReason = "still_failing", string(ReasonPONoPartner)
			pv.Message = fmt.Sprintf("supplier %s is still not mapped to an EDI partner", d.SupplierID)
		} else {
			pv.Outcome, pv.Message = "rebuild", fmt.Sprintf("PO %s is read from IFS again and sent as a new 850", d.BusinessKey)
		}
	case d.Direction == store.Outbound && deliveryReason(d.Reason):
		pv.Outcome = "redeliver"
		pv.Message = fmt.Sprintf("Cleo is asked about %s again; it is sent again under the same name only if Cleo confirms the earlier attempt did not go out", d.CleoName)
	case d.Reason == string(ReasonAckRejected) || d.Reason == string(ReasonAckOverdue):
		pv.Outcome, pv.Message = "send", fmt.Sprintf("PO %s is marked sent again and its 997 deadline restarts", d.BusinessKey)
	case d.Direction == store.Outbound:
		pv.Outcome, pv.Message = "send", fmt.Sprintf("%s is sent again under the same name %s", d.Type, d.CleoName)
	default:
		pv.Outcome, pv.Message = "not_replayable", "ignore it with a comment"
	}
	return pv, nil
}

// Replay processes the document of an open exception again, through the
// same checks and de-duplication as the first time. The action is audited
// with the current user and the mapping version it ran with.
func (e *Engine) Replay(ctx context.Context, excID int64) (ReplayResult, error) {
	return e.replayAs(ctx, excID, e.actor)
}

// replayAs is Replay audited as actor (store.SystemActor for the engine's
// own re-checks of waiting invoices).
func (e *Engine) replayAs(ctx context.Context, excID int64, actor string) (ReplayResult, error) {
	pv, err := e.PreviewReplay(ctx, excID)
	res := ReplayResult{Preview: pv}
	if err != nil {
		return res, err
	}
	if pv.Outcome == "not_replayable" {
		return res, fmt.Errorf("replay exception %d: %s: %w", excID, pv.Message, ErrNotReplayable)
	}
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return res, err
	}
	exc, err := e.st.Exception(ctx, excID)
	if err != nil {
		return res, err
	}
	audit := map[string]any{"exception_id": excID, "reason": exc.Reason, "mapping_version": cfg.Maps.Version, "preview": pv.Outcome}
	if pv.Outcome == "rerun" {
		if _, err := e.st.AppendEvent(ctx, store.Event{Subject: exc.Subject, Actor: actor, Action: "exception.replayed", Detail: audit}); err != nil {
			return res, fmt.Errorf("audit the replay of exception %d: %w", excID, err)
		}
		if _, err := e.RunFlow(ctx, FlowReference); err != nil {
			res.Err = err.Error()
		}
		after, err := e.st.Exception(ctx, excID)
		if err != nil {
			return res, err
		}
		res.Status = string(after.State)
		if after.State == store.ExceptionOpen {
			res.Outcome, res.Message = "still_failing", after.Message
		}
		return res, nil
	}
	if exc.DocumentID == 0 {
		// A file that could not be split: read it again.
		id, _ := strconv.ParseInt(strings.TrimPrefix(exc.Subject, "file:"), 10, 64)
		f, err := e.st.InboundFile(ctx, id)
		if err != nil {
			return res, err
		}
		if _, err := e.st.CloseException(ctx, excID, store.ExceptionResolved, actor, "replayed"); err != nil {
			return res, err
		}
		if _, err := e.st.AppendEvent(ctx, store.Event{Subject: exc.Subject, Actor: actor, Action: "exception.replayed", Detail: audit}); err != nil {
			return res, fmt.Errorf("audit the replay of exception %d: %w", excID, err)
		}
		if err := e.splitFile(ctx, f); err != nil {
			return res, err
		}
		res.Status = "resplit"
		return res, nil
	}
	d, err := e.st.Document(ctx, exc.DocumentID)
	if err != nil {
		return res, err
	}
	var to store.Status
	var patch store.DocumentPatch
	switch {
	case d.Direction == store.Inbound:
		to = store.StatusReceived
	case pv.Outcome == "redeliver":
		return e.replayDelivery(ctx, cfg, d, pv, actor, audit)
	case pv.Outcome == "rebuild" && d.Type == store.Type810:
		nd, err := e.rebuildSBI(ctx, cfg, d, actor, audit)
		if err != nil {
			return res, err
		}
		res.Status = string(nd.Status)
		return res, nil
	case pv.Outcome == "rebuild":
		// The 850 never got a partner: drop its ETag so the PO flow builds
		// a fresh one now, and close this one as replaced.
		if _, err := e.transition(ctx, d.ID, store.Transition{To: store.StatusIgnored, Actor: actor, Action: "replay",
			Comment: "replaced by a rebuilt 850", Detail: audit}); err != nil {
			return res, err
		}
		if err := e.st.SetSentETag(ctx, "po", d.BusinessKey, "", d.ID); err != nil {
			return res, err
		}
		po, err := e.p.IFS.PurchaseOrder(ctx, d.BusinessKey)
		if err != nil {
			return res, err
		}
		nd, _, err := e.buildPO(ctx, cfg, po)
		if err != nil {
			return res, err
		}
		e.publishDoc(nd)
		if nd.Status == store.StatusBuilt {
			nd, err = e.sendOne(ctx, cfg, nd.ID)
			if err != nil && !transient(err) {
				return res, err
			}
		}
		res.Status = string(nd.Status)
		return res, nil
	case d.Reason == string(ReasonAckRejected) || d.Reason == string(ReasonAckOverdue):
		to = store.StatusSent
		due := e.clock.Now().Add(e.p.AckDeadline)
		patch.DueAt = &due
	default:
		to = store.StatusBuilt
	}
	if _, err := e.transition(ctx, d.ID, store.Transition{From: []store.Status{store.StatusException}, To: to, Actor: actor,
		Action: "replay", Comment: "replayed", Detail: audit, Patch: patch}); err != nil {
		return res, err
	}
	var out store.Document
	switch {
	case d.Type == store.Type810 && d.Direction == store.Inbound:
		out, err = e.processInvoice(ctx, d.ID, nil)
	case d.Type == store.Type997 && d.Direction == store.Inbound:
		out, err = e.processAck(ctx, d.ID)
	case to == store.StatusBuilt:
		out, err = e.sendOne(ctx, cfg, d.ID)
	default:
		out, err = e.st.Document(ctx, d.ID)
	}
	res.Status = string(out.Status)
	if err != nil {
		res.Err = err.Error()
		if fatal(err) {
			return res, err
		}
	}
	return res, nil
}

// ReplayByReason previews (preview true) or replays every open exception
// with the reason, oldest first: "fix once, replay all".
func (e *Engine) ReplayByReason(ctx context.Context, reason string, preview bool) ([]ReplayResult, error) {
	return e.replayByReasonAs(ctx, reason, preview, e.actor)
}

func (e *Engine) replayByReasonAs(ctx context.Context, reason string, preview bool, actor string) ([]ReplayResult, error) {
	var out []ReplayResult
	excs, err := e.st.Exceptions(ctx, store.ExceptionQuery{Reasons: []string{reason}, Limit: 1 << 30})
	if err != nil {
		return nil, err
	}
	for _, x := range excs {
		if err := e.halt(ctx); err != nil {
			return out, err
		}
		if preview {
			pv, err := e.PreviewReplay(ctx, x.ID)
			if err != nil {
				return out, err
			}
			out = append(out, ReplayResult{Preview: pv})
			continue
		}
		r, err := e.replayAs(ctx, x.ID, actor)
		if err != nil && !errors.Is(err, ErrNotReplayable) {
			if fatal(err) {
				return out, err
			}
			r.Err = err.Error()
		}
		out = append(out, r)
	}
	return out, nil
}

// Ignore closes an open exception with a comment (required), audited with
// the current user. Its document moves to ignored.
func (e *Engine) Ignore(ctx context.Context, excID int64, comment string) error {
	return e.ignoreAs(ctx, excID, comment, e.actor)
}

func (e *Engine) ignoreAs(ctx context.Context, excID int64, comment, actor string) error {
	if strings.TrimSpace(comment) == "" {
		return errors.New("ignore needs a comment saying why")
	}
	exc, err := e.st.CloseException(ctx, excID, store.ExceptionIgnored, actor, comment)
	if err != nil {
		return err
	}
	e.bus.Publish(events.ExceptionResolved, events.ExceptionData{ExceptionID: exc.ID, DocumentID: exc.DocumentID, Reason: exc.Reason, Resolution: "ignored"})
	if exc.DocumentID != 0 {
		if d, err := e.st.Document(ctx, exc.DocumentID); err == nil {
			e.publishDoc(d)
		}
	}
	return nil
}

// SetPartnerSelfBilling marks a mapped partner's supplier as self-billing
// (we create its invoices in IFS and send them as 810s) or not. Versioned
// and audited by the store; a partner with no supplier cannot be marked.
func (e *Engine) SetPartnerSelfBilling(ctx context.Context, partnerKey string, on bool) error {
	return e.setPartnerSelfBillingAs(ctx, partnerKey, on, e.actor)
}

func (e *Engine) setPartnerSelfBillingAs(ctx context.Context, partnerKey string, on bool, actor string) error {
	q, id, ok := strings.Cut(partnerKey, ":")
	if !ok {
		return fmt.Errorf("partner %q: want QUALIFIER:ID", partnerKey)
	}
	m, found, err := e.st.PartnerMapping(ctx, q, id)
	if err != nil {
		return fmt.Errorf("self-billing for %s: %w", partnerKey, err)
	}
	if !found || m.SupplierID == "" {
		return fmt.Errorf("self-billing for %s: map the partner to an IFS supplier first: %w", partnerKey, store.ErrInvalid)
	}
	if m.SelfBilling == on {
		return nil
	}
	m.SelfBilling = on
	_, err = e.st.SetPartnerMapping(ctx, actor, m)
	return err
}

// SetPartnerSupplier maps a partner ("QUAL:ID") to an IFS supplier; an
// empty supplier removes the mapping. Versioned and audited with the
// current user by the store.
func (e *Engine) SetPartnerSupplier(ctx context.Context, partnerKey, supplierID string) error {
	return e.setPartnerSupplierAs(ctx, partnerKey, supplierID, e.actor)
}

func (e *Engine) setPartnerSupplierAs(ctx context.Context, partnerKey, supplierID, actor string) error {
	q, id, ok := strings.Cut(partnerKey, ":")
	if !ok {
		return fmt.Errorf("partner %q: want QUALIFIER:ID", partnerKey)
	}
	if supplierID == "" {
		return e.st.DeletePartnerMapping(ctx, actor, q, id)
	}
	m := store.PartnerMapping{ISAQualifier: q, ISAID: id, SupplierID: strings.TrimSpace(supplierID)}
	// Re-mapping keeps the partner's self-billing flag and note.
	if cur, ok, err := e.st.PartnerMapping(ctx, q, id); err != nil {
		return fmt.Errorf("map %s: %w", partnerKey, err)
	} else if ok {
		m.SelfBilling, m.Note = cur.SelfBilling, cur.Note
	}
	ref, err := e.loadRefIndex(ctx)
	if err != nil {
		return fmt.Errorf("map %s: %w", partnerKey, err)
	}
	if err := ref.validateMapping(store.MappingPartners, &m); err != nil {
		return fmt.Errorf("map %s to %s: %w", partnerKey, supplierID, err)
	}
	if p, err := e.st.PartnerByISA(ctx, q, id); err == nil {
		m.PartnerID = p.ID
	}
	if _, err = e.st.SetPartnerMapping(ctx, actor, m); err != nil {
		return err
	}
	// The confirmed mapping appears in IFS at once (a failure waits for
	// the next reference refresh, which also writes it).
	e.pushEDIIdentity(ctx, store.PartnerKey(q, id), m.SupplierID)
	return nil
}

// SetPartnerMode switches a partner between "test" and "live"; audited.
func (e *Engine) SetPartnerMode(ctx context.Context, partnerKey, mode string) error {
	if mode != "test" && mode != "live" {
		return fmt.Errorf("partner mode %q: want test or live", mode)
	}
	p, err := e.partnerRecord(ctx, partnerKey)
	if err != nil {
		return err
	}
	return e.st.SetPartnerMode(ctx, e.actor, p.ID, store.PartnerMode(mode))
}

// SetPartnerStrictness sets how strictly a partner's X12 is read:
// "standard", "strict" or "lenient" (see applyStrictness); audited. It
// applies to files read from now on.
func (e *Engine) SetPartnerStrictness(ctx context.Context, partnerKey, level string) error {
	v, err := store.ParseStrictness(level)
	if err != nil {
		return fmt.Errorf("set partner %s strictness: %w", partnerKey, err)
	}
	// Lenient changes what the 997s tell a supplier: an admin's decision.
	if err := e.require(ctx, "set partner strictness", RoleAdmin); err != nil {
		return err
	}
	p, err := e.partnerRecord(ctx, partnerKey)
	if err != nil {
		return err
	}
	return e.st.SetPartnerStrictness(ctx, e.actor, p.ID, v)
}

// SetAckDeadline sets how long a partner has to return a 997; 0 restores the default.
func (e *Engine) SetAckDeadline(ctx context.Context, partnerKey string, d time.Duration) error {
	p, err := e.partnerRecord(ctx, partnerKey)
	if err != nil {
		return err
	}
	return e.st.SetPartnerAckDeadline(ctx, e.actor, p.ID, d)
}

// SetTolerance sets a supplier's tolerance ("*" = company default).
func (e *Engine) SetTolerance(ctx context.Context, supplierID string, t Tolerance) error {
	return e.setToleranceAs(ctx, supplierID, t, e.actor)
}

func (e *Engine) setToleranceAs(ctx context.Context, supplierID string, t Tolerance, actor string) error {
	tol := store.Tolerance{SupplierID: supplierID, PricePct: t.PricePct, QtyPct: t.QtyPct, Absolute: t.Absolute, Match: t.Match}
	if supplierID == "*" {
		tol.SupplierID = "" // the company default's key
	}
	if tol.SupplierID != "" {
		ref, err := e.loadRefIndex(ctx)
		if err != nil {
			return fmt.Errorf("tolerance of %s: %w", supplierID, err)
		}
		if err := ref.supplier(tol.SupplierID); err != nil {
			return fmt.Errorf("tolerance of %s: %w", supplierID, err)
		}
	}
	_, err := e.st.SetTolerance(ctx, actor, tol)
	return err
}

// SetGLRule codes a supplier's charge code ("*" wildcards; charge "NONPO"
// for invoice lines without a PO line). An empty account removes the rule.
func (e *Engine) SetGLRule(ctx context.Context, supplierID, charge string, code domain.CodeString) error {
	return e.setGLRuleAs(ctx, supplierID, charge, code, e.actor)
}

func (e *Engine) setGLRuleAs(ctx context.Context, supplierID, charge string, code domain.CodeString, actor string) error {
	supplierID, charge = firstNonEmpty(supplierID, "*"), firstNonEmpty(strings.ToUpper(charge), "*")
	if code.Account == "" {
		return e.st.DeleteGLRule(ctx, actor, supplierID, charge)
	}
	rule := store.GLRule{SupplierID: supplierID, ChargeCode: charge, Code: code}
	ref, err := e.loadRefIndex(ctx)
	if err != nil {
		return fmt.Errorf("GL rule %s/%s: %w", supplierID, charge, err)
	}
	if err := ref.validateMapping(store.MappingGLRules, &rule); err != nil {
		return fmt.Errorf("GL rule %s/%s: %w", supplierID, charge, err)
	}
	_, err = e.st.SetGLRule(ctx, actor, rule)
	return err
}

// Mappings returns the current rules.
func (e *Engine) Mappings(ctx context.Context) (Mappings, error) {
	c, err := e.loadConfig(ctx)
	if err != nil {
		return Mappings{}, err
	}
	return c.Maps, nil
}

// Partners returns the partners known from Cleo with their mode and deadline.
func (e *Engine) Partners(ctx context.Context) ([]PartnerInfo, error) {
	c, err := e.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return c.Partners, nil
}

// Suppliers returns the IFS suppliers from the last reference refresh.
func (e *Engine) Suppliers(ctx context.Context) ([]domain.Supplier, error) {
	c, err := e.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Supplier, 0, len(c.Ref.Suppliers))
	for _, k := range sortedKeys(c.Ref.Suppliers) {
		out = append(out, c.Ref.Suppliers[k])
	}
	return out, nil
}

// Suggestions proposes suppliers for every partner not yet mapped.
func (e *Engine) Suggestions(ctx context.Context) ([]Suggestion, error) {
	c, err := e.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	var out []Suggestion
	for i := range c.Partners {
		p := &c.Partners[i]
		if _, ok := c.Maps.PartnerSupplier[p.Key()]; ok {
			continue
		}
		out = append(out, e.suggestFor(ctx, c, p.Key(), p)...)
	}
	return out, nil
}

// SuggestFor proposes suppliers for one partner: the same source as the
// Mappings screen's suggestions (Suggestions), so an exception's list and
// the Mappings screen never disagree. A partner not in the reference data
// still gets the PO-based suggestions.
func (e *Engine) SuggestFor(ctx context.Context, partnerKey string) ([]Suggestion, error) {
	c, err := e.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return e.suggestFor(ctx, c, partnerKey, c.partnerByKey(partnerKey)), nil
}

// suggestFor is the one suggestion source: names and EDI identities
// (config.suggest) merged with the suppliers of the POs the partner's
// invoices quote (poSuggestions).
func (e *Engine) suggestFor(ctx context.Context, c *config, key string, p *PartnerInfo) []Suggestion {
	return mergeSuggestions(c.suggest(key, p), e.poSuggestions(ctx, c, key))
}

// MappingHistory lists mapping and partner changes, newest first.
func (e *Engine) MappingHistory(ctx context.Context, limit int) ([]store.Event, error) {
	m, err := e.st.Events(ctx, store.EventQuery{Subject: "mapping:*", Limit: limit})
	if err != nil {
		return nil, err
	}
	p, err := e.st.Events(ctx, store.EventQuery{Subject: "partner:*", Limit: limit})
	if err != nil {
		return nil, err
	}
	all := append(m, p...)
	sortEventsDesc(all)
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// SettingSend997 is the settings key of the 997 switch ("false" = off).
const SettingSend997 = "engine.send_997"

// SetSend997 switches returning 997s on or off (off when Cleo generates
// acknowledgments itself), effective from the next file; persisted and
// audited.
func (e *Engine) SetSend997(ctx context.Context, on bool) error {
	if err := e.st.SetSetting(ctx, e.actor, SettingSend997, strconv.FormatBool(on)); err != nil {
		return err
	}
	e.send97Mu.Lock()
	e.send97 = on
	e.send97Mu.Unlock()
	return nil
}

// Send997 reports whether 997s are returned.
func (e *Engine) Send997() bool {
	e.send97Mu.Lock()
	defer e.send97Mu.Unlock()
	return e.send97
}

// poSuggestions proposes the suppliers whose purchase orders an unmapped
// partner's invoices quote: a new mailbox of a known supplier bills that
// supplier's POs, which is a stronger hint than any name. The PO's supplier
// comes from the 850 we sent for it, else from IFS (bounded, best effort:
// a suggestion must never fail the mappings screen).
func (e *Engine) poSuggestions(ctx context.Context, c *config, key string) []Suggestion {
	docs, err := e.st.Documents(ctx, store.DocumentQuery{Partner: key, Type: store.Type810, Direction: store.Inbound, Limit: 5})
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []Suggestion
	for _, d := range docs {
		full, err := e.st.Document(ctx, d.ID)
		if err != nil {
			continue
		}
		var pf ParsedForm
		if json.Unmarshal(full.Parsed, &pf) != nil || pf.Invoice == nil || pf.Invoice.PONumber == "" || seen[pf.Invoice.PONumber] {
			continue
		}
		po := pf.Invoice.PONumber
		seen[po] = true
		supplier := ""
		if sent, err := e.st.Documents(ctx, store.DocumentQuery{Type: store.Type850, Direction: store.Outbound, BusinessKey: po, Limit: 5}); err == nil {
			for _, s := range sent {
				if strings.EqualFold(s.BusinessKey, po) && s.SupplierID != "" {
					supplier = s.SupplierID
					break
				}
			}
		}
		if supplier == "" && e.p.IFS != nil {
			qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if order, err := e.p.IFS.PurchaseOrder(qctx, po); err == nil {
				supplier = order.SupplierID
			}
			cancel()
		}
		s, ok := c.Ref.Suppliers[supplier]
		if !ok {
			continue
		}
		out = append(out, Suggestion{PartnerKey: key, SupplierID: s.SupplierID, SupplierName: s.Name, Score: 0.95,
			Why: fmt.Sprintf("its invoice %s quotes PO %s of this supplier", pf.Invoice.Number, po)})
	}
	return out
}

// mergeSuggestions keeps each supplier once, at its best score, best first, at most three.
func mergeSuggestions(lists ...[]Suggestion) []Suggestion {
	best := map[string]Suggestion{}
	for _, l := range lists {
		for _, s := range l {
			if have, ok := best[s.SupplierID]; !ok || s.Score > have.Score {
				best[s.SupplierID] = s
			}
		}
	}
	out := make([]Suggestion, 0, len(best))
	for _, s := range best {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].SupplierID < out[j].SupplierID
	})
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}
