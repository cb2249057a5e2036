package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/pcreconcile/pcreconcile/batch/catalogue"
	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/pcclient"
)

// Client is the part of pcclient.Client the runner uses.
type Client interface {
	GetOrder(ctx context.Context, customerID, orderID string, opts ...pcclient.CallOption) (*pcclient.Order, *pcclient.Response, error)
	CancelOrder(ctx context.Context, customerID, orderID string, lines []pcclient.LineItemRef, opts ...pcclient.CallOption) (*pcclient.Order, *pcclient.Response, error)
}

// Progress hears about finished orders.
type Progress interface {
	Start(total int)
	Add(n int)
	Finish()
}

// ErrAuthAborted ends a run in which authentication failed for several
// orders in a row: every further order would fail the same way.
var ErrAuthAborted = errors.New("authentication keeps failing")

// Runner processes the orders of a plan concurrently and journals each
// outcome.
type Runner struct {
	Client Client
	// Concurrency bounds the orders in flight (default 8).
	Concurrency int
	// DryRun stops after the GET: lines that would be cancelled are
	// would_cancel (the plan command).
	DryRun  bool
	RunID   string
	Journal *journal.Journal
	// Clock tells the time and waits (default the system's).
	Clock pcclient.Clock
	Log   *slog.Logger
	// Progress, when set, is told of every finished order.
	Progress Progress
	// AuthAbortAfter is how many orders in a row may fail authentication
	// before the run aborts (default 3).
	AuthAbortAfter int
	// StopGrace is how long, once the run is stopped, a PATCH already sent
	// may take to be answered, and then the one GET that reads its order
	// again (default 10 s each).
	StopGrace time.Duration
	// SettleTimeout is how long an order whose cancellation Partner Center
	// accepted but has not carried out yet is read again (default 2 minutes;
	// see settleWait).
	SettleTimeout time.Duration
	// Windows are the cancellation windows by product kind: Partner
	// Center's, with the config's overrides (run.windows).
	Windows deadline.Rules

	mu        sync.Mutex
	authFails int
	catalogue *catalogue.Catalogue
	// unreachable is the first "cannot find the host" of the run.
	unreachable atomic.Pointer[string]
}

// Unreachable says why Partner Center could not be reached, when a call
// of the run found its host unknown to the DNS ("" when none did).
func (r *Runner) Unreachable() string {
	if p := r.unreachable.Load(); p != nil {
		return *p
	}
	return ""
}

// Run processes every order of p that has lines to do, until all are done,
// ctx is cancelled, or authentication keeps failing (ErrAuthAborted).
//
// Cancelling ctx stops the run in seconds, whatever Retry-After asks for:
// an order that has not sent its PATCH stops at once and has no record (it
// is reported pending); an order whose PATCH is out gets StopGrace for the
// answer and, without one, one GET to see what Partner Center did. A
// journal write failure is returned at once: nothing more may be done that
// cannot be recorded.
func (r *Runner) Run(ctx context.Context, p *plan.Plan) error {
	if r.Clock == nil {
		r.Clock = pcclient.SystemClock{}
	}
	if r.SettleTimeout <= 0 {
		r.SettleTimeout = 2 * time.Minute
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	r.catalogue = catalogue.New(r.Client, r.Windows, r.Log)
	conc := r.Concurrency
	if conc <= 0 {
		conc = 8
	}
	abortAfter := r.AuthAbortAfter
	if abortAfter <= 0 {
		abortAfter = 3
	}
	todo := FairOrder(p)
	if r.Progress != nil {
		r.Progress.Start(len(todo))
		defer r.Progress.Finish()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, o := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil // dispatch stopped while this order waited for a slot
			}
			res, err := r.process(gctx, p, o)
			if err != nil {
				return err
			}
			if res == nil {
				return nil // stopped before anything was sent: pending
			}
			if err := r.Journal.Append(res); err != nil {
				return err
			}
			if r.Progress != nil {
				r.Progress.Add(1)
			}
			r.Log.Debug("order done", "customer", o.Customer, "order", o.ID, "outcome", res.Outcome, "attempts", res.Attempts)
			if r.authFailed(res.AuthFailed, abortAfter) {
				return fmt.Errorf("%w (the last answer: %s)", ErrAuthAborted, res.ErrorMessage)
			}
			return nil
		})
	}
	return g.Wait()
}

