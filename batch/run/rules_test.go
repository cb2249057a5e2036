package run

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/plan/plantest"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient"
)

// pcOrder is an order as Partner Center answers it: quantities by line
// number, offer "OFFER:n" for line n.
func pcOrder(status string, qty ...int) *pcclient.Order {
	o := &pcclient.Order{ID: "o1", Status: status, CreationDate: "2026-11-20T10:00:00Z"}
	for n, q := range qty {
		o.LineItems = append(o.LineItems, pcclient.LineItem{LineItemNumber: n, OfferID: fmt.Sprintf("OFFER:%d", n), Quantity: q})
	}
	return o
}

// sheetRow is a row of the sheet: line n (or allLines), with an offer id
// and expected quantity when given.
func sheetRow(source int, line int32, offer string, expect int32) *plan.Row {
	return &plan.Row{Source: source, Line: line, Offer: offer, Expect: expect}
}

// outcome renders lines as "row/line status before→after", in order.
func outcomes(lines []record.LineResult) string {
	var s []string
	for _, l := range lines {
		line := l.LineText
		if l.Line != nil {
			line = fmt.Sprint(*l.Line)
		}
		s = append(s, fmt.Sprintf("%d/%s %s %s→%s", l.Row, line, l.Status, qty(l.Before), qty(l.After)))
	}
	return strings.Join(s, ", ")
}

func TestDecide(t *testing.T) {
	t.Parallel()
	o := &plan.Order{Customer: plantest.CustomerA, ID: "o1"}
	tests := []struct {
		name   string
		rows   []*plan.Row
		before *pcclient.Order
		dry    bool
		// settled and sent lines, and the PATCH's line numbers ("all" for none)
		settled, sent, refs string
	}{
		{name: "one line of two",
			rows: []*plan.Row{sheetRow(2, 0, "", -1)}, before: pcOrder("completed", 4, 10),
			sent: "2/0  4→-", refs: "0"},
		{name: "every line, all active: the whole order",
			rows: []*plan.Row{sheetRow(2, plan.EveryLine, "", -1)}, before: pcOrder("completed", 4, 10),
			sent: "2/0  4→-, 2/1  10→-", refs: "all"},
		{name: "every line, one already at 0: the active lines by number",
			rows: []*plan.Row{sheetRow(2, plan.EveryLine, "", -1)}, before: pcOrder("completed", 0, 10),
			settled: "2/0 already_cancelled 0→0", sent: "2/1  10→-", refs: "1"},
		{name: "a line named and every other line",
			rows: []*plan.Row{sheetRow(2, 1, "", -1), sheetRow(3, plan.EveryLine, "", -1)}, before: pcOrder("completed", 4, 10, 1),
			sent: "2/1  10→-, 3/0  4→-, 3/2  1→-", refs: "1 0 2"},
		{name: "order cancelled: nothing sent",
			rows: []*plan.Row{sheetRow(2, 0, "", -1)}, before: pcOrder("cancelled", 0),
			settled: "2/0 already_cancelled 0→0", refs: "none"},
		{name: "plan: would_cancel, nothing sent",
			rows: []*plan.Row{sheetRow(2, 0, "", -1), sheetRow(3, 1, "", -1)}, before: pcOrder("completed", 4, 0), dry: true,
			settled: "2/0 would_cancel 4→4, 3/1 already_cancelled 0→0", refs: "none"},
		{name: "a line the order lacks holds the whole order",
			rows: []*plan.Row{sheetRow(2, 0, "", -1), sheetRow(3, 4, "", -1)}, before: pcOrder("completed", 4, 10),
			settled: "2/0 invalid 4→4, 3/4 invalid -→-", refs: "none"},
		{name: "offer id disagrees: the whole order held",
			rows: []*plan.Row{sheetRow(2, 0, "OFFER:9", -1), sheetRow(3, 1, "", -1)}, before: pcOrder("completed", 4, 10),
			settled: "2/0 mismatch 4→4, 3/1 mismatch 10→10", refs: "none"},
		{name: "expected quantity agrees",
			rows: []*plan.Row{sheetRow(2, 0, "offer:0", 4)}, before: pcOrder("completed", 4),
			sent: "2/0  4→-", refs: "0"},
		{name: "expected quantity of every line is the order's total",
			rows: []*plan.Row{sheetRow(2, plan.EveryLine, "", 15)}, before: pcOrder("completed", 4, 10),
			settled: "2/0 mismatch 4→4, 2/1 mismatch 10→10", refs: "none"},
		{name: "expected quantity is not compared once a line is at 0",
			rows: []*plan.Row{sheetRow(2, 0, "", 4)}, before: pcOrder("completed", 0),
			settled: "2/0 already_cancelled 0→0", refs: "none"},
		{name: "an order answered without lines: every-line rows invalid, line rows failed",
			rows: []*plan.Row{sheetRow(2, plan.EveryLine, "", -1), sheetRow(3, 1, "", -1)}, before: pcOrder("completed"),
			settled: "2/* invalid -→-, 3/1 failed -→-", refs: "none"},
		{name: "a row for every line whose lines other rows name is a duplicate",
			rows: []*plan.Row{sheetRow(2, 0, "", -1), sheetRow(3, plan.EveryLine, "", -1)}, before: pcOrder("completed", 4),
			settled: "3/* duplicate -→-", sent: "2/0  4→-", refs: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(o, tt.rows, tt.before, kinds{}, tt.dry)
			sortLines(d.settled) // as the runner does
			if got := outcomes(d.settled); got != tt.settled {
				t.Errorf("settled = %q, want %q", got, tt.settled)
			}
			if got := outcomes(d.send); got != tt.sent {
				t.Errorf("sent = %q, want %q", got, tt.sent)
			}
			refs := "none"
			switch {
			case d.refs == nil && len(d.send) > 0:
				refs = "all"
			case d.refs != nil:
				var n []string
				for _, r := range d.refs {
					n = append(n, fmt.Sprint(r.LineItemNumber))
					if r.OfferID != fmt.Sprintf("OFFER:%d", r.LineItemNumber) {
						t.Errorf("line %d is sent with offer %q, not the order's", r.LineItemNumber, r.OfferID)
					}
				}
				refs = strings.Join(n, " ")
			}
			if refs != tt.refs {
				t.Errorf("PATCH lines = %s, want %s", refs, tt.refs)
			}
			// A held order says why on the Orders sheet.
			held := strings.Contains(tt.settled, "invalid") || strings.Contains(tt.settled, "mismatch") || strings.Contains(tt.settled, "failed")
			if held != (d.held != "") {
				t.Errorf("held reason %q for settled lines %q", d.held, tt.settled)
			}
		})
	}
}

