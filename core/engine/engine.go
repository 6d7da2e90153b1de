// Package engine is the connector's sync engine: the flows that send
// purchase orders as 850s, post received 810 invoices into IFS, apply 997s,
// and keep reference data fresh; the exactly-once bookkeeping around every
// remote effect; the exception queue's actions (replay, ignore); and the
// scheduler. The GUI and the headless CLI are both clients of it.
//
// The engine declares the small interfaces it consumes (IFS, Cleo, EDI,
// Clock, Notifier) so flows run the same against in-memory fakes, the
// sandboxes and real tenants. State lives in core/store: every step is a
// status transition recorded there before the next remote call, which is
// what makes a crash at any moment recoverable (see Reconcile).
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/user"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// The flows.
const (
	FlowPOs       = "pos"
	FlowInvoices  = "invoices"
	FlowReference = "reference"
	// FlowInvoicesOut sends self-billing invoices from IFS as 810s.
	FlowInvoicesOut = "invoices_out"
)

// Flows lists every flow in the order SyncOnce runs them: reference data
// first (mappings may depend on it), then inbound before outbound.
var Flows = []string{FlowReference, FlowInvoices, FlowPOs, FlowInvoicesOut}

// Identity is our own X12 identity (the receiver of 810s, the sender of 850s).
type Identity struct {
	Qualifier string // ISA qualifier, e.g. "ZZ"
	ID        string // ISA id
	GSID      string // GS02/GS03 application code; ID when empty
}

// Params wires an engine (evebuddy-style Params struct).
type Params struct {
	Store *store.Store
	IFS   IFS
	Cleo  Cleo
	EDI   EDI
	Bus   *events.Bus // nil: events are discarded
	Clock Clock       // nil: system clock (UTC)
	// Notify shows desktop notifications; nil: none.
	Notify Notifier
	Logger *slog.Logger
	// Company is the IFS company invoices are posted in.
	Company string
	Us      Identity
	// Send997 sends a 997 for every received group (default true via New;
	// switch off when Cleo generates acknowledgments itself).
	Send997 *bool
	// MaxAttempts bounds retries of a transient remote failure per document
	// before it becomes an exception (default 5).
	MaxAttempts int
	// AckDeadline is how long a partner has to return a 997 for an 850
	// when the partner has no deadline of its own (default 24 h).
	AckDeadline time.Duration
	// DeliveryLimit is how long an outbound file may stay pending in the
	// network (Cleo "In Progress", "Receipt Pending"; still in an SFTP
	// outbox) before it is DELIVERY_STUCK, when the partner has no limit
	// of its own (default 2 h).
	DeliveryLimit time.Duration
	// Actor is the OS user recorded for user actions (default: current user).
	Actor string
	// Workers, when set, is how many documents one flow handles at once.
	// Unset, a pool that waits on IFS is sized from IFS's measured answer
	// time and its rate limit (ifsWorkers), and one that waits on Cleo
	// holds cleoParallel calls. Documents that share an order, an invoice
	// number or a partner's file sequence still go one after another.
	Workers int
}

// Engine runs flows. It is safe for concurrent use; one run per flow at a time.
type Engine struct {
	p        Params
	st       *store.Store
	bus      *events.Bus
	clock    Clock
	log      *slog.Logger
	actor    string
	send97   bool
	send97Mu sync.Mutex

	flowMu   map[string]*sync.Mutex
	draining atomic.Bool
	// listWindow is listWindow; a test makes it small.
	listWindow int

	reconcileOnce sync.Once
}

// New returns an engine. Store, IFS, Cleo and EDI are required.
func New(p Params) (*Engine, error) {
	if p.Store == nil || p.IFS == nil || p.Cleo == nil || p.EDI == nil {
		return nil, errors.New("engine: Store, IFS, Cleo and EDI are required")
	}
	e := &Engine{p: p, st: p.Store, bus: p.Bus, clock: p.Clock, log: p.Logger, actor: p.Actor, send97: true,
		flowMu: map[string]*sync.Mutex{}, listWindow: listWindow}
	if e.clock == nil {
		e.clock = systemClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.actor == "" {
		e.actor = OSUser()
	}
	if p.Send997 != nil {
		e.send97 = *p.Send997
	}
	if e.p.MaxAttempts <= 0 {
		e.p.MaxAttempts = 5
	}
	if e.p.AckDeadline <= 0 {
		e.p.AckDeadline = 24 * time.Hour
	}
	if e.p.DeliveryLimit <= 0 {
		e.p.DeliveryLimit = 2 * time.Hour
	}
	if e.p.Us.GSID == "" {
		e.p.Us.GSID = e.p.Us.ID
	}
	for _, f := range Flows {
		e.flowMu[f] = &sync.Mutex{}
	}
	return e, nil
}

// Bus returns the event bus the engine publishes on (may be nil).
func (e *Engine) Bus() *events.Bus { return e.bus }

// Store returns the engine's store, for read-only queries the engine does
// not wrap.
func (e *Engine) Store() *store.Store { return e.st }

// OSUser is the login name of the current OS user, the actor of user actions.
func OSUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown-user"
}

