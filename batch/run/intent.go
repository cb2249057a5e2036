package run

// The intent lifecycle. A PATCH whose answer was never recorded must still
// be accounted for, whichever process dies when:
//
//  1. Before a PATCH is sent, its intent — the MS-RequestId, the lines and
//     their quantities and prices before — is journaled and fsynced
//     (decision.intent; journal.KindIntent).
//  2. An intent with no outcome after it is an order whose PATCH was out
//     when the run ended. The workbook shows its lines failed with a
//     Quantity Before and no Quantity After (unsettledResult) — the one
//     marker of a cancellation whose outcome is unknown
//     (record.LineResult.Unsettled), in reports of every version.
//  3. A resume finds the intent in the journal, or rebuilds it from such
//     lines of a report (UnsettledIntent), reads the order, and settles it
//     (settleIntent): a line the intent meant to cancel that is at 0 now
//     was cancelled by that PATCH — by this tool, at the intent's quantity
//     and price; lines still active are sent again with the intent's
//     MS-RequestId, which Partner Center treats as the same request.

import (
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient"
)

// intentNote is the Error Message of a line an earlier run's PATCH
// cancelled without its answer being recorded.
const intentNote = "cancelled by an earlier run's PATCH whose answer was never recorded; a GET confirmed it"

// settleIntent applies a PATCH an interrupted run sent (o.Intent) to the
// order as read now. A line it meant to cancel that is at 0 now was
// cancelled by that PATCH: it is cancelled, with the quantity and price the
// intent recorded before it was sent. The lines left are decided as usual;
// those still active are sent again with the intent's MS-RequestId, which
// Partner Center treats as the same request.
func (d *decision) settleIntent(o *plan.Order, before *pcclient.Order, wants []want) []want {
	meant := map[int]record.LineResult{}
	for _, l := range o.Intent.Lines {
		if l.Line != nil && l.Before != nil && *l.Before > 0 {
			meant[*l.Line] = l
		}
	}
	d.requestID = o.Intent.RequestID
	rest := wants[:0:0]
	for _, w := range wants {
		prev, ok := meant[w.item.LineItemNumber]
		if !ok || w.item.Quantity != 0 {
			rest = append(rest, w)
			continue
		}
		lr := line(w.row, o, before, w.item)
		lr.Before, lr.After = prev.Before, new(0)
		lr.UnitPrice, lr.Currency, lr.PriceField = prev.UnitPrice, prev.Currency, prev.PriceField
		lr.RequestID = o.Intent.RequestID
		d.settled = append(d.settled, withStatus(lr, record.Cancelled, "", intentNote))
	}
	return rest
}

// intent is the record to journal before the PATCH of d is sent: its
// MS-RequestId and the lines it cancels with their quantities and prices
// before — with those of an interrupted run's intent for the same PATCH, so
// that whichever run dies, the lines that PATCH cancelled stay known.
func (d decision) intent(o *plan.Order, requestID string) *record.OrderResult {
	rec := &record.OrderResult{Seq: o.Seq, Customer: o.Customer, Order: o.ID, RequestID: requestID}
	sent := map[int]bool{}
	for _, l := range d.send {
		sent[*l.Line] = true
	}
	if o.Intent != nil {
		rec.StatusBefore, rec.Currency = o.Intent.StatusBefore, o.Intent.Currency
		for _, l := range o.Intent.Lines {
			if l.Line != nil && !sent[*l.Line] {
				rec.Lines = append(rec.Lines, l)
			}
		}
	}
	for _, l := range d.send {
		l.Status = record.Pending
		rec.Lines = append(rec.Lines, l)
	}
	return rec
}

// unsettledResult is an order whose PATCH (intent) was sent and whose
// answer was never recorded: its pending lines that PATCH was for become
// the intent's lines, failed and unsettled (LineResult.Unsettled) for a
// resume to settle; the order's other lines stay as they were.
func unsettledResult(res *record.OrderResult, intent *record.OrderResult) *record.OrderResult {
	type key struct{ row, line int }
	var sent []key
	lines := map[key]record.LineResult{}
	for _, l := range intent.Lines {
		if l.Line == nil || l.Before == nil {
			continue
		}
		l.Status, l.After, l.RequestID = record.Failed, nil, intent.RequestID
		l.ErrorMessage = "the cancellation was sent (MS-RequestId " + intent.RequestID + ") and its answer never recorded: a resume reads the order before sending anything"
		k := key{l.Row, *l.Line}
		sent = append(sent, k)
		lines[k] = l
	}
	used := map[key]bool{}
	take := func(out []record.LineResult, k key) []record.LineResult {
		if l, ok := lines[k]; ok && !used[k] {
			used[k] = true
			out = append(out, l)
		}
		return out
	}
	var out []record.LineResult
	for _, l := range res.Lines {
		switch {
		case l.Status != record.Pending:
			out = append(out, l)
		case l.Line != nil:
			if k := (key{l.Row, *l.Line}); lines[k].Line != nil {
				out = take(out, k)
			} else {
				out = append(out, l)
			}
		default:
			// A row for every line, or by offer: the lines the PATCH was
			// sent for in its stead.
			n := len(out)
			for _, k := range sent {
				if k.row == l.Row {
					out = take(out, k)
				}
			}
			if len(out) == n {
				out = append(out, l)
			}
		}
	}
	for _, k := range sent {
		out = take(out, k) // never lose that a line was sent
	}
	res.Lines = out
	sortLines(res.Lines)
	res.Outcome = record.Outcome(res.Lines)
	return res
}

// UnsettledIntent is the PATCH an earlier run sent for the unsettled lines
// of its record prev (LineResult.Unsettled), or nil: the order is decided
// as after an interrupted run's intent, and sent again, if need be, with the
// same MS-RequestId.
func UnsettledIntent(prev *record.OrderResult, lines []record.LineResult) *record.OrderResult {
	var in *record.OrderResult
	for _, l := range lines {
		if !l.Unsettled() {
			continue
		}
		if in == nil {
			in = &record.OrderResult{Seq: prev.Seq, Customer: prev.Customer, Order: prev.Order, RequestID: l.RequestID, StatusBefore: prev.StatusBefore, Currency: prev.Currency}
		}
		l.Status = record.Pending
		in.Lines = append(in.Lines, l)
	}
	return in
}