func (r *Runner) authFailed(failed bool, limit int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !failed {
		r.authFails = 0
		return false
	}
	r.authFails++
	return r.authFails >= limit
}

// FairOrder returns the orders with work to do, interleaving customers
// round-robin so that one customer with thousands of orders — and perhaps a
// per-customer limit — does not hold up everyone else.
func FairOrder(p *plan.Plan) []*plan.Order {
	var customers []string
	queues := map[string][]*plan.Order{}
	n := 0
	for _, o := range p.Orders {
		if o.Journaled || len(o.Rows) == 0 {
			continue
		}
		if _, ok := queues[o.Customer]; !ok {
			customers = append(customers, o.Customer)
		}
		queues[o.Customer] = append(queues[o.Customer], o)
		n++
	}
	out := make([]*plan.Order, 0, n)
	for len(out) < n {
		for _, c := range customers {
			if q := queues[c]; len(q) > 0 {
				out = append(out, q[0])
				queues[c] = q[1:]
			}
		}
	}
	return out
}

// process does the I/O of one order — GET it, PATCH what the rules decide —
// and returns its record, or nil when ctx stopped it before anything was
// sent. The rules themselves are decide, settle and reread.
//
// Before the PATCH is sent, its intent (MS-RequestId, the lines and their
// quantities and prices before) is journaled and fsynced: if the process
// dies between Partner Center applying the PATCH and the journal recording
// its answer, a resume still knows that this run cancelled those lines. An
// intent that cannot be journaled is an error: nothing is sent that could
// not be accounted for.
func (r *Runner) process(ctx context.Context, p *plan.Plan, o *plan.Order) (*record.OrderResult, error) {
	start := r.Clock.Now()
	res := &record.OrderResult{Seq: o.Seq, Customer: o.Customer, Order: o.ID}
	rows := make([]*plan.Row, len(o.Rows))
	for i, ri := range o.Rows {
		rows[i] = p.Rows.At(ri)
	}
	var calls []*pcclient.Response
	defer func() {
		r.finish(res, o, rows, calls, start)
	}()

	before, resp, err := r.Client.GetOrder(ctx, o.Customer, o.ID)
	calls = append(calls, resp)
	if ctx.Err() != nil {
		return nil, nil
	}
	if err != nil {
		if errors.Is(err, pcclient.ErrUnreachable) {
			msg := err.Error()
			r.unreachable.CompareAndSwap(nil, &msg)
		}
		res.Lines = unread(o, rows, failOrder(res, err))
		return res, nil
	}
	res.StatusBefore, res.StatusAfter, res.Currency, res.AlternateID = before.Status, before.Status, before.CurrencyCode, before.AlternateID
	if o.Intent != nil && !r.DryRun && !finalStatus(before.Status) {
		// An earlier PATCH of this chain was accepted and may still land:
		// read the order again until it is final, and send nothing new while
		// it is not.
		var waits []*pcclient.Response
		before, waits, _ = r.settleWait(ctx, o, before, intentLines(o.Intent), true)
		calls = append(calls, waits...)
		res.StatusAfter = before.Status
	}
	d := decide(o, rows, before, r.kinds(ctx, before), r.DryRun)
	res.Lines, res.ErrorMessage = d.settled, d.held
	if len(d.send) == 0 {
		return res, nil
	}
	if o.Intent != nil && !finalStatus(before.Status) {
		res.Lines = append(res.Lines, stillPending(d, before, o.Intent.RequestID, r.SettleTimeout)...)
		return res, nil
	}
	if ctx.Err() != nil {
		return nil, nil
	}
	lines, err := r.send(ctx, res, o, d, d.requestID, before, &calls)
	if err != nil {
		return nil, err
	}
	if d.requestID != "" && ctx.Err() == nil {
		// The PATCH went again under an earlier one's MS-RequestId, and a
		// read of the order after its answer shows the order final with lines
		// still active: that earlier PATCH will never take effect, and Partner
		// Center only replayed its answer. Only now is a new MS-RequestId safe
		// for those lines.
		if again := notCancelled(d, lines); len(again.send) > 0 {
			more, err := r.send(ctx, res, o, again, "", before, &calls)
			if err != nil {
				return nil, err
			}
			lines = replaceLines(lines, more)
		}
	}
	res.Lines = append(res.Lines, lines...)
	return res, nil
}

