package pcclient

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestDecide(t *testing.T) {
	p := RetryPolicy{
		MaxAttempts:   6,
		BaseDelay:     time.Second,
		MaxDelay:      30 * time.Second,
		MaxWait:       10 * time.Minute,
		MaxRetryAfter: 4 * time.Minute,
		Jitter:        func(d time.Duration) time.Duration { return d },
	}
	netErr := errors.New("connection reset by peer")
	tests := []struct {
		name string
		a    Attempt
		want Decision
	}{
		{"GET timeout", Attempt{Method: "GET", N: 1, Err: netErr, RetryAfter: -1}, Decision{Retry: true, Wait: time.Second}},
		{"PATCH dropped connection verifies", Attempt{Method: "PATCH", N: 2, Err: netErr, RetryAfter: -1}, Decision{Retry: true, Wait: 2 * time.Second, Verify: true}},
		{"token endpoint down: nothing sent, nothing to verify", Attempt{Method: "PATCH", N: 1, Err: netErr, RetryAfter: -1, NotSent: true}, Decision{Retry: true, Wait: time.Second}},
		{"PATCH 500 verifies", Attempt{Method: "PATCH", N: 1, StatusCode: 500, RetryAfter: -1}, Decision{Retry: true, Wait: time.Second, Verify: true}},
		{"PATCH 503 with Retry-After", Attempt{Method: "PATCH", N: 3, StatusCode: 503, RetryAfter: 5 * time.Second}, Decision{Retry: true, Wait: 5 * time.Second, Verify: true}},
		{"GET 502", Attempt{Method: "GET", N: 1, StatusCode: 502, RetryAfter: -1}, Decision{Retry: true, Wait: time.Second}},
		{"GET 504", Attempt{Method: "GET", N: 4, StatusCode: 504, RetryAfter: -1}, Decision{Retry: true, Wait: 8 * time.Second}},
		{"first 429 waits Retry-After and pauses all", Attempt{Method: "GET", N: 1, StatusCode: 429, RetryAfter: 57 * time.Second, Throttled: 1}, Decision{Retry: true, Wait: 57 * time.Second, Pause: true}},
		{"429 Retry-After 0", Attempt{Method: "PATCH", N: 1, StatusCode: 429, RetryAfter: 0, Throttled: 1}, Decision{Retry: true, Wait: 0, Pause: true}},
		{"429 without Retry-After backs off", Attempt{Method: "GET", N: 2, StatusCode: 429, RetryAfter: -1, Throttled: 1}, Decision{Retry: true, Wait: 2 * time.Second, Pause: true}},
		{"repeated 429 backs off exponentially", Attempt{Method: "GET", N: 4, StatusCode: 429, RetryAfter: 1 * time.Second, Throttled: 4}, Decision{Retry: true, Wait: 4 * time.Second, Pause: true}},
		{"repeated 429 keeps a longer Retry-After", Attempt{Method: "GET", N: 3, StatusCode: 429, RetryAfter: 20 * time.Second, Throttled: 3}, Decision{Retry: true, Wait: 20 * time.Second, Pause: true}},
		{"backoff is capped", Attempt{Method: "GET", N: 5, StatusCode: 429, RetryAfter: 0, Throttled: 9}, Decision{Retry: true, Wait: 30 * time.Second, Pause: true}},
		{"409 busy 800014", Attempt{Method: "PATCH", N: 1, StatusCode: 409, Code: "800014", RetryAfter: -1}, Decision{Retry: true, Wait: time.Second}},
		{"409 busy 800060", Attempt{Method: "PATCH", N: 2, StatusCode: 409, Code: "800060", RetryAfter: -1}, Decision{Retry: true, Wait: 2 * time.Second}},
		{"409 other is final", Attempt{Method: "PATCH", N: 1, StatusCode: 409, Code: "12345", RetryAfter: -1}, Decision{}},
		{"401 refreshes once", Attempt{Method: "GET", N: 1, StatusCode: 401, RetryAfter: -1}, Decision{Retry: true, Refresh: true}},
		{"401 after refresh is final", Attempt{Method: "GET", N: 2, StatusCode: 401, RetryAfter: -1, Refreshed: true}, Decision{}},
		{"400 window is final", Attempt{Method: "PATCH", N: 1, StatusCode: 400, Code: "900117", RetryAfter: -1}, Decision{}},
		{"403 not cancellable is final", Attempt{Method: "PATCH", N: 1, StatusCode: 403, Code: "800019", RetryAfter: -1}, Decision{}},
		{"404 is final", Attempt{Method: "GET", N: 1, StatusCode: 404, RetryAfter: -1}, Decision{}},
		{"last attempt is final", Attempt{Method: "GET", N: 6, StatusCode: 503, RetryAfter: -1}, Decision{}},
		{"huge Retry-After is capped", Attempt{Method: "GET", N: 1, StatusCode: 503, RetryAfter: 48 * time.Hour}, Decision{Retry: true, Wait: 4 * time.Minute}},
		{"Retry-After: 100000 on a 429 pauses everyone for the cap only", Attempt{Method: "GET", N: 1, StatusCode: 429, RetryAfter: 100000 * time.Second, Throttled: 1}, Decision{Retry: true, Wait: 4 * time.Minute, Pause: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Decide(tt.a); got != tt.want {
				t.Errorf("Decide(%+v)\n got %+v\nwant %+v", tt.a, got, tt.want)
			}
		})
	}
}