func TestSettle(t *testing.T) {
	t.Parallel()
	o := &plan.Order{Customer: plantest.CustomerA, ID: "o1"}
	d := decide(o, []*plan.Row{sheetRow(2, plan.EveryLine, "", -1)}, pcOrder("completed", 4, 10, 2), kinds{}, false)
	after := pcOrder("completed", 0, 3)
	got := settle(d, after, false)
	if want := "2/0 cancelled 4→0, 2/1 not_cancelled 10→3, 2/2 not_cancelled 2→-"; outcomes(got) != want {
		t.Errorf("settle = %q, want %q", outcomes(got), want)
	}
	if got[2].ErrorMessage != "the answer does not include this line" {
		t.Errorf("a line missing from the answer says %q", got[2].ErrorMessage)
	}
	v := settle(d, pcOrder("cancelled", 0, 0, 0), true)
	if v[0].Status != record.Cancelled || !strings.Contains(v[0].ErrorMessage, "a GET confirmed the cancellation") {
		t.Errorf("verified: %+v", v[0])
	}
}

func TestRefusedAndUnread(t *testing.T) {
	t.Parallel()
	o := &plan.Order{Customer: plantest.CustomerA, ID: "o1"}
	rows := []*plan.Row{sheetRow(2, 0, "", -1), sheetRow(3, plan.EveryLine, "", -1)}
	d := decide(o, rows, pcOrder("completed", 4, 10), kinds{}, false)
	window := classify(&pcclient.APIError{StatusCode: 400, Code: pcclient.CodeOutsideWindow, Description: "too late"})
	if got, want := outcomes(refused(d, window)), "2/0 outside_window 4→4, 3/1 outside_window 10→10"; got != want {
		t.Errorf("refused = %q, want %q", got, want)
	}
	busy := classify(fmt.Errorf("giving up after 6 attempts: %w", &pcclient.APIError{StatusCode: 503}))
	if got, want := outcomes(refused(d, busy)), "2/0 failed 4→-, 3/1 failed 10→-"; got != want {
		t.Errorf("a 503 leaves the quantity after unknown: %q, want %q", got, want)
	}
	gone := classify(&pcclient.APIError{StatusCode: 404, Code: pcclient.CodeOrderNotFound})
	lines := unread(o, rows, gone)
	if got, want := outcomes(lines), "2/0 not_found -→-, 3/* not_found -→-"; got != want {
		t.Errorf("unread = %q, want %q", got, want)
	}
	if !reflect.DeepEqual([]string{lines[0].ErrorCode, lines[1].ErrorCode}, []string{"20000", "20000"}) {
		t.Errorf("error codes %q %q", lines[0].ErrorCode, lines[1].ErrorCode)
	}
}

