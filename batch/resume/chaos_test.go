package resume

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/run"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/pctest"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
)

// world is a generated sandbox state and the sheet that cancels part of it,
// with the status each line must end in.
type world struct {
	state *sandbox.State
	csv   string
	want  map[string]record.Status // row/line → final status
}

func newWorld(seed uint64, customers, orders int) *world {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := &world{state: &sandbox.State{}, want: map[string]record.Status{}}
	var b strings.Builder
	b.WriteString("Customer Tenant ID,Order ID,Line Item Number,Note\n")
	row := 1
	for c := range customers {
		cust := &sandbox.Customer{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", seed, c+1), Relationship: true}
		for o := range orders {
			order := &sandbox.Order{ID: fmt.Sprintf("S%dC%dO%d", seed, c, o), PurchasedDaysAgo: 1}
			lines := 1 + rng.IntN(3)
			kind := sandbox.PerpetualSoftware
			switch rng.IntN(10) {
			case 0:
				order.PurchasedDaysAgo, kind = 40, sandbox.PerpetualSoftware // outside the window
			case 1:
				kind = sandbox.AzurePlan
			}
			for l := range lines {
				qty := 1 + rng.IntN(20)
				if rng.IntN(8) == 0 {
					qty = 0
				}
				order.LineItems = append(order.LineItems, &sandbox.LineItem{LineItemNumber: l, OfferID: fmt.Sprintf("OFFER:%d", l), Quantity: qty, Kind: kind})
			}
			cust.Orders = append(cust.Orders, order)
			// The sheet names every line of half the orders, one line of the rest.
			every := rng.IntN(2) == 0
			row++
			if every {
				fmt.Fprintf(&b, "%s,%s,*,n%d\n", cust.ID, order.ID, row)
			} else {
				fmt.Fprintf(&b, "%s,%s,0,n%d\n", cust.ID, order.ID, row)
			}
			for _, li := range order.LineItems {
				if !every && li.LineItemNumber != 0 {
					continue
				}
				key := fmt.Sprintf("%d/%d", row, li.LineItemNumber)
				active := false
				for _, x := range order.LineItems {
					active = active || x.Quantity > 0
				}
				switch {
				case li.Quantity == 0 || !active:
					w.want[key] = record.AlreadyCancelled
				case kind == sandbox.AzurePlan:
					w.want[key] = record.NotCancellable
				case order.PurchasedDaysAgo > 30:
					w.want[key] = record.OutsideWindow
				default:
					w.want[key] = record.Cancelled
				}
			}
		}
		w.state.Customers = append(w.state.Customers, cust)
	}
	w.csv = b.String()
	return w
}

// runToCompletion runs p, then resumes from the journal until nothing is
// left to retry, as an operator would; it returns the final lines.
func runToCompletion(t *testing.T, client *pcclient.Client, p *plan.Plan) (map[string]record.LineResult, int) {
	t.Helper()
	dir := t.TempDir()
	var prev *journal.Journal
	for round := 1; ; round++ {
		j, err := journal.Create(filepath.Join(dir, fmt.Sprintf("r%d.journal", round)), journal.Header{RunID: fmt.Sprintf("run-%d", round)})
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil {
			c := journal.NewBatch(j)
			if err := overlay(p, prev, c.Add); err != nil {
				t.Fatal(err)
			}
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		r := &run.Runner{Client: client, Concurrency: 8, RunID: fmt.Sprintf("run-%d", round), Journal: j}
		if err := r.Run(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		got := linesOf(t, p, j)
		left := 0
		for _, l := range got {
			if l.Status.Retryable() {
				left++
			}
		}
		if left == 0 || round == 5 {
			return got, round
		}
		prev = j
		p = rebuild(t, p)
	}
}

// rebuild reads the plan's input again, as a resume from a journal does.
func rebuild(t *testing.T, p *plan.Plan) *plan.Plan {
	t.Helper()
	h, _ := plan.NewHeaders(nil)
	q, err := plan.ReadFile(p.Source.Path, plan.ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// chaosClient paces at 3,000 requests a minute, above the sandbox's
// throttle, so 429s keep coming and the shared pause is exercised.
func chaosClient(t *testing.T, url string) *pcclient.Client {
	return pctest.Client(t, url,
		pcclient.WithLimiter(pcclient.NewPacer(pcclient.PacerOptions{RequestsPerMinute: 3000})),
		pcclient.WithRetry(pcclient.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 80 * time.Millisecond}),
	)
}

// TestEveryFaultAtOnce turns on every fault the sandbox has, at 10 % each
// (500, 503, 409 busy, PATCH applied then connection dropped) plus a tight
// throttle, and checks that every line ends as it must and that no order
// is ever cancelled by two PATCHes.
func TestEveryFaultAtOnce(t *testing.T) {
	t.Parallel()
	zero := time.Duration(0)
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			w := newWorld(seed, 4, 8)
			sb, err := sandbox.New(w.state, sandbox.Options{Faults: sandbox.Faults{
				Seed: int64(seed), Error500: 0.1, Error503: 0.1, Busy: 0.1, Drop: 0.1,
				Throttle: sandbox.Throttle{RequestsPerMinute: 2400, Burst: 3, RetryAfter: &zero},
			}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sb)
			defer srv.Close()
			path := filepath.Join(t.TempDir(), "in.csv")
			os.WriteFile(path, []byte(w.csv), 0o644)
			h, _ := plan.NewHeaders(nil)
			p, err := plan.ReadFile(path, plan.ReadOptions{Headers: h, Extras: true})
			if err != nil {
				t.Fatal(err)
			}
			got, rounds := runToCompletion(t, chaosClient(t, srv.URL), p)
			for key, want := range w.want {
				if got[key].Status != want {
					t.Errorf("line %s ended %s (%s), want %s", key, got[key].Status, got[key].ErrorMessage, want)
				}
			}
			if len(got) != len(w.want) {
				t.Errorf("%d lines, want %d", len(got), len(w.want))
			}
			st := sb.Stats()
			for order, n := range st.Applied {
				if n > 1 {
					t.Errorf("order %s was changed by %d PATCHes", order, n)
				}
			}
			for line, n := range st.LinesCancelled {
				if n > 1 {
					t.Errorf("line %s was cancelled %d times", line, n)
				}
			}
			if st.Errors500 == 0 || st.Errors503 == 0 || st.Busy == 0 || st.Dropped == 0 || st.Throttled == 0 {
				t.Errorf("not every fault happened: %+v", st)
			}
			if st.Rejected != countStatus(w.want, record.OutsideWindow, record.NotCancellable) {
				t.Errorf("%d PATCHes refused by the rules; every refusal should be an outside_window or not_cancellable order", st.Rejected)
			}
			t.Logf("seed %d: %d rounds; faults 500:%d 503:%d busy:%d dropped:%d throttled:%d replays:%d",
				seed, rounds, st.Errors500, st.Errors503, st.Busy, st.Dropped, st.Throttled, st.Replays)
		})
	}
}

func countStatus(want map[string]record.Status, statuses ...record.Status) int {
	orders := map[string]bool{}
	for key, s := range want {
		for _, x := range statuses {
			if s == x {
				orders[strings.Split(key, "/")[0]] = true
			}
		}
	}
	return len(orders)
}

// linesOf is what the workbook of p would show, keyed "row/line".
func linesOf(t *testing.T, p *plan.Plan, j *journal.Journal) map[string]record.LineResult {
	t.Helper()
	out := map[string]record.LineResult{}
	for it, err := range run.Outcomes(p, j, "run") {
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range it.Result.Lines {
			line := l.LineText
			if l.Line != nil {
				line = fmt.Sprint(*l.Line)
			}
			out[fmt.Sprintf("%d/%s", l.Row, line)] = l
		}
	}
	return out
}
