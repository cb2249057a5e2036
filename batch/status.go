package batch

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
	Failed           Status = "failed"            // an error, or retries exhausted
	Pending          Status = "pending"           // not processed (interrupted or aborted run)
)

// Statuses lists every status in report order.
var Statuses = []Status{
	Cancelled, AlreadyCancelled, WouldCancel, NotCancelled, OutsideWindow, NotCancellable,
	NotFound, Mismatch, Invalid, Duplicate, Failed, Pending,
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
// already cancelled; in a plan, also would_cancel.
func (s Status) Success(plan bool) bool {
	return s == Cancelled || s == AlreadyCancelled || (plan && s == WouldCancel)
}

// Retryable reports whether `run --resume` processes a line in this status:
// it was not finished (pending, failed, not_cancelled), or it was only
// planned (would_cancel).
func (s Status) Retryable() bool {
	return s == Pending || s == Failed || s == NotCancelled || s == WouldCancel
}

// Class is how a status is coloured: "success" (green), "pending" (amber)
// or "failure" (red).
func (s Status) Class() string {
	switch s {
	case Cancelled, AlreadyCancelled, WouldCancel:
		return "success"
	case Pending:
		return "pending"
	}
	return "failure"
}
