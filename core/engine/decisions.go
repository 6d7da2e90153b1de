package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// Role is what a user of a team may decide on the exception queue.
type Role string

// The roles, from least to most trusted.
const (
	// RoleClerk may hold, dispute, re-reference, replay and ignore.
	RoleClerk Role = "clerk"
	// RoleApprover may also accept an invoice with an override.
	RoleApprover Role = "approver"
	// RoleAdmin may also assign roles.
	RoleAdmin Role = "admin"
)

// SettingRoles held the roles as JSON {"user": "approver", …} before the
// store's roles table became their one source; a desk that still has it
// reads it until its first role change, which moves it into the table.
const SettingRoles = "roles"

// DecisionError refuses a decision: the user's role may not take it, or
// the exception does not allow it. Its kind is domain.KindForbidden for a
// role and domain.KindInvalid otherwise.
type DecisionError struct {
	Decision string // "override", "hold" …
	Msg      string
	Role     bool // refused for the user's role
}

func (e *DecisionError) Error() string { return e.Decision + ": " + e.Msg }

// ErrorKind classifies it for domain.KindOf.
func (e *DecisionError) ErrorKind() domain.ErrorKind {
	if e.Role {
		return domain.KindForbidden
	}
	return domain.KindInvalid
}

// Roles returns the assigned roles by user (empty: one desk, no roles).
func (e *Engine) Roles(ctx context.Context) (map[string]Role, error) { return rolesIn(ctx, e.st) }

// rolesIn reads the store's roles table, the one source of roles for
// decisions and requests alike; an older desk's SettingRoles stands in
// only while the table is empty.
func rolesIn(ctx context.Context, st *store.Store) (map[string]Role, error) {
	table, err := st.Roles(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]Role{}
	for u, r := range table {
		out[u] = Role(r)
	}
	if len(out) > 0 {
		return out, nil
	}
	set, err := st.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if raw := set[SettingRoles]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			return nil, fmt.Errorf("setting %s: %w", SettingRoles, err)
		}
	}
	return out, nil
}

// RoleOf is the role of user (see UserRole).
func (e *Engine) RoleOf(ctx context.Context, user string) (Role, error) {
	return UserRole(ctx, e.st, user)
}

// UserRole is the role of user, read the same way by a leader deciding and
// by a team's client desk, which runs no engine and offers only the
// decisions the leader will accept from its person. With no role granted
// yet, a desk's own file has one person, who holds every role; a team
// database makes the first person asked its admin (store.RoleOf).
// Everyone else without a role is a clerk.
func UserRole(ctx context.Context, st *store.Store, user string) (Role, error) {
	roles, err := rolesIn(ctx, st)
	if err != nil {
		return "", err
	}
	if len(roles) == 0 {
		if st.Backend() == "postgres" {
			r, err := st.RoleOf(ctx, user)
			return Role(r), err
		}
		return RoleAdmin, nil
	}
	if r, ok := roles[user]; ok {
		return r, nil
	}
	return RoleClerk, nil
}

// SetRole assigns a role to a user ("" removes it); only an admin may. The
// first assignment on a desk also makes the current user admin, so the
// team never locks itself out; the last admin cannot be removed. Audited.
func (e *Engine) SetRole(ctx context.Context, user string, role Role) error {
	user = strings.TrimSpace(user)
	switch role {
	case "", RoleClerk, RoleApprover, RoleAdmin:
	default:
		return &DecisionError{Decision: "set role", Msg: fmt.Sprintf("role %q is not clerk, approver or admin", role)}
	}
	if user == "" {
		return &DecisionError{Decision: "set role", Msg: "which user?"}
	}
	if err := e.require(ctx, "set role", RoleAdmin); err != nil {
		return err
	}
	table, err := e.st.Roles(ctx)
	if err != nil {
		return err
	}
	if len(table) == 0 {
		// First change: the current user (admin, checked above) goes in
		// first, then an older desk's roles from SettingRoles.
		legacy, err := rolesIn(ctx, e.st)
		if err != nil {
			return err
		}
		if err := e.st.SetRole(ctx, e.actor, e.actor, string(RoleAdmin)); err != nil {
			return err
		}
		for u, r := range legacy {
			if u == e.actor {
				continue
			}
			if err := e.st.SetRole(ctx, e.actor, u, string(r)); err != nil {
				return err
			}
		}
	}
	if err := e.st.SetRole(ctx, e.actor, user, string(role)); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return &DecisionError{Decision: "set role", Msg: "at least one admin must remain"}
		}
		return err
	}
	return nil
}