// ErrBusy is returned when a run of the same flow is still in progress
// (the scheduler's skip-if-still-running).
var ErrBusy = errors.New("flow is already running")

// RunResult summarises one flow run.
type RunResult struct {
	RunID   int64
	Flow    string
	OK      int // items that reached a final good state (posted, sent, applied …)
	Failed  int // items that became exceptions
	Skipped int
	Err     error // run-level failure (a connection down): items untouched stay queued
}

// run holds the counters of one flow run.
type run struct {
	mu    sync.Mutex // workers of one flow count concurrently
	res   RunResult
	total int
}

// addTotal adds n to the run's expected total.
func (r *run) addTotal(n int) {
	r.mu.Lock()
	r.total += n
	r.mu.Unlock()
}

// counted adds one document's outcome to the run and reports progress.
func (e *Engine) counted(r *run, st store.Status) {
	r.mu.Lock()
	switch st {
	case store.StatusException:
		r.res.Failed++
	case store.StatusSkippedDuplicate:
		r.res.Skipped++
	default:
		r.res.OK++
	}
	r.mu.Unlock()
	e.progress(r)
}

// RunFlow runs one flow now, unless it is already running (ErrBusy).
func (e *Engine) RunFlow(ctx context.Context, flow string) (RunResult, error) {
	mu, ok := e.flowMu[flow]
	if !ok {
		return RunResult{}, fmt.Errorf("unknown flow %q (want pos, invoices or reference)", flow)
	}
	if err := e.halt(ctx); err != nil {
		return RunResult{Flow: flow}, err
	}
	if !mu.TryLock() {
		return RunResult{Flow: flow}, ErrBusy
	}
	defer mu.Unlock()
	r := &run{res: RunResult{Flow: flow}}
	id, err := e.startRun(ctx, flow)
	if err != nil {
		return r.res, err
	}
	r.res.RunID = id
	e.bus.Publish(events.RunStarted, events.RunData{RunID: id, Flow: flow})
	ferr := e.runGuarded(ctx, flow, r)
	r.res.Err = ferr
	// Record the end even when ctx was cancelled (SIGTERM): a short, fresh context.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	e.finishRun(fctx, r)
	e.heartbeat(fctx, flow, ferr)
	rd := events.RunData{RunID: id, Flow: flow, Done: r.res.OK + r.res.Failed + r.res.Skipped, Total: r.total,
		OK: r.res.OK, Failed: r.res.Failed}
	if ferr != nil {
		rd.Err = ferr.Error()
	}
	e.bus.Publish(events.RunFinished, rd)
	return r.res, ferr
}

// ErrPanic marks a run that stopped on a panic (a bug): the run is
// recorded as failed, the stack goes to the log, an exception says so, and
// the schedule goes on.
var ErrPanic = errors.New("the run stopped on an internal error")

// runGuarded runs one flow and turns a panic into ErrPanic, so one bug in a
// flow never takes the tray app (and every other schedule) down with it.
func (e *Engine) runGuarded(ctx context.Context, flow string, r *run) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		stack := string(debug.Stack())
		e.log.Error("flow panicked", "flow", flow, "panic", fmt.Sprint(p), "stack", stack)
		err = fmt.Errorf("%s flow: %w: %v", flow, ErrPanic, p)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		exc, created, rerr := e.st.RaiseException(rctx, store.Exception{Subject: "flow:" + flow, Reason: string(ReasonInternal),
			Message: fmt.Sprintf("The %s run stopped on an internal error (%v); the schedule goes on and the next run starts afresh", flow, p),
			Fix:     fixInternal}, store.SystemActor)
		if rerr != nil {
			e.log.Error("raise internal-error exception", "flow", flow, "err", rerr)
			return
		}
		if created {
			e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, Reason: exc.Reason, Message: exc.Message})
		}
	}()
	switch flow {
	case FlowInvoices:
		return e.runInvoices(ctx, r)
	case FlowPOs:
		return e.runPOs(ctx, r)
	case FlowReference:
		return e.runReference(ctx, r)
	case FlowInvoicesOut:
		return e.runInvoicesOut(ctx, r)
	}
	return nil
}