// After a PATCH whose answer does not say what it did, the lines are
// decided from the order read again — and only from it.
func TestReread(t *testing.T) {
	t.Parallel()
	o := &plan.Order{Customer: plantest.CustomerA, ID: "o1"}
	d := decide(o, []*plan.Row{sheetRow(2, 0, "", -1), sheetRow(3, 1, "", -1)}, pcOrder("completed", 4, 10), kinds{}, false)
	api := func(status int, code string) error {
		return &pcclient.APIError{StatusCode: status, Code: code, Description: "d"}
	}
	implausible := &pcclient.AnswerError{Method: "PATCH", Path: "p", Reason: "the answer is for order \"x\""}
	tests := []struct {
		name    string
		err     error
		applied bool // an earlier attempt may have been applied
		now     *pcclient.Order
		rerr    error
		want    string
	}{
		{"800063 at once, someone else cancelled", api(400, "800063"), false, pcOrder("completed", 0, 10), nil,
			"2/0 already_cancelled 4→0, 3/1 not_cancellable 10→10"},
		{"800063 after an attempt that may have applied", api(400, "800063"), true, pcOrder("completed", 0, 0), nil,
			"2/0 cancelled 4→0, 3/1 cancelled 10→0"},
		{"800061, the quantity changed since", api(400, "800061"), false, pcOrder("completed", 3, 10), nil,
			"2/0 not_cancellable 4→3, 3/1 not_cancellable 10→10"},
		{"an implausible answer", implausible, false, pcOrder("completed", 0, 7), nil,
			"2/0 cancelled 4→0, 3/1 not_cancelled 10→7"},
		{"no answer at all", fmt.Errorf("connection reset"), false, pcOrder("completed", 0, 10), nil,
			"2/0 cancelled 4→0, 3/1 failed 10→-"},
		{"a refusal after an attempt that may have applied", api(400, "900117"), true, pcOrder("completed", 4, 0), nil,
			"2/0 outside_window 4→4, 3/1 cancelled 10→0"},
		{"reading again fails too", api(400, "800063"), false, nil, api(503, ""),
			"2/0 failed 4→-, 3/1 failed 10→-"},
		{"the line is gone", api(400, "800063"), false, pcOrder("completed", 0), nil,
			"2/0 already_cancelled 4→0, 3/1 failed 10→-"},
	}
	for _, tt := range tests {
		why := rereadFor(tt.err, tt.applied)
		if why == noReread {
			t.Errorf("%s: not read again", tt.name)
			continue
		}
		got := reread(d, why, classify(tt.err), tt.now, tt.rerr)
		if outcomes(got) != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, outcomes(got), tt.want)
		}
		for _, l := range got {
			if l.After == nil && !l.Unsettled() {
				t.Errorf("%s: line %d has no quantity after but is not unsettled", tt.name, *l.Line)
			}
		}
	}
	for _, err := range []error{api(404, "20000"), api(400, "900117"), api(429, ""), &pcclient.AuthError{}} {
		if why := rereadFor(err, false); why != noReread {
			t.Errorf("%v is read again (%d); Partner Center refused it", err, why)
		}
	}
}

