package record

// Status is the final word on one line item, exactly as it appears in the
// report's Status column. Other programs read these words: never rename one.
type Status string

// The line statuses.
const (
	Cancelled        Status = "cancelled"         // this run set the line to quantity 0
	AlreadyCancelled Status = "already_cancelled" // it was at 0 before; nothing was sent
	WouldCancel      Status = "would_cancel"      // plan: a run would cancel it
	NotCancelled     Status = "not_cancelled"     // the PATCH was accepted but the line kept its quantity
	OutsideWindow    Status = "outside_window"    // 900117: past the cancellation window
	NotCancellable   Status = "not_cancellable"   // 800061/800063/800019/800077
	NotFound         Status = "not_found"         // 404: no such order
	Mismatch         Status = "mismatch"          // offer id or expected quantity disagrees: order held
	Invalid          Status = "invalid"           // the row (or the order's line numbers) cannot be used
	Duplicate        Status = "duplicate"         // the same line named again; the first row wins
	Ignored          Status = "ignored"           // a row that asks for nothing (a totals or note row)
	Rejected         Status = "rejected"          // Partner Center refused; a retry will not change it
	Failed           Status = "failed"            // an error a retry may fix, or retries exhausted
	Pending          Status = "pending"           // not processed (interrupted or aborted run)
)

// Statuses lists every status in report order.
var Statuses = []Status{
	Cancelled, AlreadyCancelled, WouldCancel, NotCancelled, OutsideWindow, NotCancellable,
	NotFound, Mismatch, Invalid, Duplicate, Ignored, Rejected, Failed, Pending,
}

// ParseStatus returns the status named s.
func ParseStatus(s string) (Status, bool) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// Success reports whether the line ended as the user wanted: cancelled, or
// already cancelled; in a plan, also would_cancel. (Ignored rows asked for
// nothing: they are neither.)
func (s Status) Success(plan bool) bool {
	return s == Cancelled || s == AlreadyCancelled || (plan && s == WouldCancel)
}

// NeedsAttention reports whether a line in this status did not end as the
// user wanted: not a success, and not a row that asked for nothing. It
// decides the exit code, the summary's "needs attention" and the
// Customers sheet's count.
func (s Status) NeedsAttention(plan bool) bool { return !s.Success(plan) && s != Ignored }

// Retryable reports whether `run --resume` processes a line in this status:
// it was not finished (pending, failed, not_cancelled), or it was only
// planned (would_cancel). Rejected lines are done again only when asked
// (--retry-rejected): Partner Center refused them, and the same request
// will be refused again.
func (s Status) Retryable() bool {
	return s == Pending || s == Failed || s == NotCancelled || s == WouldCancel
}

// Family is how a status is coloured and counted.
type Family string

// The status families.
const (
	FamilyDone    Family = "done"    // green: cancelled, already_cancelled
	FamilyWould   Family = "would"   // blue: would_cancel
	FamilyRetry   Family = "retry"   // amber: pending, failed, not_cancelled
	FamilyPerson  Family = "person"  // red: needs a person
	FamilyIgnored Family = "ignored" // grey: asked for nothing
)

// Families lists the families in report order.
var Families = []Family{FamilyDone, FamilyWould, FamilyRetry, FamilyPerson, FamilyIgnored}

// Family returns the family of s; an unknown word (an order's outcome
// "partial") needs a person.
func (s Status) Family() Family {
	switch s {
	case Cancelled, AlreadyCancelled:
		return FamilyDone
	case WouldCancel:
		return FamilyWould
	case Pending, Failed, NotCancelled:
		return FamilyRetry
	case Ignored:
		return FamilyIgnored
	}
	return FamilyPerson
}
