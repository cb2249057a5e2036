package run

import (
	"fmt"
	"iter"
	"strings"

	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
)

// Records gives what was recorded of an order by its Seq; a *Journal is
// one.
type Records interface {
	// Get returns the order's outcome.
	Get(seq int) (*record.OrderResult, bool, error)
	// Intent returns the order's cancellation that was sent and whose
	// answer was never recorded.
	Intent(seq int) (*record.OrderResult, bool, error)
	// LinesOf returns how many lines the order's outcome has.
	LinesOf(seq int) (int, bool)
}

// Outcomes yields every item of the plan, in report order, with what
// happened to it: the record of a finished order; for an order without one
// (never started), its lines as pending — or, when its PATCH went out and
// no answer was recorded, the lines that PATCH was for as failed and
// unsettled; for a row that was not processed, its one line (invalid,
// duplicate, ignored, or carried from an earlier run). It stops at the
// first record that cannot be read, yielding its error.
func Outcomes(p *plan.Plan, recs Records, runID string) iter.Seq2[record.Item, error] {
	return func(yield func(record.Item, error) bool) {
		for seq, it := range p.Items {
			res, err := outcome(p, recs, runID, seq, it)
			if err != nil {
				yield(record.Item{}, err)
				return
			}
			if !yield(record.Item{Result: res, Order: it.Order != nil}, nil) {
				return
			}
		}
	}
}

// outcome is what happened to item it, at position seq of the plan.
func outcome(p *plan.Plan, recs Records, runID string, seq int, it plan.Item) (*record.OrderResult, error) {
	if it.Order == nil {
		lr := rowResult(p.Rows.At(it.Row), runID)
		return &record.OrderResult{Seq: seq, Customer: lr.Customer, Order: lr.Order, Outcome: string(lr.Status), Lines: []record.LineResult{lr}}, nil
	}
	o := it.Order
	res, ok, err := recs.Get(o.Seq)
	if err != nil {
		return nil, err
	}
	if ok {
		if res.Customer != o.Customer || res.Order != o.ID {
			return nil, fmt.Errorf("journal record %d is for order %s, not %s", o.Seq, res.Order, o.ID)
		}
		return res, nil
	}
	intent, sent, err := recs.Intent(o.Seq)
	if err != nil {
		return nil, err
	}
	res = pendingResult(p, o, runID)
	if sent {
		res = unsettledResult(res, intent)
	}
	return res, nil
}

// LineCount is how many lines Outcomes yields — the rows of the report's
// Lines sheets — known before a line is read.
func LineCount(p *plan.Plan, recs Records) int {
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
func pendingResult(p *plan.Plan, o *plan.Order, runID string) *record.OrderResult {
	res := &record.OrderResult{Seq: o.Seq, Customer: o.Customer, Order: o.ID, Outcome: string(record.Pending)}
	for _, ri := range o.Rows {
		r := p.Rows.At(ri)
		if r.Prev() != nil {
			// A retryable line of an earlier run keeps what that run learnt,
			// and the quantity it will be checked against; one whose PATCH may
			// still land (unsettled, not_cancelled) stays as it was, with its
			// MS-RequestId, for the next resume to settle.
			lr := *r.Prev()
			if !lr.PatchOpen() {
				lr.Status, lr.RunID = record.Pending, runID
			}
			if r.Expect >= 0 {
				lr.Expect = new(int(r.Expect))
			}
			res.Lines = append(res.Lines, lr)
			continue
		}
		lr := requested(r, o)
		lr.Status, lr.RunID = record.Pending, runID
		res.Lines = append(res.Lines, lr)
	}
	res.Lines = append(res.Lines, o.Prev...)
	sortLines(res.Lines)
	if len(o.Prev) > 0 {
		res.Outcome = record.Outcome(res.Lines)
	}
	return res
}

// requested is the line as row asks for it, before its order is read.
func requested(row *plan.Row, o *plan.Order) record.LineResult {
	lr := record.LineResult{Row: row.Source, Customer: o.Customer, Order: o.ID, Offer: row.Offer, Extras: row.Extras}
	switch {
	case row.AllLines():
		lr.LineText = "*"
	case row.ByOffer():
		// The line is known once the order is read: the cell stays empty.
	default:
		lr.Line = new(int(row.Line))
	}
	if row.Expect >= 0 {
		lr.Expect = new(int(row.Expect))
	}
	return lr
}

// rowResult is the line of a row that is not processed.
func rowResult(r *plan.Row, runID string) record.LineResult {
	if r.Prev() != nil {
		return *r.Prev()
	}
	lr := record.LineResult{Row: r.Source, Status: r.Status, RunID: runID, Extras: r.Extras}
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
