package pcclient

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Clock is the time source of the client, its pacer and token cache. Tests
// substitute one that never sleeps for real.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, and then returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RetryPolicy says when a failed attempt is tried again and how long to wait
// first. The zero value is usable: missing fields take DefaultRetryPolicy's.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts of one logical call (first try included).
	MaxAttempts int
	// BaseDelay is the first backoff; it doubles per retry up to MaxDelay.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxWait caps the total time one call spends waiting between attempts;
	// past it the call gives up even with attempts left.
	MaxWait time.Duration
	// MaxRetryAfter caps what one Retry-After makes every caller wait: a
	// server asking for 100000 seconds must not stall a run for hours.
	MaxRetryAfter time.Duration
	// Jitter spreads a backoff d; nil means a uniform value in [d/2, d], so
	// workers that failed together do not retry together.
	Jitter func(d time.Duration) time.Duration
}

// DefaultRetryPolicy is used for the fields a RetryPolicy leaves zero.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts: 6,
	BaseDelay:   time.Second,
	MaxDelay:    time.Minute,
	MaxWait:     15 * time.Minute,
	// A 429's Retry-After pauses every worker; Partner Center asks for
	// about a minute.
	MaxRetryAfter: 5 * time.Minute,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxWait <= 0 {
		p.MaxWait = d.MaxWait
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.Jitter == nil {
		p.Jitter = func(d time.Duration) time.Duration {
			if d <= 1 {
				return d
			}
			return d/2 + rand.N(d/2+1)
		}
	}
	return p
}

// Backoff is the wait before retry n (1 for the first retry): BaseDelay
// doubled per retry, capped at MaxDelay, then jittered.
func (p RetryPolicy) Backoff(n int) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return p.Jitter(min(d, p.MaxDelay))
}

// Attempt describes one failed attempt of a logical call.
type Attempt struct {
	Method string
	// N is the number of this attempt, 1 for the first.
	N int
	// StatusCode is 0 when no answer came (Err is then set).
	StatusCode int
	Err        error
	// Code is Partner Center's error code of the answer.
	Code string
	// Retryable is the answer's own verdict (isRetryable), when it gave one.
	Retryable *bool
	// RetryAfter is the answer's Retry-After, or -1 without one.
	RetryAfter time.Duration
	// Throttled counts the 429s of this call so far, this one included.
	Throttled int
	// Refreshed is true when the token was already refreshed in this call.
	Refreshed bool
	// NotSent is true when the request never left (no token could be had).
	NotSent bool
}

// Decision is the policy's verdict on a failed attempt.
type Decision struct {
	Retry bool
	// Wait is how long to wait before the next attempt.
	Wait time.Duration
	// Pause makes Wait apply to every request under the shared limiter, not
	// only to this call: Partner Center throttles the partner, not a worker.
	Pause bool
	// Verify means the request may have been carried out although no success
	// came back (timeout, dropped connection, 5xx on a PATCH): look before
	// sending it again.
	Verify bool
	// Refresh asks for a new access token before the next attempt.
	Refresh bool
}

// remedy is what a failed attempt calls for.
type remedy int

const (
	giveUp  remedy = iota // final: the same request would fail the same way
	backOff               // retry after Retry-After or exponential backoff
	refresh               // retry at once with a new token, once
	pause                 // throttled: every caller waits, then retry
)

// answers is what each kind of failed answer means for a retry — the one
// table behind Decide and APIError.Temporary; an answer that matches no
// row is final. mayHaveApplied marks the answers after which a call that
// changes state (a PATCH) may have been carried out: it is verified before
// it is sent again. (Partner Center's "Error codes" and "API throttling
// guidance"; 800014/800060 are its "order busy, try again later".)
var answers = []struct {
	what           string
	match          func(status int, code string) bool
	remedy         remedy
	mayHaveApplied bool
}{
	{"no answer (timeout, dropped connection)", func(s int, _ string) bool { return s == 0 }, backOff, true},
	{"token refused", func(s int, _ string) bool { return s == http.StatusUnauthorized }, refresh, false},
	{"throttled", func(s int, _ string) bool { return s == http.StatusTooManyRequests }, pause, false},
	{"order busy", func(s int, c string) bool {
		return s == http.StatusConflict && (c == CodeOrderBusy || c == CodeOrderBusy2)
	}, backOff, false},
	{"request timeout", func(s int, _ string) bool { return s == http.StatusRequestTimeout }, backOff, true},
	{"server error", func(s int, _ string) bool { return s >= 500 && s <= 599 }, backOff, true},
}

// remedyFor looks an answer up in the table. A server that says whether
// its answer is worth retrying (isRetryable, newer Partner Center
// services) is believed, except about throttling and tokens, which have
// remedies of their own.
func remedyFor(status int, code string, retryable *bool) (remedy, bool) {
	r, applied := giveUp, false
	for _, a := range answers {
		if a.match(status, code) {
			r, applied = a.remedy, a.mayHaveApplied
			break
		}
	}
	if retryable != nil && (r == giveUp || r == backOff) && status != 0 {
		if *retryable {
			r = backOff
		} else {
			r = giveUp
		}
	}
	return r, applied
}

// Decide applies the policy to a failed attempt (the table answers): back
// off and retry what may pass later, refresh the token once after a 401,
// wait Retry-After and pause everyone after a 429 (at least the
// exponential backoff when 429s repeat), verify a state-changing call that
// may have been applied before sending it again; anything else is final.
func (p RetryPolicy) Decide(a Attempt) Decision {
	p = p.withDefaults()
	if a.N >= p.MaxAttempts {
		return Decision{}
	}
	r, mayHaveApplied := remedyFor(a.StatusCode, a.Code, a.Retryable)
	verify := mayHaveApplied && a.Method != http.MethodGet && !a.NotSent
	wait := p.Backoff(a.N)
	if a.RetryAfter >= 0 && a.StatusCode != 0 {
		wait = min(a.RetryAfter, p.MaxRetryAfter, p.MaxWait)
	}
	switch r {
	case backOff:
		return Decision{Retry: true, Wait: wait, Verify: verify}
	case refresh:
		if a.Refreshed {
			return Decision{}
		}
		return Decision{Retry: true, Refresh: true}
	case pause:
		if a.Throttled > 1 {
			wait = max(wait, p.Backoff(a.Throttled-1))
		}
		return Decision{Retry: true, Wait: wait, Pause: true}
	}
	return Decision{}
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). It returns -1 when the header is absent or unreadable;
// a date in the past is 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		return time.Duration(min(secs, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}