// kinds tells the kind and deadline of each line of order, as read.
func (r *Runner) kinds(ctx context.Context, order *pcclient.Order) kinds {
	return kinds{at: r.Clock.Now(), lines: r.catalogue.Lines(ctx, order)}
}

// send journals the intent of d's PATCH and sends it under requestID (a
// new one when ""), and returns the sent lines as the answer and the reads
// after it show them. Its error is a journal that cannot be written.
func (r *Runner) send(ctx context.Context, res *record.OrderResult, o *plan.Order, d decision, requestID string, before *pcclient.Order, calls *[]*pcclient.Response) (lines []record.LineResult, err error) {
	if requestID == "" {
		requestID = uuid.NewString()
	}
	var presp *pcclient.Response
	defer func() {
		// Each line the PATCH decided carries the PATCH's ids: the ones a
		// support ticket about it quotes.
		for i := range lines {
			if presp != nil && presp.Attempts > 0 && lines[i].RequestID == requestID {
				lines[i].CorrelationID = presp.CorrelationID
			}
		}
	}()
	intent := d.intent(o, requestID)
	intent.StatusBefore, intent.Currency = before.Status, before.CurrencyCode
	if err := r.Journal.AppendIntent(intent); err != nil {
		return nil, err
	}
	for i := range d.send {
		d.send[i].RequestID = requestID
	}
	patchCtx, done := r.graceful(ctx)
	defer done()
	after, presp, err := r.Client.CancelOrder(patchCtx, o.Customer, o.ID, d.refs, pcclient.WithRequestID(requestID), pcclient.UntilStopped(ctx))
	*calls = append(*calls, presp)
	switch {
	case err == nil:
		if !settledAnswer(after, d) {
			// Accepted, but not (yet) done: not an outcome until a read of the
			// order says so.
			var waits []*pcclient.Response
			var final bool
			after, waits, final = r.settleWait(ctx, o, after, sentLines(d), presp.Verified)
			*calls = append(*calls, waits...)
			if !final {
				res.StatusAfter = after.Status
				return stillPending(d, after, requestID, r.SettleTimeout), nil
			}
		}
		res.StatusAfter = after.Status
		return settle(d, after, presp.Verified), nil
	case errors.Is(err, pcclient.ErrStopped):
		// Stopped while waiting to send: nothing went out.
		out := make([]record.LineResult, 0, len(d.send))
		for _, lr := range d.send {
			out = append(out, withStatus(lr, record.Pending, "", "the run was stopped before this cancellation was sent"))
		}
		return out, nil
	}
	f := failOrder(res, err)
	why := rereadFor(err, presp.MayHaveApplied || d.again)
	if why == noReread {
		return refused(d, f), nil
	}
	now, rresp, rerr := r.reread(ctx, o)
	*calls = append(*calls, rresp)
	if rerr == nil {
		res.StatusAfter = now.Status
	}
	return reread(d, why, f, now, rerr), nil
}

