package pcclient

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces requests. Wait blocks until one request for the given
// customer may be sent; Pause holds back every request for d (a 429 tells
// the whole client to back off, not just the worker that saw it).
type Limiter interface {
	Wait(ctx context.Context, customerID string) error
	Pause(d time.Duration)
}

// Pacer is the client's Limiter: one token bucket for all requests, an
// optional bucket per customer, and a shared pause after throttling. Every
// attempt, retries included, takes a token.
type Pacer struct {
	clock       Clock
	global      *rate.Limiter
	perCustomer rate.Limit

	mu          sync.Mutex
	customers   map[string]*rate.Limiter
	pausedUntil time.Time
}

// PacerOptions configures NewPacer.
type PacerOptions struct {
	// RequestsPerMinute is the rate of all requests together.
	RequestsPerMinute float64
	// CustomerRequestsPerMinute, when positive, also limits each customer.
	CustomerRequestsPerMinute float64
	Clock                     Clock
}

// NewPacer returns a Pacer. A rate of 0 or less means no limit.
func NewPacer(opts PacerOptions) *Pacer {
	p := &Pacer{
		clock:       opts.Clock,
		global:      rate.NewLimiter(paceLimit(opts.RequestsPerMinute), 1),
		perCustomer: paceLimit(opts.CustomerRequestsPerMinute),
		customers:   make(map[string]*rate.Limiter),
	}
	if p.clock == nil {
		p.clock = SystemClock{}
	}
	return p
}

// paceLimit turns a per-minute quota into the bucket rate. The bucket holds
// one token, so requests are evenly spaced; the rate sits 2 % under the quota
// and never lets floor(10 s × rate) + 1 requests exceed the 10-second share of
// the quota, so scheduling jitter cannot push any 10-second (or 60-second)
// window over the limit while the run still sustains 98 % of it.
func paceLimit(perMinute float64) rate.Limit {
	if perMinute <= 0 {
		return rate.Inf
	}
	r := perMinute / 60 * 0.98
	if perTen := math.Floor(perMinute / 6); perTen >= 1 {
		r = math.Min(r, perTen/10*(1-1e-9))
	}
	return rate.Limit(r)
}

// Wait blocks until a request for customerID may go, or ctx is done.
func (p *Pacer) Wait(ctx context.Context, customerID string) error {
	if err := p.waitPause(ctx); err != nil {
		return err
	}
	if p.perCustomer != rate.Inf && customerID != "" {
		if err := p.take(ctx, p.customer(customerID)); err != nil {
			return err
		}
	}
	if err := p.take(ctx, p.global); err != nil {
		return err
	}
	// A 429 may have arrived while this request waited for its token.
	return p.waitPause(ctx)
}

func (p *Pacer) take(ctx context.Context, lim *rate.Limiter) error {
	now := p.clock.Now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return context.DeadlineExceeded
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := p.clock.Sleep(ctx, d); err != nil {
			r.CancelAt(p.clock.Now())
			return err
		}
	}
	return nil
}

func (p *Pacer) waitPause(ctx context.Context) error {
	for {
		p.mu.Lock()
		d := p.pausedUntil.Sub(p.clock.Now())
		p.mu.Unlock()
		if d <= 0 {
			return ctx.Err()
		}
		if err := p.clock.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (p *Pacer) customer(id string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	lim := p.customers[id]
	if lim == nil {
		lim = rate.NewLimiter(p.perCustomer, 1)
		p.customers[id] = lim
	}
	return lim
}

// Pause holds back every request until d from now (it never shortens a
// pause already in force).
func (p *Pacer) Pause(d time.Duration) {
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := now.Add(d); until.After(p.pausedUntil) {
		p.pausedUntil = until
	}
}
