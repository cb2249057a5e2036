package record

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// LineResult is one row of the report's Lines sheet: a line item and what
// happened to it. It is also what the journal stores.
type LineResult struct {
	Row      int
	Customer string
	Order    string
	// Line is the line item number; nil when unknown (a row for every line
	// of an order that was never read, or an invalid row), with LineText
	// holding what the sheet said.
	Line     *int
	LineText string
	Offer    string
	Product  string
	Before   *int
	After    *int
	// UnitPrice is the price of one unit in Currency, from the order's
	// pricing (PriceField names the field); invalid when Partner Center
	// returned none.
	UnitPrice   decimal.NullDecimal
	Currency    string
	PriceField  string
	Status      Status
	OrderBefore string
	OrderAfter  string
	Purchased   time.Time
	// CancellableUntil is the last moment the line can be cancelled: its
	// purchase date plus the window of its Kind (package deadline), zero
	// when it has none; KindFrom says where the kind was learnt.
	CancellableUntil time.Time
	Kind, KindFrom   string
	ErrorCode        string
	ErrorMessage     string
	Attempts         int
	RequestID        string
	CorrelationID    string
	ProcessedAt      time.Time
	RunID            string
	Extras           []sheet.Cell
	// Expect is the expected quantity the sheet gave, carried so that a
	// resumed run checks it again.
	Expect *int
}

// Unsettled reports whether the line's PATCH went out and its outcome is
// not known: failed, with the quantity read before it and none after. A
// resume reads the order before anything else and, if the line is at 0 by
// then, reports it cancelled by this tool, at the quantity and price read
// before.
func (l *LineResult) Unsettled() bool {
	return l.Status == Failed && l.Line != nil && l.Before != nil && *l.Before > 0 && l.After == nil
}

// PatchOpen reports whether the line's PATCH may still take effect or be
// confirmed: unsettled (its outcome unknown), or not_cancelled with the
// MS-RequestId of the PATCH Partner Center accepted — a later read may
// show the line at 0, cancelled by that PATCH. A resume settles such lines
// before sending anything, and carries them as they are until it does.
func (l *LineResult) PatchOpen() bool {
	return l.Unsettled() || l.Status == NotCancelled && l.RequestID != "" && l.Line != nil && l.Before != nil && *l.Before > 0
}

// OrderResult is what happened to one order: a row of the Orders sheet and
// the lines of the Lines sheet. The journal holds one per finished order.
type OrderResult struct {
	Seq      int
	Customer string
	Order    string
	// AlternateID is the order's friendly id (alternateId), as read.
	AlternateID string
	// Currency is the order's currency, as Partner Center read it.
	Currency     string
	StatusBefore string
	StatusAfter  string
	Outcome      string
	HTTPStatus   int
	ErrorCode    string
	ErrorMessage string
	Attempts     int
	RequestID    string
	// CorrelationID is the MS-CorrelationId of the order's last call.
	CorrelationID string
	DurationMS    int64
	Lines         []LineResult
	// AuthFailed marks an order that failed because authentication did; the
	// runner aborts after several in a row.
	AuthFailed bool
}

// QuantityCancelled is the quantity a cancelled line lost (0 for any other).
func (l *LineResult) QuantityCancelled() int {
	if l.Status != Cancelled || l.Before == nil {
		return 0
	}
	after := 0
	if l.After != nil {
		after = *l.After
	}
	return *l.Before - after
}

// AmountCancelled is the unit price times the quantity the line lost: 0
// for any status but cancelled, and invalid when the line has no price.
func (l *LineResult) AmountCancelled() decimal.NullDecimal {
	if !l.UnitPrice.Valid {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(l.UnitPrice.Decimal.Mul(decimal.NewFromInt(int64(l.QuantityCancelled()))))
}

// Amount is what the line's Amount Cancelled cell shows: what it
// cancelled — or, for a line a plan would cancel, what a run would cancel
// (Unit Price × Quantity Before). Only plans have would_cancel lines: a run
// reports a line it did not reach as pending.
func (l *LineResult) Amount() decimal.NullDecimal {
	if l.Status == WouldCancel {
		return l.AmountWouldCancel()
	}
	return l.AmountCancelled()
}

// AmountWouldCancel is the unit price times the quantity of a would_cancel
// line; 0 for any other status, invalid when the line has no price.
func (l *LineResult) AmountWouldCancel() decimal.NullDecimal {
	if !l.UnitPrice.Valid {
		return decimal.NullDecimal{}
	}
	q := 0
	if l.Status == WouldCancel && l.Before != nil {
		q = *l.Before
	}
	return decimal.NewNullDecimal(l.UnitPrice.Decimal.Mul(decimal.NewFromInt(int64(q))))
}

// Counts returns the lines cancelled and the quantity they had.
func (o *OrderResult) Counts() (lines, quantity int) {
	for i := range o.Lines {
		if l := &o.Lines[i]; l.Status == Cancelled {
			lines++
			quantity += l.QuantityCancelled()
		}
	}
	return lines, quantity
}

// Amount totals what the order's lines' Amount Cancelled cells show (see
// LineResult.Amount); invalid when no line has a price. An order's lines
// share its currency.
func (o *OrderResult) Amount() decimal.NullDecimal {
	var sum decimal.NullDecimal
	for i := range o.Lines {
		if a := o.Lines[i].Amount(); a.Valid {
			sum = decimal.NewNullDecimal(sum.Decimal.Add(a.Decimal))
		}
	}
	return sum
}

// outcome summarises the statuses of an order's lines in one word: the
// status they share; for lines that all succeeded, cancelled when any was
// cancelled by this run; otherwise "partial".
func Outcome(lines []LineResult) string {
	if len(lines) == 0 {
		return string(Pending)
	}
	same, success, anyCancelled := true, true, false
	for _, l := range lines {
		same = same && l.Status == lines[0].Status
		success = success && (l.Status == Cancelled || l.Status == AlreadyCancelled)
		anyCancelled = anyCancelled || l.Status == Cancelled
	}
	switch {
	case same:
		return string(lines[0].Status)
	case success && anyCancelled:
		return string(Cancelled)
	}
	return "partial"
}

// CustomerTotal is what a report says of one customer in one currency:
// the orders and lines it has in the report, what was cancelled and what
// that is worth, and how many of its lines need a person or a retry.
type CustomerTotal struct {
	Customer string
	// Name is the customer's name as the input's Customer Name column
	// gives it, or "".
	Name     string
	Currency string
	Orders   int
	Lines    int
	// LinesCancelled and QuantityCancelled count what was cancelled;
	// AmountCancelled is what that is worth (invalid when no line had a
	// price).
	LinesCancelled    int
	QuantityCancelled int
	AmountCancelled   decimal.NullDecimal
	// Attention counts the lines that did not end as the user wanted:
	// to retry, or for a person to look at.
	Attention int
}

// Item is one entry of a report, in sheet order: the result of an order
// (a row of the Orders sheet and its lines of the Lines sheet), or the one
// line of an input row that was never part of an order (invalid, duplicate,
// ignored, or carried from an earlier run), which has no Orders row.
type Item struct {
	Result *OrderResult
	// Order is false for a row that was never part of an order.
	Order bool
}
