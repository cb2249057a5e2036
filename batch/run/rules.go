package run

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/catalogue"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/pcclient"
)

// The per-order rules, as pure functions of what the sheet asks and what
// Partner Center answered; the runner does the I/O around them:
//
//  1. GET the order. An error: every requested line fails with it (unread).
//  2. decide: requested line numbers the order lacks hold the whole order
//     as invalid; an offer id or expected quantity that disagrees holds it
//     as mismatch; lines already at 0 (or a cancelled order) are
//     already_cancelled and not sent; a plan stops here (would_cancel).
//     The rest is the PATCH: the lines with the offer ids read, or no lines
//     when the sheet asked for the whole order and all of it is active.
//  3. PATCH. A refusal: the sent lines take its status (refused).
//  4. settle: a sent line at 0 in the answer is cancelled, still above 0
//     not_cancelled.
//  5. reread: when the PATCH's outcome is not known from its answer — no
//     answer, an answer that cannot be believed, or "already cancelled" /
//     "not cancellable" (800063/800061), which may describe this run's own
//     earlier attempt — the order is read again and the lines are decided
//     from what it shows.

// want is a requested line: the row that asks for it and the line item as
// Partner Center has it.
type want struct {
	row  *plan.Row
	item *pcclient.LineItem
}

// decision is what the rules make of an order as the GET returned it.
type decision struct {
	// settled are the lines decided without a PATCH.
	settled []record.LineResult
	// send are the lines to cancel, and refs the PATCH's lineItems (nil for
	// the whole order).
	send []record.LineResult
	refs []pcclient.LineItemRef
	// requestID is the MS-RequestId to send the PATCH with: an interrupted
	// run's, when it sent one for these lines; "" for a new one.
	requestID string
	// again is true when the PATCH sends lines an earlier PATCH of this
	// tool meant to cancel: "already cancelled" may then be that PATCH's
	// doing.
	again bool
	// held says why none of the order was sent (invalid, mismatch), for the
	// Orders sheet.
	held string
	// kinds are the kinds and deadlines of the order's lines, by number.
	kinds kinds
}

// kinds are the kinds of an order's lines and their deadlines, by line
// number, and when they are judged (a plan predicts from them).
type kinds struct {
	at    time.Time
	lines map[int]catalogue.Line
}