func TestBackoffJitterStaysInRange(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxDelay: 8 * time.Second}
	for n := 1; n <= 6; n++ {
		full := min(time.Second<<(n-1), 8*time.Second)
		for range 100 {
			if d := p.Backoff(n); d < full/2 || d > full {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", -1},
		{"57", 57 * time.Second},
		{" 0 ", 0},
		{"-3", -1},
		{"soon", -1},
		{"Sat, 21 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"Sat, 21 Nov 2026 11:59:00 GMT", 0},
		{"Saturday, 21-Nov-26 12:01:00 GMT", time.Minute},
		{"999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// What an answer means is decided once: every sentinel an answer matches,
// whether a later attempt may pass it, and whether it may have been
// applied come from one table — and Decide retries exactly what Temporary
// calls temporary (401 has its own remedy, a new token).
func TestAnswersMeanOneThing(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name      string
		e         APIError
		sentinels []error
		temporary bool
		applied   bool
	}{
		{"404", APIError{StatusCode: 404, Code: CodeOrderNotFound}, []error{ErrNotFound, ErrRejected}, false, false},
		{"900117", APIError{StatusCode: 400, Code: CodeOutsideWindow}, []error{ErrOutsideWindow, ErrRejected}, false, false},
		{"800063", APIError{StatusCode: 400, Code: CodeLineItemCancelled}, []error{ErrNotCancellable, ErrAlreadyCancelled, ErrRejected}, false, false},
		{"800061", APIError{StatusCode: 400, Code: CodeOrderNotCancelable}, []error{ErrNotCancellable, ErrAlreadyCancelled, ErrRejected}, false, false},
		{"800019", APIError{StatusCode: 403, Code: CodeProductNotCancel1}, []error{ErrNotCancellable, ErrRejected}, false, false},
		{"20002", APIError{StatusCode: 403, Code: CodeNoRelationship}, []error{ErrRejected}, false, false},
		{"409 busy", APIError{StatusCode: 409, Code: CodeOrderBusy2}, []error{ErrTemporary}, true, false},
		{"409 other", APIError{StatusCode: 409, Code: "12345"}, []error{ErrRejected}, false, false},
		{"429", APIError{StatusCode: 429}, []error{ErrThrottled, ErrTemporary}, true, false},
		{"401", APIError{StatusCode: 401, Code: CodeTokenMissing}, []error{ErrUnauthorized}, false, false},
		{"408", APIError{StatusCode: 408}, []error{ErrTemporary}, true, true},
		{"501", APIError{StatusCode: 501}, []error{ErrTemporary}, true, true},
		{"503", APIError{StatusCode: 503}, []error{ErrTemporary}, true, true},
		{"503 says not retryable", APIError{StatusCode: 503, Retryable: &no}, nil, false, true},
		{"400 says retryable", APIError{StatusCode: 400, Code: "2000", Retryable: &yes}, []error{ErrTemporary}, true, false},
		{"429 says not retryable: still a throttle", APIError{StatusCode: 429, Retryable: &no}, []error{ErrThrottled, ErrTemporary}, true, false},
	}
	all := []error{ErrNotFound, ErrThrottled, ErrUnauthorized, ErrOutsideWindow, ErrNotCancellable, ErrAlreadyCancelled, ErrTemporary, ErrRejected}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range all {
				want := false
				for _, w := range tt.sentinels {
					want = want || w == s
				}
				if got := errors.Is(&tt.e, s); got != want {
					t.Errorf("errors.Is(%v) = %v, want %v", s, got, want)
				}
			}
			if tt.e.Temporary() != tt.temporary || tt.e.MayHaveApplied() != tt.applied {
				t.Errorf("Temporary %v MayHaveApplied %v, want %v %v", tt.e.Temporary(), tt.e.MayHaveApplied(), tt.temporary, tt.applied)
			}
			d := DefaultRetryPolicy.Decide(Attempt{Method: "PATCH", N: 1, StatusCode: tt.e.StatusCode, Code: tt.e.Code, Retryable: tt.e.Retryable, RetryAfter: -1, Throttled: 1})
			if wantRetry := tt.temporary || tt.e.StatusCode == 401; d.Retry != wantRetry || d.Verify != (tt.applied && d.Retry) {
				t.Errorf("Decide: %+v; want retry %v, verify %v", d, wantRetry, tt.applied && d.Retry)
			}
		})
	}
}