// SyncOnce runs the given flows (all when none) one after another and
// returns the first run-level error; every flow is attempted.
func (e *Engine) SyncOnce(ctx context.Context, flows ...string) ([]RunResult, error) {
	if len(flows) == 0 {
		flows = Flows
	}
	if err := e.Reconcile(ctx); err != nil {
		return nil, err
	}
	var out []RunResult
	var first error
	for _, f := range flows {
		if e.halt(ctx) != nil {
			break
		}
		res, err := e.RunFlow(ctx, f)
		out = append(out, res)
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", f, err)
		}
	}
	return out, first
}

func (e *Engine) progress(r *run) {
	r.mu.Lock()
	d := events.RunData{RunID: r.res.RunID, Flow: r.res.Flow,
		Done: r.res.OK + r.res.Failed + r.res.Skipped, Total: r.total, OK: r.res.OK, Failed: r.res.Failed}
	r.mu.Unlock()
	e.bus.Publish(events.RunProgress, d)
}

// fatal reports whether err should stop the whole run rather than become a
// per-document exception: credentials and grants affect every document, and
// a cancelled context means shut down.
func fatal(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrStopping) {
		return true
	}
	k := domain.KindOf(err)
	return k == domain.KindAuth || k == domain.KindForbidden || k == domain.KindConfig
}

// transient reports whether trying again later may succeed.
func transient(err error) bool {
	k := domain.KindOf(err)
	return k == domain.KindTransient || k == domain.KindRateLimited || k == domain.KindUnknown
}

// publishDoc announces a document change.
func (e *Engine) publishDoc(d store.Document) {
	e.bus.Publish(events.DocumentChanged, events.DocumentData{DocumentID: d.ID, Type: string(d.Type),
		Direction: string(d.Direction), Partner: d.Partner, BusinessKey: d.BusinessKey, Status: string(d.Status), Reason: d.Reason})
}

// transition applies tr to document id and publishes the change and any
// exception raised or resolved.
func (e *Engine) transition(ctx context.Context, id int64, tr store.Transition) (store.Document, error) {
	before, _ := e.st.Document(ctx, id)
	d, err := e.st.Transition(ctx, id, tr)
	if err != nil {
		return d, err
	}
	e.publishDoc(d)
	if d.Status == store.StatusException && (before.Status != store.StatusException || before.Reason != d.Reason) {
		exc, _ := e.st.OpenExceptionOf(ctx, id)
		e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, DocumentID: id, Reason: d.Reason, Message: d.Message})
		e.notify("New exception", d.Message)
	} else if before.Status == store.StatusException && d.Status != store.StatusException {
		res := "resolved"
		if d.Status == store.StatusIgnored {
			res = "ignored"
		}
		e.bus.Publish(events.ExceptionResolved, events.ExceptionData{DocumentID: id, Reason: before.Reason, Resolution: res})
	}
	return d, nil
}

// fail moves a document to the exception queue for problem p.
func (e *Engine) fail(ctx context.Context, id int64, p *problem, patch store.DocumentPatch) (store.Document, error) {
	var c any
	if p.Context != nil {
		c = p.Context
	}
	return e.transition(ctx, id, store.Transition{To: store.StatusException, Reason: string(p.Reason),
		Message: p.Message, Fix: p.Fix, Context: c, Action: "exception." + string(p.Reason), Patch: patch})
}

func (e *Engine) notify(title, body string) {
	if e.p.Notify != nil {
		e.p.Notify(title, body)
	}
}

// ErrStopping is returned by runs interrupted by Drain between two steps.
var ErrStopping = errors.New("engine is stopping")

// Drain makes running flows stop after the step in progress (the document
// being posted or sent completes and is recorded) and new runs refuse to
// start: the SIGTERM behaviour of the headless daemon.
func (e *Engine) Drain() { e.draining.Store(true) }

// halt reports whether a flow must stop before its next step.
func (e *Engine) halt(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.draining.Load() {
		return ErrStopping
	}
	return nil
}

// Company is the IFS company the engine posts to.
func (e *Engine) Company() string { return e.p.Company }

// Identity returns our X12 identity as configured.
func (e *Engine) Identity() Identity { return e.p.Us }

// errNoReference means partners have not been read from Cleo yet: work
// that needs them waits (it is transient, never an exception).
var errNoReference = refError{}

type refError struct{}

func (refError) Error() string {
	return "no trading partners known yet: the reference flow has not succeeded"
}
func (refError) ErrorKind() domain.ErrorKind { return domain.KindTransient }
