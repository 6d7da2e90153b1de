package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// requestRoles is the role each request kind needs. Clerks work the
// exception queue and may ask for a sync; pausing or resuming the
// schedules is an admin's (Schedules screen).
var requestRoles = map[string]string{
	"replay": store.RoleClerk, "replay_reason": store.RoleClerk, "ignore": store.RoleClerk, "sync_now": store.RoleClerk,
	// Mapping edits from a client desk: the leader checks them against
	// the reference data and writes them as the person who asked.
	"map_partner": store.RoleClerk, "self_billing": store.RoleClerk, "gl_rule": store.RoleClerk, "tolerance": store.RoleClerk,
	// An exception's decisions, the correction of an IFS invoice and the
	// replay-all preview need IFS, which only the leader reaches; the
	// decision's own role (an approver's override) is checked inside.
	"decide": store.RoleClerk, "update_ifs": store.RoleClerk, "preview_reason": store.RoleClerk,
	// Re-coding a posted invoice in IFS, and the IFS reads behind it and
	// the PO tab: answered as JSON (RecodeResult, []domain.PostingLine,
	// domain.PurchaseOrder).
	"recode": store.RoleClerk, "postings": store.RoleClerk, "purchase_order": store.RoleClerk,
	"pause": store.RoleAdmin, "resume": store.RoleAdmin, "schedule": store.RoleAdmin,
}

// DecideArgs are the arguments of a "decide" request (target: the
// exception id): the decision (override, re_reference, hold, dispute), the
// clerk's comment, the other PO of a re-reference and a hold's date.
type DecideArgs struct {
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
	PO       string `json:"po,omitempty"`
	Until    string `json:"until,omitempty"` // 2006-01-02, the follow-up day
}

// PreviewItem is one line of a "preview_reason" request's result (a JSON
// array): what a replay of that exception would do now.
type PreviewItem struct {
	ExceptionID int64  `json:"exception_id"`
	BusinessKey string `json:"business_key"`
	Outcome     string `json:"outcome"`
	Message     string `json:"message,omitempty"`
}

// executeDecision runs a "decide" request as its actor. A decision on an
// exception closed meanwhile (asked twice, a take-over) changes nothing.
func (e *Engine) executeDecision(ctx context.Context, id int64, r store.Request) (store.RequestState, string) {
	var a DecideArgs
	if err := json.Unmarshal([]byte(r.Args), &a); err != nil {
		return store.RequestFailed, "request arguments: " + err.Error()
	}
	if x, err := e.st.Exception(ctx, id); err == nil && x.State != store.ExceptionOpen {
		return store.RequestDone, fmt.Sprintf("exception %d is already %s: nothing to do", id, x.State)
	}
	outcome := func(res ReplayResult, err error) (store.RequestState, string) {
		var de *DecisionError
		switch {
		case errors.As(err, &de) && de.Role:
			return store.RequestRefused, err.Error()
		case err != nil:
			return store.RequestFailed, err.Error()
		case res.Status == string(store.StatusException):
			return store.RequestDone, fmt.Sprintf("%s: still not posted — %s", res.BusinessKey, res.Message)
		}
		return store.RequestDone, fmt.Sprintf("%s: %s", res.BusinessKey, res.Status)
	}
	switch a.Decision {
	case "override":
		return outcome(e.acceptWithOverrideAs(ctx, id, a.Comment, r.Actor))
	case "re_reference":
		return outcome(e.reReferenceAs(ctx, id, a.PO, a.Comment, r.Actor))
	case "hold":
		until, err := time.ParseInLocation("2006-01-02", a.Until, time.Local)
		if err != nil {
			return store.RequestFailed, fmt.Sprintf("hold until %q: not a date (YYYY-MM-DD)", a.Until)
		}
		if err := e.holdAs(ctx, id, until, a.Comment, r.Actor); err != nil {
			return outcome(ReplayResult{}, err)
		}
		return store.RequestDone, "On hold until " + a.Until + "; it leaves the queue until then."
	case "dispute":
		d, err := e.disputeAs(ctx, id, a.Comment, r.Actor)
		if err != nil {
			return outcome(ReplayResult{}, err)
		}
		return store.RequestDone, "Dispute recorded. Draft to " + d.To + " — " + d.Subject + ":\n\n" + d.Body
	}
	return store.RequestFailed, fmt.Sprintf("unknown decision %q", a.Decision)
}