// withArticle is the role in a sentence: "a clerk", "an approver".
func (r Role) withArticle() string {
	if strings.ContainsRune("aeiou", rune(string(r + " ")[0])) {
		return "an " + string(r)
	}
	return "a " + string(r)
}

var roleRank = map[Role]int{RoleClerk: 1, RoleApprover: 2, RoleAdmin: 3}

// require refuses when the current user's role is below min.
func (e *Engine) require(ctx context.Context, decision string, min Role) error {
	return e.requireAs(ctx, e.actor, decision, min)
}

// requireAs is require for another person: a team's leader deciding what a
// clerk asked for from a client desk checks that clerk's role, not its own.
func (e *Engine) requireAs(ctx context.Context, actor, decision string, min Role) error {
	r, err := e.RoleOf(ctx, actor)
	if err != nil {
		return err
	}
	if roleRank[r] < roleRank[min] {
		return &DecisionError{Decision: decision, Role: true,
			Msg: fmt.Sprintf("%s is %s; only %s may do this", actor, r.withArticle(), min.withArticle())}
	}
	return nil
}

// Override is an approver's acceptance of one invoice despite one match
// problem, kept in the document's parsed form: it applies to this invoice
// only, on every later replay of it.
type Override struct {
	Reason  Reason    `json:"reason"`
	By      string    `json:"by"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// overridable are the reasons an approver may accept. A line already
// invoiced, a duplicate number, an unknown PO or bad coding are not: they
// are not tolerances but facts.
var overridable = map[Reason]bool{ReasonPriceVariance: true, ReasonQuantityOver: true, ReasonAmountOver: true, ReasonNotReceived: true}

// Overridable reports whether an approver may accept an invoice despite
// this reason (AcceptWithOverride).
func Overridable(r Reason) bool { return overridable[r] }

// CurrentRole is the role of the user this engine acts for.
func (e *Engine) CurrentRole(ctx context.Context) (Role, error) { return e.RoleOf(ctx, e.actor) }

// decisionTarget loads an open exception of an inbound invoice.
func (e *Engine) decisionTarget(ctx context.Context, decision string, excID int64) (store.Exception, store.Document, ParsedForm, error) {
	exc, err := e.st.Exception(ctx, excID)
	if err != nil {
		return exc, store.Document{}, ParsedForm{}, err
	}
	if exc.State != store.ExceptionOpen {
		return exc, store.Document{}, ParsedForm{}, &DecisionError{Decision: decision, Msg: "the exception is already " + string(exc.State)}
	}
	if exc.DocumentID == 0 {
		return exc, store.Document{}, ParsedForm{}, &DecisionError{Decision: decision, Msg: "it concerns no invoice"}
	}
	d, pf, err := e.loadParsed(ctx, exc.DocumentID)
	if err != nil {
		return exc, d, pf, err
	}
	if d.Type != store.Type810 || d.Direction != store.Inbound || pf.Invoice == nil {
		return exc, d, pf, &DecisionError{Decision: decision, Msg: "only a received invoice takes this decision"}
	}
	return exc, d, pf, nil
}

// reprocess puts an invoice with a changed parsed form back through the
// whole pre-flight and posting path, audited as action by the current user.
func (e *Engine) reprocess(ctx context.Context, exc store.Exception, pf ParsedForm, actor, action, comment string, detail map[string]any) (ReplayResult, error) {
	res := ReplayResult{Preview: Preview{ExceptionID: exc.ID, DocumentID: exc.DocumentID, BusinessKey: exc.BusinessKey, Reason: exc.Reason}}
	if _, err := e.transition(ctx, exc.DocumentID, store.Transition{From: []store.Status{store.StatusException}, To: store.StatusReceived,
		Actor: actor, Action: action, Comment: comment, Detail: detail, Patch: store.DocumentPatch{Parsed: mustJSON(pf)}}); err != nil {
		return res, err
	}
	out, err := e.processInvoice(ctx, exc.DocumentID, nil)
	res.Status = string(out.Status)
	if out.Status == store.StatusException {
		res.NewReason, res.Message = out.Reason, out.Message
	}
	if err != nil {
		res.Err = err.Error()
		if fatal(err) {
			return res, err
		}
	}
	return res, nil
}

// AcceptWithOverride posts one invoice despite its price, quantity or
// amount variance (or before its goods are received), on an approver's
// word with a comment saying why. Never for a line already invoiced: the
// override waives one check of this invoice only, and the billed-twice
// check is not one it can waive.
func (e *Engine) AcceptWithOverride(ctx context.Context, excID int64, comment string) (ReplayResult, error) {
	return e.acceptWithOverrideAs(ctx, excID, comment, e.actor)
}

func (e *Engine) acceptWithOverrideAs(ctx context.Context, excID int64, comment, actor string) (ReplayResult, error) {
	const what = "accept with override"
	if strings.TrimSpace(comment) == "" {
		return ReplayResult{}, &DecisionError{Decision: what, Msg: "a comment saying why is required"}
	}
	if err := e.requireAs(ctx, actor, what, RoleApprover); err != nil {
		return ReplayResult{}, err
	}
	exc, _, pf, err := e.decisionTarget(ctx, what, excID)
	if err != nil {
		return ReplayResult{}, err
	}
	r := Reason(exc.Reason)
	if !overridable[r] {
		return ReplayResult{}, &DecisionError{Decision: what, Msg: fmt.Sprintf("%s cannot be overridden", r)}
	}
	if r == ReasonQuantityOver {
		var c MatchContext
		_ = json.Unmarshal(exc.Context, &c)
		if nonZero(c.AlreadyInvoicedQty) || nonZero(c.IFSInvoicedQty) {
			return ReplayResult{}, &DecisionError{Decision: what,
				Msg: fmt.Sprintf("PO %s line %s is partly invoiced already (%s by the connector, %s in IFS): billing above it is not a tolerance matter",
					c.PO, c.POLine, firstNonEmpty(c.AlreadyInvoicedQty, "0"), firstNonEmpty(c.IFSInvoicedQty, "0"))}
		}
	}
	pf.Override = &Override{Reason: r, By: actor, Comment: comment, At: e.clock.Now()}
	return e.reprocess(ctx, exc, pf, actor, "decision.override", comment, map[string]any{"exception_id": excID, "overridden": r})
}

func nonZero(s string) bool { return s != "" && strings.Trim(s, "0.-") != "" }

// ReReference points an invoice at another PO of the same supplier (the
// supplier quoted the wrong one) and processes it again; the original PO
// is kept in the parsed form and the audit trail.
func (e *Engine) ReReference(ctx context.Context, excID int64, orderNo, comment string) (ReplayResult, error) {
	return e.reReferenceAs(ctx, excID, orderNo, comment, e.actor)
}

func (e *Engine) reReferenceAs(ctx context.Context, excID int64, orderNo, comment, actor string) (ReplayResult, error) {
	const what = "re-reference"
	orderNo = strings.TrimSpace(orderNo)
	if orderNo == "" || strings.TrimSpace(comment) == "" {
		return ReplayResult{}, &DecisionError{Decision: what, Msg: "the other PO number and a comment are required"}
	}
	if err := e.requireAs(ctx, actor, what, RoleClerk); err != nil {
		return ReplayResult{}, err
	}
	exc, d, pf, err := e.decisionTarget(ctx, what, excID)
	if err != nil {
		return ReplayResult{}, err
	}
	po, err := e.p.IFS.PurchaseOrder(ctx, orderNo)
	if err != nil {
		if domain.KindOf(err) == domain.KindNotFound {
			return ReplayResult{}, &DecisionError{Decision: what, Msg: fmt.Sprintf("PO %s does not exist in IFS", orderNo)}
		}
		return ReplayResult{}, fmt.Errorf("re-reference to PO %s: %w", orderNo, err)
	}
	if d.SupplierID != "" && po.SupplierID != d.SupplierID {
		return ReplayResult{}, &DecisionError{Decision: what, Msg: fmt.Sprintf("PO %s is of supplier %s, not %s", orderNo, po.SupplierID, d.SupplierID)}
	}
	from := pf.Invoice.PONumber
	if pf.OriginalPO == "" {
		pf.OriginalPO = from
	}
	inv := *pf.Invoice
	inv.PONumber = orderNo
	pf.Invoice = &inv
	return e.reprocess(ctx, exc, pf, actor, "decision.re_reference", comment, map[string]any{"exception_id": excID, "from_po": from, "to_po": orderNo})
}

// Hold parks an exception until a follow-up date (the queue hides it until
// then); the invoice is not posted.
func (e *Engine) Hold(ctx context.Context, excID int64, until time.Time, comment string) error {
	return e.holdAs(ctx, excID, until, comment, e.actor)
}

func (e *Engine) holdAs(ctx context.Context, excID int64, until time.Time, comment, actor string) error {
	if err := e.requireAs(ctx, actor, "hold", RoleClerk); err != nil {
		return err
	}
	if !until.After(e.clock.Now()) {
		return &DecisionError{Decision: "hold", Msg: "the follow-up date must be in the future"}
	}
	exc, err := e.st.Decide(ctx, excID, store.DecisionHold, actor, comment, until)
	if err != nil {
		return err
	}
	e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, DocumentID: exc.DocumentID, Reason: exc.Reason, Message: exc.Message})
	return nil
}

// Dispute is the note to a supplier about an invoice: recorded on the
// exception and returned as an e-mail draft to send or export.
type Dispute struct {
	To      string // supplier id and name
	Subject string
	Body    string
}

// Dispute records that the invoice is disputed with the supplier, with the
// note the clerk wrote, and returns the draft message. The exception stays
// open until a corrected invoice or credit arrives (or it is ignored).
func (e *Engine) Dispute(ctx context.Context, excID int64, note string) (Dispute, error) {
	return e.disputeAs(ctx, excID, note, e.actor)
}

func (e *Engine) disputeAs(ctx context.Context, excID int64, note, actor string) (Dispute, error) {
	if err := e.requireAs(ctx, actor, "dispute", RoleClerk); err != nil {
		return Dispute{}, err
	}
	exc, err := e.st.Decide(ctx, excID, store.DecisionDispute, actor, note, time.Time{})
	if err != nil {
		return Dispute{}, err
	}
	e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, DocumentID: exc.DocumentID, Reason: exc.Reason, Message: exc.Message})
	return e.disputeDraft(ctx, exc)
}

// DisputeDraft renders the draft for an exception already disputed.
func (e *Engine) DisputeDraft(ctx context.Context, excID int64) (Dispute, error) {
	exc, err := e.st.Exception(ctx, excID)
	if err != nil {
		return Dispute{}, err
	}
	if exc.Decision != store.DecisionDispute {
		return Dispute{}, &DecisionError{Decision: "dispute", Msg: "the exception is not disputed"}
	}
	return e.disputeDraft(ctx, exc)
}

func (e *Engine) disputeDraft(ctx context.Context, exc store.Exception) (Dispute, error) {
	to := exc.SupplierID
	if s, err := e.st.Supplier(ctx, exc.SupplierID); err == nil && s.Name != "" {
		to += " (" + s.Name + ")"
	}
	po := ""
	if exc.DocumentID != 0 {
		if _, pf, err := e.loadParsed(ctx, exc.DocumentID); err == nil && pf.Invoice != nil {
			po = pf.Invoice.PONumber
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Invoice %s", exc.BusinessKey)
	if po != "" {
		fmt.Fprintf(&b, " for our purchase order %s", po)
	}
	fmt.Fprintf(&b, " (%s %s) cannot be paid as sent.\n\n", exc.Amount, exc.Currency)
	fmt.Fprintf(&b, "What we found: %s\n\n", exc.Message)
	fmt.Fprintf(&b, "%s\n\n", exc.DecisionNote)
	b.WriteString("Please send a corrected invoice or a credit note.\n\n")
	fmt.Fprintf(&b, "%s, accounts payable (%s)\n", exc.DecisionBy, exc.DecidedAt.Format("2006-01-02"))
	return Dispute{To: to, Subject: fmt.Sprintf("Invoice %s disputed", exc.BusinessKey), Body: b.String()}, nil
}

// RoleList returns the assigned roles sorted by user, for display.
func (e *Engine) RoleList(ctx context.Context) ([][2]string, error) {
	roles, err := e.Roles(ctx)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for u, r := range roles {
		out = append(out, [2]string{u, string(r)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out, nil
}
