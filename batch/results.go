package batch

import (
	"errors"
	"fmt"
	"strings"
)

// Records gives what was recorded of an order by its Seq; a *Journal is
// one.
type Records interface {
	// Get returns the order's outcome.
	Get(seq int) (*OrderResult, bool, error)
	// Intent returns the order's cancellation that was sent and whose
	// answer was never recorded.
	Intent(seq int) (*OrderResult, bool, error)
	// LinesOf returns how many lines the order's outcome has.
	LinesOf(seq int) (int, bool)
}

// ErrUnsettled is an order whose PATCH was sent and whose answer was never
// recorded: what it did is known only after a resume reads the order again.
var ErrUnsettled = errors.New("a cancellation was sent and its answer never recorded")

// Results calls fn for every item of the plan, in report order, with what
// happened to it: the record of a finished order; for an order without one
// (never started), its lines as pending; for a row that was not processed,
// its one line (invalid, duplicate, or carried from an earlier run).
// isOrder tells orders from rows.
func (p *Plan) Results(recs Records, runID string, fn func(res *OrderResult, isOrder bool) error) error {
	for seq, it := range p.Items {
		if it.Order == nil {
			r := p.Rows.At(it.Row)
			lr := p.rowResult(r, runID)
			if err := fn(&OrderResult{Seq: seq, Customer: lr.Customer, Order: lr.Order, Outcome: string(lr.Status), Lines: []LineResult{lr}}, false); err != nil {
				return err
			}
			continue
		}
		o := it.Order
		res, ok, err := recs.Get(o.Seq)
		if err != nil {
			return err
		}
		if ok && (res.Customer != o.Customer || res.Order != o.ID) {
			return fmt.Errorf("journal record %d is for order %s, not %s", o.Seq, res.Order, o.ID)
		}
		if !ok {
			if _, sent, err := recs.Intent(o.Seq); err != nil {
				return err
			} else if sent {
				return fmt.Errorf("order %s: %w; resume from the journal", o.ID, ErrUnsettled)
			}
			res = p.pendingResult(o, runID)
		}
		if err := fn(res, true); err != nil {
			return err
		}
	}
	return nil
}

// LineCount is how many lines Results yields — the rows of the report's
// Lines sheets — known before a line is read.
func (p *Plan) LineCount(recs Records) int {
	n := 0
	for _, it := range p.Items {
		if it.Order == nil {
			n++
		} else if k, ok := recs.LinesOf(it.Order.Seq); ok {
			n += k
		} else {
			n += len(it.Order.Rows) + len(it.Order.Prev)
		}
	}
	return n
}

// pendingResult is an order nobody processed: its rows' lines as pending,
// with any lines carried from an earlier run.
func (p *Plan) pendingResult(o *Order, runID string) *OrderResult {
	res := &OrderResult{Seq: o.Seq, Customer: o.Customer, Order: o.ID, Outcome: string(Pending)}
	for _, ri := range o.Rows {
		r := p.Rows.At(ri)
		if r.Prev() != nil {
			// A retryable line of an earlier run keeps what that run learnt,
			// and the quantity it will be checked against.
			lr := *r.Prev()
			lr.Status, lr.RunID = Pending, runID
			if r.Expect >= 0 {
				lr.Expect = intPtr(int(r.Expect))
			}
			res.Lines = append(res.Lines, lr)
			continue
		}
		lr := requested(r, o)
		lr.Status, lr.RunID = Pending, runID
		res.Lines = append(res.Lines, lr)
	}
	res.Lines = append(res.Lines, o.Prev...)
	sortLines(res.Lines)
	if len(o.Prev) > 0 {
		res.Outcome = outcome(res.Lines)
	}
	return res
}

// requested is the line as row asks for it, before its order is read.
func requested(row *Row, o *Order) LineResult {
	lr := LineResult{Row: row.Source, Customer: o.Customer, Order: o.ID, Offer: row.Offer, Extras: row.Extras}
	switch {
	case row.AllLines():
		lr.LineText = "*"
	case row.ByOffer():
		// The line is known once the order is read: the cell stays empty.
	default:
		lr.Line = intPtr(int(row.Line))
	}
	if row.Expect >= 0 {
		lr.Expect = intPtr(int(row.Expect))
	}
	return lr
}

// rowResult is the line of a row that is not processed.
func (p *Plan) rowResult(r *Row, runID string) LineResult {
	if r.Prev() != nil {
		return *r.Prev()
	}
	lr := LineResult{Row: r.Source, Status: r.Status, RunID: runID, Extras: r.Extras}
	if t := r.Typed(); t != nil {
		lr.Customer, lr.Order, lr.LineText, lr.Offer = t.Customer, t.Order, t.Line, t.Offer
	}
	var msgs []string
	for _, pr := range r.Problems() {
		msgs = append(msgs, pr.Detail())
	}
	lr.ErrorMessage = strings.Join(msgs, "; ")
	return lr
}