// executeMapping runs a mapping request as its actor: map_partner (target
// the partner key, args supplier, "" unmaps), self_billing (args on),
// gl_rule (target the supplier, args charge, account, code_b; no account
// removes) and tolerance (target the supplier or "*", args price_pct,
// qty_pct, absolute, match). Each is idempotent:
// setting what is already set writes the same values again (a new version
// at most), never a second effect elsewhere.
func (e *Engine) executeMapping(ctx context.Context, r store.Request) (string, error) {
	var a map[string]string
	if r.Args != "" {
		if err := json.Unmarshal([]byte(r.Args), &a); err != nil {
			return "", fmt.Errorf("request arguments: %w", err)
		}
	}
	switch r.Kind {
	case "map_partner":
		if err := e.setPartnerSupplierAs(ctx, r.Target, a["supplier"], r.Actor); err != nil {
			return "", err
		}
		if a["supplier"] == "" {
			return fmt.Sprintf("partner %s unmapped", r.Target), nil
		}
		return fmt.Sprintf("partner %s mapped to supplier %s", r.Target, a["supplier"]), nil
	case "self_billing":
		on := a["on"] == "true"
		if err := e.setPartnerSelfBillingAs(ctx, r.Target, on, r.Actor); err != nil {
			return "", err
		}
		return fmt.Sprintf("partner %s self-billing %v", r.Target, on), nil
	case "gl_rule":
		code := domain.CodeString{Account: a["account"], CodeB: a["code_b"]}
		if err := e.setGLRuleAs(ctx, r.Target, a["charge"], code, r.Actor); err != nil {
			return "", err
		}
		if code.Account == "" {
			return fmt.Sprintf("GL rule %s/%s removed", r.Target, a["charge"]), nil
		}
		return fmt.Sprintf("GL rule %s/%s codes %s %s", r.Target, a["charge"], code.Account, code.CodeB), nil
	case "tolerance":
		var t Tolerance
		for name, dst := range map[string]*money.Decimal{"price_pct": &t.PricePct, "qty_pct": &t.QtyPct, "absolute": &t.Absolute} {
			if v := a[name]; v != "" {
				d, err := money.Parse(v)
				if err != nil {
					return "", fmt.Errorf("tolerance %s %q: %w", name, v, err)
				}
				*dst = d
			}
		}
		t.Match = a["match"]
		if err := e.setToleranceAs(ctx, r.Target, t, r.Actor); err != nil {
			return "", err
		}
		return fmt.Sprintf("tolerance of %s set", r.Target), nil
	}
	return "", fmt.Errorf("unknown mapping request %q", r.Kind)
}

// RequestPoll is how often the leader looks for new requests when no
// notification woke it (on SQLite, or after a lost listening connection).
var RequestPoll = 2 * time.Second