// An order whose PATCH was sent and never answered shows the lines it was
// sent for as failed and unsettled, in place of their pending rows.
func TestUnsettledResult(t *testing.T) {
	t.Parallel()
	line := func(row, n, before int, s record.Status) record.LineResult {
		return record.LineResult{Row: row, Line: new(n), Before: new(before), Status: s}
	}
	pending := &record.OrderResult{Lines: []record.LineResult{
		{Row: 2, LineText: "*", Status: record.Pending},
		{Row: 3, Line: new(5), Status: record.Pending},
		line(4, 7, 1, record.Cancelled),
	}}
	intent := &record.OrderResult{RequestID: "req-9", Lines: []record.LineResult{line(2, 0, 4, record.Pending), line(2, 1, 6, record.Pending)}}
	got := unsettledResult(pending, intent)
	if want := "2/0 failed 4→-, 2/1 failed 6→-, 3/5 pending -→-, 4/7 cancelled 1→-"; outcomes(got.Lines) != want {
		t.Errorf("lines = %q, want %q", outcomes(got.Lines), want)
	}
	if l := got.Lines[0]; !l.Unsettled() || l.RequestID != "req-9" || !strings.Contains(l.ErrorMessage, "a resume reads the order") {
		t.Errorf("line %+v", l)
	}
	in := UnsettledIntent(&record.OrderResult{Customer: plantest.CustomerA, Order: "o1"}, got.Lines)
	if in == nil || in.RequestID != "req-9" || len(in.Lines) != 2 || in.Lines[0].Status != record.Pending {
		t.Errorf("the intent a resume derives: %+v", in)
	}
}

// An order never read again whose rows continue lines of an earlier
// report that are unsettled or not_cancelled (kept as they were, with
// their MS-RequestId), and whose journal has an intent for those lines:
// each line comes out once — the intent's, which is the latest — never the
// earlier line and the intent's copy of it both.
func TestUnsettledResultHasEachLineOnce(t *testing.T) {
	t.Parallel()
	kept := record.LineResult{Row: 3, Line: new(0), Before: new(25), Status: record.Failed, RequestID: "req-A"}
	noted := record.LineResult{Row: 4, Line: new(1), Before: new(3), After: new(3), Status: record.NotCancelled, RequestID: "req-A"}
	carried := record.LineResult{Row: 5, Line: new(2), Before: new(1), After: new(0), Status: record.Cancelled, RequestID: "req-0"}
	pending := &record.OrderResult{Lines: []record.LineResult{kept, noted, carried}}
	intent := &record.OrderResult{RequestID: "req-A", Lines: []record.LineResult{
		{Row: 3, Line: new(0), Before: new(25), Status: record.Pending},
		{Row: 4, Line: new(1), Before: new(3), Status: record.Pending},
	}}
	got := unsettledResult(pending, intent)
	if want := "3/0 failed 25→-, 4/1 failed 3→-, 5/2 cancelled 1→0"; outcomes(got.Lines) != want {
		t.Errorf("lines = %q, want %q", outcomes(got.Lines), want)
	}
}

// A refusal a retry cannot change is rejected; what a retry may fix is
// failed; the documented codes have statuses of their own.
func TestClassify(t *testing.T) {
	t.Parallel()
	api := func(status int, code string) error {
		return &pcclient.APIError{StatusCode: status, Code: code, Description: "d"}
	}
	for _, tt := range []struct {
		err  error
		want record.Status
	}{
		{api(404, "20000"), record.NotFound},
		{api(400, "900117"), record.OutsideWindow},
		{api(400, "800061"), record.NotCancellable},
		{api(400, "800063"), record.NotCancellable},
		{api(403, "800019"), record.NotCancellable},
		{api(403, "800077"), record.NotCancellable},
		{api(403, "20002"), record.Rejected},
		{api(400, "800071"), record.Rejected},
		{api(400, ""), record.Rejected},
		{api(403, ""), record.Rejected},
		{fmt.Errorf("giving up after 6 attempts: %w", api(409, "800014")), record.Failed},
		{fmt.Errorf("giving up after 6 attempts: %w", api(429, "")), record.Failed},
		{fmt.Errorf("giving up after 6 attempts: %w", api(503, "")), record.Failed},
		{api(408, ""), record.Failed},
		{api(409, "12345"), record.Rejected}, // a conflict that is not "order busy" is a refusal
		{fmt.Errorf("giving up after 6 attempts: %w", api(501, "")), record.Failed},
		{&pcclient.APIError{StatusCode: 400, Code: "2000", Retryable: new(true)}, record.Failed}, // the server says a retry may pass
		{api(401, "800001"), record.Failed},
		{&pcclient.AuthError{Description: "expired"}, record.Failed},
		{fmt.Errorf("PATCH x: giving up after 6 attempts: connection reset by peer"), record.Failed},
	} {
		if got := classify(tt.err).status; got != tt.want {
			t.Errorf("%v: %s, want %s", tt.err, got, tt.want)
		}
	}
}