// settleWait reads order o again until the lines (line numbers) are at 0
// or the order is in a final status — read by a GET, not taken from a
// PATCH's answer (read says whether last was) — or until SettleTimeout.
// It waits a sixtieth of SettleTimeout first (2 s at the default 2
// minutes), doubling each time, and stops at once when ctx is done. It
// returns the latest order read, the calls made, and whether it settled.
func (r *Runner) settleWait(ctx context.Context, o *plan.Order, last *pcclient.Order, lines []int, read bool) (*pcclient.Order, []*pcclient.Response, bool) {
	var calls []*pcclient.Response
	deadline := r.Clock.Now().Add(r.SettleTimeout)
	wait := r.SettleTimeout / 60
	for {
		if atZero(last, lines) || read && finalStatus(last.Status) {
			return last, calls, true
		}
		left := deadline.Sub(r.Clock.Now())
		if left <= 0 || ctx.Err() != nil {
			return last, calls, false
		}
		if err := r.Clock.Sleep(ctx, min(wait, left)); err != nil {
			return last, calls, false
		}
		wait *= 2
		got, resp, err := r.Client.GetOrder(ctx, o.Customer, o.ID, pcclient.UntilStopped(ctx))
		calls = append(calls, resp)
		if err == nil {
			last, read = got, true
		}
	}
}

// graceful returns a context for a request that must not be cut short the
// moment ctx is: it ends StopGrace after ctx does.
func (r *Runner) graceful(ctx context.Context) (context.Context, func()) {
	grace := r.StopGrace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-gctx.Done(): // the request ended first
		}
	})
	return gctx, func() {
		stop()
		cancel()
	}
}

// reread reads the order again after a PATCH whose answer did not say what
// it did. While the run goes on, it is an ordinary GET; once the run is
// stopped, a single attempt within StopGrace.
func (r *Runner) reread(ctx context.Context, o *plan.Order) (*pcclient.Order, *pcclient.Response, error) {
	gctx, done := r.graceful(ctx)
	defer done()
	if ctx.Err() == nil {
		now, resp, err := r.Client.GetOrder(gctx, o.Customer, o.ID, pcclient.UntilStopped(ctx))
		if !errors.Is(err, pcclient.ErrStopped) {
			return now, resp, err
		}
	}
	return r.Client.GetOrder(gctx, o.Customer, o.ID, pcclient.Once())
}

// finish fills in what every line of the order shares and merges in the
// lines carried from an earlier run.
func (r *Runner) finish(res *record.OrderResult, o *plan.Order, rows []*plan.Row, calls []*pcclient.Response, start time.Time) {
	now := r.Clock.Now()
	if len(res.Lines) == 0 {
		// The rules give every row a line; should they not, the rows are
		// failed rather than lost.
		for _, row := range rows {
			res.Lines = append(res.Lines, withStatus(requested(row, o), record.Failed, "", "no line of this row could be decided from Partner Center's answer"))
		}
	}
	var last *pcclient.Response
	for _, c := range calls {
		if c == nil {
			continue
		}
		res.Attempts += c.Attempts
		last = c
	}
	if last != nil {
		res.HTTPStatus, res.RequestID, res.CorrelationID = last.StatusCode, last.RequestID, last.CorrelationID
	}
	for i := range res.Lines {
		l := &res.Lines[i]
		l.OrderBefore, l.OrderAfter = res.StatusBefore, res.StatusAfter
		l.Attempts, l.ProcessedAt, l.RunID = res.Attempts, now, r.RunID
		if last != nil && l.RequestID == "" {
			l.RequestID, l.CorrelationID = last.RequestID, last.CorrelationID
		}
	}
	res.Lines = append(res.Lines, o.Prev...)
	sortLines(res.Lines)
	res.Outcome = record.Outcome(res.Lines)
	res.DurationMS = now.Sub(start).Milliseconds()
}

// sortLines orders an order's lines by source row, then line number.
func sortLines(lines []record.LineResult) {
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return lineNo(a) < lineNo(b)
	})
}

func lineNo(l record.LineResult) int {
	if l.Line == nil {
		return -1
	}
	return *l.Line
}