// decide applies the rules to order o, read as before, for the rows that
// name it. dryRun (a plan) sends nothing: the lines a run would cancel are
// would_cancel.
//
// A plan also predicts from the kinds: a line whose kind Partner Center
// never cancels through its order is not_cancellable, one past its
// deadline outside_window — never would_cancel (a run still asks Partner
// Center).
func decide(o *plan.Order, rows []*plan.Row, before *pcclient.Order, k kinds, dryRun bool) decision {
	d := decision{kinds: k}
	if len(before.LineItems) == 0 {
		// Partner Center has no order without lines: the answer is wrong,
		// or the order is of a kind this tool cannot cancel. A row for every
		// line has nothing to cancel; a row naming a line is failed, and read
		// again by a resume.
		d.held = fmt.Sprintf("Partner Center's answer lists no line items for order %s; nothing was sent", o.ID)
		for _, row := range rows {
			if row.AllLines() {
				d.settled = append(d.settled, withStatus(requested(row, o), record.Invalid, "", d.held))
			} else {
				d.settled = append(d.settled, withStatus(requested(row, o), record.Failed, "", d.held))
			}
		}
		return d
	}
	ex := expand(rows, before)
	for _, row := range ex.empty {
		d.settled = append(d.settled, withStatus(requested(row, o), record.Duplicate, "", fmt.Sprintf("duplicate: every line of order %s is named by another row", o.ID)))
	}
	wants := ex.wants
	if o.Intent != nil {
		wants = d.settleIntent(o, before, wants)
	}
	// unchanged is a line this run leaves as it found it.
	unchanged := func(w want, s record.Status, msg string) record.LineResult {
		lr := d.line(w.row, o, before, w.item)
		lr.After = lr.Before
		return withStatus(lr, s, "", msg)
	}
	for i, w := range ex.dups {
		d.settled = append(d.settled, unchanged(w, record.Duplicate, fmt.Sprintf("duplicate: row %d already asks to cancel line %d (offer %s) of order %s", ex.first[i].Source, w.item.LineItemNumber, w.item.OfferID, o.ID)))
	}
	if len(ex.missing) > 0 {
		// Line numbers the order does not have: the sheet is wrong about this
		// order, so none of it is sent.
		var have []string
		for _, li := range before.LineItems {
			have = append(have, fmt.Sprint(li.LineItemNumber))
		}
		msg := fmt.Sprintf("order %s has no line item%s (its lines: %s); nothing of this order was sent", o.ID, joinInts(ex.missing), strings.Join(have, ", "))
		d.held = msg
		for _, w := range wants {
			d.settled = append(d.settled, unchanged(w, record.Invalid, msg))
		}
		for _, row := range append(ex.missingRows, ex.unresolved...) {
			d.settled = append(d.settled, withStatus(requested(row, o), record.Invalid, "", msg))
		}
		return d
	}
	if len(ex.unresolved) > 0 {
		// The sheet names a line by an offer the order has on no line, or on
		// several: which line it means is not known, so none of it is sent.
		d.held = "held, nothing sent: " + strings.Join(ex.why, "; ")
		for _, w := range wants {
			d.settled = append(d.settled, unchanged(w, record.Mismatch, "held: another row of this order names no single line by its offer"))
		}
		for i, row := range ex.unresolved {
			d.settled = append(d.settled, withStatus(requested(row, o), record.Mismatch, "", ex.why[i]))
		}
		return d
	}
	if reasons := mismatches(wants, before); len(reasons) > 0 {
		var why []string
		for _, r := range reasons {
			if r != "" {
				why = append(why, r)
			}
		}
		d.held = "held, nothing sent: " + strings.Join(why, "; ")
		for i, w := range wants {
			msg := reasons[i]
			if msg == "" {
				msg = "held: another line of this order does not match the sheet"
			}
			d.settled = append(d.settled, unchanged(w, record.Mismatch, msg))
		}
		return d
	}
	var active []want
	orderCancelled := strings.EqualFold(before.Status, "cancelled")
	for _, w := range wants {
		if w.item.Quantity == 0 || orderCancelled {
			d.settled = append(d.settled, unchanged(w, record.AlreadyCancelled, ""))
		} else {
			active = append(active, w)
		}
	}
	if len(active) == 0 {
		return d
	}
	if dryRun {
		for _, w := range active {
			status, why := d.predict(w.item.LineItemNumber)
			d.settled = append(d.settled, unchanged(w, status, why))
		}
		return d
	}
	everyLine := true
	for _, row := range rows {
		everyLine = everyLine && row.AllLines()
	}
	for _, w := range active {
		d.send = append(d.send, d.line(w.row, o, before, w.item))
		d.refs = append(d.refs, pcclient.LineItemRef{LineItemNumber: w.item.LineItemNumber, OfferID: w.item.OfferID})
	}
	if everyLine && len(active) == len(before.LineItems) {
		d.refs = nil // the sheet asked for the whole order, and all of it is active
	}
	return d
}

// settle reads the answer to the PATCH: each sent line at 0 is cancelled,
// still above 0 not_cancelled. verified says the answer was lost and a GET
// showed the cancellation instead.
func settle(d decision, after *pcclient.Order, verified bool) []record.LineResult {
	note := ""
	if verified {
		note = "the answer to the PATCH was lost; a GET confirmed the cancellation"
	}
	out := make([]record.LineResult, 0, len(d.send))
	for _, lr := range d.send {
		got := after.Line(*lr.Line)
		switch {
		case got == nil:
			out = append(out, withStatus(lr, record.NotCancelled, "", "the answer does not include this line"))
		case got.Quantity == 0:
			lr.After = new(0)
			out = append(out, withStatus(lr, record.Cancelled, "", note))
		default:
			lr.After = new(got.Quantity)
			out = append(out, withStatus(lr, record.NotCancelled, "", "Partner Center accepted the request but the line still has quantity "+fmt.Sprint(got.Quantity)))
		}
	}
	return out
}