// An interrupted run's PATCH (the intent) settles the order read again: a
// line it meant to cancel that is at 0 now is cancelled by this tool, with
// the quantity and price the intent recorded; a line still active is sent
// again with the intent's MS-RequestId; a line outside the intent at 0 is
// already_cancelled as always.
func TestDecideWithIntent(t *testing.T) {
	t.Parallel()
	price := decimal.NewNullDecimal(decimal.RequireFromString("12.50"))
	o := &plan.Order{Customer: plantest.CustomerA, ID: "o1", Intent: &record.OrderResult{RequestID: "req-1", Lines: []record.LineResult{
		{Line: new(0), Before: new(4), UnitPrice: price, Currency: "EUR", PriceField: "price"},
		{Line: new(1), Before: new(10), UnitPrice: price, Currency: "EUR"},
	}}}
	rows := []*plan.Row{sheetRow(2, plan.EveryLine, "", -1)}
	d := decide(o, rows, pcOrder("completed", 0, 10, 0), kinds{}, false)
	if got, want := outcomes(d.settled), "2/0 cancelled 4→0, 2/2 already_cancelled 0→0"; got != want {
		t.Errorf("settled = %q, want %q", got, want)
	}
	c := d.settled[0]
	if c.UnitPrice != price || c.Currency != "EUR" || c.ErrorMessage != fmt.Sprintf(intentNote, "req-1") || c.RequestID != "req-1" || c.AmountCancelled().Decimal.String() != "50" {
		t.Errorf("the intent's line = %+v", c)
	}
	if got := outcomes(d.send); got != "2/1  10→-" || d.requestID != "req-1" {
		t.Errorf("sent %q with request id %q, want line 1 with req-1", got, d.requestID)
	}
	// The intent journaled before that PATCH keeps the line already
	// cancelled, so a crash now still knows who cancelled it.
	in := d.intent(o, d.requestID)
	var lines []string
	for _, l := range in.Lines {
		lines = append(lines, fmt.Sprintf("%d:%s", *l.Line, qty(l.Before)))
	}
	if strings.Join(lines, " ") != "0:4 1:10" || in.RequestID != "req-1" {
		t.Errorf("new intent = %v %s", lines, in.RequestID)
	}
}

// A line whose PATCH Partner Center answered not_cancelled is settled on
// resume like an intent: at 0 by then, the earlier PATCH cancelled it —
// this tool, at that quantity and price — and still active, it is sent
// again under a new MS-RequestId (the old one would only replay its
// answer). An unsettled line in the same PATCH keeps the old id.
func TestNotCancelledLinesAreIntents(t *testing.T) {
	t.Parallel()
	price := decimal.NewNullDecimal(decimal.RequireFromString("7.25"))
	prev := &record.OrderResult{Customer: plantest.CustomerA, Order: "o1", Lines: []record.LineResult{
		{Row: 2, Line: new(0), Before: new(4), After: new(4), Status: record.NotCancelled, RequestID: "req-A", UnitPrice: price, Currency: "EUR"},
		{Row: 2, Line: new(1), Before: new(3), After: new(3), Status: record.NotCancelled, RequestID: "req-A", UnitPrice: price, Currency: "EUR"},
	}}
	in := UnsettledIntent(prev, prev.Lines)
	if in == nil || in.RequestID != "req-A" || len(in.Lines) != 2 {
		t.Fatalf("intent = %+v", in)
	}
	o := &plan.Order{Customer: plantest.CustomerA, ID: "o1", Intent: in}
	rows := []*plan.Row{sheetRow(2, plan.EveryLine, "", -1)}
	d := decide(o, rows, pcOrder("completed", 0, 3), kinds{}, false)
	if got, want := outcomes(d.settled), "2/0 cancelled 4→0"; got != want {
		t.Errorf("settled = %q, want %q", got, want)
	}
	if d.settled[0].RequestID != "req-A" || d.settled[0].AmountCancelled().Decimal.String() != "29" {
		t.Errorf("the line the late PATCH cancelled: %+v", d.settled[0])
	}
	if got := outcomes(d.send); got != "2/1  3→-" || d.requestID != "" || !d.again {
		t.Errorf("sent %q with request id %q (again %v), want line 1 with a new id", got, d.requestID, d.again)
	}
	// With an unsettled line among them, the PATCH that may never have
	// arrived is sent again under its own id.
	prev.Lines[1] = record.LineResult{Row: 2, Line: new(1), Before: new(3), Status: record.Failed, RequestID: "req-B", UnitPrice: price}
	in = UnsettledIntent(prev, prev.Lines)
	o.Intent = in
	d = decide(o, rows, pcOrder("completed", 4, 3), kinds{}, false)
	if in.RequestID != "req-B" || d.requestID != "req-B" {
		t.Errorf("intent id %q, PATCH id %q; want req-B for both", in.RequestID, d.requestID)
	}
}

