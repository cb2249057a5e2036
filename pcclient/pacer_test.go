package pcclient

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"
)

// sends records when requests pass the pacer, on the fake clock.
func pace(t *testing.T, p *Pacer, clock *fakeClock, n int, customer func(i int) string) []time.Time {
	t.Helper()
	var times []time.Time
	for i := range n {
		if err := p.Wait(t.Context(), customer(i)); err != nil {
			t.Fatal(err)
		}
		times = append(times, clock.Now())
	}
	return times
}

// maxInWindow returns the most events in any closed window of length w.
func maxInWindow(times []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) > w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func TestPacerStaysUnderQuotaInEveryWindow(t *testing.T) {
	for _, rpm := range []float64{6, 7, 30, 60, 100, 250, 500, 1200} {
		clock := newFakeClock()
		p := NewPacer(PacerOptions{RequestsPerMinute: rpm, Clock: clock})
		times := pace(t, p, clock, int(rpm*3), func(int) string { return "" })
		if got, limit := maxInWindow(times, 10*time.Second), int(math.Floor(rpm/6)); limit >= 1 && got > limit {
			t.Errorf("rpm %v: %d requests in a 10 s window, quota allows %d", rpm, got, limit)
		}
		if got := maxInWindow(times, time.Minute); float64(got) > rpm {
			t.Errorf("rpm %v: %d requests in a 60 s window", rpm, got)
		}
		elapsed := times[len(times)-1].Sub(times[0])
		achieved := float64(len(times)-1) / elapsed.Minutes()
		if rpm >= 30 && achieved < 0.95*rpm {
			t.Errorf("rpm %v: sustained only %.1f/min (%.1f%%)", rpm, achieved, 100*achieved/rpm)
		}
	}
}

func TestPacerPauseHoldsEveryCaller(t *testing.T) {
	clock := newFakeClock()
	p := NewPacer(PacerOptions{RequestsPerMinute: 600, Clock: clock})
	p.Wait(t.Context(), "")
	start := clock.Now()
	p.Pause(30 * time.Second)
	p.Pause(5 * time.Second) // a shorter pause never shortens the first
	for range 3 {
		p.Wait(t.Context(), "")
		if clock.Now().Sub(start) < 30*time.Second {
			t.Fatalf("a request went %v after a 30 s pause began", clock.Now().Sub(start))
		}
	}
}

func TestPacerPerCustomerLimit(t *testing.T) {
	clock := newFakeClock()
	p := NewPacer(PacerOptions{RequestsPerMinute: 600, CustomerRequestsPerMinute: 60, Clock: clock})
	var a []time.Time
	for i := range 20 {
		cust := "b"
		if i%2 == 0 {
			cust = "a"
		}
		p.Wait(t.Context(), cust)
		if cust == "a" {
			a = append(a, clock.Now())
		}
	}
	if got := maxInWindow(a, 10*time.Second); got > 10 {
		t.Errorf("customer a: %d requests in 10 s, its limit allows 10", got)
	}
}

func TestPacerWaitHonoursContext(t *testing.T) {
	p := NewPacer(PacerOptions{RequestsPerMinute: 1})
	p.Wait(t.Context(), "")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx, ""); err != context.DeadlineExceeded {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

func TestPacerConcurrentCallersShareTheBucket(t *testing.T) {
	clock := newFakeClock()
	p := NewPacer(PacerOptions{RequestsPerMinute: 120, Clock: clock})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				p.Wait(t.Context(), "")
			}
		})
	}
	wg.Wait()
	// 80 requests at 2 per second (less 2 %) need about 40 s of reserved time.
	var total time.Duration
	for _, d := range clock.Slept() {
		total += d
	}
	if total < 39*time.Second {
		t.Errorf("80 requests at 120/min were paced over only %v of waits", total)
	}
}
