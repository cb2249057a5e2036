package creditbook

import (
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/internal/deadline"
)

// A line's kind is read from its deadline: the window between Purchase
// Date and Cancellable Until is one kind's default window, or no kind is
// claimed (run.windows changed them).
func TestKindOfWindow(t *testing.T) {
	day := 24 * time.Hour
	for w, want := range map[time.Duration]deadline.Kind{
		7 * day: deadline.SoftwareSubscription, 30 * day: deadline.PerpetualSoftware,
		7*day + time.Second: deadline.SoftwareSubscription, 10 * day: "", 25 * day: "", 0: "",
	} {
		if got := kindOfWindow(w); got != want {
			t.Errorf("kindOfWindow(%v) = %q, want %q", w, got, want)
		}
	}
}
