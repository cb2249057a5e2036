package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pcreconcile/pcreconcile/pcclient"
)

// Client is the part of pcclient.Client the runner uses.
type Client interface {
	GetOrder(ctx context.Context, customerID, orderID string) (*pcclient.Order, *pcclient.Response, error)
	CancelOrder(ctx context.Context, customerID, orderID string, lines []pcclient.LineItemRef) (*pcclient.Order, *pcclient.Response, error)
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
	Journal *Journal
	Now     func() time.Time
	Log     *slog.Logger
	// Progress, when set, is told of every finished order.
	Progress Progress
	// AuthAbortAfter is how many orders in a row may fail authentication
	// before the run aborts (default 3).
	AuthAbortAfter int

	mu        sync.Mutex
	authFails int
}

// Run processes every order of p that has lines to do, until all are done,
// ctx is cancelled, or authentication keeps failing (ErrAuthAborted).
//
// Cancelling ctx stops dispatch only: orders already started run to the end
// (their requests do not see the cancellation), so no order is left half
// done. Orders never started have no record and are reported pending. A
// journal write failure is returned at once: nothing more may be done that
// cannot be recorded.
func (r *Runner) Run(ctx context.Context, p *Plan) error {
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
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
	inflight := context.WithoutCancel(ctx)
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
			res := r.process(inflight, p, o)
			if err := r.Journal.Append(res); err != nil {
				return err
			}
			if r.Progress != nil {
				r.Progress.Add(1)
			}
			r.Log.Debug("order done", "customer", o.Customer, "order", o.ID, "outcome", res.Outcome, "attempts", res.Attempts)
			if r.authFailed(res.AuthFailed, abortAfter) {
				return ErrAuthAborted
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
func FairOrder(p *Plan) []*Order {
	var customers []string
	queues := map[string][]*Order{}
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
	out := make([]*Order, 0, n)
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

// want is a requested line: the row that asks for it and the line item as
// Partner Center has it.
type want struct {
	row  *Row
	item *pcclient.LineItem
}

// process runs the per-order procedure of SPEC §5 and returns its record.
func (r *Runner) process(ctx context.Context, p *Plan, o *Order) *OrderResult {
	start := r.Now()
	res := &OrderResult{Seq: o.Seq, Customer: o.Customer, Order: o.ID}
	rows := make([]*Row, len(o.Rows))
	for i, ri := range o.Rows {
		rows[i] = p.Rows.At(ri)
	}
	var calls []*pcclient.Response
	defer func() {
		r.finish(res, o, calls, start)
	}()

	order, resp, err := r.Client.GetOrder(ctx, o.Customer, o.ID)
	calls = append(calls, resp)
	if err != nil {
		f := res.fail(err)
		for _, row := range rows {
			res.Lines = append(res.Lines, withStatus(requested(row, o), f.status, f.code, f.message))
		}
		return res
	}
	res.StatusBefore, res.StatusAfter = order.Status, order.Status
	purchased, _ := time.Parse(time.RFC3339Nano, order.CreationDate)

	wants, missing := expand(rows, order)
	line := func(w want) LineResult { return r.line(w.row, o, w.item, purchased) }
	// unchanged is a line this run leaves as it found it.
	unchanged := func(w want, s Status, msg string) LineResult {
		lr := line(w)
		lr.After = lr.Before
		return withStatus(lr, s, "", msg)
	}
	if len(missing) > 0 {
		// Line numbers the order does not have: the sheet is wrong about this
		// order, so none of it is sent.
		var have []string
		for _, li := range order.LineItems {
			have = append(have, fmt.Sprint(li.LineItemNumber))
		}
		msg := fmt.Sprintf("order %s has no line item%s (its lines: %s); nothing of this order was sent", o.ID, joinInts(missing), strings.Join(have, ", "))
		for _, w := range wants {
			res.Lines = append(res.Lines, unchanged(w, Invalid, msg))
		}
		for _, row := range rows {
			if !row.AllLines() && order.Line(int(row.Line)) == nil {
				res.Lines = append(res.Lines, withStatus(requested(row, o), Invalid, "", msg))
			}
		}
		return res
	}

	if reasons := mismatches(wants, order); len(reasons) > 0 {
		for i, w := range wants {
			msg := reasons[i]
			if msg == "" {
				msg = "held: another line of this order does not match the sheet"
			}
			res.Lines = append(res.Lines, unchanged(w, Mismatch, msg))
		}
		return res
	}

	var active []want
	orderCancelled := strings.EqualFold(order.Status, "cancelled")
	for _, w := range wants {
		if w.item.Quantity == 0 || orderCancelled {
			res.Lines = append(res.Lines, unchanged(w, AlreadyCancelled, ""))
		} else {
			active = append(active, w)
		}
	}
	if len(active) == 0 {
		return res
	}
	if r.DryRun {
		for _, w := range active {
			res.Lines = append(res.Lines, unchanged(w, WouldCancel, ""))
		}
		return res
	}

	refs := make([]pcclient.LineItemRef, 0, len(active))
	everyLine := true
	for _, w := range active {
		refs = append(refs, pcclient.LineItemRef{LineItemNumber: w.item.LineItemNumber, OfferID: w.item.OfferID})
	}
	for _, row := range rows {
		everyLine = everyLine && row.AllLines()
	}
	if everyLine && len(active) == len(order.LineItems) {
		refs = nil // the sheet asked for the whole order, and all of it is active
	}
	after, presp, err := r.Client.CancelOrder(ctx, o.Customer, o.ID, refs)
	calls = append(calls, presp)
	if err != nil {
		f := res.fail(err)
		for _, w := range active {
			lr := line(w)
			if f.rejected {
				lr.After = lr.Before // Partner Center refused: nothing changed
			}
			res.Lines = append(res.Lines, withStatus(lr, f.status, f.code, f.message))
		}
		return res
	}
	res.StatusAfter = after.Status
	note := ""
	if presp.Verified {
		note = "the answer to the PATCH was lost; a GET confirmed the cancellation"
	}
	for _, w := range active {
		lr := line(w)
		got := after.Line(w.item.LineItemNumber)
		switch {
		case got == nil:
			res.Lines = append(res.Lines, withStatus(lr, NotCancelled, "", "the answer does not include this line"))
		case got.Quantity == 0:
			lr.After = intPtr(0)
			res.Lines = append(res.Lines, withStatus(lr, Cancelled, "", note))
		default:
			lr.After = intPtr(got.Quantity)
			res.Lines = append(res.Lines, withStatus(lr, NotCancelled, "", "Partner Center accepted the request but the line still has quantity "+fmt.Sprint(got.Quantity)))
		}
	}
	return res
}

// expand pairs the rows with the order's line items: a row for one line
// takes that line; a row for every line takes the lines no other row names.
// It returns the line numbers the order does not have.
func expand(rows []*Row, order *pcclient.Order) (wants []want, missing []int) {
	named := map[int]bool{}
	for _, row := range rows {
		if !row.AllLines() {
			named[int(row.Line)] = true
		}
	}
	for _, row := range rows {
		if !row.AllLines() {
			if item := order.Line(int(row.Line)); item != nil {
				wants = append(wants, want{row, item})
			} else {
				missing = append(missing, int(row.Line))
			}
			continue
		}
		items := make([]*pcclient.LineItem, 0, len(order.LineItems))
		for i := range order.LineItems {
			if !named[order.LineItems[i].LineItemNumber] {
				items = append(items, &order.LineItems[i])
			}
		}
		sort.Slice(items, func(a, b int) bool { return items[a].LineItemNumber < items[b].LineItemNumber })
		for _, item := range items {
			wants = append(wants, want{row, item})
		}
	}
	return wants, missing
}

// mismatches checks each wanted line against the sheet's offer id and
// expected quantity; it returns a reason per line ("" when it matches), or
// nil when every line matches. A row for every line compares its expected
// quantity with the order's total. Lines already at 0 are not compared on
// quantity: a re-run of a finished sheet must say already_cancelled.
func mismatches(wants []want, order *pcclient.Order) []string {
	reasons := make([]string, len(wants))
	any := false
	totals := map[*Row]int{}
	for _, w := range wants {
		totals[w.row] += w.item.Quantity
	}
	for i, w := range wants {
		var why []string
		if w.row.Offer != "" && !sameOffer(w.row.Offer, w.item.OfferID) {
			why = append(why, fmt.Sprintf("the sheet's offer id %s differs from line %d's offer %s", w.row.Offer, w.item.LineItemNumber, w.item.OfferID))
		}
		if w.row.Expect >= 0 && w.item.Quantity > 0 && !strings.EqualFold(order.Status, "cancelled") {
			have := w.item.Quantity
			if w.row.AllLines() {
				have = totals[w.row]
			}
			if int(w.row.Expect) != have {
				why = append(why, fmt.Sprintf("expected quantity %d, but the order has %d", w.row.Expect, have))
			}
		}
		if len(why) > 0 {
			reasons[i], any = strings.Join(why, "; "), true
		}
	}
	if !any {
		return nil
	}
	return reasons
}

// line starts the result of a requested line.
func (r *Runner) line(row *Row, o *Order, item *pcclient.LineItem, purchased time.Time) LineResult {
	lr := LineResult{Row: row.Source, Customer: o.Customer, Order: o.ID, Extras: row.Extras, Purchased: purchased}
	if row.Expect >= 0 {
		lr.Expect = intPtr(int(row.Expect))
	}
	if item != nil {
		lr.Line, lr.Offer, lr.Product, lr.Before = intPtr(item.LineItemNumber), item.OfferID, item.FriendlyName, intPtr(item.Quantity)
	}
	return lr
}

func withStatus(lr LineResult, s Status, code, msg string) LineResult {
	lr.Status, lr.ErrorCode, lr.ErrorMessage = s, code, msg
	return lr
}

// finish fills in what every line of the order shares and merges in the
// lines carried from an earlier run.
func (r *Runner) finish(res *OrderResult, o *Order, calls []*pcclient.Response, start time.Time) {
	now := r.Now()
	var last *pcclient.Response
	for _, c := range calls {
		if c == nil {
			continue
		}
		res.Attempts += c.Attempts
		last = c
	}
	if last != nil {
		res.HTTPStatus, res.RequestID = last.StatusCode, last.RequestID
	}
	for i := range res.Lines {
		l := &res.Lines[i]
		l.OrderBefore, l.OrderAfter = res.StatusBefore, res.StatusAfter
		l.Attempts, l.ProcessedAt, l.RunID = res.Attempts, now, r.RunID
		if last != nil {
			l.RequestID, l.CorrelationID = last.RequestID, last.CorrelationID
		}
	}
	res.Lines = append(res.Lines, o.Prev...)
	sortLines(res.Lines)
	res.Outcome = outcome(res.Lines)
	res.DurationMS = now.Sub(start).Milliseconds()
}

// sortLines orders an order's lines by source row, then line number.
func sortLines(lines []LineResult) {
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return lineNo(a) < lineNo(b)
	})
}

func lineNo(l LineResult) int {
	if l.Line == nil {
		return -1
	}
	return *l.Line
}

// failure is what an error means for the lines of an order.
type failure struct {
	status   Status
	code     string
	message  string
	auth     bool // authentication failed
	rejected bool // Partner Center refused the request: nothing changed
}

// fail records on res why its order failed, and returns what that means
// for the order's lines.
func (res *OrderResult) fail(err error) failure {
	f := classify(err)
	res.ErrorCode, res.ErrorMessage, res.AuthFailed = f.code, f.message, f.auth
	return f
}

// classify maps a client error to line statuses (SPEC §5.7).
func classify(err error) failure {
	var ae *pcclient.APIError
	var auth *pcclient.AuthError
	switch {
	case errors.As(err, &auth):
		f := failure{status: Failed, code: auth.AADSTS, message: auth.Error(), auth: true}
		if auth.Fix != "" {
			f.message += " (" + auth.Fix + ")"
		}
		return f
	case errors.As(err, &ae):
		f := failure{status: Failed, code: ae.Code, message: ae.Description, rejected: ae.StatusCode < 500 && ae.StatusCode != 429}
		if f.code == "" {
			f.code = fmt.Sprint(ae.StatusCode)
		}
		if err != error(ae) {
			f.message = err.Error() // "giving up after N attempts: …"
		}
		switch ae.Code {
		case pcclient.CodeOutsideWindow:
			f.status = OutsideWindow
		case pcclient.CodeOrderNotCancelable, pcclient.CodeLineItemCancelled, pcclient.CodeProductNotCancel1, pcclient.CodeProductNotCancel2:
			f.status = NotCancellable
		}
		switch ae.StatusCode {
		case 404:
			f.status = NotFound
		case 401:
			f.auth = true
		}
		return f
	}
	return failure{status: Failed, message: err.Error()}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	if len(s) > 1 {
		return "s " + strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
	}
	return " " + s[0]
}