// refused gives the sent lines the status of the PATCH's failure. When
// Partner Center answered with a refusal, nothing changed: the quantity
// after is the quantity before. Otherwise the quantity after stays empty:
// a failed line with a quantity before and none after is one whose PATCH
// went out and whose outcome is not known (Unsettled).
func refused(d decision, f failure) []record.LineResult {
	out := make([]record.LineResult, 0, len(d.send))
	for _, lr := range d.send {
		if f.answered {
			lr.After = lr.Before
		}
		out = append(out, withStatus(lr, f.status, f.code, f.message))
	}
	return out
}

// rereadWhy is why a PATCH's order is read again.
type rereadWhy int

const (
	noReread    rereadWhy = iota
	unknown               // no usable answer came: the PATCH may have been applied
	implausible           // a 2xx answer that cannot be believed
	alreadyDone           // 800063/800061 to a PATCH sent once
	alreadyOurs           // 800063/800061 after an attempt that may have been applied
)

// rereadFor says whether the failure err of a PATCH leaves its outcome
// open, and why. mayHaveApplied: an earlier attempt (or an interrupted
// run's PATCH with the same MS-RequestId) may have been carried out.
func rereadFor(err error, mayHaveApplied bool) rereadWhy {
	var ae *pcclient.APIError
	var auth *pcclient.AuthError
	switch {
	case errors.Is(err, pcclient.ErrImplausible):
		return implausible
	case errors.Is(err, pcclient.ErrAlreadyCancelled):
		if mayHaveApplied {
			return alreadyOurs
		}
		return alreadyDone
	case mayHaveApplied:
		return unknown
	case errors.As(err, &ae), errors.As(err, &auth):
		return noReread // Partner Center refused it, or it was never sent
	}
	return unknown // no answer: a timeout, a dropped connection
}

// reread decides the sent lines from the order as read again after the
// PATCH failed with f, or from rerr when that read failed too. Every
// quantity after is one read in this call; a line whose fate stays unknown
// is failed, with no quantity after.
func reread(d decision, why rereadWhy, f failure, now *pcclient.Order, rerr error) []record.LineResult {
	out := make([]record.LineResult, 0, len(d.send))
	what := map[rereadWhy]string{
		unknown:     "the PATCH's outcome is not known (" + f.message + ")",
		implausible: f.message,
		alreadyDone: fmt.Sprintf("Partner Center answered %s (%s)", f.code, f.message),
		alreadyOurs: fmt.Sprintf("Partner Center answered %s (%s) to a PATCH sent again after an attempt that may have been applied", f.code, f.message),
	}[why]
	for _, lr := range d.send {
		if rerr != nil {
			out = append(out, withStatus(lr, record.Failed, f.code, what+"; reading the order again failed too ("+classify(rerr).message+"): a resume reads it before sending anything"))
			continue
		}
		got := now.Line(*lr.Line)
		if got == nil {
			out = append(out, withStatus(lr, record.Failed, f.code, fmt.Sprintf("%s; the order read again has no line %d", what, *lr.Line)))
			continue
		}
		lr.After = new(got.Quantity)
		switch {
		case got.Quantity == 0 && why == alreadyDone:
			out = append(out, withStatus(lr, record.AlreadyCancelled, f.code, what+"; a GET shows quantity 0: cancelled elsewhere after this run read the order"))
		case got.Quantity == 0:
			out = append(out, withStatus(lr, record.Cancelled, "", what+"; a GET shows the line cancelled"))
		case why == implausible:
			out = append(out, withStatus(lr, record.NotCancelled, "", fmt.Sprintf("%s; a GET shows quantity %d", what, got.Quantity)))
		case f.status != record.Failed:
			// Refused (not_cancellable, outside_window, …), and the order
			// shows that no earlier attempt got through either.
			out = append(out, withStatus(lr, f.status, f.code, fmt.Sprintf("%s; a GET shows quantity %d", f.message, got.Quantity)))
		default:
			// Not applied, or not yet: failed, and sent again by a resume
			// with the same MS-RequestId.
			lr.After = nil
			out = append(out, withStatus(lr, record.Failed, f.code, fmt.Sprintf("%s; a GET shows quantity %d still: a resume sends it again", what, got.Quantity)))
		}
	}
	return out
}

