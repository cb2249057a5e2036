package resume

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/run"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/pctest"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/samples"
)

// testClock is the time of the sandbox and of the runner: sleeping moves
// it on at once, so minutes of settling take no real time.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.advance(d)
	return ctx.Err()
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// pendingWorld is the sample sheet against a sandbox that accepts every
// cancellation as pending and carries it out delay later — or, with no
// delay, one that cancels at once (the reference books).
type pendingWorld struct {
	clock *testClock
	sb    *sandbox.Server
	// lose makes every accepted cancellation never land.
	lose atomic.Bool
	url  string
	p    *plan.Plan
}

func newPendingWorld(t *testing.T, delay time.Duration) *pendingWorld {
	t.Helper()
	w := &pendingWorld{clock: &testClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}}
	st, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	var err error
	faults := sandbox.Faults{}
	if delay > 0 {
		faults = sandbox.Faults{Pending: 1, PendingDelay: delay}
	}
	w.sb, err = sandbox.New(st, sandbox.Options{Now: w.clock.Now, Faults: faults, OnPatchApplied: func(customer, order string) {
		if w.lose.Load() {
			w.sb.LosePending(customer, order)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.sb)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	h, _ := plan.NewHeaders(nil)
	if w.p, err = plan.ReadFile("../../samples/cancellations.csv", plan.ReadOptions{Headers: h, Extras: true}); err != nil {
		t.Fatal(err)
	}
	return w
}

// round runs the plan once with a runner on the world's clock, resuming
// from prev's journal when prev is set, and returns its journal.
func (w *pendingWorld) round(t *testing.T, n int, prev *journal.Journal, settle time.Duration) *journal.Journal {
	t.Helper()
	j, err := journal.Create(filepath.Join(t.TempDir(), fmt.Sprintf("r%d.journal", n)), journal.Header{RunID: fmt.Sprintf("run-%d", n)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	p := w.p
	if prev != nil {
		p = rebuild(t, w.p)
		c := journal.NewBatch(j)
		if err := overlay(p, prev, c.Add); err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// One order at a time: every wait moves the one clock, so concurrent
	// orders would make the time a matter of scheduling.
	r := &run.Runner{Client: pctest.Client(t, w.url, pcclient.WithClock(w.clock)), Concurrency: 1, RunID: fmt.Sprintf("run-%d", n),
		Journal: j, Clock: w.clock, SettleTimeout: settle}
	if err := r.Run(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	w.p = p
	return j
}

// books are each line's status, quantities and amount.
func (w *pendingWorld) books(t *testing.T, j *journal.Journal) map[string]string {
	out := map[string]string{}
	for key, l := range linesOf(t, w.p, j) {
		out[key] = fmt.Sprintf("%s %s→%s %s", l.Status, qty(l.Before), qty(l.After), l.AmountCancelled().Decimal)
	}
	return out
}

func qty(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

// Partner Center answers a cancellation 200 with the order pending and
// the lines unchanged, and carries it out later. Whatever the delay —
// shorter than the settle timeout, or longer, with resumes before and
// after it lands — the books end as those of a sandbox that cancels at
// once, and no order is sent a second MS-RequestId while the first may
// still take effect.
func TestAcceptedButPending(t *testing.T) {
	t.Parallel()
	direct := newPendingWorld(t, 0)
	want := direct.books(t, direct.round(t, 1, nil, 2*time.Minute))
	for _, tt := range []struct {
		name   string
		delay  time.Duration
		rounds int // runs (the first, then resumes) until nothing is left
	}{
		{"lands while the run reads it again", 20 * time.Second, 1},
		{"lands after the run gave up; the resume finds it done", 10 * time.Minute, 2},
		{"still pending at the first resume, done at the second", 30 * time.Minute, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newPendingWorld(t, tt.delay)
			var j *journal.Journal
			for n := 1; n <= tt.rounds; n++ {
				j = w.round(t, n, j, 2*time.Minute)
				if n < tt.rounds {
					if got := w.books(t, j); !pendingLeft(got) {
						t.Fatalf("round %d: nothing left pending although the cancellations take %v: %v", n, tt.delay, got)
					}
					w.clock.advance(20 * time.Minute) // the operator comes back later
				}
			}
			got := w.books(t, j)
			for key, line := range want {
				if got[key] != line {
					t.Errorf("line %s: %s, want %s", key, got[key], line)
				}
			}
			st := w.sb.Stats()
			checkOnce(t, st)
			if st.Pending == 0 || st.Landed != st.Pending {
				t.Errorf("pending %d, landed %d", st.Pending, st.Landed)
			}
		})
	}
	// Accepted, then never carried out: the run reads the order final with
	// the lines active (not_cancelled, keeping the PATCH's MS-RequestId);
	// the resume sends them under a new MS-RequestId — the old one would
	// only replay its answer — and they are cancelled.
	t.Run("accepted and never carried out", func(t *testing.T) {
		t.Parallel()
		w := newPendingWorld(t, 5*time.Minute)
		w.lose.Store(true)
		j := w.round(t, 1, nil, 2*time.Minute)
		for key, line := range w.books(t, j) {
			if want[key] != "" && want[key][:9] == "cancelled" && line[:13] != "not_cancelled" {
				t.Errorf("round 1, line %s: %s, want not_cancelled", key, line)
			}
		}
		w.lose.Store(false)
		if err := w.sb.SetFaults(sandbox.Faults{}); err != nil {
			t.Fatal(err)
		}
		got := w.books(t, w.round(t, 2, j, 2*time.Minute))
		for key, line := range want {
			if got[key] != line {
				t.Errorf("line %s: %s, want %s", key, got[key], line)
			}
		}
		st := w.sb.Stats()
		checkOnce(t, st)
		if st.Lost == 0 {
			t.Error("no cancellation was lost: the case is not exercised")
		}
	})
}

// checkOnce fails t if the sandbox did something twice.
func checkOnce(t *testing.T, st sandbox.Stats) {
	t.Helper()
	for _, p := range st.Twice() {
		t.Error(p)
	}
}

// pendingLeft reports whether some line still waits on an accepted PATCH.
func pendingLeft(books map[string]string) bool {
	for _, line := range books {
		if len(line) >= 6 && line[:6] == string(record.Failed) {
			return true
		}
	}
	return false
}

// A line an earlier run reported not_cancelled — as versions before this
// one reported a PATCH answered pending — whose PATCH landed afterwards is
// cancelled by this tool when a resume finds it at 0, with its quantity and
// unit price: not already_cancelled at 0.00.
func TestNotCancelledThatLandedLater(t *testing.T) {
	t.Parallel()
	w := newPendingWorld(t, 0)
	const customer, order = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", "Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0"
	var seq int
	for _, o := range w.p.Orders {
		if o.ID == order {
			seq = o.Seq
		}
	}
	j, err := journal.Create(filepath.Join(t.TempDir(), "r1.journal"), journal.Header{RunID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	price := decimal.NewNullDecimal(decimal.RequireFromString("12373.20"))
	if err := j.Append(&record.OrderResult{Seq: seq, Customer: customer, Order: order, Outcome: "not_cancelled", Lines: []record.LineResult{{
		Row: 2, Customer: customer, Order: order, Line: new(0), Offer: "DG7GMGF0FKZV:0003:DG7GMGF0DWMS", Before: new(4), After: new(4),
		UnitPrice: price, Currency: "USD", PriceField: "price", Status: record.NotCancelled, RequestID: "req-early", RunID: "run-1",
	}}}); err != nil {
		t.Fatal(err)
	}
	// The PATCH that answered "not yet" lands.
	client := pctest.Client(t, w.url)
	if _, _, err := client.CancelOrder(t.Context(), customer, order, []pcclient.LineItemRef{{LineItemNumber: 0, OfferID: "DG7GMGF0FKZV:0003:DG7GMGF0DWMS"}}, pcclient.WithRequestID("req-early")); err != nil {
		t.Fatal(err)
	}
	l := linesOf(t, w.p, w.round(t, 2, j, 2*time.Minute))["2/0"]
	if l.Status != record.Cancelled || l.AmountCancelled().Decimal.String() != "49492.8" || l.RequestID != "req-early" {
		t.Errorf("line 2/0: %s %s→%s amount %s request %s (%s)", l.Status, qty(l.Before), qty(l.After), l.AmountCancelled().Decimal, l.RequestID, l.ErrorMessage)
	}
	checkOnce(t, w.sb.Stats())
}
