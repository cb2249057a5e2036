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
//  3. A PATCH Partner Center accepted without carrying it out yet (the
//     order pending, or the lines not yet at 0) is not an outcome: the
//     order is read again (Runner.settleWait) until the lines are at 0
//     (cancelled) or the order is final with them active (not_cancelled,
//     keeping the PATCH's MS-RequestId). Still pending at the timeout, the
//     lines are failed and unsettled like those of step 2 (stillPending).
//  4. A resume finds the intent in the journal, or rebuilds it from the
//     unsettled and not_cancelled lines of a report or journal
//     (UnsettledIntent), reads the order, and settles it: while the order
//     is not in a final status nothing is sent (it is read again, as in
//     step 3); then a line the intent meant to cancel that is at 0 now was
//     cancelled by that PATCH — by this tool, at the intent's quantity and
//     price (settleIntent); lines still active are sent again with the
//     intent's MS-RequestId, which Partner Center treats as the same
//     request — unless every one of them was not_cancelled, which Partner
//     Center answered and a read showed final: only then is a new
//     MS-RequestId used, since no earlier PATCH can still take effect.

import (
	"fmt"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient"
)

// intentNote is the Error Message of a line an earlier PATCH of this tool
// cancelled without the run that sent it seeing it happen.
const intentNote = "cancelled by an earlier PATCH of this tool (MS-RequestId %s) whose answer did not show it; a GET confirmed it"

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
	rest := wants[:0:0]
	for _, w := range wants {
		prev, ok := meant[w.item.LineItemNumber]
		if !ok || w.item.Quantity != 0 {
			rest = append(rest, w)
			continue
		}
		lr := d.line(w.row, o, before, w.item)
		lr.Before, lr.After = prev.Before, new(0)
		lr.UnitPrice, lr.Currency, lr.PriceField = prev.UnitPrice, prev.Currency, prev.PriceField
		lr.RequestID = o.Intent.RequestID
		d.settled = append(d.settled, withStatus(lr, record.Cancelled, "", fmt.Sprintf(intentNote, o.Intent.RequestID)))
	}
	// The PATCH goes again under the intent's MS-RequestId — unless every
	// intended line still active was answered not_cancelled: that PATCH was
	// carried out as far as it ever will be, so Partner Center would only
	// replay its answer.
	for _, w := range rest {
		prev, ok := meant[w.item.LineItemNumber]
		d.again = d.again || ok
		if ok && prev.Status != record.NotCancelled {
			d.requestID = o.Intent.RequestID
		}
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
// answer was never recorded: its lines that PATCH was for — pending, or
// still open from an earlier run (unsettled, not_cancelled) — become the
// intent's lines, failed and unsettled (LineResult.Unsettled) for a resume
// to settle; the order's other lines stay as they were. Each line comes out
// once, whatever its rows and the intent say of it.
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
		case l.Line != nil && lines[key{l.Row, *l.Line}].Line != nil:
			// A line the PATCH was for: the intent's, unless the line is
			// final already (carried from an earlier run) — either way once.
			if k := (key{l.Row, *l.Line}); l.Status == record.Pending || l.PatchOpen() {
				out = take(out, k)
			} else {
				used[k] = true
				out = append(out, l)
			}
		case l.Status != record.Pending:
			out = append(out, l)
		case l.Line != nil:
			out = append(out, l)
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

// stillPending gives the sent lines of d as a read of the order after
// their PATCH (requestID) shows them: at 0, cancelled; still active while
// the order is not final, failed and unsettled — the cancellation is
// accepted and may land, so a resume reads the order before sending
// anything, and nothing new is sent meanwhile.
func stillPending(d decision, last *pcclient.Order, requestID string, waited time.Duration) []record.LineResult {
	out := make([]record.LineResult, 0, len(d.send))
	for _, lr := range d.send {
		lr.RequestID = requestID
		if got := last.Line(*lr.Line); got != nil && got.Quantity == 0 {
			lr.After = new(0)
			out = append(out, withStatus(lr, record.Cancelled, "", "Partner Center accepted the cancellation as pending; a GET confirmed it"))
			continue
		}
		lr.After = nil
		out = append(out, withStatus(lr, record.Failed, "", fmt.Sprintf("accepted by Partner Center (MS-RequestId %s), still processing after %s (order %s): nothing more is sent while it may take effect; a resume reads the order again",
			requestID, waited.Round(time.Second), last.Status)))
	}
	return out
}

// intentLines are the line numbers an intent meant to cancel.
func intentLines(in *record.OrderResult) []int {
	var out []int
	for _, l := range in.Lines {
		if l.Line != nil {
			out = append(out, *l.Line)
		}
	}
	return out
}

// UnsettledIntent is the PATCH an earlier run sent for the lines of its
// record prev whose PATCH may still take effect or be confirmed
// (LineResult.PatchOpen: unsettled, or not_cancelled), or nil. The order
// is then decided as after an interrupted run's intent. Its MS-RequestId
// is an unsettled line's, when there is one: that PATCH's fate is the one
// not known.
func UnsettledIntent(prev *record.OrderResult, lines []record.LineResult) *record.OrderResult {
	var in *record.OrderResult
	for _, l := range lines {
		if !l.PatchOpen() {
			continue
		}
		if in == nil {
			in = &record.OrderResult{Seq: prev.Seq, Customer: prev.Customer, Order: prev.Order, RequestID: l.RequestID, StatusBefore: prev.StatusBefore, Currency: prev.Currency}
		}
		if l.Unsettled() {
			if in.Lines == nil || !anyUnsettled(in.Lines) {
				in.RequestID = l.RequestID
			}
			l.Status = record.Pending // as a journaled intent's lines are
		}
		in.Lines = append(in.Lines, l)
	}
	return in
}

// anyUnsettled reports whether an intent has a line whose PATCH was never
// answered.
func anyUnsettled(lines []record.LineResult) bool {
	for _, l := range lines {
		if l.Status != record.NotCancelled {
			return true
		}
	}
	return false
}

// notCancelled is the part of d whose lines ended not_cancelled: what is
// sent again, under a new MS-RequestId, once a read showed the earlier one
// will not take effect. Its PATCH names those lines.
func notCancelled(d decision, lines []record.LineResult) decision {
	left := map[int]bool{}
	for _, l := range lines {
		if l.Status == record.NotCancelled && l.Line != nil {
			left[*l.Line] = true
		}
	}
	again := decision{again: true} // "already cancelled" now may be the earlier PATCH landing late
	for _, lr := range d.send {
		if left[*lr.Line] {
			lr.Status, lr.ErrorMessage, lr.RequestID = "", "", ""
			again.send = append(again.send, lr)
			again.refs = append(again.refs, pcclient.LineItemRef{LineItemNumber: *lr.Line, OfferID: lr.Offer})
		}
	}
	return again
}

// replaceLines puts the lines of a second PATCH in the place of the first's.
func replaceLines(lines, more []record.LineResult) []record.LineResult {
	by := map[int]record.LineResult{}
	for _, l := range more {
		by[*l.Line] = l
	}
	for i, l := range lines {
		if m, ok := by[lineNo(l)]; ok && l.Line != nil {
			lines[i] = m
		}
	}
	return lines
}