// ServeRequests executes the team's queued requests, oldest first, until
// ctx ends. Only the leader calls it. Requests a dead leader left running
// are queued again first: every kind is idempotent (a replay of a resolved
// exception, an ignore of an ignored one change nothing), so a request
// executed twice across a take-over has one effect. sched may be nil (no
// scheduler: sync_now, pause and resume fail).
func (e *Engine) ServeRequests(ctx context.Context, sched *Scheduler, executor string) {
	if n, err := e.st.RequeueRunning(ctx); err != nil {
		e.log.Error("requeue requests", "err", err)
	} else if n > 0 {
		e.log.Warn("requests left running by the previous leader queued again", "count", n)
	}
	// A queued request NOTIFYs the leader (store.ListenRequests); the
	// poll catches what a dropped listening connection missed.
	wake := e.st.ListenRequests(ctx, RequestPoll)
	for {
		for ctx.Err() == nil {
			r, ok, err := e.st.ClaimRequest(ctx)
			if err != nil {
				e.log.Error("claim request", "err", err)
				break
			}
			if !ok {
				break
			}
			e.bus.Publish(events.RequestChanged, requestData(r, store.RequestRunning, ""))
			state, result := e.executeRequest(ctx, sched, r)
			if err := e.st.FinishRequest(context.WithoutCancel(ctx), r.ID, state, result, executor); err != nil {
				e.log.Error("finish request", "id", r.ID, "err", err)
				continue
			}
			e.bus.Publish(events.RequestChanged, requestData(r, state, result))
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
	}
}

// requestData is a request's state as the screens see it.
func requestData(r store.Request, state store.RequestState, result string) events.RequestData {
	return events.RequestData{RequestID: r.ID, Kind: r.Kind, Target: r.Target, Actor: r.Actor, State: string(state), Result: result}
}

// RequestQueued is the event a desk publishes on its own bus after
// enqueueing a request, so its screens show "queued" at once.
func RequestQueued(r store.Request) events.RequestData {
	return requestData(r, store.RequestQueued, "")
}

// executeRequest checks the actor's role (enforced here, not by hidden
// buttons) and runs the action as that person.
func (e *Engine) executeRequest(ctx context.Context, sched *Scheduler, r store.Request) (store.RequestState, string) {
	need, ok := requestRoles[r.Kind]
	if !ok {
		return store.RequestFailed, fmt.Sprintf("unknown request %q", r.Kind)
	}
	role, err := UserRole(ctx, e.st, r.Actor)
	if err != nil {
		return store.RequestFailed, err.Error()
	}
	if need == store.RoleAdmin && role != RoleAdmin {
		return store.RequestRefused, fmt.Sprintf("%s is %s: only an admin may %s the schedules", r.Actor, role.withArticle(), r.Kind)
	}
	idOf := func() (int64, error) {
		id, err := strconv.ParseInt(r.Target, 10, 64)
		if err != nil || id <= 0 {
			return 0, fmt.Errorf("%q is not an exception id", r.Target)
		}
		return id, nil
	}
	switch r.Kind {
	case "map_partner", "self_billing", "gl_rule", "tolerance":
		out, err := e.executeMapping(ctx, r)
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		return store.RequestDone, out
	case "replay":
		id, err := idOf()
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		// Asked twice (a double click, a take-over): the second finds it closed.
		if x, err := e.st.Exception(ctx, id); err == nil && x.State != store.ExceptionOpen {
			return store.RequestDone, fmt.Sprintf("exception %d is already %s: nothing to do", id, x.State)
		}
		res, err := e.replayAs(ctx, id, r.Actor)
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		out := fmt.Sprintf("exception %d: %s: %s", id, res.Outcome, res.Message)
		if res.Status != "" {
			out += " → " + res.Status
		}
		return store.RequestDone, out
	case "replay_reason":
		results, err := e.replayByReasonAs(ctx, r.Target, false, r.Actor)
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		posted := 0
		for _, res := range results {
			if res.Status == string(store.StatusPosted) {
				posted++
			}
		}
		return store.RequestDone, fmt.Sprintf("%d exceptions with reason %s replayed, %d documents posted", len(results), r.Target, posted)
	case "ignore":
		id, err := idOf()
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		var args struct {
			Comment string `json:"comment"`
		}
		_ = json.Unmarshal([]byte(r.Args), &args)
		if err := e.ignoreAs(ctx, id, args.Comment, r.Actor); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return store.RequestDone, fmt.Sprintf("exception %d was already closed", id)
			}
			return store.RequestFailed, err.Error()
		}
		return store.RequestDone, fmt.Sprintf("exception %d ignored", id)
	case "decide":
		id, err := idOf()
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		return e.executeDecision(ctx, id, r)
	case "update_ifs":
		id, err := idOf()
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		if x, err := e.st.Exception(ctx, id); err == nil && x.State != store.ExceptionOpen {
			return store.RequestDone, fmt.Sprintf("exception %d is already %s: nothing to do", id, x.State)
		}
		var args struct {
			Reapply bool `json:"reapply,string"`
		}
		_ = json.Unmarshal([]byte(r.Args), &args)
		res, err := e.updateIFSInvoiceAs(ctx, id, args.Reapply, r.Actor)
		switch {
		case err != nil:
			return store.RequestFailed, err.Error()
		case res.Outcome == "updated":
			return store.RequestDone, res.Message
		case res.Outcome == "conflict":
			return store.RequestFailed, "not applied, nothing was written: " + res.Message
		}
		return store.RequestFailed, "not applied: " + res.Message
	case "preview_reason":
		results, err := e.replayByReasonAs(ctx, r.Target, true, r.Actor)
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		items := make([]PreviewItem, 0, len(results))
		for _, res := range results {
			items = append(items, PreviewItem{ExceptionID: res.ExceptionID, BusinessKey: res.BusinessKey, Outcome: res.Outcome, Message: res.Message})
		}
		return store.RequestDone, string(mustJSON(items))
	case "recode", "postings":
		id, err := strconv.ParseInt(r.Target, 10, 64)
		if err != nil || id <= 0 {
			return store.RequestFailed, fmt.Sprintf("%q is not a document id", r.Target)
		}
		if r.Kind == "postings" {
			ps, err := e.Postings(ctx, id)
			if err != nil {
				return store.RequestFailed, err.Error()
			}
			return store.RequestDone, string(mustJSON(ps))
		}
		var a struct {
			Row        int    `json:"row,string"`
			Account    string `json:"account"`
			CodeB      string `json:"code_b"`
			RuleCharge string `json:"rule_charge"`
		}
		if err := json.Unmarshal([]byte(r.Args), &a); err != nil {
			return store.RequestFailed, "request arguments: " + err.Error()
		}
		// Not idempotent by a state check: a re-code asked twice writes
		// the same coding again (IFS's row already holds it), no more.
		res, err := e.recodeRowAs(ctx, id, a.Row, a.Account, a.CodeB, a.RuleCharge, r.Actor)
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		return store.RequestDone, string(mustJSON(res))
	case "purchase_order":
		po, err := e.PurchaseOrder(ctx, r.Target)
		if err != nil {
			return store.RequestFailed, err.Error()
		}
		return store.RequestDone, string(mustJSON(po))
	case "schedule":
		// The leader's scheduler changes (and stores and audits the new
		// expression); a row written by a client alone would wait for a
		// restart of the leader.
		if sched == nil {
			return store.RequestFailed, "the leader runs no scheduler"
		}
		var args struct {
			Spec string `json:"spec"`
		}
		_ = json.Unmarshal([]byte(r.Args), &args)
		if err := sched.SetSchedule(ctx, r.Target, args.Spec); err != nil {
			return store.RequestFailed, err.Error()
		}
		return store.RequestDone, fmt.Sprintf("%s runs on %q", r.Target, args.Spec)
	case "sync_now", "pause", "resume":
		if sched == nil {
			return store.RequestFailed, "the leader runs no scheduler"
		}
		if r.Kind == "sync_now" {
			var flows []string
			if r.Target != "" {
				flows = []string{r.Target}
			}
			sched.SyncNow(flows...)
			return store.RequestDone, "sync started"
		}
		if err := sched.SetPaused(ctx, r.Target, r.Kind == "pause"); err != nil {
			return store.RequestFailed, err.Error()
		}
		return store.RequestDone, r.Kind + "d"
	}
	return store.RequestFailed, "unreachable"
}