// unread gives every requested line of an order the GET could not read the
// status of that failure.
func unread(o *plan.Order, rows []*plan.Row, f failure) []record.LineResult {
	out := make([]record.LineResult, 0, len(rows))
	for _, row := range rows {
		out = append(out, withStatus(requested(row, o), f.status, f.code, f.message))
	}
	return out
}

// expansion pairs the rows of an order with its line items, as read.
type expansion struct {
	wants []want
	// missing are the line numbers rows name that the order lacks, and
	// those rows.
	missing     []int
	missingRows []*plan.Row
	// unresolved are rows naming their line by an offer id no line of the
	// order has, or several have; why says so.
	unresolved []*plan.Row
	why        []string
	// dups are rows naming a line an earlier row named; first that row.
	dups  []want
	first []*plan.Row
	// empty are rows for every line that got none: other rows name them all.
	empty []*plan.Row
}

// expand pairs the rows with the order's line items: a row for one line
// takes that line — named by its number, or by its offer id when the
// order has exactly one line with that offer; a row for every line takes
// the lines no other row names. A row that lands on a line an earlier row
// named is a duplicate.
func expand(rows []*plan.Row, order *pcclient.Order) expansion {
	var ex expansion
	named := map[int]*plan.Row{}
	resolved := make([]*pcclient.LineItem, len(rows))
	for i, row := range rows {
		var item *pcclient.LineItem
		switch {
		case row.AllLines():
			continue
		case row.ByOffer():
			var found []*pcclient.LineItem
			for k := range order.LineItems {
				if plan.SameOffer(order.LineItems[k].OfferID, row.Offer) {
					found = append(found, &order.LineItems[k])
				}
			}
			if len(found) != 1 {
				ex.unresolved = append(ex.unresolved, row)
				ex.why = append(ex.why, offerTrouble(order, row.Offer, found))
				continue
			}
			item = found[0]
		default:
			if item = order.Line(int(row.Line)); item == nil {
				ex.missing = append(ex.missing, int(row.Line))
				ex.missingRows = append(ex.missingRows, row)
				continue
			}
		}
		if prev, ok := named[item.LineItemNumber]; ok {
			ex.dups = append(ex.dups, want{row, item})
			ex.first = append(ex.first, prev)
			continue
		}
		named[item.LineItemNumber] = row
		resolved[i] = item
	}
	for i, row := range rows {
		if !row.AllLines() {
			if resolved[i] != nil {
				ex.wants = append(ex.wants, want{row, resolved[i]})
			}
			continue
		}
		items := make([]*pcclient.LineItem, 0, len(order.LineItems))
		for k := range order.LineItems {
			if named[order.LineItems[k].LineItemNumber] == nil {
				items = append(items, &order.LineItems[k])
			}
		}
		sort.Slice(items, func(a, b int) bool { return items[a].LineItemNumber < items[b].LineItemNumber })
		if len(items) == 0 {
			ex.empty = append(ex.empty, row)
		}
		for _, item := range items {
			ex.wants = append(ex.wants, want{row, item})
		}
	}
	return ex
}