// The answer to a PATCH is an outcome only when the order is final and
// every sent line at 0; pending, unknown or a line still active is read
// again first. What is still pending at the timeout stays unsettled.
func TestPendingAnswersAreNotOutcomes(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]bool{"completed": true, "cancelled": true, "Completed": true, "": true, "pending": false, "unknown": false, "processing": false} {
		if finalStatus(status) != want {
			t.Errorf("finalStatus(%q) = %v", status, !want)
		}
	}
	d := decision{send: []record.LineResult{{Row: 2, Line: new(0), Before: new(4)}, {Row: 2, Line: new(1), Before: new(3)}}}
	if settledAnswer(pcOrder("pending", 0, 0), d) || settledAnswer(pcOrder("completed", 0, 3), d) || !settledAnswer(pcOrder("completed", 0, 0), d) {
		t.Error("settledAnswer")
	}
	got := stillPending(d, pcOrder("pending", 0, 3), "req-1", 2*time.Minute)
	if s := outcomes(got); s != "2/0 cancelled 4→0, 2/1 failed 3→-" || !got[1].Unsettled() || got[1].RequestID != "req-1" || !strings.Contains(got[1].ErrorMessage, "still processing after 2m0s") {
		t.Errorf("still pending: %q %+v", s, got[1])
	}
}

// Lines named by offer id are found when the order is read: exactly one
// line with that offer, else the whole order is held, saying which lines
// have which offers; a row landing on a line an earlier row named is a
// duplicate.
func TestDecideLinesByOffer(t *testing.T) {
	t.Parallel()
	o := &plan.Order{Customer: plantest.CustomerA, ID: "o1"}
	twice := pcOrder("completed", 4, 10, 2)
	twice.LineItems[2].OfferID = "OFFER:1"
	tests := []struct {
		name          string
		rows          []*plan.Row
		before        *pcclient.Order
		settled, sent string
		held          string
	}{
		{name: "the line with that offer",
			rows: []*plan.Row{sheetRow(2, plan.LineByOffer, "offer:1", -1)}, before: pcOrder("completed", 4, 10),
			sent: "2/1  10→-"},
		{name: "by offer, and every other line",
			rows: []*plan.Row{sheetRow(2, plan.LineByOffer, "OFFER:1", -1), sheetRow(3, plan.EveryLine, "", -1)}, before: pcOrder("completed", 4, 10, 2),
			sent: "2/1  10→-, 3/0  4→-, 3/2  2→-"},
		{name: "by number and by offer: the same line twice",
			rows: []*plan.Row{sheetRow(2, 1, "", -1), sheetRow(3, plan.LineByOffer, "OFFER:1", -1)}, before: pcOrder("completed", 4, 10),
			settled: "3/1 duplicate 10→10", sent: "2/1  10→-"},
		{name: "no line has the offer",
			rows: []*plan.Row{sheetRow(2, 0, "", -1), sheetRow(3, plan.LineByOffer, "OFFER:9", -1)}, before: pcOrder("completed", 4, 10),
			settled: "2/0 mismatch 4→4, 3/ mismatch -→-", held: "no line of order o1 has offer OFFER:9 (line 0: OFFER:0; line 1: OFFER:1); give a Line Item Number"},
		{name: "two lines have the offer",
			rows: []*plan.Row{sheetRow(2, plan.LineByOffer, "OFFER:1", -1)}, before: twice,
			settled: "2/ mismatch -→-", held: "offer OFFER:1 is on lines 1 and 2 of order o1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(o, tt.rows, tt.before, kinds{}, false)
			sortLines(d.settled)
			if got := outcomes(d.settled); got != tt.settled {
				t.Errorf("settled = %q, want %q", got, tt.settled)
			}
			if got := outcomes(d.send); got != tt.sent {
				t.Errorf("sent = %q, want %q", got, tt.sent)
			}
			if !strings.Contains(d.held, tt.held) || (tt.held == "") != (d.held == "") {
				t.Errorf("held = %q, want %q", d.held, tt.held)
			}
		})
	}
}