// offerTrouble says why an offer id names no single line of the order, and
// lists the order's lines and their offers.
func offerTrouble(order *pcclient.Order, offer string, found []*pcclient.LineItem) string {
	var lines []string
	for _, li := range order.LineItems {
		lines = append(lines, fmt.Sprintf("line %d: %s", li.LineItemNumber, li.OfferID))
	}
	what := fmt.Sprintf("no line of order %s has offer %s", order.ID, offer)
	if len(found) > 1 {
		var n []int
		for _, li := range found {
			n = append(n, li.LineItemNumber)
		}
		what = fmt.Sprintf("offer %s is on line%s of order %s", offer, joinInts(n), order.ID)
	}
	return fmt.Sprintf("%s (%s); give a Line Item Number", what, strings.Join(lines, "; "))
}

// mismatches checks each wanted line against the sheet's offer id and
// expected quantity; it returns a reason per line ("" when it matches), or
// nil when every line matches. A row for every line compares its expected
// quantity with the order's total. Lines already at 0 are not compared on
// quantity: a re-run of a finished sheet must say already_cancelled.
func mismatches(wants []want, order *pcclient.Order) []string {
	reasons := make([]string, len(wants))
	any := false
	totals := map[*plan.Row]int{}
	for _, w := range wants {
		totals[w.row] += w.item.Quantity
	}
	for i, w := range wants {
		var why []string
		if w.row.Offer != "" && !plan.SameOffer(w.row.Offer, w.item.OfferID) {
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

// predict is what a plan makes of an active line from its kind and
// deadline: would_cancel, unless Partner Center never cancels its kind
// through its order (not_cancellable) or its deadline has passed
// (outside_window).
func (d *decision) predict(line int) (record.Status, string) {
	k, ok := d.kinds.lines[line]
	if !ok || k.Kind == "" {
		return record.WouldCancel, ""
	}
	from := map[deadline.Evidence]string{deadline.FromCatalogue: "the product catalogue", deadline.FromTerm: "the line's termDuration"}[k.From]
	if k.Until.IsZero() {
		return record.NotCancellable, fmt.Sprintf("predicted from the product kind %s (from %s): Partner Center does not cancel it through its order; a run asks Partner Center", k.Kind, from)
	}
	if d.kinds.at.After(k.Until) {
		bought := k.Until.Add(-k.Window)
		return record.OutsideWindow, fmt.Sprintf("predicted from the purchase date %s + %d days (%s, from %s): the window closed %s; a run asks Partner Center",
			bought.UTC().Format("2006-01-02"), int(k.Window.Hours()/24), k.Kind, from, k.Until.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return record.WouldCancel, ""
}

// line starts the result of a requested line, as the order read shows it:
// its quantity before, its unit price and the order's currency, its kind
// and deadline.
func (d *decision) line(row *plan.Row, o *plan.Order, read *pcclient.Order, item *pcclient.LineItem) record.LineResult {
	lr := record.LineResult{Row: row.Source, Customer: o.Customer, Order: o.ID, Extras: row.Extras, Currency: read.CurrencyCode}
	if k, ok := d.kinds.lines[item.LineItemNumber]; ok {
		lr.Kind, lr.KindFrom, lr.CancellableUntil = string(k.Kind), string(k.From), k.Until
	}
	lr.Purchased, _ = time.Parse(time.RFC3339Nano, read.CreationDate)
	if row.Expect >= 0 {
		lr.Expect = new(int(row.Expect))
	}
	lr.Line, lr.Offer, lr.Product, lr.Before = new(item.LineItemNumber), item.OfferID, item.FriendlyName, new(item.Quantity)
	if price, field, ok := item.UnitPrice(); ok {
		lr.UnitPrice, lr.PriceField = decimal.NewNullDecimal(price), field
	}
	return lr
}

func withStatus(lr record.LineResult, s record.Status, code, msg string) record.LineResult {
	lr.Status, lr.ErrorCode, lr.ErrorMessage = s, code, msg
	return lr
}

// failure is what an error means for the lines of an order.
type failure struct {
	status  record.Status
	code    string
	message string // cleaned of credentials, bounded
	auth    bool   // authentication failed
	// answered: Partner Center answered with a refusal (APIError.MayHaveApplied is false), so
	// nothing changed.
	answered bool
}

// failOrder records on res why its order failed, and returns what that
// means for the order's lines.
func failOrder(res *record.OrderResult, err error) failure {
	f := classify(err)
	res.ErrorCode, res.ErrorMessage, res.AuthFailed = f.code, f.message, f.auth
	return f
}

// refusals map what Partner Center's answer means (pcclient's sentinels)
// to the status of the lines it was about; the first that matches decides.
// What matches none — no answer at all, an answer that cannot be believed
// — is failed: a resume reads the order again.
var refusals = []struct {
	err    error
	status record.Status
}{
	{pcclient.ErrNotFound, record.NotFound},             // 404: no such order for this customer
	{pcclient.ErrOutsideWindow, record.OutsideWindow},   // 900117
	{pcclient.ErrNotCancellable, record.NotCancellable}, // 800061, 800063, 800019, 800077
	{pcclient.ErrUnauthorized, record.Failed},           // the token: fixable, and counted towards an abort
	{pcclient.ErrTemporary, record.Failed},              // throttled, busy, 5xx: retries ran out
	{pcclient.ErrRejected, record.Rejected},             // any other 4xx: the same request is refused again
}

// classify maps a client error to what it means for an order's lines.
func classify(err error) failure {
	f := classifyRaw(err)
	f.message = pcclient.Clean(f.message, maxMessage)
	return f
}

// maxMessage bounds an Error Message: room for Partner Center's
// description and, for some codes, what it means.
const maxMessage = 600

func classifyRaw(err error) failure {
	var auth *pcclient.AuthError
	if errors.As(err, &auth) {
		f := failure{status: record.Failed, code: auth.AADSTS, message: auth.Error(), auth: true}
		if auth.Fix != "" {
			f.message += " (" + auth.Fix + ")"
		}
		return f
	}
	var ae *pcclient.APIError
	if !errors.As(err, &ae) {
		return failure{status: record.Failed, message: err.Error()}
	}
	f := failure{status: record.Failed, code: ae.Code, message: ae.Description, auth: errors.Is(err, pcclient.ErrUnauthorized),
		answered: !ae.MayHaveApplied()}
	if f.code == "" {
		f.code = fmt.Sprint(ae.StatusCode)
	}
	switch {
	case ae.Explanation() != "":
		// What the code means comes first: it is what the reader acts on.
		f.message = fmt.Sprintf("%s (Partner Center code %s) — %s", ae.Description, ae.Code, ae.Explanation())
	case err != error(ae):
		f.message = err.Error() // "giving up after N attempts: …"
	}
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			f.status = r.status
			break
		}
	}
	return f
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

// finalStatus reports whether an order's status is one Partner Center
// ends in: completed or cancelled. pending, unknown and any other word mean
// a change may still be under way. (No status at all is taken as final:
// the lines then speak for themselves.)
func finalStatus(status string) bool {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "completed", "cancelled", "":
		return true
	}
	return false
}

// settledAnswer reports whether a PATCH's answer is an outcome: the order
// final and every sent line at 0. Anything else — pending, or a line still
// active — is read again before it is believed.
func settledAnswer(after *pcclient.Order, d decision) bool {
	return finalStatus(after.Status) && atZero(after, sentLines(d))
}

// sentLines are the line numbers of d's PATCH.
func sentLines(d decision) []int {
	out := make([]int, 0, len(d.send))
	for _, l := range d.send {
		out = append(out, *l.Line)
	}
	return out
}

// atZero reports whether every one of lines is at quantity 0 in o.
func atZero(o *pcclient.Order, lines []int) bool {
	for _, n := range lines {
		if li := o.Line(n); li == nil || li.Quantity != 0 {
			return false
		}
	}
	return true
}
